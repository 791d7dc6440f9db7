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
Pictures of the generated gestures, one PNG per class, to check them by eye.

Each figure shows one sample: its event frame (events of the whole sample accumulated per
pixel, ON red, OFF blue), its x-t and y-t projections (where along the image events fall
over time: circles, waves and strokes show as their characteristic traces) and one
rendered frame.

    python -m snn_control.sim.gestures.plot [--out results/gestures] [--seed 0]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
from snn_control.plotting import pyplot, save_figure
from snn_control.sim.gestures.dataset import (
    DURATION_S,
    generate_sample,
    GESTURES,
    iter_frames,
    sample_params,
    SENSOR_SIZE,
)


def event_frame(events: np.ndarray, sensor_size: tuple[int, int] = SENSOR_SIZE) -> np.ndarray:
    """
    RGB image (height, width, 3) in [0, 1]: ON counts in red, OFF counts in blue.

    Each scaled to its 99th percentile so that a few hot pixels do not wash the rest out.
    """
    width, height = sensor_size
    image = np.zeros((height, width, 3))
    for polarity, channel in ((1, 0), (0, 2)):
        chosen = events[events['p'] == polarity]
        counts = np.zeros((height, width))
        np.add.at(counts, (chosen['y'], chosen['x']), 1)
        scale = np.percentile(counts[counts > 0], 99) if np.any(counts) else 1.0
        image[..., channel] = np.clip(counts / scale, 0, 1)
    return image


def plot_sample(label: int, seed: int, path: str | Path) -> Path:
    """Return the figure of sample (label, seed), written to ``path``."""
    events = generate_sample(label, seed)
    frame, _ = next(iter_frames(label, sample_params(label, seed)))
    width, height = SENSOR_SIZE
    t_s = events['t'] * 1e-6
    colours = np.where(events['p'] == 1, 'tab:red', 'tab:blue')
    fig, axes = pyplot().subplots(1, 4, figsize=(15, 3.6))
    axes[0].imshow(frame, cmap='gray', vmin=0, vmax=1)
    axes[0].set_title('first rendered frame')
    axes[1].imshow(event_frame(events))
    axes[1].set_title(f'events: {len(events)} (ON red, OFF blue)')
    axes[2].scatter(t_s, events['x'], s=0.3, c=colours, linewidths=0)
    axes[2].set(
        xlabel='t (s)', ylabel='x (px)', xlim=(0, DURATION_S), ylim=(0, width), title='x-t'
    )
    axes[3].scatter(t_s, events['y'], s=0.3, c=colours, linewidths=0)
    axes[3].set(
        xlabel='t (s)', ylabel='y (px)', xlim=(0, DURATION_S), ylim=(height, 0), title='y-t'
    )
    fig.suptitle(f'{label}: {GESTURES[label]} (seed {seed})')
    return save_figure(fig, path, dpi=90)


def plot_classes(out_dir: str | Path, seed: int = 0) -> list[Path]:
    """One PNG per gesture class, ``<out_dir>/<label>_<name>.png``."""
    return [
        plot_sample(label, seed, Path(out_dir) / f'{label:02d}_{name}.png')
        for label, name in enumerate(GESTURES)
    ]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--out', default='results/gestures', help='output folder')
    parser.add_argument('--seed', type=int, default=0, help='sample seed of every class')
    args = parser.parse_args(argv)
    for path in plot_classes(args.out, args.seed):
        print(path)


if __name__ == '__main__':
    main()
