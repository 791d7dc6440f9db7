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
A place map: a trained ensemble with everything a query needs, in one ``.npz`` file.

``build_map`` trains the ensemble on a reference image folder and, given calibration
queries (a seeded sample of a query traversal with its ground truth), estimates the query
traversal's statistics and chooses the hyperactive-neuron threshold on them.
``PlaceMap.localise`` answers images with a place index and a confidence;
``save_map`` / ``load_map`` write and read the file atomically, with clear errors for
missing, corrupt or foreign files.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from importlib import resources
import json
from pathlib import Path
from typing import Callable

import numpy as np
from snn_control.npz_io import atomic_savez, read_npz
from snn_control.vpr.ensemble import Ensemble, EnsembleConfig, place_scores, spike_counts, train
from snn_control.vpr.features import input_rates, patch_features, Preprocessing, TraversalStats
from snn_control.vpr.metrics import recall_at_k
import torch

FORMAT = 'snn_control.place_map/1'
#: The map shipped with the package: the first 500 Nordland places (weights/README.md).
SHIPPED_MAP = 'vpr_nordland_500.npz'
#: Hyperactive thresholds tried on the calibration queries (0 = keep every neuron).
HYPERACTIVE_CANDIDATES = (0, 1, 2, 3, 5, 8, 13, 21, 34, 55, 89)


class PlaceMapError(ValueError):
    """A map file or a query that cannot be used; the message says why."""


@dataclass
class PlaceMap:
    ensemble: Ensemble
    preprocessing: Preprocessing
    reference_stats: TraversalStats
    query_stats: TraversalStats
    frames: np.ndarray  # (N,) reference frame numbers
    image_shape: tuple[int, int]  # (height, width) every query must have
    #: (N, 7) x, y, z, qx, qy, qz, qw of each reference place, or None.
    poses: np.ndarray | None = None
    #: Query indices used for calibration (excluded when evaluating on the same traversal).
    calibration: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    #: The command (and seed) that built the map, for the record.
    provenance: str = ''
    #: Winner-take-all weight of the map's engine network (:mod:`snn_control.vpr.network`),
    #: chosen on the calibration queries; None: the ensemble's own ``w_inh``.
    network_inhibition: float | None = None

    @property
    def n_places(self) -> int:
        return self.ensemble.n_places

    def check_images(self, images: np.ndarray) -> np.ndarray:
        images = np.asarray(images)
        if images.ndim == 2:
            images = images[None]
        if images.ndim != 3 or images.shape[1:] != self.image_shape:
            raise PlaceMapError(
                f'query images are {images.shape[1:][::-1] if images.ndim == 3 else images.shape} '
                f'(w x h); this map was built from {self.image_shape[::-1]} images'
            )
        return images

    def patches(self, images: np.ndarray) -> np.ndarray:
        """(B, n_pixels) patch-normalised features of images of the map's size."""
        return patch_features(self.check_images(images), self.preprocessing)

    def rates(self, images: np.ndarray, stats: TraversalStats | None = None) -> np.ndarray:
        return input_rates(self.patches(images), stats or self.query_stats, self.preprocessing)

    def counts(self, images: np.ndarray, seed: int = 0) -> torch.Tensor:
        """(B, M, n_exc) spike counts of every excitatory neuron of the ensemble."""
        return spike_counts(self.ensemble, self.rates(images), seed=seed)

    def scores(self, images: np.ndarray, seed: int = 0) -> np.ndarray:
        """Return (B, N) place scores: each place's neurons' mean spike count."""
        return place_scores(self.ensemble, self.counts(images, seed)).numpy()

    def localise(self, images: np.ndarray, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
        """
        Best place per image and a confidence in [0, 1].

        The margin of the best score over the second best, relative to the best (0 when nothing
        fired or two places tie).
        """
        return best_places(self.scores(images, seed))


def shipped_map_path() -> Path:
    return Path(str(resources.files('snn_control').joinpath('weights', SHIPPED_MAP)))


def best_places(scores: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    top2 = (
        np.sort(scores, axis=1)[:, -2:]
        if scores.shape[1] > 1
        else np.pad(scores, ((0, 0), (1, 0)))
    )
    best = np.argmax(scores, axis=1)
    confidence = np.where(
        top2[:, 1] > 0, (top2[:, 1] - top2[:, 0]) / np.maximum(top2[:, 1], 1e-9), 0.0
    )
    return best, confidence


def build_map(
    reference_images: np.ndarray,
    frames: np.ndarray,
    config: EnsembleConfig = EnsembleConfig(),
    preprocessing: Preprocessing = Preprocessing(),
    seed: int = 0,
    calibration_images: np.ndarray | None = None,
    calibration_truth: np.ndarray | None = None,
    calibration_index: np.ndarray | None = None,
    poses: np.ndarray | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> PlaceMap:
    """
    Train a place map.

    ``calibration_*`` (images, their true reference index, and their index in the query traversal)
    set the query statistics and the hyperactive threshold.
    """
    reference_images = np.asarray(reference_images)
    if reference_images.ndim != 3 or len(reference_images) < 2:
        raise PlaceMapError(
            f'a map needs at least 2 reference images (N, H, W), got shape '
            f'{reference_images.shape}'
        )
    if poses is not None and np.shape(poses) != (len(reference_images), 7):
        raise PlaceMapError(
            f'poses must be (places, 7) x y z qx qy qz qw, got {np.shape(poses)} '
            f'for {len(reference_images)} places'
        )
    ref_patches = patch_features(reference_images, preprocessing)
    ref_stats = TraversalStats.of(ref_patches)
    ensemble = train(
        input_rates(ref_patches, ref_stats, preprocessing), config, seed=seed, progress=progress
    )
    place_map = PlaceMap(
        ensemble,
        preprocessing,
        ref_stats,
        ref_stats,
        np.asarray(frames),
        tuple(reference_images.shape[1:]),
        None if poses is None else np.asarray(poses, np.float64),
    )
    if calibration_images is not None:
        if calibration_truth is None or len(calibration_truth) != len(calibration_images):
            raise PlaceMapError('calibration images need one true reference index each')
        cal_patches = patch_features(place_map.check_images(calibration_images), preprocessing)
        place_map.query_stats = TraversalStats.of(cal_patches)
        cal_counts = spike_counts(
            ensemble, input_rates(cal_patches, place_map.query_stats, preprocessing), seed=seed
        )
        ensemble.hyperactive_threshold = choose_hyperactive_threshold(
            ensemble, cal_counts, np.asarray(calibration_truth)
        )
        if calibration_index is not None:
            place_map.calibration = np.asarray(calibration_index, np.int64)
    return place_map


def choose_hyperactive_threshold(
    ensemble: Ensemble, counts: torch.Tensor, truth: np.ndarray
) -> int:
    """
    Choose the hyperactive threshold on the calibration queries.

    The candidate with the best Recall@1 (the smallest such, i.e. the strictest cut, on ties).
    """
    best = (-1.0, 0)
    for threshold in HYPERACTIVE_CANDIDATES:
        ensemble.hyperactive_threshold = threshold
        recall = recall_at_k(-place_scores(ensemble, counts).numpy(), truth, 1)
        if recall > best[0]:
            best = (recall, threshold)
    return best[1]


def _optional_float(value: object, path: str | Path) -> float | None:
    if value is None:
        return None
    if not isinstance(value, (int, float)) or not np.isfinite(value) or value < 0:
        raise PlaceMapError(
            f'{path}: network_inhibition must be a finite weight >= 0, got {value!r}'
        )
    return float(value)


def save_map(place_map: PlaceMap, path: str | Path) -> Path:
    e = place_map.ensemble
    meta = {
        'format': FORMAT,
        'config': e.config.as_dict(),
        'preprocessing': place_map.preprocessing.as_dict(),
        'n_places': e.n_places,
        'hyperactive_threshold': e.hyperactive_threshold,
        'image_shape': list(place_map.image_shape),
        'provenance': place_map.provenance,
        'network_inhibition': place_map.network_inhibition,
    }
    arrays = {
        'meta': np.array(json.dumps(meta)),
        'weights': e.weights.numpy().astype(np.float16),
        'theta': e.theta.numpy(),
        'labels': e.labels,
        'module_places': e.module_places,
        'reference_firing': e.reference_firing,
        'frames': place_map.frames,
        'reference_mean': place_map.reference_stats.mean,
        'reference_std': place_map.reference_stats.std,
        'query_mean': place_map.query_stats.mean,
        'query_std': place_map.query_stats.std,
        'calibration': place_map.calibration,
    }
    if place_map.poses is not None:
        arrays['poses'] = place_map.poses
    return atomic_savez(path, **arrays)


def load_map(path: str | Path) -> PlaceMap:
    data = read_npz(path, 'place map', PlaceMapError)
    try:
        meta = json.loads(str(data['meta']))
        if meta.get('format') != FORMAT:
            raise PlaceMapError(
                f"{path} is not a place map ({meta.get('format')!r}, expected {FORMAT!r})"
            )
        config = EnsembleConfig(**meta['config'])
        prep = Preprocessing(**meta['preprocessing'])
        weights = torch.from_numpy(data['weights'].astype(np.float32))
        ensemble = Ensemble(
            config,
            weights,
            torch.from_numpy(data['theta']),
            data['labels'],
            data['module_places'],
            int(meta['n_places']),
            data['reference_firing'],
            int(meta['hyperactive_threshold']),
        )
        m, n_in, n = weights.shape
        if n_in != prep.n_inputs or n != config.n_exc or ensemble.labels.shape != (m, n):
            raise PlaceMapError(
                f'{path}: weights {tuple(weights.shape)} do not match its configuration'
            )
        if not np.all(np.isfinite(data['weights'])):
            raise PlaceMapError(f'{path}: weights hold NaN or inf')
        return PlaceMap(
            ensemble,
            prep,
            TraversalStats(data['reference_mean'], data['reference_std']),
            TraversalStats(data['query_mean'], data['query_std']),
            data['frames'],
            tuple(meta['image_shape']),
            data.get('poses'),
            data['calibration'],
            meta.get('provenance', ''),
            _optional_float(meta.get('network_inhibition'), path),
        )
    except KeyError as exc:
        raise PlaceMapError(f'{path}: place map lacks {exc}') from exc
    except (TypeError, json.JSONDecodeError) as exc:
        raise PlaceMapError(f'{path}: unreadable place map metadata ({exc})') from exc
