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
Grid search that produced the blimp PID/PD gains in ``snn_control.controllers.baselines``.

Reproduce: ``.venv/bin/python -m snn_control.sim.blimp.tune`` (deterministic, seed 0,
about 20 s). Score per gain set, summed over neutral and negative buoyancy on the
absolute-step profile with 40 s steps: RMSE + 5 x steady-state error + 2 x overshoot.
"""

from __future__ import annotations

import itertools

from snn_control.controllers.pid import PIDController, PIDGains
from snn_control.sim.blimp.env import BlimpAltitudeEnv, COMMAND_LIMIT
from snn_control.sim.closed_loop import run_closed_loop, step_metrics

GRID = {'kp': (2, 4, 6, 8), 'ki': (0.0, 0.2, 0.5, 1.0), 'kd': (4, 8, 12)}


def score(gains: PIDGains, seed: int = 0) -> float:
    total = 0.0
    for buoyancy in ('neutral', 'negative'):
        controller = PIDController(
            gains, dt=0.1, command_low=-COMMAND_LIMIT, command_high=COMMAND_LIMIT
        )
        trace = run_closed_loop(
            controller, BlimpAltitudeEnv('absolute_steps', buoyancy=buoyancy, step_s=40), seed=seed
        )
        m = step_metrics(trace, steady_window_s=10.0)
        total += m['rmse_m'] + 5 * m['steady_state_error_m'] + 2 * m['overshoot_m']
    return total


def tune(seed: int = 0) -> list[tuple[float, PIDGains]]:
    results = []
    for kp, ki, kd in itertools.product(*GRID.values()):
        gains = PIDGains(kp=kp, ki=ki, kd=kd, derivative_filter_s=0.2, integral_limit=1.5)
        results.append((score(gains, seed), gains))
    return sorted(results, key=lambda r: r[0])


if __name__ == '__main__':
    for s, g in tune()[:5]:
        print(f'{s:.3f}  kp={g.kp} ki={g.ki} kd={g.kd}')
