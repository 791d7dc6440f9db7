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
Load an NIR file with Rockpool 3.1.0 and run it, in a process of its own.

Run by :mod:`.rockpool` as ``python -P rockpool_worker.py <job.npz> <out> ...`` (pairs) with
``PYTHONPATH`` starting at Rockpool's directory, so that Rockpool's ``nir`` 1.0.4 and
``nirtorch`` 1.0 shadow ours. It imports neither ``snn_control`` nor ``samna``: Rockpool's
backend probe tries ``import samna`` at import time, and the finder below refuses it (and
``rockpool.devices``, which needs it) whatever is installed.

The job holds the NIR file's path, the input currents ``(T, n)``, and per module name the
attributes to set after ``rockpool.nn.modules.from_nir`` (``<module>/<attribute>`` arrays,
reshaped to the attribute's shape). The output holds ``<node>/spikes`` and ``<node>/v`` per
neuron module, ``(T, size)``.

A job with ``export`` set runs nothing: the worker exports the adjusted modules with
``rockpool.nn.modules.to_nir`` and writes that graph (nir 1.0.4) to the output path, after
bridging two bugs of that export in Rockpool 3.1.0 (:func:`_exported`).
"""

import dataclasses
import importlib.abc
import sys

import numpy as np


class _Refuse(importlib.abc.MetaPathFinder):
    """Refuse to import samna and Rockpool's device packages."""

    def find_spec(self, name, path=None, target=None):  # noqa: D102
        if name == 'samna' or name.startswith(('samna.', 'rockpool.devices')):
            raise ImportError(f'{name} is not to be imported by snn_control')
        return None


def _as_nir_104(entry, unreachable):
    """
    Return a node dictionary nir 1.0.4 can build.

    nir 1.0.4 predates ``CubaLI`` (written as a never-firing ``CubaLIF``, Rockpool has no
    readout neuron either), ``CubaLIF.v_reset`` (its ``CubaLIF`` resets by subtraction, as
    Rockpool does) and metadata on some nodes; fields it does not know are dropped.
    """
    import nir

    if not isinstance(entry, dict):
        return entry
    entry = {key: _as_nir_104(value, unreachable) for key, value in entry.items()}
    kind = entry.get('type')
    if kind == 'CubaLI':
        entry['type'] = kind = 'CubaLIF'
        entry['v_threshold'] = np.full(np.shape(entry['tau_mem']), unreachable)
    if isinstance(kind, str) and kind not in ('NIRGraph', 'Input', 'Output'):
        known = {f.name for f in dataclasses.fields(getattr(nir, kind))} | {'type'}
        entry = {key: value for key, value in entry.items() if key in known}
    return entry


def _exported(module, graph, sample):
    """
    Return Rockpool's NIR export of ``module`` (loaded from ``graph``), two bugs bridged.

    Rockpool 3.1.0's ``to_nir`` (with nirtorch 1.0's tracer):

    1. maps the ``Identity`` modules that nirtorch's loader makes of ``Input`` and ``Output``
       to ``None`` and traces an edge from each to itself, so the graph cannot be written:
       the nodes of ``graph`` of those names go back in, their self-edges out;
    2. writes ``v_leak = zeros_like(bias)`` for every ``LIFTorch``, whatever its bias: the
       bias is lost. Written here instead: the voltage Rockpool's update relaxes to without
       input, ``bias / (1 - alpha)`` (``alpha = exp(-dt / tau_mem)``, 1 - alpha in float64).
    """
    import nir
    from rockpool.nn.modules import to_nir
    import torch

    exported = to_nir(module, sample)
    nodes, ends = dict(exported.nodes), set()
    for name, node in exported.nodes.items():
        if node is None and isinstance(graph.nodes.get(name), (nir.Input, nir.Output)):
            nodes[name] = graph.nodes[name]  # item 1
            ends.add(name)
        elif isinstance(node, nir.CubaLIF):  # item 2
            lif = module.get_submodule(name)
            tau = lif.tau_mem.detach().double().reshape(-1)
            relax = -torch.expm1(-float(lif.dt) / tau)
            bias = lif.bias.detach().double().reshape(-1) / torch.where(relax > 0, relax, 1.0)
            node.v_leak = np.broadcast_to(bias.numpy(), np.shape(node.v_threshold)).copy()
    missing = [name for name, node in nodes.items() if node is None]
    if missing:
        raise RuntimeError(f"Rockpool's to_nir exported no node for {missing}")
    edges = [(a, b) for a, b in exported.edges if not (a == b and a in ends)]
    return nir.NIRGraph(nodes=nodes, edges=edges)


def main(job_path, out_path):
    """Load, adjust, then run or export, save (module docstring)."""
    if not any(isinstance(finder, _Refuse) for finder in sys.meta_path):
        sys.meta_path.insert(0, _Refuse())
    import h5py
    import nir
    from nir.serialization import hdf2dict
    from rockpool.nn.modules import from_nir
    import torch

    job = dict(np.load(job_path, allow_pickle=False))
    with h5py.File(str(job.pop('nir_path')), 'r') as f:
        graph = nir.dict2NIRNode(_as_nir_104(hdf2dict(f['node']), float(job.pop('unreachable'))))
    module = from_nir(graph)
    currents = job.pop('currents')
    neurons = [str(n) for n in job.pop('neurons')]
    export = bool(job.pop('export', False))
    for key, value in job.items():
        name, attribute = key.split('/')
        current = getattr(module.get_submodule(name), attribute)
        shape = current.shape if isinstance(current, torch.Tensor) else np.shape(value)
        tensor = torch.as_tensor(np.asarray(value, dtype=np.float32)).reshape(shape)
        value = tensor if isinstance(current, torch.Tensor) else float(tensor)
        setattr(module.get_submodule(name), attribute, value)
    if export:
        # a (batch, time, channel) sample: the GraphExecutor has no size_in for to_nir to use
        sample = torch.zeros((1, 1) + np.shape(currents)[1:])
        with torch.no_grad():
            nir.write(out_path, _exported(module, graph, sample))
        return
    steps = len(currents)
    out = {}
    for name in neurons:
        size = int(module.get_submodule(name).size_out)
        out[f'{name}/spikes'] = np.zeros((steps, size))
        out[f'{name}/v'] = np.zeros((steps, size))
    state = None
    with torch.no_grad():
        for t in range(steps):
            x = torch.as_tensor(np.asarray(currents[t], dtype=np.float32)).reshape(1, 1, -1)
            _, state = module(x, state)
            for name in neurons:
                if name in state.cache:
                    out[f'{name}/spikes'][t] = state.cache[name].reshape(-1).numpy()
                    out[f'{name}/v'][t] = module.get_submodule(name).vmem.reshape(-1).numpy()
    np.savez(out_path, **out)


if __name__ == '__main__':
    # (job, output) pairs: one process for several jobs imports Rockpool once
    for job_path, out_path in zip(sys.argv[1::2], sys.argv[2::2]):
        main(job_path, out_path)
