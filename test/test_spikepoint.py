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
SpikePoint.

Event windows, point sampling, grouping and coding, the spiking network, its weight file, training
on synthetic moving blobs, and the DVS128 Gesture reader (on AEDAT 3.1 files written here from
known events).
"""

import json
from pathlib import Path
import struct

import numpy as np
import pytest
from snn_control.events.dvs_gesture import (
    DVS128_GESTURES,
    DvsGestureError,
    load_dvs_gesture,
    read_aedat31,
    read_gesture_labels,
)
from snn_control.events.io import EVENT_DTYPE, EventFormatError
from snn_control.events.spikepoint import (
    count_parameters,
    load_classifier,
    NO_LABEL,
    save_classifier,
    SpikePoint,
    SpikePointClassifier,
    SpikePointConfig,
    SpikePointError,
)
from snn_control.events.train_actions import (
    ActionData,
    augment_clouds,
    evaluate,
    main,
    run,
    split_by_recording,
    TrainConfig,
    windows_of,
)
from snn_control.events.windows import (
    denoise,
    EmptyWindowError,
    farthest_point_sampling,
    group_rates,
    GroupedRates,
    nearest_neighbours,
    PointCloudConfig,
    rate_code,
    sample_clouds,
    sample_points,
    split_windows,
    window_bounds,
    windows_to_rates,
)
import torch

BLOB_SENSOR = (32, 32)
#: Moving-blob classes: (start, end) of the blob's centre as fractions of the sensor.
BLOB_PATHS = {
    'sweep_right_top': ((0.2, 0.25), (0.8, 0.25)),
    'sweep_down_left': ((0.25, 0.2), (0.25, 0.8)),
    'diagonal_up': ((0.3, 0.8), (0.8, 0.3)),
    'still_bottom_right': ((0.75, 0.75), (0.75, 0.75)),
}
#: Small enough for a test to train in seconds on one core.
SMALL_POINTS = PointCloudConfig(n_points=256, n_groups=16, n_neighbours=16)
SMALL_MODEL = {'timesteps': 8, 'local_channels': 16, 'global_channels': (32, 64)}


def events_of(x, y, t, p=None) -> np.ndarray:
    e = np.zeros(len(t), EVENT_DTYPE)
    e['x'], e['y'], e['t'] = x, y, t
    e['p'] = 0 if p is None else p
    return e


def blob_recording(
    label: int, rng: np.random.Generator, duration_us: int = 1_000_000, events_per_s: int = 4000
) -> np.ndarray:
    """
    Return a Gaussian blob of events moving along the class's path.

    Plus 10 % background noise; start, speed and size jittered per recording.
    """
    (x0, y0), (x1, y1) = BLOB_PATHS[list(BLOB_PATHS)[label]]
    n = events_per_s * duration_us // 1_000_000
    t = np.sort(rng.integers(0, duration_us, n))
    phase = t / duration_us
    jitter = rng.uniform(-0.05, 0.05, 2)
    cx = (x0 + (x1 - x0) * phase + jitter[0]) * BLOB_SENSOR[0]
    cy = (y0 + (y1 - y0) * phase + jitter[1]) * BLOB_SENSOR[1]
    size = rng.uniform(1.0, 2.0)
    x, y = cx + rng.normal(0, size, n), cy + rng.normal(0, size, n)
    noise = rng.random(n) < 0.1
    x[noise], y[noise] = rng.uniform(0, BLOB_SENSOR[0], noise.sum()), rng.uniform(
        0, BLOB_SENSOR[1], noise.sum()
    )
    return events_of(
        np.clip(x, 0, BLOB_SENSOR[0] - 1),
        np.clip(y, 0, BLOB_SENSOR[1] - 1),
        t,
        rng.integers(0, 2, n),
    )


def blob_data(per_class: int, seed: int) -> ActionData:
    rng = np.random.default_rng(seed)
    labels = np.tile(np.arange(len(BLOB_PATHS)), per_class)
    train_index, held_out_index = split_by_recording(labels, 0.25, seed)
    return ActionData(
        [blob_recording(int(label), rng) for label in labels],
        labels,
        train_index,
        held_out_index,
        tuple(BLOB_PATHS),
        BLOB_SENSOR,
    )


@pytest.fixture(scope='module')
def trained(tmp_path_factory):
    """
    Train a small SpikePoint on moving blobs.

    The one slow fixture, about half a minute.
    """
    torch.set_num_threads(1)
    data = blob_data(per_class=16, seed=0)
    out = tmp_path_factory.mktemp('spikepoint') / 'blobs.npz'
    result = run(
        data,
        SpikePointConfig(n_classes=len(BLOB_PATHS), **SMALL_MODEL),
        SMALL_POINTS,
        TrainConfig(epochs=12, batch_size=8, learning_rate=0.01, seed=0),
        out,
        plot=out.with_suffix('.png'),
        progress=False,
    )
    return data, result, out


# -- windows and points -------------------------------------------------------------------------


def test_windows_slide_over_the_stream():
    t = np.arange(0, 1_500_000, 1000)  # 1.5 s of events, one per ms
    bounds = window_bounds(t, 500_000, 250_000)
    np.testing.assert_array_equal(bounds[:, 0], [0, 250, 500, 750, 1000])
    np.testing.assert_array_equal(bounds[:, 1] - bounds[:, 0], 500)
    assert len(window_bounds(t[:100], 500_000, 250_000)) == 1  # shorter than a window: one window
    assert window_bounds(np.zeros(0, np.int64), 500_000, 250_000).shape == (0, 2)
    events = events_of(np.zeros(len(t)), np.zeros(len(t)), t)
    gappy = np.concatenate([events[:100], events[1400:]])  # nothing between 0.1 s and 1.4 s
    windows = split_windows(gappy, 500_000, 250_000)
    assert [len(w) for w in windows] == [100, 100]  # the empty windows are dropped
    assert len(split_windows(gappy, 500_000, 250_000, min_events=101)) == 0


def test_points_are_sampled_and_normalised():
    rng = np.random.default_rng(0)
    n = 5000
    window = events_of(
        rng.integers(0, 64, n), rng.integers(0, 48, n), np.sort(rng.integers(10_000, 510_000, n))
    )
    window['t'][0], window['t'][-1] = 10_000, 510_000
    points = sample_points(window, 1024, (64, 48), rng)
    assert points.shape == (1024, 3) and points.dtype == np.float32
    assert points[:, 0].min() >= 0 and points[:, 0].max() < 1 and points[:, 1].max() < 1
    assert points[:, 2].min() >= 0 and points[:, 2].max() <= 1 and points[:, 2].max() > 0.95
    unique_window = events_of(np.arange(2000) % 64, np.arange(2000) // 64, np.arange(2000))
    drawn = sample_points(unique_window, 1024, (64, 48), rng)
    assert len(np.unique(drawn, axis=0)) == 1024  # enough events: no repeats
    few = sample_points(unique_window[:10], 64, (64, 48), rng)
    assert few.shape == (64, 3) and len(np.unique(few, axis=0)) <= 10  # too few: with replacement
    same_time = sample_points(events_of([1, 2], [3, 4], [7, 7]), 4, (64, 48), rng)
    np.testing.assert_array_equal(same_time[:, 2], 0.0)
    with pytest.raises(EmptyWindowError, match='empty window'):
        sample_points(unique_window[:0], 64, (64, 48), rng)
    with pytest.raises(ValueError, match='n_points'):
        PointCloudConfig(n_points=16, n_groups=32)


def test_denoise_drops_isolated_events():
    rng = np.random.default_rng(4)
    n = 3000
    blob = events_of(
        20 + rng.integers(0, 6, n),
        30 + rng.integers(0, 6, n),
        np.sort(rng.integers(0, 500_000, n)),
    )
    lonely = events_of([2, 60, 10, 50], [2, 60, 55, 5], [50_000, 150_000, 300_000, 450_000])
    window = np.sort(np.concatenate([blob, lonely]), order='t')
    kept = denoise(window, cell_px=2, cell_us=20_000, min_support=3)
    assert len(kept) == n and np.all(kept['x'] >= 20)  # the blob whole, the stray events gone
    pair = events_of([40, 42], [10, 10], [200_000, 201_000])  # two events in adjacent voxels
    assert len(denoise(np.sort(np.concatenate([window, pair]), order='t'), 2, 20_000, 2)) == n + 2
    assert len(denoise(window, min_support=1)) == len(window)  # filter off
    clouds = sample_clouds(
        [lonely], PointCloudConfig(n_points=8, n_groups=2, n_neighbours=2), (64, 64), rng
    )
    assert clouds.shape == (1, 8, 3)  # all noise: sampled unfiltered, not lost


def test_farthest_point_sampling_spreads_centroids():
    rng = np.random.default_rng(1)
    corners = np.array(
        [[x, y, t] for x in (0, 1) for y in (0, 1) for t in (0, 1)], dtype=np.float32
    )
    cluster = rng.uniform(0.45, 0.55, (200, 3)).astype(np.float32)  # a dense ball in the middle
    cloud = torch.from_numpy(np.concatenate([corners, cluster]))[None]
    chosen = farthest_point_sampling(cloud, 8)[0].numpy()
    assert sorted(chosen.tolist()) == list(range(8))  # the eight corners, not the ball
    # against a plain reference on random clouds, batched
    clouds = torch.rand(3, 300, 3, generator=torch.Generator().manual_seed(0))
    got = farthest_point_sampling(clouds, 20).numpy()
    for b, cloud_b in enumerate(clouds.numpy()):
        picked, nearest = [0], np.full(300, np.inf)
        for _ in range(19):
            nearest = np.minimum(nearest, ((cloud_b - cloud_b[picked[-1]]) ** 2).sum(1))
            picked.append(int(nearest.argmax()))
        assert got[b].tolist() == picked


def test_nearest_neighbours_form_the_right_groups():
    clouds = torch.rand(2, 400, 3, generator=torch.Generator().manual_seed(2))
    centroids = clouds[:, :10]
    groups = nearest_neighbours(clouds, centroids, 24).numpy()
    assert groups.shape == (2, 10, 24)
    for b in range(2):
        distances = ((clouds[b, :10, None] - clouds[b, None]) ** 2).sum(-1).numpy()
        for g in range(10):
            assert set(groups[b, g]) == set(np.argsort(distances[g])[:24])
            assert groups[b, g, 0] == g  # a centroid is its own nearest point


def test_group_rates_are_probabilities_with_the_papers_inputs():
    clouds = torch.rand(4, 512, 3, generator=torch.Generator().manual_seed(3))
    rates = group_rates(clouds, 32, 24, offset_clip=3.0)
    assert rates.offsets.shape == (4, 32, 24, 3) and rates.groups.shape == (4, 32, 6)
    for part in rates:
        assert part.min() >= 0 and part.max() <= 1
    # the first neighbour of each group is its centroid: offset 0
    np.testing.assert_array_equal(rates.offsets[:, :, 0].numpy(), 0.0)
    # group minimum <= centroid, and the centroids are points of the cloud
    assert torch.all(rates.groups[..., :3] <= rates.groups[..., 3:])
    assert torch.isin(rates.groups[0, :, 3], clouds[0, :, 0]).all()
    # standardised: scaling a cloud about its centre leaves the offsets' rates unchanged
    shrunk = group_rates(0.5 + 0.5 * (clouds - 0.5), 32, 24, offset_clip=3.0)
    torch.testing.assert_close(shrunk.offsets, rates.offsets, atol=1e-5, rtol=0)


def test_signed_offsets_keep_the_direction_the_absolute_value_drops():
    clouds = torch.rand(4, 512, 3, generator=torch.Generator().manual_seed(3))
    plain = group_rates(clouds, 32, 24, offset_clip=3.0)
    signed = group_rates(clouds, 32, 24, offset_clip=3.0, signed=True)
    assert signed.offsets.shape == (4, 32, 24, 6) and torch.equal(signed.groups, plain.groups)
    positive, negative = signed.offsets[..., :3], signed.offsets[..., 3:]
    assert torch.all(
        (positive == 0) | (negative == 0)
    ), 'a point lies on one side of its centroid per axis'
    torch.testing.assert_close(positive + negative, plain.offsets)
    # A clockwise and a counter-clockwise arc (time runs the other way round), one group of
    # every point around the arc's middle point (first, so farthest-point sampling starts
    # there): the same |offsets|, opposite signed time offsets.
    angle = torch.linspace(0, np.pi, 513)
    arc = torch.stack(
        [0.5 + 0.3 * torch.cos(angle), 0.5 + 0.3 * torch.sin(angle), angle / np.pi], -1
    )
    clockwise = torch.cat([arc[256:257], arc[:256], arc[257:]])[None]
    counter = clockwise.clone()
    counter[..., 2] = 1.0 - counter[..., 2]
    a, b = (group_rates(c, 1, 513, 3.0, signed=True).offsets[0, 0] for c in (clockwise, counter))
    torch.testing.assert_close(
        (a[:, :3] + a[:, 3:]).sort(0).values, (b[:, :3] + b[:, 3:]).sort(0).values
    )
    # points right of the middle (x ON) come earlier on the clockwise arc (t OFF), later on the
    # other
    right_a, right_b = a[:, 0] > 0, b[:, 0] > 0
    assert right_a.sum() > 100 and right_b.sum() == right_a.sum()
    assert torch.all(a[right_a, 5] > 0) and torch.all(a[right_a, 2] == 0)
    assert torch.all(b[right_b, 2] > 0) and torch.all(b[right_b, 5] == 0)


def test_motion_inputs_tell_the_sense_of_a_rotation():
    from snn_control.events.windows import MOTION_CHANNELS

    # a point travelling once round a circle in the window, and the same circle run backwards
    angle = torch.linspace(0, 2 * np.pi, 512)
    turning = torch.stack(
        [0.5 + 0.3 * torch.cos(angle), 0.5 + 0.3 * torch.sin(angle), angle / (2 * np.pi)], -1
    )
    backwards = turning.clone()
    backwards[:, 2] = 1.0 - backwards[:, 2]
    clouds = torch.stack([turning, backwards])[
        :, torch.randperm(512, generator=torch.Generator().manual_seed(0))
    ]
    plain = group_rates(clouds, 16, 12, offset_clip=3.0, signed=True)
    rates = group_rates(clouds, 16, 12, offset_clip=3.0, signed=True, motion=True)
    assert rates.groups.shape == (2, 16, 6 + MOTION_CHANNELS) and torch.equal(
        rates.offsets, plain.offsets
    )
    torch.testing.assert_close(rates.groups[..., :6], plain.groups)
    assert rates.groups.min() >= 0 and rates.groups.max() <= 1
    extra = rates.groups[..., 6:]
    assert torch.all(
        (extra[..., 0:2] == 0) | (extra[..., 2:4] == 0)
    ), 'a velocity is ON or OFF per axis, not both'
    velocity, placed = extra[..., 0:2] - extra[..., 2:4], extra[..., 4:6] - extra[..., 6:8]
    # every group moves at right angles to where it lies: the sign of their cross product
    # is the sense of rotation, opposite for the two clouds
    turn = placed[..., 0] * velocity[..., 1] - placed[..., 1] * velocity[..., 0]
    assert torch.all(turn[0] > 0) and torch.all(turn[1] < 0), turn
    # 2 pi 0.3 sensor widths per window, saturating at VELOCITY_CLIP = 1
    assert torch.all(velocity.norm(dim=-1) > 0.9)
    cloud_config = PointCloudConfig(n_points=512, n_groups=16, n_neighbours=12, motion_inputs=True)
    assert (cloud_config.offset_channels, cloud_config.group_channels) == (3, 6 + MOTION_CHANNELS)


def test_network_and_point_clouds_must_agree_on_offset_channels():
    model = SpikePoint(SpikePointConfig(n_classes=4, offset_channels=6, **SMALL_MODEL))
    with pytest.raises(
        SpikePointError, match='6 offset and 6 group channels, the point clouds give 3 and 6'
    ):
        SpikePointClassifier(model, SMALL_POINTS, BLOB_SENSOR)
    signed_points = PointCloudConfig(
        n_points=256, n_groups=16, n_neighbours=16, signed_offsets=True
    )
    classifier = SpikePointClassifier(model, signed_points, BLOB_SENSOR)
    rng = np.random.default_rng(0)
    labels, confidence = classifier.classify([blob_recording(0, rng), blob_recording(1, rng)])
    assert labels.shape == (2,) and np.all((confidence >= 0) & (confidence <= 1))
    with pytest.raises(ValueError, match='offset_channels must be 3'):
        SpikePointConfig(n_classes=4, offset_channels=5)


def test_cross_entropy_and_mse_losses_prefer_the_true_class():
    from snn_control.events.spikepoint import LOSSES, training_loss

    labels = torch.tensor([0, 2])
    right = torch.zeros(8, 2, 3)
    right[:, 0, 0] = right[:, 1, 2] = 1.0
    wrong = right.roll(1, dims=-1)
    for kind in LOSSES:
        loss = training_loss(kind)
        assert loss(right, labels) < loss(wrong, labels), kind
    with pytest.raises(ValueError, match="unknown loss 'hinge'"):
        training_loss('hinge')
    with pytest.raises(ValueError, match='unknown loss'):
        TrainConfig(loss='hinge')


def test_rate_coding_fires_at_the_given_rates():
    rates = torch.tensor([0.0, 0.1, 0.5, 0.9, 1.0])
    spikes = rate_code(rates, 4000, torch.Generator().manual_seed(0))
    assert spikes.shape == (4000, 5) and set(spikes.unique().tolist()) <= {0.0, 1.0}
    np.testing.assert_allclose(spikes.mean(0).numpy(), rates.numpy(), atol=0.025)
    assert spikes[:, 0].sum() == 0 and spikes[:, -1].sum() == 4000
    again = rate_code(rates, 4000, torch.Generator().manual_seed(0))
    assert torch.equal(spikes, again)
    grouped = GroupedRates(torch.full((2, 3, 4, 3), 0.5), torch.full((2, 3, 6), 0.5)).code(16)
    assert grouped.offsets.shape == (16, 2, 3, 4, 3) and grouped.groups.shape == (16, 2, 3, 6)
    # regular trains: the same rates with the count pinned to rate * T, rounded either way
    many = torch.rand(1000, generator=torch.Generator().manual_seed(1))
    regular = rate_code(many, 16, torch.Generator().manual_seed(2), coding='regular')
    assert set(regular.unique().tolist()) <= {0.0, 1.0}
    counts = regular.sum(0)
    assert torch.all((counts == torch.floor(16 * many)) | (counts == torch.ceil(16 * many)))
    with pytest.raises(ValueError, match='timesteps'):
        rate_code(rates, 0)
    with pytest.raises(ValueError, match='unknown coding'):
        rate_code(rates, 4, coding='poisson-ish')


# -- the network --------------------------------------------------------------------------------


def test_model_shapes_parameters_and_inference_path():
    torch.manual_seed(0)
    config = SpikePointConfig(
        n_classes=10, threshold=0.25
    )  # low enough that voters fire untrained
    model = SpikePoint(config)
    assert config.timesteps == 16 and config.voters_per_class == 10
    assert 50_000 <= count_parameters(model) <= 600_000
    spikes = GroupedRates(torch.rand(3, 16, 24, 3) * 0.6, torch.rand(3, 16, 6)).code(16)
    model.train()
    for _ in range(2):  # batch-norm statistics that are not the identity
        scores = model(spikes)
    assert scores.shape == (16, 3, 10) and scores.min() >= 0 and scores.max() <= 1
    voting = voting_grad(model, spikes)
    assert voting > 0  # the surrogate lets gradients through
    model.eval()
    with torch.enable_grad():
        all_steps = model(spikes)  # layer by layer over all steps
    with torch.no_grad():
        stepped = model(spikes)  # folded, one step at a time
        stepped_again = model(spikes)  # reused buffers start from rest
    torch.testing.assert_close(stepped, all_steps.detach(), atol=1e-6, rtol=0)
    assert torch.equal(stepped, stepped_again)
    # the comparison means something only if the voters fire, and differently from step to step
    assert all_steps.sum() > 0 and not torch.equal(all_steps[0], all_steps[-1])
    with pytest.raises(SpikePointError, match='spikes'):
        model(type(spikes)(spikes.offsets[..., :2], spikes.groups))
    with pytest.raises(ValueError, match='classes'):
        SpikePointConfig(n_classes=1)


def test_plif_gradients_match_the_engines_superspike():
    """
    Check the fused PLIF layer against the same neurons unrolled step by step.

    Through autograd with the engine's SuperSpike surrogate: equal spikes, equal gradients.
    """
    from snn_control.engine.simulator import SuperSpike
    from snn_control.events.spikepoint import PLIF

    torch.manual_seed(1)
    plif = PLIF(tau_init=2.0, threshold=1.0, surrogate_scale=5.0)
    current = (torch.randn(12, 40, 6) * 1.5 + 0.8).requires_grad_(True)
    weights = torch.randn(12, 40, 6)
    (plif(current) * weights).sum().backward()
    fused = current.grad.clone(), plif.w.grad.clone()
    current.grad, plif.w.grad = None, None
    spike, leak = SuperSpike(5.0), plif.leak
    v, unrolled = torch.zeros(40, 6), []
    for t in range(12):
        v = v * (1 - leak) + current[t] * leak
        s = spike(v - 1.0)
        unrolled.append(s)
        v = v * (1 - s.detach())
    (torch.stack(unrolled) * weights).sum().backward()
    assert (
        torch.equal(plif(current), torch.stack(unrolled))
        and 0.05 < float(torch.stack(unrolled).detach().mean()) < 0.5
    )
    torch.testing.assert_close(fused[0], current.grad, atol=1e-6, rtol=1e-5)
    torch.testing.assert_close(fused[1], plif.w.grad, atol=1e-5, rtol=1e-5)


def voting_grad(model: SpikePoint, spikes) -> float:
    from snn_control.events.spikepoint import voting_loss

    model.zero_grad()
    voting_loss(model(spikes), torch.tensor([0, 1, 2])).backward()
    return float(model.local_lift.linear.weight.grad.abs().sum())


# -- training, evaluation, weight files ---------------------------------------------------------


def test_augmentation_moves_space_not_time():
    clouds = np.random.default_rng(5).uniform(0, 1, (4, 100, 3)).astype(np.float32)
    moved = augment_clouds(clouds, shift=0.1, scale=0.1, rng=np.random.default_rng(6))
    np.testing.assert_array_equal(moved[..., 2], clouds[..., 2])
    assert not np.allclose(moved[..., :2], clouds[..., :2])
    centred = clouds[..., :2] - 0.5
    ratio = (moved[..., :2] - moved[..., :2].mean(1, keepdims=True)) / (
        centred - centred.mean(1, keepdims=True)
    )
    assert np.all((ratio > 0.9 - 1e-4) & (ratio < 1.1 + 1e-4))  # one scale per cloud, within 10 %
    np.testing.assert_allclose(
        augment_clouds(clouds, 0.0, 0.0, np.random.default_rng(0)), clouds, atol=1e-6
    )


def test_split_keeps_every_recording_on_one_side():
    labels = np.repeat(np.arange(4), 10)
    train_index, held_out_index = split_by_recording(labels, 0.25, seed=0)
    assert (
        not set(train_index) & set(held_out_index) and len(train_index) + len(held_out_index) == 40
    )
    assert np.all(np.bincount(labels[held_out_index]) >= 2)  # stratified
    data = blob_data(per_class=3, seed=1)
    train_windows = windows_of(data.recordings, data.labels, SMALL_POINTS, data.train_index)
    held_windows = windows_of(data.recordings, data.labels, SMALL_POINTS, data.held_out_index)
    assert not set(train_windows.recordings) & set(held_windows.recordings)
    assert len(train_windows) == 3 * len(
        data.train_index
    )  # 1 s recordings: three 0.5 s windows each


def test_training_on_moving_blobs_beats_chance(trained):
    data, result, out = trained
    chance = 1 / len(BLOB_PATHS)
    assert result['window_accuracy'] >= 0.7 > chance + 0.4, result
    assert (
        result['recordings'] == len(data.held_out_index)
        and sum(map(sum, result['confusion'])) == result['windows']
    )
    assert out.is_file() and out.with_suffix('.png').stat().st_size > 10_000


def test_weights_round_trip_and_classify(trained, tmp_path):
    data, _, out = trained
    classifier = load_classifier(out)
    assert classifier.class_names == tuple(BLOB_PATHS) and classifier.sensor_size == BLOB_SENSOR
    assert classifier.points == SMALL_POINTS and classifier.model.config.timesteps == 8
    windows = windows_of(data.recordings, data.labels, SMALL_POINTS, data.held_out_index).windows[
        :6
    ]
    windows.append(windows[0][:0])  # an empty window
    labels, confidences = classifier.classify(windows, seed=3)
    assert labels[-1] == NO_LABEL and confidences[-1] == 0
    assert np.all((labels[:-1] >= 0) & (labels[:-1] < 4)) and np.all(
        (confidences >= 0) & (confidences <= 1)
    )
    copy = load_classifier(save_classifier(classifier, tmp_path / 'copy.npz'))
    again_labels, again_confidences = copy.classify(windows, seed=3)
    np.testing.assert_array_equal(again_labels, labels)
    np.testing.assert_array_equal(again_confidences, confidences)
    np.testing.assert_array_equal(copy.scores(windows, seed=3), classifier.scores(windows, seed=3))
    assert (
        evaluate(
            copy, windows_of(data.recordings, data.labels, SMALL_POINTS, data.held_out_index)
        )['windows']
        > 0
    )


def test_bad_weight_files_fail_clearly(trained, tmp_path):
    _, _, out = trained
    with pytest.raises(FileNotFoundError, match='does not exist'):
        load_classifier(tmp_path / 'missing.npz')
    truncated = tmp_path / 'truncated.npz'
    truncated.write_bytes(out.read_bytes()[:200])
    with pytest.raises(SpikePointError, match='not a readable .npz'):
        load_classifier(truncated)
    arrays = dict(np.load(out))
    meta = json.loads(str(arrays['meta']))
    np.savez(
        tmp_path / 'foreign.npz', meta=np.array(json.dumps({**meta, 'format': 'something/1'}))
    )
    with pytest.raises(SpikePointError, match='not a SpikePoint weight file'):
        load_classifier(tmp_path / 'foreign.npz')
    np.savez(tmp_path / 'no_meta.npz', **{k: v for k, v in arrays.items() if k != 'meta'})
    with pytest.raises(SpikePointError, match="lacks 'meta'"):
        load_classifier(tmp_path / 'no_meta.npz')
    wider = {**meta, 'model': {**meta['model'], 'local_channels': 24}}
    np.savez(tmp_path / 'mismatch.npz', **{**arrays, 'meta': np.array(json.dumps(wider))})
    with pytest.raises(SpikePointError, match='do not match'):
        load_classifier(tmp_path / 'mismatch.npz')
    weight = next(k for k in arrays if k.endswith('linear.weight'))
    np.savez(tmp_path / 'nan.npz', **{**arrays, weight: np.full_like(arrays[weight], np.nan)})
    with pytest.raises(SpikePointError, match='NaN'):
        load_classifier(tmp_path / 'nan.npz')


# -- DVS128 Gesture -----------------------------------------------------------------------------


def aedat31_bytes(
    packets: list[tuple[int, int, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]],
    source: str = 'DVS128',
) -> bytes:
    """
    Return an AEDAT 3.1 file.

    Header lines, then per packet (type, ts_overflow, x, y, t, p, valid) a 28-byte header and
    8-byte events (flags uint32, timestamp int32).
    """
    out = [
        f'#!AER-DAT3.1\r\n#Format: RAW\r\n#Source 1: {source}\r\n#Start-Time: 2017-01-01\r\n'
        '#!END-HEADER\r\n'.encode()
    ]
    for kind, overflow, x, y, t, p, valid in packets:
        flags = (
            (np.asarray(x, np.uint32) << 17)
            | (np.asarray(y, np.uint32) << 2)
            | (np.asarray(p, np.uint32) << 1)
            | np.asarray(valid, np.uint32)
        )
        body = np.empty(len(flags), dtype=[('flags', '<u4'), ('ts', '<i4')])
        body['flags'], body['ts'] = flags, t
        out.append(
            struct.pack(
                '<hhiiiiii', kind, 1, 8, 4, overflow, len(body), len(body), int(np.sum(valid))
            )
        )
        out.append(body.tobytes())
    return b''.join(out)


def polarity_packet(x, y, t, p, valid=None, overflow=0, kind=1):
    return kind, overflow, x, y, t, p, np.ones(len(t), int) if valid is None else valid


def test_aedat31_reader_decodes_known_events(tmp_path):
    path = tmp_path / 'known.aedat'
    path.write_bytes(
        aedat31_bytes(
            [
                polarity_packet(
                    [0, 127, 5], [0, 127, 64], [10, 20, 30], [1, 0, 1], valid=[1, 1, 0]
                ),
                polarity_packet([9], [9], [99], [0], kind=0),  # a special-event packet: skipped
                polarity_packet(
                    [3, 4], [5, 6], [7, 2**31 - 1], [0, 1], overflow=1
                ),  # after a timestamp wrap
            ]
        )
    )
    stream = read_aedat31(path)
    e = stream.events
    assert stream.sensor_size == (128, 128) and e.dtype == EVENT_DTYPE
    np.testing.assert_array_equal(e['x'], [0, 127, 3, 4])
    np.testing.assert_array_equal(e['y'], [0, 127, 5, 6])
    np.testing.assert_array_equal(e['p'], [1, 0, 0, 1])
    np.testing.assert_array_equal(e['t'], [10, 20, 2**31 + 7, 2**32 - 1])
    path.write_bytes(path.read_bytes()[:-5])
    with pytest.raises(EventFormatError, match='truncated'):
        read_aedat31(path)
    path.write_bytes(b'#!AER-DAT2.0\r\n' + b'\0' * 16)
    with pytest.raises(EventFormatError, match='not an AEDAT 3'):
        read_aedat31(path)


def write_recording(
    folder: Path, name: str, rng: np.random.Generator, labels: list[tuple[int, int, int]]
) -> None:
    """
    Return a recording with events every 100 us over the labelled intervals' span.

    And its CSV.
    """
    t = np.arange(0, max(end for _, _, end in labels) + 1000, 100)
    x, y = rng.integers(0, 128, len(t)), rng.integers(0, 128, len(t))
    (folder / f'{name}.aedat').write_bytes(
        aedat31_bytes([polarity_packet(x, y, t, rng.integers(0, 2, len(t)))])
    )
    rows = ''.join(f'{c},{a},{b}\n' for c, a, b in labels)
    (folder / f'{name}_labels.csv').write_text('class,startTime_usec,endTime_usec\n' + rows)


def test_dvs_gesture_ibm_layout(tmp_path):
    rng = np.random.default_rng(0)
    root = tmp_path / 'DvsGesture'
    root.mkdir()
    write_recording(
        root, 'user01_fluorescent', rng, [(1, 1000, 601_000), (11, 700_000, 1_200_000)]
    )
    write_recording(root, 'user24_led', rng, [(4, 0, 700_000)])
    train, test = load_dvs_gesture(tmp_path, 'train'), load_dvs_gesture(tmp_path, 'test')
    assert [(s.label, s.recording) for s in train] == [
        (0, 'user01_fluorescent#0'),
        (10, 'user01_fluorescent#1'),
    ]
    assert [(s.label, s.recording) for s in test] == [(3, 'user24_led#0')]
    first = train[0].events
    assert first['t'][0] == 1000 and first['t'][-1] == 600_900 and len(first) == 6000
    assert DVS128_GESTURES[test[0].label] == 'right_arm_clockwise'
    np.testing.assert_array_equal(
        read_gesture_labels(root / 'user24_led_labels.csv'), [[3, 0, 700_000]]
    )
    (root / 'trials_to_train.txt').write_text(
        'user24_led.aedat\n'
    )  # an explicit split wins over user numbers
    (root / 'trials_to_test.txt').write_text('user01_fluorescent.aedat\n')
    assert [s.recording for s in load_dvs_gesture(tmp_path, 'train')] == ['user24_led#0']
    (root / 'user24_led_labels.csv').unlink()
    with pytest.raises(DvsGestureError, match='_labels.csv'):
        load_dvs_gesture(tmp_path, 'all')
    with pytest.raises(FileNotFoundError, match='does not exist'):
        load_dvs_gesture(tmp_path / 'nowhere')
    (tmp_path / 'empty').mkdir()
    with pytest.raises(DvsGestureError, match='no DVS128 Gesture recordings'):
        load_dvs_gesture(tmp_path / 'empty')


def test_dvs_gesture_tonic_layout(tmp_path):
    folder = tmp_path / 'DVSGesture' / 'ibmGestureTest' / 'user25_natural'
    folder.mkdir(parents=True)
    table = np.array([[1, 2, 1, 0.5], [3, 4, 0, 2.0]])  # x, y, p, t in ms
    np.save(folder / '7.npy', table)
    (test,) = load_dvs_gesture(tmp_path, 'test')
    assert test.label == 7 and load_dvs_gesture(tmp_path, 'train') == []
    np.testing.assert_array_equal(test.events['t'], [500, 2000])
    np.testing.assert_array_equal(test.events['x'], [1, 3])
    np.testing.assert_array_equal(test.events['p'], [1, 0])


def test_command_line_trains_on_a_dvs128_folder(tmp_path, capsys):
    rng = np.random.default_rng(1)
    root = tmp_path / 'DvsGesture'
    root.mkdir()
    write_recording(root, 'user02_led', rng, [(c, 0, 600_000) for c in (1, 2)])
    write_recording(root, 'user25_led', rng, [(2, 0, 600_000)])
    out = tmp_path / 'dvs.npz'
    code = main(
        [
            '--dataset',
            'dvs128',
            '--data-dir',
            str(root),
            '--epochs',
            '1',
            '--points',
            '64',
            '--groups',
            '4',
            '--neighbours',
            '8',
            '--timesteps',
            '2',
            '--out',
            str(out),
            '--json',
        ]
    )
    assert code == 0
    result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert (
        result['windows'] == 1 and result['train_windows'] == 2 and Path(result['plot']).is_file()
    )
    assert load_classifier(out).class_names == DVS128_GESTURES
    # continue from those weights: their settings win over the flags, the record chains
    more = tmp_path / 'more.npz'
    assert (
        main(
            [
                '--dataset',
                'dvs128',
                '--data-dir',
                str(root),
                '--epochs',
                '1',
                '--init',
                str(out),
                '--timesteps',
                '9',
                '--signed-offsets',
                '--out',
                str(more),
                '--json',
            ]
        )
        == 0
    )
    first, second = load_classifier(out), load_classifier(more)
    assert second.model.config == first.model.config and second.points == first.points
    assert second.training['continued_from']['command'] == first.training['command']
    assert not all(
        torch.equal(a, b)
        for a, b in zip(first.model.state_dict().values(), second.model.state_dict().values())
    )
    assert (
        main(
            [
                '--dataset',
                'dvs128',
                '--data-dir',
                str(root),
                '--init',
                str(tmp_path / 'none.npz'),
                '--out',
                str(more),
            ]
        )
        == 2
    )
    capsys.readouterr()
    assert (
        main(['--dataset', 'dvs128', '--data-dir', str(tmp_path / 'missing'), '--out', str(out)])
        == 2
    )
    assert 'does not exist' in capsys.readouterr().err


def test_classifier_rejects_mismatched_class_names():
    with pytest.raises(SpikePointError, match='class names'):
        SpikePointClassifier(
            SpikePoint(SpikePointConfig(n_classes=3)), SMALL_POINTS, (32, 32), ('a', 'b')
        )
    rates = windows_to_rates([], SMALL_POINTS, (32, 32), np.random.default_rng(0))
    assert rates.offsets.shape == (0, 16, 16, 3) and rates.groups.shape == (0, 16, 6)


def test_quantised_classifier_puts_the_folded_weights_on_the_board_grid():
    from snn_control.events.spikepoint import LayerStep, quantised_classifier, SpikingLinear

    torch.manual_seed(0)
    model = SpikePoint(SpikePointConfig(n_classes=4, **SMALL_MODEL)).eval()
    for layer in model.modules():  # batch-norm statistics as after training, not the identity
        if isinstance(layer, SpikingLinear):
            layer.norm.running_var.uniform_(0.5, 2.0)
            layer.norm.weight.data.uniform_(0.5, 1.5)
    classifier = SpikePointClassifier(model, SMALL_POINTS, BLOB_SENSOR)
    four = quantised_classifier(classifier, 4)
    for layer in four.model.modules():
        if isinstance(layer, SpikingLinear):
            step = LayerStep(layer)
            folded = torch.cat(
                [step.weight] + ([step.group_weight] if step.group_weight is not None else [])
            )
            grid = folded.abs().max() / 7
            np.testing.assert_allclose(
                (folded / grid).numpy(), np.round((folded / grid).numpy()), atol=1e-4
            )
            assert len(torch.unique(torch.round(folded / grid))) <= 15
    assert four.training['weight_bits'] == 4 and 'weight_bits' not in classifier.training
    rng = np.random.default_rng(1)
    windows = [blob_recording(label, rng) for label in range(4)]
    fine = quantised_classifier(classifier, 24)  # a grid too fine to change a spike
    np.testing.assert_array_equal(fine.scores(windows), classifier.scores(windows))
