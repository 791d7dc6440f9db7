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
The blimp's two SNNs as functions of one flat parameter vector (what CMA-ES evolves).

This module is the *direct* genotype (every weight a gene, as in the paper);
:mod:`snn_control.blimp.thermometer` is the compact one the shipped networks grew from.
:func:`genotype` names both for the evolution code.

Structure (Burgers et al. 2023), one network per role, each under 80 neurons:

* encoder: ``N_PAIRS`` pairs of CUBA-LIF neurons fed ``+w_k e`` and ``-w_k e`` (the paired
  encoder) with a bias shared within each pair;
* hidden: ``N_HIDDEN`` CUBA-LIF neurons (PD role) or adaptive-threshold LIF neurons whose
  threshold rises with each encoder spike by evolved jumps (I role, the paper's IWTA);
* decoder: one leaky-integrator readout; in the I role its decay is bounded to [0, 0.3] so
  that the integration has to happen in the spiking layer.

Every parameter lives in [0, 1] inside the optimiser and is mapped onto the paper's
bounds here, so CMA-ES's initial step of 0.1 is one tenth of every range. Weights,
biases and thresholds map linearly; decays map as ``x**3``: still the paper's [0, 1], but
the slow decays that hold a memory (an integrator needs a threshold decay near 0) are as
reachable from the start point 0.5 (decay 0.125) as the fast ones. The hidden neurons get
a bias as well (the paper's have none): it lets a hidden neuron idle at a set rate that the
encoder then modulates up or down.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import numpy as np
from snn_control.engine.network import Connection, make_population, NetworkSpec

N_PAIRS = 5
N_HIDDEN = 20
STEPS_PER_TICK = 3  # two synaptic hops from error to command, plus one step to integrate
OUTPUT_GAIN = 3.3  # readout 1.0 == full command

ROLES = ('pd', 'i')


@dataclass(frozen=True)
class Block:
    name: str
    shape: tuple[int, ...]
    low: float
    high: float
    cubic: bool = False  # decays: x**3 (see the module docstring)

    @property
    def size(self) -> int:
        return int(np.prod(self.shape))


def parameter_blocks(role: str) -> tuple[Block, ...]:
    """Return the evolved parameters of a role with the paper's bounds."""
    if role not in ROLES:
        raise ValueError(f'unknown role {role!r}; choose from {ROLES}')
    n_enc = 2 * N_PAIRS
    blocks = [
        Block('encoder_weight', (N_PAIRS,), -2.0, 2.0),
        Block('encoder_bias', (N_PAIRS,), -1.0, 1.0),
        Block('encoder_vth', (n_enc,), 0.0, 10.0),
        Block('encoder_du', (n_enc,), 0.0, 1.0, cubic=True),
        Block('encoder_dv', (n_enc,), 0.0, 1.0, cubic=True),
        Block('hidden_weight', (N_HIDDEN, n_enc), -2.0, 2.0),
        Block('hidden_bias', (N_HIDDEN,), -1.0, 1.0),
        Block('hidden_vth', (N_HIDDEN,), 0.0, 10.0),
        Block('hidden_du', (N_HIDDEN,), 0.0, 1.0, cubic=True),
        Block('hidden_dv', (N_HIDDEN,), 0.0, 1.0, cubic=True),
        Block('decoder_weight', (1, N_HIDDEN), -1.0, 1.0),
        # Fraction of the readout kept per step (the paper's decoder decay): the I role is
        # bounded to [0, 0.3] so that its memory has to live in the spiking layer.
        Block('decoder_keep', (1,), 0.0, 1.0 if role == 'pd' else 0.3),
    ]
    if role == 'i':
        blocks += [
            Block('threshold_jump', (N_HIDDEN, n_enc), -1.0, 1.0),
            Block('hidden_dth', (N_HIDDEN,), 0.0, 1.0, cubic=True),
        ]
    return tuple(blocks)


def n_parameters(role: str) -> int:
    return sum(b.size for b in parameter_blocks(role))


def decode(role: str, x01: np.ndarray) -> dict[str, np.ndarray]:
    """Unit-cube vector -> named parameters within their bounds (values outside are clipped)."""
    x01 = np.clip(np.asarray(x01, dtype=np.float64), 0.0, 1.0)
    if x01.size != n_parameters(role):
        raise ValueError(f'role {role!r} has {n_parameters(role)} parameters, got {x01.size}')
    out, i = {}, 0
    for b in parameter_blocks(role):
        x = x01[i:i + b.size] ** 3 if b.cubic else x01[i:i + b.size]
        out[b.name] = (b.low + (b.high - b.low) * x).reshape(b.shape)
        i += b.size
    return out


def build_network(role: str, x01: np.ndarray) -> NetworkSpec:
    """Return the NetworkSpec of one candidate."""
    p = decode(role, x01)
    hidden_model = 'adaptive_lif' if role == 'i' else 'cuba_lif'
    hidden_extra = {'dth': p['hidden_dth']} if role == 'i' else {}
    pops = (
        make_population(
            'encoder',
            2 * N_PAIRS,
            'cuba_lif',
            reset='soft',
            du=p['encoder_du'],
            dv=p['encoder_dv'],
            vth=p['encoder_vth'],
            bias=np.tile(p['encoder_bias'], 2),
        ),
        make_population(
            'hidden',
            N_HIDDEN,
            hidden_model,
            reset='soft',
            du=p['hidden_du'],
            dv=p['hidden_dv'],
            vth=p['hidden_vth'],
            bias=p['hidden_bias'],
            **hidden_extra,
        ),
        make_population('readout', 1, 'leaky_integrator', du=1.0, dv=1.0 - p['decoder_keep']),
    )
    conns = [
        Connection('encoder', 'hidden', p['hidden_weight']),
        Connection('hidden', 'readout', p['decoder_weight']),
    ]
    if role == 'i':
        conns.append(Connection('encoder', 'hidden', p['threshold_jump'], port='threshold'))
    meta = {
        'role': role,
        'genotype': 'direct',
        'encoder': 'paired',
        'encoder_weights': p['encoder_weight'].tolist(),
        'readouts': ['readout'],
        'output_gain': OUTPUT_GAIN,
        'steps_per_tick': STEPS_PER_TICK,
        'command_low': -3.3,
        'command_high': 3.3,
        'input_range': 8.0,
    }
    return NetworkSpec(pops, tuple(conns), 'encoder', name=f'blimp_{role}', metadata=meta)


def encode(role: str, spec: NetworkSpec) -> np.ndarray:
    """Return the unit-cube vector of a built network (the inverse of ``build_network``)."""
    enc, hid, out = (spec.population(n).params for n in ('encoder', 'hidden', 'readout'))
    weights = {(c.source, c.target, c.port): c.weight for c in spec.connections}
    values = {
        'encoder_weight': np.asarray(spec.metadata['encoder_weights']),
        'encoder_bias': enc['bias'][:N_PAIRS],
        'encoder_vth': enc['vth'],
        'encoder_du': enc['du'],
        'encoder_dv': enc['dv'],
        'hidden_weight': weights[('encoder', 'hidden', 'current')],
        'hidden_bias': hid['bias'],
        'hidden_vth': hid['vth'],
        'hidden_du': hid['du'],
        'hidden_dv': hid['dv'],
        'decoder_weight': weights[('hidden', 'readout', 'current')],
        'decoder_keep': 1.0 - out['dv'],
    }
    if role == 'i':
        values['threshold_jump'] = weights[('encoder', 'hidden', 'threshold')]
        values['hidden_dth'] = hid['dth']
    parts = []
    for b in parameter_blocks(role):
        y = (np.asarray(values[b.name], dtype=np.float64).reshape(-1) - b.low) / (b.high - b.low)
        parts.append(np.cbrt(y) if b.cubic else y)
    return np.clip(np.concatenate(parts), 0.0, 1.0)


@dataclass(frozen=True)
class Genotype:
    """
    How a unit-cube vector becomes a network: what CMA-ES searches over.

    ``direct`` (this module) sets every weight, as the paper did; ``thermometer``
    (:mod:`snn_control.blimp.thermometer`) grows the network from a dozen genes.
    """

    name: str
    n_parameters: Callable[[str], int]
    build_network: Callable[[str, np.ndarray], NetworkSpec]
    encode: Callable[[str, NetworkSpec], np.ndarray]
    #: CMA-ES's initial step in the unit cube, in stage 1 (mimicry) and stage 2 (closed loop).
    mimic_sigma: float
    tune_sigma: float
    #: Steps many candidates' networks as one batch (``step(errors) -> commands``).
    batch: Callable[[list[NetworkSpec]], Any] = None  # type: ignore[assignment]

    def __post_init__(self) -> None:
        if self.batch is None:
            object.__setattr__(self, 'batch', _torch_batch)


def _torch_batch(specs: list[NetworkSpec]) -> Any:
    from snn_control.blimp.evolve import BatchedSnn

    return BatchedSnn(specs)


GENOTYPES = ('direct', 'thermometer', 'xylo')


def genotype(name: str) -> Genotype:
    """Return the genotype called ``name`` (:data:`GENOTYPES`)."""
    if name == 'direct':
        # The paper's step: a tenth of every range.
        return Genotype(
            'direct', n_parameters, build_network, encode, mimic_sigma=0.1, tune_sigma=0.03
        )
    if name == 'thermometer':
        from snn_control.blimp import thermometer

        # A dozen genes on log ranges: a fifth of each range explores them in tens of generations.
        return Genotype(
            'thermometer',
            thermometer.n_parameters,
            thermometer.build_network,
            thermometer.encode,
            mimic_sigma=0.2,
            tune_sigma=0.05,
        )
    if name == 'xylo':
        from snn_control.blimp import thermometer, xylo_native
        from snn_control.blimp.data import LIMIT

        # The thermometer's genes, grown within Xylo's rules and run on its integers.
        return Genotype(
            'xylo',
            thermometer.n_parameters,
            xylo_native.build_network,
            xylo_native.encode,
            mimic_sigma=0.2,
            tune_sigma=0.05,
            batch=lambda specs: xylo_native.BatchedXylo(specs, LIMIT),
        )
    raise ValueError(f'unknown genotype {name!r}; choose from {GENOTYPES}')


def genotype_of(spec: NetworkSpec) -> Genotype:
    """Return the genotype a blimp network file was built from (files before genotypes: direct)."""
    return genotype(str(spec.metadata.get('genotype', 'direct')))
