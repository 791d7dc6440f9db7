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

"""The smallest closed loop: hover plant physics and the ROS-free run."""

import json
import os
import sys

import numpy as np
import pytest
from snn_control.controllers.registry import make_controller
from snn_control.processes import run_bounded
from snn_control.sim.closed_loop import run_closed_loop, step_metrics
from snn_control.sim.hover import HoverEnv


def test_neutral_plant_holds_and_negative_buoyancy_sinks():
    env = HoverEnv(setpoints=[(5.0, 1.0)], initial_altitude=1.0, sensor_noise_m=0.0)
    env.reset(seed=0)
    for _ in range(100):
        _, _, _, _, info = env.step(np.array([0.0]))
    assert info['altitude'] == pytest.approx(1.0, abs=1e-9)
    sink = HoverEnv(setpoints=[(5.0, 1.0)], initial_altitude=1.0, net_buoyancy_n=-0.01)
    sink.reset(seed=0)
    for _ in range(40):
        _, _, _, _, info = sink.step(np.array([0.0]))
    assert info['altitude'] < 0.9


def test_deadzone_saturation_and_bad_action():
    env = HoverEnv(sensor_noise_m=0.0)
    env.reset(seed=0)
    assert env.step(np.array([0.05]))[4]['command'] == 0.0
    assert env.step(np.array([10.0]))[4]['command'] == 3.3
    with pytest.raises(ValueError, match='finite'):
        env.step(np.array([np.nan]))


def test_sensor_delay_and_quantisation():
    env = HoverEnv(sensor_noise_m=0.0, sensor_delay_ticks=2, initial_altitude=0.5)
    env.reset(seed=0)
    measured, true = [], []
    for _ in range(30):
        obs, _, _, _, info = env.step(np.array([3.3]))
        measured.append(obs[0])
        true.append(info['altitude'])
    np.testing.assert_allclose(measured[2:], np.round(true[:-2], 2), atol=1e-6)


@pytest.mark.parametrize(
    'name, params', [('spiking_pd', {}), ('pid', {'derivative_filter_s': 0.1})]
)
def test_controllers_reach_each_setpoint(name, params):
    controller = make_controller(
        name, 0.05, kp=6.0, kd=8.0, command_low=-3.3, command_high=3.3, **params
    )
    trace = run_closed_loop(controller, HoverEnv(setpoints=[(15.0, 1.0), (15.0, 0.6)]), seed=1)
    metrics = step_metrics(trace)
    assert metrics['steady_state_error_m'] < 0.02 and metrics['overshoot_m'] < 0.05
    assert np.all(np.isfinite(trace.command)) and np.abs(trace.command).max() <= 3.3
    if name == 'spiking_pd':
        assert (
            trace.spikes['encoder'].shape == (len(trace.time), 80)
            and trace.spikes['encoder'].any()
        )


def test_main_job_prints_metrics_and_writes_the_plot(tmp_path):
    exe = os.path.join(os.path.dirname(sys.executable), 'snn-control')
    out = run_bounded([exe, 'run', 'hover', '--out', str(tmp_path)], timeout=120)
    assert out.returncode == 0, out.stderr
    report = json.loads(out.stdout.strip().splitlines()[-1])
    assert set(report) == {'spiking PD', 'PID'} and report['spiking PD']['rmse_m'] < 0.3
    assert (tmp_path / 'hover.png').stat().st_size > 20_000
