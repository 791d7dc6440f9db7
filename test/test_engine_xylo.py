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

"""The engine's numpy model of Xylo equals SynSense's bit-accurate ``xylosim`` bit for bit."""
import json

import numpy as np
import pytest
from random_networks import xylo_network
from snn_control.engine.xylo import (
    model_matches_xylosim,
    random_config,
    random_inputs,
    run_xylosim,
    XyloConfig,
    XyloModel,
)

STEPS = 200


@pytest.mark.parametrize('seed', [0, 1, 2])
def test_numpy_model_equals_xylosim_bit_for_bit(seed):
    config = random_config(seed)
    inputs = random_inputs(config, seed, STEPS)  # sparse, with bursts over the 15-spike cap
    ours, theirs = XyloModel(config).evolve(inputs), run_xylosim(config, inputs)
    assert (
        ours['spikes'].sum() > 100 and ours['out_spikes'].sum() > 5
    ), 'too quiet to test anything'
    assert (ours['spikes'] > 1).any(), 'multiple spikes per step should occur'
    # currents near the 16-bit limits (recorded after their decay), where saturation acts
    assert np.abs(ours['i_syn']).max() > 0.9 * 2**15, 'no current came near saturation'
    for key in ('spikes', 'out_spikes', 'v_mem', 'v_mem_out', 'i_syn', 'i_syn_out'):
        np.testing.assert_array_equal(ours[key], theirs[key], err_msg=key)
    assert model_matches_xylosim(config, inputs)


def test_one_synapse_and_no_bias_also_match():
    base = random_config(7, n_syn=1)
    config = XyloConfig(**{**base.__dict__, 'has_bias': False})
    inputs = np.random.default_rng(7).poisson(0.5, (STEPS, config.n_inputs))
    ours, theirs = XyloModel(config).evolve(inputs), run_xylosim(config, inputs)
    assert ours['spikes'].sum() > 50
    for key in ours:
        np.testing.assert_array_equal(ours[key], theirs[key], err_msg=key)


def test_thresholds_must_be_positive():
    bad = XyloConfig(**{**random_config(0).__dict__, 'threshold': np.zeros(40, int)})
    with pytest.raises(ValueError, match='thresholds must be positive'):
        XyloModel(bad)


def test_a_batch_of_configs_steps_each_as_alone():
    configs = [random_config(seed) for seed in (3, 4, 5)]
    inputs = np.stack([random_inputs(c, s, 100) for s, c in enumerate(configs)], axis=1)
    batch = XyloModel(configs).evolve(inputs)
    for b, config in enumerate(configs):
        alone = XyloModel(config).evolve(inputs[:, b])
        for key in ('spikes', 'out_spikes', 'v_mem', 'v_mem_out'):
            np.testing.assert_array_equal(batch[key][:, b], alone[key], err_msg=key)


# -- networks compiled for Xylo --------------------------------------------------------------


def test_compiled_network_runs_alike_in_the_model_and_in_xylosim_and_near_the_engine():
    from snn_control.engine.backends import make_backend
    from snn_control.engine.simulator import Simulator

    spec = xylo_network()
    currents = np.random.default_rng(1).normal(0.3, 1.0, (300, spec.n_inputs))
    model, xylosim = make_backend('xylo', spec), make_backend('xylosim', spec)
    ours = [model.step(c) for c in currents]
    theirs = [xylosim.step(c) for c in currents]
    xylosim.close()
    for (s1, v1), (s2, v2) in zip(ours, theirs):
        np.testing.assert_array_equal(s1, s2)
        np.testing.assert_array_equal(v1, v2)
    ref = Simulator(spec, library='numpy').run(currents)
    hidden = Simulator(spec, library='numpy').layout.slices['hidden']
    fired = np.minimum(np.array([s for s, _ in ours])[:, hidden], 1)
    assert ref['spikes'][:, hidden].sum() > 300, 'too quiet to compare'
    # Not bit for bit (integers, multiple spikes per step), but the same network.
    assert (fired == ref['spikes'][:, hidden]).mean() > 0.75


def test_the_compiler_refuses_each_broken_rule_with_its_numbers():
    from snn_control.blimp.controller import weights_path
    from snn_control.engine.network import Connection, make_population, NetworkSpec
    from snn_control.engine.xylo_program import compile_xylo, XyloRuleError

    shipped = NetworkSpec.load(weights_path('i'))  # the float blimp's I network
    with pytest.raises(XyloRuleError) as err:
        compile_xylo(shipped)
    text = str(err.value)
    assert 'no adaptive thresholds' in text and 'du [1.0] is not 2**-k' in text
    wide = make_population('encoder', 20, 'cuba_lif', du=1.0, dv=1.0, vth=0.5)
    hidden = make_population('hidden', 70, 'cuba_lif', reset='soft', du=0.5, dv=0.3, vth=1.0)
    too_much = NetworkSpec(
        (wide, hidden),
        (Connection('encoder', 'hidden', np.ones((70, 20))),
         Connection('hidden', 'hidden', np.ones((70, 70)))),
        'encoder',
    )
    with pytest.raises(XyloRuleError) as err:
        compile_xylo(too_much)
    reasons = '\n'.join(err.value.reasons)
    assert '20 input channels (encoder neurons), Xylo v2 has 16' in reasons
    assert 'a hidden neuron reaches 70 hidden neurons, Xylo v2 allows a fan-out of 64' in reasons
    assert 'dv [0.3] is not 2**-k' in reasons


def test_configuration_files_round_trip_and_bad_ones_are_named(tmp_path):
    from snn_control.engine.xylo_program import compile_xylo, XyloConfigFileError, XyloProgram

    program = compile_xylo(xylo_network())
    path = program.save(tmp_path / 'net.xylo.json')
    again = XyloProgram.load(path)
    for key, value in program.config.__dict__.items():
        np.testing.assert_array_equal(value, getattr(again.config, key), err_msg=key)
    assert again.hidden == program.hidden and again.readouts == program.readouts
    text = path.read_text()

    def edited(change) -> str:
        content = json.loads(text)
        change(content)
        return json.dumps(content)

    cases = {
        'not JSON': text[: len(text) // 2],
        'not an snn_control Xylo configuration': '{"format": "rockpool"}',
        "Xylo version 'v9'": text.replace('"xylo_version": "v2"', '"xylo_version": "v9"'),
        'incomplete or malformed': text.replace('"weights_out"', '"weights_gone"'),
        'weights_in spans \\[.*, 900\\], 8-bit weights': edited(
            lambda c: c['specification']['weights_in'][0].__setitem__(0, 900)
        ),
        'weights_in must hold integers': edited(
            lambda c: c['specification']['weights_in'][0].__setitem__(0, 0.5)
        ),
        'dash_mem spans .*allowed 0..15': edited(
            lambda c: c['specification']['dash_mem'].__setitem__(0, 16)
        ),
        'host.input_threshold has 7 entries': edited(
            lambda c: c['host']['input_threshold'].pop()
        ),
    }
    for expected, content in cases.items():
        bad = tmp_path / 'bad.json'
        bad.write_text(content)
        with pytest.raises(XyloConfigFileError, match=expected):
            XyloProgram.load(bad)
