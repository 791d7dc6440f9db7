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

"""Events on ROS 2: the PointCloud2 event codec and the replay node over real DDS."""

from pathlib import Path
import signal
import time

import numpy as np
import pytest
from ros_peer import RosPeer, start
from sensor_msgs.msg import PointCloud2
from snn_control.events.io import EVENT_DTYPE, EventFormatError, read_events
from snn_control.ros.event_codec import decode_events, encode_events
from snn_control.ros.node_base import SENSOR_QOS
from snn_control.ros.nodes.event_replay import packet_bounds
from snn_control.ros.spike_codec import encode_spikes

AEDAT = (
    Path(__file__).resolve().parents[1].parent
    / 'shared'
    / 'data'
    / 'events'
    / 'dvxplorer_tonic'
    / 'sample.aedat4'
)


def test_event_cloud_round_trip_and_bad_clouds():
    events = np.zeros(4, dtype=EVENT_DTYPE)
    events['x'], events['y'], events['t'], events['p'] = (
        [1, 300, 5, 7],
        [2, 200, 9, 0],
        [
            1_600_000_000_123_456,
            1_600_000_000_123_456,
            1_600_000_000_124_000,
            1_600_000_001_000_000,
        ],
        [1, 0, 1, 0],
    )
    decoded, size = decode_events(encode_events(events, (320, 240)))
    np.testing.assert_array_equal(decoded, events)
    assert size == (320, 240)
    with pytest.raises(EventFormatError, match='time order'):
        encode_events(events[::-1], (320, 240))
    with pytest.raises(EventFormatError, match='not an event cloud'):
        decode_events(encode_spikes({'a': np.array([True, False])}))
    empty, _ = decode_events(encode_events(np.zeros(0, dtype=EVENT_DTYPE), (320, 240)))
    assert empty.size == 0


def test_packets_are_time_windows_split_by_count():
    t = np.array([0, 5, 9, 10, 11, 12, 13, 30])
    assert packet_bounds(t, 10, 100) == [(0, 3), (3, 7), (7, 8)]
    assert packet_bounds(t, 10, 2) == [(0, 2), (2, 3), (3, 5), (5, 7), (7, 8)]
    assert packet_bounds(np.zeros(0, int), 10, 2) == []


@pytest.mark.skipif(not AEDAT.is_file(), reason='../shared/data/events not present')
def test_replay_node_publishes_the_recording_over_dds():
    peer = RosPeer('event_test_peer')
    packets: dict[int, np.ndarray] = {}

    def on_packet(msg: PointCloud2) -> None:
        events, size = decode_events(msg)
        assert size == (320, 240)
        if events.size:
            packets.setdefault(int(events['t'][0]), events)

    peer.node.create_subscription(PointCloud2, 'events', on_packet, SENSOR_QOS)
    node = start(
        'event_replay', '-p', f'path:={AEDAT}', '-p', 'loop:=true', '-p', 'rate_scale:=2.0'
    )
    try:
        recording = read_events(AEDAT).events
        bounds = packet_bounds(recording['t'], 10_000, 100_000)
        deadline = time.monotonic() + 30
        while len(packets) < len(bounds) and time.monotonic() < deadline and node.poll() is None:
            peer.spin(0.2)
    finally:
        node.send_signal(signal.SIGINT)
        out, err = node.communicate(timeout=15)
        peer.close()
    assert node.returncode == 0, err
    assert len(packets) == len(
        bounds
    ), f'{len(packets)} of {len(bounds)} packets seen over the loops'
    received = np.concatenate([packets[k] for k in sorted(packets)])
    np.testing.assert_array_equal(received, recording)  # every event, bit for bit, in order


def test_unreadable_recording_stops_the_node_with_the_reason(tmp_path):
    bad = tmp_path / 'broken.aedat4'
    bad.write_bytes(b'#!AER-DAT4.0\r\n garbage')
    node = start('event_replay', '-p', f'path:={bad}')
    out, err = node.communicate(timeout=60)
    assert node.returncode == 2 and 'cannot read' in err and 'broken.aedat4' in err
