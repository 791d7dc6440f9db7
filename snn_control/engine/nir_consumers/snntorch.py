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
Run an exported NIR graph in snnTorch 1.0.0 and compare it with our simulator.

``snntorch.import_nir.import_from_nir`` maps a ``CubaLIF`` to ``snntorch.Synaptic``
(``syn <- alpha syn + x``, ``mem <- beta mem + syn``, spike if ``mem > threshold``, reset
at once: ``reset_delay=False``) and runs the graph with ``nirtorch.nir_to_torch`` (undelayed
edges, as Norse: item 6 of :mod:`.norse`). Its import has limitations the driver works
around before and after the import, each with snnTorch's own modules and parameters:

1. ``dt`` is fixed at 1e-4 s (``alpha = 1 - 1e-4 / tau_syn``): the driver hands it the time
   constants scaled by ``1e-4 / dt``, so that its ``alpha``, ``beta`` are ``1 - du``,
   ``1 - dv``; ``r`` and ``w_in`` stay (``r = tau_mem / 1e-4`` holds after scaling).
2. One threshold per population (an assertion): the driver imports with threshold 1 and then
   sets each ``Synaptic.threshold`` to the per-neuron tensor, which ``Synaptic`` supports.
3. No ``v_leak`` (an assertion): onto neurons whose voltage keeps nothing (``dv = 1``), a
   bias is exactly a lowered threshold (``u + b > vth`` iff ``u > vth - b``), which the driver
   writes; elsewhere a non-zero bias is a known difference and the neuron runs without it.
4. Reset: the import resets to zero at once (``reset_mechanism="zero"``,
   ``reset_delay=False``), which is our hard reset, and for ``dv = 1`` also our soft one.
   Other soft-reset populations get ``reset_mechanism="subtract"``; snnTorch's setter
   updates ``reset_mechanism_val`` but not the ``state_function`` chosen in ``__init__``
   (a bug), so the driver sets that too. snnTorch's subtraction matches ours only while a
   voltage after its reset stays below the threshold: from above twice the threshold,
   snnTorch subtracts again before the next firing check (undecayed), we after it.
5. No ``CubaLI``: as for Norse, a never-firing ``CubaLIF`` (threshold
   :data:`~snn_control.engine.neurons.UNREACHABLE`), whose ``mem`` is the readout.
6. Initial state: the driver sets each ``Synaptic``'s ``syn`` and ``mem`` (``init_hidden``
   keeps them on the module), ``mem`` only where the voltage has memory (``dv < 1``: where
   it has none a residual above the threshold would make the zero reset drop a step).
7. Recurrence: ``import_from_nir`` wraps a self-connection (``LIF -> Linear -> LIF``) in a
   sub-graph for ``RSynaptic``, but its node map for ``nirtorch.nir_to_torch`` has no entry
   for ``NIRGraph``, so the import fails (``'GraphModule' object has no attribute 'items'``
   with nirtorch 2.6). The driver leaves self-connections out of the graph it hands over and
   names them as a known difference; the rest is measured.
8. Precision: float32 against our float64, as Norse.
"""

from __future__ import annotations

import contextlib
import io
import tempfile
from typing import Any

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

#: The step snnTorch 1.0.0's NIR import and export assume (seconds).
SNNTORCH_DT = 1e-4


def cell(module: Any, name: str) -> Any:
    """Return the snnTorch neuron of node ``name`` (nirtorch renames Python keywords)."""
    from nirtorch.nir_interpreter import _sanitize_name

    return module.get_submodule(_sanitize_name(name))


def import_snntorch() -> Any:
    """Import snnTorch's NIR import and export, or say that it is missing."""
    try:
        import snntorch
        import snntorch.export_nir
        import snntorch.import_nir
    except ImportError as exc:
        raise ConsumerUnavailable(f'snntorch is not installed: {exc}') from exc
    return snntorch


def _graph_dt(graph: Any) -> float:
    return float(graph.metadata['snn_control']['dt'])


def _memoryless(node: Any, dt: float) -> np.ndarray:
    """Neurons whose Euler voltage keeps nothing from step to step (``dt / tau_mem = 1``)."""
    return np.isclose(dt / np.asarray(node.tau_mem, dtype=np.float64), 1.0)


def snntorch_differences(spec: NetworkSpec) -> tuple[str, ...]:
    """List what snnTorch's import cannot express for ``spec`` (items 3 and 4)."""
    reasons = [
        f"snntorch: connection {conn.name} is recurrent: snnTorch 1.0.0's import_from_nir "
        'cannot load the sub-graph it makes of it, the driver leaves it out'
        for conn in spec.connections
        if conn.port == 'current' and conn.source == conn.target
    ]
    for pop in spec.populations:
        keeps = pop.params['dv'] != 1.0
        if np.any(keeps & (pop.params['bias'] != 0)):
            reasons.append(
                f'snntorch: population {pop.name!r} has a bias (NIR v_leak) on neurons whose '
                "voltage has memory: snnTorch's CubaLIF has no v_leak, they run without it"
            )
        if pop.spiking and pop.reset == 'soft' and np.any(keeps):
            reasons.append(
                f'snntorch: population {pop.name!r} resets by subtraction with voltage memory: '
                'snnTorch subtracts a second time before the firing check where a voltage '
                'exceeds twice its threshold'
            )
    return tuple(reasons)


def load_in_snntorch(graph: Any, spec: NetworkSpec) -> Any:
    """Load our exported ``graph`` of ``spec`` in snnTorch, items 1 to 5 bridged."""
    import nir
    import torch

    import_snntorch()
    from snntorch.import_nir import import_from_nir

    dt = _graph_dt(graph)
    scale = SNNTORCH_DT / dt
    thresholds: dict[str, np.ndarray] = {}
    nodes = {}
    for name, node in graph.nodes.items():
        if not isinstance(node, (nir.CubaLIF, nir.CubaLI)):
            nodes[name] = node
            continue
        size = np.shape(node.tau_mem)
        vth = (
            np.asarray(node.v_threshold, dtype=np.float64)
            if isinstance(node, nir.CubaLIF)
            else np.full(size, UNREACHABLE)
        )
        v_leak = np.asarray(node.v_leak, dtype=np.float64)
        memoryless = _memoryless(node, dt)
        # item 3: with dt / tau_mem = 1 the per-step bias is v_leak itself
        thresholds[name] = np.where(memoryless, vth - v_leak, vth)
        nodes[name] = nir.CubaLIF(
            tau_syn=np.asarray(node.tau_syn) * scale,  # item 1
            tau_mem=np.asarray(node.tau_mem) * scale,
            r=node.r,
            w_in=node.w_in,
            v_leak=np.zeros(size),
            v_threshold=np.ones(size),  # item 2: set per neuron below
            v_reset=np.zeros(size),
        )
    # item 7: the Linear nodes of self-connections, and their edges, stay out
    loops = {
        name
        for name in graph.nodes
        if any((pop, name) in graph.edges and (name, pop) in graph.edges for pop in thresholds)
    }
    nodes = {name: node for name, node in nodes.items() if name not in loops}
    edges = [(a, b) for a, b in graph.edges if a not in loops and b not in loops]
    # import_from_nir prints progress ("replace rnn subgraph with nirgraph"); keep it quiet
    with contextlib.redirect_stdout(io.StringIO()):
        module = import_from_nir(
            nir.NIRGraph(nodes=nodes, edges=edges, metadata=graph.metadata)
        )
    for pop in spec.populations:
        neuron = cell(module, pop.name)
        neuron.threshold = torch.as_tensor(thresholds[pop.name], dtype=torch.float32)
        if pop.spiking and pop.reset == 'soft' and np.any(pop.params['dv'] != 1.0):
            # item 4: the setter leaves the zero-reset state function of __init__ in place
            neuron.reset_mechanism = 'subtract'
            neuron.state_function = neuron._base_sub
    return module


def run_snntorch(spec: NetworkSpec, currents: np.ndarray, initial_state: InitialState) -> Trace:
    """
    Run ``spec``'s NIR file in snnTorch on ``currents`` ``(T, n_inputs)``.

    Returns per population ``spikes`` and ``v``, each ``(T, size)``, in snnTorch's undelayed
    time.
    """
    import torch

    with tempfile.TemporaryDirectory() as folder:
        graph, _ = exported_graph(spec, folder)
    module = load_in_snntorch(graph, spec)
    steps = len(currents)
    out = {
        pop.name: {'spikes': np.zeros((steps, pop.size)), 'v': np.zeros((steps, pop.size))}
        for pop in spec.populations
    }
    cells = {pop.name: cell(module, pop.name) for pop in spec.populations}
    spikes: dict[str, Any] = {}
    for name, neuron in cells.items():
        # init_hidden: a neuron returns only its spikes, which the graph passes on; keep them
        neuron.register_forward_hook(
            lambda _m, _i, output, name=name: spikes.__setitem__(name, output)
        )

    def as_batch(values: np.ndarray) -> Any:
        return torch.as_tensor(np.asarray(values, dtype=np.float32)).reshape(1, -1)

    for pop in spec.populations:
        u, v = initial_state.get(pop.name, (np.zeros(pop.size), np.zeros(pop.size)))
        cells[pop.name].syn = as_batch(u)
        # item 6: a memoryless voltage starts from nothing
        cells[pop.name].mem = as_batch(np.where(pop.params['dv'] == 1.0, 0.0, v))
    with torch.no_grad():
        for t in range(steps):
            spikes.clear()
            module(as_batch(currents[t]))
            for name, neuron in cells.items():
                if name in spikes:  # populations the input does not reach never run
                    out[name]['spikes'][t] = spikes[name][0].numpy()
                    out[name]['v'][t] = neuron.mem[0].numpy()
    return out


def compare_with_snntorch(spec: NetworkSpec, currents: np.ndarray) -> Agreement:
    """Run ``spec`` here and its NIR file in snnTorch on ``currents``; compare."""
    import_snntorch()
    return compare(spec, currents, run_snntorch, snntorch_differences(spec))


def snntorch_round_trip(spec: NetworkSpec) -> Any:
    """
    Export ``spec`` to NIR, import it into snnTorch, and export snnTorch's module again.

    Returns snnTorch's NIR graph (its conventions: ``dt`` = :data:`SNNTORCH_DT`, hard reset,
    no ``v_leak``, readouts as never-firing ``CubaLIF``), which
    :func:`~snn_control.engine.nir_io.from_nir` reads with ``dt=SNNTORCH_DT``.
    """
    import torch

    import_snntorch()
    from snntorch.export_nir import export_to_nir

    with tempfile.TemporaryDirectory() as folder:
        graph, _ = exported_graph(spec, folder)
    module = load_in_snntorch(graph, spec)
    for pop in spec.populations:
        neuron = cell(module, pop.name)
        # export_to_nir writes alpha and beta as they are, a scalar where the import made one
        # of a shared value, beside a per-neuron threshold: nir.CubaLIF rejects the mixed
        # shapes (a bug); per-neuron tensors, which Synaptic takes, export correctly.
        for decay in ('alpha', 'beta'):
            value = torch.as_tensor(getattr(neuron, decay), dtype=torch.float32)
            setattr(neuron, decay, value.expand(pop.size).clone())
    with contextlib.redirect_stdout(io.StringIO()):
        # ignore_dims: the sample batch dimension is no part of the neurons' types
        return export_to_nir(module, torch.zeros(1, spec.n_inputs), ignore_dims=[0])
