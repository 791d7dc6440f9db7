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
Run an exported NIR graph in Rockpool 3.1.0 (``rockpool.nn``) and compare it with ours.

Rockpool pins ``nir <= 1.0.4`` (we pin 1.0.8), so ``scripts/bootstrap.sh`` installs it with
``--no-deps`` into its own directory (:data:`ROCKPOOL_PATH`) beside ``nir`` 1.0.4 and
``nirtorch`` 1.0 (the API Rockpool's ``from_nir`` calls), and :mod:`.rockpool_worker` runs
it in a bounded subprocess (:func:`snn_control.processes.run_bounded`) whose ``PYTHONPATH``
puts that directory first; torch and numpy come from our environment. The worker reads our
NIR file with nir 1.0.4 (item 1), loads it with ``rockpool.nn.modules.from_nir`` and sets the
attributes this driver computes (items 2 to 5).

Rockpool's ``LIFTorch`` (its ``CubaLIF``) steps ``I <- b_syn (I + x)``, ``V <- a V + I + bias``,
emits ``floor(V / vth)`` spikes where ``V >= vth`` and subtracts them times ``vth``, with
``a = exp(-dt / tau_mem)``, ``b_syn = exp(-dt / tau_syn)``; edges are undelayed (nirtorch),
as in Norse (item 6 of :mod:`.norse`). What differs and how it is bridged:

1. Format: nir 1.0.4 knows no ``CubaLI`` and no ``CubaLIF.v_reset`` (its ``CubaLIF`` resets
   by subtraction) and no metadata on ``Linear``; the worker reads the file's dictionary and
   writes a readout as a never-firing ``CubaLIF`` (threshold
   :data:`~snn_control.engine.neurons.UNREACHABLE`, as for Norse), leaving the rest out.
2. ``dt``: the import takes ``dt = min(tau_mem / (1 + r))`` of each node, not the graph's; the
   driver sets the graph's ``dt``.
3. Decays are exponential: the driver sets ``tau = -dt / ln(1 - d)`` from the Euler decay
   ``d = dt / tau`` the file says (``tau = 0`` for ``d = 1``, whose ``exp(-inf)`` is 0), and
   ``bias = v_leak dt / tau_mem`` (Rockpool adds ``bias`` per step, unscaled; it ignores
   ``r`` and ``w_in``, which our encoding makes ``1 / d``).
4. The synapse decays after adding its input, so it would pass ``(1 - du) x`` on: the driver
   divides each neuron's incoming ``Linear`` weights by its synaptic decay, which makes
   Rockpool's current ours exactly. A current without memory (``du = 1``, decay 0) gets the
   decay ``2**-40`` instead (a power of two: the division is exact in float32); what is left
   of the previous step is ``2**-40`` of it, far below float32's resolution of the sum.
5. Spikes: ``max_spikes_per_dt`` is set to 1 (ours emit at most one); Rockpool fires at
   ``V >= vth``, we at ``V > vth``, which differ only where float32 rounding lands exactly
   on a threshold. Reset is by subtraction only: a hard-reset population with voltage
   memory is a known difference (with ``dv = 1`` both resets are the same).
6. Initial state: the driver sets ``vmem`` and ``isyn`` (Rockpool's ``isyn`` is our current
   after item 4).

The way back (:func:`rockpool_round_trips`): the worker exports the modules it loaded and
adjusted with ``rockpool.nn.modules.to_nir`` (two bugs of that export bridged there, see
:func:`.rockpool_worker._exported`), and
:func:`~snn_control.engine.nir_io.from_nir` reads that graph with
``convention="rockpool"``, Rockpool's discretisation, and the network's ``dt`` (the graph
has none). What it cannot bring back: self-connections (Rockpool's export, tracing one
step with nirtorch 1.0, wires a recurrent ``Linear`` to a new output node instead of back
to its population, so :func:`rockpool_round_trips` refuses networks that have them), and
the input scale of item 4, which lives outside Rockpool's modules.
"""

from __future__ import annotations

import os
from pathlib import Path
import sys
import tempfile
from typing import Any, Sequence

import numpy as np
from snn_control.engine.network import NetworkSpec
from snn_control.engine.neurons import UNREACHABLE
from snn_control.engine.nir_consumers.core import (
    Agreement,
    compare,
    ConsumerUnavailable,
    exported_graph,
    InitialState,
    Trace,
)

#: Where scripts/bootstrap.sh installs Rockpool 3.1.0 with nir 1.0.4 and nirtorch 1.0.
ROCKPOOL_PATH = Path(
    os.environ.get('SNN_CONTROL_ROCKPOOL_PATH', Path(sys.prefix) / 'nir-consumers' / 'rockpool')
)
#: Bound on one worker run (import about 1 s, then a few ms per step on one core).
WORKER_TIMEOUT_S = 300.0
#: Synaptic decay standing in for "no memory" (item 4 of the module docstring).
NO_MEMORY_DECAY = 2.0**-40


def rockpool_available() -> bool:
    """Tell whether Rockpool's directory holds Rockpool and nir 1.0.4."""
    return (ROCKPOOL_PATH / 'rockpool' / 'nn').is_dir() and (ROCKPOOL_PATH / 'nir').is_dir()


def rockpool_differences(spec: NetworkSpec) -> tuple[str, ...]:
    """List what Rockpool cannot express for ``spec`` (item 5)."""
    return tuple(
        f"rockpool: population {pop.name!r} resets to zero with voltage memory: Rockpool's "
        'LIFTorch resets by subtraction only'
        for pop in spec.populations
        if pop.spiking and pop.reset == 'hard' and np.any(pop.params['dv'] != 1.0)
    )


def _exponential_tau(decay: np.ndarray, dt: float) -> np.ndarray:
    """``tau`` with ``1 - exp(-dt / tau) = decay`` (0 for a decay of 1)."""
    keep = np.clip(1.0 - decay, 0.0, 1.0)
    with np.errstate(divide='ignore'):
        return np.where(keep > 0, -dt / np.log(np.where(keep > 0, keep, 1.0)), 0.0)


def rockpool_job(graph: Any, initial_state: InitialState) -> dict[str, np.ndarray]:
    """
    Return the attributes to set on Rockpool's modules for our ``graph`` (items 2 to 6).

    And under ``input_scale`` the factor for the graph's input (item 4).
    """
    import nir

    dt = float(graph.metadata['snn_control']['dt'])
    job: dict[str, np.ndarray] = {}
    synaptic_decay: dict[str, np.ndarray] = {}
    for name, node in graph.nodes.items():
        if not isinstance(node, (nir.CubaLIF, nir.CubaLI)):
            continue
        du = dt / np.asarray(node.tau_syn, dtype=np.float64)
        dv = dt / np.asarray(node.tau_mem, dtype=np.float64)
        synaptic_decay[name] = np.maximum(1.0 - du, NO_MEMORY_DECAY)
        job[f'{name}/dt'] = np.array(dt)
        job[f'{name}/tau_mem'] = _exponential_tau(dv, dt)
        job[f'{name}/tau_syn'] = _exponential_tau(1.0 - synaptic_decay[name], dt)
        job[f'{name}/bias'] = np.asarray(node.v_leak, dtype=np.float64) * dv
        job[f'{name}/max_spikes_per_dt'] = np.array(1.0)
        if name in initial_state:
            u, v = initial_state[name]
            job[f'{name}/isyn'], job[f'{name}/vmem'] = np.asarray(u), np.asarray(v)
    for source, target in graph.edges:
        node = graph.nodes[source]
        if isinstance(node, nir.Input) and target in synaptic_decay:
            # the input population's current comes straight from the graph's input
            job['input_scale'] = 1.0 / synaptic_decay[target]
        if isinstance(node, nir.Linear) and target in synaptic_decay:
            weight = np.asarray(node.weight, dtype=np.float64) / synaptic_decay[target][:, None]
            job[f'{source}/weight'] = weight.T  # LinearTorch keeps (inputs, outputs)
    return job


def _write_job(folder: Path, spec: NetworkSpec, fields: dict[str, Any]) -> tuple[Any, Path]:
    """Write ``spec``'s NIR file and a worker job for it into ``folder``: (graph, job path)."""
    fields = dict(fields)  # the entries it takes are popped from a copy
    graph, path = exported_graph(spec, str(folder))
    job = rockpool_job(graph, fields.pop('initial_state', {}))
    scale = job.pop('input_scale', 1.0)
    np.savez(
        folder / 'job.npz',
        nir_path=np.array(path),
        unreachable=np.array(UNREACHABLE),
        neurons=np.array([pop.name for pop in spec.populations]),
        currents=np.asarray(fields.pop('currents'), dtype=np.float64) * scale,
        **fields,
        **job,
    )
    return graph, folder / 'job.npz'


def _run_worker(tasks: list[tuple[Path, Path]]) -> None:
    """
    Run :mod:`.rockpool_worker` on each (job, output) pair, all in one process.

    One process for all: importing Rockpool takes seconds.
    """
    from snn_control.processes import run_bounded

    env = dict(os.environ)
    env['PYTHONPATH'] = os.pathsep.join(
        [str(ROCKPOOL_PATH)] + [p for p in env.get('PYTHONPATH', '').split(os.pathsep) if p]
    )
    worker = Path(__file__).with_name('rockpool_worker.py')
    # -P: the worker's folder must not come first on sys.path (this module is "rockpool")
    done = run_bounded(
        [sys.executable, '-P', str(worker)] + [str(p) for task in tasks for p in task],
        timeout=WORKER_TIMEOUT_S,
        env=env,
    )
    if done.returncode != 0:
        raise RuntimeError(
            f'the Rockpool worker failed ({done.returncode}): {done.stderr[-2000:]}'
        )


def _require_rockpool() -> None:
    if not rockpool_available():
        raise ConsumerUnavailable(
            f'Rockpool is not installed in {ROCKPOOL_PATH} (scripts/bootstrap.sh installs it)'
        )


def run_rockpool(spec: NetworkSpec, currents: np.ndarray, initial_state: InitialState) -> Trace:
    """
    Rockpool's run of ``spec``'s NIR file on ``currents`` ``(T, n_inputs)``, in a subprocess.

    Returns per population ``spikes`` and ``v``, each ``(T, size)``, in Rockpool's undelayed
    time.
    """
    _require_rockpool()
    with tempfile.TemporaryDirectory() as folder:
        fields = {'currents': currents, 'initial_state': initial_state}
        _, job = _write_job(Path(folder), spec, fields)
        out = Path(folder) / 'out.npz'
        _run_worker([(job, out)])
        with np.load(out) as data:
            return {
                pop.name: {'spikes': data[f'{pop.name}/spikes'], 'v': data[f'{pop.name}/v']}
                for pop in spec.populations
            }


def rockpool_round_trips(specs: Sequence[NetworkSpec]) -> list[Any]:
    """
    Export each network to NIR, load it in Rockpool, and export Rockpool's modules again.

    Returns Rockpool's NIR graphs (nir 1.0.4 files, read with our nir), which
    :func:`~snn_control.engine.nir_io.from_nir` reads with ``convention="rockpool"`` and the
    network's ``dt``. Rockpool's model fed ``x`` is that network fed ``b x`` (``b`` the input
    population's synaptic decay, item 4); :func:`run_rockpool` feeds it ``x / b``.
    """
    import nir

    _require_rockpool()
    for spec in specs:
        loops = [c.name for c in spec.connections if c.port == 'current' and c.source == c.target]
        if loops:
            raise ValueError(
                f"Rockpool 3.1.0's to_nir cannot export self-connections ({', '.join(loops)}): "
                'it wires them to a new output node instead of back to their population'
            )
    with tempfile.TemporaryDirectory() as folder:
        ours, tasks = [], []
        for i, spec in enumerate(specs):
            sub = Path(folder) / str(i)
            sub.mkdir()
            fields = {'currents': np.zeros((1, spec.n_inputs)), 'export': True}
            graph, job = _write_job(sub, spec, fields)
            ours.append(graph)
            tasks.append((job, sub / 'rockpool.nir'))
        _run_worker(tasks)
        theirs = [nir.read(str(out)) for _, out in tasks]
    for spec, graph, back in zip(specs, ours, theirs):
        # The tracer must find every edge of ours and no other: a wrong one would not fail later.
        if set(back.edges) != set(graph.edges):
            raise RuntimeError(
                f"Rockpool's NIR export changed the edges of {spec.name}: "
                f'{sorted(set(back.edges) ^ set(graph.edges))}'
            )
    return theirs


def compare_with_rockpool(spec: NetworkSpec, currents: np.ndarray) -> Agreement:
    """Run ``spec`` here and its NIR file in Rockpool on ``currents``; compare."""
    return compare(spec, currents, run_rockpool, rockpool_differences(spec))
