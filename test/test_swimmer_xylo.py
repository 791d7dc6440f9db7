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

"""The spiking NCAP born for Xylo: its rules, its integer arithmetic, its swim."""

import numpy as np
import pytest
from snn_control.engine.xylo_program import compile_xylo, xylo_violations, XyloRuleError
from snn_control.sim.swimmer.env import joint_limit_rad
from snn_control.swimmer.controllers import (
    load_swimmer_controller,
    load_swimmer_file,
    make_swimmer_controller,
    shipped_path,
)
from snn_control.swimmer.rollout import rollout
from snn_control.swimmer.xylo_native import xylo_ncap_network, XyloNcapParams


def _torques(controller, ticks: int) -> np.ndarray:
    try:
        trace = rollout(controller, 6, seed=0, steps=ticks, record=True)['trace']
        return np.array(trace['torque'])
    finally:
        controller.close()


def test_the_xylo_ncap_obeys_xylo_v2_up_to_eight_joints_and_is_refused_beyond():
    params = XyloNcapParams.from_array(load_swimmer_file(shipped_path('xylo_ncap'))['params'])
    assert xylo_violations(xylo_ncap_network(5, params)) == []
    assert xylo_violations(xylo_ncap_network(8, params)) == []
    # nine joints need 18 comparator channels; Xylo v2 has 16
    with pytest.raises(XyloRuleError, match='18 input'):
        compile_xylo(xylo_ncap_network(9, params))


def test_the_shipped_file_is_the_one_xylo_backends_pick_and_says_how_it_was_trained():
    assert shipped_path('spiking_ncap', 'xylo-v2') == shipped_path('xylo_ncap')
    assert shipped_path('rate_ncap', 'xylo-v2') == shipped_path('rate_ncap')
    content = load_swimmer_file(shipped_path('xylo_ncap'))
    assert content['kind'] == 'xylo_ncap' and content['params'].shape == (5,)
    assert content['meta']['command'].startswith(
        'snn-control train swimmer --controller xylo_ncap'
    )


def test_the_engine_model_swims_what_xylosim_swims_bit_for_bit():
    path = shipped_path('xylo_ncap')
    model = _torques(load_swimmer_controller(path, backend='xylo'), 200)
    chip = _torques(load_swimmer_controller(path, backend='xylosim'), 200)
    assert np.abs(chip).max() > 0.5  # the muscles are working
    np.testing.assert_array_equal(model, chip)


def test_on_xylosim_it_swims_as_far_as_the_float_spiking_ncap():
    float_ncap = load_swimmer_controller(shipped_path('spiking_ncap'))
    chip = load_swimmer_controller(shipped_path('xylo_ncap'), backend='xylosim')
    episodes = [rollout(c, 6, seed=0, steps=400) for c in (float_ncap, chip)]
    for c in (float_ncap, chip):
        c.close()
    assert episodes[1]['return'] >= 0.9 * episodes[0]['return'], episodes
    assert episodes[1]['distance_m'] > 0.5 * episodes[0]['distance_m'], episodes


def test_unit_weights_reach_the_chip_and_the_threshold_is_bounded():
    xylo = make_swimmer_controller('xylo_ncap', 6, np.array([2.0, 0.5, 1.0, -0.5, 5.0]))
    assert xylo.q_threshold == pytest.approx(0.98)  # clipped into (0, 1)
    assert xylo.n_parameters == 5 and xylo.backend == 'xylo'
    # the host sends raw signals: the oscillator's 1 and clamp(q, 0, 1), not w x them
    obs = np.r_[np.full(5, 0.9 * joint_limit_rad(6)), np.zeros(5), 0.0, 0.0, 0.0]
    drive = xylo._drive(obs)
    assert drive.max() == pytest.approx(1.0) and drive[0, 0] == 1.0
    xylo.close()
