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
The thermometer genotype of the blimp SNNs.

Bounds, and that the grown networks compute what their genes say (P, filtered D and I terms) when
stepped by the engine.
"""

import numpy as np
import pytest
from snn_control.blimp import thermometer as thermo
from snn_control.blimp.networks import genotype, genotype_of, parameter_blocks
from snn_control.controllers.spiking import load_spiking_controller


def _bounds(role):
    return {b.name: (b.low, b.high) for b in parameter_blocks(role)}


@pytest.mark.parametrize('role', ['pd', 'i'])
def test_every_genotype_grows_a_network_within_the_papers_bounds(role):
    b = _bounds(role)
    rng = np.random.default_rng(0)
    n = thermo.n_parameters(role)
    for x in (np.zeros(n), np.ones(n), *rng.uniform(-0.5, 1.5, (20, n))):
        spec = thermo.build_network(role, x)
        assert spec.n_neurons <= 80
        enc, hid, out = (spec.population(k).params for k in ('encoder', 'hidden', 'readout'))
        weights = {(c.source, c.target, c.port): c.weight for c in spec.connections}
        checks = {
            'encoder_bias': enc['bias'],
            'encoder_vth': enc['vth'],
            'encoder_du': enc['du'],
            'encoder_dv': enc['dv'],
            'hidden_weight': weights[('encoder', 'hidden', 'current')],
            'hidden_bias': hid['bias'],
            'hidden_vth': hid['vth'],
            'hidden_du': hid['du'],
            'hidden_dv': hid['dv'],
            'decoder_weight': weights[('hidden', 'readout', 'current')],
            'decoder_keep': 1.0 - out['dv'],
            'encoder_weight': np.asarray(spec.metadata['encoder_weights']),
        }
        if role == 'i':
            checks['threshold_jump'] = weights[('encoder', 'hidden', 'threshold')]
            checks['hidden_dth'] = hid['dth']
        for name, value in checks.items():
            low, high = b[name]
            assert low - 1e-12 <= np.min(value) and np.max(value) <= high + 1e-12, name


@pytest.mark.parametrize('role', ['pd', 'i'])
def test_the_genotype_is_recorded_and_read_back(role, tmp_path):
    x = np.random.default_rng(1).uniform(0, 1, thermo.n_parameters(role))
    path = thermo.build_network(role, x).save(tmp_path / f'{role}.npz')
    from snn_control.engine.network import NetworkSpec

    spec = NetworkSpec.load(path)
    assert genotype_of(spec).name == 'thermometer'
    np.testing.assert_allclose(genotype('thermometer').encode(role, spec), x)
    with pytest.raises(ValueError, match='not a thermometer-genotype'):
        thermo.encode('i' if role == 'pd' else 'pd', spec)


def _controller(role, tmp_path, **genes):
    spec = thermo.build_network(role, thermo.design_genotype(role, **genes))
    return load_spiking_controller(spec.save(tmp_path / f'{role}.npz'), dt=0.1)


def _quantised(e, first, last, n):
    c = thermo.levels(first, last, n)
    return float(np.sum(thermo.widths(c)[np.abs(e) > c]) * np.sign(e))


def test_the_pd_network_holds_kp_times_the_quantised_error_and_kicks_on_a_step(tmp_path):
    genes = {
        'kp': 6.0,
        'kd': 4.0,
        'tau_s': 0.3,
        'e_first_m': 0.01,
        'e_last_m': 0.5,
        'slow_first_m': 0.01,
        'slow_last_m': 0.5,
        'keep': 0.2,
    }
    ctrl = _controller('pd', tmp_path, **genes)
    e = 0.2
    first = ctrl.step(np.array([e]))[0]
    for _ in range(60):  # 6 s: the low-pass has settled
        u = ctrl.step(np.array([e]))[0]
    q = _quantised(e, 0.01, 0.5, thermo.PD_PAIRS)
    slow = _quantised(q, 0.01, 0.5, thermo.PD_SLOW_LEVELS)
    expected = genes['kp'] * q + genes['kd'] / genes['tau_s'] * (q - slow)
    assert u == pytest.approx(expected, abs=1e-6)
    assert first > u + 1.0  # the derivative's kick when the error appears
    ctrl.reset()
    assert ctrl.step(np.array([-e]))[0] < 0  # odd: negative error, negative command


def test_the_i_network_integrates_the_error_in_its_thresholds_and_saturates(tmp_path):
    genes = {
        'ki': 0.5,
        'e_first_m': 0.01,
        'e_last_m': 0.3,
        'range_v': 1.5,
        'leak_per_s': 1e-4,
        'keep': 0.0,
    }
    ctrl = _controller('i', tmp_path, **genes)
    e, ticks = 0.1, 40
    u = [ctrl.step(np.array([e]))[0] for _ in range(ticks)]
    q = _quantised(e, 0.01, 0.3, thermo.I_PAIRS)
    per_level = genes['range_v'] / thermo.I_LEVELS
    # after 4 s: ki * q * 2 s, to within one level of the thermometer
    assert u[-1] == pytest.approx(genes['ki'] * q * ticks * 0.1, abs=per_level + 1e-9)
    assert np.all(np.diff(u) >= -1e-12) and u[-1] > u[ticks // 2] > 0
    for _ in range(400):  # 40 s more: the output saturates at range_v
        last = ctrl.step(np.array([e]))[0]
    assert last == pytest.approx(genes['range_v'], abs=1e-9)
    ctrl.reset()
    assert [ctrl.step(np.array([-e]))[0] for _ in range(ticks)][-1] == pytest.approx(
        -u[-1], abs=1e-9
    )


@pytest.mark.parametrize('role', ['pd', 'i'])
def test_shipped_networks_keep_their_commands_in_loihi_fixed_point(role):
    """Return the thermometer's small weights survive Loihi's 8-bit, per-connection weight grid."""
    from snn_control.blimp.controller import weights_path

    errors = np.r_[np.full(50, 0.04), np.full(50, -0.04), 0.3 * np.sin(np.arange(200) / 10.0)]
    runs = []
    for backend in ('numpy', 'numpy-fixed'):
        ctrl = load_spiking_controller(weights_path(role), dt=0.1, backend=backend)
        runs.append(np.array([ctrl.step(np.array([e]))[0] for e in errors]))
    assert np.mean(np.abs(runs[0] - runs[1])) < 0.1
    np.testing.assert_allclose(
        runs[1][[49, 99]], runs[0][[49, 99]], atol=0.1
    )  # held errors: P (and I) terms
