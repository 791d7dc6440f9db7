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
Training sets for the two SNNs: error signals and the controller outputs to mimic.

* PD role: error signals of blimp flights (``BlimpAltitudeEnv``) flown by semi-randomly
  tuned PIDs (gains scaled by U(0.5, 1.5)) through random setpoints with random ballast
  (U(-3, 3) g), and as targets the tuned PD (``BLIMP_PD``) applied to those errors.
* I role: error signals of a double integrator ``x'' = u + b`` with a buoyancy bias
  ``b ~ U(-4, 4)`` flown by semi-random PIDs, and as targets an integral controller
  (``I_TARGET``) applied to them.

Each set is seeded by its index, so set ``k`` is the same on every machine.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from snn_control.controllers.baselines import BLIMP_PD, BLIMP_PID
from snn_control.controllers.pid import PIDController, PIDGains

N_SETS = 100
TICKS = 400  # 40 s at 10 Hz
DT = 0.1
LIMIT = 3.3
I_TARGET = PIDGains(kp=0.0, ki=0.5, kd=0.0, integral_limit=LIMIT)


def _semi_random_pid(rng: np.random.Generator) -> PIDController:
    g = BLIMP_PID
    scale = rng.uniform(0.5, 1.5, 3)
    gains = PIDGains(
        kp=g.kp * scale[0],
        ki=g.ki * scale[1],
        kd=g.kd * scale[2],
        derivative_filter_s=g.derivative_filter_s,
        integral_limit=g.integral_limit,
    )
    return PIDController(gains, DT, -LIMIT, LIMIT)


def _apply(gains: PIDGains, errors: np.ndarray) -> np.ndarray:
    controller = PIDController(gains, DT, -LIMIT, LIMIT)
    return np.array([controller.step([e])[0] for e in errors])


def blimp_flight_errors(index: int) -> np.ndarray:
    from snn_control.sim.blimp.env import BlimpAltitudeEnv
    from snn_control.sim.blimp.profiles import random_steps

    rng = np.random.default_rng(index)
    env = BlimpAltitudeEnv(
        random_steps(index, n=4, step_s=TICKS * DT / 4),
        buoyancy=float(rng.uniform(-3, 3)),
        initial_altitude=float(rng.uniform(0.4, 1.5)),
    )
    pid = _semi_random_pid(rng)
    obs, _ = env.reset(seed=index)
    errors = []
    for _ in range(TICKS):
        e = float(obs[1] - obs[0])
        errors.append(e)
        obs, *_ = env.step(pid.step([e]))
    return np.array(errors)


def integrator_errors(index: int) -> np.ndarray:
    rng = np.random.default_rng(10_000 + index)
    b = rng.uniform(-4.0, 4.0)
    pid = _semi_random_pid(rng)
    x = v = 0.0
    setpoints = np.repeat(rng.uniform(-1.0, 1.0, 4), TICKS // 4)
    errors = []
    for sp in setpoints:
        e = sp - x
        errors.append(e)
        u = pid.step([e])[0]
        v += (u + b) * DT
        x += v * DT
    return np.array(errors)


@lru_cache(maxsize=2 * N_SETS)
def training_set(role: str, index: int) -> tuple[np.ndarray, np.ndarray]:
    """(errors, targets) of set ``index`` (0..99) for ``role`` ("pd" or "i")."""
    if not 0 <= index < N_SETS:
        raise ValueError(f'training set index must lie in [0, {N_SETS}), got {index}')
    if role == 'pd':
        errors = blimp_flight_errors(index)
        return errors, _apply(BLIMP_PD, errors)
    if role == 'i':
        errors = integrator_errors(index)
        return errors, _apply(I_TARGET, errors)
    raise ValueError(f'unknown role {role!r}')
