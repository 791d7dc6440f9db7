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

"""Action recognition over ROS 2: the action_recognition node as its own process over real DDS."""

import signal
import time

import numpy as np
import pytest
from ros_peer import RosPeer, start
from sensor_msgs.msg import PointCloud2
from snn_control.events.io import EVENT_DTYPE
from snn_control.events.spikepoint import (
    save_classifier,
    SpikePoint,
    SpikePointClassifier,
    SpikePointConfig,
)
from snn_control.events.stream import WindowedStream
from snn_control.events.windows import PointCloudConfig
from snn_control.ros.event_codec import encode_events
from snn_control.ros.node_base import SENSOR_QOS
from snn_control.ros.spike_codec import decode_spikes, parse_population_header
from std_msgs.msg import Float32, Int32, String
import torch

SENSOR = (64, 64)
WINDOW_US = 100_000


def moving_blob(duration_us: int, seed: int) -> np.ndarray:
    """Events of a blob circling the sensor: a stream with structure, in time order."""
    rng = np.random.default_rng(seed)
    t = np.sort(rng.integers(0, duration_us, 20_000))
    angle = 2 * np.pi * t / 400_000
    ev = np.zeros(t.size, EVENT_DTYPE)
    ev['t'] = t
    ev['x'] = np.clip(32 + 20 * np.cos(angle) + rng.normal(0, 2, t.size), 0, 63)
    ev['y'] = np.clip(32 + 20 * np.sin(angle) + rng.normal(0, 2, t.size), 0, 63)
    ev['p'] = rng.integers(0, 2, t.size)
    return ev


@pytest.fixture(scope='module')
def classifier_file(tmp_path_factory):
    torch.manual_seed(0)
    model = SpikePoint(
        SpikePointConfig(n_classes=3, timesteps=4, local_channels=8, global_channels=(16,))
    )
    classifier = SpikePointClassifier(
        model.eval(),
        PointCloudConfig(n_points=128, n_groups=8, n_neighbours=8),
        SENSOR,
        ('circle', 'wave', 'clap'),
    )
    return classifier, save_classifier(
        classifier, tmp_path_factory.mktemp('spikepoint') / 'net.npz'
    )


def test_action_recognition_node_classifies_windows_like_the_library(classifier_file):
    classifier, path = classifier_file
    events = moving_blob(1_000_000, seed=1)
    packets = [
        events[(events['t'] >= a) & (events['t'] < a + 10_000)]
        for a in range(0, 1_000_000, 10_000)
    ]
    # what the node must answer: each 10 ms packet completes at most one window
    stream = WindowedStream(SENSOR, WINDOW_US, WINDOW_US)
    expected = [classifier.classify([w.events])[0][0] for p in packets for w in stream.push(p)]
    peer = RosPeer('action_test_peer')
    got = {'label': [], 'action': [], 'confidence': [], 'spikes': []}
    peer.node.create_subscription(
        Int32, '/action_recognition/label', lambda m: got['label'].append(m.data), 10
    )
    peer.node.create_subscription(
        String, '/action_recognition/action', lambda m: got['action'].append(m.data), 10
    )
    peer.node.create_subscription(
        Float32, '/action_recognition/confidence', lambda m: got['confidence'].append(m.data), 10
    )
    peer.node.create_subscription(
        PointCloud2, '/action_recognition/spikes', lambda m: got['spikes'].append(m), SENSOR_QOS
    )
    pub = peer.node.create_publisher(PointCloud2, 'events', 100)
    peer.watch_diagnostics()
    node = start(
        'action_recognition',
        '-p',
        f'weights:={path}',
        '-p',
        'input:=point_cloud',
        '-p',
        f'window_us:={WINDOW_US}',
        '-p',
        f'step_us:={WINDOW_US}',
    )
    try:
        deadline = time.monotonic() + 30
        while (
            pub.get_subscription_count() == 0
            or peer.node.count_publishers('/action_recognition/label') == 0
        ):
            assert time.monotonic() < deadline, 'action_recognition did not come up'
            peer.spin(0.1)
        # DDS discovery is asymmetric: we see the node's reader before it has matched our
        # writer. An empty packet (counted, and otherwise ignored) until the node reports one
        # received shows that it hears us.
        empty = encode_events(np.zeros(0, EVENT_DTYPE), SENSOR)
        peer.until(
            lambda: int(peer.diagnostics.get('/action_recognition', {}).get('messages_in', 0)),
            30,
            'the recogniser hearing this process',
            action=lambda: pub.publish(empty),
        )
        for packet in packets:
            pub.publish(encode_events(packet, SENSOR))
            peer.spin(0.02)
        end = time.monotonic() + 10
        while len(got['label']) < len(expected) and time.monotonic() < end:
            peer.spin(0.1)
        assert got['label'] == list(expected)
        assert got['action'] == [classifier.class_names[i] for i in expected]
        assert all(0 <= c <= 1 for c in got['confidence'])
        _, populations = parse_population_header(got['spikes'][-1].header.frame_id)
        assert populations == {'votes': 30} and decode_spikes(got['spikes'][-1]).size >= 0
        heard = int(peer.fresh_diagnostics('action_recognition')['messages_in'])
        # bad input: another sensor's packet, an empty packet, events from the past
        pub.publish(encode_events(packets[0], (640, 480)))
        pub.publish(encode_events(np.zeros(0, EVENT_DTYPE), SENSOR))
        old = packets[3].copy()
        pub.publish(encode_events(old, SENSOR))
        peer.until(
            lambda: int(peer.diagnostics['/action_recognition']['messages_in']) >= heard + 3,
            10,
            'the recogniser receiving the three bad packets',
        )
        assert len(got['label']) == len(expected) and node.poll() is None
    finally:
        node.send_signal(signal.SIGINT)
        _, err = node.communicate(timeout=20)
        peer.close()
    assert (
        '640x480 sensor' in err
        and 'empty_packets' in err
        and ('restarts' in err or 'backwards' in err)
    )


def test_action_recognition_refuses_bad_weights(tmp_path):
    bad = tmp_path / 'bad.npz'
    bad.write_bytes(b'not a zip')
    node = start('action_recognition', '-p', f'weights:={bad}')
    _, err = node.communicate(timeout=30)
    assert node.returncode == 2 and 'not a readable .npz' in err
