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

"""``SnnPopulation``: one population of the engine's neuron models as a Lava process."""

from snn_control.engine.lava_compat import ensure_lava_importable

ensure_lava_importable()

# Lava only after its compatibility shims: E402 and I100 (order) are the point here
from lava.magma.core.process.ports.ports import InPort, OutPort  # noqa: E402, I100
from lava.magma.core.process.process import AbstractProcess  # noqa: E402
from lava.magma.core.process.variable import Var  # noqa: E402


class SnnPopulation(AbstractProcess):
    """One population of our neuron models (CUBA LIF, adaptive LIF, leaky integrator)."""

    def __init__(self, *, shape, du, dv, dth, vth, bias_mant, bias_exp, spiking, soft, name=None):
        super().__init__(shape=shape, name=name)
        self.a_in = InPort(shape=shape)
        self.th_in = InPort(shape=shape)
        self.s_out = OutPort(shape=shape)
        self.v_out = OutPort(shape=shape)
        self.u = Var(shape=shape, init=0)
        self.v = Var(shape=shape, init=0)
        self.theta = Var(shape=shape, init=0)
        self.du = Var(shape=shape, init=du)
        self.dv = Var(shape=shape, init=dv)
        self.dth = Var(shape=shape, init=dth)
        self.vth = Var(shape=shape, init=vth)
        self.bias_mant = Var(shape=shape, init=bias_mant)
        self.bias_exp = Var(shape=shape, init=bias_exp)
        self.spiking = Var(shape=shape, init=spiking)
        self.soft = Var(shape=shape, init=soft)
