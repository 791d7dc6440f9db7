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
A place-recognition ensemble as an engine network: one description for every backend.

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
  the same module (block diagonal, stored sparse). Without the refractory period (below)
  the kernel's ``w_inh`` need not be the network's best: :func:`choose_inhibition` picks the
  weight on the map's calibration queries (``python -m snn_control.vpr.network``, stored in
  the map as ``network_inhibition``). The kernel relays each excitatory spike
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

import sys

import numpy as np
from snn_control.engine.network import Connection, make_population, NetworkSpec
from snn_control.vpr.ensemble import Ensemble, place_scores
from snn_control.vpr.metrics import recall_at_k
import torch

INPUT = 'pixels'
PLACE_CELLS = 'place_cells'
#: Winner-take-all weights tried on the calibration queries (:func:`choose_inhibition`).
INHIBITION_CANDIDATES = (0.05, 0.1, 0.2, 0.5, 1.0, 2.0)


def ensemble_network(
    ens: Ensemble, inhibition: float | None = None, name: str = 'vpr_ensemble'
) -> NetworkSpec:
    """
    Return the query-time network of a trained ensemble (module docstring).

    ``inhibition``: the winner-take-all weight (default: the ensemble's ``w_inh``;
    :func:`choose_inhibition`).
    """
    c = ens.config
    m, n_in, n = ens.weights.shape
    w_inh = c.w_inh if inhibition is None else float(inhibition)
    if not np.isfinite(w_inh) or w_inh < 0:
        raise ValueError(f'inhibition must be a finite weight >= 0, got {inhibition!r}')
    weights = c.query_gain * ens.weights.permute(0, 2, 1).reshape(m * n, n_in).double().numpy()
    inhibition_weights = np.kron(np.eye(m), -w_inh * (np.ones((n, n)) - np.eye(n)))
    pops = (
        make_population(INPUT, n_in, 'cuba_lif', reset='soft', du=1.0, dv=0.0, vth=1.0),
        make_population(
            PLACE_CELLS, m * n, 'cuba_lif', reset='hard', du=1.0, dv=1.0 - c.keep_v, vth=c.v_th
        ),
    )
    conns = (
        Connection(INPUT, PLACE_CELLS, weights),
        Connection(PLACE_CELLS, PLACE_CELLS, inhibition_weights, sparse=True),
    )
    meta = {
        'system': 'vpr',
        'modules': m,
        'neurons_per_module': n,
        'query_steps': c.query_steps,
        'inhibition': w_inh,
        'p_max': c.p_max,
        'readouts': [],
        'encoder': 'rate currents (p_max * input rate per step)',
    }
    return NetworkSpec(pops, conns, INPUT, name=name, metadata=meta)


def query_currents(ens: Ensemble, rates: np.ndarray) -> np.ndarray:
    """``(query_steps, [B,] n_inputs)`` input currents of one image's (or a batch's) rates."""
    rates = np.asarray(rates, dtype=np.float64)
    return np.broadcast_to(ens.config.p_max * rates, (ens.config.query_steps, *rates.shape)).copy()


def network_spike_counts(
    ens: Ensemble,
    rates: np.ndarray,
    library: str = 'torch',
    mode: str = 'float',
    batch: int = 64,
    spec: NetworkSpec | None = None,
    dtype: torch.dtype | None = None,
    inhibition: float | None = None,
) -> torch.Tensor:
    """
    Count the place cells' spikes of :func:`ensemble_network` on the engine.

    Returns ``(B, M, n_exc)`` counts, in the shape :func:`~snn_control.vpr.ensemble.place_scores`
    reads; ``spec`` is a variant of the network (such as quantised weights). ``dtype``: the torch
    library's float type (float32 by default; winner-take-all amplifies rounding, so backends agree
    spike for spike only at equal precision).
    """
    from snn_control.engine.simulator import Simulator

    rates = np.asarray(rates, dtype=np.float64)
    if rates.ndim != 2:
        raise ValueError(f'expected (images, inputs) rates, got shape {rates.shape}')
    spec = spec or ensemble_network(ens, inhibition)
    m, _, n = ens.weights.shape
    out = []
    for start in range(0, len(rates), batch):
        chunk = rates[start:start + batch]
        sim = Simulator(
            spec,
            library=library,
            mode=mode,
            batch_size=len(chunk),
            dtype=dtype if library == 'torch' else None,
        )
        cells = sim.layout.slices[PLACE_CELLS]
        counts = np.zeros((len(chunk), m * n))
        for current in query_currents(ens, chunk):
            counts += np.asarray(sim.step(current).s[..., cells], dtype=np.float64)
        out.append(counts)
    return torch.from_numpy(np.concatenate(out).reshape(len(rates), m, n)).float()


def choose_inhibition(
    ens: Ensemble,
    rates: np.ndarray,
    truth: np.ndarray,
    candidates: tuple[float, ...] = INHIBITION_CANDIDATES,
) -> tuple[float, dict[float, float]]:
    """
    Choose the winner-take-all weight on calibration queries.

    The weight whose network answers the queries (``rates`` and their true places) with the best
    Recall@1 (the strongest such on ties), and the recall of every candidate. Measured, not
    derived: the network lacks the kernel's refractory period, so the kernel's weight need not suit
    it (on the shipped map it does not).
    """
    recalls = {}
    for weight in candidates:
        counts = network_spike_counts(ens, rates, inhibition=weight)
        recalls[float(weight)] = recall_at_k(
            -place_scores(ens, counts).numpy(), np.asarray(truth), 1
        )
    best = max(recalls, key=lambda w: (recalls[w], w))
    return best, recalls


def main(argv: list[str] | None = None) -> int:
    """
    ``python -m snn_control.vpr.network MAP REFERENCE QUERY``.

    Choose the map's network inhibition on its calibration queries and write it into the map.
    """
    import argparse
    import json

    from snn_control.vpr.data import load_pair
    from snn_control.vpr.place_map import load_map, PlaceMapError, save_map

    parser = argparse.ArgumentParser(
        prog='python -m snn_control.vpr.network', description=main.__doc__
    )
    parser.add_argument('map', help='place map (.npz), rewritten in place unless --out')
    parser.add_argument('reference', help="the map's reference image folder")
    parser.add_argument(
        'query', help='the query traversal whose calibration images the map records'
    )
    parser.add_argument('--out', help='write the map here instead')
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    try:
        place_map = load_map(args.map)
        if len(place_map.calibration) == 0:
            raise PlaceMapError(
                f'{args.map} records no calibration queries (build it with --calibration)'
            )
        pair = load_pair(args.reference, args.query)
        index = place_map.calibration
        place_map.network_inhibition, recalls = choose_inhibition(
            place_map.ensemble, place_map.rates(pair.query.images[index]), pair.ground_truth[index]
        )
        path = save_map(place_map, args.out or args.map)
    except (OSError, ValueError) as exc:
        print(f'snn_control.vpr.network: {exc}', file=sys.stderr)
        return 2
    print(
        json.dumps(
            {
                'network_inhibition': place_map.network_inhibition,
                'calibration_recall_at_1': recalls,
                'map': str(path),
            },
            sort_keys=True,
        )
    )
    return 0


if __name__ == '__main__':
    sys.exit(main())
