# Copyright 2026 snn_control maintainers
#
# Licensed under the Apache License, Version 2.0 (the "License");
# you may not use this file except in compliance with the License.
# You may obtain a copy of the License at
#
#     http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS,
# WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
# See the License for the specific language governing permissions and
# limitations under the License.

"""
Neuromorphic boards.

Their published constraints, a fit check, weight quantisation and energy estimates.

Each constraint of a profile cites its public source (on the line, or in the profile's
``source``); a figure marked "approximate" is a documented default or a derived bound, not a
hard limit of the silicon.

Energy: Loihi's per-operation energies as measured on Loihi 1 (Davies et al., IEEE Micro
2018: 23.6 pJ per synaptic spike operation, 52 pJ per active neuron update). Intel has not
published the equivalent figures for Loihi 2, so they are an estimate of its order of
magnitude, not a measurement.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Union

import numpy as np
from scipy.sparse import issparse
from snn_control.engine.fixed_point import STATE_BITS as LOIHI_STATE_BITS
from snn_control.engine.network import Connection, NetworkSpec, Population

LOIHI_PJ_PER_SYNOP = 23.6
LOIHI_PJ_PER_NEURON_UPDATE = 52.0

#: How a board realises the decays ``du``, ``dv`` (fractions lost per step): any value, bit
#: shifts only, or not at all (integrate-and-fire: the input adds straight to the membrane,
#: ``du = 1``, and the membrane does not leak, ``dv = 0``).
DECAY_RULES = ('any', 'power_of_two', 'none')


@dataclass(frozen=True)
class BoardProfile:
    key: str
    name: str
    max_neurons: int | None  # per chip / device
    max_synapses: int | None
    weight_bits: int | None  # signed weights
    max_fan_in: int | None  # incoming synapses per neuron
    max_input_channels: int | None  # neurons that take external input
    models: frozenset[str]  # "leaky_integrator" listed: non-spiking readouts available
    decays: str  # one of DECAY_RULES
    source: str
    state_bits: int | None = None  # neuron state (voltage, current) width
    cores: int | None = None  # neuron cores per chip / device
    max_neurons_per_core: int | None = None  # a core holds neurons of one population
    max_target_populations: int | None = None  # populations one population may send spikes to
    shared_threshold: bool = False  # one threshold per population (layer), not per neuron
    notes: tuple[str, ...] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        if self.decays not in DECAY_RULES:
            raise ValueError(
                f'board {self.key!r}: decays must be one of {DECAY_RULES}, got {self.decays!r}'
            )


BOARDS: dict[str, BoardProfile] = {
    'loihi2': BoardProfile(
        'loihi2',
        'Intel Loihi 2 (one chip)',
        max_neurons=1_000_000,
        max_synapses=120_000_000,
        weight_bits=8,
        max_fan_in=None,
        max_input_channels=None,
        models=frozenset({'cuba_lif', 'adaptive_lif', 'leaky_integrator'}),
        decays='any',
        # Lava's bit-accurate Loihi 2 LIF (PyLifModelBitAcc): 24-bit current and voltage.
        state_bits=LOIHI_STATE_BITS,
        cores=128,
        source='Intel Labs, Loihi 2 technology brief (2021): 128 neuromorphic cores, up to 1M '
        'neurons and 120M synapses per chip; neuron models in microcode; weights up to 8 bits in '
        "Lava's Loihi 2 processes",
        notes=('adaptive thresholds and leaky-integrator readouts need microcoded neuron models',),
    ),
    'xylo_audio2': BoardProfile(
        'xylo_audio2',
        'SynSense Xylo Audio 2',
        max_neurons=1008,
        max_synapses=64_000,
        weight_bits=8,
        # inputs are a dense 16 x 1000 weight table: no fan-in limit; the recurrent fan-out
        # limit (64) is the Xylo target's rule (hardware/xylo.py, engine/xylo_program.py)
        max_fan_in=None,
        max_input_channels=16,
        models=frozenset({'cuba_lif'}),
        decays='power_of_two',
        state_bits=16,
        source='Rockpool documentation, Xylo overview; Open Neuromorphic hardware guide '
        '(Xylo Audio 2, SYNS61201): 1000 hidden + 8 output LIF neurons, 16 input channels, '
        '8-bit weights, 16-bit states, recurrent fan-out <= 64, 64,000 weights, bit-shift '
        'decays, subtractive reset (line-level sources: hardware/xylo.py)',
    ),
    'spinnaker2': BoardProfile(
        'spinnaker2',
        'SpiNNaker 2 (one chip, py-spinnaker2 neuron models)',
        # SpiNNaker2 datasheet v0.03 (2021): 152 ARM Cortex-M4F processing elements (PEs) per chip,
        # each with 128 kB of local SRAM.
        cores=152,
        # Approximate: py-spinnaker2 places up to 250 LIF neurons on a PE by default
        # (Population.set_max_atoms_per_core lowers it for dense connectivity, since synapse rows
        # share the PE's 128 kB); the chip's neurons follow as 152 x 250.
        max_neurons_per_core=250,
        max_neurons=152 * 250,
        # No fixed count is published: synapse rows live in each PE's 128 kB SRAM beside code and
        # state, so the bound depends on the connectivity.
        max_synapses=None,
        max_fan_in=None,
        max_input_channels=None,
        # py-spinnaker2 (lif, lif_curr_exp): integer weights in [-15, 15], a 4-bit magnitude whose
        # sign selects the excitatory or inhibitory input: 5 bits signed.
        weight_bits=5,
        # Approximate: py-spinnaker2's neuron state and parameters are single-precision floats
        # (the Cortex-M4F's FPU).
        state_bits=32,
        # py-spinnaker2's lif_curr_exp: exponentially decaying current (exc_decay, inh_decay),
        # membrane decay (alpha_decay), bias (i_offset), reset by subtraction or to v_reset: our
        # cuba_lif, any decay. A readout is one whose threshold is never reached, its voltage
        # recorded. Adaptive thresholds need a custom ARM neuron model (none ships).
        models=frozenset({'cuba_lif', 'leaky_integrator'}),
        decays='any',
        source='SpiNNaker2 datasheet v0.03 (TU Dresden / University of Manchester, 2021); '
        'py-spinnaker2 (TU Dresden, SpiNNcloud) neuron models lif and lif_curr_exp and their '
        'examples',
        notes=('neuron models are ARM software: an adaptive threshold would need a custom model',),
    ),
    'speck': BoardProfile(
        'speck',
        'SynSense Speck (Speck 2e/2f, DYNAP-CNN cores)',
        # Sinabs 3.1.3, sinabs/backend/dynapcnn/chips/dynapcnn.py (get_constraints): 9 CNN cores
        # with 16-64 Ki neuron memory (320 Ki = 327,680 neurons in all) and 16-64 Ki kernel
        # memory (272 Ki = 278,528 weights in all; approximate for dense layers, whose kernel
        # memory is allotted in power-of-two blocks).
        cores=9,
        max_neurons=327_680,
        max_synapses=278_528,
        # samna documentation, Speck 2e CNN layer: at most 1024 features per layer. One of our
        # (flat) populations is a layer of 1x1 feature maps: approximate, since a larger
        # population could be split across layers.
        max_neurons_per_core=1024,
        # Approximate: a dense layer is a convolution whose kernel covers its input features
        # (at most 1024, as above).
        max_fan_in=1024,
        max_input_channels=None,
        # samna documentation, Speck 2e CNN layer: weight resolution 8 bit, neuron state
        # resolution 16 bit, fan-out of 2 (a layer sends its spikes to at most two layers).
        weight_bits=8,
        state_bits=16,
        max_target_populations=2,
        # Sinabs (dynapcnn backend): integrate-and-fire layers only (sinabs.layers.IAF): the input
        # adds straight to the membrane, which does not leak; the "leak operation" adds a
        # constant per tick (our bias); reset to zero or by subtraction; one threshold per layer
        # (threshold_high). No non-spiking readout (its readout layer averages spike counts).
        models=frozenset({'cuba_lif'}),
        decays='none',
        shared_threshold=True,
        source='samna documentation (Speck 2e, Speck 2b key features); Sinabs 3.1.3 dynapcnn '
        'backend (chip memory constraints, IAF layers, reset modes, one threshold per layer)',
    ),
    'cpu': BoardProfile(
        'cpu',
        "CPU (this package's numpy/torch backends)",
        max_neurons=None,
        max_synapses=None,
        weight_bits=None,
        max_fan_in=None,
        max_input_channels=None,
        models=frozenset({'cuba_lif', 'adaptive_lif', 'leaky_integrator'}),
        decays='any',
        source='no limits beyond memory',
    ),
}


@dataclass(frozen=True)
class SparseNetwork:
    """
    Describe a network too large for a network file, as the fit check reads it.

    Its connections hold scipy sparse weights (e.g. SpikePoint compiled for Loihi): the same
    populations and connections as a :class:`NetworkSpec`, without its dense weights.
    """

    populations: tuple[Population, ...]
    connections: tuple[Connection, ...]
    n_inputs: int

    @property
    def n_neurons(self) -> int:
        return sum(p.size for p in self.populations)


#: What the fit check and the synapse counts take.
AnyNetwork = Union[NetworkSpec, SparseNetwork]


def _nonzero(weight, axis: int | None = None):
    """Non-zero weights of a dense or scipy sparse matrix, in all or per row / column."""
    if issparse(weight):
        return weight.getnnz() if axis is None else weight.getnnz(axis=axis)
    return np.count_nonzero(weight, axis=axis)


@dataclass(frozen=True)
class FitReport:
    board: str
    fits: bool
    reasons: tuple[str, ...]
    neurons: int
    synapses: int
    max_fan_in: int


def synapse_count(spec: AnyNetwork) -> int:
    """Non-zero weights of every connection (both ports)."""
    return int(sum(_nonzero(c.weight) for c in spec.connections))


def _synapses_per_neuron(spec: AnyNetwork, incoming: bool) -> np.ndarray:
    """
    Non-zero synapses per neuron (flat order).

    Counted at each connection's target (``incoming``) or source.
    """
    starts = np.cumsum([0] + [p.size for p in spec.populations])
    offsets = {p.name: int(start) for p, start in zip(spec.populations, starts)}
    counts = np.zeros(spec.n_neurons, dtype=int)
    for c in spec.connections:
        start = offsets[c.target if incoming else c.source]
        per_neuron = np.asarray(_nonzero(c.weight, axis=1 if incoming else 0)).ravel()
        counts[start:start + per_neuron.size] += per_neuron
    return counts


def fan_in(spec: AnyNetwork) -> np.ndarray:
    """Incoming non-zero synapses per neuron, in flat neuron order."""
    return _synapses_per_neuron(spec, incoming=True)


def check_fit(spec: AnyNetwork, board: str | BoardProfile) -> FitReport:
    """Return whether ``spec`` fits ``board``; every reason it does not, with the numbers."""
    b = BOARDS[board] if isinstance(board, str) else board
    reasons = []
    neurons, synapses, fan = spec.n_neurons, synapse_count(spec), fan_in(spec)
    if b.max_neurons is not None and neurons > b.max_neurons:
        reasons.append(f"{neurons} neurons exceed the board's {b.max_neurons}")
    if b.max_synapses is not None and synapses > b.max_synapses:
        reasons.append(f"{synapses} synapses exceed the board's {b.max_synapses}")
    if b.max_fan_in is not None and fan.size and fan.max() > b.max_fan_in:
        reasons.append(f'a neuron has fan-in {int(fan.max())}, the board allows {b.max_fan_in}')
    if b.max_input_channels is not None and spec.n_inputs > b.max_input_channels:
        reasons.append(
            f"{spec.n_inputs} input neurons exceed the board's {b.max_input_channels} input "
            'channels'
        )
    for p in spec.populations:
        if p.model not in b.models:
            reasons.append(
                f'population {p.name!r}: neuron model {p.model!r} is not available '
                f'(board models: {sorted(b.models)})'
            )
    if b.cores is not None and b.max_neurons_per_core is not None:
        cores = sum(-(-p.size // b.max_neurons_per_core) for p in spec.populations)
        if cores > b.cores:
            reasons.append(
                f'the populations need {cores} cores at {b.max_neurons_per_core} neurons per '
                'core, '
                f'the board has {b.cores}'
            )
    for p in spec.populations:
        reasons += _decay_reasons(p, b.decays)
        if b.shared_threshold and p.spiking and np.unique(p.params['vth']).size > 1:
            reasons.append(
                f"population {p.name!r}: {np.unique(p.params['vth']).size} different thresholds, "
                'the board has one per population'
            )
        targets = {c.target for c in spec.connections if c.source == p.name}
        if b.max_target_populations is not None and len(targets) > b.max_target_populations:
            reasons.append(
                f'population {p.name!r} sends spikes to {len(targets)} populations, '
                f'the board allows {b.max_target_populations}'
            )
    if any(c.port == 'threshold' for c in spec.connections) and 'adaptive_lif' not in b.models:
        reasons.append('threshold-port connections (adaptive thresholds) are not available')
    return FitReport(
        b.key, not reasons, tuple(reasons), neurons, synapses, int(fan.max()) if fan.size else 0
    )


def _decay_reasons(pop: Population, rule: str) -> list[str]:
    """
    Say why the decays of ``pop`` cannot be realised under a board's ``rule``.

    ``rule`` is one of DECAY_RULES.
    """
    du, dv = (np.asarray(pop.params[key], dtype=float) for key in ('du', 'dv'))
    reasons = []
    if rule == 'none' and not (np.all(du == 1.0) and np.all(dv == 0.0)):
        reasons.append(
            f"population {pop.name!r}: the board's neurons integrate and fire (du = 1, dv = 0); "
            'the '
            f'population has du in [{du.min():.3g}, {du.max():.3g}], dv in [{dv.min():.3g}, '
            f'{dv.max():.3g}]'
        )
    if rule == 'power_of_two':
        for key, decay in (('du', du), ('dv', dv)):
            shifts = np.log2(decay[decay > 0])  # no decay at all needs no shift
            if shifts.size and not np.allclose(shifts, np.round(shifts), atol=1e-9):
                reasons.append(
                    f'population {pop.name!r}: decays {key} are not powers of two '
                    '(the board decays by bit shifts)'
                )
    return reasons


def quantise_array(weight: np.ndarray, bits: int) -> np.ndarray:
    """
    ``weight`` on a symmetric grid of ``2**(bits-1) - 1`` levels per sign.

    Scaled to its largest magnitude (what a board's weight memory holds for one connection or
    layer).
    """
    if bits < 2:
        raise ValueError(f'weights need at least 2 bits (sign and magnitude), got {bits}')
    weight = np.asarray(weight, dtype=np.float64)
    levels = 2 ** (bits - 1) - 1
    scale = float(np.abs(weight).max()) / levels if np.any(weight) else 1.0
    return np.round(weight / scale) * scale


def quantise_weights(spec: NetworkSpec, bits: int) -> NetworkSpec:
    """Every connection's weights quantised (:func:`quantise_array`) to ``bits``."""
    conns = tuple(replace(c, weight=quantise_array(c.weight, bits)) for c in spec.connections)
    return replace(spec, connections=conns, metadata={**spec.metadata, 'weight_bits': bits})


def loihi_energy_uj(synops: float, neuron_updates: float) -> float:
    """Estimated energy (microjoules) from Loihi's per-operation energies (module docstring)."""
    return (synops * LOIHI_PJ_PER_SYNOP + neuron_updates * LOIHI_PJ_PER_NEURON_UPDATE) * 1e-6


def ann_macs(spec: NetworkSpec) -> int:
    """Multiply-accumulates per evaluation of an ANN with the same dense connections."""
    return int(sum(c.weight.size for c in spec.connections if c.port == 'current'))


def fan_out_weights(spec: AnyNetwork) -> np.ndarray:
    """Outgoing non-zero synapses per neuron (flat order): the synaptic operations of one spike."""
    return _synapses_per_neuron(spec, incoming=False)


__all__ = [
    'BOARDS',
    'AnyNetwork',
    'BoardProfile',
    'DECAY_RULES',
    'FitReport',
    'SparseNetwork',
    'ann_macs',
    'check_fit',
    'fan_in',
    'fan_out_weights',
    'loihi_energy_uj',
    'quantise_array',
    'quantise_weights',
    'synapse_count',
]
