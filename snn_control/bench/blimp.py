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
``snn-control bench blimp``: the evolved SNN against the PID, side by side, one run.

Absolute steps 0.5 -> 1.0 -> 1.5 m (70 s each) under negative buoyancy, seed 0. Figures:
RMSE, steady-state error (mean |error| over the last 10 s of each step, worst step) and
overshoot (worst step) for both; the SNN's neurons; ``evolution_minutes``: the wall time
of evolving the shipped networks from scratch, both roles in parallel on 2 cores (the
longer of the two, recorded in the weights' metadata by ``snn-control train blimp``).
"""

from __future__ import annotations

from snn_control.blimp.controller import blimp_snn
from snn_control.controllers.base import Controller
from snn_control.controllers.registry import make_controller
from snn_control.sim.blimp.env import BlimpAltitudeEnv
from snn_control.sim.closed_loop import run_closed_loop, step_metrics


def flight_figures(prefix: str, controller: Controller, step_s: float) -> dict[str, float]:
    """
    Fly the bench flight; return ``<prefix>_rmse_m``, ``_steady_state_error_m``, ``_overshoot_m``.

    The flight: absolute steps of ``step_s`` seconds under negative buoyancy, seed 0.
    """
    trace = run_closed_loop(
        controller,
        BlimpAltitudeEnv('absolute_steps', buoyancy='negative', step_s=step_s),
        seed=0,
    )
    m = step_metrics(trace, steady_window_s=10.0)
    return {
        f'{prefix}_{name}': round(m[name], 4)
        for name in ('rmse_m', 'steady_state_error_m', 'overshoot_m')
    }


def run(quick: bool = False) -> dict[str, float]:
    step_s = 30.0 if quick else 70.0
    snn = blimp_snn()
    results = flight_figures('snn', snn, step_s)
    results.update(flight_figures('pid', make_controller('blimp_pid', 0.1), step_s))
    results['neurons'] = snn.n_neurons
    minutes = [
        part.spec.metadata.get('evolution_minutes', float('nan')) for part in snn.parts.values()
    ]
    results['evolution_minutes'] = round(max(minutes), 2)
    return results
