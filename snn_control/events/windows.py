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
Event streams as SpikePoint's input: sliding windows, point clouds, groups, spike trains.

The pipeline of Ren et al. (ICLR 2024, "SpikePoint"), as pure functions:

1. :func:`split_windows`: windows of ``window_us`` every ``step_us`` (DVS128 Gesture:
   0.5 s every 0.25 s) over an event array (``EVENT_DTYPE``, sorted by ``t``).
2. :func:`sample_points`: each window becomes ``n_points`` events drawn at random (with
   replacement only when the window holds fewer), as points ``(x / width, y / height, t)``
   with ``t`` min-max normalised within the window; polarity is dropped. Before that,
   our addition to the paper: :func:`denoise`, a background-activity filter that drops
   isolated events, which farthest-point sampling would otherwise pick as centroids.
3. :func:`farthest_point_sampling` picks ``n_groups`` centroids spread over the cloud,
   :func:`nearest_neighbours` the ``n_neighbours`` points closest to each.
4. :func:`group_rates`: per neighbour, the offset from its centroid standardised by the
   window's offset spread (one scalar per window, the paper's SD), and of that the
   absolute value, because a firing rate cannot be negative. What the absolute value
   loses (on which side of the centroid a point lies) is given back in part by two
   further inputs per group: the per-axis minimum of the group's points and the
   centroid itself (both already in [0, 1]). :class:`GroupedRates` holds the two parts:
   3 channels per neighbour, 6 per group, every value a firing probability in [0, 1].
   Our option beyond the paper (``PointCloudConfig.signed_offsets``): each offset as an
   ON/OFF pair of channels (its positive and its negative part, as event cameras code
   brightness), 6 per neighbour, so that nothing of the sign is lost. The absolute value
   cannot tell which way a point cloud runs through time: a clockwise and a counter-
   clockwise circle of the same arm give the same |offsets| in every group.
   A second option (``PointCloudConfig.motion_inputs``), also ours: signed offsets alone
   did not tell a clockwise from a counter-clockwise circle of the same arm (held-out
   windows of the two classes were confused evenly), because the sense of a rotation is a
   relation between where a group lies in the cloud and which way its points move, and
   the absolute centroid says nothing about where the circle's centre is. So each group
   also gets ON/OFF pairs of its velocity (the least-squares slope of its neighbours' x
   and y offsets on their time offsets, in sensor widths per window, saturating at
   :data:`VELOCITY_CLIP`) and of its centroid's x and y relative to the cloud's mean (in
   units of twice the cloud's spread per axis): 8 more channels per group. The sign of
   ``placement x velocity`` is the sense of rotation.
5. :func:`rate_code`: Bernoulli spike trains of those probabilities over ``T`` steps (or,
   optionally, regular trains of the same rates without the Bernoulli noise). The
   group inputs are coded once per group and shared by its ``K`` neighbours (the paper
   repeats them per point; the rates are the same, and this draws a third of the random
   numbers and lets the first layer compute their current once per group).

Steps 3-5 are batched over windows in torch (FPS is one vectorised loop over the centroid
count, not over windows or points): about 1.5 ms per window on one core, with
:func:`sample_clouds` (steps 1b-2), :func:`clouds_to_rates` (3-4) and
:func:`windows_to_rates` (all) as the entry points.

An empty window has nothing to sample: :func:`split_windows` drops windows with fewer
than ``min_events`` events, and :func:`sample_points` raises :class:`EmptyWindowError`.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import NamedTuple, Sequence

import numpy as np
import torch

#: Input channels: per neighbour its |standardised offset| (x, y, t) (twice that with
#: signed offsets, :attr:`PointCloudConfig.offset_channels`); per group its minimum and its
#: centroid (x, y, t each); with motion inputs :data:`MOTION_CHANNELS` more per group.
OFFSET_CHANNELS = 3
GROUP_CHANNELS = 6
#: ON/OFF pairs in x and y of a group's velocity and of its centroid relative to the
#: cloud's mean (module doc, step 4).
MOTION_CHANNELS = 8
#: Group speed (sensor widths, or heights, per window) that maps to firing probability 1.
VELOCITY_CLIP = 1.0


class EmptyWindowError(ValueError):
    """A window without events: there is no point cloud to sample."""


@dataclass(frozen=True)
class PointCloudConfig:
    """How an event stream becomes groups of points (the paper's values where it gives them)."""

    window_us: int = 500_000
    step_us: int = 250_000
    n_points: int = 1024
    #: 32 groups: on one core about twice the windows per second of 64 (about 250 against
    #: 120 windows/s with T = 16, preprocessing included), the margin the speed goal needs.
    n_groups: int = 32
    n_neighbours: int = 24
    #: Standardised |offset| that maps to firing probability 1 (larger offsets saturate);
    #: offsets are about unit-variance after standardisation, so 3 keeps nearly all unsaturated.
    offset_clip: float = 3.0
    #: Background-activity filter before sampling (:func:`denoise`): voxels of
    #: ``denoise_cell_px`` pixels by ``denoise_cell_us``, and the events an event's own and
    #: adjacent voxels must hold (itself included); ``denoise_min_support <= 1`` turns it off.
    denoise_cell_px: int = 2
    denoise_cell_us: int = 20_000
    denoise_min_support: int = 3
    #: Offsets as ON/OFF pairs of their positive and negative parts instead of their
    #: absolute values (module doc, step 4).
    signed_offsets: bool = False
    #: Each group's velocity and its position in the cloud (module doc, step 4).
    motion_inputs: bool = False

    @property
    def offset_channels(self) -> int:
        """Input channels per neighbour: 3, or 6 with signed offsets."""
        return 2 * OFFSET_CHANNELS if self.signed_offsets else OFFSET_CHANNELS

    @property
    def group_channels(self) -> int:
        """Input channels per group: 6, 8 more with motion inputs."""
        return GROUP_CHANNELS + (MOTION_CHANNELS if self.motion_inputs else 0)

    def __post_init__(self) -> None:
        if self.window_us <= 0 or self.step_us <= 0:
            raise ValueError(
                f'window_us and step_us must be positive, got {self.window_us}, {self.step_us}'
            )
        if not 0 < self.n_neighbours <= self.n_points or not 0 < self.n_groups <= self.n_points:
            raise ValueError(
                f'need 0 < n_groups, n_neighbours <= n_points; got {self.n_groups}, '
                f'{self.n_neighbours}, {self.n_points}'
            )
        if self.offset_clip <= 0:
            raise ValueError(f'offset_clip must be positive, got {self.offset_clip}')
        if self.denoise_cell_px < 1 or self.denoise_cell_us < 1:
            raise ValueError('denoise_cell_px and denoise_cell_us must be positive')

    def as_dict(self) -> dict:
        return asdict(self)


def window_bounds(t: np.ndarray, window_us: int, step_us: int) -> np.ndarray:
    """
    ``(W, 2)`` index ranges ``[start, stop)`` of the windows over sorted timestamps ``t``.

    Windows start at the first event and every ``step_us`` after it while they lie in the
    recording, where the last window may run past the last event by up to half a step: a
    1.5 s recording, whose last event falls just before 1.5 s, gives five 0.5 s windows
    every 0.25 s, not four. A recording shorter than that gives one (shorter) window, so
    no recording is lost; an empty ``t`` gives none.
    """
    t = np.asarray(t)
    if t.size == 0:
        return np.zeros((0, 2), dtype=np.int64)
    first, span = int(t[0]), int(t[-1] - t[0])
    n_windows = max(1, (span - window_us + step_us // 2) // step_us + 1)
    starts = first + step_us * np.arange(n_windows, dtype=np.int64)
    return np.stack(
        [
            np.searchsorted(t, starts, side='left'),
            np.searchsorted(t, starts + window_us, side='left'),
        ],
        axis=1,
    ).astype(np.int64)


def split_windows(
    events: np.ndarray, window_us: int, step_us: int, min_events: int = 1
) -> list[np.ndarray]:
    """
    Return the windows of an event array holding at least ``min_events``.

    Views, in time order.
    """
    bounds = window_bounds(events['t'], window_us, step_us)
    return [events[a:b] for a, b in bounds if b - a >= max(1, min_events)]


def denoise(
    events: np.ndarray, cell_px: int = 2, cell_us: int = 20_000, min_support: int = 3
) -> np.ndarray:
    """
    Drop the events of a window that have too little support around them.

    Kept are the events with at least ``min_support`` events (themselves included) in their voxel
    of ``cell_px`` x ``cell_px`` pixels x ``cell_us`` and the 26 adjacent ones.

    A background-activity filter, as event pipelines run before learning (e.g. tonic's
    ``Denoise``), vectorised over voxels instead of a per-event loop. Without it farthest-
    point sampling, which seeks out the points farthest from the rest, spends about half
    its centroids on isolated noise events (measured on the simulated gestures).
    """
    if len(events) == 0 or min_support <= 1:
        return events
    x, y = events['x'].astype(np.int64) // cell_px, events['y'].astype(np.int64) // cell_px
    t = (events['t'] - events['t'][0]) // cell_us
    # counts per voxel, padded by one voxel on every side so that the 3x3x3 sums need no bounds
    shape = (int(t.max()) + 3, int(y.max()) + 3, int(x.max()) + 3)
    voxel = np.ravel_multi_index((t + 1, y + 1, x + 1), shape)
    counts = np.bincount(voxel, minlength=int(np.prod(shape))).reshape(shape)
    for axis in range(3):  # separable box sum: along each axis, a voxel plus its two neighbours
        inner = [slice(None)] * 3
        summed = np.zeros_like(counts)
        inner[axis] = slice(1, -1)
        summed[tuple(inner)] = sum(
            np.take(counts, range(k, counts.shape[axis] - 2 + k), axis=axis) for k in range(3)
        )
        counts = summed
    return events[counts.ravel()[voxel] >= min_support]


def sample_points(
    events: np.ndarray, n_points: int, sensor_size: tuple[int, int], rng: np.random.Generator
) -> np.ndarray:
    """
    ``(n_points, 3)`` float32 points ``(x / width, y / height, t normalised to [0, 1])``.

    Drawn without replacement when the window has at least ``n_points`` events, with
    replacement otherwise. A window whose events share one timestamp gets ``t = 0``.
    """
    if len(events) == 0:
        raise EmptyWindowError('cannot sample points from an empty window (no events)')
    width, height = sensor_size
    chosen = rng.choice(len(events), size=n_points, replace=len(events) < n_points)
    picked = events[chosen]
    t = picked['t'].astype(np.float64)
    t_min, t_span = events['t'][0], float(events['t'][-1] - events['t'][0])
    points = np.empty((n_points, 3), dtype=np.float32)
    points[:, 0] = picked['x'] / np.float32(width)
    points[:, 1] = picked['y'] / np.float32(height)
    points[:, 2] = (t - t_min) / t_span if t_span > 0 else 0.0
    return points


def farthest_point_sampling(points: torch.Tensor, n_groups: int) -> torch.Tensor:
    """
    ``(B, n_groups)`` indices of centroids chosen by farthest-point sampling in ``(B, N, 3)``.

    Starts at each cloud's first point (sampled points are in random order, so this is a
    random start) and repeatedly adds the point farthest from all chosen so far.
    """
    batch, n, dims = points.shape
    # One contiguous (B, N) plane per coordinate: the distance update then runs on long
    # contiguous rows instead of strided triples (three times faster on CPU).
    planes = points.permute(2, 0, 1).contiguous()
    chosen = torch.empty(batch, n_groups, dtype=torch.long, device=points.device)
    nearest = torch.full((batch, n), float('inf'), dtype=points.dtype, device=points.device)
    distance, gap = torch.empty_like(nearest), torch.empty_like(nearest)
    farthest = torch.zeros(batch, dtype=torch.long, device=points.device)
    rows = torch.arange(batch, device=points.device)
    for i in range(n_groups):
        chosen[:, i] = farthest
        centre = planes[:, rows, farthest].unsqueeze(-1)  # (dims, B, 1)
        distance.zero_()
        for d in range(dims):
            torch.sub(planes[d], centre[d], out=gap)
            distance.addcmul_(gap, gap)
        torch.minimum(nearest, distance, out=nearest)
        farthest = nearest.argmax(dim=1)
    return chosen


def nearest_neighbours(points: torch.Tensor, centroids: torch.Tensor, k: int) -> torch.Tensor:
    """
    Find the ``k`` points nearest each centroid, nearest first.

    Returns ``(B, G, k)`` indices into ``(B, N, 3)`` points for ``(B, G, 3)`` centroids (a centroid
    is its own nearest neighbour).
    """
    distances = torch.cdist(centroids, points)
    return distances.topk(k, dim=-1, largest=False, sorted=True).indices


def gather_points(points: torch.Tensor, index: torch.Tensor) -> torch.Tensor:
    """
    Gather ``points[b, index[b, ...]]`` for every batch row.

    ``(B, N, 3)`` by ``(B, *S)`` -> ``(B, *S, 3)``.
    """
    batch = points.shape[0]
    flat = index.reshape(batch, -1)
    picked = torch.gather(points, 1, flat.unsqueeze(-1).expand(-1, -1, points.shape[-1]))
    return picked.reshape(*index.shape, points.shape[-1])


class GroupedRates(NamedTuple):
    """Firing probabilities of a batch of windows, in [0, 1]."""

    #: ``(B, G, K, 3)`` |standardised offset| of every neighbour from its centroid (``(B, G,
    #: K, 6)`` with signed offsets: positive parts, then negative parts).
    offsets: torch.Tensor
    #: ``(B, G, 6)`` the group's per-axis minimum, then its centroid: one value per group,
    #: shared by the group's neighbours (with motion inputs then the ON/OFF pairs of its
    #: velocity and of its centroid's x and y relative to the cloud's mean).
    groups: torch.Tensor

    def code(
        self, timesteps: int, generator: torch.Generator | None = None, coding: str = 'bernoulli'
    ) -> GroupedSpikes:
        return GroupedSpikes(
            rate_code(self.offsets, timesteps, generator, coding),
            rate_code(self.groups, timesteps, generator, coding),
        )


class GroupedSpikes(NamedTuple):
    """Spike trains of :class:`GroupedRates`: ``(T, B, G, K, 3)`` and ``(T, B, G, 6)``."""

    offsets: torch.Tensor
    groups: torch.Tensor


def _on_off(values: torch.Tensor) -> torch.Tensor:
    """``values`` (about [-1, 1]) as firing probabilities: positive parts, then negative parts."""
    return torch.cat([values.clamp(0.0, 1.0), (-values).clamp(0.0, 1.0)], dim=-1)


def group_rates(
    points: torch.Tensor,
    n_groups: int,
    n_neighbours: int,
    offset_clip: float,
    signed: bool = False,
    motion: bool = False,
) -> GroupedRates:
    """
    Return the firing probabilities of every neighbour and group.

    For ``(B, N, 3)`` clouds (module doc, step 4); ``signed`` codes each offset as an ON/OFF pair,
    ``motion`` adds the motion inputs.
    """
    if points.shape[0] == 0:
        return GroupedRates(
            points.new_zeros(0, n_groups, n_neighbours, (2 if signed else 1) * OFFSET_CHANNELS),
            points.new_zeros(0, n_groups, GROUP_CHANNELS + (MOTION_CHANNELS if motion else 0)),
        )
    centroid_index = farthest_point_sampling(points, n_groups)
    centroids = gather_points(points, centroid_index)
    neighbours = gather_points(points, nearest_neighbours(points, centroids, n_neighbours))
    offsets = neighbours - centroids.unsqueeze(2)
    # One spread per window over all groups, neighbours and axes (the paper's SD): scale-free
    # offsets whether a gesture fills the sensor or a corner of it.
    spread = offsets.flatten(1).std(dim=1).clamp_min(1e-6).view(-1, 1, 1, 1)
    scaled = offsets / (spread * offset_clip)
    offset_rates = _on_off(scaled) if signed else scaled.abs().clamp_max(1.0)
    group_rates_ = torch.cat([neighbours.amin(dim=2), centroids], dim=-1).clamp(0.0, 1.0)
    if motion:
        dt = offsets[..., 2:]
        velocity = (offsets[..., :2] * dt).sum(dim=2) / (dt * dt).sum(dim=2).clamp_min(1e-9)
        centre, spread_xy = points[..., :2].mean(dim=1), points[..., :2].std(dim=1).clamp_min(1e-6)
        placed = (centroids[..., :2] - centre.unsqueeze(1)) / (2.0 * spread_xy.unsqueeze(1))
        group_rates_ = torch.cat(
            [group_rates_, _on_off(velocity / VELOCITY_CLIP), _on_off(placed)], dim=-1
        )
    return GroupedRates(offset_rates, group_rates_)


#: Rate codes: "bernoulli" fires at each step with the given probability (the paper's);
#: "regular" fires every 1/rate steps from a random phase, the same rate without the
#: Bernoulli count noise (the count over T steps is rate * T rounded up or down).
CODINGS = ('bernoulli', 'regular')


def rate_code(
    rates: torch.Tensor,
    timesteps: int,
    generator: torch.Generator | None = None,
    coding: str = 'bernoulli',
) -> torch.Tensor:
    """
    Return ``(T, *rates.shape)`` spike trains firing at ``rates`` per step.

    0/1 floats, coded as :data:`CODINGS` says.
    """
    if timesteps < 1:
        raise ValueError(f'timesteps must be at least 1, got {timesteps}')
    if coding == 'bernoulli':
        draws = torch.rand(
            (timesteps, *rates.shape), generator=generator, dtype=rates.dtype, device=rates.device
        )
        return (draws < rates).to(rates.dtype)
    if coding == 'regular':
        phase = torch.rand(
            rates.shape, generator=generator, dtype=rates.dtype, device=rates.device
        )
        steps = torch.arange(timesteps + 1, dtype=rates.dtype, device=rates.device).view(
            -1, *[1] * rates.dim()
        )
        fired = torch.floor(steps * rates + phase)  # spikes fired up to each step
        return fired[1:] - fired[:-1]
    raise ValueError(f'unknown coding {coding!r}; choose from {CODINGS}')


def sample_clouds(
    windows: Sequence[np.ndarray],
    config: PointCloudConfig,
    sensor_size: tuple[int, int],
    rng: np.random.Generator,
) -> np.ndarray:
    """
    ``(B, n_points, 3)`` point clouds of non-empty windows: denoised (:func:`denoise`).

    Then sampled (:func:`sample_points`). A window the filter would empty (nothing but isolated
    events) is sampled unfiltered.
    """
    clouds = np.empty((len(windows), config.n_points, 3), dtype=np.float32)
    for i, window in enumerate(windows):
        kept = denoise(
            window, config.denoise_cell_px, config.denoise_cell_us, config.denoise_min_support
        )
        clouds[i] = sample_points(kept if len(kept) else window, config.n_points, sensor_size, rng)
    return clouds


def clouds_to_rates(clouds: np.ndarray | torch.Tensor, config: PointCloudConfig) -> GroupedRates:
    """Step 3-4 (grouping, firing probabilities) for ``(B, N, 3)`` clouds."""
    return group_rates(
        torch.as_tensor(clouds),
        config.n_groups,
        config.n_neighbours,
        config.offset_clip,
        config.signed_offsets,
        config.motion_inputs,
    )


def windows_to_rates(
    windows: Sequence[np.ndarray],
    config: PointCloudConfig,
    sensor_size: tuple[int, int],
    rng: np.random.Generator,
) -> GroupedRates:
    """Return the whole preparation of a batch of non-empty windows: clouds, groups, rates."""
    return clouds_to_rates(sample_clouds(windows, config, sensor_size, rng), config)
