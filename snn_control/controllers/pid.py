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

"""Non-spiking PID and PD baselines (the references the SNN controllers mimic)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from snn_control.controllers.base import Controller


@dataclass(frozen=True)
class PIDGains:
    """Gains of ``u = kp*e + ki*integral(e) + kd*de/dt`` (SI units of the plant)."""

    kp: float
    ki: float = 0.0
    kd: float = 0.0
    #: First-order low-pass time constant on the derivative term (s); 0 disables it.
    derivative_filter_s: float = 0.0
    #: Anti-windup clamp on the integral term's contribution to the command.
    integral_limit: float = np.inf


class PIDController(Controller):
    """
    Discrete PID on a single error signal; observation = ``[error]``.

    Derivative on the error with an optional first-order filter; the integral is clamped
    (anti-windup) so that saturation does not wind it up without bound.
    """

    n_inputs = 1
    n_outputs = 1

    def __init__(
        self,
        gains: PIDGains,
        dt: float,
        command_low: float = -np.inf,
        command_high: float = np.inf,
    ) -> None:
        super().__init__(dt, command_low, command_high)
        for name in ('kp', 'ki', 'kd', 'derivative_filter_s'):
            value = getattr(gains, name)
            if not np.isfinite(value):
                raise ValueError(f'PID gain {name} must be finite, got {value!r}')
        self.gains = gains
        self.reset()

    def reset(self) -> None:
        self._integral = 0.0
        self._previous_error: float | None = None
        self._derivative = 0.0

    def _compute(self, observation: np.ndarray) -> np.ndarray:
        error = float(observation[0])
        g = self.gains
        raw_derivative = (
            0.0 if self._previous_error is None else (error - self._previous_error) / self.dt
        )
        if g.derivative_filter_s > 0:
            alpha = self.dt / (g.derivative_filter_s + self.dt)
            self._derivative += alpha * (raw_derivative - self._derivative)
        else:
            self._derivative = raw_derivative
        self._previous_error = error
        if g.ki != 0.0:
            self._integral += error * self.dt
            limit = g.integral_limit / abs(g.ki)
            self._integral = float(np.clip(self._integral, -limit, limit))
        return np.array([g.kp * error + g.ki * self._integral + g.kd * self._derivative])
