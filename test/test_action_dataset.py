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

"""The generated event-camera gesture dataset: real renders through the real event simulator."""

import time
import warnings

import mujoco
import numpy as np
import pytest
from snn_control.events.io import EVENT_DTYPE
from snn_control.sim.gestures import (
    cache_path,
    DURATION_S,
    generate_dataset,
    generate_sample,
    GESTURES,
    load_dataset,
    load_or_generate,
    SENSOR_SIZE,
)
from snn_control.sim.gestures.dataset import MODEL_PATH, sample_seed, SHOULDERS, two_link_ik

SEED = 3
PER_CLASS = 3


@pytest.fixture(scope='module')
def dataset():
    return generate_dataset(PER_CLASS, seed=SEED, progress=False)


def test_at_least_six_classes_and_balanced_index_major_order(dataset):
    samples, labels = dataset
    assert len(GESTURES) >= 6 and len(set(GESTURES)) == len(GESTURES)
    assert len(samples) == len(labels) == PER_CLASS * len(GESTURES)
    np.testing.assert_array_equal(
        labels[: len(GESTURES)], np.arange(len(GESTURES))
    )  # any prefix is balanced
    np.testing.assert_array_equal(np.bincount(labels), PER_CLASS)


def test_every_sample_is_a_valid_event_stream_of_plausible_size(dataset):
    width, height = SENSOR_SIZE
    for events, label in zip(*dataset):
        assert events.dtype == EVENT_DTYPE
        assert 300 < len(events) < 60_000, (GESTURES[label], len(events))
        assert events['x'].max() < width and events['y'].max() < height
        assert set(np.unique(events['p'])) == {0, 1}
        assert np.all(np.diff(events['t']) >= 0)
        assert events['t'][0] >= 0 and events['t'][-1] <= DURATION_S * 1e6
        assert events['t'][-1] > 0.9 * DURATION_S * 1e6  # the motion lasts the whole sample


def test_samples_are_deterministic_per_seed_and_differ_between_seeds(dataset):
    samples, labels = dataset
    again = generate_sample(int(labels[1]), sample_seed(SEED, 0))
    np.testing.assert_array_equal(again, samples[1])
    other = generate_sample(int(labels[1]), sample_seed(SEED + 1, 0))
    assert len(other) != len(again) or np.any(other != again)


def _coarse_histogram(events: np.ndarray, bins: int = 8) -> np.ndarray:
    width, height = SENSOR_SIZE
    hist, _, _ = np.histogram2d(
        events['x'], events['y'], bins=bins, range=((0, width), (0, height))
    )
    return hist.ravel() / max(hist.sum(), 1)


def test_classes_are_distinguishable_by_a_nearest_centroid_baseline(dataset):
    """
    Leave-one-out nearest class centroid on where the events fall.

    Far above chance, although body position, scale, lighting and sensor vary from sample to
    sample.
    """
    samples, labels = dataset
    features = np.array([_coarse_histogram(e) for e in samples])
    correct = 0
    for i in range(len(samples)):
        others = np.arange(len(samples)) != i
        centroids = np.array(
            [features[others & (labels == c)].mean(axis=0) for c in range(len(GESTURES))]
        )
        correct += int(np.argmin(((centroids - features[i]) ** 2).sum(axis=1)) == labels[i])
    accuracy = correct / len(samples)
    assert accuracy > 2.5 / len(GESTURES), accuracy


def test_inverse_kinematics_puts_the_wrist_on_target_with_the_elbow_towards_the_pole():
    model = mujoco.MjModel.from_xml_path(str(MODEL_PATH))
    data = mujoco.MjData(model)
    shoulder = SHOULDERS[-1.0]
    targets = shoulder + np.array([[0.0, -0.3, -0.2], [-0.3, -0.1, 0.2], [-0.1, -0.35, 0.1]])
    pole = np.array([-1.0, 0.3, -0.5])
    quats, elbows = two_link_ik(shoulder, targets, pole)
    shoulder_adr = model.jnt_qposadr[model.joint('r_shoulder').id]
    for quat, elbow, target in zip(quats, elbows, targets):
        data.qpos[:] = model.qpos0
        data.qpos[shoulder_adr:shoulder_adr + 4] = quat
        data.qpos[model.jnt_qposadr[model.joint('r_elbow').id]] = elbow
        mujoco.mj_forward(model, data)
        np.testing.assert_allclose(data.body('r_hand').xpos, target, atol=1e-6)
        elbow_pos = data.body('r_forearm').xpos
        # the elbow sits on the pole's side of the shoulder-wrist line
        line = (target - shoulder) / np.linalg.norm(target - shoulder)
        off_line = elbow_pos - shoulder - ((elbow_pos - shoulder) @ line) * line
        assert off_line @ pole > 0


def test_cache_round_trips_across_worker_processes_and_regenerates_a_corrupt_file(
    dataset, tmp_path
):
    samples, labels = dataset
    first_ten = samples[: len(GESTURES)]
    # two worker processes: samples do not depend on the process that renders them
    cached, cached_labels = load_or_generate(
        tmp_path, n_per_class=1, seed=SEED, progress=False, workers=2
    )
    path = cache_path(tmp_path, 1, SEED)
    assert path.is_file() and list(tmp_path.iterdir()) == [path]  # atomic write: no temporary left
    np.testing.assert_array_equal(cached_labels, labels[: len(GESTURES)])
    for a, b in zip(cached, first_ten):
        np.testing.assert_array_equal(a, b)

    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter('error')  # a good cache file is read silently
        reloaded, _ = load_or_generate(tmp_path, n_per_class=1, seed=SEED, progress=False)
    assert time.perf_counter() - start < 1.0  # read, not regenerated
    for a, b in zip(reloaded, first_ten):
        np.testing.assert_array_equal(a, b)

    path.write_bytes(path.read_bytes()[:200])  # truncated, as by a crash of some other writer
    with pytest.raises(ValueError, match='not a readable .npz'):
        load_dataset(path)
    with pytest.warns(RuntimeWarning, match=f'{path.name}.*regenerating'):
        regenerated, _ = load_or_generate(tmp_path, n_per_class=1, seed=SEED, progress=False)
    for a, b in zip(regenerated, first_ten):
        np.testing.assert_array_equal(a, b)
    load_dataset(path)  # and the file is whole again


def test_bad_arguments_are_refused_clearly(tmp_path):
    for label in (len(GESTURES), -1, 1.5, True):
        with pytest.raises(ValueError, match='unknown gesture label'):
            generate_sample(label, 0)
    for n in (0, -3, 2.0):
        with pytest.raises(ValueError, match='n_per_class must be an int >= 1'):
            generate_dataset(n)
        with pytest.raises(ValueError, match='n_per_class must be an int >= 1'):
            load_or_generate(tmp_path, n_per_class=n)
    with pytest.raises(ValueError, match='workers must be an int >= 1'):
        generate_dataset(1, workers=0)
    with pytest.raises(FileNotFoundError, match='does not exist'):
        load_dataset(tmp_path / 'missing.npz')


def test_class_pictures_are_written(tmp_path):
    from snn_control.sim.gestures.plot import event_frame, plot_sample

    events = np.zeros(3, dtype=EVENT_DTYPE)
    events['x'], events['y'], events['p'] = [1, 1, 2], [0, 0, 3], [1, 1, 0]
    image = event_frame(events)
    assert image.shape == (SENSOR_SIZE[1], SENSOR_SIZE[0], 3)
    assert image[0, 1, 0] == 1.0 and image[3, 2, 2] == 1.0 and image.sum() == 2.0
    path = plot_sample(0, 0, tmp_path / 'clap.png')
    assert path.read_bytes()[:8] == b'\x89PNG\r\n\x1a\n' and path.stat().st_size > 10_000
