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
The shipped place map's ensemble as an engine network.

Structure, place recognition on real Nordland images, backend parity (numpy, torch, Loihi fixed
point in Lava), NIR in Norse, and the deploy command on a map file.
"""

from dataclasses import replace
from pathlib import Path
import sys

import numpy as np
import pytest
from snn_control.engine.simulator import Simulator
from snn_control.processes import run_bounded
from snn_control.vpr.data import load_pair
from snn_control.vpr.ensemble import place_scores, spike_counts
from snn_control.vpr.metrics import recall_at_k
from snn_control.vpr.network import (
    ensemble_network,
    network_spike_counts,
    PLACE_CELLS,
    query_currents,
)
from snn_control.vpr.place_map import load_map, shipped_map_path
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


@pytest.fixture(scope='module')
def place_map():
    return load_map(shipped_map_path())


@pytest.fixture(scope='module')
def queries(place_map):
    """Rates and ground truth of every fourth winter query that did not calibrate the map (100)."""
    pair = load_pair(NORDLAND / 'summer', NORDLAND / 'winter')
    held = np.setdiff1d(np.arange(place_map.n_places), place_map.calibration)[::4]
    return place_map.rates(pair.query.images[held]), held, pair


def test_network_holds_the_ensemble_weights_and_module_wise_inhibition(place_map):
    ens = place_map.ensemble
    spec = ensemble_network(ens)
    m, n_in, n = ens.weights.shape
    assert spec.n_inputs == n_in and spec.population(PLACE_CELLS).size == m * n
    feed, inhibition = spec.connections
    # neuron j of module 3 takes module 3's learnt weights times the query gain
    np.testing.assert_allclose(
        feed.weight[3 * n + 7], ens.config.query_gain * ens.weights[3, :, 7].double().numpy()
    )
    assert inhibition.sparse and inhibition.source == inhibition.target == PLACE_CELLS
    block = inhibition.weight[:n, :n]
    assert np.all(np.diag(block) == 0) and np.all(
        block[~np.eye(n, dtype=bool)] == -ens.config.w_inh
    )
    assert not inhibition.weight[:n, n:].any(), 'modules must not inhibit one another'


@needs_data
def test_engine_network_recognises_winter_places_like_the_kernel(place_map, queries):
    rates, held, pair = queries
    assert (
        place_map.network_inhibition is not None
    ), "the shipped map records its network's inhibition"
    counts = network_spike_counts(
        place_map.ensemble, rates, inhibition=place_map.network_inhibition
    )
    recall = recall_at_k(-place_scores(place_map.ensemble, counts).numpy(), held)
    kernel = recall_at_k(
        -place_scores(place_map.ensemble, spike_counts(place_map.ensemble, rates)).numpy(), held
    )
    sad = recall_at_k(sad_distances(pair.reference.images[:500], pair.query.images[held]), held)
    assert recall > 1.5 * sad and recall >= kernel - 0.05, (recall, kernel, sad)


def test_inhibition_is_chosen_on_calibration_queries_and_stored_in_the_map(
    place_map, queries, tmp_path
):
    from snn_control.vpr.network import main
    from snn_control.vpr.place_map import save_map

    path = save_map(replace(place_map, network_inhibition=None), tmp_path / 'map.npz')
    assert load_map(path).network_inhibition is None
    assert main([str(path), str(NORDLAND / 'summer'), str(NORDLAND / 'winter')]) == 0
    chosen = load_map(path).network_inhibition
    assert (
        chosen == load_map(shipped_map_path()).network_inhibition
    ), "the shipped map's value is reproducible"
    assert ensemble_network(load_map(path).ensemble, chosen).metadata['inhibition'] == chosen


@needs_data
def test_numpy_and_torch_backends_count_the_same_spikes(place_map, queries):
    rates = queries[0][:6]
    on_torch = network_spike_counts(
        place_map.ensemble, rates, library='torch', dtype=torch.float64
    )
    on_numpy = network_spike_counts(place_map.ensemble, rates, library='numpy')
    assert on_torch.sum() > 0
    torch.testing.assert_close(on_torch, on_numpy, rtol=0, atol=0)


@needs_data
def test_lava_runs_the_network_bit_exactly_and_norse_spike_for_spike(place_map, queries):
    from snn_control.engine.lava_backend import LavaNetwork
    from snn_control.engine.nir_consumers import compare_with_norse

    spec = ensemble_network(place_map.ensemble, place_map.network_inhibition)
    currents = query_currents(place_map.ensemble, queries[0][0])[:40]
    ours = Simulator(spec, library='numpy', mode='fixed').run(currents)['spikes']
    with LavaNetwork(spec, 'fixed') as net:
        lava = net.run(currents)['spikes']
    assert ours.sum() > 0
    np.testing.assert_array_equal(ours, lava)
    agreement = compare_with_norse(spec, currents)
    assert agreement.spike_count_ours > 0 and agreement.spikes >= 0.99, agreement


def test_deploy_takes_a_place_map_and_writes_its_nir_file(tmp_path):
    from snn_control.engine.nir_io import read_nir

    out = run_bounded(
        [
            sys.executable,
            '-m',
            'snn_control.cli',
            'deploy',
            str(shipped_map_path()),
            '--target',
            'nir',
            '--output',
            str(tmp_path / 'vpr.nir'),
        ],
        timeout=300,
    )
    assert out.returncode == 0, out.stderr
    assert (
        read_nir(tmp_path / 'vpr.nir').n_neurons
        == ensemble_network(load_map(shipped_map_path()).ensemble).n_neurons
    )
