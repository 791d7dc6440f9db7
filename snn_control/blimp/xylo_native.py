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
The blimp's PD and I SNNs born for Xylo: the thermometer genotype within Xylo's rules.

The genes are :mod:`snn_control.blimp.thermometer`'s; what they grow obeys
:func:`~snn_control.engine.xylo_program.xylo_violations`, and both stages evolve them with
Xylo's integer arithmetic in the loop (:class:`BatchedXylo`, the engine's bit-exact model
of ``xylosim``), so the network that is scored is the one the chip runs.

What changes against the float networks, and why:

* The encoder stays the paired thermometer of comparators; on Xylo the host runs it and
  sends one event per channel and step (16 channels: 8 pairs for PD, 6 for I).
* Xylo decays a synaptic current before the membrane sees it, so no current is
  memoryless: relays have ``du = 1/2`` (a current that halves each step) and fire from
  three quarters of their weight. Low-pass time constants and readout keeps round to
  powers of two (``du``, ``dv`` = ``2**-dash``).
* A Xylo neuron fires as many spikes in a step as its membrane holds thresholds, so a
  thermometer level ``c`` with threshold ``c`` would fire ``u // c`` times. Each level is
  written instead as a threshold ``top`` above the largest current with bias ``top - c``:
  it fires exactly once, when ``u > c``, on Xylo and in the engine alike.
* Readout neurons hear hidden neurons only, so the I network's integral cannot live in
  adaptive thresholds (Xylo has none): it is the membrane of a readout whose membrane
  decays by ``2**-dash_i`` (the ``leak_per_s`` gene rounded to a shift), fed by relays of
  the encoder. Its 16-bit range is its anti-windup: the compiler scales it so the largest
  possible integral sits just below the readout's threshold.
* The host reads the readouts' membrane potentials (Xylo's Vmem output), not readout
  spikes: a command is continuous, and a readout fires at most once per step.
"""

from __future__ import annotations

import numpy as np

from snn_control.blimp import thermometer
from snn_control.blimp.data import DT as TICK_S
from snn_control.engine.network import Connection, NetworkSpec, make_population

#: Network steps per control tick, per network. PD: more than the float networks' 3, so that
#: the relays' tail and the powers-of-two decays cost less of a tick. I: fewer, because
#: the integral's 16-bit membrane leaks at least one LSB per step (Xylo's decay rounds away
#: from zero), which would eat the per-step increments of small errors.
STEPS_PER_TICK = {"pd": 6, "i": 2}
#: Relays fire above this fraction of their weight (their current starts at the weight and
#: grows towards twice it while their encoder channel fires).
RELAY_THRESHOLD = 0.75
#: The readout's current halves each step, so a constant input W settles at 2 W.
READOUT_DU = 0.5


def _power_of_two(fraction: float, lowest_dash: int, highest_dash: int) -> float:
    """Round a per-step fraction to ``2**-dash`` in the allowed shifts."""
    exact = -np.log2(max(fraction, 2.0**-highest_dash))
    dash = int(np.clip(round(exact), lowest_dash, highest_dash))
    return 2.0**-dash


def _level(cut: np.ndarray, top: float) -> dict[str, np.ndarray]:
    """Threshold and bias of memoryless neurons firing once when their current exceeds ``cut``."""
    cut = np.asarray(cut, dtype=np.float64)
    return {"vth": np.full(cut.shape, top), "bias": top - cut}


def _concat_levels(*parts: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    return {key: np.concatenate([p[key] for p in parts]) for key in ("vth", "bias")}


def build_network(role: str, x01: np.ndarray) -> NetworkSpec:
    """Return the Xylo-conforming NetworkSpec grown from one thermometer genotype."""
    genes = thermometer.decode(role, x01)
    spec = _pd_network(genes) if role == "pd" else _i_network(genes)
    meta = {
        "role": role,
        "genotype": "xylo",
        "genes": genes,
        "genotype_x": [float(v) for v in np.clip(np.asarray(x01, dtype=np.float64), 0, 1)],
        "encoder": "paired",
        "encoder_weights": [1.0] * (spec.n_inputs // 2),
        "readouts": ["readout"],
        "output_gain": thermometer.OUTPUT_GAIN,
        "steps_per_tick": STEPS_PER_TICK[role],
        "command_low": -thermometer.COMMAND_LIMIT,
        "command_high": thermometer.COMMAND_LIMIT,
        "input_range": 8.0,
        "target": "xylo-v2",
        # the readout's membrane where the command saturates (PD) or the integral's range (I)
        "xylo_readout_range": {
            "readout": (
                thermometer.COMMAND_LIMIT if role == "pd" else genes["range_v"]
            ) / thermometer.OUTPUT_GAIN
        },
        "host_reads": "readout membrane potentials (Xylo Vmem output mode)",
    }
    return NetworkSpec(spec.populations, spec.connections, spec.input_population, spec.name, meta)


def encode(role: str, spec: NetworkSpec) -> np.ndarray:
    """Return the genotype a Xylo network was grown from (stored in its metadata)."""
    if spec.metadata.get("genotype") != "xylo" or spec.metadata.get("role") != role:
        raise ValueError(f"network {spec.name!r} is not a Xylo-genotype {role!r} network")
    return np.asarray(spec.metadata["genotype_x"], dtype=np.float64)


def _readout(keep: float) -> tuple[object, float]:
    dv = _power_of_two(1.0 - keep, 0, 4)
    return make_population("readout", 1, "leaky_integrator", du=READOUT_DU, dv=dv), dv


def _pd_network(g: dict[str, float]) -> NetworkSpec:
    pairs, slow = thermometer.PD_PAIRS, thermometer.PD_SLOW_LEVELS
    encoder, signed = thermometer._encoder(pairs, g["e_first_m"], g["e_last_m"])
    n_enc = 2 * pairs
    slow_c = thermometer.levels(g["slow_first_m"], g["slow_last_m"], slow)
    slow_w = thermometer.widths(slow_c)
    a = _power_of_two(TICK_S / STEPS_PER_TICK["pd"] / g["tau_s"], 1, 10)
    tau_s = TICK_S / STEPS_PER_TICK["pd"] / a  # the time constant Xylo's shift gives
    relay = float(np.max(np.abs(signed)))
    n_hidden = n_enc + 2 * slow
    weight = np.zeros((n_hidden, n_enc))
    weight[:n_enc] = relay * np.eye(n_enc)
    weight[n_enc:n_enc + slow] = a * signed  # u -> lp(q), fires above +level
    weight[n_enc + slow:] = -a * signed  # u -> -lp(q), fires below -level
    hidden = make_population(
        "hidden",
        n_hidden,
        "cuba_lif",
        reset="soft",
        du=np.r_[np.full(n_enc, READOUT_DU), np.full(2 * slow, a)],
        dv=1.0,
        # a relay's current is at most twice its weight; a low-pass one at most q's range
        **_concat_levels(
            _level(np.full(n_enc, RELAY_THRESHOLD * relay), 2.0 * relay),
            _level(np.r_[slow_c, slow_c], 2.0 * max(g["e_last_m"], g["slow_last_m"])),
        ),
    )
    readout, dv = _readout(g["keep"])
    # The readout settles at (sum of weighted spikes) / (du dv); the command is OUTPUT_GAIN x it.
    scale = READOUT_DU * dv / thermometer.OUTPUT_GAIN
    derivative = g["kd"] / tau_s
    decoder = np.r_[(g["kp"] + derivative) * signed, -derivative * np.r_[slow_w, -slow_w]] * scale
    conns = (
        Connection("encoder", "hidden", weight),
        Connection("hidden", "readout", decoder[None, :]),
    )
    return NetworkSpec((encoder, hidden, readout), conns, "encoder", name="blimp_xylo_pd")


def _i_network(g: dict[str, float]) -> NetworkSpec:
    pairs = thermometer.I_PAIRS
    # Evenly spaced levels (not the float network's geometric ones): every level then adds
    # the same integer weight to the integral, several LSBs, where geometric widths would
    # round the finest levels' weights to zero and leave a dead zone around the setpoint.
    lo, hi = sorted((g["e_first_m"], g["e_last_m"]))
    c = np.linspace(lo, max(hi, 2.0 * lo), pairs)
    encoder = make_population(
        "encoder", 2 * pairs, "cuba_lif", reset="soft", du=1.0, dv=1.0, vth=np.r_[c, c], bias=0.0
    )
    signed = np.r_[thermometer.widths(c), -thermometer.widths(c)]
    n_enc = 2 * pairs
    relay = float(np.max(np.abs(signed)))
    hidden = make_population(
        "hidden",
        n_enc,
        "cuba_lif",
        reset="soft",
        du=READOUT_DU,
        dv=1.0,
        **_level(np.full(n_enc, RELAY_THRESHOLD * relay), 2.0 * relay),
    )
    # A relay firing every step gives the readout a current of twice its weight, added to
    # the membrane each step; ki x q(e) volts per second is ki q TICK_S per tick.
    weight = g["ki"] * TICK_S / (STEPS_PER_TICK["i"] * 2.0 * thermometer.OUTPUT_GAIN)
    # The membrane's leak sets where the integral saturates: at the largest error it settles
    # at 2 x weight x q_max / dv, which is to be range_v volts (the float network's
    # anti-windup gene; its leak_per_s gene is unused here).
    q_max = float(c[-1])
    dv = _power_of_two(2.0 * weight * q_max * thermometer.OUTPUT_GAIN / g["range_v"], 4, 15)
    readout = make_population("readout", 1, "leaky_integrator", du=READOUT_DU, dv=dv)
    conns = (
        Connection("encoder", "hidden", relay * np.eye(n_enc)),
        Connection("hidden", "readout", (weight * signed)[None, :]),
    )
    return NetworkSpec((encoder, hidden, readout), conns, "encoder", name="blimp_xylo_i")


class BatchedXylo:
    """
    Many candidate networks of one role on Xylo's integer arithmetic, one error each.

    Each candidate is compiled for Xylo v2 and all are stepped as one batch of the engine's
    bit-exact model; the host's encoder and its one-step delay are as
    :class:`~snn_control.engine.xylo_program.XyloRunner`'s. ``step`` returns commands.
    """

    def __init__(self, specs: list[NetworkSpec], limit: float) -> None:
        from snn_control.engine.xylo import XyloModel
        from snn_control.engine.xylo_program import compile_xylo

        programs = [compile_xylo(s) for s in specs]
        self.model = XyloModel([p.config for p in programs])
        self.threshold = np.stack([p.input_threshold for p in programs])
        self.sigma = np.stack([p.sigma_out for p in programs])
        self.encoder_weights = np.array([s.metadata["encoder_weights"] for s in specs])
        self.gain = np.array([float(s.metadata["output_gain"]) for s in specs])
        self.steps = int(specs[0].metadata["steps_per_tick"])
        self.limit = limit
        self.reset()

    def reset(self) -> None:
        self.model.reset()
        self.pending = np.zeros_like(self.threshold, dtype=np.int64)

    def step(self, errors: np.ndarray) -> np.ndarray:
        e = np.asarray(errors, dtype=np.float64).reshape(-1, 1) * self.encoder_weights
        events = (np.concatenate([e, -e], axis=1) > self.threshold).astype(np.int64)
        for _ in range(self.steps):
            self.model.step(self.pending)
            self.pending = events
        volts = (self.model.state.v_mem_out / self.sigma).sum(axis=1)
        return np.clip(volts * self.gain, -self.limit, self.limit)
