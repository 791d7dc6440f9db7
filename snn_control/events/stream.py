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
Live event packets -> complete classification windows, with every rejected event counted.

A camera delivers events in packets of arbitrary size; a recogniser wants fixed windows
(DVS128 Gesture: 0.5 s every 0.25 s). :class:`WindowedStream` buffers the packets and
returns each window as soon as an event at or after its end has arrived (sensor time, not
wall time, so replays at any speed give the same windows).

Bad input, each with its own counter in :attr:`WindowedStream.rejected` (nothing is
dropped silently):

* ``empty_packets``: packets without events (nothing to do; counted);
* ``outside_sensor``: events whose x or y lies outside the sensor (dropped);
* ``backwards``: events older than the newest event already seen, by less than a window
  (out of order within the stream: dropped, a window already cut cannot take them);
* ``restarts``: a packet that starts more than a window before the newest event (a replay
  looping, a camera reset): the buffer is cleared and windows start again from it;
* ``overflow``: events dropped, oldest first, when more than ``max_buffer_events`` wait
  (a burst larger than a window's worth the recogniser could ever use).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from snn_control.events.io import EVENT_DTYPE


@dataclass
class Window:
    start_us: int
    end_us: int
    events: np.ndarray


@dataclass
class WindowedStream:
    sensor_size: tuple[int, int]  # (width, height)
    window_us: int = 500_000
    step_us: int = 250_000
    max_buffer_events: int = 2_000_000
    rejected: dict[str, int] = field(
        default_factory=lambda: dict.fromkeys(
            ('empty_packets', 'outside_sensor', 'backwards', 'restarts', 'overflow'), 0
        )
    )

    def __post_init__(self) -> None:
        if self.window_us <= 0 or self.step_us <= 0 or self.step_us > self.window_us:
            raise ValueError(
                f'need 0 < step_us <= window_us, got window {self.window_us}, step {self.step_us}'
            )
        if min(self.sensor_size) <= 0:
            raise ValueError(f'sensor size must be positive, got {self.sensor_size}')
        self._buffer = np.zeros(0, EVENT_DTYPE)
        self._newest: int | None = None
        self._next_end: int | None = None

    def push(self, events: np.ndarray) -> list[Window]:
        """Add a packet (any order within it is accepted and sorted); the windows it completes."""
        events = np.asarray(events)
        if events.dtype != EVENT_DTYPE:
            raise ValueError(f"events must have the package's EVENT_DTYPE, got {events.dtype}")
        if events.size == 0:
            self.rejected['empty_packets'] += 1
            return []
        inside = (events['x'] < self.sensor_size[0]) & (events['y'] < self.sensor_size[1])
        self.rejected['outside_sensor'] += int(events.size - inside.sum())
        events = events[inside]
        if events.size == 0:
            return []
        events = events[np.argsort(events['t'], kind='stable')]
        if self._newest is not None and int(events['t'][0]) < self._newest - self.window_us:
            self.rejected['restarts'] += 1
            self._buffer, self._newest, self._next_end = np.zeros(0, EVENT_DTYPE), None, None
        if self._newest is not None:
            late = events['t'] < self._newest
            self.rejected['backwards'] += int(late.sum())
            events = events[~late]
            if events.size == 0:
                return []
        if self._next_end is None:
            self._next_end = int(events['t'][0]) + self.window_us
        self._newest = int(events['t'][-1])
        self._buffer = np.concatenate([self._buffer, events])
        if self._buffer.size > self.max_buffer_events:
            excess = self._buffer.size - self.max_buffer_events
            self.rejected['overflow'] += excess
            self._buffer = self._buffer[excess:]
        windows = []
        while self._newest >= self._next_end:
            start = self._next_end - self.window_us
            t = self._buffer['t']
            a, b = np.searchsorted(t, start), np.searchsorted(t, self._next_end)
            windows.append(Window(start, self._next_end, self._buffer[a:b].copy()))
            self._next_end += self.step_us
            self._buffer = self._buffer[np.searchsorted(t, self._next_end - self.window_us):]
        return windows
