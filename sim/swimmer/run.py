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
``snn-control run swimmer``: the shipped swimmer controllers, with plots.

Prints each controller's return (mean of the benchmark's evaluation episodes), the NCAPs'
transfer to 3-13 joints without retraining, and the connectome check; writes
``results/swimmer.png``: training return against environment steps (from the curves
recorded in the shipped files), transfer, the swim path of the head, the spiking NCAP's
torques and its spike raster.
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path
from typing import Sequence

import numpy as np
from snn_control.swimmer.controllers import (
    load_swimmer_controller,
    load_swimmer_file,
    shipped_path,
)
from snn_control.swimmer.rollout import rollout

KINDS = ('spiking_ncap', 'rate_ncap', 'mlp')


def main(argv: Sequence[str] | None = None) -> int:
    from snn_control.bench.swimmer import EVAL_SEEDS, mean_return, TRANSFER_JOINTS
    from snn_control.engine.backends import backend_target
    from snn_control.swimmer.connectome import DEFAULT_DIR, report

    parser = argparse.ArgumentParser(
        prog='snn-control run swimmer', description=__doc__.split('\n\n')[0]
    )
    parser.add_argument(
        '--backend',
        default='numpy',
        help='spiking NCAP backend: numpy, torch, lava-float, lava-fixed, or xylo / xylosim '
        '(which fly the NCAP born for Xylo v2, swimmer_xylo_ncap.npz)',
    )
    parser.add_argument(
        '--connectome', type=Path, default=DEFAULT_DIR, help='folder of the C. elegans edge lists'
    )
    parser.add_argument('--out', default='results')
    args = parser.parse_args(list(argv) if argv is not None else None)
    # a backend for one chip runs the spiking NCAP born for it
    target = backend_target(args.backend)
    files = {kind: load_swimmer_file(shipped_path(kind, target)) for kind in KINDS}
    summary: dict[str, dict] = {}
    for kind in KINDS:
        controller = load_swimmer_controller(
            shipped_path(kind, target), backend=args.backend if kind == 'spiking_ncap' else None
        )
        summary[kind] = {
            'return': round(mean_return(controller, seeds=EVAL_SEEDS), 1),
            'params': int(controller.n_parameters),
            'init_return': round(files[kind]['meta']['init_return'], 1),
        }
    transfer = {
        kind: [
            mean_return(
                load_swimmer_controller(shipped_path(kind), n_links=j + 1),
                j + 1,
                seeds=EVAL_SEEDS[:1],
            )
            for j in TRANSFER_JOINTS
        ]
        for kind in ('spiking_ncap', 'rate_ncap')
    }
    episode = rollout(
        load_swimmer_controller(shipped_path('spiking_ncap')),
        6,
        seed=EVAL_SEEDS[0],
        initial_noise=0.1,
        record=True,
    )
    os.makedirs(args.out, exist_ok=True)
    path = plot(files, transfer, episode['trace'], os.path.join(args.out, 'swimmer.png'))
    for kind, s in summary.items():
        print(
            f"{kind:>13}: return {s['return']:7.1f} (at initialisation {s['init_return']:7.1f}), "
            f"{s['params']} parameters"
        )
    for kind, values in transfer.items():
        print(
            f'{kind:>13} transfer: '
            + ', '.join(f'{j} joints {v:.0f}' for j, v in zip(TRANSFER_JOINTS, values))
        )
    try:
        print(report(args.connectome))
    except FileNotFoundError as exc:
        print(f'connectome check skipped: {exc}')
    print(f'plot: {path}')
    print(json.dumps({'returns': summary, 'transfer': transfer}, sort_keys=True))
    return 0


def plot(files: dict, transfer: dict, trace: dict, path: str) -> str:
    from snn_control.plotting import pyplot, save_figure

    plt = pyplot()

    from snn_control.bench.swimmer import TRANSFER_JOINTS

    fig, axes = plt.subplots(2, 2, figsize=(12, 8))
    ax = axes[0, 0]
    for kind, content in files.items():
        steps, returns = zip(*content['meta']['curve'])
        ax.plot(steps, returns, marker='.', label=kind)
    ax.set_xlabel('training environment steps')
    ax.set_ylabel('return (max 1000)')
    ax.set_title('data efficiency')
    ax.legend()
    ax = axes[0, 1]
    for kind, values in transfer.items():
        ax.plot(TRANSFER_JOINTS, values, marker='o', label=kind)
    ax.axvline(5, color='k', ls=':', lw=1)
    ax.set_xlabel('joints (trained on 5)')
    ax.set_ylabel('return')
    ax.set_title('transfer without retraining')
    ax.legend()
    ax = axes[1, 0]
    xy = np.array(trace['head_xy'])
    ax.plot(xy[:, 0], xy[:, 1])
    ax.plot(*xy[0], 'go', label='start')
    ax.plot(*xy[-1], 'rx', label='end')
    ax.set_aspect('equal')
    ax.set_title('spiking NCAP: head path (m)')
    ax.legend()
    ax = axes[1, 1]
    t = np.arange(len(trace['spikes'])) * 0.03
    window = slice(0, 200)
    for pop_index, pop in enumerate(('b', 'muscle')):
        fired = np.array([s[pop] for s in trace['spikes']])[window]
        ti, ni = np.nonzero(fired)
        ax.scatter(t[window][ti], ni + pop_index * fired.shape[1], s=2, label=pop)
    torque = np.array(trace['torque'])[window]
    ax2 = ax.twinx()
    ax2.plot(t[window], torque[:, 0], 'k', lw=1, label='torque joint 0')
    ax2.set_ylabel('torque')
    ax.set_xlabel('time (s)')
    ax.set_ylabel('neuron (B then muscle; dorsal then ventral)')
    ax.set_title('spiking NCAP: spikes and head-joint torque (first 6 s)')
    ax.legend(loc='upper left', markerscale=4)
    return str(save_figure(fig, path, dpi=100))
