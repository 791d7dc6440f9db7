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
An event-camera simulator in the manner of ESIM (Rebecq et al. 2018): frames in, events out.

Each pixel keeps the log intensity at which it last fired. Between two frames the log
intensity is interpolated linearly in time; every crossing of ``contrast_pos`` upwards
(``contrast_neg`` downwards) from that reference emits an ON (OFF) event at the time of
the crossing and moves the reference by one threshold. Then:

* per-pixel threshold mismatch: each pixel's thresholds are drawn once around the nominal
  ones (``threshold_sigma``, relative), as in real sensors;
* refractory period: a crossing within ``refractory_us`` of the pixel's previous event is
  suppressed (its reference still moves, as the pixel's comparator would have reset);
* background activity: shot-noise events at ``noise_rate_hz`` per pixel, random polarity.

Intensities are linear (e.g. rendered images in [0, 1] or 8-bit), log taken with an offset
``eps`` so that black stays finite. Output: the package's event array (x, y, t, p), sorted
by time. The crossings of each active pixel are resolved in a small Python loop: fine for
the small sensors of generated datasets (up to about 128 x 128), not for megapixel video.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from snn_control.events.io import EVENT_DTYPE


@dataclass(frozen=True)
class EventCameraConfig:
    contrast_pos: float = 0.2
    contrast_neg: float = 0.2
    threshold_sigma: float = 0.03
    refractory_us: int = 100
    noise_rate_hz: float = 0.1
    eps: float = 1e-3

    def __post_init__(self) -> None:
        if self.contrast_pos <= 0 or self.contrast_neg <= 0:
            raise ValueError('contrast thresholds must be positive')
        if (
            self.refractory_us < 0
            or self.noise_rate_hz < 0
            or self.threshold_sigma < 0
            or self.eps <= 0
        ):
            raise ValueError(
                'refractory_us, noise_rate_hz, threshold_sigma must be >= 0 and eps > 0'
            )


class EventCameraSimulator:
    def __init__(
        self,
        height: int,
        width: int,
        config: EventCameraConfig = EventCameraConfig(),
        seed: int = 0,
    ) -> None:
        self.shape, self.config = (height, width), config
        self.rng = np.random.default_rng(seed)

        def spread(c: float) -> np.ndarray:
            noise = self.rng.standard_normal(self.shape)
            return np.maximum(c * (1 + config.threshold_sigma * noise), 0.01 * c)

        self.c_pos, self.c_neg = spread(config.contrast_pos), spread(config.contrast_neg)
        self.reference: np.ndarray | None = None
        self.last_event = np.full(self.shape, -np.inf)
        self.t_prev: int | None = None
        self.log_prev: np.ndarray | None = None

    def _log(self, frame: np.ndarray) -> np.ndarray:
        frame = np.asarray(frame, dtype=np.float64)
        if frame.shape != self.shape:
            raise ValueError(f"frame shape {frame.shape} differs from the sensor's {self.shape}")
        if not np.all(np.isfinite(frame)) or frame.min() < 0:
            raise ValueError('frames must be finite, non-negative intensities')
        return np.log(frame + self.config.eps)

    def feed(self, frame: np.ndarray, t_us: int) -> np.ndarray:
        """Events between the previous frame and this one (none for the first frame)."""
        log_now = self._log(frame)
        t_us = int(t_us)
        if self.t_prev is None:
            self.reference, self.log_prev, self.t_prev = log_now.copy(), log_now, t_us
            return np.zeros(0, dtype=EVENT_DTYPE)
        if t_us <= self.t_prev:
            raise ValueError(f'frame times must increase: {t_us} after {self.t_prev} us')
        dt = t_us - self.t_prev
        xs, ys, ts, ps = [], [], [], []
        delta = log_now - self.log_prev
        for polarity, threshold, sign in ((1, self.c_pos, 1.0), (0, self.c_neg, -1.0)):
            # number of threshold crossings from the reference towards the new value
            reach = sign * (log_now - self.reference)
            n = np.floor(reach / threshold).astype(np.int64)
            n[n < 0] = 0
            rows, cols = np.nonzero(n)
            for r, c in zip(rows, cols):
                k = np.arange(1, n[r, c] + 1)
                level = self.reference[r, c] + sign * k * threshold[r, c]
                frac = (
                    (level - self.log_prev[r, c]) / delta[r, c]
                    if delta[r, c] != 0
                    else np.ones_like(level)
                )
                times = self.t_prev + np.clip(frac, 0.0, 1.0) * dt
                keep, last = [], self.last_event[r, c]
                for tt in times:
                    if tt - last >= self.config.refractory_us:
                        keep.append(tt)
                        last = tt
                self.last_event[r, c] = last
                xs.append(np.full(len(keep), c))
                ys.append(np.full(len(keep), r))
                ts.append(np.array(keep))
                ps.append(np.full(len(keep), polarity))
            self.reference = self.reference + sign * n * threshold
        noise = self._noise(dt)
        self.log_prev, self.t_prev = log_now, t_us
        events = np.empty(sum(len(t) for t in ts), dtype=EVENT_DTYPE)
        if len(events):
            events['x'], events['y'] = np.concatenate(xs), np.concatenate(ys)
            events['t'], events['p'] = np.round(np.concatenate(ts)).astype(
                np.int64
            ), np.concatenate(ps)
        events = np.concatenate([events, noise])
        return events[np.argsort(events['t'], kind='stable')]

    def _noise(self, dt_us: int) -> np.ndarray:
        expected = self.config.noise_rate_hz * dt_us * 1e-6 * self.shape[0] * self.shape[1]
        n = int(self.rng.poisson(expected))
        out = np.empty(n, dtype=EVENT_DTYPE)
        out['x'] = self.rng.integers(0, self.shape[1], n)
        out['y'] = self.rng.integers(0, self.shape[0], n)
        out['t'] = self.t_prev + self.rng.integers(0, dt_us, n) if n else np.zeros(0, np.int64)
        out['p'] = self.rng.integers(0, 2, n)
        return out

    def simulate(self, frames: np.ndarray, times_us: np.ndarray) -> np.ndarray:
        """All events of a frame sequence."""
        if len(frames) != len(times_us):
            raise ValueError(f'{len(frames)} frames but {len(times_us)} timestamps')
        parts = [self.feed(f, t) for f, t in zip(frames, times_us)]
        return np.concatenate(parts) if parts else np.zeros(0, dtype=EVENT_DTYPE)
