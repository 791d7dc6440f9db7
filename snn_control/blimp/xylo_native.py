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
* Xylo's integers, where the float design would lose its small signals:

  - One weight shift serves all input weights, and one all readout weights. Relays get a
    ``top`` far above their weight (:data:`RELAY_TOP`), so their integer scale is coarse
    and they do not force a shift that rounds the low-pass neurons' weights to zero.
  - The PD decoder's weights span more than 8 bits (a fine level's width is a few
    hundredths of a coarse one's). They are split by octave among Xylo's 8 readout
    neurons, each scaled by the compiler to its own range, and the host sums their
    membranes: every weight keeps tens of integer steps.
  - A synaptic weight of one LSB adds nothing (Xylo's decay removes at least one LSB per
    step, rounding away from zero), so the I network runs one step per tick, which makes
    its per-step increments (and their integer weights) as large as they can be.

* Readout neurons hear hidden neurons only, so the I network's integral cannot live in
  adaptive thresholds (Xylo has none): it is the membrane of a readout fed by relays of
  the encoder (levels evenly spaced between its two level genes). Its anti-windup is the
  membrane's proportional leak ``2**-dash``, chosen so that the largest error holds it at
  ``range_v`` volts, which the compiler keeps inside the 16-bit range and below the
  readout's threshold; a smaller error holds it at the matching fraction, so the leak
  costs a steady-state error of ``q_max`` times (needed integral / ``range_v``).
* The host reads the readouts' membrane potentials (Xylo's Vmem output), not readout
  spikes: a command is continuous, and a readout fires at most once per step.
"""

from __future__ import annotations

import numpy as np
from snn_control.blimp import thermometer
from snn_control.blimp.data import DT as TICK_S
from snn_control.engine.network import Connection, make_population, NetworkSpec
from snn_control.hardware.xylo import XYLO_RULES

#: Network steps per control tick, per network. PD: more than the float networks' 3, so that
#: the relays' tail and the powers-of-two decays cost less of a tick. I: one, so that a
#: tick's integral increment arrives in one step, as the largest integer weights (Xylo's
#: decays remove at least one LSB per step, which eats increments of one or two LSBs).
STEPS_PER_TICK = {'pd': 6, 'i': 1}
#: Relays fire above this fraction of their weight (their current starts at the weight and
#: grows towards twice it while their encoder channel fires).
RELAY_THRESHOLD = 0.75
#: A relay's threshold over its weight. Any value above twice (its largest current) fires
#: it once per step; this large one gives relays a coarse integer scale, so that their
#: weights never need a larger input weight shift than the low-pass neurons (one shift
#: serves all input weights, and at the relays' own scale it would round the low-pass
#: weights to zero).
RELAY_TOP = 2.0**9
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
    return {'vth': np.full(cut.shape, top), 'bias': top - cut}


def _concat_levels(*parts: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    return {key: np.concatenate([p[key] for p in parts]) for key in ('vth', 'bias')}


def build_network(role: str, x01: np.ndarray) -> NetworkSpec:
    """Return the Xylo-conforming NetworkSpec grown from one thermometer genotype."""
    genes = thermometer.decode(role, x01)
    spec = _pd_network(genes) if role == 'pd' else _i_network(genes)
    meta = {
        **thermometer.genotype_metadata(role, 'xylo', x01, genes, spec, STEPS_PER_TICK[role]),
        'target': 'xylo-v2',
        'host_reads': 'readout membrane potentials (Xylo Vmem output mode), summed',
    }
    if role == 'i':
        # The integral's range, far below the worst case of its inputs (which assumes an
        # endless error): the membrane's leak keeps it there (see _i_network).
        meta['xylo_readout_range'] = {'readout': genes['range_v'] / thermometer.OUTPUT_GAIN}
    return NetworkSpec(spec.populations, spec.connections, spec.input_population, spec.name, meta)


def encode(role: str, spec: NetworkSpec) -> np.ndarray:
    """Return the genotype a Xylo network was grown from (stored in its metadata)."""
    return thermometer.genotype_vector(role, 'xylo', spec)


def _magnitude_groups(weights: np.ndarray, n_groups: int) -> np.ndarray:
    """
    Group index of each weight: one octave of magnitude per group, the largest in group 0.

    Each group feeds its own readout neuron, and the compiler scales each readout to the
    range its own weights can reach, so a fine level's weight gets as many integer steps
    as a coarse one's (one 8-bit grid for all would round the finest to 0 or 1). Octaves
    below the last group join it. Every network gets all ``n_groups`` readouts (some may
    hear nothing), so that candidates of one role share their shapes in a batch.
    """
    magnitude = np.abs(weights)
    octave = np.floor(np.log2(magnitude.max() / np.maximum(magnitude, 1e-300)))
    return np.minimum(octave, n_groups - 1).astype(np.int64)


def _pd_network(g: dict[str, float]) -> NetworkSpec:
    pairs, slow = thermometer.PD_PAIRS, thermometer.PD_SLOW_LEVELS
    encoder, signed = thermometer._encoder(pairs, g['e_first_m'], g['e_last_m'])
    n_enc = 2 * pairs
    slow_c = thermometer.levels(g['slow_first_m'], g['slow_last_m'], slow)
    slow_w = thermometer.widths(slow_c)
    a = _power_of_two(TICK_S / STEPS_PER_TICK['pd'] / g['tau_s'], 1, 10)
    tau_s = TICK_S / STEPS_PER_TICK['pd'] / a  # the time constant Xylo's shift gives
    relay = float(np.max(np.abs(signed)))
    n_hidden = n_enc + 2 * slow
    weight = np.zeros((n_hidden, n_enc))
    weight[:n_enc] = relay * np.eye(n_enc)
    weight[n_enc:n_enc + slow] = a * signed  # u -> lp(q), fires above +level
    weight[n_enc + slow:] = -a * signed  # u -> -lp(q), fires below -level
    hidden = make_population(
        'hidden',
        n_hidden,
        'cuba_lif',
        reset='soft',
        du=np.r_[np.full(n_enc, READOUT_DU), np.full(2 * slow, a)],
        dv=1.0,
        # tops above the largest currents: a relay's is twice its weight, a low-pass one's q's
        # range
        **_concat_levels(
            _level(np.full(n_enc, RELAY_THRESHOLD * relay), RELAY_TOP * relay),
            _level(np.r_[slow_c, slow_c], 2.0 * max(g['e_last_m'], g['slow_last_m'])),
        ),
    )
    dv = _power_of_two(1.0 - g['keep'], 0, 4)
    # The readout settles at (sum of weighted spikes) / (du dv); the command is OUTPUT_GAIN x it.
    scale = READOUT_DU * dv / thermometer.OUTPUT_GAIN
    derivative = g['kd'] / tau_s
    decoder = np.r_[(g['kp'] + derivative) * signed, -derivative * np.r_[slow_w, -slow_w]] * scale
    n_readouts = XYLO_RULES['v2'].max_outputs
    # readout neuron k hears the decoder's weights of octave k
    groups = _magnitude_groups(decoder, n_readouts)
    by_octave = np.where(groups == np.arange(n_readouts)[:, None], decoder, 0.0)
    readout = make_population('readout', n_readouts, 'leaky_integrator', du=READOUT_DU, dv=dv)
    conns = (
        Connection('encoder', 'hidden', weight),
        Connection('hidden', 'readout', by_octave),
    )
    return NetworkSpec((encoder, hidden, readout), conns, 'encoder', name='blimp_xylo_pd')


def _i_network(g: dict[str, float]) -> NetworkSpec:
    pairs = thermometer.I_PAIRS
    # Evenly spaced levels (not the float network's geometric ones): every level then adds
    # the same integer weight to the integral, several LSBs, where geometric widths would
    # round the finest levels' weights to zero and leave a dead zone around the setpoint.
    lo, hi = sorted((g['e_first_m'], g['e_last_m']))
    c = np.linspace(lo, max(hi, 2.0 * lo), pairs)
    encoder = make_population(
        'encoder', 2 * pairs, 'cuba_lif', reset='soft', du=1.0, dv=1.0, vth=np.r_[c, c], bias=0.0
    )
    signed = np.r_[thermometer.widths(c), -thermometer.widths(c)]
    n_enc = 2 * pairs
    relay = float(np.max(np.abs(signed)))
    hidden = make_population(
        'hidden',
        n_enc,
        'cuba_lif',
        reset='soft',
        du=READOUT_DU,
        dv=1.0,
        **_level(np.full(n_enc, RELAY_THRESHOLD * relay), RELAY_TOP * relay),
    )
    # A relay firing every step gives the readout a current of twice its weight, added to
    # the membrane each step; ki x q(e) volts per second is ki q TICK_S per tick.
    weight = g['ki'] * TICK_S / (STEPS_PER_TICK['i'] * 2.0 * thermometer.OUTPUT_GAIN)
    # The membrane's leak sets where the integral saturates: at the largest error it settles
    # at 2 x weight x q_max / dv, which is to be range_v volts (the float network's
    # anti-windup gene; its leak_per_s gene is unused here).
    q_max = float(c[-1])
    dv = _power_of_two(2.0 * weight * q_max * thermometer.OUTPUT_GAIN / g['range_v'], 4, 15)
    readout = make_population('readout', 1, 'leaky_integrator', du=READOUT_DU, dv=dv)
    conns = (
        Connection('encoder', 'hidden', relay * np.eye(n_enc)),
        Connection('hidden', 'readout', (weight * signed)[None, :]),
    )
    return NetworkSpec((encoder, hidden, readout), conns, 'encoder', name='blimp_xylo_i')


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
        self.encoder_weights = np.array([s.metadata['encoder_weights'] for s in specs])
        self.gain = np.array([float(s.metadata['output_gain']) for s in specs])
        self.steps = int(specs[0].metadata['steps_per_tick'])
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
