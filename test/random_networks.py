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

from snn_control.engine.network import Connection, NetworkSpec, make_population


def random_network(seed: int, n_in: int = 12, n_hidden: int = 16, n_out: int = 3) -> NetworkSpec:
    rng = np.random.default_rng(seed)
    pops = (
        make_population(
            "enc",
            n_in,
            "cuba_lif",
            reset="soft",
            du=rng.uniform(0.1, 1, n_in),
            dv=rng.uniform(0, 0.5, n_in),
            vth=rng.uniform(0.5, 2, n_in),
            bias=rng.uniform(-0.2, 0.2, n_in),
        ),
        make_population(
            "hid",
            n_hidden,
            "adaptive_lif",
            du=rng.uniform(0.1, 1, n_hidden),
            dv=rng.uniform(0, 0.5, n_hidden),
            vth=rng.uniform(0.5, 2, n_hidden),
            dth=rng.uniform(0, 0.5, n_hidden),
            bias=rng.uniform(-0.1, 0.1, n_hidden),
        ),
        make_population(
            "out", n_out, "leaky_integrator", du=1.0, dv=rng.uniform(0.05, 0.5, n_out)
        ),
    )
    recurrent = rng.normal(0, 0.5, (n_hidden, n_hidden)) * (rng.random((n_hidden, n_hidden)) < 0.3)
    conns = (
        Connection("enc", "hid", rng.normal(0, 1, (n_hidden, n_in))),
        Connection("hid", "hid", recurrent, sparse=True),
        Connection("enc", "hid", np.abs(rng.normal(0, 0.3, (n_hidden, n_in))), port="threshold"),
        Connection("hid", "out", rng.normal(0, 1, (n_out, n_hidden))),
    )
    return NetworkSpec(pops, conns, "enc", name=f"random{seed}", metadata={"seed": seed})


def random_inputs(seed: int, steps: int, n_in: int = 12) -> np.ndarray:
    return np.random.default_rng(1000 + seed).normal(0, 1.5, (steps, n_in))
