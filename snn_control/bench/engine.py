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
``snn-control bench engine``: cost of the SNN engine and of the ROS 2 loop.

Figures (all measured in one run, one core for the numeric libraries):

* ``step_us_batch1``: one control tick of a 160-neuron, 3-layer spiking controller
  (paired encoder, hidden LIF layer, leaky-integrator readout; encoder + network step +
  readout) on the numpy path, microseconds, median of repeated blocks.
* ``step_us_batch1_torch``: the same network step on torch, for comparison.
* ``neuron_updates_per_s_batch1024``: torch, batch 1024, float32, neurons x batch / s,
  with the step compiled by ``torch.compile`` (``..._eager`` without).
* ``lava_step_us``: one streamed step of the same network in Lava (``Loihi2SimCfg``,
  floating point, Injector -> network -> Extractors).
* ``ros_latency_ms_median`` / ``ros_latency_ms_p99``: sensor -> controller node -> command
  across two processes at 100 Hz over Fast DDS.
"""

from __future__ import annotations

import statistics
import time
from typing import Any, Callable

import numpy as np
from snn_control.engine.coding import PairedCurrent
from snn_control.engine.network import Connection, make_population, NetworkSpec

N_PAIRS, N_HIDDEN, N_READOUT = 20, 110, 10  # 40 + 110 + 10 = 160 neurons


def controller_network(seed: int = 0) -> NetworkSpec:
    """Return a 160-neuron, 3-layer controller network with the blimp controllers' structure."""
    rng = np.random.default_rng(seed)
    n_enc = 2 * N_PAIRS
    bias = np.tile(rng.uniform(-0.2, 0.2, N_PAIRS), 2)  # shared bias within each pair
    pops = (
        make_population(
            'encoder',
            n_enc,
            'cuba_lif',
            reset='soft',
            du=1.0,
            dv=rng.uniform(0, 0.3, n_enc),
            vth=rng.uniform(0.5, 1.5, n_enc),
            bias=bias,
        ),
        make_population(
            'hidden',
            N_HIDDEN,
            'cuba_lif',
            du=rng.uniform(0.2, 1, N_HIDDEN),
            dv=rng.uniform(0, 0.3, N_HIDDEN),
            vth=rng.uniform(0.5, 2, N_HIDDEN),
        ),
        make_population('readout', N_READOUT, 'leaky_integrator', du=1.0, dv=0.3),
    )
    conns = (
        Connection('encoder', 'hidden', rng.normal(0, 1, (N_HIDDEN, n_enc))),
        Connection('hidden', 'readout', rng.normal(0, 0.3, (N_READOUT, N_HIDDEN))),
    )
    return NetworkSpec(pops, conns, 'encoder', name='bench160')


def _median_us(fn: Callable[[], Any], calls: int, blocks: int = 7) -> float:
    for _ in range(min(calls, 200)):
        fn()
    samples = []
    for _ in range(blocks):
        t0 = time.perf_counter()
        for _ in range(calls):
            fn()
        samples.append((time.perf_counter() - t0) / calls * 1e6)
    return statistics.median(samples)


def run(
    include_lava: bool = True, include_ros: bool = True, quick: bool = False
) -> dict[str, float]:
    from snn_control.controllers.spiking import SpikingController
    from snn_control.engine.simulator import Simulator
    from threadpoolctl import threadpool_limits
    import torch

    torch.set_num_threads(1)
    spec = controller_network()
    results: dict[str, float] = {'neurons': float(spec.n_neurons)}
    rng = np.random.default_rng(1)
    errors = rng.normal(0, 0.5, 4096)
    # Lava's step includes the round trip to its supervised host process (lava_backend).
    if include_lava:
        from snn_control.engine.lava_backend import LavaNetwork

        x = np.zeros(spec.n_inputs)
        with LavaNetwork(spec, 'float') as net:
            results['lava_step_us'] = round(
                _median_us(lambda: net.step(x), 30 if quick else 200, blocks=3), 1
            )

    with threadpool_limits(1):
        ctrl = SpikingController(
            spec,
            PairedCurrent(rng.uniform(0.5, 2, N_PAIRS)),
            ['readout'],
            dt=0.01,
            command_low=-3.3,
            command_high=3.3,
        )
        i = iter(range(10**9))
        results['step_us_batch1'] = round(
            _median_us(lambda: ctrl.step(errors[next(i) % 4096:][:1]), 500 if quick else 5000), 2
        )
        sim_t = Simulator(spec, library='torch')
        x1 = torch.zeros(1, spec.n_inputs)
        results['step_us_batch1_torch'] = round(
            _median_us(lambda: sim_t.step(x1), 200 if quick else 2000), 2
        )
        batch = 1024
        xb = torch.tensor(rng.normal(0, 1, (batch, spec.n_inputs)), dtype=torch.float32)
        for compiled, key in (
            (True, 'neuron_updates_per_s_batch1024'),
            (False, 'neuron_updates_per_s_batch1024_eager'),
        ):
            sim_b = Simulator(spec, library='torch', batch_size=batch, compile=compiled)
            step_us = _median_us(lambda: sim_b.step(xb), 20 if quick else 200, blocks=5)
            results[key] = float(f'{batch * spec.n_neurons / (step_us * 1e-6):.4g}')
    if include_ros:
        from snn_control.ros.latency_bench import measure_latency

        lat = measure_latency(duration_s=3.0 if quick else 10.0, rate_hz=100.0)
        results['ros_latency_ms_median'] = round(lat['ros_latency_ms_median'], 3)
        results['ros_latency_ms_p99'] = round(lat['ros_latency_ms_p99'], 3)
    return results
