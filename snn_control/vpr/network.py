"""A place-recognition ensemble as an engine network: one description for every backend.

The ensemble trains and answers on its own batched kernel (:mod:`snn_control.vpr.ensemble`),
which keeps STDP and per-module state in the shapes torch runs fastest. For deployment the
trained ensemble becomes a :class:`~snn_control.engine.network.NetworkSpec`, so that the
same network runs on the engine's numpy/torch backends, in Loihi fixed point, on Lava
(``snn-control deploy``), and exports to NIR:

* ``pixels``: one integrate-and-fire relay per input (CUBA-LIF, ``du = 1``, no leak, soft
  reset, threshold 1). Fed its rate ``p_max * rate`` as a current every step, it fires
  regular spike trains at that rate: the rate-coded input of the kernel's training, without
  the Bernoulli noise.
* ``place_cells``: every module's excitatory neurons, module after module (neuron ``j`` of
  module ``m`` is ``m * n_exc + j``, the kernel's order). CUBA-LIF with ``du = 1`` (the
  current is this step's input), ``dv = 1 - keep_v``, the base threshold (the kernel answers
  with it too), hard reset to 0.
* ``pixels -> place_cells``: the learnt weights times ``query_gain``: the kernel's input
  current per input spike.
* ``place_cells -> place_cells``: the winner-take-all, ``-w_inh`` from every other neuron of
  the same module (block diagonal, stored sparse). The kernel relays each excitatory spike
  through an inhibitory partner that fires exactly one step later; the engine's connection
  delivers one step later by itself, so the partner population is folded into this weight,
  as the kernel folds it.

Differences from the kernel, measured side by side by ``snn-control bench deploy``
(``vpr_recall_at_1_network`` against ``vpr_recall_at_1_kernel``): the kernel holds a
neuron at rest for ``refractory`` steps after a spike, which neither Loihi's CUBA neuron
nor NIR can express, so the network has no refractory period; its inputs are regular spike
trains where the kernel's default query uses their expected current; its input reaches the
place cells one step later (one synaptic hop). Place scores are read out as the kernel reads
them (:func:`~snn_control.vpr.ensemble.place_scores`: spike counts of the labelled, non-
hyperactive neurons), off the network.
"""
from __future__ import annotations

import numpy as np
import torch

from snn_control.engine.network import Connection, NetworkSpec, make_population
from snn_control.vpr.ensemble import Ensemble

INPUT = "pixels"
PLACE_CELLS = "place_cells"


def ensemble_network(ens: Ensemble, name: str = "vpr_ensemble") -> NetworkSpec:
    """The query-time network of a trained ensemble (module docstring)."""
    c = ens.config
    m, n_in, n = ens.weights.shape
    weights = c.query_gain * ens.weights.permute(0, 2, 1).reshape(m * n, n_in).double().numpy()
    inhibition = np.kron(np.eye(m), -c.w_inh * (np.ones((n, n)) - np.eye(n)))
    pops = (make_population(INPUT, n_in, "cuba_lif", reset="soft", du=1.0, dv=0.0, vth=1.0),
            make_population(PLACE_CELLS, m * n, "cuba_lif", reset="hard", du=1.0, dv=1.0 - c.keep_v, vth=c.v_th))
    conns = (Connection(INPUT, PLACE_CELLS, weights),
             Connection(PLACE_CELLS, PLACE_CELLS, inhibition, sparse=True))
    meta = {"system": "vpr", "modules": m, "neurons_per_module": n, "query_steps": c.query_steps,
            "p_max": c.p_max, "readouts": [], "encoder": "rate currents (p_max * input rate per step)"}
    return NetworkSpec(pops, conns, INPUT, name=name, metadata=meta)


def query_currents(ens: Ensemble, rates: np.ndarray) -> np.ndarray:
    """``(query_steps, [B,] n_inputs)`` input currents of one image's (or a batch's) rates."""
    rates = np.asarray(rates, dtype=np.float64)
    return np.broadcast_to(ens.config.p_max * rates, (ens.config.query_steps, *rates.shape)).copy()


def network_spike_counts(ens: Ensemble, rates: np.ndarray, library: str = "torch", mode: str = "float",
                         batch: int = 64, spec: NetworkSpec | None = None, dtype: torch.dtype | None = None,
                         ) -> torch.Tensor:
    """``(B, M, n_exc)`` spike counts of the place cells running :func:`ensemble_network` (or
    ``spec``, a variant of it such as quantised weights) on the engine, in the shape
    :func:`~snn_control.vpr.ensemble.place_scores` reads. ``dtype``: the torch library's
    float type (float32 by default; winner-take-all amplifies rounding, so backends agree
    spike for spike only at equal precision)."""
    from snn_control.engine.simulator import Simulator

    rates = np.asarray(rates, dtype=np.float64)
    if rates.ndim != 2:
        raise ValueError(f"expected (images, inputs) rates, got shape {rates.shape}")
    spec = spec or ensemble_network(ens)
    m, _, n = ens.weights.shape
    out = []
    for start in range(0, len(rates), batch):
        chunk = rates[start:start + batch]
        sim = Simulator(spec, library=library, mode=mode, batch_size=len(chunk),
                        dtype=dtype if library == "torch" else None)
        cells = sim.layout.slices[PLACE_CELLS]
        counts = np.zeros((len(chunk), m * n))
        for current in query_currents(ens, chunk):
            counts += np.asarray(sim.step(current).s[..., cells], dtype=np.float64)
        out.append(counts)
    return torch.from_numpy(np.concatenate(out).reshape(len(rates), m, n)).float()
