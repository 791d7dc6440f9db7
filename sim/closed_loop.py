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
Closed-loop runs of a controller on an altitude environment, step metrics and plots.

Shared by every altitude scenario: the environment gives ``[measured, setpoint]``, the
controller gets ``error = setpoint - measured`` each tick. Metrics per setpoint segment:

* RMSE of the true altitude against the setpoint over the whole run;
* steady-state error: mean |error| over the last ``steady_window_s`` of each segment;
* overshoot: the largest excursion beyond the new setpoint in the step's direction;
* settling time: time after the step until |error| stays within ``band_m``.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import Sequence

import numpy as np
from snn_control.controllers.base import Controller


@dataclass
class Trace:
    time: np.ndarray
    altitude: np.ndarray
    measured: np.ndarray
    setpoint: np.ndarray
    command: np.ndarray
    spikes: dict[str, np.ndarray] = field(default_factory=dict)  # population -> (T, n) bool


class DelayedRangeSensor:
    """
    An altitude range sensor as the altitude plants share it.

    Gaussian noise, 1 cm resolution, a delay of ``delay_ticks`` control ticks and saturation to
    ``[low, high]``.
    """

    def __init__(
        self, noise_m: float, delay_ticks: int, low: float = -np.inf, high: float = np.inf
    ) -> None:
        self.noise_m, self.low, self.high = noise_m, low, high
        self._readings: deque[float] = deque(maxlen=int(delay_ticks) + 1)

    def reset(self, altitude: float) -> float:
        """Fill the delay line with the start altitude; returns the first reading."""
        for _ in range(self._readings.maxlen or 1):
            self._readings.append(round(altitude, 2))
        return self._readings[0]

    def measure(self, altitude: float, rng: np.random.Generator) -> float:
        """Sample the true ``altitude`` now; returns the reading taken ``delay_ticks`` ago."""
        reading = altitude + rng.normal(0.0, self.noise_m)
        self._readings.append(float(np.clip(np.round(reading, 2), self.low, self.high)))
        return self._readings[0]


def setpoint_at(profile: Sequence[tuple[float, float]], t: float) -> float:
    """
    Return the setpoint of a profile in force at time ``t``.

    The profile is a list of (duration_s, altitude_m); after it ends, its last setpoint.
    """
    elapsed = 0.0
    for duration, altitude in profile:
        elapsed += duration
        if t < elapsed - 1e-9:
            return altitude
    return profile[-1][1]


def run_closed_loop(
    controller: Controller, env, seed: int = 0, max_ticks: int | None = None
) -> Trace:
    """Fly the environment's profile to its end (or for ``max_ticks`` ticks)."""
    obs, info = env.reset(seed=seed)
    controller.reset()
    rows, spikes = [], {}
    while True:
        command = controller.step(np.array([obs[1] - obs[0]]))
        for name, fired in controller.last_spikes().items():
            spikes.setdefault(name, []).append(fired)
        obs, _, terminated, truncated, info = env.step(command)
        rows.append((info['time'], info['altitude'], obs[0], info['setpoint'], float(command[0])))
        if terminated or truncated or (max_ticks is not None and len(rows) >= max_ticks):
            break
    t, z, m, sp, u = (np.array(c) for c in zip(*rows))
    return Trace(t, z, m, sp, u, {k: np.array(v) for k, v in spikes.items()})


def step_metrics(
    trace: Trace, steady_window_s: float = 3.0, band_m: float = 0.05
) -> dict[str, float]:
    error = trace.setpoint - trace.altitude
    changes = np.flatnonzero(np.diff(trace.setpoint)) + 1
    starts = np.concatenate([[0], changes])
    ends = np.concatenate([changes, [len(trace.time)]])
    steady, overshoot, settling = [], [], []
    dt = float(np.median(np.diff(trace.time)))
    previous = trace.altitude[0]
    for a, b in zip(starts, ends):
        target = trace.setpoint[a]
        seg_err = error[a:b]
        window = max(1, int(round(steady_window_s / dt)))
        steady.append(float(np.mean(np.abs(seg_err[-window:]))))
        direction = np.sign(target - previous) or 1.0
        overshoot.append(float(max(0.0, np.max(direction * (trace.altitude[a:b] - target)))))
        outside = np.flatnonzero(np.abs(seg_err) > band_m)
        settling.append(float((outside[-1] + 1) * dt) if outside.size else 0.0)
        previous = target
    return {
        'rmse_m': float(np.sqrt(np.mean(error**2))),
        'steady_state_error_m': float(np.max(steady)),
        'overshoot_m': float(np.max(overshoot)),
        'settling_time_s': float(np.max(settling)),
        'command_rms': float(np.sqrt(np.mean(trace.command**2))),
    }


def plot_traces(traces: dict[str, Trace], path: str, title: str) -> str:
    """Altitude and setpoint, command, and a spike raster per spiking controller, as a PNG."""
    from snn_control.plotting import pyplot, save_figure

    plt = pyplot()

    spiking = [name for name, tr in traces.items() if tr.spikes]
    fig, axes = plt.subplots(
        2 + len(spiking), 1, figsize=(10, 6 + 2.5 * len(spiking)), sharex=True
    )
    first = next(iter(traces.values()))
    axes[0].plot(first.time, first.setpoint, 'k--', label='setpoint')
    for name, tr in traces.items():
        axes[0].plot(tr.time, tr.altitude, label=name)
        axes[1].plot(tr.time, tr.command, label=name)
    axes[0].set_ylabel('altitude (m)')
    axes[0].legend(loc='lower right')
    axes[1].set_ylabel('command')
    axes[1].legend(loc='upper right')
    for ax, name in zip(axes[2:], spiking):
        tr = traces[name]
        offset = 0
        for pop, fired in tr.spikes.items():
            t_idx, n_idx = np.nonzero(fired)
            ax.scatter(tr.time[t_idx], n_idx + offset, s=1, label=pop)
            offset += fired.shape[1]
        ax.set_ylabel(f'{name}\nneuron')
        ax.legend(loc='upper right', markerscale=6)
    axes[-1].set_xlabel('time (s)')
    fig.suptitle(title)
    return str(save_figure(fig, path, dpi=110))
