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
Place recognition over ROS 2.

The place_recognition and image_replay nodes as separate processes over real DDS, on real Nordland
images.
"""

from pathlib import Path
import shutil
import signal
import time

from geometry_msgs.msg import PoseWithCovarianceStamped
import numpy as np
import pytest
from ros_peer import RosPeer, start
from sensor_msgs.msg import Image, PointCloud2
from snn_control.ros.image_codec import decode_gray, encode_image, ImageDecodeError
from snn_control.ros.node_base import SENSOR_QOS
from snn_control.ros.spike_codec import decode_spikes, parse_population_header
from snn_control.vpr.data import load_folder, load_pair
from snn_control.vpr.ensemble import EnsembleConfig
from snn_control.vpr.place_map import build_map, load_map, save_map
from std_msgs.msg import Float32, Int32

NORDLAND = (
    Path(__file__).resolve().parents[1].parent
    / 'shared'
    / 'data'
    / 'vpr'
    / 'nordland_trimmed_64x32'
)
pytestmark = pytest.mark.skipif(not NORDLAND.is_dir(), reason='../shared/data/vpr not present')
PLACES = 60


def test_image_codec_round_trips_every_encoding_and_names_bad_images():
    rng = np.random.default_rng(1)
    gray = rng.integers(0, 256, (6, 10), dtype=np.uint8)
    rgb = np.repeat(gray[:, :, None], 3, axis=2)
    for encoding, pixels in (
        ('mono8', gray),
        ('rgb8', rgb),
        ('bgr8', rgb),
        ('mono16', gray.astype(np.uint16) * 257),
    ):
        np.testing.assert_array_equal(decode_gray(encode_image(pixels, encoding)), gray)
    msg = encode_image(gray, 'mono8')
    msg.encoding = '32FC1'
    with pytest.raises(ImageDecodeError, match="unsupported image encoding '32FC1'"):
        decode_gray(msg)
    msg = encode_image(gray, 'mono8')
    msg.data = bytes(msg.data)[:-3]
    with pytest.raises(ImageDecodeError, match='bytes of data'):
        decode_gray(msg)
    msg = encode_image(gray, 'rgb8')
    msg.step = 10
    with pytest.raises(ImageDecodeError, match='shorter than a row'):
        decode_gray(msg)


@pytest.fixture(scope='module')
def small_map(tmp_path_factory):
    pair = load_pair(NORDLAND / 'summer', NORDLAND / 'winter')
    cal = np.arange(0, PLACES, 6)
    poses = np.zeros((PLACES, 7))
    poses[:, 0] = np.arange(PLACES) * 10.0  # 10 m between places along x
    poses[:, 6] = 1.0
    place_map = build_map(
        pair.reference.images[:PLACES],
        pair.reference.frames[:PLACES],
        EnsembleConfig(places_per_module=20, epochs=2),
        seed=0,
        poses=poses,
        calibration_images=pair.query.images[cal],
        calibration_truth=cal,
        calibration_index=cal,
    )
    path = save_map(place_map, tmp_path_factory.mktemp('vpr') / 'map.npz')
    return path, pair.query.images[:PLACES]


def _stop(proc) -> str:
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=20)
    return err


def test_place_recognition_node_answers_like_the_library_and_survives_bad_images(small_map):
    path, winter = small_map
    expected_place, expected_conf = load_map(path).localise(winter[:8])
    peer = RosPeer('vpr_test_peer')
    got: dict[str, list] = {'place': [], 'confidence': [], 'pose': [], 'spikes': []}
    peer.node.create_subscription(
        Int32, '/place_recognition/place', lambda m: got['place'].append(m.data), 10
    )
    peer.node.create_subscription(
        Float32, '/place_recognition/confidence', lambda m: got['confidence'].append(m.data), 10
    )
    peer.node.create_subscription(
        PoseWithCovarianceStamped, '/place_recognition/pose', lambda m: got['pose'].append(m), 10
    )
    peer.node.create_subscription(
        PointCloud2, '/place_recognition/spikes', lambda m: got['spikes'].append(m), SENSOR_QOS
    )
    images = peer.node.create_publisher(Image, 'image', SENSOR_QOS)
    peer.watch_diagnostics()
    node = start('place_recognition', '-p', f'map:={path}')
    try:
        deadline = time.monotonic() + 30
        while (
            images.get_subscription_count() == 0
            or peer.node.count_publishers('/place_recognition/place') == 0
        ):
            assert time.monotonic() < deadline, 'place_recognition did not come up'
            peer.spin(0.1)

        # DDS discovery is asymmetric: the node may not hear us yet although we see it. A
        # wrong-size image (rejected, never answered) until the node counts one shows it does.
        probe = encode_image(np.zeros((16, 16), np.uint8), 'mono8')
        peer.until(
            lambda: int(peer.diagnostics.get('/place_recognition', {}).get('rejected_total', 0)),
            30,
            'the node hearing this process',
            action=lambda: images.publish(probe),
        )

        def ask(msg: Image, answers: int) -> None:
            """Send an image and wait for its answer; resend only one that was lost."""
            for _ in range(3):
                images.publish(msg)
                try:
                    peer.until(lambda: len(got['place']) >= answers, 5, 'an answer')
                    return
                except AssertionError:
                    continue  # (images are best effort)

        encodings = ['mono8', 'rgb8', 'bgr8', 'mono16'] * 2
        for i, encoding in enumerate(encodings):
            gray = winter[i]
            pixels = {'mono8': gray, 'mono16': gray.astype(np.uint16) * 257}.get(
                encoding, np.repeat(gray[:, :, None], 3, 2)
            )
            ask(encode_image(pixels, encoding), i + 1)
            assert len(got['place']) == i + 1, f'no answer to a {encoding} image'
        assert got['place'] == expected_place.tolist()
        np.testing.assert_allclose(got['confidence'], expected_conf, atol=1e-6)
        # place, confidence and pose are published together, on reliable topics
        peer.until(lambda: len(got['pose']) >= 8, 10, 'the poses of the eight answers')
        assert [p.pose.pose.position.x for p in got['pose'][:8]] == [
            10.0 * p for p in expected_place
        ]
        assert got['pose'][0].header.frame_id == 'map' and got['pose'][0].pose.covariance[0] > 0
        spikes = got['spikes'][-1]
        _, populations = parse_population_header(spikes.header.frame_id)
        assert populations == {'exc': 3 * 40} and decode_spikes(spikes).size > 0
        # bad images: no answer, the node keeps running and answers the next good image
        bad = encode_image(winter[0], 'mono8')
        bad.encoding = 'yuv422'
        rejected = int(peer.fresh_diagnostics('place_recognition')['rejected_total'])
        images.publish(bad)
        images.publish(encode_image(np.zeros((16, 16), np.uint8), 'mono8'))
        peer.until(
            lambda: int(peer.diagnostics['/place_recognition']['rejected_total']) >= rejected + 2,
            10,
            'the node rejecting the two bad images',
        )
        assert len(got['place']) == 8
        ask(encode_image(winter[0], 'mono8'), 9)
        assert got['place'][-1] == expected_place[0]
        assert node.poll() is None
    finally:
        err = _stop(node)
        peer.close()
    assert (
        "unsupported image encoding 'yuv422'" in err
        and "image is 16x16, the map's are 64x32" in err
    )


def test_place_recognition_refuses_a_missing_map(tmp_path):
    node = start('place_recognition', '-p', f"map:={tmp_path / 'none.npz'}")
    _, err = node.communicate(timeout=30)
    assert node.returncode == 2 and 'does not exist' in err


def test_image_replay_plays_a_folder_as_a_camera(tmp_path):
    folder = tmp_path / 'winter'
    folder.mkdir()
    for f in sorted((NORDLAND / 'winter').glob('images-*.png'))[:5]:
        shutil.copy(f, folder / f.name)
    expected = load_folder(folder)
    peer = RosPeer('replay_test_peer')
    frames, pictures = [], []
    peer.node.create_subscription(
        Int32, '/image_replay/frame', lambda m: frames.append(m.data), SENSOR_QOS
    )
    peer.node.create_subscription(
        Image, 'image', lambda m: pictures.append(decode_gray(m)), SENSOR_QOS
    )
    node = start(
        'image_replay',
        '-p',
        f'folder:={folder}',
        '-p',
        'encoding:=rgb8',
        '-p',
        'rate_hz:=20.0',
        '-p',
        'loop:=true',
    )
    try:
        end = time.monotonic() + 30
        while len(frames) < 12 and time.monotonic() < end:
            peer.spin(0.1)
    finally:
        _stop(node)
        peer.close()
    assert len(frames) >= 12
    first = frames.index(int(expected.frames[0]))
    assert (
        frames[first:first + 5] == expected.frames.tolist()
    )  # in frame order, then again (loop)
    for picture in pictures[:5]:
        assert any(np.array_equal(picture, img) for img in expected.images)
    bad = start('image_replay', '-p', f"folder:={tmp_path / 'nothing'}")
    _, err = bad.communicate(timeout=30)
    assert bad.returncode == 2 and 'does not exist' in err
