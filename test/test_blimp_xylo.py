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

"""The blimp SNN born for Xylo: it obeys Xylo's rules and flies with xylosim stepping it."""

import numpy as np
import pytest
from snn_control.blimp.controller import blimp_snn, weights_path
from snn_control.blimp.networks import genotype
from snn_control.engine.network import NetworkSpec
from snn_control.engine.xylo_program import compile_xylo, xylo_violations
from snn_control.sim.blimp import BlimpAltitudeEnv
from snn_control.sim.closed_loop import run_closed_loop

TICKS = 150


def flight(backend: str) -> np.ndarray:
    controller = blimp_snn(backend=backend)
    try:
        env = BlimpAltitudeEnv('absolute_steps', buoyancy='negative', step_s=30.0)
        return run_closed_loop(controller, env, seed=0, max_ticks=TICKS).command
    finally:
        controller.close()


def test_shipped_xylo_networks_obey_xylos_rules_and_record_their_genotype():
    for role in ('pd', 'i'):
        spec = NetworkSpec.load(weights_path(role, 'xylo-v2'))
        assert xylo_violations(spec) == [], role
        assert spec.metadata['genotype'] == 'xylo' and '--genotype xylo' in str(
            spec.metadata.get('stage1_command', '')
        ) + str(spec.metadata.get('command', ''))


def test_no_weight_of_the_shipped_networks_is_lost_to_xylos_integers():
    # A weight that rounds to 0 is a synapse lost; one that adds a current of 1 LSB is lost
    # too (Xylo's decay removes at least one LSB per step). Every synapse must add 2 or more.
    for role in ('pd', 'i'):
        spec = NetworkSpec.load(weights_path(role, 'xylo-v2'))
        config = compile_xylo(spec).config
        layers = {
            ('encoder', 'hidden'): config.weights_in[:, :, 0].T << config.weight_shift_in,
            ('hidden', 'readout'): config.weights_out.T << config.weight_shift_out,
        }
        for conn in spec.connections:
            integer = layers[conn.source, conn.target]
            assert np.abs(integer[conn.weight != 0]).min() >= 2, (role, conn.name)
            assert np.all(integer[conn.weight == 0] == 0), (role, conn.name)


def test_xylosim_flies_the_blimp_as_the_engine_model_and_the_evolution_batch_do():
    on_chip = flight('xylosim')
    assert np.isfinite(on_chip).all() and np.abs(on_chip).max() > 0.1, 'no command'
    np.testing.assert_array_equal(on_chip, flight('xylo'))
    # What evolution scored (BatchedXylo) is what the chip runs: the same commands, up to
    # the host's float summation of the 8 PD readouts (the controller sums them in a matrix
    # product, the batch along an axis: the last bit may differ). The flight follows the
    # chip's commands, so both see the same observations.
    specs = {role: NetworkSpec.load(weights_path(role, 'xylo-v2')) for role in ('pd', 'i')}
    batches = {role: genotype('xylo').batch([spec]) for role, spec in specs.items()}
    env = BlimpAltitudeEnv('absolute_steps', buoyancy='negative', step_s=30.0)
    obs, _ = env.reset(seed=0)
    for t in range(TICKS):
        error = np.array([obs[1] - obs[0]])
        u = float(np.clip(batches['pd'].step(error) + batches['i'].step(error), -3.3, 3.3)[0])
        assert u == pytest.approx(on_chip[t], rel=1e-12, abs=1e-12), t
        obs, *_ = env.step(np.array([on_chip[t]]))
