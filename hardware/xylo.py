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
    max_fan_in: int  # non-zero input plus recurrent weights into one hidden neuron
    max_input_spikes: int  # events one input channel delivers per step
    max_hidden_spikes: int  # spikes one hidden neuron fires per step
    max_output_spikes: int  # spikes one readout neuron fires per step
    source: str


XYLO_RULES: dict[str, XyloRules] = {
    "v2": XyloRules(
        version="v2",
        chip="Xylo Audio 2 (SYNS61201)",
        max_inputs=16,
        max_hidden=1000,
        max_outputs=8,
        weight_bits=8,
        max_weight_shift=7,
        max_dash=15,
        max_threshold=2**15 - 1,
        bias_bits=16,
        state_bits=16,
        max_fan_in=63,
        max_input_spikes=15,
        max_hidden_spikes=31,
        max_output_spikes=1,
        source="SynSense xylosim 0.1.3 (C++ sources: XyloLayer, XyloIAFNeuron: 16-bit saturating "
        "state, 8-bit weights shifted by weight_shift, bit-shift decays, at most 15 input and 31 "
        "hidden spikes per step, one readout spike); Rockpool 3.1.0 "
        "devices/xylo/syns61201 (xylo_sim.py, and the configuration checks of its "
        "config_from_specification); Rockpool documentation, Xylo overview (16 input channels, "
        "1000 hidden and 8 readout neurons, fan-in 63)",
    ),
}
