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
``snn-control bench swimmer``: the shipped swimmer controllers side by side, one run.

Returns are the mean over ``EVAL_SEEDS`` 1000-step episodes of the 6-link swimmer (start
pose jittered by 10 % of the joint limit per seed). ``spiking_ncap_init_return``: the
spiking NCAP at the published initialisation (+1, +1, +1, -1), before any training.
``control_steps_per_s``: closed-loop control steps per second, in-process (MuJoCo physics
of 15 substeps plus the spiking NCAP's 5 network steps per control step). Transfer: the
trained NCAPs, without retraining, on swimmers of 3 to 13 joints.
"""

from __future__ import annotations

import time

import numpy as np
from snn_control.swimmer.controllers import (
    load_swimmer_controller,
    make_swimmer_controller,
    shipped_path,
)
from snn_control.swimmer.ncap import NcapParams
from snn_control.swimmer.rollout import rollout

EVAL_SEEDS = (101, 102, 103)
TRANSFER_JOINTS = (3, 5, 7, 9, 11, 13)


def mean_return(controller, n_links: int = 6, seeds=EVAL_SEEDS, steps: int | None = None) -> float:
    return float(
        np.mean(
            [
                rollout(controller, n_links, seed=s, initial_noise=0.1, steps=steps)['return']
                for s in seeds
            ]
        )
    )


def run(quick: bool = False) -> dict[str, float]:
    seeds = EVAL_SEEDS[:1] if quick else EVAL_SEEDS
    results: dict[str, float] = {}
    controllers = {
        kind: load_swimmer_controller(shipped_path(kind))
        for kind in ('spiking_ncap', 'rate_ncap', 'mlp')
    }
    for kind, controller in controllers.items():
        results[f'{kind}_return'] = round(mean_return(controller, seeds=seeds), 1)
    init = make_swimmer_controller('spiking_ncap', 6, NcapParams().as_array())
    results['spiking_ncap_init_return'] = round(mean_return(init, seeds=seeds), 1)
    results['rate_ncap_init_return'] = round(
        mean_return(make_swimmer_controller('rate_ncap', 6, NcapParams().as_array()), seeds=seeds),
        1,
    )
    results['spiking_ncap_params'] = controllers['spiking_ncap'].n_parameters
    results['mlp_params'] = controllers['mlp'].n_parameters
    t0 = time.perf_counter()
    steps = rollout(controllers['spiking_ncap'], 6, seed=EVAL_SEEDS[0], steps=500)['steps']
    results['control_steps_per_s'] = round(steps / (time.perf_counter() - t0), 1)
    for joints in TRANSFER_JOINTS[:2] if quick else TRANSFER_JOINTS:
        for kind in ('spiking_ncap', 'rate_ncap'):
            controller = load_swimmer_controller(shipped_path(kind), n_links=joints + 1)
            results[f'{kind}_transfer_{joints}j_return'] = round(
                mean_return(controller, joints + 1, seeds=seeds[:1]), 1
            )
    return results
