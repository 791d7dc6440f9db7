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
From camera images to the input spike rates of the place-recognition networks.

The paper's preprocessing (grayscale, resize, patch normalisation) plus two steps that make
the input robust to the change of season, both measured on Nordland summer -> winter with
plain template matching before any network was trained (``python -m snn_control.vpr.sad``
style cosine matching, Recall@1 at tolerance 0):

* **crop**: only the top ``crop`` fraction of the image rows is kept. On a train's front
  camera the bottom rows are track and ballast, identical everywhere and white in winter;
  the horizon, trees and buildings above carry the place (64x32 full frame 0.126, top 5/8
  0.154 with 64x20 pixels).
* **traversal standardisation**: after patch normalisation every pixel is standardised
  with the mean and standard deviation of its traversal (the reference images for the
  map; a calibration sample of the query traversal, or a running estimate on the robot, for
  queries). What every image of a traversal shares (snow on the ground, the sky's
  brightness, the vignette) cancels; 0.154 -> 0.248 with 28x14 pixels.

Rates are ON/OFF pairs, as in a retina: a standardised pixel value z becomes the rates
``clip(z, 0, zmax)/zmax`` and ``clip(-z, 0, zmax)/zmax``, so a 28x14 image gives 784 inputs
(the paper's 28x28 input size) with non-negative rates in [0, 1].
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np


@dataclass(frozen=True)
class Preprocessing:
    """How an image becomes a feature vector; stored in the map so queries match it."""

    crop: float = 0.625  # fraction of rows kept from the top
    width: int = 28
    height: int = 14
    patch: int = 7
    #: Standardised values are clipped at this many standard deviations before rate coding.
    zmax: float = 3.0

    def __post_init__(self) -> None:
        if not 0.0 < self.crop <= 1.0:
            raise ValueError(f'crop must be in (0, 1], got {self.crop}')
        if self.width % self.patch or self.height % self.patch:
            raise ValueError(
                f'{self.width}x{self.height} pixels are not a multiple of the patch size '
                f'{self.patch}'
            )
        if self.zmax <= 0:
            raise ValueError(f'zmax must be positive, got {self.zmax}')

    @property
    def n_pixels(self) -> int:
        return self.width * self.height

    @property
    def n_inputs(self) -> int:
        return 2 * self.n_pixels

    def as_dict(self) -> dict[str, float]:
        return asdict(self)


@dataclass(frozen=True)
class TraversalStats:
    """Per-pixel mean and standard deviation of one traversal's patch-normalised images."""

    mean: np.ndarray
    std: np.ndarray

    @classmethod
    def of(cls, patches: np.ndarray) -> 'TraversalStats':
        if len(patches) < 2:
            raise ValueError(f'traversal statistics need at least 2 images, got {len(patches)}')
        return cls(
            patches.mean(axis=0).astype(np.float32), patches.std(axis=0).astype(np.float32) + 1e-3
        )

    def updated(self, patch: np.ndarray, rate: float) -> 'TraversalStats':
        """Return the moving average after one more image's ``patch`` features."""
        mean = (1 - rate) * self.mean + rate * patch
        var = (1 - rate) * self.std**2 + rate * (patch - mean) ** 2
        return TraversalStats(mean.astype(np.float32), np.sqrt(var).astype(np.float32))


def patch_features(images: np.ndarray, prep: Preprocessing) -> np.ndarray:
    """
    (N, H, W) uint8 grayscale -> (N, width*height) float32, cropped, resized.

    Patch-normalised.
    """
    from snn_control.vpr.sad import patch_normalise, resize

    images = np.asarray(images)
    if images.ndim != 3:
        raise ValueError(f'expected (N, H, W) grayscale images, got shape {images.shape}')
    rows = max(1, int(round(images.shape[1] * prep.crop)))
    small = resize(np.ascontiguousarray(images[:, :rows]), prep.width, prep.height)
    return patch_normalise(small, prep.patch).reshape(len(images), -1)


def input_rates(patches: np.ndarray, stats: TraversalStats, prep: Preprocessing) -> np.ndarray:
    """(N, n_pixels) patch features -> (N, 2*n_pixels) ON/OFF rates in [0, 1] (float32)."""
    z = np.clip((patches - stats.mean) / stats.std, -prep.zmax, prep.zmax) / prep.zmax
    return np.concatenate([np.maximum(z, 0.0), np.maximum(-z, 0.0)], axis=1).astype(np.float32)
