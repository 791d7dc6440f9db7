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

"""Random networks covering every neuron model, both resets, recurrence and the threshold port."""

from __future__ import annotations

import numpy as np
from snn_control.engine.network import Connection, make_population, NetworkSpec


def random_network(seed: int, n_in: int = 12, n_hidden: int = 16, n_out: int = 3) -> NetworkSpec:
    rng = np.random.default_rng(seed)
    pops = (
        make_population(
            'enc',
            n_in,
            'cuba_lif',
            reset='soft',
            du=rng.uniform(0.1, 1, n_in),
            dv=rng.uniform(0, 0.5, n_in),
            vth=rng.uniform(0.5, 2, n_in),
            bias=rng.uniform(-0.2, 0.2, n_in),
        ),
        make_population(
            'hid',
            n_hidden,
            'adaptive_lif',
            du=rng.uniform(0.1, 1, n_hidden),
            dv=rng.uniform(0, 0.5, n_hidden),
            vth=rng.uniform(0.5, 2, n_hidden),
            dth=rng.uniform(0, 0.5, n_hidden),
            bias=rng.uniform(-0.1, 0.1, n_hidden),
        ),
        make_population(
            'out', n_out, 'leaky_integrator', du=1.0, dv=rng.uniform(0.05, 0.5, n_out)
        ),
    )
    recurrent = rng.normal(0, 0.5, (n_hidden, n_hidden)) * (rng.random((n_hidden, n_hidden)) < 0.3)
    conns = (
        Connection('enc', 'hid', rng.normal(0, 1, (n_hidden, n_in))),
        Connection('hid', 'hid', recurrent, sparse=True),
        Connection('enc', 'hid', np.abs(rng.normal(0, 0.3, (n_hidden, n_in))), port='threshold'),
        Connection('hid', 'out', rng.normal(0, 1, (n_out, n_hidden))),
    )
    return NetworkSpec(pops, conns, 'enc', name=f'random{seed}', metadata={'seed': seed})


def random_inputs(seed: int, steps: int, n_in: int = 12) -> np.ndarray:
    return np.random.default_rng(1000 + seed).normal(0, 1.5, (steps, n_in))


def xylo_network(seed: int = 0):
    """Return a random network that obeys Xylo's rules (host encoder, recurrent, 2 readouts)."""
    rng = np.random.default_rng(seed)
    encoder = make_population(
        'encoder', 8, 'cuba_lif', reset='soft', du=1.0, dv=1.0, vth=rng.uniform(0.1, 1, 8)
    )
    hidden = make_population(
        'hidden',
        30,
        'cuba_lif',
        reset='soft',
        du=0.5,
        dv=np.where(rng.random(30) < 0.5, 1.0, 0.25),
        vth=rng.uniform(1.0, 3.0, 30),
    )
    readout = make_population('readout', 2, 'leaky_integrator', du=0.5, dv=0.125)
    conns = (
        Connection('encoder', 'hidden', rng.normal(0, 1, (30, 8)) * (rng.random((30, 8)) < 0.6)),
        Connection(
            'hidden', 'hidden', rng.normal(0, 0.3, (30, 30)) * (rng.random((30, 30)) < 0.2)
        ),
        Connection('hidden', 'readout', rng.normal(0, 0.5, (2, 30))),
    )
    return NetworkSpec((encoder, hidden, readout), conns, 'encoder', name='xylo_random')
