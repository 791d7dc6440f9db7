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
Process models of :class:`SnnPopulation`: floating point and Loihi's bit-accurate fixed point.

They subclass Lava's own LIF models, so the current and voltage arithmetic (including the
bit-accurate fixed-point decays, wrap-around and clipping) is Lava's, not ours; they add
what Lava's LIF lacks: per-neuron decays and thresholds, soft reset, the adaptive threshold
and a graded voltage output for readouts.
"""

from lava.magma.core.decorator import implements, requires, tag
from lava.magma.core.model.py.ports import PyInPort, PyOutPort
from lava.magma.core.model.py.type import LavaPyType
from lava.magma.core.resources import CPU
from lava.magma.core.sync.protocols.loihi_protocol import LoihiProtocol
from lava.proc.lif.models import AbstractPyLifModelFixed, AbstractPyLifModelFloat
import numpy as np
from snn_control.engine import fixed_point as fxp
from snn_control.engine.lava_procs.process import SnnPopulation


def _reset_and_send(model, threshold):
    """Spike, reset (hard or soft per neuron) and send spikes and voltages."""
    spikes = (model.v > threshold) & (model.spiking > 0)
    soft = spikes & (model.soft > 0)
    hard = spikes & ~(model.soft > 0)
    model.v[soft] = model.v[soft] - threshold[soft]
    model.v[hard] = 0
    model.s_out.send(spikes)
    model.v_out.send(model.v)


@implements(proc=SnnPopulation, protocol=LoihiProtocol)
@requires(CPU)
@tag('floating_pt')
class PySnnPopulationFloat(AbstractPyLifModelFloat):
    a_in: PyInPort = LavaPyType(PyInPort.VEC_DENSE, float)
    th_in: PyInPort = LavaPyType(PyInPort.VEC_DENSE, float)
    s_out: PyOutPort = LavaPyType(PyOutPort.VEC_DENSE, float)
    v_out: PyOutPort = LavaPyType(PyOutPort.VEC_DENSE, float)
    u: np.ndarray = LavaPyType(np.ndarray, float)
    v: np.ndarray = LavaPyType(np.ndarray, float)
    theta: np.ndarray = LavaPyType(np.ndarray, float)
    du: np.ndarray = LavaPyType(np.ndarray, float)
    dv: np.ndarray = LavaPyType(np.ndarray, float)
    dth: np.ndarray = LavaPyType(np.ndarray, float)
    vth: np.ndarray = LavaPyType(np.ndarray, float)
    bias_mant: np.ndarray = LavaPyType(np.ndarray, float)
    bias_exp: np.ndarray = LavaPyType(np.ndarray, float)
    spiking: np.ndarray = LavaPyType(np.ndarray, float)
    soft: np.ndarray = LavaPyType(np.ndarray, float)

    def run_spk(self) -> None:
        a_in = self.a_in.recv()
        th_in = self.th_in.recv()
        self.subthr_dynamics(activation_in=a_in)  # Lava's float LIF equations for u and v
        self.theta[:] = self.theta * (1 - self.dth) + th_in
        _reset_and_send(self, self.vth + self.theta)


@implements(proc=SnnPopulation, protocol=LoihiProtocol)
@requires(CPU)
@tag('fixed_pt', 'bit_accurate_loihi')
class PySnnPopulationFixed(AbstractPyLifModelFixed):
    a_in: PyInPort = LavaPyType(PyInPort.VEC_DENSE, np.int32, precision=16)
    th_in: PyInPort = LavaPyType(PyInPort.VEC_DENSE, np.int32, precision=16)
    s_out: PyOutPort = LavaPyType(PyOutPort.VEC_DENSE, np.int32, precision=1)
    v_out: PyOutPort = LavaPyType(PyOutPort.VEC_DENSE, np.int32, precision=24)
    u: np.ndarray = LavaPyType(np.ndarray, np.int32, precision=24)
    v: np.ndarray = LavaPyType(np.ndarray, np.int32, precision=24)
    theta: np.ndarray = LavaPyType(np.ndarray, np.int32, precision=24)
    du: np.ndarray = LavaPyType(np.ndarray, np.int32, precision=12)
    dv: np.ndarray = LavaPyType(np.ndarray, np.int32, precision=12)
    dth: np.ndarray = LavaPyType(np.ndarray, np.int32, precision=12)
    vth: np.ndarray = LavaPyType(np.ndarray, np.int32, precision=17)
    bias_mant: np.ndarray = LavaPyType(np.ndarray, np.int16, precision=13)
    bias_exp: np.ndarray = LavaPyType(np.ndarray, np.int16, precision=3)
    spiking: np.ndarray = LavaPyType(np.ndarray, np.int32, precision=1)
    soft: np.ndarray = LavaPyType(np.ndarray, np.int32, precision=1)

    def scale_threshold(self) -> None:
        self.effective_vth = np.left_shift(self.vth.astype(np.int64), self.vth_shift)
        self.isthrscaled = True

    def run_spk(self) -> None:
        # The injector streams float arrays holding integers; Lava's fixed LIF shifts them.
        a_in = np.asarray(self.a_in.recv()).astype(np.int64)
        th_in = np.asarray(self.th_in.recv()).astype(np.int64)
        self.scale_bias()
        if not self.isthrscaled:
            self.scale_threshold()
        self.subthr_dynamics(activation_in=a_in)  # Lava's bit-accurate u/v arithmetic
        theta = fxp._decay(self.theta.astype(np.int64), self.dth.astype(np.int64)) + (
            th_in << fxp.ACT_SHIFT
        )
        self.theta[:] = np.clip(theta, -fxp.MAX_STATE + 1, fxp.MAX_STATE - 1)
        _reset_and_send(self, self.effective_vth + self.theta.astype(np.int64))
