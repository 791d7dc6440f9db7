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
import numpy as np
import pytest

from snn_control.engine.xylo import (
    XyloConfig,
    XyloModel,
    model_matches_xylosim,
    random_config,
    random_inputs,
    run_xylosim,
)

STEPS = 200


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_numpy_model_equals_xylosim_bit_for_bit(seed):
    config = random_config(seed)
    inputs = random_inputs(config, seed, STEPS)  # sparse, with bursts over the 15-spike cap
    ours, theirs = XyloModel(config).evolve(inputs), run_xylosim(config, inputs)
    assert (
        ours["spikes"].sum() > 100 and ours["out_spikes"].sum() > 5
    ), "too quiet to test anything"
    assert (ours["spikes"] > 1).any(), "multiple spikes per step should occur"
    # currents near the 16-bit limits (recorded after their decay), where saturation acts
    assert np.abs(ours["i_syn"]).max() > 0.9 * 2**15, "no current came near saturation"
    for key in ("spikes", "out_spikes", "v_mem", "v_mem_out", "i_syn", "i_syn_out"):
        np.testing.assert_array_equal(ours[key], theirs[key], err_msg=key)
    assert model_matches_xylosim(config, inputs)


def test_one_synapse_and_no_bias_also_match():
    base = random_config(7, n_syn=1)
    config = XyloConfig(**{**base.__dict__, "has_bias": False})
    inputs = np.random.default_rng(7).poisson(0.5, (STEPS, config.n_inputs))
    ours, theirs = XyloModel(config).evolve(inputs), run_xylosim(config, inputs)
    assert ours["spikes"].sum() > 50
    for key in ours:
        np.testing.assert_array_equal(ours[key], theirs[key], err_msg=key)


def test_thresholds_must_be_positive():
    bad = XyloConfig(**{**random_config(0).__dict__, "threshold": np.zeros(40, int)})
    with pytest.raises(ValueError, match="thresholds must be positive"):
        XyloModel(bad)
