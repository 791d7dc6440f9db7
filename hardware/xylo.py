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
Xylo's configuration rules, per chip version, each with its published SynSense source.

:mod:`snn_control.engine.xylo_program` checks networks and configuration files against
these; :mod:`snn_control.engine.xylo` runs the integer dynamics they describe.

The comment beside each rule of ``XYLO_RULES["v2"]`` names the file, line and function
that back it, in these published versions (read as text, never imported):

* xylosim 0.1.3, the PyPI sdist ``xylosim-0.1.3.tar.gz``: C++ in ``src/v2/cpp/``, the
  bit-exact simulator of the Xylo Audio 2 core that Rockpool's ``XyloSim`` wraps.
* Rockpool 3.1.0, the PyPI sdist ``rockpool-3.1.0.tar.gz``: paths below are relative to
  ``rockpool/devices/xylo/syns61201/`` unless they start with ``rockpool/``.
* Rockpool's "Overview of the Xylo family" page (rockpool.ai/devices/xylo-overview.html),
  ``docs/devices/xylo-overview.ipynb`` of github.com/synsense/rockpool at tag v3.0.3, and
  unchanged on develop at 42cee1c9 (2025-12-18). The 3.1.0 sdist ships no docs.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class XyloRules:
    """What one Xylo version accepts in a configuration."""

    version: str
    chip: str
    max_inputs: int
    max_hidden: int
    max_outputs: int
    weight_bits: int  # signed, input, recurrent and output weights alike
    max_weight_shift: int  # weight_shift_in / _rec / _out
    max_dash: int  # dash_mem, dash_syn and their _out twins: 0..max_dash
    max_threshold: int  # thresholds: 1..max_threshold
    bias_bits: int  # signed
    state_bits: int  # synaptic currents and membrane potentials, saturating
    max_fan_out: int  # hidden neurons one hidden neuron's recurrent weights reach
    max_input_spikes: int  # events one input channel delivers per step
    max_hidden_spikes: int  # spikes one hidden neuron fires per step
    max_output_spikes: int  # spikes one readout neuron fires per step
    source: str


XYLO_RULES: dict[str, XyloRules] = {
    'v2': XyloRules(
        version='v2',
        chip='Xylo Audio 2 (SYNS61201)',
        # Rockpool 3.1.0 xylo_mapper.py:74-75 le_16_input_channels (a DRC warning, not an
        # error); xa2_devkit_utils.py:1338 read_allram_state(Nin=16); overview notebook :75.
        max_inputs=16,
        # Rockpool 3.1.0 xylo_mapper.py:312 mapper(max_hidden_neurons=1000, "matching Xylo
        # hardware", :330); xa2_devkit_utils.py:873 and :1339 (Nhidden=1000); overview :76.
        max_hidden=1000,
        # Rockpool 3.1.0 xylo_mapper.py:313 mapper(max_output_neurons=8);
        # xa2_devkit_utils.py:1340 read_allram_state(Nout=8); overview notebook :78.
        max_outputs=8,
        # xylosim 0.1.3 XyloIAFNeuron.h:2 BITS_WEIGHT 8 and XyloLayer.h:15 (XyloSynapse has
        # an int8_t weight); Rockpool 3.1.0 xylo_samna.py:215-217 config_from_specification
        # casts all three matrices to int8; rockpool/transform/quantize_methods.py:40
        # global_quantize(bits_per_weight=8); overview notebook :127, :135, :137.
        weight_bits=8,
        # Rockpool 3.1.0 xa2_devkit_utils.py:1854-1856 pretty_print_register decodes the
        # three weight bit-shifts of register CTRL1 as 3-bit fields, so 0..7; xylosim 0.1.3
        # XyloLayer.cpp:276 deliver_spikes applies them as ``weight << weight_bitshift``.
        max_weight_shift=7,
        # xylosim 0.1.3 XyloIAFNeuron.h:20-21 (dash_mem, dash_syns "should be 4 bits", so
        # 0..15); XyloIAFNeuron.cpp:10-28 decay() subtracts max(|v >> dash|, 1) with v's sign.
        max_dash=15,
        # xylosim 0.1.3 XyloIAFNeuron.h:22 int16_t v_th; Rockpool 3.1.0
        # rockpool/transform/quantize_methods.py:41,96 global_quantize(bits_per_threshold=16),
        # max 2**15 - 1. The lower bound 1 is this project's: config_from_specification
        # (xylo_samna.py:179) defaults thresholds to 0, and XyloIAFNeuron.cpp:137-150 evolve
        # then fires max_spikes whenever v_mem >= 0.
        max_threshold=2**15 - 1,
        # xylosim 0.1.3 XyloIAFNeuron.h:24 int16_t bias, XyloLayer.h:74-75 and v2.cpp:20-21
        # (std::vector<int16_t> bias, bias_out); added saturating, XyloIAFNeuron.cpp:128.
        # (v2.cpp:84 binds the stand-alone XyloIAFNeuron constructor's bias as int8_t; the
        # XyloLayer path that XyloSim uses takes int16.)
        bias_bits=16,
        # xylosim 0.1.3 XyloIAFNeuron.h:1 BITS_STATE 16, :27-28 int16_t v_mem and i_syns,
        # :50-69 safe_add clamps to the 16-bit range; used in XyloIAFNeuron.cpp:70
        # receiveSpike and :124, :135 evolve. xa2_devkit_utils.py:1497-1501 reads the state
        # RAMs as int16.
        state_bits=16,
        # Rockpool's overview notebook :79-80 gives Xylo Audio 2 "Max. fanout 64" ("Avg.
        # fanout 32+32 (Syn1 and Syn2)"); Rockpool 3.1.0 xa2_devkit_utils.py:1456-1482
        # read_allram_state shows why: recurrent weights are stored per pre-synaptic neuron
        # (REFOCRAM fan-out counts, RFORAM targets, RWTRAM/RWT2RAM weights), while input
        # weights are a dense 16 x 1000 RAM (:1400-1412), so a neuron's fan-in is not limited.
        # (The "fan-in 63" of Open Neuromorphic's Xylo page is no SynSense figure.)
        max_fan_out=64,
        # xylosim 0.1.3 XyloIAFNeuron.h:3 MAX_NUM_INP_SPIKES 15, passed at XyloLayer.cpp:161
        # (XyloLayer::evolve) and clamped in deliver_spikes :248-251; overview notebook :126.
        max_input_spikes=15,
        # xylosim 0.1.3 XyloIAFNeuron.h:4 MAX_NUM_SPIKES 31, XyloLayer.cpp:188 evolve_neurons
        # for the hidden population (also the delivery clamp :168, :175 and the alias clamp
        # :333-337); XyloIAFNeuron.cpp:137-150 subtractive reset; overview notebook :133, :183.
        max_hidden_spikes=31,
        # xylosim 0.1.3 XyloIAFNeuron.h:5 MAX_NUM_OUT_SPIKES 1, XyloLayer.cpp:197
        # evolve_neurons for the readout population; overview notebook :143, :184.
        max_output_spikes=1,
        source='SynSense xylosim 0.1.3 src/v2/cpp (XyloIAFNeuron.h:1-5,20-28 bit widths and '
        'spike limits; XyloLayer.cpp deliver_spikes, evolve_neurons); Rockpool 3.1.0 '
        'devices/xylo/syns61201 (xylo_mapper.py:74,312-313 sizes; xa2_devkit_utils.py:1854-1856 '
        'weight shifts; xylo_samna.py:215-217 int8 weights); Rockpool Xylo overview (v3.0.3 '
        'docs/devices/xylo-overview.ipynb:75-80: sizes and max fan-out 64; '
        'xa2_devkit_utils.py:1400-1412,1456-1482: dense input weights, recurrent fan-out lists)',
    ),
}
