"""Neuromorphic boards: their published constraints, a fit check, weight quantisation and
energy estimates.

Only constraints we could check against a published source are listed (the source is on
each profile); SpiNNaker 2 and Speck are not profiled yet for that reason.

Energy: Loihi's per-operation energies as measured on Loihi 1 (Davies et al., IEEE Micro
2018: 23.6 pJ per synaptic spike operation, 52 pJ per active neuron update). Intel has not
published the equivalent figures for Loihi 2, so they are an estimate of its order of
magnitude, not a measurement.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from snn_control.engine.network import NetworkSpec

LOIHI_PJ_PER_SYNOP = 23.6
LOIHI_PJ_PER_NEURON_UPDATE = 52.0


@dataclass(frozen=True)
class BoardProfile:
    key: str
    name: str
    max_neurons: int | None          # per chip / device
    max_synapses: int | None
    weight_bits: int | None          # signed weights
    max_fan_in: int | None           # incoming synapses per neuron
    max_input_channels: int | None   # neurons that take external input
    models: frozenset[str]           # "leaky_integrator" listed: non-spiking readouts available
    power_of_two_decays: bool        # decays realised as bit shifts
    source: str
    notes: tuple[str, ...] = field(default_factory=tuple)


BOARDS: dict[str, BoardProfile] = {
    "loihi2": BoardProfile(
        "loihi2", "Intel Loihi 2 (one chip)", max_neurons=1_000_000, max_synapses=120_000_000, weight_bits=8,
        max_fan_in=None, max_input_channels=None,
        models=frozenset({"cuba_lif", "adaptive_lif", "leaky_integrator"}), power_of_two_decays=False,
        source="Intel Labs, Loihi 2 technology brief (2021): 128 neuromorphic cores, up to 1M neurons and 120M "
               "synapses per chip; neuron models in microcode; weights up to 8 bits in Lava's Loihi 2 processes",
        notes=("adaptive thresholds and leaky-integrator readouts need microcoded neuron models",)),
    "xylo_audio2": BoardProfile(
        "xylo_audio2", "SynSense Xylo Audio 2", max_neurons=1008, max_synapses=64_000, weight_bits=8, max_fan_in=63,
        max_input_channels=16, models=frozenset({"cuba_lif"}), power_of_two_decays=True,
        source="Rockpool documentation, Xylo overview; Open Neuromorphic hardware guide (Xylo Audio 2, SYNS61201): "
               "1000 hidden + 8 output LIF neurons, 16 input channels, 8-bit weights, 16-bit states, fan-in <= 63, "
               "64,000 weights, bit-shift decays, subtractive reset"),
    "cpu": BoardProfile(
        "cpu", "CPU (this package's numpy/torch backends)", None, None, None, None, None,
        models=frozenset({"cuba_lif", "adaptive_lif", "leaky_integrator"}), power_of_two_decays=False,
        source="no limits beyond memory"),
}


@dataclass(frozen=True)
class FitReport:
    board: str
    fits: bool
    reasons: tuple[str, ...]
    neurons: int
    synapses: int
    max_fan_in: int


def synapse_count(spec: NetworkSpec) -> int:
    """Non-zero weights of every connection (both ports)."""
    return int(sum(np.count_nonzero(c.weight) for c in spec.connections))


def _synapses_per_neuron(spec: NetworkSpec, incoming: bool) -> np.ndarray:
    """Non-zero synapses per neuron (flat order), counted at each connection's target
    (``incoming``) or source."""
    starts = np.cumsum([0] + [p.size for p in spec.populations])
    offsets = {p.name: int(start) for p, start in zip(spec.populations, starts)}
    counts = np.zeros(spec.n_neurons, dtype=int)
    for c in spec.connections:
        start = offsets[c.target if incoming else c.source]
        per_neuron = np.count_nonzero(c.weight, axis=1 if incoming else 0)
        counts[start:start + per_neuron.size] += per_neuron
    return counts


def fan_in(spec: NetworkSpec) -> np.ndarray:
    """Incoming non-zero synapses per neuron, in flat neuron order."""
    return _synapses_per_neuron(spec, incoming=True)


def check_fit(spec: NetworkSpec, board: str | BoardProfile) -> FitReport:
    """Whether ``spec`` fits ``board``; every reason it does not, with the numbers."""
    b = BOARDS[board] if isinstance(board, str) else board
    reasons = []
    neurons, synapses, fan = spec.n_neurons, synapse_count(spec), fan_in(spec)
    if b.max_neurons is not None and neurons > b.max_neurons:
        reasons.append(f"{neurons} neurons exceed the board's {b.max_neurons}")
    if b.max_synapses is not None and synapses > b.max_synapses:
        reasons.append(f"{synapses} synapses exceed the board's {b.max_synapses}")
    if b.max_fan_in is not None and fan.size and fan.max() > b.max_fan_in:
        reasons.append(f"a neuron has fan-in {int(fan.max())}, the board allows {b.max_fan_in}")
    if b.max_input_channels is not None and spec.n_inputs > b.max_input_channels:
        reasons.append(f"{spec.n_inputs} input neurons exceed the board's {b.max_input_channels} input channels")
    for p in spec.populations:
        if p.model not in b.models:
            reasons.append(f"population {p.name!r}: neuron model {p.model!r} is not available "
                           f"(board models: {sorted(b.models)})")
    if b.power_of_two_decays:
        for p in spec.populations:
            for key in ("du", "dv"):
                d = np.asarray(p.params.get(key, []), dtype=float)
                d = d[d > 0]
                if d.size and not np.allclose(np.log2(d), np.round(np.log2(d)), atol=1e-9):
                    reasons.append(f"population {p.name!r}: decays {key} are not powers of two "
                                   f"(the board decays by bit shifts)")
    if any(c.port == "threshold" for c in spec.connections) and "adaptive_lif" not in b.models:
        reasons.append("threshold-port connections (adaptive thresholds) are not available")
    return FitReport(b.key, not reasons, tuple(reasons), neurons, synapses, int(fan.max()) if fan.size else 0)


def quantise_weights(spec: NetworkSpec, bits: int) -> NetworkSpec:
    """Every connection's weights on a symmetric grid of ``2**(bits-1) - 1`` levels per sign,
    scaled to that connection's largest weight (what a board's weight memory holds)."""
    if bits < 2:
        raise ValueError(f"weights need at least 2 bits (sign and magnitude), got {bits}")
    levels = 2 ** (bits - 1) - 1
    conns = []
    for c in spec.connections:
        scale = float(np.abs(c.weight).max()) / levels if np.any(c.weight) else 1.0
        conns.append(replace(c, weight=np.round(c.weight / scale) * scale))
    return replace(spec, connections=tuple(conns), metadata={**spec.metadata, "weight_bits": bits})


def loihi_energy_uj(synops: float, neuron_updates: float) -> float:
    """Estimated energy (microjoules) from Loihi's per-operation energies (module docstring)."""
    return (synops * LOIHI_PJ_PER_SYNOP + neuron_updates * LOIHI_PJ_PER_NEURON_UPDATE) * 1e-6


def ann_macs(spec: NetworkSpec) -> int:
    """Multiply-accumulates per evaluation of an ANN with the same dense connections."""
    return int(sum(c.weight.size for c in spec.connections if c.port == "current"))


def fan_out_weights(spec: NetworkSpec) -> np.ndarray:
    """Outgoing non-zero synapses per neuron (flat order): the synaptic operations of one spike."""
    return _synapses_per_neuron(spec, incoming=False)


__all__ = ["BOARDS", "BoardProfile", "FitReport", "ann_macs", "check_fit", "fan_in", "fan_out_weights",
           "loihi_energy_uj", "quantise_weights", "synapse_count"]
