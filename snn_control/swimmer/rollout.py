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

"""Episodes of a controller on the swimmer (shared by training, benchmarks and tests)."""

from __future__ import annotations

import numpy as np
from snn_control.controllers.base import Controller


def rollout(
    controller: Controller,
    n_links: int = 6,
    seed: int = 0,
    steps: int | None = None,
    initial_noise: float = 0.0,
    record: bool = False,
) -> dict:
    """One episode; returns ``return``, ``steps``, ``distance_m`` and, with ``record``, traces."""
    from snn_control.sim.swimmer import SwimmerEnv

    env = SwimmerEnv(
        n_links, **({'episode_steps': steps} if steps else {}), initial_noise=initial_noise
    )
    obs, info = env.reset(seed=seed)
    start = info['head_xy']
    controller.reset()
    total, n = 0.0, 0
    trace: dict[str, list] = {'torque': [], 'velocity': [], 'head_xy': [], 'spikes': []}
    while True:
        action = controller.step(obs)
        obs, reward, _, truncated, info = env.step(action)
        total += reward
        n += 1
        if record:
            trace['torque'].append(action)
            trace['velocity'].append(info['forward_velocity'])
            trace['head_xy'].append(info['head_xy'])
            trace['spikes'].append(controller.last_spikes())
        if truncated:
            break
    out = {
        'return': total,
        'steps': n,
        'distance_m': float(np.linalg.norm(info['head_xy'] - start)),
    }
    if record:
        out['trace'] = trace
    return out
