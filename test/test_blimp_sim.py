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

"""The blimp model: buoyancy, actuator (deadzone, shaft flip, lag), LiDAR, baselines."""

import numpy as np
import pytest
from snn_control.controllers.registry import make_controller
from snn_control.sim.blimp import BlimpAltitudeEnv, make_profile
from snn_control.sim.blimp.profiles import relative_steps
from snn_control.sim.closed_loop import run_closed_loop, step_metrics


def fly(env: BlimpAltitudeEnv, u: float, ticks: int) -> dict:
    info = {}
    for _ in range(ticks):
        _, _, _, _, info = env.step(np.array([u]))
    return info


def test_neutral_holds_negative_sinks():
    neutral = BlimpAltitudeEnv(initial_altitude=1.0, sensor_noise_m=0.0)
    neutral.reset(seed=0)
    assert fly(neutral, 0.0, 100)['altitude'] == pytest.approx(1.0, abs=1e-6)
    negative = BlimpAltitudeEnv(buoyancy='negative', initial_altitude=1.0)
    negative.reset(seed=0)
    assert fly(negative, 0.0, 50)['altitude'] < 0.8


def test_deadzone_lag_and_shaft_flip():
    env = BlimpAltitudeEnv(initial_altitude=1.0, sensor_noise_m=0.0)
    env.reset(seed=0)
    assert fly(env, 0.25, 5)['thrust'] == 0.0  # inside the 0.3 deadzone
    info = fly(env, 3.3, 1)
    assert 0 < info['thrust'] < 0.099  # first-order lag towards 0.099 N
    assert fly(env, 3.3, 20)['thrust'] == pytest.approx(0.099, rel=1e-3)
    assert fly(env, -3.3, 2)['thrust'] == 0.0  # the shaft is still turning (0.3 s)
    assert fly(env, -3.3, 20)['thrust'] == pytest.approx(-0.099, rel=1e-3)


def test_lidar_quantised_delayed_and_bounded():
    env = BlimpAltitudeEnv(initial_altitude=0.3, sensor_noise_m=0.0, sensor_delay_ticks=1)
    env.reset(seed=0)
    obs_true = []
    for _ in range(30):
        obs, _, _, _, info = env.step(np.array([-3.3]))
        obs_true.append((obs[0], info['altitude']))
    measured = np.array([o for o, _ in obs_true])
    true = np.array([t for _, t in obs_true])
    np.testing.assert_allclose(measured[1:], np.clip(np.round(true[:-1], 2), 0.1, 12.0), atol=1e-6)


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match="unknown buoyancy 'sinking'"):
        BlimpAltitudeEnv(buoyancy='sinking')
    with pytest.raises(ValueError, match="unknown profile 'zigzag'"):
        BlimpAltitudeEnv(profile='zigzag')
    with pytest.raises(
        ValueError, match=r"unknown BlimpAltitudeEnv parameter\(s\) \['lidar_hz'\]"
    ):
        BlimpAltitudeEnv(lidar_hz=100)
    env = BlimpAltitudeEnv()
    env.reset(seed=0)
    with pytest.raises(ValueError, match='finite'):
        env.step(np.array([np.inf]))


def test_profiles_follow_the_paper():
    assert [z for _, z in make_profile('absolute_steps')] == [0.5, 1.0, 1.5]
    assert [z for _, z in relative_steps(start=0.5)] == [1.5, 2.0, 2.0, 1.5, 0.5]
    assert all(d == 70.0 for d, _ in make_profile('relative_steps'))


def test_deterministic_under_seed():
    a = run_closed_loop(make_controller('blimp_pid', 0.1), BlimpAltitudeEnv(step_s=10), seed=3)
    b = run_closed_loop(make_controller('blimp_pid', 0.1), BlimpAltitudeEnv(step_s=10), seed=3)
    np.testing.assert_array_equal(a.altitude, b.altitude)


def test_pid_holds_steps_under_negative_buoyancy_and_pd_cannot():
    pid = step_metrics(
        run_closed_loop(
            make_controller('blimp_pid', 0.1),
            BlimpAltitudeEnv(buoyancy='negative', step_s=40),
            seed=0,
        ),
        steady_window_s=10,
    )
    pd = step_metrics(
        run_closed_loop(
            make_controller('blimp_pd', 0.1),
            BlimpAltitudeEnv(buoyancy='negative', step_s=40),
            seed=0,
        ),
        steady_window_s=10,
    )
    assert pid['steady_state_error_m'] < 0.03 and pid['overshoot_m'] < 0.15
    assert (
        pd['steady_state_error_m'] > 0.1
    )  # the ballast needs an integral term: the paper's I-SNN


def test_shipped_gains_are_what_the_tuning_ranks_first():
    from snn_control.controllers.baselines import BLIMP_PID
    from snn_control.controllers.pid import PIDGains
    from snn_control.sim.blimp.tune import score

    shipped = score(BLIMP_PID)
    for kp, ki, kd in [(6, 0.5, 8), (8, 1.0, 12), (4, 0.5, 8)]:  # neighbours in the grid
        assert shipped <= score(
            PIDGains(kp=kp, ki=ki, kd=kd, derivative_filter_s=0.2, integral_limit=1.5)
        )
