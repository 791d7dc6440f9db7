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
Run an exported NIR graph in Norse and compare it with our simulator.

Norse is one of the independent consumers (:mod:`snn_control.engine.nir_consumers`); the
comparison (:func:`~snn_control.engine.nir_consumers.core.compare`) is spike by spike.

A NIR file fixes continuous-time equations, not how a consumer discretises them, when an
edge delivers, where the state starts or how a neuron resets. The comparison therefore
checks the meaning of our export, not just the file: :func:`compare_with_norse` writes the
network with :func:`~snn_control.engine.nir_io.write_nir`, reads the file back, loads it
with ``norse.torch.from_nir``, runs Norse and our numpy simulator on the same input
currents and counts the (neuron, step) spike entries that are equal.

Why Norse (evaluated against what PyPI offers, beside our pinned torch 2.13 CPU, numpy < 2
and nir 1.0.8):

* Norse 1.1.0 installs with ``--no-deps`` (it needs only ``nir`` and ``nirtorch``; its
  declared torchvision is used by its MNIST task only) and maps ``CubaLIF`` with every
  parameter per neuron, takes ``dt``, and resets to a value or by subtracting the threshold.
  It has no ``CubaLI``.
* snnTorch 1.0.0 accepts ``CubaLIF`` only with one threshold per population, ``v_leak = 0``
  (no bias), reset to zero and ``dt`` fixed at 1e-4 s; no ``CubaLI``.
* Sinabs 3.1.3 and Rockpool 3.1.0 require ``nir <= 1.0.4``; Sinabs has no ``CubaLIF`` and
  needs SynSense's proprietary ``samna``; Rockpool derives ``dt`` from ``tau_mem / (1 + r)``
  and decays exponentially, so our Euler encoding does not survive the import.
* Spyx 1.0.0 needs the JAX/Flax stack and reads only the decays of a ``CubaLIF``, not its
  thresholds or leak.

Semantics of Norse running our graph, and how each difference is bridged (the figures:
``snn-control bench deploy``):

1. Time constants and ``dt``: Norse integrates ``tau dx/dt`` with forward Euler and the
   ``dt`` we pass (the one the graph records). The exporter's encoding (``tau = dt/decay``,
   ``w_in = 1/du``, ``r = 1/dv``, ``v_leak = bias/dv``; perfect integrators with a decay of
   1e-12 because Euler with ``tau = inf`` would not integrate) makes Norse's update equal
   ours; see :mod:`snn_control.engine.nir_io`.
2. Order of integration: both update the current, then the voltage with the new current,
   then compare with the threshold (strictly greater) and reset. Equal.
3. Reset: NIR knows only "reset to ``v_reset``" (we write 0: our hard reset). Norse can also
   subtract the threshold; its ``from_nir`` takes one reset for the whole graph, so the
   driver sets ``reset_subtract`` on each population whose reset is soft.
4. Synaptic leak: Norse 1.1.0 hands ``v_leak`` to the synapse as well, so its current relaxes
   towards ``v_leak``, which NIR's ``tau_syn dI/dt = -I + w_in S`` does not; the driver
   sets the synapse's ``v_leak`` to 0, leaving the leak where NIR puts it (the membrane).
5. Initial state: Norse starts every state at ``v_leak`` (NIR does not say); ours start at 0.
   The driver passes an explicit initial state.
6. Delays: every connection of ours delivers one step later (Lava, Loihi); nirtorch, which
   executes Norse's graph, runs edges without delay and gives a back edge the previous
   step's value. For a population at depth ``d`` (connections from the input population)
   of a layered graph this is a shift by ``d`` steps: ours at ``t + d`` is theirs at ``t``.
   During its first ``d`` steps our population integrates only its bias, so the driver
   starts Norse's population from our state at step ``d - 1``, which makes the shift
   exact. Self-connections are delayed by one step on both sides; a connection that skips
   or goes back across layers, or a second source population (nirtorch's depth-first order
   may run a node before one of its sources), is not a pure shift: those are listed in
   :attr:`Agreement.known_differences`.
7. Readouts: Norse has no ``CubaLI``. A ``CubaLI`` is a ``CubaLIF`` that never fires, so the
   driver hands Norse that (threshold :data:`~snn_control.engine.neurons.UNREACHABLE`) and
   reads its voltage.
8. Adaptive thresholds are no NIR primitive. Onto neurons whose voltage keeps nothing
   (``dv = 1``) the export writes them as negated current edges, which is exact
   (:func:`~snn_control.engine.nir_io.threshold_as_current`); elsewhere it leaves them out
   of the graph and Norse runs those neurons without adaptation. Not bridged: it is what
   any NIR consumer would run, and the disagreement is reported.
9. Precision: Norse computes in float32, we in float64: a voltage within float32 rounding
   of the threshold may fire on one side only.
"""

from __future__ import annotations

import tempfile
from typing import Any, Mapping
import warnings

import numpy as np
from snn_control.engine.network import NetworkSpec
from snn_control.engine.neurons import UNREACHABLE
from snn_control.engine.nir_consumers.core import (
    Agreement,
    compare,
    ConsumerUnavailable,
    exported_graph,
)


def import_norse() -> Any:
    """
    Import ``norse.torch`` without its deprecation warnings.

    Norse 1.1.0 raises them under torch 2.13 (its ``torch.jit.script`` uses; it loads graphs
    through nirtorch's older API).
    """
    with warnings.catch_warnings():
        warnings.simplefilter('ignore', DeprecationWarning)
        import norse.torch
    return norse.torch


def load_in_norse(graph: Any, spec: NetworkSpec) -> Any:
    """Norse's module for our exported ``graph`` of ``spec``, with items 3, 4 and 7 bridged."""
    import nir
    from nirtorch.utils import sanitize_name
    import torch

    norse_torch = import_norse()
    from norse.torch.functional.reset import reset_subtract, reset_value

    def never_firing(node: Any) -> Any:
        return nir.CubaLIF(
            tau_syn=node.tau_syn,
            tau_mem=node.tau_mem,
            r=node.r,
            v_leak=node.v_leak,
            w_in=node.w_in,
            v_threshold=np.full(np.shape(node.tau_mem), UNREACHABLE),
            v_reset=np.zeros(np.shape(node.tau_mem)),
        )

    nodes = {
        name: never_firing(node) if isinstance(node, nir.CubaLI) else node
        for name, node in graph.nodes.items()
    }
    dt = float(graph.metadata['snn_control']['dt'])
    with warnings.catch_warnings():
        warnings.simplefilter('ignore', DeprecationWarning)
        module = norse_torch.from_nir(
            nir.NIRGraph(nodes=nodes, edges=graph.edges, metadata=graph.metadata),
            dt=dt,
            reset_method=reset_value,
        )
    for pop in spec.populations:
        cell = getattr(module, sanitize_name(pop.name))
        cell.synapse.p = cell.synapse.p._replace(
            v_leak=torch.zeros_like(torch.as_tensor(cell.synapse.p.v_leak))
        )
        if pop.reset == 'soft':
            cell.lif.p = cell.lif.p._replace(reset_method=reset_subtract)
    return module


def run_norse(
    spec: NetworkSpec,
    currents: np.ndarray,
    initial_state: Mapping[str, tuple[np.ndarray, np.ndarray]] | None = None,
) -> dict[str, dict[str, np.ndarray]]:
    """
    Norse's run of ``spec``'s NIR file on ``currents`` ``(T, n_inputs)``.

    ``initial_state`` maps a population to its (current, voltage) before the first step
    (default zeros). Returns per population ``spikes`` and ``v``, each ``(T, size)``, in
    Norse's undelayed time (module docstring, item 6).
    """
    from nirtorch.graph_executor import GraphExecutorState
    from nirtorch.utils import sanitize_name
    import torch

    import_norse()
    from norse.torch.functional.leaky_integrator_box import LIBoxState
    from norse.torch.functional.lif_box import LIFBoxFeedForwardState

    with tempfile.TemporaryDirectory() as folder:
        graph, _ = exported_graph(spec, folder)
    module = load_in_norse(graph, spec)
    initial_state = initial_state or {}
    names = {pop.name: sanitize_name(pop.name) for pop in spec.populations}

    def as_batch(values: np.ndarray) -> Any:
        return torch.as_tensor(np.asarray(values, dtype=np.float32)).reshape(1, -1)

    state = GraphExecutorState()
    for pop in spec.populations:
        u, v = initial_state.get(pop.name, (np.zeros(pop.size), np.zeros(pop.size)))
        # nirtorch hands a module the items of its state entry after the input: one item,
        # the (synapse, membrane) state of Norse's CubaLIF.
        state.state[names[pop.name]] = (
            (LIBoxState(v=as_batch(u)), LIFBoxFeedForwardState(v=as_batch(v))),
        )
    steps = len(currents)
    out = {
        pop.name: {'spikes': np.zeros((steps, pop.size)), 'v': np.zeros((steps, pop.size))}
        for pop in spec.populations
    }
    with torch.no_grad():
        for t in range(steps):
            _, state = module(as_batch(currents[t]), state)
            for pop in spec.populations:
                key = names[pop.name]
                if key in state.cache:  # populations the input does not reach never run
                    out[pop.name]['spikes'][t] = state.cache[key][0].numpy()
                    out[pop.name]['v'][t] = state.state[key][0][1].v[0].numpy()
    return out


def compare_with_norse(spec: NetworkSpec, currents: np.ndarray) -> Agreement:
    """Run ``spec`` here and its NIR file in Norse on ``currents`` ``(T, n_inputs)``; compare."""
    try:
        import_norse()
    except ImportError as exc:
        raise ConsumerUnavailable(f'norse is not installed: {exc}') from exc
    return compare(spec, currents, run_norse)
