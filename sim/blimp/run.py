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
``snn-control run blimp``: blimp altitude control, controllers side by side.

Runs the evolved PD+I SNN (``blimp_snn``), the PID, the PD and the constructed spiking PD
on a profile and buoyancy, prints step metrics (steady-state error over the last 10 s of
each step) and writes ``results/blimp_<profile>_<buoyancy>.png``.
"""

from __future__ import annotations

import argparse
import json
import os
from typing import Sequence

from snn_control.controllers.registry import make_controller
from snn_control.engine.backends import backend_names, backend_target
from snn_control.sim.blimp.env import BlimpAltitudeEnv, COMMAND_LIMIT
from snn_control.sim.blimp.profiles import PROFILES
from snn_control.sim.closed_loop import plot_traces, run_closed_loop, step_metrics


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog='snn-control run blimp', description=__doc__.split('\n\n')[0]
    )
    parser.add_argument('--profile', choices=sorted(PROFILES), default='absolute_steps')
    parser.add_argument('--buoyancy', choices=['neutral', 'negative'], default='negative')
    parser.add_argument('--step-s', type=float, default=70.0, help='seconds per setpoint')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument(
        '--backend',
        default='numpy',
        choices=backend_names(),
        help='SNN backend; xylo and xylosim fly the SNN born for Xylo',
    )
    parser.add_argument('--out', default='results')
    args = parser.parse_args(list(argv) if argv is not None else None)
    controllers = {
        'SNN (evolved PD+I)': make_controller('blimp_snn', 0.1, backend=args.backend),
        'PID': make_controller('blimp_pid', 0.1),
        'PD': make_controller('blimp_pd', 0.1),
        'spiking PD': make_controller(
            'spiking_pd',
            0.1,
            kp=8.0,
            kd=12.0,
            error_range=1.2,
            levels=60,
            command_low=-COMMAND_LIMIT,
            command_high=COMMAND_LIMIT,
            # the analytic network is no Xylo network: chip backends fly only the evolved SNN
            backend=args.backend if backend_target(args.backend) is None else 'numpy',
        ),
    }
    traces, report = {}, {}
    for name, controller in controllers.items():
        env = BlimpAltitudeEnv(args.profile, buoyancy=args.buoyancy, step_s=args.step_s)
        traces[name] = run_closed_loop(controller, env, seed=args.seed)
        report[name] = {
            k: round(v, 4) for k, v in step_metrics(traces[name], steady_window_s=10.0).items()
        }
        if hasattr(controller, 'close'):
            controller.close()
    os.makedirs(args.out, exist_ok=True)
    path = plot_traces(
        traces,
        os.path.join(args.out, f'blimp_{args.profile}_{args.buoyancy}.png'),
        f"blimp, {args.profile.replace('_', ' ')}, {args.buoyancy} buoyancy",
    )
    for name, metrics in report.items():
        print(f'{name:>12}: ' + ', '.join(f'{k} {v}' for k, v in metrics.items()))
    print(f'plot: {path}')
    print(json.dumps(report, sort_keys=True))
    return 0
