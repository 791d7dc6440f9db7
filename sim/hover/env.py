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
``HoverEnv``: altitude control of a body on a vertical slide, as a Gymnasium environment.

Observation ``[measured_altitude_m, setpoint_m]`` (float32), action ``[u]`` in
[-3.3, 3.3] with a deadzone, reward ``-|error|``. The altitude sensor adds Gaussian noise,
quantises to 1 cm and delays by a configurable number of control ticks, like a small
LiDAR. The MJCF model sits next to this file and is found through the package.
"""

from __future__ import annotations

import os
from typing import Any, Sequence

import gymnasium as gym
import mujoco
import numpy as np
from snn_control.sim.closed_loop import DelayedRangeSensor, setpoint_at

MODEL_PATH = os.path.join(os.path.dirname(__file__), 'hover.xml')
COMMAND_LIMIT = 3.3


class HoverEnv(gym.Env):
    """Hold or change altitude; ``setpoints`` is a list of (duration_s, altitude_m)."""

    metadata = {'render_modes': []}

    def __init__(
        self,
        setpoints: Sequence[tuple[float, float]] = ((10.0, 1.0), (10.0, 1.5)),
        control_dt: float = 0.05,
        initial_altitude: float = 0.5,
        net_buoyancy_n: float = 0.0,
        deadzone: float = 0.1,
        sensor_noise_m: float = 0.005,
        sensor_delay_ticks: int = 1,
    ) -> None:
        if control_dt <= 0:
            raise ValueError(f'control_dt must be positive, got {control_dt}')
        if not setpoints or any(d <= 0 for d, _ in setpoints):
            raise ValueError('setpoints must be a non-empty list of (duration_s > 0, altitude_m)')
        self.model = mujoco.MjModel.from_xml_path(MODEL_PATH)
        self.data = mujoco.MjData(self.model)
        self.control_dt = float(control_dt)
        self._substeps = max(1, int(round(control_dt / self.model.opt.timestep)))
        self.setpoints = [(float(d), float(z)) for d, z in setpoints]
        self.duration = sum(d for d, _ in self.setpoints)
        self.initial_altitude, self.net_buoyancy_n = initial_altitude, net_buoyancy_n
        self.deadzone, self.sensor_noise_m, self.sensor_delay_ticks = (
            deadzone,
            sensor_noise_m,
            sensor_delay_ticks,
        )
        self.action_space = gym.spaces.Box(-COMMAND_LIMIT, COMMAND_LIMIT, (1,), np.float32)
        self.observation_space = gym.spaces.Box(-np.inf, np.inf, (2,), np.float32)
        self._body = self.model.body('craft').id

    def setpoint_at(self, t: float) -> float:
        return setpoint_at(self.setpoints, t)

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[np.ndarray, dict]:
        super().reset(seed=seed)
        mujoco.mj_resetData(self.model, self.data)
        self.data.qpos[0] = self.initial_altitude
        self.data.xfrc_applied[self._body, 2] = self.net_buoyancy_n
        mujoco.mj_forward(self.model, self.data)
        self.time = 0.0
        self._sensor = DelayedRangeSensor(self.sensor_noise_m, self.sensor_delay_ticks)
        obs = np.array(
            [self._sensor.reset(self.initial_altitude), self.setpoint_at(0.0)], dtype=np.float32
        )
        return obs, {
            'altitude': self.initial_altitude,
            'setpoint': self.setpoint_at(0.0),
            'time': 0.0,
        }

    def step(self, action: np.ndarray) -> tuple[np.ndarray, float, bool, bool, dict]:
        u = float(np.asarray(action, dtype=np.float64).reshape(-1)[0])
        if not np.isfinite(u):
            raise ValueError(f'action must be finite, got {u}')
        u = float(np.clip(u, -COMMAND_LIMIT, COMMAND_LIMIT))
        if abs(u) < self.deadzone:
            u = 0.0
        self.data.ctrl[0] = u
        for _ in range(self._substeps):
            mujoco.mj_step(self.model, self.data)
        self.time += self.control_dt
        altitude = float(self.data.qpos[0])
        setpoint = self.setpoint_at(self.time)
        obs = np.array(
            [self._sensor.measure(float(self.data.qpos[0]), self.np_random), setpoint],
            dtype=np.float32,
        )
        truncated = self.time >= self.duration - 1e-9
        info = {'altitude': altitude, 'setpoint': setpoint, 'time': self.time, 'command': u}
        return obs, -abs(setpoint - altitude), False, truncated, info
