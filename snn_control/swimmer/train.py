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
Train the swimmer controllers (``snn-control train swimmer``) under one environment-step budget.

* ``spiking_ncap`` and ``rate_ncap``: CMA-ES (``cma``) on NCAP's four shared weights, from
  the published initialisation (+1, +1, +1, -1), step 0.5, population 8, one 1000-step
  episode per candidate (the start pose jittered by 10 % of the joint limit, seeded by
  the generation, so nothing is tuned to one start).
* ``xylo_ncap``: the same, with the proprioceptive threshold as a fifth parameter (from
  0.25, step 0.15), every episode stepped by Xylo's integer arithmetic (the ``xylo``
  backend; :mod:`snn_control.swimmer.xylo_native`).
* ``mlp``: OpenAI-style evolution strategies on the 256x256 MLP's ~70k weights
  (antithetic Gaussian perturbations, centred ranks, Adam), 16 episodes per generation.

Every candidate episode counts against ``--budget-steps``. After each generation the
current solution (CMA-ES mean, ES centre) is scored on a fixed evaluation episode (not
counted): the curve of return against environment steps is the data-efficiency plot.
Output: the trained controller file, and a JSON log of the curve.
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path
import time
from typing import Sequence

import numpy as np
from snn_control.swimmer.controllers import (
    CONTROLLERS,
    make_swimmer_controller,
    save_swimmer_controller,
)
from snn_control.swimmer.rollout import rollout

EPISODE_STEPS = 1000
EVAL_SEED = 12345


def train_ncap(
    kind: str, budget_steps: int, seed: int, n_links: int, progress: bool = True
) -> dict:
    import cma
    from snn_control.swimmer.ncap import NcapParams
    from snn_control.swimmer.xylo_native import XyloNcapParams
    from tqdm import tqdm

    options = {'popsize': 8, 'seed': seed + 1, 'verbose': -9}
    if kind == 'xylo_ncap':
        x0 = XyloNcapParams().as_array()
        # the threshold lives in (0, 1): a third of the weights' step
        options['CMA_stds'] = [1.0, 1.0, 1.0, 1.0, 0.3]
    else:
        x0 = NcapParams().as_array()
    es = cma.CMAEvolutionStrategy(x0, 0.5, options)
    used, curve, generation = 0, [], 0
    init = rollout(make_swimmer_controller(kind, n_links, x0), n_links, seed=EVAL_SEED)['return']
    curve.append((0, init))
    bar = tqdm(total=budget_steps, desc=f'train {kind}', unit='step', disable=not progress)
    while used + es.popsize * EPISODE_STEPS <= budget_steps:
        candidates = es.ask()
        returns = [
            rollout(
                make_swimmer_controller(kind, n_links, x),
                n_links,
                seed=seed * 1000 + generation,
                initial_noise=0.1,
            )['return']
            for x in candidates
        ]
        es.tell(candidates, [-r for r in returns])
        used += len(candidates) * EPISODE_STEPS
        generation += 1
        score = rollout(make_swimmer_controller(kind, n_links, es.mean), n_links, seed=EVAL_SEED)[
            'return'
        ]
        curve.append((used, score))
        bar.update(len(candidates) * EPISODE_STEPS)
        bar.set_postfix(eval_return=f'{score:.0f}', best=f'{max(returns):.0f}')
    bar.close()
    return {
        'params': np.asarray(es.mean),
        'curve': curve,
        'init_return': init,
        'generations': generation,
    }


def train_mlp(
    budget_steps: int,
    seed: int,
    n_links: int,
    progress: bool = True,
    pairs: int = 8,
    sigma: float = 0.02,
    lr: float = 0.01,
) -> dict:
    from snn_control.swimmer.mlp import init_mlp
    from tqdm import tqdm

    rng = np.random.default_rng(seed)
    theta = init_mlp(n_links - 1, rng)
    m, v = np.zeros_like(theta), np.zeros_like(theta)
    used, curve, generation = 0, [], 0
    init = rollout(make_swimmer_controller('mlp', n_links, theta), n_links, seed=EVAL_SEED)[
        'return'
    ]
    curve.append((0, init))
    bar = tqdm(total=budget_steps, desc='train mlp', unit='step', disable=not progress)
    while used + 2 * pairs * EPISODE_STEPS <= budget_steps:
        eps = rng.normal(size=(pairs, theta.size))
        returns = np.array(
            [
                [
                    rollout(
                        make_swimmer_controller('mlp', n_links, theta + sign * sigma * e),
                        n_links,
                        seed=seed * 1000 + generation,
                        initial_noise=0.1,
                    )['return']
                    for sign in (1.0, -1.0)
                ]
                for e in eps
            ]
        )
        ranks = (
            np.argsort(np.argsort(returns.reshape(-1))).reshape(returns.shape) / (returns.size - 1)
            - 0.5
        )
        grad = ((ranks[:, 0] - ranks[:, 1])[:, None] * eps).sum(axis=0) / (2 * pairs * sigma)
        generation += 1
        m = 0.9 * m + 0.1 * grad
        v = 0.999 * v + 0.001 * grad**2
        theta = theta + lr * (m / (1 - 0.9**generation)) / (
            np.sqrt(v / (1 - 0.999**generation)) + 1e-8
        )
        used += returns.size * EPISODE_STEPS
        score = rollout(make_swimmer_controller('mlp', n_links, theta), n_links, seed=EVAL_SEED)[
            'return'
        ]
        curve.append((used, score))
        bar.update(returns.size * EPISODE_STEPS)
        bar.set_postfix(eval_return=f'{score:.0f}')
    bar.close()
    return {'params': theta, 'curve': curve, 'init_return': init, 'generations': generation}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog='snn-control train swimmer', description=__doc__.split('\n\n')[0]
    )
    parser.add_argument('--controller', choices=sorted(CONTROLLERS), required=True)
    parser.add_argument(
        '--budget-steps', type=int, default=240_000, help='environment steps for training (<= 1M)'
    )
    parser.add_argument('--links', type=int, default=6)
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--out', type=Path, help='trained controller file')
    parser.add_argument('--log', type=Path, help='JSON log of the return-vs-steps curve')
    args = parser.parse_args(list(argv) if argv is not None else None)
    if not 0 < args.budget_steps <= 1_000_000:
        parser.error('--budget-steps must lie in (0, 1000000]')
    t0 = time.perf_counter()
    if args.controller == 'mlp':
        result = train_mlp(args.budget_steps, args.seed, args.links)
    else:
        result = train_ncap(args.controller, args.budget_steps, args.seed, args.links)
    minutes = (time.perf_counter() - t0) / 60
    final = result['curve'][-1][1]
    print(
        f"{args.controller}: {result['generations']} generations, {result['curve'][-1][0]} env "
        'steps, '
        f"{minutes:.1f} min; return {result['init_return']:.1f} at initialisation -> {final:.1f}"
    )
    meta = {
        'command': f'snn-control train swimmer --controller {args.controller} '
        f'--budget-steps {args.budget_steps} --links {args.links} --seed {args.seed}',
        'seed': args.seed,
        'budget_steps': args.budget_steps,
        'init_return': result['init_return'],
        'final_eval_return': final,
        'train_minutes': minutes,
        'generations': result['generations'],
        'curve': [[int(n), float(r)] for n, r in result['curve']],
    }
    if args.out:
        save_swimmer_controller(args.controller, args.links, result['params'], args.out, meta)
        print(f'wrote {args.out}')
    if args.log:
        os.makedirs(args.log.parent, exist_ok=True)
        args.log.write_text(json.dumps({'controller': args.controller, **meta}, indent=1))
        print(f'log: {args.log}')
    return 0
