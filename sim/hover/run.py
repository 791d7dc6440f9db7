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
``snn-control run hover``: the spiking PD and a PID side by side on the hover plant.

Prints the step metrics of both and writes ``results/hover.png``.
"""

from __future__ import annotations

import argparse
import json
import os
from typing import Sequence

from snn_control.controllers.registry import make_controller
from snn_control.sim.closed_loop import plot_traces, run_closed_loop, step_metrics
from snn_control.sim.hover.env import COMMAND_LIMIT, HoverEnv

#: Gains of both controllers (tuned by hand on this plant: fast rise, small overshoot).
KP, KD = 6.0, 8.0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog='snn-control run hover', description=__doc__.split('\n\n')[0]
    )
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument(
        '--backend', default='numpy', help='SNN backend: numpy, torch, lava-float, lava-fixed'
    )
    parser.add_argument('--net-buoyancy', type=float, default=0.0, help='net buoyancy force (N)')
    parser.add_argument('--out', default='results', help='folder for the plot')
    args = parser.parse_args(list(argv) if argv is not None else None)
    env_kwargs = {
        'setpoints': [(20.0, 1.0), (20.0, 1.5), (20.0, 0.5)],
        'net_buoyancy_n': args.net_buoyancy,
    }
    controllers = {
        'spiking PD': make_controller(
            'spiking_pd',
            0.05,
            kp=KP,
            kd=KD,
            command_low=-COMMAND_LIMIT,
            command_high=COMMAND_LIMIT,
            backend=args.backend,
        ),
        # The PID filters its derivative (0.1 s): on a 1 cm sensor a raw derivative chatters.
        'PID': make_controller(
            'pid',
            0.05,
            kp=KP,
            kd=KD,
            derivative_filter_s=0.1,
            command_low=-COMMAND_LIMIT,
            command_high=COMMAND_LIMIT,
        ),
    }
    traces, report = {}, {}
    for name, controller in controllers.items():
        traces[name] = run_closed_loop(controller, HoverEnv(**env_kwargs), seed=args.seed)
        report[name] = {k: round(v, 4) for k, v in step_metrics(traces[name]).items()}
        if hasattr(controller, 'close'):
            controller.close()
    os.makedirs(args.out, exist_ok=True)
    path = plot_traces(
        traces, os.path.join(args.out, 'hover.png'), 'hover plant: spiking PD vs PID'
    )
    for name, metrics in report.items():
        print(f'{name:>12}: ' + ', '.join(f'{k} {v}' for k, v in metrics.items()))
    print(f'plot: {path}')
    print(json.dumps(report, sort_keys=True))
    return 0
