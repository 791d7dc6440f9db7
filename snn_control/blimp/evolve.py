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
Evolve a blimp SNN with CMA-ES to mimic its controller (``snn-control train blimp``).

Fitness (the paper's): ``MAE(u, u_target) + (1 - Pearson rho(u, u_target))``, averaged
over ``sets_per_generation`` training sets per generation (sets 0-89 in turn; 90-99 are
held out; the paper used one set per generation over 50,000 generations: a few sets per
generation give a less noisy ranking, which is what a budget of minutes needs), the whole
population simulated as one torch batch with per-candidate weights. CMA-ES from the
``cma`` library, population 50, parameters in the unit cube (bounds handled by ``cma``),
full covariance, starting at the cube's centre. ``--genotype direct`` (the paper's): every
weight a gene (300-600 per network), initial step 0.1, a tenth of every range;
``--genotype thermometer`` (:mod:`snn_control.blimp.thermometer`): 6-8 genes, step 0.2.
Checkpoints (the pickled optimiser, generation, best, history) are written
atomically every ``--checkpoint-every`` generations; ``--resume`` continues from one.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path
import pickle
import sys
import time
from typing import Any, Callable, Sequence

import numpy as np
from snn_control.blimp.data import N_SETS, training_set
from snn_control.blimp.executors import chunks, LocalExecutor, make_executor
from snn_control.blimp.networks import genotype, GENOTYPES, STEPS_PER_TICK

HELD_OUT = range(N_SETS - 10, N_SETS)
TRAIN_SETS = N_SETS - len(HELD_OUT)

LIMIT = 3.3


class BatchedSnn:
    """
    Many candidate networks of one role stepped together (one torch batch), one error each.

    ``step(errors)`` takes one error per candidate and returns each one's command, saturated
    at +/- ``LIMIT`` exactly as :class:`~snn_control.controllers.spiking.SpikingController`
    does for a single network.
    """

    def __init__(self, specs: list) -> None:
        from snn_control.engine.simulator import Simulator
        import torch

        self._torch = torch
        self.sim = Simulator(specs, library='torch', dtype=torch.float32)
        weights = torch.tensor(
            np.array([s.metadata['encoder_weights'] for s in specs]), dtype=torch.float32
        )
        self.signed = torch.cat([weights, -weights], dim=1)  # the paired encoder, per candidate
        self.readout = self.sim.layout.slices['readout']
        self.gain = np.array([float(s.metadata['output_gain']) for s in specs])

    def reset(self) -> None:
        self.sim.reset()

    def step(self, errors: np.ndarray) -> np.ndarray:
        torch = self._torch
        current = self.signed * torch.as_tensor(
            np.asarray(errors, dtype=np.float32).reshape(-1, 1)
        )
        with torch.no_grad():
            for _ in range(STEPS_PER_TICK):
                state = self.sim.step(current)
        u = state.v[:, self.readout].sum(dim=1).numpy().astype(np.float64) * self.gain
        return np.clip(np.nan_to_num(u, nan=0.0), -LIMIT, LIMIT)


def batch(role: str, candidates: np.ndarray, genotype_name: str = 'direct') -> Any:
    """
    Build every candidate's network and step them as one batch, as its genotype runs them.

    Float genotypes run on torch (:class:`BatchedSnn`); the Xylo genotype on Xylo's integer
    arithmetic (:class:`~snn_control.blimp.xylo_native.BatchedXylo`). Either steps one error
    per candidate to one saturated command per candidate.
    """
    g = genotype(genotype_name)
    return g.batch([g.build_network(role, x) for x in candidates])


def simulate(
    role: str, candidates: np.ndarray, errors: np.ndarray, genotype_name: str = 'direct'
) -> np.ndarray:
    """Commands (P, T) of every candidate (rows of unit-cube vectors) on one error signal."""
    snn = batch(role, candidates, genotype_name)
    return np.stack([snn.step(np.full(len(candidates), e)) for e in errors], axis=1)


def fitness(commands: np.ndarray, target: np.ndarray) -> np.ndarray:
    """MAE + (1 - Pearson rho) per row; a constant output has rho 0."""
    mae = np.abs(commands - target).mean(axis=1)
    c = commands - commands.mean(axis=1, keepdims=True)
    t = target - target.mean()
    denom = np.sqrt((c**2).sum(axis=1) * (t**2).sum())
    rho = np.where(denom > 0, (c @ t) / np.where(denom > 0, denom, 1.0), 0.0)
    return mae + (1.0 - rho)


def save_checkpoint(path: Path, state: dict) -> None:
    tmp = path.with_name(path.name + '.tmp')
    with open(tmp, 'wb') as fh:
        pickle.dump(state, fh)
    tmp.replace(path)


def mimic_fitness(
    role: str, candidates: np.ndarray, set_indices: Sequence[int], genotype_name: str = 'direct'
) -> np.ndarray:
    """Fitness of candidates averaged over training sets (one executor job)."""
    import torch

    torch.set_num_threads(1)
    f = np.zeros(len(candidates))
    for k in set_indices:
        errors, target = training_set(role, k)
        f += fitness(simulate(role, candidates, errors, genotype_name), target) / len(set_indices)
    return f


def evolve(
    role: str,
    generations: int,
    population: int = 50,
    seed: int = 0,
    checkpoint: Path | None = None,
    resume: bool = False,
    checkpoint_every: int = 10,
    progress: bool = True,
    sets_per_generation: int = 4,
    executor: Any = None,
    jobs: int = 1,
    genotype_name: str = 'direct',
) -> dict:
    """
    Run CMA-ES; returns the state dict (``best_x``, ``best_f``, ``history``, ``generation``).

    ``executor`` (:mod:`snn_control.blimp.executors`; default: in this process) scores the
    population in ``jobs`` chunks. CMA-ES starts at the centre of the unit cube with the
    genotype's step (:func:`~snn_control.blimp.networks.genotype`).
    """
    import cma
    import torch

    torch.set_num_threads(1)
    if resume:
        if checkpoint is None or not checkpoint.is_file():
            raise FileNotFoundError(
                f'--resume needs an existing checkpoint, {checkpoint} is missing'
            )
        with open(checkpoint, 'rb') as fh:
            state = pickle.load(fh)
        if state['role'] != role:
            raise ValueError(
                f"checkpoint {checkpoint} is for role {state['role']!r}, not {role!r}"
            )
        if state.get('genotype', 'direct') != genotype_name:
            raise ValueError(
                f"checkpoint {checkpoint} is of the {state.get('genotype', 'direct')!r} genotype, "
                f'not {genotype_name!r}'
            )
    else:
        options = {'popsize': population, 'bounds': [0.0, 1.0], 'seed': seed + 1, 'verbose': -9}
        g = genotype(genotype_name)
        es = cma.CMAEvolutionStrategy(np.full(g.n_parameters(role), 0.5), g.mimic_sigma, options)
        state = {
            'role': role,
            'genotype': genotype_name,
            'es': es,
            'generation': 0,
            'best_x': None,
            'best_f': np.inf,
            'history': [],
            'seconds': 0.0,
            'seed': seed,
        }

    executor = executor or LocalExecutor()

    def evaluate(candidates: np.ndarray, generation: int) -> np.ndarray:
        sets = [
            (generation * sets_per_generation + k) % TRAIN_SETS for k in range(sets_per_generation)
        ]
        return np.concatenate(
            executor.map(
                mimic_fitness, [(role, c, sets, genotype_name) for c in chunks(candidates, jobs)]
            )
        )

    return run_cma(
        state, generations, evaluate, checkpoint, checkpoint_every, f'evolve {role}', progress
    )


def run_cma(
    state: dict,
    generations: int,
    evaluate: Callable[[np.ndarray, int], np.ndarray],
    checkpoint: Path | None,
    checkpoint_every: int,
    desc: str,
    progress: bool = True,
) -> dict:
    """
    Return the generation loop of both stages.

    Ask, score (lower is better), tell, keep the best, record (generation, best, median),
    checkpoint atomically; progress bar on stderr.
    """
    from tqdm import tqdm

    es = state['es']
    bar = tqdm(total=generations, initial=state['generation'], desc=desc, disable=not progress)
    while state['generation'] < generations:
        t0 = time.perf_counter()
        candidates = np.asarray(es.ask())
        f = np.asarray(evaluate(candidates, state['generation']), dtype=float)
        es.tell(list(candidates), f.tolist())
        i = int(np.argmin(f))
        if f[i] < state['best_f']:
            state['best_f'], state['best_x'] = float(f[i]), candidates[i].copy()
        state['generation'] += 1
        state['seconds'] += time.perf_counter() - t0
        state['history'].append((state['generation'], float(f.min()), float(np.median(f))))
        bar.update(1)
        bar.set_postfix(
            best=f"{state['best_f']:.3f}", gen_best=f'{f.min():.3f}', median=f'{np.median(f):.3f}'
        )
        if checkpoint is not None and (
            state['generation'] % checkpoint_every == 0 or state['generation'] == generations
        ):
            save_checkpoint(checkpoint, state)
    bar.close()
    return state


def validate(
    role: str, x: np.ndarray, sets: Sequence[int] = HELD_OUT, genotype_name: str = 'direct'
) -> dict[str, float]:
    """MAE and Pearson rho of one network on held-out training sets (mean over sets)."""
    maes, rhos = [], []
    for k in sets:
        errors, target = training_set(role, k)
        u = simulate(role, x[None, :], errors, genotype_name)[0]
        maes.append(float(np.abs(u - target).mean()))
        rhos.append(float(np.corrcoef(u, target)[0, 1]) if u.std() > 0 else 0.0)
    return {'mae': float(np.mean(maes)), 'rho': float(np.mean(rhos))}


def plot_history(
    history: list[tuple[int, float, float]],
    path: str,
    title: str,
    ylabel: str = 'fitness: MAE + (1 - rho)',
) -> str:
    from snn_control.plotting import pyplot, save_figure

    plt = pyplot()

    g, best, median = (np.array(c) for c in zip(*history))
    fig, ax = plt.subplots(figsize=(7, 4))
    ax.plot(g, best, label='generation best')
    ax.plot(g, median, label='generation median', alpha=0.6)
    ax.plot(g, np.minimum.accumulate(best), label='best so far')
    ax.set_xlabel('generation')
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.legend()
    return str(save_figure(fig, path, dpi=110))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog='snn-control train blimp', description=__doc__.split('\n\n')[0]
    )
    parser.add_argument(
        '--network',
        choices=['pd', 'i', 'pdi'],
        required=True,
        help='pd, i: stage 1 (mimicry); pdi: stage 2 (both in the closed loop, see finetune.py)',
    )
    parser.add_argument('--generations', type=int, default=500)
    parser.add_argument('--population', type=int, default=50)
    parser.add_argument(
        '--genotype',
        choices=GENOTYPES,
        default='direct',
        help='direct: CMA-ES sets every weight (the paper); thermometer: the network grows from a '
        'dozen genes (snn_control/blimp/thermometer.py)',
    )
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument(
        '--sets-per-generation', type=int, default=4, help='training sets averaged per generation'
    )
    parser.add_argument(
        '--executor',
        choices=['local', 'ray'],
        default='local',
        help='score the population here or on Ray workers (see executors.py)',
    )
    parser.add_argument(
        '--ray-address',
        help="Ray cluster to join ('auto', 'ray://host:10001'); "
        'default: start a local Ray instance',
    )
    parser.add_argument(
        '--jobs', type=int, default=1, help='chunks of the population per generation (Ray tasks)'
    )
    parser.add_argument(
        '--checkpoint', type=Path, help='checkpoint file (written every --checkpoint-every)'
    )
    parser.add_argument('--checkpoint-every', type=int, default=10)
    parser.add_argument('--resume', action='store_true')
    parser.add_argument('--out', type=Path, help='network file of the best candidate (.npz)')
    parser.add_argument('--plot', help='fitness-curve PNG')
    argv = list(argv) if argv is not None else sys.argv[1:]
    if 'pdi' in argv:
        from snn_control.blimp.finetune import main as finetune_main

        return finetune_main(argv)
    args = parser.parse_args(argv)
    executor = make_executor(args.executor, args.ray_address, max(args.jobs, 1))
    try:
        state = evolve(
            args.network,
            args.generations,
            args.population,
            args.seed,
            args.checkpoint,
            args.resume,
            args.checkpoint_every,
            sets_per_generation=args.sets_per_generation,
            executor=executor,
            jobs=args.jobs,
            genotype_name=args.genotype,
        )
    finally:
        executor.close()
    # Each generation sees a different set, so the best single score is biased towards easy
    # sets: pick between it and the optimiser's mean on the held-out sets.
    chosen, scores = None, None
    for x in (state['best_x'], np.clip(state['es'].result.xfavorite, 0, 1)):
        s = validate(args.network, x, genotype_name=args.genotype)
        if scores is None or s['mae'] + 1 - s['rho'] < scores['mae'] + 1 - scores['rho']:
            chosen, scores = x, s
    print(
        f"{args.network}: {state['generation']} generations in {state['seconds'] / 60:.1f} min, "
        f"best training fitness {state['best_f']:.4f}, held-out MAE {scores['mae']:.4f}, rho "
        f"{scores['rho']:.3f}"
    )
    if args.out:
        spec = genotype(args.genotype).build_network(args.network, chosen)
        meta = dict(spec.metadata)
        meta.update(
            {
                'generations': state['generation'],
                'seed': args.seed,
                'population': args.population,
                'fitness': state['best_f'],
                'heldout_mae': scores['mae'],
                'heldout_rho': scores['rho'],
                'evolution_minutes': state['seconds'] / 60,
                'command': f'snn-control train blimp --network {args.network} '
                f'--generations {args.generations} --population {args.population} '
                f'--sets-per-generation {args.sets_per_generation} --seed {args.seed} '
                f'--genotype {args.genotype}',
            }
        )
        type(spec)(
            spec.populations, spec.connections, spec.input_population, spec.name, meta
        ).save(args.out)
        print(f'wrote {args.out}')
    if args.plot:
        os.makedirs(os.path.dirname(args.plot) or '.', exist_ok=True)
        title = f'blimp {args.network} SNN evolution'
        print(f"plot: {plot_history(state['history'], args.plot, title)}")
    return 0
