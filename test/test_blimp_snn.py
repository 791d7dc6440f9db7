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

"""The shipped, evolved blimp SNNs: size, closed loop, and the same commands on every backend."""

import numpy as np
from snn_control.blimp.controller import blimp_snn, weights_path
from snn_control.engine.network import NetworkSpec
from snn_control.sim.blimp import BlimpAltitudeEnv
from snn_control.sim.closed_loop import run_closed_loop


def test_shipped_networks_load_and_fit_the_papers_budget():
    specs = [NetworkSpec.load(weights_path(role)) for role in ('pd', 'i')]
    assert all(s.n_neurons <= 80 for s in specs) and sum(s.n_neurons for s in specs) <= 160
    for s in specs:
        assert 'command' in s.metadata and 'seed' in s.metadata  # how to reproduce it


def test_closed_loop_commands_are_finite_and_saturated():
    trace = run_closed_loop(blimp_snn(), BlimpAltitudeEnv(buoyancy='negative', step_s=15), seed=0)
    assert np.all(np.isfinite(trace.command)) and np.abs(trace.command).max() <= 3.3
    assert set(trace.spikes) == {'pd.encoder', 'pd.hidden', 'i.encoder', 'i.hidden'}


def _closed_loop_commands(backend: str, ticks: int = 40) -> np.ndarray:
    """Commands of the SNN flying the MuJoCo blimp (each command changes what it sees next)."""
    controller = blimp_snn(backend=backend)
    try:
        env = BlimpAltitudeEnv('relative_steps', buoyancy='negative', step_s=2.0)
        return run_closed_loop(controller, env, seed=4, max_ticks=ticks).command
    finally:
        controller.close()


def test_same_closed_loop_on_torch_and_lava():
    torch_run, lava_run = _closed_loop_commands('torch'), _closed_loop_commands('lava-float')
    assert np.abs(torch_run).max() > 0.3  # the loop is exercised, not idle
    np.testing.assert_allclose(torch_run, lava_run, atol=1e-4)


def test_same_closed_loop_bit_exact_in_fixed_point():
    np.testing.assert_array_equal(
        _closed_loop_commands('numpy-fixed'), _closed_loop_commands('lava-fixed')
    )
