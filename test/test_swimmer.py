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
The swimmer: MJCF for any length, the swim task, rate and spiking NCAP, MLP, files.

Connectome.
"""

import json
from pathlib import Path

import mujoco
import numpy as np
import pytest
from snn_control.sim.swimmer import make_model_xml, SwimmerEnv
from snn_control.sim.swimmer.env import joint_limit_rad, tolerance_reward
from snn_control.swimmer.controllers import (
    load_swimmer_controller,
    load_swimmer_file,
    make_swimmer_controller,
    save_swimmer_controller,
    shipped_path,
)
from snn_control.swimmer.mlp import n_mlp_parameters
from snn_control.swimmer.ncap import b_neuron_drive, NcapParams, oscillator, RateNcap, SpikingNcap
from snn_control.swimmer.rollout import rollout

DATA = Path(__file__).resolve().parents[1].parent / 'shared' / 'data' / 'celegans'


@pytest.mark.parametrize('links', [2, 4, 6, 14])
def test_model_has_one_limited_joint_and_motor_per_joint(links):
    model = mujoco.MjModel.from_xml_string(make_model_xml(links))
    hinges = [model.joint(f'joint_{i}') for i in range(links - 1)]
    assert model.nu == links - 1 and model.nbody == links + 1  # world + head + segments
    for j in hinges:
        np.testing.assert_allclose(
            model.jnt_range[j.id], [-joint_limit_rad(links), joint_limit_rad(links)]
        )


def test_bad_link_count_is_a_clear_error():
    with pytest.raises(ValueError, match='at least 2 links'):
        SwimmerEnv(1)


def test_swim_reward_is_the_linear_tolerance():
    assert [tolerance_reward(v) for v in (-0.2, 0.0, 0.05, 0.1, 0.3)] == [0.0, 0.0, 0.5, 1.0, 1.0]


def test_env_rejects_wrong_actions():
    env = SwimmerEnv(6)
    env.reset(seed=0)
    with pytest.raises(ValueError, match='5 entries'):
        env.step(np.zeros(4))
    with pytest.raises(ValueError, match='finite'):
        env.step(np.array([0, 0, np.nan, 0, 0]))


def test_oscillator_and_drive_follow_the_circuit():
    assert [oscillator(t) for t in (0, 29, 30, 59, 60)] == [(1, 0), (1, 0), (0, 1), (0, 1), (1, 0)]
    limit = joint_limit_rad(6)
    drive = b_neuron_drive(
        np.array([0.5, -0.25, 0, 0, 0]) * limit, 31, NcapParams(2.0, 3.0, 1.0, -1.0), limit
    )
    np.testing.assert_allclose(drive[:, 0], [0.0, 3.0])  # head: oscillator, ventral phase
    np.testing.assert_allclose(drive[:, 1], [1.0, 0.0])  # joint 1 sees joint 0 bent dorsally
    np.testing.assert_allclose(drive[:, 2], [0.0, 0.5])  # joint 2 sees joint 1 bent ventrally
    assert NcapParams.from_array([-1, 2, -3, 4]) == NcapParams(
        0.0, 2.0, 0.0, 0.0
    )  # signs of the biology


@pytest.mark.parametrize('cls', [RateNcap, SpikingNcap])
def test_ncap_swims_forward_at_initialisation(cls):
    result = rollout(cls(5, joint_limit_rad(6)), 6, seed=0, steps=300)
    assert result['return'] > 150 and result['distance_m'] > 0.2


def test_spiking_ncap_tracks_the_rate_ncap():
    rate = rollout(RateNcap(5, joint_limit_rad(6)), 6, seed=1, steps=300, record=True)
    spiking = rollout(SpikingNcap(5, joint_limit_rad(6)), 6, seed=1, steps=300, record=True)
    assert spiking['return'] >= 0.9 * rate['return']
    a, b = (np.array(r['trace']['torque'])[:, 0] for r in (rate, spiking))
    assert np.corrcoef(a, b)[0, 1] > 0.8


def _closed_loop_torques(backend: str, steps: int = 30) -> np.ndarray:
    controller = SpikingNcap(5, joint_limit_rad(6), backend=backend)
    try:
        return np.array(
            rollout(controller, 6, seed=3, steps=steps, record=True)['trace']['torque']
        )
    finally:
        controller.close()


def test_closed_loop_parity_torch_and_lava():
    np.testing.assert_allclose(
        _closed_loop_torques('torch'), _closed_loop_torques('lava-float'), atol=1e-5
    )
    np.testing.assert_array_equal(
        _closed_loop_torques('numpy-fixed'), _closed_loop_torques('lava-fixed')
    )


def test_mlp_is_two_orders_of_magnitude_larger_than_ncap():
    assert n_mlp_parameters(5) >= 100 * 4
    controller = make_swimmer_controller('mlp', 6, np.zeros(n_mlp_parameters(5)))
    assert controller.step(np.zeros(13)).shape == (5,)


def test_controller_files_round_trip_and_fail_clearly(tmp_path):
    path = tmp_path / 'c.npz'
    save_swimmer_controller('rate_ncap', 6, np.array([1.5, 1.0, 1.0, -0.5]), path, {'seed': 0})
    assert load_swimmer_file(path)['meta'] == {'seed': 0}
    assert load_swimmer_controller(path, n_links=10).params == NcapParams(
        1.5, 1.0, 1.0, -0.5
    )  # any length
    with pytest.raises(FileNotFoundError, match='does not exist'):
        load_swimmer_file(tmp_path / 'none.npz')
    (tmp_path / 'bad.npz').write_bytes(b'PK\x03\x04 truncated')
    with pytest.raises(ValueError, match='not a readable .npz archive'):
        load_swimmer_file(tmp_path / 'bad.npz')
    save_swimmer_controller('rate_ncap', 6, np.array([np.nan, 1, 1, -1]), tmp_path / 'nan.npz', {})
    with pytest.raises(ValueError, match='NaN or inf'):
        load_swimmer_file(tmp_path / 'nan.npz')
    save_swimmer_controller('mlp', 6, np.zeros(n_mlp_parameters(5)), tmp_path / 'mlp.npz', {})
    with pytest.raises(ValueError, match='cannot drive 8'):
        load_swimmer_controller(tmp_path / 'mlp.npz', n_links=8)


def test_shipped_controllers_load_with_how_to_reproduce_them():
    for kind in ('spiking_ncap', 'rate_ncap', 'mlp', 'xylo_ncap'):
        content = load_swimmer_file(shipped_path(kind))
        assert (
            content['meta']['command'].startswith('snn-control train swimmer')
            and 'seed' in content['meta']
        )
        assert content['meta']['curve'][0][0] == 0 and content['meta']['budget_steps'] <= 1_000_000


@pytest.mark.skipif(not DATA.is_dir(), reason='../shared/data/celegans not present')
def test_connectome_confirms_ncaps_sign_pattern():
    from snn_control.swimmer.connectome import analyse

    result = analyse(DATA)
    assert result['rows']['ipsilateral excitation']['VB->ventral_muscle'] > 100
    assert result['findings']['ipsilateral_fraction_of_b_to_muscle'] == 1.0
    assert 0.6 < result['findings']['opposite_side_fraction_of_b_to_d'] < 0.75
    assert result['findings']['avb_to_b_gap_junction_fraction'] > 0.9
    json.dumps(result)  # reportable as is
