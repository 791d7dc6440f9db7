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
Stage 2: the PD and I SNNs tuned together in the MuJoCo closed loop.

Stage 1 (:mod:`snn_control.blimp.evolve`, the paper's method) makes each network mimic its
controller. Mimicry is only a proxy: what the blimp needs is the sum flying well. This stage
starts CMA-ES at the two mimic networks (their genotypes concatenated; step 0.03 for the
direct genotype's weights, 0.05 for the thermometer genotype's genes) and scores each
candidate pair by flying the MuJoCo blimp: a random 4-step profile (15 s per step,
setpoints 0.4-2.0 m) with a random ballast in [-1, 4] g (neutral to beyond the paper's
negative buoyancy), the same profile, ballast and sensor noise for every candidate of a
generation. Cost (:class:`Cost`): RMSE + worst steady-state error (last 5 s of each step)
+ worst overshoot (times ``--overshoot-weight``) on the true altitude, plus
``--reversal-penalty`` per thrust reversal per second. The whole population flies at once:
one torch batch per network, one MuJoCo model per candidate. Separable (diagonal) CMA-ES
for the direct genotype (the pair has about 900 parameters), full covariance for the
thermometer's 14 genes. Architecture, neuron models and the paper's parameter bounds are
unchanged.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
import os
from pathlib import Path
import pickle
from typing import Any, Sequence

import numpy as np
from snn_control.blimp.evolve import batch, LIMIT, plot_history, run_cma
from snn_control.blimp.executors import chunks, LocalExecutor, make_executor
from snn_control.blimp.networks import genotype, genotype_of
from snn_control.engine.network import NetworkSpec

STEP_S = 15.0
N_STEPS = 4
BALLAST_G = (-1.0, 4.0)


def scenario(index: int) -> dict:
    """Profile, ballast, start altitude and noise seed of scenario ``index`` (seeded by it)."""
    from snn_control.sim.blimp.profiles import random_steps

    rng = np.random.default_rng(50_000 + index)
    return {
        'profile': random_steps(50_000 + index, n=N_STEPS, step_s=STEP_S),
        'ballast_g': float(rng.uniform(*BALLAST_G)),
        'initial_altitude': float(rng.uniform(0.4, 1.5)),
        'seed': 50_000 + index,
    }


def thrust_reversals_per_s(command: np.ndarray, dt: float = 0.1, deadzone: float = 0.3) -> float:
    """
    Return how often the thrust changes direction, per second.

    Each reversal turns the shaft: 0.3 s without thrust.
    """
    signs = np.sign(np.where(np.abs(command) >= deadzone, command, 0.0))
    signs = signs[signs != 0]
    return float(np.count_nonzero(np.diff(signs) != 0)) / (len(command) * dt)


@dataclass(frozen=True)
class Cost:
    """
    Closed-loop cost of a flight.

    RMSE + worst steady-state error + ``overshoot_weight`` x worst overshoot (m) +
    ``reversal_penalty`` x thrust reversals per second.
    """

    reversal_penalty: float = 0.0
    overshoot_weight: float = 1.0

    def label(self) -> str:
        """Return the cost as a plot's axis label."""
        text = f'RMSE + SSE + {self.overshoot_weight:g} x overshoot'
        return (
            'cost: '
            + text
            + (f' + {self.reversal_penalty:g} x reversals/s' if self.reversal_penalty else '')
        )

    def flag_text(self) -> str:
        """Return the command-line flags that give this cost (empty for the default)."""
        return (
            f' --reversal-penalty {self.reversal_penalty:g}' if self.reversal_penalty else ''
        ) + (
            f' --overshoot-weight {self.overshoot_weight:g}'
            if self.overshoot_weight != 1.0
            else ''
        )


def fly_population(
    x_pd: np.ndarray,
    x_i: np.ndarray,
    case: dict,
    cost: Cost = Cost(),
    genotypes: tuple[str, str] = ('direct', 'direct'),
) -> np.ndarray:
    """
    Fly one scenario with every candidate pair and return its :class:`Cost`.

    Candidates are rows of ``x_pd`` and ``x_i``, in the PD's and the I's ``genotypes``.
    """
    from snn_control.sim.blimp import BlimpAltitudeEnv
    from snn_control.sim.closed_loop import step_metrics, Trace

    n = len(x_pd)
    envs = [
        BlimpAltitudeEnv(
            case['profile'], buoyancy=case['ballast_g'], initial_altitude=case['initial_altitude']
        )
        for _ in range(n)
    ]
    obs = np.array([env.reset(seed=case['seed'])[0] for env in envs])
    pd, integ = batch('pd', x_pd, genotypes[0]), batch('i', x_i, genotypes[1])
    rows = []
    done = False
    while not done:
        errors = obs[:, 1] - obs[:, 0]
        u = np.clip(pd.step(errors) + integ.step(errors), -LIMIT, LIMIT)
        step = [env.step(u[k:k + 1]) for k, env in enumerate(envs)]
        obs = np.array([s[0] for s in step])
        rows.append(
            [(s[4]['time'], s[4]['altitude'], s[4]['setpoint'], u[k]) for k, s in enumerate(step)]
        )
        done = step[0][3]
    data = np.array(rows)  # (T, n, 4)
    costs = np.empty(n)
    for k in range(n):
        t, z, sp, cmd = data[:, k].T
        m = step_metrics(Trace(t, z, z, sp, cmd), steady_window_s=5.0)
        costs[k] = (
            m['rmse_m']
            + m['steady_state_error_m']
            + cost.overshoot_weight * m['overshoot_m']
            + cost.reversal_penalty * thrust_reversals_per_s(cmd)
        )
    return np.nan_to_num(costs, nan=10.0)


def tune(
    pd_spec: NetworkSpec,
    i_spec: NetworkSpec,
    generations: int,
    population: int = 24,
    seed: int = 0,
    checkpoint: Path | None = None,
    resume: bool = False,
    checkpoint_every: int = 10,
    progress: bool = True,
    executor: Any = None,
    jobs: int = 1,
    cost: Cost = Cost(),
) -> dict:
    import cma
    import torch

    torch.set_num_threads(1)
    genotypes = (genotype_of(pd_spec), genotype_of(i_spec))
    split = genotypes[0].n_parameters('pd')
    if resume:
        if checkpoint is None or not checkpoint.is_file():
            raise FileNotFoundError(
                f'--resume needs an existing checkpoint, {checkpoint} is missing'
            )
        with open(checkpoint, 'rb') as fh:
            state = pickle.load(fh)
    else:
        x0 = np.concatenate([genotypes[0].encode('pd', pd_spec), genotypes[1].encode('i', i_spec)])
        # Separable CMA-ES for the direct genotype's ~900 weights; full covariance for a few genes.
        es = cma.CMAEvolutionStrategy(
            x0,
            min(g.tune_sigma for g in genotypes),
            {
                'popsize': population,
                'bounds': [0.0, 1.0],
                'seed': seed + 1,
                'CMA_diagonal': len(x0) > 100,
                'verbose': -9,
            },
        )
        state = {
            'role': 'pdi',
            'es': es,
            'generation': 0,
            'best_x': x0,
            'best_f': np.inf,
            'history': [],
            'seconds': 0.0,
            'seed': seed,
        }
    executor = executor or LocalExecutor()

    def evaluate(candidates: np.ndarray, generation: int) -> np.ndarray:
        case = scenario(generation)
        names = (genotypes[0].name, genotypes[1].name)
        return np.concatenate(
            executor.map(
                fly_population,
                [
                    (c[:, :split], c[:, split:], case, cost, names)
                    for c in chunks(candidates, jobs)
                ],
            )
        )

    return run_cma(
        state, generations, evaluate, checkpoint, checkpoint_every, 'closed-loop tune', progress
    )


def validate(
    x: np.ndarray,
    cases: Sequence[int] = range(1000, 1006),
    cost: Cost = Cost(),
    genotypes: tuple[str, str] = ('direct', 'direct'),
) -> float:
    """Mean closed-loop cost of one pair on held-out scenarios."""
    split = genotype(genotypes[0]).n_parameters('pd')
    return float(
        np.mean(
            [
                fly_population(x[None, :split], x[None, split:], scenario(k), cost, genotypes)[0]
                for k in cases
            ]
        )
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog='snn-control train blimp --network pdi', description=__doc__.split('\n\n')[0]
    )
    parser.add_argument('--network', choices=['pdi'], required=True)
    parser.add_argument('--pd', type=Path, required=True, help='stage-1 PD network (.npz)')
    parser.add_argument('--i', type=Path, required=True, help='stage-1 I network (.npz)')
    parser.add_argument('--generations', type=int, default=150)
    parser.add_argument('--population', type=int, default=24)
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--checkpoint', type=Path)
    parser.add_argument('--checkpoint-every', type=int, default=10)
    parser.add_argument('--resume', action='store_true')
    parser.add_argument(
        '--out-dir',
        type=Path,
        required=True,
        help='writes blimp_pd.npz and blimp_i.npz here (blimp_xylo_*.npz for the Xylo genotype)',
    )
    parser.add_argument('--plot', help='cost-curve PNG')
    parser.add_argument('--executor', choices=['local', 'ray'], default='local')
    parser.add_argument(
        '--ray-address', help='Ray cluster to join; default: start a local Ray instance'
    )
    parser.add_argument(
        '--jobs', type=int, default=1, help='chunks of the population per generation (Ray tasks)'
    )
    parser.add_argument(
        '--reversal-penalty',
        type=float,
        default=0.0,
        help='cost per thrust reversal per second (each turns the shaft: no thrust for 0.3 s)',
    )
    parser.add_argument(
        '--overshoot-weight',
        type=float,
        default=1.0,
        help='weight of the worst overshoot in the cost (RMSE and steady-state error weigh 1)',
    )
    args = parser.parse_args(list(argv) if argv is not None else None)
    cost = Cost(args.reversal_penalty, args.overshoot_weight)
    specs = {'pd': NetworkSpec.load(args.pd), 'i': NetworkSpec.load(args.i)}
    executor = make_executor(args.executor, args.ray_address, max(args.jobs, 1))
    try:
        state = tune(
            specs['pd'],
            specs['i'],
            args.generations,
            args.population,
            args.seed,
            args.checkpoint,
            args.resume,
            args.checkpoint_every,
            executor=executor,
            jobs=args.jobs,
            cost=cost,
        )
    finally:
        executor.close()
    kinds = {role: genotype_of(spec) for role, spec in specs.items()}
    names = (kinds['pd'].name, kinds['i'].name)
    start = np.concatenate(
        [kinds['pd'].encode('pd', specs['pd']), kinds['i'].encode('i', specs['i'])]
    )
    # Each generation flies another scenario: choose between the start and the optimiser's
    # mean on held-out scenarios.
    scores = {
        'start': validate(start, cost=cost, genotypes=names),
        'tuned': validate(np.clip(state['es'].result.xfavorite, 0, 1), cost=cost, genotypes=names),
    }
    chosen = (
        start
        if scores['start'] <= scores['tuned']
        else np.clip(state['es'].result.xfavorite, 0, 1)
    )
    stage1 = max(float(s.metadata.get('evolution_minutes', 0.0)) for s in specs.values())
    minutes = stage1 + state['seconds'] / 60
    print(
        f"closed-loop tuning: {state['generation']} generations in {state['seconds'] / 60:.1f} "
        'min; held-out cost '
        f"{scores['start']:.4f} (stage 1) -> {scores['tuned']:.4f} (tuned); evolution in all "
        f'{minutes:.1f} min'
    )
    split = kinds['pd'].n_parameters('pd')
    from snn_control.blimp.controller import weights_path

    args.out_dir.mkdir(parents=True, exist_ok=True)
    for role, x in (('pd', chosen[:split]), ('i', chosen[split:])):
        spec = kinds[role].build_network(role, x)
        # The stage-1 record, then what the tuned network itself says (its evolved encoder
        # weights or genes), then how it was tuned.
        meta = {**specs[role].metadata, **spec.metadata}
        meta.update(
            {
                'stage1_command': specs[role].metadata.get('command'),
                'stage1_evolution_minutes': specs[role].metadata.get('evolution_minutes'),
                'tune_generations': state['generation'],
                'tune_population': args.population,
                'tune_heldout_cost': scores['tuned'],
                'stage1_heldout_cost': scores['start'],
                'evolution_minutes': minutes,
                'seed': args.seed,
                'command': f'snn-control train blimp --network pdi --pd {args.pd} --i {args.i} '
                f'--generations {args.generations} --population {args.population} --seed '
                f'{args.seed}'
                + cost.flag_text(),
            }
        )
        # the shipped file's name: blimp_<role>.npz, or the chip's variant of it
        out = args.out_dir / weights_path(role, spec.metadata.get('target')).name
        type(spec)(
            spec.populations, spec.connections, spec.input_population, spec.name, meta
        ).save(out)
        print(f'wrote {out}')
    if args.plot:
        os.makedirs(os.path.dirname(args.plot) or '.', exist_ok=True)
        plot = plot_history(
            state['history'], args.plot, 'blimp PD+I SNN closed-loop tuning', cost.label()
        )
        print(f'plot: {plot}')
    return 0
