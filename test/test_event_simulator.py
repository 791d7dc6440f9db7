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

"""The ESIM-style event simulator on synthetic scenes whose events are known."""

import numpy as np
import pytest
from snn_control.events.simulator import EventCameraConfig, EventCameraSimulator

QUIET = EventCameraConfig(threshold_sigma=0.0, noise_rate_hz=0.0, refractory_us=0)


def test_a_brightening_pixel_fires_on_events_at_each_threshold_crossing():
    sim = EventCameraSimulator(1, 2, QUIET)
    frames = np.array([[[1.0, 1.0]], [[np.e, 1.0]]])  # log intensity of pixel 0 rises by ~1.0
    events = sim.simulate(frames, np.array([0, 1000]))
    assert (
        events.size == 4 and np.all(events['x'] == 0) and np.all(events['p'] == 1)
    )  # floor(1.0/0.2)=4 (eps)
    # linear interpolation in log intensity: crossings at 1/5, 2/5, 3/5, 4/5 of the interval
    np.testing.assert_allclose(events['t'], [200, 400, 600, 800], atol=2)
    back = sim.feed(np.array([[1.0, 1.0]]), 2000)  # and darkening back: OFF events
    assert back.size == 4 and np.all(
        back['p'] == 0
    )  # the reference sat 0.8 up: 4 crossings of 0.2 down


def test_a_moving_edge_fires_where_it_moves_with_the_right_polarity():
    sim = EventCameraSimulator(4, 10, QUIET)
    frames = np.full((6, 4, 10), 0.1)
    for k in range(6):
        frames[k, :, : 2 + k] = 1.0  # a bright region growing to the right, one column per frame
    events = sim.simulate(frames, np.arange(6) * 10_000)
    assert set(np.unique(events['x'])) == {2, 3, 4, 5, 6} and np.all(events['p'] == 1)
    first = {x: events['t'][events['x'] == x].min() for x in range(2, 7)}
    assert all(first[x] < first[x + 1] for x in range(2, 6))  # the edge's order in time


def test_refractory_period_and_noise_rate():
    sim = EventCameraSimulator(
        1, 1, EventCameraConfig(threshold_sigma=0.0, noise_rate_hz=0.0, refractory_us=500)
    )
    events = sim.simulate(np.array([[[1.0]], [[np.e**2]]]), np.array([0, 1000]))
    assert np.all(np.diff(events['t']) >= 500)  # 9 crossings in 1 ms, at most one per 0.5 ms kept
    noisy = EventCameraSimulator(20, 20, EventCameraConfig(noise_rate_hz=5.0), seed=1)
    still = np.ones((11, 20, 20))
    events = noisy.simulate(still, np.arange(11) * 100_000)  # 1 s of a still scene
    assert 1500 < events.size < 2500  # 400 pixels x 5 Hz x 1 s = 2000 expected


def test_bad_frames_are_refused():
    sim = EventCameraSimulator(2, 2, QUIET)
    sim.feed(np.ones((2, 2)), 0)
    with pytest.raises(ValueError, match='must increase'):
        sim.feed(np.ones((2, 2)), 0)
    with pytest.raises(ValueError, match='shape'):
        sim.feed(np.ones((3, 2)), 10)
    with pytest.raises(ValueError, match='finite, non-negative'):
        sim.feed(np.full((2, 2), np.nan), 10)
    with pytest.raises(ValueError, match='positive'):
        EventCameraConfig(contrast_pos=0.0)
