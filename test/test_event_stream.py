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

"""Live event packets into classification windows: window cutting and every kind of bad input."""

import numpy as np
import pytest
from snn_control.events.io import EVENT_DTYPE
from snn_control.events.stream import WindowedStream


def events(t, x=1, y=2) -> np.ndarray:
    out = np.zeros(len(t), EVENT_DTYPE)
    out['t'], out['x'], out['y'] = t, x, y
    return out


def test_windows_are_cut_by_sensor_time_whatever_the_packet_sizes():
    t = np.arange(0, 1_000_000, 1000)
    whole = WindowedStream((10, 10), 500_000, 250_000).push(events(t))
    assert [(w.start_us, w.end_us) for w in whole] == [(0, 500_000), (250_000, 750_000)]
    assert [len(w.events) for w in whole] == [500, 500]
    stream = WindowedStream((10, 10), 500_000, 250_000)
    pieces = [w for chunk in np.array_split(t, 37) for w in stream.push(events(chunk))]
    assert [(w.start_us, w.end_us) for w in pieces] == [(w.start_us, w.end_us) for w in whole]
    for a, b in zip(pieces, whole):
        np.testing.assert_array_equal(a.events, b.events)


def test_bad_input_is_counted_not_lost_silently():
    stream = WindowedStream((10, 10), 100, 50, max_buffer_events=30)
    assert stream.push(events([])) == [] and stream.rejected['empty_packets'] == 1
    stream.push(events([0, 10, 20], x=[1, 12, 3]))
    assert stream.rejected['outside_sensor'] == 1
    stream.push(events([30, 15, 40]))  # 15 is older than the newest (20): dropped
    assert stream.rejected['backwards'] == 1
    windows = stream.push(events([200]))  # completes the windows ending at 100, 150, 200
    assert [len(w.events) for w in windows] == [4, 0, 0]
    stream.push(events(np.arange(200, 240)))  # a burst beyond the buffer: oldest dropped
    assert stream.rejected['overflow'] == 11
    assert (
        stream.push(events([5])) == [] and stream.rejected['restarts'] == 1
    )  # a replay starting over
    assert [w.start_us for w in stream.push(events([120]))] == [5]
    with pytest.raises(ValueError, match='step_us <= window_us'):
        WindowedStream((10, 10), 100, 200)
    with pytest.raises(ValueError, match='EVENT_DTYPE'):
        stream.push(np.zeros(3))
