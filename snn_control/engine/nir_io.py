"""Export a :class:`NetworkSpec` to the Neuromorphic Intermediate Representation and back.

NIR describes neurons in continuous time; ours are discrete. With the network's step
``dt`` (metadata ``dt``, default 1 ms) and forward Euler, which is how NIR consumers
discretise, our equations map exactly:

* current: ``u <- (1-du) u + W s``  ==  ``tau_syn = dt/du`` and ``w_in = 1/du``;
* voltage: ``v <- (1-dv) v + u + bias``  ==  ``tau_mem = dt/dv``, ``r = 1/dv``,
  ``v_leak = bias/dv``; a perfect integrator (``dv = 0``) has no finite NIR equivalent
  and is written with ``tau_mem = inf``, ``r = 1``, ``v_leak = 0`` plus our exact values;
* hard reset: ``v_reset = 0``; NIR has no soft reset and no adaptive threshold.

Each node also carries our exact discrete parameters under ``metadata["snn_control"]``,
so that ``from_nir(to_nir(spec))`` is lossless; graphs from other tools (without that
metadata) are imported from the standard fields. What NIR consumers do differently
(zero-delay edges, soft reset, threshold adaptation) is listed in ``SEMANTIC_NOTES``.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from snn_control.engine.network import Connection, NetworkFileError, NetworkSpec, Population

DEFAULT_DT = 1e-3
SEMANTIC_NOTES = (
    "every connection of ours delays by one step (Loihi); NIR edges are undelayed in most consumers",
    "soft reset and adaptive thresholds are not NIR primitives: they travel only in snn_control metadata",
    "a leaky integrator readout is exported as CubaLI",
)


class UnsupportedNIRError(NetworkFileError):
    """A NIR graph uses a node type we cannot represent; the message names the node."""


def _safe_div(num: np.ndarray | float, den: np.ndarray) -> np.ndarray:
    den = np.asarray(den, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(den > 0, np.asarray(num, dtype=np.float64) / np.where(den > 0, den, 1.0), np.inf)


def to_nir(spec: NetworkSpec) -> Any:
    """The network as a ``nir.NIRGraph`` (populations as neuron nodes, connections as Linear)."""
    import nir

    dt = float(spec.metadata.get("dt", DEFAULT_DT))
    nodes: dict[str, Any] = {"input": nir.Input(input_type={"input": np.array([spec.n_inputs])})}
    edges: list[tuple[str, str]] = [("input", spec.input_population)]
    for pop in spec.populations:
        p = pop.params
        du, dv = p["du"], p["dv"]
        exact = {"model": pop.model, "reset": pop.reset, "dt": dt,
                 **{k: np.asarray(v, dtype=np.float64) for k, v in p.items()}}
        common = dict(tau_syn=_safe_div(dt, du), tau_mem=_safe_div(dt, dv),
                      r=np.where(dv > 0, _safe_div(1.0, dv), 1.0),
                      v_leak=np.where(dv > 0, _safe_div(p["bias"], dv), 0.0), w_in=np.where(du > 0, _safe_div(1.0, du), 1.0))
        if pop.spiking:
            node = nir.CubaLIF(v_threshold=np.asarray(p["vth"], dtype=np.float64), v_reset=np.zeros(pop.size), **common)
        else:
            node = nir.CubaLI(**common)
        node.metadata = {"snn_control": exact}
        nodes[pop.name] = node
    for i, conn in enumerate(spec.connections):
        name = f"w{i}_{conn.source}_{conn.target}"
        nodes[name] = nir.Linear(weight=np.asarray(conn.weight, dtype=np.float64))
        nodes[name].metadata = {"snn_control": {"port": conn.port, "sparse": conn.sparse}}
        edges += [(conn.source, name), (name, conn.target)]
    readouts = [p.name for p in spec.populations if not p.spiking] or [spec.populations[-1].name]
    for name in readouts:
        nodes[f"output_{name}"] = nir.Output(output_type={"output": np.array([spec.population(name).size])})
        edges.append((name, f"output_{name}"))
    graph = nir.NIRGraph(nodes=nodes, edges=edges, metadata={"snn_control": {
        "name": spec.name, "input_population": spec.input_population, "dt": dt}})
    return graph


def write_nir(spec: NetworkSpec, path: str | Path) -> Path:
    import nir

    path = Path(path)
    nir.write(str(path), to_nir(spec))
    return path


def from_nir(graph: Any, name: str | None = None, dt: float | None = None) -> NetworkSpec:
    """A NetworkSpec from a NIR graph: exact when written by us, else from standard fields.

    ``dt`` is the step to discretise with; it defaults to the one we recorded in the graph,
    else 1 ms. Time constants only make sense together with it.
    """
    import nir

    meta = dict(graph.metadata.get("snn_control", {})) if isinstance(graph.metadata, dict) else {}
    dt = float(dt if dt is not None else meta.get("dt", DEFAULT_DT))
    pops: list[Population] = []
    linears: dict[str, Any] = {}
    for node_name, node in graph.nodes.items():
        ours = node.metadata.get("snn_control") if isinstance(getattr(node, "metadata", None), dict) else None
        if isinstance(node, (nir.Input, nir.Output)):
            continue
        if isinstance(node, (nir.Linear, nir.Affine)):
            if isinstance(node, nir.Affine) and np.any(np.asarray(node.bias) != 0):
                raise UnsupportedNIRError(f"NIR node {node_name!r}: Affine with a non-zero bias is not supported "
                                          "(fold the bias into the target population's bias)")
            linears[node_name] = node
            continue
        if isinstance(node, (nir.CubaLIF, nir.CubaLI)):
            if ours:
                params = {k: np.asarray(v, dtype=np.float64) for k, v in ours.items()
                          if k not in ("model", "reset", "dt")}
                pops.append(Population(node_name, int(params["du"].size), str(ours["model"]), params,
                                       reset=str(ours.get("reset", "hard"))))
            else:
                pops.append(_population_from_standard_fields(node_name, node, dt))
            continue
        raise UnsupportedNIRError(f"NIR node {node_name!r} of type {type(node).__name__} is not supported; "
                                  "supported: Input, Output, Linear, Affine (zero bias), CubaLIF, CubaLI")
    pop_names = {p.name for p in pops}
    incoming = {dst: src for src, dst in graph.edges if src in pop_names and dst in linears}
    conns = []
    for src, dst in graph.edges:
        if src in linears and dst in pop_names:
            if src not in incoming:
                raise UnsupportedNIRError(f"NIR node {src!r}: Linear without a source population")
            ours = linears[src].metadata.get("snn_control", {}) if isinstance(linears[src].metadata, dict) else {}
            conns.append(Connection(incoming[src], dst, np.asarray(linears[src].weight, dtype=np.float64),
                                    port=str(ours.get("port", "current")), sparse=bool(ours.get("sparse", False))))
    inputs = [dst for src, dst in graph.edges if isinstance(graph.nodes.get(src), nir.Input)]
    if len(inputs) != 1 or inputs[0] not in pop_names:
        raise UnsupportedNIRError(f"the NIR graph must feed its Input into exactly one neuron node, got {inputs}")
    return NetworkSpec(tuple(pops), tuple(conns), inputs[0], name=name or str(meta.get("name", "nir_import")),
                       metadata={"dt": dt, "imported_from": "nir"})


def read_nir(path: str | Path) -> NetworkSpec:
    import nir

    return from_nir(nir.read(str(path)))


def _population_from_standard_fields(name: str, node: Any, dt: float) -> Population:
    """Invert the Euler mapping for a node written by another tool."""
    import nir

    tau_syn = np.asarray(node.tau_syn, dtype=np.float64).reshape(-1)
    tau_mem = np.asarray(node.tau_mem, dtype=np.float64).reshape(-1)
    du = np.clip(dt / tau_syn, 0, 1)
    dv = np.clip(dt / tau_mem, 0, 1)
    r = np.broadcast_to(np.asarray(node.r, dtype=np.float64), tau_mem.shape)
    w_in = np.broadcast_to(np.asarray(node.w_in, dtype=np.float64), tau_syn.shape)
    if not (np.allclose(r * np.where(dv > 0, dv, 1.0), 1.0) and np.allclose(w_in * np.where(du > 0, du, 1.0), 1.0)):
        raise UnsupportedNIRError(f"NIR node {name!r}: r and w_in must equal tau/dt (Euler-normalised neurons); "
                                  "rescale the incoming weights first")
    bias = np.broadcast_to(np.asarray(node.v_leak, dtype=np.float64), tau_mem.shape) * dv
    if isinstance(node, nir.CubaLI):
        return Population(name, tau_mem.size, "leaky_integrator", {"du": du, "dv": dv, "bias": bias})
    v_reset = getattr(node, "v_reset", None)
    if v_reset is not None and np.any(np.asarray(v_reset) != 0):
        raise UnsupportedNIRError(f"NIR node {name!r}: only v_reset = 0 (hard reset to zero) is supported")
    vth = np.broadcast_to(np.asarray(node.v_threshold, dtype=np.float64), tau_mem.shape)
    return Population(name, tau_mem.size, "cuba_lif", {"du": du, "dv": dv, "vth": vth, "bias": bias})
