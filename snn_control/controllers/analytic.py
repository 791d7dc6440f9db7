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
A spiking PD controller built by construction (no training): the smallest SNN controller.

Why: the package needs a spiking controller in the loop before any evolved one exists,
and one whose behaviour can be checked against the equations. Design:

* encoder: ``2 * levels`` memoryless neurons (``du = dv = 1``) fed ``+e`` and ``-e`` by the
  paired encoder, thresholds at ``(k + 1/2) * step``: the number of "+" neurons firing is
  the positive error in units of ``step`` (a thermometer code), likewise "-" for negative;
* relay: a one-step delayed copy of the encoder (one synaptic hop);
* readout: a leaky integrator summing ``step * (kp + kd/dt)`` from the encoder and
  ``-step * kd/dt`` from the relay, i.e. ``kp e + kd (e - e_prev)/dt`` quantised to
  ``step``, low-pass filtered by its voltage decay ``dv`` (its steady-state gain is 1/dv,
  which the weights divide out).
"""

from __future__ import annotations

import numpy as np
from snn_control.controllers.spiking import SpikingController
from snn_control.engine.coding import PairedCurrent
from snn_control.engine.network import Connection, make_population, NetworkSpec


def spiking_pd_network(
    kp: float,
    kd: float,
    dt: float,
    error_range: float = 1.0,
    levels: int = 40,
    readout_decay: float = 0.5,
) -> NetworkSpec:
    if levels < 1 or error_range <= 0:
        raise ValueError('levels must be >= 1 and error_range > 0')
    step = error_range / levels
    thresholds = (np.arange(levels) + 0.5) * step
    n = 2 * levels
    sign = np.concatenate([np.ones(levels), -np.ones(levels)])
    pops = (
        make_population('encoder', n, 'cuba_lif', du=1.0, dv=1.0, vth=np.tile(thresholds, 2)),
        make_population('relay', n, 'cuba_lif', du=1.0, dv=1.0, vth=0.5),
        make_population('readout', 1, 'leaky_integrator', du=1.0, dv=readout_decay),
    )
    scale = step * readout_decay
    conns = (
        Connection('encoder', 'relay', np.eye(n)),
        Connection('encoder', 'readout', (scale * (kp + kd / dt) * sign)[None, :]),
        Connection('relay', 'readout', (-scale * kd / dt * sign)[None, :]),
    )
    meta = {
        'encoder': 'paired',
        'encoder_weights': [1.0] * levels,
        'readouts': ['readout'],
        'output_gain': 1.0,
        'steps_per_tick': 1,
        'kp': kp,
        'kd': kd,
        'dt': dt,
        'error_range': error_range,
        'input_range': error_range * 2,
    }
    return NetworkSpec(pops, conns, 'encoder', name='spiking_pd', metadata=meta)


def spiking_pd(
    dt: float,
    kp: float,
    kd: float = 0.0,
    error_range: float = 1.0,
    levels: int = 40,
    readout_decay: float = 0.5,
    command_low: float = -np.inf,
    command_high: float = np.inf,
    backend: str = 'numpy',
) -> SpikingController:
    spec = spiking_pd_network(kp, kd, dt, error_range, levels, readout_decay)
    return SpikingController(
        spec,
        PairedCurrent(np.ones(levels)),
        ['readout'],
        dt=dt,
        command_low=command_low,
        command_high=command_high,
        backend=backend,
    )
