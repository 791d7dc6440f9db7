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
Non-spiking baselines of the blimp, with the gains found by ``sim/blimp/tune.py``.

``python -m snn_control.sim.blimp.tune`` (seed 0) ranks kp=8, ki=0.5, kd=12 first; the PD
is the same without the integral. Derivative low-pass 0.2 s (the LiDAR's 1 cm steps would
otherwise chatter through kd), integral contribution clamped to 1.5 (anti-windup).
"""

from __future__ import annotations

from snn_control.controllers.base import Controller
from snn_control.controllers.pid import PIDController, PIDGains
from snn_control.controllers.registry import register_controller

BLIMP_COMMAND_LIMIT = 3.3
BLIMP_PID = PIDGains(kp=8.0, ki=0.5, kd=12.0, derivative_filter_s=0.2, integral_limit=1.5)
BLIMP_PD = PIDGains(kp=8.0, ki=0.0, kd=12.0, derivative_filter_s=0.2)


def blimp_pid(dt: float = 0.1) -> Controller:
    return PIDController(BLIMP_PID, dt, -BLIMP_COMMAND_LIMIT, BLIMP_COMMAND_LIMIT)


def blimp_pd(dt: float = 0.1) -> Controller:
    return PIDController(BLIMP_PD, dt, -BLIMP_COMMAND_LIMIT, BLIMP_COMMAND_LIMIT)


register_controller('blimp_pid', blimp_pid)
register_controller('blimp_pd', blimp_pd)
