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

"""Event readers on every real recording in ../shared/data/events, against its SOURCE.md."""

from pathlib import Path

import numpy as np
import pytest
from snn_control.events.io import (
    decode_packet,
    EVENT_DTYPE,
    EventFormatError,
    Evt3Decoder,
    read_event_bag,
    read_events,
    UnsupportedEncodingError,
)

DATA = Path(__file__).resolve().parents[1].parent / 'shared' / 'data' / 'events'
pytestmark = pytest.mark.skipif(not DATA.is_dir(), reason='../shared/data/events not present')


def test_aedat4_dvxplorer():
    s = read_events(DATA / 'dvxplorer_tonic' / 'sample.aedat4')
    e = s.events
    assert e.dtype == EVENT_DTYPE and len(s) == 111_954 and s.sensor_size == (320, 240)
    assert (e['t'][0], e['t'][-1]) == (1605537493718345, 1605537494308262) and np.all(
        np.diff(e['t']) >= 0
    )
    assert e['x'].max() == 319 and e['y'].max() == 239 and abs(e['p'].mean() - 0.491) < 0.001


def test_prophesee_raw_evt3_matches_its_decoded_ground_truth():
    s = read_events(DATA / 'prophesee_raw_expelliarmus' / 'evt3_sample.raw')
    truth = np.load(DATA / 'prophesee_raw_expelliarmus' / 'evt3_sample.npy')
    assert len(s) == 219_596 and s.sensor_size == (1280, 720)
    for k in 'txyp':
        np.testing.assert_array_equal(s.events[k].astype(np.int64), truth[k].astype(np.int64))


def test_prophesee_raw_evt2():
    s = read_events(DATA / 'prophesee_raw_expelliarmus' / 'evt2_sample.raw')
    e = s.events
    assert len(s) == 539_481 and s.sensor_size == (640, 480)
    assert (e['t'].min(), e['t'].max()) == (1_317_888, 1_367_888)
    assert (e['x'].min(), e['x'].max(), e['y'].min(), e['y'].max()) == (60, 599, 18, 475)


def test_rosbag_evt3_packets_match_the_upstream_checksum():
    s = read_events(DATA / 'ros2_evt3_trigger_codecs' / 'test_data_evt3_trigger')
    e = s.events
    assert len(s) == 82_469 and len(s.triggers) == 2 and s.sensor_size == (1280, 720)
    # event_camera_codecs' own test (decoder_test.cpp, evt3_decode): sums over the whole bag
    assert (int(e['x'].sum()), int(e['y'].sum()), int(e['p'].sum())) == (
        42_078_718,
        31_656_267,
        41_439,
    )
    assert int(e['t'].sum()) * 1000 == 1_222_326_831_810_000
    assert (e['t'].min(), e['t'].max()) == (14_224_870, 15_476_187)


def test_packet_boundaries_do_not_lose_events():
    """
    Return the camera cuts packets anywhere: split one packet stream differently.

    Same events.
    """
    from rosbags.rosbag2 import Reader
    from snn_control.events.io import _typestore

    store = _typestore()
    with Reader(DATA / 'ros2_evt3_trigger_codecs' / 'test_data_evt3_trigger') as reader:
        payload = b''.join(
            bytes(store.deserialize_cdr(raw, c.msgtype).events) for c, _, raw in reader.messages()
        )
    words = np.frombuffer(payload, dtype='<u2')
    cuts = np.sort(np.random.default_rng(0).choice(words.size, 300, replace=False))
    decoder = Evt3Decoder()
    parts = [decoder.decode(chunk.tobytes())[0] for chunk in np.split(words, cuts)]
    whole = Evt3Decoder().decode(payload)[0]
    np.testing.assert_array_equal(np.concatenate(parts), whole)
    assert whole.size == 82_469


def test_libcaer_bag_is_read_and_its_encoding_refused_by_name():
    # metadata.yaml of this published bag has an empty storage_identifier: read through a patched
    # copy
    with pytest.raises(UnsupportedEncodingError, match="'libcaer_cmp' is not supported"):
        read_event_bag(DATA / 'ros2_eventpacket_event_camera_py' / 'test_events_2')


def test_bad_input_is_a_clear_error(tmp_path):
    with pytest.raises(EventFormatError, match='16-bit words'):
        decode_packet('evt3', b'\x00\x01\x02')
    with pytest.raises(UnsupportedEncodingError, match="'mono'"):
        decode_packet('mono', b'')
    events, triggers = decode_packet('evt3', b'')  # an empty packet is no error, and no events
    assert events.size == 0 and triggers.size == 0
    with pytest.raises(FileNotFoundError):
        read_events(tmp_path / 'none.raw')
    (tmp_path / 'x.txt').write_text('hello')
    with pytest.raises(EventFormatError, match='unknown event file type'):
        read_events(tmp_path / 'x.txt')
    (tmp_path / 'bad.raw').write_bytes(b'% evt 4.0\n\x00\x00')
    with pytest.raises(UnsupportedEncodingError, match="'4.0'"):
        read_events(tmp_path / 'bad.raw')
