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
``SwimmerEnv``: an N-link swimmer in a viscous medium and NCAP's swim task (Gymnasium).

The body follows dm_control's suite swimmer: ``n_links`` capsule segments of 0.1 m joined
by ``n_links - 1`` hinge joints, each limited to +/- 360/n_links degrees, one motor per
joint (command in [-1, 1]); fluid forces from MuJoCo's inertia-box model (density 3000).
Control step 0.03 s (15 physics steps of 0.002 s), episodes of 1000 control steps.

Task ("swim", Bhattasali et al. 2022): reward = linear tolerance on the head's forward
velocity, 0 at or below 0 m/s and 1 at or above 0.1 m/s (maximum return 1000). Forward is
the head's own -y axis, the direction it points in.

Observation (float64): joint angles (n_links - 1), joint velocities (n_links - 1), head
velocity in the head frame (x, y), and the episode step (for time-driven controllers such
as NCAP's head oscillator). ``info`` carries ``forward_velocity`` and ``head_xy``.
"""

from __future__ import annotations

import os
from typing import Any
import xml.etree.ElementTree as ET

import gymnasium as gym
import mujoco
import numpy as np

TEMPLATE_PATH = os.path.join(os.path.dirname(__file__), 'swimmer.xml')
CONTROL_DT = 0.03
EPISODE_STEPS = 1000
DESIRED_SPEED = 0.1
SEGMENT_M = 0.1


def joint_limit_rad(n_links: int) -> float:
    return float(np.deg2rad(360.0 / n_links))


def make_model_xml(n_links: int) -> str:
    """Return the MJCF of a swimmer with ``n_links`` segments (>= 2)."""
    if not isinstance(n_links, (int, np.integer)) or n_links < 2:
        raise ValueError(f'a swimmer needs at least 2 links, got {n_links!r}')
    root = ET.parse(TEMPLATE_PATH).getroot()
    parent = root.find("./worldbody/body[@name='head']")
    actuator = ET.SubElement(root, 'actuator')
    limit = 360.0 / n_links
    for i in range(n_links - 1):
        body = ET.SubElement(parent, 'body', name=f'segment_{i}', pos=f'0 {SEGMENT_M} 0')
        ET.SubElement(body, 'geom', name=f'segment_{i}_inertial', attrib={'class': 'inertial'})
        ET.SubElement(body, 'geom', name=f'segment_{i}_visual', attrib={'class': 'visual'})
        ET.SubElement(body, 'joint', name=f'joint_{i}', range=f'{-limit} {limit}')
        ET.SubElement(actuator, 'motor', name=f'motor_{i}', joint=f'joint_{i}')
        parent = body
    return ET.tostring(root, encoding='unicode')


def tolerance_reward(forward_velocity: float) -> float:
    """
    Compute dm_control's tolerance reward of ``v``.

    ``tolerance(v, bounds=(0.1, inf), margin=0.1, sigmoid='linear', value_at_margin=0)``.
    """
    return float(np.clip(forward_velocity / DESIRED_SPEED, 0.0, 1.0))


class SwimmerEnv(gym.Env):
    metadata = {'render_modes': ['rgb_array'], 'render_fps': int(round(1 / CONTROL_DT))}

    def __init__(
        self,
        n_links: int = 6,
        episode_steps: int = EPISODE_STEPS,
        render_mode: str | None = None,
        initial_noise: float = 0.0,
    ) -> None:
        self.n_links = int(n_links)
        self.n_joints = self.n_links - 1
        self.model = mujoco.MjModel.from_xml_string(make_model_xml(self.n_links))
        self.data = mujoco.MjData(self.model)
        self.episode_steps = int(episode_steps)
        self.initial_noise = float(initial_noise)
        self.joint_limit = joint_limit_rad(self.n_links)
        self._substeps = int(round(CONTROL_DT / self.model.opt.timestep))
        self._joint_qpos = np.array(
            [
                self.model.jnt_qposadr[self.model.joint(f'joint_{i}').id]
                for i in range(self.n_joints)
            ]
        )
        self._joint_qvel = np.array(
            [
                self.model.jnt_dofadr[self.model.joint(f'joint_{i}').id]
                for i in range(self.n_joints)
            ]
        )
        self._head = self.model.body('head').id
        self._head_vel = self.model.sensor('head_vel').adr[0]
        self.render_mode = render_mode
        self._renderer = None
        self.action_space = gym.spaces.Box(-1.0, 1.0, (self.n_joints,), np.float64)
        self.observation_space = gym.spaces.Box(
            -np.inf, np.inf, (2 * self.n_joints + 3,), np.float64
        )

    def _observation(self) -> np.ndarray:
        vel = self.data.sensordata[self._head_vel:self._head_vel + 2]
        return np.concatenate(
            [
                self.data.qpos[self._joint_qpos],
                self.data.qvel[self._joint_qvel],
                vel,
                [float(self.steps)],
            ]
        )

    def forward_velocity(self) -> float:
        return float(-self.data.sensordata[self._head_vel + 1])

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[np.ndarray, dict]:
        super().reset(seed=seed)
        mujoco.mj_resetData(self.model, self.data)
        if self.initial_noise:
            self.data.qpos[self._joint_qpos] = (
                self.np_random.uniform(-1, 1, self.n_joints)
                * self.initial_noise
                * self.joint_limit
            )
        mujoco.mj_forward(self.model, self.data)
        self.steps = 0
        return self._observation(), {
            'forward_velocity': 0.0,
            'head_xy': self.data.xpos[self._head, :2].copy(),
        }

    def step(self, action: np.ndarray) -> tuple[np.ndarray, float, bool, bool, dict]:
        u = np.asarray(action, dtype=np.float64).reshape(-1)
        if u.shape != (self.n_joints,):
            raise ValueError(
                f'action must have {self.n_joints} entries (one per joint), got shape {u.shape}'
            )
        if not np.all(np.isfinite(u)):
            raise ValueError(f'action must be finite, got {u}')
        self.data.ctrl[:] = np.clip(u, -1.0, 1.0)
        mujoco.mj_step(self.model, self.data, nstep=self._substeps)
        self.steps += 1
        v = self.forward_velocity()
        info = {'forward_velocity': v, 'head_xy': self.data.xpos[self._head, :2].copy()}
        return (
            self._observation(),
            tolerance_reward(v),
            False,
            self.steps >= self.episode_steps,
            info,
        )

    def joint_angles(self, observation: np.ndarray) -> np.ndarray:
        return observation[: self.n_joints]

    def render(self) -> np.ndarray | None:
        if self.render_mode != 'rgb_array':
            return None
        if self._renderer is None:
            self._renderer = mujoco.Renderer(self.model, 240, 320)
        self._renderer.update_scene(self.data, camera='top')
        return self._renderer.render()

    def close(self) -> None:
        if self._renderer is not None:
            self._renderer.close()
            self._renderer = None
