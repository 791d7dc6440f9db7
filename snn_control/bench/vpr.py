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
``snn-control bench vpr``: the SNN ensemble against SAD on Nordland summer -> winter.

One run, from scratch: a map of all reference places (summer) is trained with the package
defaults and seed 0, calibrated on a seeded sample of 300 winter queries (query statistics
and the hyperactive cut), and queried with the other winter images; SAD (patch-normalised
sum of absolute differences, 32x16 pixels, 8x8 patches: the issue's baseline) answers the
same held-out queries. Figures:

* ``places``; ``recall_at_1`` (tolerance 0), ``recall_at_1_tol1``, ``recall_at_5``,
  ``recall_at_10``, ``pr_auc``, ``recall_at_100_precision`` and the ``sad_`` equivalents;
* ``contiguous_recall_at_1``: the same with the paper's regions of consecutive places
  instead of the default seeded-shuffled regions;
* ``sad_same_input_recall_at_1``: SAD on the SNN's own input (cropped, traversal-
  standardised ON/OFF rates), which separates what the preprocessing gives from what the
  network gives;
* ``sequence_<L>_recall_at_1`` and ``sad_sequence_<L>_recall_at_1``: Recall@1 after
  SeqSLAM-style sequence matching over the last L = 5 and 10 queries (every query scored,
  held-out ones evaluated);
* ``train_s``: map training on 2 cores (reference preprocessing included);
* ``queries_per_s``: queries per second on one core (``torch.set_num_threads(1)``),
  preprocessing included, batches of 64, every winter image;
* scaling: ``train_s_<n>``, ``query_ms_<n>`` (per query, one core) and ``map_mb_<n>`` (the
  ensemble's parameters in memory) for the first n = 500, 1000, 2000 places and all.

Plots (``results/vpr/``): precision-recall curves of SNN and SAD, and the scaling curves.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
import time

import numpy as np
import torch

SCALING_PLACES = (500, 1000, 2000)
CALIBRATION_COUNT = 300
SEQUENCE_LENGTHS = (5, 10)
RESULTS = Path('results/vpr')


def _map_mb(place_map) -> float:
    e = place_map.ensemble
    return (
        e.weights.numel() * e.weights.element_size()
        + e.theta.numel() * 4
        + e.labels.nbytes
        + e.reference_firing.nbytes
    ) / 1e6


def _train_and_time(pair, n: int, seed: int = 0, config=None):
    from snn_control.vpr.cli import calibration_sample
    from snn_control.vpr.ensemble import EnsembleConfig
    from snn_control.vpr.place_map import build_map

    queries = np.arange(n)
    cal = calibration_sample(n, min(CALIBRATION_COUNT, n // 4), seed)
    torch.set_num_threads(2)
    start = time.perf_counter()
    place_map = build_map(
        pair.reference.images[:n],
        pair.reference.frames[:n],
        config or EnsembleConfig(),
        seed=seed,
        calibration_images=pair.query.images[cal],
        calibration_truth=pair.ground_truth[cal],
        calibration_index=cal,
    )
    train_s = time.perf_counter() - start
    held_out = np.setdiff1d(queries, cal)
    torch.set_num_threads(1)
    try:  # every query of the traversal, in order (sequence matching needs them consecutive)
        start = time.perf_counter()
        scores = place_map.scores(pair.query.images[:n])
        query_s = (time.perf_counter() - start) / n
    finally:
        torch.set_num_threads(2)
    return place_map, held_out, scores, train_s, query_s


def run(quick: bool = False) -> dict[str, float]:
    from snn_control.shared_data import shared_data
    from snn_control.vpr.cli import evaluate, plot_precision_recall
    from snn_control.vpr.data import load_pair
    from snn_control.vpr.metrics import recall_at_k, sequence_scores
    from snn_control.vpr.sad import sad_distances

    root = shared_data('vpr', 'nordland_trimmed_64x32')
    pair = load_pair(root / 'summer', root / 'winter')
    n_all = 500 if quick else len(pair.ground_truth)
    results: dict[str, float] = {}
    scaling = {}
    for n in [s for s in SCALING_PLACES if s < n_all] + [n_all]:
        place_map, held_out, scores, train_s, query_s = _train_and_time(pair, n)
        scaling[n] = (train_s, query_s * 1e3, _map_mb(place_map))
        results.update(
            {
                f'train_s_{n}': round(train_s, 1),
                f'query_ms_{n}': round(query_s * 1e3, 3),
                f'map_mb_{n}': round(_map_mb(place_map), 2),
            }
        )
    truth = pair.ground_truth[held_out]
    ref, qry = pair.reference.images[:n_all], pair.query.images[held_out]
    sad_all = sad_distances(ref, pair.query.images[:n_all])
    sad = sad_all[held_out]
    snn = evaluate(scores[held_out], truth)
    results.update(
        places=n_all,
        held_out_queries=len(held_out),
        train_s=round(scaling[n_all][0], 1),
        queries_per_s=round(1e3 / scaling[n_all][1], 1),
        neurons=place_map.ensemble.n_neurons,
        hyperactive_threshold=place_map.ensemble.hyperactive_threshold,
        **snn,
    )
    results.update({f'sad_{k}': v for k, v in evaluate(-sad, truth).items()})
    a, b = place_map.rates(ref, place_map.reference_stats), place_map.rates(qry)
    same = torch.cdist(torch.from_numpy(b)[None], torch.from_numpy(a)[None], p=1.0)[0].numpy()
    results['sad_same_input_recall_at_1'] = round(recall_at_k(same, truth), 4)
    # The paper's regions of consecutive places, side by side with the default shuffled regions.
    _, _, contiguous, _, _ = _train_and_time(
        pair, n_all, config=replace(place_map.ensemble.config, shuffle_places=False)
    )
    results['contiguous_recall_at_1'] = round(recall_at_k(-contiguous[held_out], truth), 4)
    for length in SEQUENCE_LENGTHS:
        results[f'sequence_{length}_recall_at_1'] = round(
            recall_at_k(-sequence_scores(scores, length)[held_out], truth), 4
        )
        results[f'sad_sequence_{length}_recall_at_1'] = round(
            recall_at_k(-sequence_scores(-sad_all, length)[held_out], truth), 4
        )
    results['recall_ratio_vs_sad'] = round(
        results['recall_at_1'] / max(results['sad_recall_at_1'], 1e-9), 2
    )
    RESULTS.mkdir(parents=True, exist_ok=True)
    plot_precision_recall(
        {'SNN ensemble': -scores[held_out], 'SAD': sad}, truth, RESULTS / 'precision_recall.png'
    )
    _plot_scaling(scaling, RESULTS / 'scaling.png')
    return results


def _plot_scaling(scaling: dict[int, tuple[float, float, float]], path: Path) -> None:
    from snn_control.plotting import pyplot, save_figure

    plt = pyplot()

    places = sorted(scaling)
    fig, axes = plt.subplots(1, 3, figsize=(11, 3.2))
    for ax, idx, label in zip(
        axes,
        range(3),
        ('training time (s, 2 cores)', 'query time (ms, 1 core)', 'ensemble parameters (MB)'),
    ):
        ax.plot(places, [scaling[n][idx] for n in places], 'o-')
        ax.set_xlabel('places')
        ax.set_title(label)
        ax.set_ylim(bottom=0)
        ax.grid(alpha=0.3)
    save_figure(fig, path, dpi=120)
