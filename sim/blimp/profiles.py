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
Setpoint profiles of the paper: absolute and relative altitude steps, 70 s each.

A profile is a list of (duration_s, altitude_m). Both start from ``START_ALTITUDE_M``.
"""

from __future__ import annotations

import numpy as np

START_ALTITUDE_M = 0.5
STEP_S = 70.0


def absolute_steps(step_s: float = STEP_S) -> list[tuple[float, float]]:
    """0.5 -> 1.0 -> 1.5 m (the first step holds the start altitude)."""
    return [(step_s, 0.5), (step_s, 1.0), (step_s, 1.5)]


def relative_steps(
    step_s: float = STEP_S, start: float = START_ALTITUDE_M
) -> list[tuple[float, float]]:
    """+1, +0.5, 0, -0.5, -1 m, each relative to the previous setpoint."""
    out, z = [], start
    for dz in (1.0, 0.5, 0.0, -0.5, -1.0):
        z += dz
        out.append((step_s, round(z, 6)))
    return out


def random_steps(
    seed: int, n: int = 6, step_s: float = 20.0, low: float = 0.4, high: float = 2.0
) -> list[tuple[float, float]]:
    """Random setpoints for training data (seeded)."""
    rng = np.random.default_rng(seed)
    return [(step_s, float(z)) for z in rng.uniform(low, high, n).round(2)]


PROFILES = {'absolute_steps': absolute_steps, 'relative_steps': relative_steps}


def make_profile(name: str, step_s: float = STEP_S) -> list[tuple[float, float]]:
    if name not in PROFILES:
        raise ValueError(f'unknown profile {name!r}; known: {sorted(PROFILES)}')
    return PROFILES[name](step_s)
