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

"""Controllers: validation, saturation, NaN safety, and the same SNN on every backend."""

import numpy as np
import pytest
from snn_control.bench.engine import controller_network, N_PAIRS
from snn_control.controllers.pid import PIDController, PIDGains
from snn_control.controllers.registry import controller_names, make_controller
from snn_control.controllers.spiking import load_spiking_controller, SpikingController
from snn_control.engine.coding import PairedCurrent


def _snn(backend: str) -> SpikingController:
    weights = np.random.default_rng(0).uniform(0.5, 2.0, N_PAIRS)
    return SpikingController(
        controller_network(),
        PairedCurrent(weights),
        ['readout'],
        dt=0.1,
        command_low=-3.3,
        command_high=3.3,
        output_gain=0.5,
        steps_per_tick=3,
        backend=backend,
    )


def _errors(n: int = 40) -> np.ndarray:
    return np.sin(np.linspace(0, 6, n)) * 1.2


def test_pid_matches_hand_computation_and_saturates():
    c = PIDController(PIDGains(kp=2.0, ki=0.5, kd=0.1), dt=0.1, command_low=-1.0, command_high=1.0)
    assert c.step([0.2])[0] == pytest.approx(2 * 0.2 + 0.5 * 0.02)
    assert c.step([0.3])[0] == pytest.approx(min(1.0, 2 * 0.3 + 0.5 * 0.05 + 0.1 * 1.0))
    assert c.step([10.0])[0] == 1.0 and c.step([-10.0])[0] == -1.0


def test_bad_observations_raise_before_state_changes():
    c = make_controller('pid', 0.1, kp=1.0, ki=1.0)
    c.step([1.0])
    before = c._integral
    for bad in ([np.nan], [np.inf], [1.0, 2.0]):
        with pytest.raises(ValueError):
            c.step(bad)
    assert c._integral == before


def test_registry_rejects_unknown_names_and_parameters():
    assert 'pid' in controller_names()
    with pytest.raises(ValueError, match="unknown controller 'nope'"):
        make_controller('nope', 0.1)
    with pytest.raises(ValueError, match=r"unknown parameter\(s\) \['kpp'\]"):
        make_controller('pid', 0.1, kpp=1.0)


def test_snn_controller_never_returns_nan_and_saturates():
    c = _snn('numpy')
    outs = np.array(
        [c.step([e])[0] for e in np.concatenate([_errors(), [50.0] * 10, [-50.0] * 10])]
    )
    assert np.all(np.isfinite(outs)) and outs.max() <= 3.3 and outs.min() >= -3.3
    assert np.ptp(outs) > 0.5, 'the controller should respond to its input'
    assert set(c.last_spikes()) == {'encoder', 'hidden'}


@pytest.mark.parametrize(
    'pair', [('numpy', 'torch'), ('numpy-fixed', 'lava-fixed'), ('numpy', 'lava-float')]
)
def test_same_commands_on_every_backend(pair):
    a, b = (_snn(backend) for backend in pair)
    try:
        ua = [a.step([e])[0] for e in _errors()]
        ub = [b.step([e])[0] for e in _errors()]
    finally:
        a.close()
        b.close()
    if 'fixed' in pair[0]:
        assert ua == ub  # bit for bit
    else:
        np.testing.assert_allclose(ua, ub, atol=1e-5)


def test_controller_round_trips_through_a_network_file(tmp_path):
    c = _snn('numpy')
    spec = c.spec
    meta = {
        'encoder': 'paired',
        'encoder_weights': c.encoder.weights.tolist(),
        'readouts': ['readout'],
        'output_gain': 0.5,
        'steps_per_tick': 3,
        'command_low': -3.3,
        'command_high': 3.3,
    }
    path = type(spec)(
        spec.populations, spec.connections, spec.input_population, 'ctrl', meta
    ).save(tmp_path / 'c.npz')
    d = load_spiking_controller(path, dt=0.1)
    assert [c.step([e])[0] for e in _errors(10)] == [d.step([e])[0] for e in _errors(10)]
