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
The blimp's two SNNs grown from a compact genotype: thermometer codes (what CMA-ES evolves).

The direct genotype (:mod:`snn_control.blimp.networks`) lets CMA-ES set every weight, as
the paper did over 50,000 generations on 20 cores. In a 20-minute, 2-core budget that
search leaves the networks loose mimics (held-out Pearson about 0.6). This genotype is an
indirect encoding: a handful of genes (gains, a filter time constant, where the coding
levels lie) from which the whole network is built, always in the paper's architecture and
within its parameter bounds. CMA-ES then needs tens of generations, not tens of thousands.

Both networks use the paired encoder as a *thermometer code*: every encoder neuron is
memoryless (``du = dv = 1``) with threshold ``c_k``, so neuron ``k+`` fires at every step
while ``e > c_k`` and ``k-`` while ``e < -c_k``. Spacing the levels geometrically from
``e_first_m`` to ``e_last_m`` puts the resolution where the blimp hovers, near zero error;
summing the fired levels' widths gives the quantised error ``q(e)``.

* PD network (80 neurons at most): the hidden layer holds one-step relays of the encoder
  (``q(e)``) and a second thermometer of the low-passed ``q`` (CUBA LIF whose current
  decays with time constant ``tau_s``: ``u -> lp(q)``, thresholds at its own levels). The
  readout adds ``(kp + kd/tau) q - (kd/tau) lp(q)``: a P term plus a filtered derivative,
  ``kd/tau (q - lp q)`` being the derivative of ``q`` seen through a first-order filter.
* I network (80 neurons at most): the paper's adaptive-threshold (IWTA) hidden layer holds
  the integral. Each encoder spike moves every hidden neuron's threshold by a jump
  proportional to its level's width, so the threshold offset ``theta`` is a running
  integral of ``q(e)`` (slowly leaking, ``leak_per_s``). Hidden neurons are memoryless
  with bias 1 and thresholds stacked ``DELTA`` apart: the number that fire is ``|theta| /
  DELTA``, a thermometer of the integral, half of them for each sign. The readout, which
  keeps at most 0.3 per step as in the paper, sums them to ``ki * integral(q)``,
  saturating at ``range_v`` (anti-windup in the output).

Genes live in [0, 1] inside the optimiser, mapped linearly or logarithmically onto their
ranges. The built network records its genes and genotype in its metadata, so stage 2 can
continue from a stage-1 network file.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from snn_control.blimp.data import DT as TICK_S
from snn_control.blimp.data import LIMIT as COMMAND_LIMIT
from snn_control.blimp.networks import parameter_blocks, STEPS_PER_TICK
from snn_control.engine.network import Connection, make_population, NetworkSpec, Population

#: Encoder pairs of each network, the PD network's low-pass levels, the I network's
#: integral levels per sign: 16 + 16 + 46 + 1 = 79 and 12 + 66 + 1 = 79 neurons.
PD_PAIRS, PD_SLOW_LEVELS = 8, 23
I_PAIRS, I_LEVELS = 6, 33
#: Spacing of the I hidden neurons' thresholds (threshold units).
DELTA = 0.25
#: Command volts per unit of readout voltage. Four times the direct genotype's 3.3, so that
#: the fast path's large weights ((kp + kd/tau) x a level's width) stay inside the paper's
#: decoder bound [-1, 1] instead of being clipped (a clipped fast path no longer cancels
#: its low-pass twin and the command changes sign at large errors).
OUTPUT_GAIN = 13.2
#: The paper's bounds that a built network must respect: the direct genotype's blocks.
_PAPER = {b.name: b for b in parameter_blocks('i')}
WEIGHT_BOUND = _PAPER['hidden_weight'].high
DECODER_BOUND = _PAPER['decoder_weight'].high
JUMP_BOUND = _PAPER['threshold_jump'].high
I_DECODER_KEEP_MAX = _PAPER['decoder_keep'].high


@dataclass(frozen=True)
class Gene:
    name: str
    low: float
    high: float
    log: bool = False

    def value(self, x01: float) -> float:
        x = float(np.clip(x01, 0.0, 1.0))
        if self.log:
            return float(np.exp(np.log(self.low) + x * (np.log(self.high) - np.log(self.low))))
        return self.low + x * (self.high - self.low)

    def unit(self, value: float) -> float:
        if self.log:
            return float(
                (np.log(value) - np.log(self.low)) / (np.log(self.high) - np.log(self.low))
            )
        return float((value - self.low) / (self.high - self.low))


GENES: dict[str, tuple[Gene, ...]] = {
    'pd': (
        Gene('kp', 1.0, 16.0, log=True),
        Gene('kd', 1.0, 32.0, log=True),
        Gene('tau_s', 0.05, 1.0, log=True),
        Gene('e_first_m', 0.002, 0.05, log=True),
        Gene('e_last_m', 0.1, 1.0, log=True),
        Gene('slow_first_m', 0.002, 0.05, log=True),
        Gene('slow_last_m', 0.1, 1.0, log=True),
        Gene('keep', 0.0, 0.9),
    ),
    'i': (
        Gene('ki', 0.05, 4.0, log=True),
        Gene('e_first_m', 0.002, 0.05, log=True),
        Gene('e_last_m', 0.02, 1.0, log=True),
        Gene('range_v', 0.3, 3.3),
        Gene('leak_per_s', 1e-4, 0.3, log=True),
        Gene('keep', 0.0, I_DECODER_KEEP_MAX),
    ),
}


def n_parameters(role: str) -> int:
    return len(_genes(role))


def decode(role: str, x01: np.ndarray) -> dict[str, float]:
    """Unit-cube genotype -> named genes (values outside [0, 1] are clipped)."""
    genes = _genes(role)
    x01 = np.asarray(x01, dtype=np.float64).reshape(-1)
    if x01.size != len(genes):
        raise ValueError(f'role {role!r} has {len(genes)} genes, got {x01.size}')
    return {g.name: g.value(x) for g, x in zip(genes, x01)}


def levels(first: float, last: float, n: int) -> np.ndarray:
    """``n`` thresholds spaced geometrically from ``first`` to ``last`` (fine near zero)."""
    return np.geomspace(first, max(last, first * 1.0001), n)


def widths(thresholds: np.ndarray) -> np.ndarray:
    """Return what each level adds to the quantised value when it fires (gaps between levels)."""
    return np.diff(np.concatenate([[0.0], thresholds]))


def build_network(role: str, x01: np.ndarray) -> NetworkSpec:
    """Return the NetworkSpec grown from one genotype."""
    genes = decode(role, x01)
    spec = _pd_network(genes) if role == 'pd' else _i_network(genes)
    meta = genotype_metadata(role, 'thermometer', x01, genes, spec, STEPS_PER_TICK)
    return NetworkSpec(spec.populations, spec.connections, spec.input_population, spec.name, meta)


def genotype_metadata(
    role: str,
    genotype: str,
    x01: np.ndarray,
    genes: dict[str, float],
    spec: NetworkSpec,
    steps_per_tick: int,
) -> dict:
    """
    Return the metadata of a network grown from thermometer genes under ``genotype``.

    Shared by the genotypes that decode these genes (here and
    :mod:`snn_control.blimp.xylo_native`); :func:`genotype_vector` reads it back.
    """
    return {
        'role': role,
        'genotype': genotype,
        'genes': genes,
        'genotype_x': [float(v) for v in np.clip(np.asarray(x01, dtype=np.float64), 0, 1)],
        'encoder': 'paired',
        'encoder_weights': [1.0] * (spec.n_inputs // 2),
        'readouts': ['readout'],
        'output_gain': OUTPUT_GAIN,
        'steps_per_tick': steps_per_tick,
        'command_low': -COMMAND_LIMIT,
        'command_high': COMMAND_LIMIT,
        'input_range': 8.0,
    }


def genotype_vector(role: str, genotype: str, spec: NetworkSpec) -> np.ndarray:
    """Return the genotype a ``genotype`` network was grown from (stored in its metadata)."""
    if spec.metadata.get('genotype') != genotype or spec.metadata.get('role') != role:
        raise ValueError(f'network {spec.name!r} is not a {genotype}-genotype {role!r} network')
    return np.asarray(spec.metadata['genotype_x'], dtype=np.float64)


def encode(role: str, spec: NetworkSpec) -> np.ndarray:
    """Return the genotype a network was grown from (stored in its metadata)."""
    return genotype_vector(role, 'thermometer', spec)


def _genes(role: str) -> tuple[Gene, ...]:
    if role not in GENES:
        raise ValueError(f'unknown role {role!r}; choose from {sorted(GENES)}')
    return GENES[role]


def _encoder(n_pairs: int, first: float, last: float) -> tuple[Population, np.ndarray]:
    """Memoryless paired encoder with thresholds at the levels; the signed level widths."""
    c = levels(first, last, n_pairs)
    w = widths(c)
    pop = make_population(
        'encoder', 2 * n_pairs, 'cuba_lif', reset='soft', du=1.0, dv=1.0, vth=np.r_[c, c], bias=0.0
    )
    return pop, np.r_[w, -w]


def _pd_network(g: dict[str, float]) -> NetworkSpec:
    encoder, signed = _encoder(PD_PAIRS, g['e_first_m'], g['e_last_m'])
    n_enc = 2 * PD_PAIRS
    slow_c = levels(g['slow_first_m'], g['slow_last_m'], PD_SLOW_LEVELS)
    slow_w = widths(slow_c)
    # Per-step decay of the low-pass current: tau_s in seconds, STEPS_PER_TICK steps a tick.
    a = 1.0 - np.exp(-TICK_S / STEPS_PER_TICK / g['tau_s'])
    n_hidden = n_enc + 2 * PD_SLOW_LEVELS
    # Relays fire when their encoder neuron did: any weight above their threshold does. Give
    # them the low-pass rows' largest weight, so that one 8-bit grid (Loihi's, per
    # connection) fits both; with weight 1 the low-pass weights (a x a level's width) would
    # round to zero there.
    relay = a * float(np.max(np.abs(signed)))
    weight = np.zeros((n_hidden, n_enc))
    weight[:n_enc] = relay * np.eye(n_enc)  # relays: q(e) one hop later
    weight[n_enc:n_enc + PD_SLOW_LEVELS] = a * signed  # u -> lp(q), fires above +level
    weight[n_enc + PD_SLOW_LEVELS:] = -a * signed  # u -> -lp(q), fires below -level
    hidden = make_population(
        'hidden',
        n_hidden,
        'cuba_lif',
        reset='soft',
        du=np.r_[np.ones(n_enc), np.full(2 * PD_SLOW_LEVELS, a)],
        dv=1.0,
        vth=np.r_[np.full(n_enc, relay / 2), slow_c, slow_c],
        bias=0.0,
    )
    keep = g['keep']
    # The readout settles at (sum of weighted spikes) / (1 - keep); the command is OUTPUT_GAIN x
    # that.
    scale = (1.0 - keep) / OUTPUT_GAIN
    derivative = g['kd'] / g['tau_s']
    decoder = np.r_[(g['kp'] + derivative) * signed, -derivative * np.r_[slow_w, -slow_w]] * scale
    readout = make_population('readout', 1, 'leaky_integrator', du=1.0, dv=1.0 - keep)
    conns = (
        Connection('encoder', 'hidden', np.clip(weight, -WEIGHT_BOUND, WEIGHT_BOUND)),
        Connection('hidden', 'readout', np.clip(decoder, -DECODER_BOUND, DECODER_BOUND)[None, :]),
    )
    return NetworkSpec((encoder, hidden, readout), conns, 'encoder', name='blimp_pd')


def _i_network(g: dict[str, float]) -> NetworkSpec:
    encoder, signed = _encoder(I_PAIRS, g['e_first_m'], g['e_last_m'])
    n_enc = 2 * I_PAIRS
    per_level = g['range_v'] / I_LEVELS  # command volts per firing hidden neuron
    # Threshold jump per metre of level width per encoder spike: a tick (STEPS_PER_TICK
    # spikes) moves theta by gamma * STEPS_PER_TICK * q(e), and each DELTA of theta is
    # per_level volts, so the readout carries ki * integral(q(e) dt) volts.
    gamma = g['ki'] * TICK_S * DELTA / (STEPS_PER_TICK * per_level)
    jumps = np.zeros((2 * I_LEVELS, n_enc))
    jumps[:I_LEVELS] = -gamma * signed  # positive integral lowers these thresholds
    jumps[I_LEVELS:] = gamma * signed  # negative integral lowers these
    vth = 1.0 + (np.arange(I_LEVELS) + 0.5) * DELTA  # fires while theta < -(k + 1/2) DELTA
    hidden = make_population(
        'hidden',
        2 * I_LEVELS,
        'adaptive_lif',
        reset='soft',
        du=1.0,
        dv=1.0,
        vth=np.r_[vth, vth],
        bias=1.0,
        dth=g['leak_per_s'] * TICK_S / STEPS_PER_TICK,
    )
    keep = g['keep']
    out = per_level * (1.0 - keep) / OUTPUT_GAIN
    readout = make_population('readout', 1, 'leaky_integrator', du=1.0, dv=1.0 - keep)
    conns = (
        Connection('encoder', 'hidden', np.zeros((2 * I_LEVELS, n_enc))),
        Connection(
            'hidden',
            'readout',
            np.clip(
                np.r_[np.full(I_LEVELS, out), np.full(I_LEVELS, -out)],
                -DECODER_BOUND,
                DECODER_BOUND,
            )[None, :],
        ),
        Connection('encoder', 'hidden', np.clip(jumps, -JUMP_BOUND, JUMP_BOUND), port='threshold'),
    )
    return NetworkSpec((encoder, hidden, readout), conns, 'encoder', name='blimp_i')


def design_genotype(role: str, **values: float) -> np.ndarray:
    """Return the unit-cube genotype of named gene values (unnamed genes at the centre, 0.5)."""
    genes = _genes(role)
    unknown = sorted(set(values) - {g.name for g in genes})
    if unknown:
        raise ValueError(
            f'unknown gene(s) {unknown} for role {role!r}; genes: {[g.name for g in genes]}'
        )
    return np.array([g.unit(values[g.name]) if g.name in values else 0.5 for g in genes])
