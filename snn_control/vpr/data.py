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
Image folders of places (Nordland naming ``images-XXXXX.png``) and their ground truth.

``load_folder`` reads every ``images-<number>.<ext>`` file of a folder in frame order as
grayscale uint8, all of one size; ``load_pair`` pairs a reference and a query folder with
the identity ground truth (the same frame numbers in both) or a CSV of ``query,reference``
index rows. Problems raise :class:`VprDataError` naming the file or row; nothing is half
loaded.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path
import re

import numpy as np

NAME = re.compile(r'^images-(\d+)\.(png|jpg|jpeg)$', re.IGNORECASE)


class VprDataError(ValueError):
    """A folder, image or ground-truth file that cannot be used; the message names it."""


@dataclass(frozen=True)
class PlaceSet:
    images: np.ndarray  # (N, H, W) uint8 grayscale, or (N, H, W, 3) RGB
    frames: np.ndarray  # (N,) frame numbers from the file names
    folder: str


@dataclass(frozen=True)
class VprPair:
    reference: PlaceSet
    query: PlaceSet
    ground_truth: np.ndarray  # (Q,) reference index of each query


def load_folder(folder: str | Path, mode: str = 'L') -> PlaceSet:
    """
    Every image of ``folder`` in frame order.

    As PIL ``mode`` ("L": (N, H, W) grayscale, "RGB": (N, H, W, 3)).
    """
    from PIL import Image, UnidentifiedImageError

    folder = Path(folder)
    if not folder.is_dir():
        raise VprDataError(f'image folder {folder} does not exist')
    named = sorted(
        ((int(m.group(1)), p) for p in folder.iterdir() if (m := NAME.match(p.name))),
        key=lambda t: t[0],
    )
    if not named:
        raise VprDataError(f'image folder {folder} holds no images named images-<number>.png')
    images, shape = [], None
    for frame, path in named:
        try:
            with Image.open(path) as img:
                pixels = np.asarray(img.convert(mode))
        except (UnidentifiedImageError, OSError) as exc:
            raise VprDataError(f'{path}: not a readable image ({exc})') from exc
        if shape is None:
            shape = pixels.shape[:2]
        elif pixels.shape[:2] != shape:
            raise VprDataError(
                f"{path}: size {pixels.shape[1::-1]} differs from the folder's {shape[::-1]} (w x "
                'h)'
            )
        images.append(pixels)
    return PlaceSet(np.stack(images), np.array([f for f, _ in named]), str(folder))


def load_pair(
    reference: str | Path, query: str | Path, ground_truth: str | Path | None = None
) -> VprPair:
    ref, qry = load_folder(reference), load_folder(query)
    if ref.images.shape[1:] != qry.images.shape[1:]:
        raise VprDataError(
            f'reference images are {ref.images.shape[1:][::-1]}, queries '
            f'{qry.images.shape[1:][::-1]}'
        )
    if ground_truth is None:
        if not np.array_equal(ref.frames, qry.frames):
            raise VprDataError(
                f'identity ground truth needs the same frame numbers in both folders '
                f'({len(ref.frames)} vs {len(qry.frames)} frames); give a ground-truth file'
            )
        gt = np.arange(len(qry.frames))
    else:
        gt = read_ground_truth(Path(ground_truth), len(qry.frames), len(ref.frames))
    return VprPair(ref, qry, gt)


def read_ground_truth(path: Path, n_query: int, n_reference: int) -> np.ndarray:
    if not path.is_file():
        raise VprDataError(f'ground-truth file {path} does not exist')
    gt = np.full(n_query, -1)
    with open(path, newline='') as fh:
        for line_no, row in enumerate(csv.reader(fh), start=1):
            if not row or row[0].strip().startswith('#'):
                continue
            try:
                q, r = int(row[0]), int(row[1])
            except (ValueError, IndexError) as exc:
                raise VprDataError(
                    f"{path}:{line_no}: expected 'query,reference' indices, got {row}"
                ) from exc
            if not (0 <= q < n_query and 0 <= r < n_reference):
                raise VprDataError(
                    f'{path}:{line_no}: indices ({q}, {r}) outside {n_query} queries and '
                    f'{n_reference} references'
                )
            gt[q] = r
    if np.any(gt < 0):
        raise VprDataError(f'{path}: {int(np.sum(gt < 0))} queries have no reference')
    return gt
