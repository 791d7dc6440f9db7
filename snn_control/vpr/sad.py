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

"""The sum-of-absolute-differences baseline on patch-normalised, downsampled images."""

from __future__ import annotations

import numpy as np


def resize(images: np.ndarray, width: int, height: int) -> np.ndarray:
    """Area-average downsampling with PIL (box filter), uint8 -> float32."""
    from PIL import Image

    return np.stack(
        [
            np.asarray(Image.fromarray(img).resize((width, height), Image.BOX), dtype=np.float32)
            for img in images
        ]
    )


def patch_normalise(images: np.ndarray, patch: int) -> np.ndarray:
    """
    Normalise each ``patch`` x ``patch`` block to zero mean and unit variance.

    Flat blocks go to zero: this removes the local brightness and contrast that seasons change.
    """
    n, h, w = images.shape
    if h % patch or w % patch:
        raise ValueError(f'image size {w}x{h} is not a multiple of the patch size {patch}')
    blocks = images.reshape(n, h // patch, patch, w // patch, patch).astype(np.float32)
    mean = blocks.mean(axis=(2, 4), keepdims=True)
    std = blocks.std(axis=(2, 4), keepdims=True)
    out = np.where(std > 1e-6, (blocks - mean) / np.where(std > 1e-6, std, 1.0), 0.0)
    return out.reshape(n, h, w)


def sad_distances(
    reference: np.ndarray, query: np.ndarray, width: int = 32, height: int = 16, patch: int = 8
) -> np.ndarray:
    """(Q, R) mean absolute difference of the normalised images."""
    ref = patch_normalise(resize(reference, width, height), patch).reshape(len(reference), -1)
    qry = patch_normalise(resize(query, width, height), patch).reshape(len(query), -1)
    import torch

    with torch.no_grad():  # L1 distances without a Q x R x pixels intermediate
        d = torch.cdist(torch.from_numpy(qry)[None], torch.from_numpy(ref)[None], p=1.0)[0]
    return (d / ref.shape[1]).numpy()


def main(argv: list[str] | None = None) -> int:
    """
    ``python -m snn_control.vpr.sad REFERENCE_DIR QUERY_DIR [GROUND_TRUTH.csv]``.

    The SAD baseline's recall and precision figures on two image folders.
    """
    import argparse
    import json

    from snn_control.vpr.data import load_pair
    from snn_control.vpr.metrics import (
        pr_auc,
        precision_recall,
        recall_at_full_precision,
        recall_at_k,
    )

    parser = argparse.ArgumentParser(
        prog='python -m snn_control.vpr.sad', description=main.__doc__
    )
    parser.add_argument('reference')
    parser.add_argument('query')
    parser.add_argument('ground_truth', nargs='?')
    args = parser.parse_args(argv)
    pair = load_pair(args.reference, args.query, args.ground_truth)
    d = sad_distances(pair.reference.images, pair.query.images)
    gt = pair.ground_truth
    figures = {
        f'sad_recall_at_{k}_tol{tol}': round(recall_at_k(d, gt, k, tol), 4)
        for k in (1, 5, 10)
        for tol in (0, 1)
    }
    precision, recall = precision_recall(d, gt)
    figures.update(
        places=len(gt),
        sad_pr_auc=round(pr_auc(precision, recall), 4),
        sad_recall_at_100_precision=round(recall_at_full_precision(precision, recall), 4),
    )
    print(json.dumps(figures, sort_keys=True))
    return 0


if __name__ == '__main__':
    raise SystemExit(main())
