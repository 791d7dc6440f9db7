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
Command line for place recognition: build a map from an image folder, query it.

``snn-control train vpr REFERENCE_DIR --out MAP.npz [--calibration QUERY_DIR ...]``
``snn-control query MAP.npz QUERY_DIR [--ground-truth CSV] [--json] [--plot PNG]``

Nothing is written unless the whole job succeeds (the map file is written atomically).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
import sys
import time

import numpy as np
from snn_control.vpr.data import load_folder, load_pair, PlaceSet, VprDataError, VprPair


def _read_poses(path: str, n_places: int) -> np.ndarray:
    """CSV rows ``x,y,z,qx,qy,qz,qw``, one per reference image in frame order."""
    try:
        poses = np.loadtxt(path, delimiter=',', ndmin=2, comments='#')
    except (OSError, ValueError) as exc:
        raise VprDataError(f'poses file {path}: {exc}') from exc
    if poses.shape != (n_places, 7):
        raise VprDataError(
            f'poses file {path}: expected {n_places} rows of x,y,z,qx,qy,qz,qw, got {poses.shape}'
        )
    if not np.all(np.isfinite(poses)):
        raise VprDataError(f'poses file {path}: holds NaN or inf')
    return poses


def calibration_sample(n_queries: int, count: int, seed: int) -> np.ndarray:
    """Sorted, seeded sample of query indices used for calibration."""
    rng = np.random.default_rng(seed)
    return np.sort(rng.choice(n_queries, size=min(count, n_queries), replace=False))


def first_places(data: VprPair | PlaceSet, n: int | None) -> VprPair | PlaceSet:
    """Return the first ``n`` reference places (and the queries whose true place is among them)."""
    if n is None:
        return data
    if isinstance(data, PlaceSet):
        return PlaceSet(data.images[:n], data.frames[:n], data.folder)
    keep = np.flatnonzero(data.ground_truth < n)
    return VprPair(
        first_places(data.reference, n),
        PlaceSet(data.query.images[keep], data.query.frames[keep], data.query.folder),
        data.ground_truth[keep],
    )


def train_main(argv: list[str] | None = None) -> int:
    from snn_control.vpr.ensemble import EnsembleConfig
    from snn_control.vpr.place_map import build_map, PlaceMapError, save_map
    from tqdm import tqdm

    parser = argparse.ArgumentParser(
        prog='snn-control train vpr',
        description='Train a place map (an ensemble of region-specific SNNs) on a '
        'folder of reference images named images-<frame>.png.',
    )
    parser.add_argument('reference', help='folder of reference images')
    parser.add_argument('--out', required=True, help='map file to write (.npz)')
    parser.add_argument(
        '--calibration',
        help='folder of query images from the traversal the map will answer; '
        'a seeded sample sets the query statistics and the hyperactive cut',
    )
    parser.add_argument(
        '--ground-truth',
        help='CSV of query,reference index rows for --calibration (default: identity)',
    )
    parser.add_argument('--calibration-count', type=int, default=300)
    parser.add_argument(
        '--places', type=int, help='only the first N reference images (and queries)'
    )
    parser.add_argument('--poses', help='CSV of x,y,z,qx,qy,qz,qw per reference image')
    parser.add_argument('--places-per-module', type=int, default=EnsembleConfig.places_per_module)
    parser.add_argument('--neurons-per-place', type=int, default=EnsembleConfig.neurons_per_place)
    parser.add_argument('--epochs', type=int, default=EnsembleConfig.epochs)
    parser.add_argument(
        '--contiguous',
        action='store_true',
        help="regions of consecutive places (the paper's default) instead of seeded-shuffled ones",
    )
    parser.add_argument('--seed', type=int, default=0)
    args = parser.parse_args(argv)
    try:
        config = EnsembleConfig(
            places_per_module=args.places_per_module,
            neurons_per_place=args.neurons_per_place,
            epochs=args.epochs,
            shuffle_places=not args.contiguous,
        )
        if args.places is not None and args.places < 2:
            raise VprDataError(f'--places must be at least 2, got {args.places}')
        if args.calibration:
            pair = first_places(
                load_pair(args.reference, args.calibration, args.ground_truth), args.places
            )
            reference = pair.reference
            index = calibration_sample(len(pair.ground_truth), args.calibration_count, args.seed)
            calibration = {
                'calibration_images': pair.query.images[index],
                'calibration_truth': pair.ground_truth[index],
                'calibration_index': index,
            }
        else:
            reference, calibration = first_places(load_folder(args.reference), args.places), {}
        poses = _read_poses(args.poses, len(reference.frames)) if args.poses else None
        start = time.perf_counter()
        with tqdm(desc='train vpr', unit='image', file=sys.stderr) as bar:

            def progress(done: int, total: int) -> None:
                bar.total = total
                bar.update(done - bar.n)

            place_map = build_map(
                reference.images,
                reference.frames,
                config,
                seed=args.seed,
                poses=poses,
                progress=progress,
                **calibration,
            )
        place_map.provenance = 'snn-control train vpr ' + ' '.join(
            sys.argv[1:] if argv is None else argv
        )
        path = save_map(place_map, args.out)
    except (VprDataError, PlaceMapError, ValueError) as exc:
        print(f'snn-control train vpr: {exc}', file=sys.stderr)
        return 2
    e = place_map.ensemble
    print(
        f'map {path}: {e.n_places} places in {e.n_modules} modules, {e.n_neurons} neurons, '
        f'hyperactive threshold {e.hyperactive_threshold}, trained in '
        f'{time.perf_counter() - start:.1f} s'
    )
    return 0


def evaluate(scores: np.ndarray, truth: np.ndarray) -> dict[str, float]:
    """
    Recall@1/5/10 at tolerance 0 and 1.

    PR AUC and recall at 100 % precision (distances = -scores).
    """
    from snn_control.vpr.metrics import (
        pr_auc,
        precision_recall,
        recall_at_full_precision,
        recall_at_k,
    )

    distances = -scores
    out = {
        f'recall_at_{k}'
        + ('_tol1' if tol else ''): round(recall_at_k(distances, truth, k, tol), 4)
        for k in (1, 5, 10)
        for tol in (0, 1)
    }
    precision, recall = precision_recall(distances, truth)
    out.update(
        pr_auc=round(pr_auc(precision, recall), 4),
        recall_at_100_precision=round(recall_at_full_precision(precision, recall), 4),
    )
    return out


def query_main(argv: list[str] | None = None) -> int:
    from snn_control.vpr.metrics import sequence_scores
    from snn_control.vpr.place_map import best_places, load_map, PlaceMapError

    parser = argparse.ArgumentParser(
        prog='snn-control query',
        description='Localise every image of a folder in a place map; with ground '
        'truth (a CSV, or by frame number: the queries of frames the '
        'map holds) print recall on the queries not used for calibration.',
    )
    parser.add_argument('map')
    parser.add_argument('queries', help='folder of query images named images-<frame>.png')
    parser.add_argument('--ground-truth', help='CSV of query,reference index rows')
    parser.add_argument('--json', action='store_true', help='one JSON object on the last line')
    parser.add_argument('--plot', help='PNG of the precision-recall curve (needs ground truth)')
    parser.add_argument(
        '--sequence',
        type=int,
        default=1,
        metavar='L',
        help='match sequences of the last L images (the folder is one traversal in order)',
    )
    args = parser.parse_args(argv)
    try:
        place_map = load_map(args.map)
        queries = load_folder(args.queries)
        answered, truth = _truth(place_map.frames, queries.frames, args.ground_truth)
        start = time.perf_counter()
        scores = place_map.scores(queries.images[answered])
        elapsed = time.perf_counter() - start
        scores = sequence_scores(scores, args.sequence)
    except (OSError, VprDataError, PlaceMapError, ValueError) as exc:
        print(f'snn-control query: {exc}', file=sys.stderr)
        return 2
    best, confidence = best_places(scores)
    result: dict[str, float] = {
        'queries': len(best),
        'queries_per_s': round(len(best) / elapsed, 1),
    }
    if truth is None:
        if not args.json:
            for frame, place, conf in zip(queries.frames[answered], best, confidence):
                print(
                    f'images-{frame:05d}: place {place} (frame {place_map.frames[place]}), '
                    f'confidence {conf:.3f}'
                )
    else:
        held_out = np.flatnonzero(~np.isin(answered, place_map.calibration))
        result.update(evaluate(scores[held_out], truth[held_out]), held_out_queries=len(held_out))
        if args.plot:
            plot_precision_recall({'SNN ensemble': -scores[held_out]}, truth[held_out], args.plot)
    if args.json:
        print(json.dumps(result, sort_keys=True))
    else:
        for key, value in result.items():
            print(f'{key}: {value}')
    return 0


def _truth(
    reference_frames: np.ndarray, query_frames: np.ndarray, ground_truth: str | None
) -> tuple[np.ndarray, np.ndarray | None]:
    """
    Return the queries to answer and their true reference index or None.

    Without a CSV, queries are matched to references by frame number; queries of frames the map
    lacks are left out.
    """
    from snn_control.vpr.data import read_ground_truth

    if ground_truth:
        return np.arange(len(query_frames)), read_ground_truth(
            Path(ground_truth), len(query_frames), len(reference_frames)
        )
    position = {int(f): i for i, f in enumerate(reference_frames)}
    known = np.array([int(f) in position for f in query_frames])
    if not known.any():
        return np.arange(len(query_frames)), None
    queries = np.flatnonzero(known)
    return queries, np.array([position[int(query_frames[q])] for q in queries])


def plot_precision_recall(
    distances: dict[str, np.ndarray], truth: np.ndarray, path: str | Path
) -> Path:
    from snn_control.plotting import pyplot, save_figure

    plt = pyplot()

    from snn_control.vpr.metrics import pr_auc, precision_recall

    fig, ax = plt.subplots(figsize=(5, 4))
    for name, d in distances.items():
        precision, recall = precision_recall(d, truth)
        ax.plot(recall, precision, label=f'{name} (AUC {pr_auc(precision, recall):.3f})')
    ax.set_xlabel('recall')
    ax.set_ylabel('precision')
    ax.set_title(f'{len(truth)} queries')
    ax.legend()
    ax.grid(alpha=0.3)
    return save_figure(fig, path, dpi=120)
