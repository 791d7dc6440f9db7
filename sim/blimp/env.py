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
``BlimpAltitudeEnv``: the micro-blimp's altitude loop as a Gymnasium environment.

Observation ``[measured_altitude_m, setpoint_m]`` (float32); action ``[u]``, the motor
command in [-3.3, 3.3] (volts on the paper's blimp). The actuator model follows the
blimp's rotating shaft: two coreless motors whose shaft turns 180 degrees to switch
between pushing up and down, so

* |u| below the deadzone (0.3, the flight code's) gives no thrust;
* thrust = ``thrust_per_volt * u`` (0.03 N/V: 0.1 N at full command, about 0.35 m/s^2 on
  the blimp's 0.17 kg plus added air mass, so 0.5 m steps take a few seconds);
* a change of the thrust's sign first turns the shaft: no thrust for ``shaft_flip_s``;
* the motors follow with a first-order lag ``motor_tau_s``.

The LiDAR (TFmini-S: 1 cm resolution, about +/- 1 cm) adds Gaussian noise, quantises to
1 cm, delays by ``sensor_delay_ticks`` control ticks and saturates to its range. Buoyancy:
"neutral" (0 g ballast) or "negative" (3 g ballast: 0.03 N down, a third of full thrust).
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
import os
from typing import Any, Sequence

import gymnasium as gym
import mujoco
import numpy as np
from snn_control.sim.blimp.profiles import make_profile, START_ALTITUDE_M
from snn_control.sim.closed_loop import DelayedRangeSensor, setpoint_at

MODEL_PATH = os.path.join(os.path.dirname(__file__), 'blimp.xml')
COMMAND_LIMIT = 3.3
BUOYANCY_BALLAST_G = {'neutral': 0.0, 'negative': 3.0}


@dataclass(frozen=True)
class BlimpConfig:
    control_dt: float = 0.1
    deadzone: float = 0.3
    thrust_per_volt: float = 0.03
    shaft_flip_s: float = 0.3
    motor_tau_s: float = 0.1
    sensor_noise_m: float = 0.01
    sensor_delay_ticks: int = 1
    sensor_min_m: float = 0.1
    sensor_max_m: float = 12.0
    ballast_g: float = 0.0

    def __post_init__(self) -> None:
        if not self.control_dt > 0:
            raise ValueError(f'control_dt must be positive, got {self.control_dt}')
        if self.sensor_delay_ticks < 0 or self.deadzone < 0 or self.thrust_per_volt <= 0:
            raise ValueError('sensor_delay_ticks and deadzone must be >= 0, thrust_per_volt > 0')


class BlimpAltitudeEnv(gym.Env):
    """Fly a setpoint profile; ``profile`` is a name (see profiles.py) or (duration_s, m) pairs."""

    metadata = {'render_modes': []}

    def __init__(
        self,
        profile: str | Sequence[tuple[float, float]] = 'absolute_steps',
        buoyancy: str | float = 'neutral',
        initial_altitude: float = START_ALTITUDE_M,
        step_s: float | None = None,
        **config: Any,
    ) -> None:
        known = {f.name for f in fields(BlimpConfig)}
        unknown = sorted(set(config) - known)
        if unknown:
            raise ValueError(
                f'unknown BlimpAltitudeEnv parameter(s) {unknown}; known: {sorted(known)}'
            )
        if isinstance(buoyancy, str):
            if buoyancy not in BUOYANCY_BALLAST_G:
                raise ValueError(
                    f'unknown buoyancy {buoyancy!r}; use one of {sorted(BUOYANCY_BALLAST_G)} or '
                    'grams'
                )
            ballast = BUOYANCY_BALLAST_G[buoyancy]
        else:
            ballast = float(buoyancy)
        self.config = replace(BlimpConfig(**config), ballast_g=ballast)
        if isinstance(profile, str):
            self.profile = make_profile(profile, step_s) if step_s else make_profile(profile)
        else:
            self.profile = [(float(d), float(z)) for d, z in profile]
        if not self.profile or any(d <= 0 for d, _ in self.profile):
            raise ValueError('a profile is a non-empty list of (duration_s > 0, altitude_m)')
        self.initial_altitude = float(initial_altitude)
        self.model = mujoco.MjModel.from_xml_path(MODEL_PATH)
        self.data = mujoco.MjData(self.model)
        body = self.model.body('blimp').id
        self._body = body
        # The envelope is trimmed (helium topped up) until the blimp floats: buoyancy equals
        # the weight without ballast. The MJCF's 0.170 kg matches the air its 0.1416 m^3
        # envelope displaces (1.2 kg/m^3) to 0.1 g; ballast then adds weight only.
        self.buoyancy_n = float(self.model.body_mass[body]) * -float(self.model.opt.gravity[2])
        self.model.body_mass[body] += self.config.ballast_g / 1000.0
        self.control_dt = self.config.control_dt
        self._substeps = max(1, int(round(self.control_dt / self.model.opt.timestep)))
        self.duration = sum(d for d, _ in self.profile)
        self.action_space = gym.spaces.Box(-COMMAND_LIMIT, COMMAND_LIMIT, (1,), np.float32)
        self.observation_space = gym.spaces.Box(-np.inf, np.inf, (2,), np.float32)

    def setpoint_at(self, t: float) -> float:
        return setpoint_at(self.profile, t)

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[np.ndarray, dict]:
        super().reset(seed=seed)
        mujoco.mj_resetData(self.model, self.data)
        self.data.qpos[0] = self.initial_altitude
        self.data.xfrc_applied[self._body, 2] = self.buoyancy_n
        mujoco.mj_forward(self.model, self.data)
        self.time = 0.0
        self.thrust = 0.0
        self._shaft_sign = 1.0
        self._flip_left = 0.0
        c = self.config
        self._sensor = DelayedRangeSensor(
            c.sensor_noise_m, c.sensor_delay_ticks, c.sensor_min_m, c.sensor_max_m
        )
        obs = np.array(
            [self._sensor.reset(self.initial_altitude), self.setpoint_at(0.0)], dtype=np.float32
        )
        return obs, {
            'altitude': self.initial_altitude,
            'setpoint': self.setpoint_at(0.0),
            'time': 0.0,
            'thrust': 0.0,
        }

    def _target_thrust(self, u: float) -> float:
        c = self.config
        u = float(np.clip(u, -COMMAND_LIMIT, COMMAND_LIMIT))
        if abs(u) < c.deadzone:
            return 0.0
        sign = 1.0 if u > 0 else -1.0
        if sign != self._shaft_sign:  # the shaft turns 180 degrees before thrust reverses
            self._shaft_sign = sign
            self._flip_left = c.shaft_flip_s
        return c.thrust_per_volt * u

    def step(self, action: np.ndarray) -> tuple[np.ndarray, float, bool, bool, dict]:
        u = float(np.asarray(action, dtype=np.float64).reshape(-1)[0])
        if not np.isfinite(u):
            raise ValueError(f'action must be finite, got {u}')
        target = self._target_thrust(u)
        dt = self.model.opt.timestep
        alpha = dt / (self.config.motor_tau_s + dt)
        for _ in range(self._substeps):
            if self._flip_left > 0:
                self._flip_left -= dt
                self.thrust = 0.0
            else:
                self.thrust += alpha * (target - self.thrust)
            self.data.ctrl[0] = self.thrust
            mujoco.mj_step(self.model, self.data)
        self.time += self.control_dt
        altitude = float(self.data.qpos[0])
        setpoint = self.setpoint_at(self.time)
        obs = np.array(
            [self._sensor.measure(float(self.data.qpos[0]), self.np_random), setpoint],
            dtype=np.float32,
        )
        truncated = self.time >= self.duration - 1e-9
        info = {
            'altitude': altitude,
            'setpoint': setpoint,
            'time': self.time,
            'thrust': self.thrust,
            'command': u,
        }
        return obs, -abs(setpoint - altitude), False, truncated, info
