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
Place recognition with the SNN ensemble on real Nordland images.

Features, training, the map file, the command line, bad input.
"""

import json
from pathlib import Path
import shutil
import sys

import numpy as np
import pytest
from snn_control.processes import run_bounded
from snn_control.vpr.data import load_pair
from snn_control.vpr.ensemble import (
    assign_regions,
    EnsembleConfig,
    place_scores,
    spike_counts,
    spike_raster,
)
from snn_control.vpr.features import input_rates, patch_features, Preprocessing, TraversalStats
from snn_control.vpr.metrics import recall_at_k
from snn_control.vpr.place_map import build_map, load_map, PlaceMapError, save_map
from snn_control.vpr.sad import sad_distances
import torch

NORDLAND = (
    Path(__file__).resolve().parents[1].parent
    / 'shared'
    / 'data'
    / 'vpr'
    / 'nordland_trimmed_64x32'
)
needs_data = pytest.mark.skipif(not NORDLAND.is_dir(), reason='../shared/data/vpr not present')
PLACES = 200
SMALL = EnsembleConfig(places_per_module=20, neurons_per_place=2, epochs=4)


@pytest.fixture(scope='module')
def nordland():
    return load_pair(NORDLAND / 'summer', NORDLAND / 'winter')


@pytest.fixture(scope='module')
def small_map(nordland):
    cal = np.arange(0, PLACES, 10)
    return build_map(
        nordland.reference.images[:PLACES],
        nordland.reference.frames[:PLACES],
        SMALL,
        seed=0,
        calibration_images=nordland.query.images[cal],
        calibration_truth=cal,
        calibration_index=cal,
    )


def test_rates_are_on_off_pairs_in_unit_range():
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (5, 32, 64), dtype=np.uint8)
    prep = Preprocessing()
    patches = patch_features(images, prep)
    assert patches.shape == (5, prep.n_pixels)
    rates = input_rates(patches, TraversalStats.of(patches), prep)
    assert rates.shape == (5, prep.n_inputs) and rates.min() >= 0 and rates.max() <= 1
    on, off = rates[:, : prep.n_pixels], rates[:, prep.n_pixels:]
    assert not np.any((on > 0) & (off > 0))  # a pixel is brighter or darker than usual, not both
    with pytest.raises(ValueError, match='not a multiple of the patch size'):
        Preprocessing(width=30)
    with pytest.raises(ValueError, match='crop'):
        Preprocessing(crop=0.0)
    with pytest.raises(ValueError, match='query_input'):
        EnsembleConfig(query_input='spikes')


def test_regions_cover_every_place_once():
    slots = assign_regions(53, 10, shuffle=True, seed=3)
    assert slots.shape == (6, 10)
    assert sorted(slots[slots >= 0].tolist()) == list(range(53)) and np.sum(slots < 0) == 7
    np.testing.assert_array_equal(assign_regions(53, 10, False, 0)[0], np.arange(10))


@needs_data
def test_trained_ensemble_recognises_places_better_than_sad(nordland, small_map):
    e = small_map.ensemble
    assert e.n_places == PLACES and e.n_modules == PLACES // SMALL.places_per_module
    covered = np.unique(e.labels[e.labels >= 0]).size / PLACES
    assert covered > 0.6  # most places won a neuron of their module
    # STDP turned the weights into templates: a neuron's weights resemble its place's input
    rates = small_map.rates(nordland.reference.images[:PLACES], small_map.reference_stats)
    w = e.weights.permute(0, 2, 1).reshape(-1, rates.shape[1]).numpy()
    lab = e.labels.reshape(-1)
    ok = lab >= 0
    cos = (
        np.sum(w[ok] * rates[lab[ok]], 1)
        / np.linalg.norm(w[ok], axis=1)
        / np.linalg.norm(rates[lab[ok]], axis=1)
    )
    other = np.roll(lab[ok], 7 * SMALL.neurons_per_place)
    cos_other = (
        np.sum(w[ok] * rates[other], 1)
        / np.linalg.norm(w[ok], axis=1)
        / np.linalg.norm(rates[other], axis=1)
    )
    assert cos.mean() > cos_other.mean() + 0.2
    # the summer images themselves are recognised ...
    own = place_scores(e, spike_counts(e, rates)).numpy()
    assert recall_at_k(-own, np.arange(PLACES)) > 0.9 * covered
    # ... and winter queries held out from calibration better than by SAD
    held = np.setdiff1d(np.arange(PLACES), small_map.calibration)
    truth = nordland.ground_truth[held]
    snn = recall_at_k(-small_map.scores(nordland.query.images[held]), truth)
    sad = recall_at_k(
        sad_distances(nordland.reference.images[:PLACES], nordland.query.images[held]), truth
    )
    assert snn > sad, (snn, sad)


@needs_data
def test_spike_raster_adds_up_to_the_counts(small_map, nordland):
    rates = small_map.rates(nordland.query.images[:3])
    counts, raster = spike_raster(small_map.ensemble, rates)
    assert raster.shape == (3, SMALL.query_steps, counts.shape[1] * counts.shape[2])
    torch.testing.assert_close(raster.sum(dim=1).float(), counts.reshape(3, -1))
    torch.testing.assert_close(spike_counts(small_map.ensemble, rates), counts)


@needs_data
def test_map_file_round_trip_and_bad_files(small_map, nordland, tmp_path):
    path = save_map(small_map, tmp_path / 'map.npz')
    loaded = load_map(path)
    queries = nordland.query.images[:20]
    # weights are stored in float16: answers equal up to rounding of the drive
    a, b = small_map.localise(queries), loaded.localise(queries)
    assert np.mean(a[0] == b[0]) >= 0.9
    assert loaded.ensemble.hyperactive_threshold == small_map.ensemble.hyperactive_threshold
    np.testing.assert_array_equal(loaded.calibration, small_map.calibration)
    with pytest.raises(PlaceMapError, match='map was built from \\(64, 32\\)'):
        loaded.localise(np.zeros((2, 16, 16), np.uint8))
    broken = tmp_path / 'broken.npz'
    broken.write_bytes(path.read_bytes()[:1000])
    with pytest.raises(PlaceMapError, match='not a readable .npz'):
        load_map(broken)
    with pytest.raises(FileNotFoundError):
        load_map(tmp_path / 'missing.npz')
    other = tmp_path / 'other.npz'
    np.savez(other, meta=np.array(json.dumps({'format': 'something else'})))
    with pytest.raises(PlaceMapError, match='not a place map'):
        load_map(other)
    with pytest.raises(PlaceMapError, match='poses must be'):
        build_map(
            nordland.reference.images[:4], nordland.reference.frames[:4], poses=np.zeros((3, 7))
        )


@needs_data
def test_train_and_query_commands(tmp_path):
    ref, qry = tmp_path / 'summer', tmp_path / 'winter'
    for src, dst in ((NORDLAND / 'summer', ref), (NORDLAND / 'winter', qry)):
        dst.mkdir()
        for f in sorted(src.glob('images-*.png'))[:60]:
            shutil.copy(f, dst / f.name)
    exe = [sys.executable, '-m', 'snn_control.cli']
    out = tmp_path / 'map.npz'
    done = run_bounded(
        [
            *exe,
            'train',
            'vpr',
            str(ref),
            '--out',
            str(out),
            '--calibration',
            str(qry),
            '--calibration-count',
            '10',
            '--places-per-module',
            '20',
            '--epochs',
            '2',
        ],
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert '60 places in 3 modules' in done.stdout and out.is_file()
    done = run_bounded(
        [*exe, 'query', str(out), str(qry), '--json', '--plot', str(tmp_path / 'pr.png')],
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    assert (
        figures['held_out_queries'] == 50
        and 0 <= figures['recall_at_1'] <= figures['recall_at_5'] <= 1
    )
    assert (tmp_path / 'pr.png').stat().st_size > 1000
    done = run_bounded(
        [*exe, 'query', str(out), str(qry), '--json', '--sequence', '5'], timeout=300
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.strip().splitlines()[-1])['held_out_queries'] == 50
    # --places: the first N places, calibrated on the queries that belong to them
    done = run_bounded(
        [
            *exe,
            'train',
            'vpr',
            str(ref),
            '--out',
            str(tmp_path / 'map40.npz'),
            '--calibration',
            str(qry),
            '--calibration-count',
            '10',
            '--places',
            '40',
            '--places-per-module',
            '20',
            '--epochs',
            '1',
        ],
        timeout=300,
    )
    assert done.returncode == 0 and '40 places in 2 modules' in done.stdout, done.stderr
    assert load_map(tmp_path / 'map40.npz').calibration.max() < 40
    # bad input: nothing written, a clear message
    (tmp_path / 'empty').mkdir()
    bad = tmp_path / 'bad.npz'
    done = run_bounded(
        [*exe, 'train', 'vpr', str(tmp_path / 'empty'), '--out', str(bad)], timeout=120
    )
    assert done.returncode == 2 and 'holds no images' in done.stderr and not bad.exists()
    done = run_bounded([*exe, 'query', str(tmp_path / 'pr.png'), str(qry)], timeout=120)
    assert done.returncode == 2 and 'not a readable .npz' in done.stderr


@needs_data
def test_shipped_map_recognises_winter_images(nordland):
    from snn_control.vpr.place_map import shipped_map_path

    place_map = load_map(shipped_map_path())
    assert place_map.n_places == 500 and '--seed 0' in place_map.provenance
    held = np.setdiff1d(np.arange(500), place_map.calibration)[:150]
    best, confidence = place_map.localise(nordland.query.images[held])
    sad = recall_at_k(
        sad_distances(nordland.reference.images[:500], nordland.query.images[held]), held
    )
    assert np.mean(best == held) > 1.5 * sad and np.all((confidence >= 0) & (confidence <= 1))


def test_traversal_statistics_follow_new_images():
    rng = np.random.default_rng(2)
    stats = TraversalStats.of(rng.normal(0, 1, (50, 6)).astype(np.float32))
    patch = rng.normal(3, 1, 6).astype(np.float32)
    np.testing.assert_array_equal(stats.updated(patch, 0.0).mean, stats.mean)
    moved = stats.updated(patch, 0.1)
    np.testing.assert_allclose(moved.mean, 0.9 * stats.mean + 0.1 * patch, rtol=1e-6)
    assert np.all(np.abs(moved.mean - patch) < np.abs(stats.mean - patch))
    np.testing.assert_allclose(stats.updated(patch, 1.0).mean, patch)
