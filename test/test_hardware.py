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
Board profiles (Loihi 2, Xylo Audio 2, SpiNNaker 2, Speck, CPU): fit checks with reasons.

Weight quantisation, energy arithmetic.
"""

from dataclasses import replace

import numpy as np
import pytest
from snn_control.blimp.controller import weights_path
from snn_control.engine.network import Connection, make_population, NetworkSpec
from snn_control.hardware.boards import (
    BOARDS,
    check_fit,
    fan_in,
    fan_out_weights,
    loihi_energy_uj,
    LOIHI_PJ_PER_NEURON_UPDATE,
    LOIHI_PJ_PER_SYNOP,
    quantise_weights,
)


def small_network(n_in: int = 4, n_out: int = 3, du: float = 0.5) -> NetworkSpec:
    rng = np.random.default_rng(0)
    pops = (
        make_population('in', n_in, 'cuba_lif', du=du, dv=0.25, vth=1.0),
        make_population('out', n_out, 'cuba_lif', du=du, dv=0.25, vth=1.0),
    )
    return NetworkSpec(pops, (Connection('in', 'out', rng.normal(0, 1, (n_out, n_in))),), 'in')


def test_shipped_blimp_networks_fit_loihi2_and_xylo_says_why_not():
    spec = NetworkSpec.load(weights_path('i'))
    assert check_fit(spec, 'loihi2').fits
    report = check_fit(spec, 'xylo_audio2')
    assert not report.fits
    assert any("'adaptive_lif' is not available" in r for r in report.reasons)
    assert any('threshold-port' in r for r in report.reasons)


def test_too_big_is_refused_with_the_numbers():
    tiny = replace(BOARDS['loihi2'], max_neurons=5, max_synapses=10)
    report = check_fit(small_network(), tiny)
    assert not report.fits and "7 neurons exceed the board's 5" in report.reasons[0]
    assert "12 synapses exceed the board's 10" in report.reasons[1]


def test_fan_in_inputs_and_bit_shift_decays_on_xylo():
    wide = small_network(n_in=70, n_out=2, du=0.3)
    narrow = replace(BOARDS['loihi2'], max_fan_in=63)
    assert any('fan-in 70, the board allows 63' in r for r in check_fit(wide, narrow).reasons)
    # Xylo's inputs are a dense table: no fan-in limit (its recurrent fan-out is the
    # Xylo target's rule, test_engine_xylo)
    reasons = check_fit(wide, 'xylo_audio2').reasons
    assert not any('fan-in' in r for r in reasons)
    assert any("70 input neurons exceed the board's 16" in r for r in reasons)
    assert any('not powers of two' in r for r in reasons)
    assert check_fit(small_network(du=0.5), 'xylo_audio2').fits  # 0.5 and 0.25 are bit shifts
    np.testing.assert_array_equal(fan_in(wide), [0] * 70 + [70, 70])
    np.testing.assert_array_equal(fan_out_weights(wide), [2] * 70 + [0, 0])


@pytest.mark.parametrize('bits', [8, 4, 2])
def test_quantised_weights_sit_on_the_grid(bits):
    spec = quantise_weights(small_network(), bits)
    original = small_network().connections[0].weight
    w = spec.connections[0].weight
    step = np.abs(original).max() / (2 ** (bits - 1) - 1)
    np.testing.assert_allclose(w / step, np.round(w / step), atol=1e-9)
    assert np.abs(w).max() == pytest.approx(np.abs(original).max())
    assert len(np.unique(np.round(w / step))) <= 2**bits - 1
    with pytest.raises(ValueError, match='at least 2 bits'):
        quantise_weights(small_network(), 1)


def test_loihi_energy_arithmetic():
    assert loihi_energy_uj(1e6, 0) == pytest.approx(LOIHI_PJ_PER_SYNOP)  # 1e6 ops x pJ = uJ
    assert loihi_energy_uj(0, 1e6) == pytest.approx(LOIHI_PJ_PER_NEURON_UPDATE)


def integrate_and_fire_network(n_pops: int = 2, size: int = 8, **overrides) -> NetworkSpec:
    """
    Build a chain of integrate-and-fire populations: what Speck runs.

    du = 1, dv = 0, one threshold each.
    """
    params = {'du': 1.0, 'dv': 0.0, 'vth': 2.0, 'bias': -0.1, **overrides}
    pops = tuple(
        make_population(f'p{i}', size, 'cuba_lif', reset='soft', **params) for i in range(n_pops)
    )
    rng = np.random.default_rng(1)
    conns = tuple(
        Connection(f'p{i}', f'p{i + 1}', rng.normal(0, 1, (size, size))) for i in range(n_pops - 1)
    )
    return NetworkSpec(pops, conns, 'p0')


@pytest.mark.parametrize('key', ['spinnaker2', 'speck'])
def test_spinnaker2_and_speck_are_profiled_with_their_sources(key):
    board = BOARDS[key]
    assert board.cores and board.max_neurons_per_core and board.weight_bits and board.state_bits
    assert 'documentation' in board.source or 'datasheet' in board.source


def test_spinnaker2_runs_the_pd_network_but_not_adaptive_thresholds_and_counts_cores():
    assert check_fit(NetworkSpec.load(weights_path('pd')), 'spinnaker2').fits
    reasons = check_fit(NetworkSpec.load(weights_path('i')), 'spinnaker2').reasons
    assert any("'adaptive_lif' is not available" in r for r in reasons)
    assert any('threshold-port' in r for r in reasons)
    big = NetworkSpec((make_population('a', 40_000, 'cuba_lif', du=0.5, dv=0.1),), (), 'a')
    reasons = check_fit(big, 'spinnaker2').reasons
    assert "40000 neurons exceed the board's 38000" in reasons[0]
    assert (
        'the populations need 160 cores at 250 neurons per core, the board has 152' in reasons[1]
    )


def test_speck_takes_integrate_and_fire_chains_and_says_what_else_it_cannot_do():
    assert check_fit(integrate_and_fire_network(), 'speck').fits
    leaky = check_fit(integrate_and_fire_network(dv=0.25), 'speck').reasons
    assert any(
        'integrate and fire (du = 1, dv = 0)' in r and 'dv in [0.25, 0.25]' in r for r in leaky
    )
    thresholds = check_fit(integrate_and_fire_network(vth=np.linspace(1, 2, 8)), 'speck').reasons
    assert thresholds == tuple(
        f"population 'p{i}': 8 different thresholds, the board has one per population"
        for i in range(2)
    )
    assert (
        'the populations need 10 cores at 1024 neurons per core, the board has 9'
        in check_fit(integrate_and_fire_network(n_pops=10), 'speck').reasons
    )
    wide = NetworkSpec(
        tuple(make_population(f'p{i}', 1025, 'cuba_lif', du=1.0, dv=0.0) for i in range(5)),
        (),
        'p0',
    )
    assert check_fit(wide, 'speck').reasons == (  # a layer holds 1024: each population takes two
        'the populations need 10 cores at 1024 neurons per core, the board has 9',
    )
    fan = integrate_and_fire_network(n_pops=4)
    fan = replace(
        fan,
        connections=fan.connections[:1]
        + tuple(Connection('p0', f'p{i}', np.ones((8, 8))) for i in (2, 3)),
    )
    assert check_fit(fan, 'speck').reasons == (
        "population 'p0' sends spikes to 3 populations, the board allows 2",
    )
    shipped = check_fit(NetworkSpec.load(weights_path('pd')), 'speck').reasons
    assert any("'leaky_integrator' is not available" in r for r in shipped)


@pytest.mark.parametrize(
    'board, network, fits', [('spinnaker2', 'pd', True), ('speck', 'pd', False)]
)
def test_deploy_check_knows_the_new_boards(board, network, fits, capsys):
    from snn_control.cli import main

    assert main(['deploy', str(weights_path(network)), '--check', board]) == (0 if fits else 1)
    out = capsys.readouterr().out
    assert BOARDS[board].name in out and ('fits' if fits else 'does not fit') in out
