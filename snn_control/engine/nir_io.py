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
Export a :class:`NetworkSpec` to the Neuromorphic Intermediate Representation and back.

NIR describes neurons in continuous time; ours are discrete. With the network's step
``dt`` (metadata ``dt``, default 1 ms) and forward Euler, which is how NIR consumers
discretise (Norse, snnTorch: ``x <- x + dt/tau * (...)``), our equations map exactly:

* current: ``u <- (1-du) u + W s``  ==  ``tau_syn = dt/du`` and ``w_in = 1/du``;
* voltage: ``v <- (1-dv) v + u + bias``  ==  ``tau_mem = dt/dv``, ``r = 1/dv``,
  ``v_leak = bias/dv``;
* a perfect integrator (``du`` or ``dv`` = 0) has no finite time constant; written as
  ``tau = inf`` an Euler consumer computes ``dt/tau = 0`` and does not integrate at all,
  so it is written with the decay ``PERFECT_INTEGRATOR_DECAY`` (1e-12 per step) instead:
  finite ``tau``, ``r``, ``w_in``, and a leak that float32 cannot even represent
  (``1 - 1e-12 == 1``) and float64 accumulates to 1e-6 in a million steps;
* hard reset: ``v_reset = 0``; NIR has no soft reset and no adaptive threshold.

Each node also carries our exact discrete parameters under ``metadata["snn_control"]``,
so that ``from_nir(to_nir(spec))`` is lossless; graphs from other tools (without that
metadata) are imported from the standard fields. Threshold-port connections (adaptive
thresholds) have no NIR primitive. Where the target's voltage keeps nothing from step to
step (``dv = 1``), a raised threshold is exactly a lowered current (``v = u + bias >
vth + theta`` iff ``u - theta + bias > vth``), so if its current has the threshold's decay
(or no input) the connection is written as an edge with negated weights into a current
with the threshold's decay, and a consumer computes the same spikes; otherwise it travels
in the graph's metadata only. What NIR consumers do differently
(undelayed edges, soft reset, threshold adaptation) is listed in ``SEMANTIC_NOTES``, and
:mod:`snn_control.engine.nir_consumers` measures it against a real consumer.

A graph from another tool is read by that tool's discretisation (``from_nir``'s
``convention``), since NIR's continuous-time fields do not fix one:

* ``"euler"`` (the default; what we write, Norse and snnTorch read, and snnTorch writes):
  the Euler mapping above, inverted; ``r`` and ``w_in`` must be ``tau / dt``.
* ``"rockpool"`` (what ``rockpool.nn.modules.to_nir`` of Rockpool 3.1.0 writes for its
  ``LIFTorch``, whose step is ``I <- b (I + x)``, ``V <- a V + I + bias``, spike where
  ``V >= vth``, subtract ``vth``; ``a = exp(-dt / tau_mem)``, ``b = exp(-dt / tau_syn)``):
  ``du = 1 - b``, ``dv = 1 - a``, ``bias = v_leak (1 - a)``, soft reset (nir <= 1.0.4's
  ``CubaLIF`` has no ``v_reset``: it subtracts, and nir 1.0.8 reads such a file with
  ``v_reset = 0``, which this convention ignores), and each ``Linear`` into a population
  multiplied by its ``b`` (Rockpool's synapse decays what it has just added). ``w_in`` must
  be 1 (Rockpool ignores it), and ``r`` Rockpool's ``tau_mem exp(-dt / tau_mem) / dt``,
  which is how the given ``dt`` is checked: Rockpool writes no step into the graph. Two
  things our network cannot hold: the input population's input passes through ``b`` in
  Rockpool but not here (Rockpool's model fed ``x`` is the imported one fed ``b x``), and
  Rockpool emits up to ``max_spikes_per_dt`` spikes per step (not in NIR), ours one.

In either convention a ``CubaLIF`` that cannot fire (threshold
:data:`~snn_control.engine.neurons.UNREACHABLE`, how we hand readouts to consumers without
``CubaLI``, and how they write them back) is read as a leaky integrator.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from snn_control.engine.network import Connection, NetworkFileError, NetworkSpec, Population
from snn_control.engine.neurons import UNREACHABLE

DEFAULT_DT = 1e-3
#: How :func:`from_nir` discretises a graph without our metadata (module docstring).
CONVENTIONS = ('euler', 'rockpool')
#: Decay per step written for a perfect integrator (module docstring): tau = dt * 1e12.
PERFECT_INTEGRATOR_DECAY = 1e-12
SEMANTIC_NOTES = (
    'every connection of ours delays by one step (Loihi); NIR edges are undelayed in most '
    'consumers, '
    'so there a feed-forward population at depth d runs d steps earlier',
    'soft reset is not a NIR primitive (v_reset = 0 is written); consumers that can subtract the '
    'threshold '
    "(Norse's reset_subtract) reproduce it from the population's reset in snn_control metadata",
    'adaptive thresholds are not NIR primitives: onto memoryless-voltage neurons (dv = 1) whose '
    'current has '
    "the threshold's decay or no input they are written as negated current edges (exact); "
    'otherwise they '
    'travel only in snn_control metadata, so consumers run those neurons without adaptation',
    'perfect integrators (du or dv = 0) are written with a decay of 1e-12 per step (finite tau, '
    'r, w_in)',
    'a leaky integrator readout is exported as CubaLI',
)


class UnsupportedNIRError(NetworkFileError):
    """A NIR graph uses a node type we cannot represent; the message names the node."""


def euler_fields(params: dict[str, np.ndarray], dt: float) -> dict[str, np.ndarray]:
    """
    Return NIR's continuous-time fields for a population.

    Their forward-Euler step with ``dt`` is our discrete update.
    """
    du = np.maximum(np.asarray(params['du'], dtype=np.float64), PERFECT_INTEGRATOR_DECAY)
    dv = np.maximum(np.asarray(params['dv'], dtype=np.float64), PERFECT_INTEGRATOR_DECAY)
    return {
        'tau_syn': dt / du,
        'w_in': 1.0 / du,
        'tau_mem': dt / dv,
        'r': 1.0 / dv,
        'v_leak': np.asarray(params['bias'], dtype=np.float64) / dv,
    }


def threshold_as_current(spec: NetworkSpec, pop: Population) -> bool:
    """
    Tell whether a population's threshold adaptation can travel as a current.

    See the module docstring: an adaptive population whose voltage keeps nothing (``dv = 1``) and
    whose current either decays like the threshold (``du = dth``) or has no non-zero input.
    """
    if pop.model != 'adaptive_lif' or not np.all(pop.params['dv'] == 1.0):
        return False
    silent = all(not np.any(c.weight) for c in spec.incoming(pop.name, 'current'))
    return silent or bool(np.all(pop.params['du'] == pop.params['dth']))


def to_nir(spec: NetworkSpec) -> Any:
    """
    Return the network as a ``nir.NIRGraph``.

    Populations become neuron nodes, connections Linear nodes.
    """
    import nir

    dt = float(spec.metadata.get('dt', DEFAULT_DT))
    nodes: dict[str, Any] = {'input': nir.Input(input_type={'input': np.array([spec.n_inputs])})}
    edges: list[tuple[str, str]] = [('input', spec.input_population)]
    as_current = {pop.name for pop in spec.populations if threshold_as_current(spec, pop)}
    for pop in spec.populations:
        p = pop.params
        exact = {
            'model': pop.model,
            'reset': pop.reset,
            'dt': dt,
            **{k: np.asarray(v, dtype=np.float64) for k, v in p.items()},
        }
        # The threshold's decay becomes the current's (for a foreign consumer; ours reads `exact`).
        fields = euler_fields({**p, 'du': p['dth']} if pop.name in as_current else p, dt)
        if pop.spiking:
            node = nir.CubaLIF(
                v_threshold=np.asarray(p['vth'], dtype=np.float64),
                v_reset=np.zeros(pop.size),
                **fields,
            )
        else:
            node = nir.CubaLI(**fields)
        node.metadata = {'snn_control': exact}
        nodes[pop.name] = node
    threshold_connections: dict[str, Any] = {}
    # A threshold connection written as a current rides in the current connection from the
    # same source where there is one: two edges between the same pair of nodes would be
    # two sources to nirtorch, which may run the target before the second (a step late).
    pairs = {
        (c.source, c.target): i for i, c in enumerate(spec.connections) if c.port == 'current'
    }
    # current connection index -> the threshold connection written inside it
    riders = {
        pairs[(c.source, c.target)]: i
        for i, c in enumerate(spec.connections)
        if c.port == 'threshold' and c.target in as_current and (c.source, c.target) in pairs
    }
    for i, conn in enumerate(spec.connections):
        name = f'w{i}_{conn.source}_{conn.target}'
        weight = np.asarray(conn.weight, dtype=np.float64)
        ours: dict[str, Any] = {'port': conn.port, 'sparse': conn.sparse, 'index': i}
        if conn.port == 'threshold':
            if conn.target not in as_current:
                # As an edge, a consumer would add these weights to the current (the opposite
                # of raising the threshold); it runs the target without adaptation instead.
                threshold_connections[name] = {
                    **ours,
                    'source': conn.source,
                    'target': conn.target,
                    'weight': weight,
                }
                continue
            if i in riders.values():
                continue
            weight = -weight  # a raised threshold written as a lowered current
            ours['negated'] = True
        elif i in riders:
            rider = spec.connections[riders[i]]
            jumps = np.asarray(rider.weight, dtype=np.float64)
            # Both exact weights in our metadata (W - J + J need not give W back in floating
            # point).
            ours['threshold'] = {
                'index': riders[i],
                'sparse': rider.sparse,
                'weight': jumps,
                'current_weight': weight,
            }
            weight = weight - jumps
        nodes[name] = nir.Linear(weight=weight)
        nodes[name].metadata = {'snn_control': ours}
        edges += [(conn.source, name), (name, conn.target)]
    readouts = [p.name for p in spec.populations if not p.spiking] or [spec.populations[-1].name]
    for name in readouts:
        nodes[f'output_{name}'] = nir.Output(
            output_type={'output': np.array([spec.population(name).size])}
        )
        edges.append((name, f'output_{name}'))
    graph_meta: dict[str, Any] = {
        'name': spec.name,
        'input_population': spec.input_population,
        'dt': dt,
    }
    if threshold_connections:
        graph_meta['threshold_connections'] = threshold_connections
    return nir.NIRGraph(nodes=nodes, edges=edges, metadata={'snn_control': graph_meta})


def write_nir(spec: NetworkSpec, path: str | Path) -> Path:
    import nir

    path = Path(path)
    nir.write(str(path), to_nir(spec))
    return path


def from_nir(
    graph: Any, name: str | None = None, dt: float | None = None, convention: str = 'euler'
) -> NetworkSpec:
    """
    Return a NetworkSpec from a NIR graph: exact when written by us, else from standard fields.

    ``dt`` is the step to discretise with; it defaults to the one we recorded in the graph,
    else 1 ms. Time constants only make sense together with it. ``convention`` is the
    discretisation of the tool that wrote the graph, one of :data:`CONVENTIONS` (module
    docstring); nodes with our metadata are read exactly whatever it says.
    """
    import nir

    if convention not in CONVENTIONS:
        raise ValueError(f'unknown NIR convention {convention!r}; known: {CONVENTIONS}')
    meta = dict(graph.metadata.get('snn_control', {})) if isinstance(graph.metadata, dict) else {}
    dt = float(dt if dt is not None else meta.get('dt', DEFAULT_DT))
    pops: list[Population] = []
    # Per population read from standard fields: the factor on its incoming Linear weights.
    weight_gain: dict[str, np.ndarray] = {}
    linears: dict[str, Any] = {}
    for node_name, node in graph.nodes.items():
        ours = (
            node.metadata.get('snn_control')
            if isinstance(getattr(node, 'metadata', None), dict)
            else None
        )
        if isinstance(node, (nir.Input, nir.Output)):
            continue
        if isinstance(node, (nir.Linear, nir.Affine)):
            if isinstance(node, nir.Affine) and np.any(np.asarray(node.bias) != 0):
                raise UnsupportedNIRError(
                    f'NIR node {node_name!r}: Affine with a non-zero bias is not supported '
                    "(fold the bias into the target population's bias)"
                )
            linears[node_name] = node
            continue
        if isinstance(node, (nir.CubaLIF, nir.CubaLI)):
            if ours:
                params = {
                    k: np.asarray(v, dtype=np.float64)
                    for k, v in ours.items()
                    if k not in ('model', 'reset', 'dt')
                }
                pops.append(
                    Population(
                        node_name,
                        int(params['du'].size),
                        str(ours['model']),
                        params,
                        reset=str(ours.get('reset', 'hard')),
                    )
                )
            else:
                pop, weight_gain[node_name] = _population_from_standard_fields(
                    node_name, node, dt, convention
                )
                pops.append(pop)
            continue
        raise UnsupportedNIRError(
            f'NIR node {node_name!r} of type {type(node).__name__} is not supported; '
            'supported: Input, Output, Linear, Affine (zero bias), CubaLIF, CubaLI'
        )
    pop_names = {p.name for p in pops}
    incoming = {dst: src for src, dst in graph.edges if src in pop_names and dst in linears}
    # (position in the original spec, connection): the order fixes the summation order of inputs.
    conns: list[tuple[int, Connection]] = []
    for src, dst in graph.edges:
        if src in linears and dst in pop_names:
            if src not in incoming:
                raise UnsupportedNIRError(f'NIR node {src!r}: Linear without a source population')
            ours = (
                linears[src].metadata.get('snn_control', {})
                if isinstance(linears[src].metadata, dict)
                else {}
            )
            weight = np.asarray(linears[src].weight, dtype=np.float64)
            if dst in weight_gain:
                weight = weight * weight_gain[dst][:, None]
            rider = ours.get('threshold')
            if isinstance(rider, dict):  # a threshold connection written inside this current one
                weight = np.asarray(rider['current_weight'], dtype=np.float64)
                jumps = np.asarray(rider['weight'], dtype=np.float64)
                conns.append(
                    (
                        int(rider['index']),
                        Connection(
                            incoming[src],
                            dst,
                            jumps,
                            port='threshold',
                            sparse=bool(rider['sparse']),
                        ),
                    )
                )
            conns.append(
                (
                    int(ours.get('index', len(conns))),
                    Connection(
                        incoming[src],
                        dst,
                        -weight if ours.get('negated') else weight,
                        port=str(ours.get('port', 'current')),
                        sparse=bool(ours.get('sparse', False)),
                    ),
                )
            )
    for entry in dict(meta.get('threshold_connections', {})).values():
        conns.append(
            (
                int(entry['index']),
                Connection(
                    str(entry['source']),
                    str(entry['target']),
                    np.asarray(entry['weight'], dtype=np.float64),
                    port='threshold',
                    sparse=bool(entry['sparse']),
                ),
            )
        )
    conns.sort(key=lambda indexed: indexed[0])
    inputs = [dst for src, dst in graph.edges if isinstance(graph.nodes.get(src), nir.Input)]
    if len(inputs) != 1 or inputs[0] not in pop_names:
        raise UnsupportedNIRError(
            f'the NIR graph must feed its Input into exactly one neuron node, got {inputs}'
        )
    return NetworkSpec(
        tuple(pops),
        tuple(c for _, c in conns),
        inputs[0],
        name=name or str(meta.get('name', 'nir_import')),
        metadata={'dt': dt, 'imported_from': 'nir'},
    )


def read_nir(path: str | Path) -> NetworkSpec:
    import nir

    return from_nir(nir.read(str(path)))


def _population_from_standard_fields(
    name: str, node: Any, dt: float, convention: str
) -> tuple[Population, np.ndarray]:
    """
    Invert ``convention``'s discretisation for a node written by another tool.

    Returns the population and the factor on its incoming ``Linear`` weights (per neuron).
    """
    import nir

    tau_syn = np.asarray(node.tau_syn, dtype=np.float64).reshape(-1)
    tau_mem = np.asarray(node.tau_mem, dtype=np.float64).reshape(-1)
    r = np.broadcast_to(np.asarray(node.r, dtype=np.float64).reshape(-1), tau_mem.shape)
    w_in = np.broadcast_to(np.asarray(node.w_in, dtype=np.float64).reshape(-1), tau_syn.shape)
    v_leak = np.broadcast_to(np.asarray(node.v_leak, dtype=np.float64).reshape(-1), tau_mem.shape)
    if convention == 'rockpool':
        # 1 - exp(-dt / tau) through expm1, exact for small ratios; b and a directly, since
        # 1 - (1 - b) would lose a small b. Rockpool writes tau = 0 for a decay to 0, which
        # exp(-inf) gives.
        with np.errstate(divide='ignore'):
            du, dv = (-np.expm1(-dt / tau) for tau in (tau_syn, tau_mem))
            gain, keeps = (np.exp(-dt / tau) for tau in (tau_syn, tau_mem))
        if not np.allclose(r, np.where(tau_mem > 0, tau_mem * keeps / dt, 0.0), rtol=1e-4):
            raise UnsupportedNIRError(
                f"NIR node {name!r}: r is not Rockpool's tau_mem exp(-dt/tau_mem)/dt for "
                f'dt = {dt} s: pass the step the Rockpool model was made with'
            )
        if not np.allclose(w_in, 1.0):
            raise UnsupportedNIRError(
                f'NIR node {name!r}: w_in must be 1 in a Rockpool graph (Rockpool ignores it)'
            )
        reset = 'soft'
    else:
        du = np.clip(dt / tau_syn, 0, 1)
        dv = np.clip(dt / tau_mem, 0, 1)
        if not (np.allclose(r * dv, 1.0) and np.allclose(w_in * du, 1.0)):
            raise UnsupportedNIRError(
                f'NIR node {name!r}: r and w_in must equal tau/dt (Euler-normalised neurons); '
                'rescale the incoming weights first'
            )
        gain = np.ones(tau_syn.shape)
        reset = 'hard'
        v_reset = getattr(node, 'v_reset', None)
        if isinstance(node, nir.CubaLIF) and v_reset is not None and np.any(
            np.asarray(v_reset) != 0
        ):
            raise UnsupportedNIRError(
                f'NIR node {name!r}: only v_reset = 0 (hard reset to zero) is supported'
            )
    bias = v_leak * dv
    # Time constants this long are perfect integrators (module docstring): give them back their
    # exact 0.
    du, dv = (np.where(d < 2 * PERFECT_INTEGRATOR_DECAY, 0.0, d) for d in (du, dv))
    # A threshold past half of UNREACHABLE is one, rounded to float32 by the tool that wrote it.
    never_fires = not isinstance(node, nir.CubaLIF) or bool(
        np.all(np.asarray(node.v_threshold, dtype=np.float64) >= 0.5 * UNREACHABLE)
    )
    if never_fires:
        params = {'du': du, 'dv': dv, 'bias': bias}
        return Population(name, tau_mem.size, 'leaky_integrator', params), gain
    vth = np.broadcast_to(np.asarray(node.v_threshold, dtype=np.float64), tau_mem.shape)
    params = {'du': du, 'dv': dv, 'vth': vth, 'bias': bias}
    return Population(name, tau_mem.size, 'cuba_lif', params, reset=reset), gain
