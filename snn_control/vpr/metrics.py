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
Place-recognition metrics from a query x reference distance matrix (lower = more similar).

* Recall@K with a tolerance of ``tol`` frames: a query counts when any of its K nearest
  references lies within ``tol`` of its true place.
* Precision-recall over the best match of each query, thresholded on its distance: a
  query's best match is a true positive when it is within ``tol``; recall is over all
  queries (every query has a place). AUC by the trapezoid rule; recall at 100 % precision
  is the largest recall before the first false positive.
"""

from __future__ import annotations

import numpy as np


def recall_at_k(
    distances: np.ndarray, ground_truth: np.ndarray, k: int = 1, tol: int = 0
) -> float:
    nearest = np.argsort(distances, axis=1, kind='stable')[:, :k]
    hit = np.abs(nearest - ground_truth[:, None]) <= tol
    return float(np.mean(hit.any(axis=1)))


def precision_recall(
    distances: np.ndarray, ground_truth: np.ndarray, tol: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    best = np.argmin(distances, axis=1)
    score = distances[np.arange(len(best)), best]
    correct = np.abs(best - ground_truth) <= tol
    order = np.argsort(score, kind='stable')
    tp = np.cumsum(correct[order])
    precision = tp / np.arange(1, len(order) + 1)
    recall = tp / len(order)
    return precision, recall


def pr_auc(precision: np.ndarray, recall: np.ndarray) -> float:
    r = np.concatenate([[0.0], recall])
    p = np.concatenate([[precision[0] if precision.size else 1.0], precision])
    return float(np.sum(np.diff(r) * (p[1:] + p[:-1]) / 2))


def recall_at_full_precision(precision: np.ndarray, recall: np.ndarray) -> float:
    below = np.flatnonzero(precision < 1.0)
    stop = below[0] if below.size else len(precision)
    return float(recall[stop - 1]) if stop > 0 else 0.0


def sequence_scores(scores: np.ndarray, length: int) -> np.ndarray:
    """
    Match sequences SeqSLAM-style over a (Q, R) score matrix.

    Scores of consecutive queries, higher = more similar: query i's score for place j becomes the
    mean of ``scores[i - k, j - k]`` over the last ``length`` queries (as many as exist before both
    i and j), i.e. evidence along the diagonal of a traversal at the reference's pace. ``length`` 1
    returns ``scores``.
    """
    if length < 1:
        raise ValueError(f'sequence length must be at least 1, got {length}')
    q, r = scores.shape
    total = np.zeros((q, r), dtype=np.float64)
    for k in range(min(length, q, r)):
        total[k:, k:] += scores[: q - k, : r - k]
    terms = np.minimum.outer(np.minimum(np.arange(1, q + 1), length), np.arange(1, r + 1))
    return total / terms
