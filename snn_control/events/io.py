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
Event streams from files and bags, as one structured array ``(x, y, t, p)``.

``t`` is in microseconds (int64), ``x``/``y`` pixel coordinates (uint16), ``p`` polarity
(1 ON, 0 OFF). Readers:

* AEDAT 4.0 (iniVation DV): ``dv-processing`` (the vendor's library);
* Prophesee RAW EVT 2.0 / EVT 3.0 files: ``expelliarmus``;
* rosbag2 (sqlite3 or MCAP) with ``event_camera_msgs/msg/EventPacket``: ``rosbags`` for
  the bag, and :func:`decode_evt3` (:mod:`snn_control.events.evt3`) for ``evt3``
  payloads. Our own decoder because the library path fails on real camera streams: expelliarmus
  rejects the external-trigger
  words (type 0xA) that Prophesee cameras interleave, and after stripping them returns a
  wrong time axis (checked against the upstream checksum of event_camera_codecs' test
  bag). Other encodings (``libcaer_cmp``, ``mono``, ...) raise
  :class:`UnsupportedEncodingError` naming the encoding; nothing is silently dropped.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
import shutil
import tempfile

import numpy as np
from snn_control.events.evt3 import (  # noqa: F401  (re-exported: the readers' API)
    decode_evt3,
    Evt3Decoder,
)

EVENT_DTYPE = np.dtype([('x', '<u2'), ('y', '<u2'), ('t', '<i8'), ('p', 'u1')])

#: Prophesee HAL plugin -> sensor (width, height), for RAW headers without a geometry line
PROPHESEE_PLUGINS = {
    'hal_plugin_gen41_evk3': (1280, 720),
    'hal_plugin_imx636_evk4': (1280, 720),
    'hal_plugin_gen3_fx3': (640, 480),
    'hal_plugin_gen31_evk2': (640, 480),
}

EVENT_PACKET_MSGDEF = """std_msgs/Header header
uint32 height
uint32 width
uint64 seq
uint64 time_base
string encoding
bool is_bigendian
uint8[] events
"""
EVENT_PACKET_TYPE = 'event_camera_msgs/msg/EventPacket'


class EventFormatError(ValueError):
    """A file or packet that cannot be read as events; the message says why."""


class UnsupportedEncodingError(EventFormatError):
    """An event encoding this package has no decoder for."""


@dataclass
class EventStream:
    events: np.ndarray  # EVENT_DTYPE
    sensor_size: tuple[int, int] | None  # (width, height)
    triggers: np.ndarray = field(
        default_factory=lambda: np.zeros(0, dtype=[('t', '<i8'), ('id', 'u1'), ('value', 'u1')])
    )
    source: str = ''

    def __len__(self) -> int:
        return int(self.events.size)


def _as_events(x: np.ndarray, y: np.ndarray, t: np.ndarray, p: np.ndarray) -> np.ndarray:
    out = np.empty(len(t), dtype=EVENT_DTYPE)
    out['x'], out['y'], out['t'], out['p'] = x, y, t, p
    return out


def read_aedat4(path: str | Path) -> EventStream:
    import dv_processing as dv

    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f'event file {path} does not exist')
    try:
        recording = dv.io.MonoCameraRecording(str(path))
    except Exception as exc:  # the library raises RuntimeError variants
        raise EventFormatError(f'{path}: not a readable AEDAT4 recording ({exc})') from exc
    if not recording.isEventStreamAvailable():
        raise EventFormatError(f'{path}: the recording has no event stream')
    batches = []
    while (batch := recording.getNextEventBatch()) is not None:
        batches.append(batch.numpy())
    raw = (
        np.concatenate(batches)
        if batches
        else np.zeros(
            0, dtype=[('timestamp', '<i8'), ('x', '<i2'), ('y', '<i2'), ('polarity', 'i1')]
        )
    )
    width, height = recording.getEventResolution()
    return EventStream(
        _as_events(raw['x'], raw['y'], raw['timestamp'], raw['polarity'] > 0),
        (width, height),
        source=str(path),
    )


def raw_header(path: str | Path) -> tuple[dict[str, str], int]:
    """
    Read the header of a Prophesee RAW file.

    Returns its ``% key value`` lines and the byte offset of its data.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f'event file {path} does not exist')
    header: dict[str, str] = {}
    offset = 0
    with open(path, 'rb') as fh:
        while (line := fh.readline()).startswith(b'%'):
            key, _, value = line[1:].decode('ascii', 'replace').strip().partition(' ')
            header[key] = value
            offset += len(line)
    return header, offset


def read_prophesee_raw(path: str | Path) -> EventStream:
    """Prophesee RAW (EVT 2.0 or 3.0, from the ``% evt`` header line)."""
    from expelliarmus import Wizard

    path = Path(path)
    header, _ = raw_header(path)
    version = header.get('evt', header.get('format', ''))
    encoding = {'2.0': 'evt2', '3.0': 'evt3', 'EVT2': 'evt2', 'EVT3': 'evt3'}.get(
        version.split(';')[0]
    )
    if encoding is None:
        raise UnsupportedEncodingError(
            f'{path}: RAW header declares event format {version!r}; ' 'supported: EVT 2.0, EVT 3.0'
        )
    try:
        raw = Wizard(encoding=encoding).read(str(path))
    except Exception as exc:
        raise EventFormatError(f'{path}: {encoding} decoding failed ({exc})') from exc
    size = PROPHESEE_PLUGINS.get(header.get('plugin_name', ''))
    return EventStream(_as_events(raw['x'], raw['y'], raw['t'], raw['p']), size, source=str(path))


def _typestore():
    from rosbags.typesys import get_types_from_msg, get_typestore, Stores

    store = get_typestore(Stores.ROS2_KILTED)
    store.register(get_types_from_msg(EVENT_PACKET_MSGDEF, EVENT_PACKET_TYPE))
    return store


def read_event_bag(path: str | Path, topic: str | None = None) -> EventStream:
    """All EventPacket messages of a rosbag2 directory (the first EventPacket topic by default)."""
    from rosbags.rosbag2 import Reader

    path = Path(path)
    if not (path / 'metadata.yaml').is_file():
        raise FileNotFoundError(f'{path} is not a rosbag2 directory (no metadata.yaml)')
    store = _typestore()
    with tempfile.TemporaryDirectory(prefix='snn_bag_') as tmp:
        bag = _with_storage_identifier(path, Path(tmp))
        # The plain reader with our own message definition: some MCAP bags embed IDL schemas
        # that rosbags' high-level reader cannot parse.
        with Reader(bag) as reader:
            connections = [
                c
                for c in reader.connections
                if c.msgtype == EVENT_PACKET_TYPE and (topic is None or c.topic == topic)
            ]
            if not connections:
                raise EventFormatError(
                    f'{path}: no {EVENT_PACKET_TYPE} topic'
                    + (f' named {topic!r}' if topic else '')
                )
            connections = [c for c in connections if c.topic == connections[0].topic]
            chunks, trigger_chunks, size = [], [], None
            decoder = Evt3Decoder()
            for connection, _, raw in reader.messages(connections=connections):
                msg = store.deserialize_cdr(raw, connection.msgtype)
                events, triggers = decode_packet(
                    msg.encoding, bytes(msg.events), msg.time_base, msg.is_bigendian, decoder
                )
                chunks.append(events)
                trigger_chunks.append(triggers)
                size = (int(msg.width), int(msg.height))
    events = np.concatenate(chunks) if chunks else np.zeros(0, EVENT_DTYPE)
    return EventStream(
        events, size, np.concatenate(trigger_chunks) if trigger_chunks else None, source=str(path)
    )


def decode_packet(
    encoding: str,
    payload: bytes,
    time_base_ns: int = 0,
    is_bigendian: bool = False,
    decoder: Evt3Decoder | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """
    One ``EventPacket``'s events (t in microseconds).

    Pass the stream's ``decoder`` to carry its state from packet to packet.
    """
    if encoding != 'evt3':
        raise UnsupportedEncodingError(
            f'event encoding {encoding!r} is not supported (supported: evt3)'
        )
    if is_bigendian:
        raise UnsupportedEncodingError('big-endian evt3 packets are not supported')
    if len(payload) % 2:
        raise EventFormatError(f'an evt3 packet holds 16-bit words, got {len(payload)} bytes')
    return (decoder or Evt3Decoder()).decode(payload, int(time_base_ns) // 1000)


def _with_storage_identifier(path: Path, tmp: Path) -> Path:
    """
    Return some published bags leave ``storage_identifier`` empty.

    Readers need it. Patch a copy.
    """
    import yaml

    meta = yaml.safe_load((path / 'metadata.yaml').read_text())
    info = meta.get('rosbag2_bagfile_information', {})
    if info.get('storage_identifier'):
        return path
    files = [p.name for p in path.iterdir()]
    storage = (
        'mcap'
        if any(f.endswith('.mcap') for f in files)
        else 'sqlite3' if any(f.endswith('.db3') for f in files) else None
    )
    if storage is None:
        raise EventFormatError(
            f'{path}: metadata.yaml names no storage and no .mcap/.db3 file is present'
        )
    copy = tmp / path.name
    shutil.copytree(path, copy)
    info['storage_identifier'] = storage
    (copy / 'metadata.yaml').write_text(yaml.safe_dump(meta, sort_keys=False))
    return copy


def read_events(path: str | Path) -> EventStream:
    """Any supported recording, by what it is: ``.aedat4``, ``.raw``, or a rosbag2 directory."""
    path = Path(path)
    if path.is_dir():
        return read_event_bag(path)
    suffix = path.suffix.lower()
    if suffix == '.aedat4':
        return read_aedat4(path)
    if suffix == '.raw':
        return read_prophesee_raw(path)
    raise EventFormatError(
        f'{path}: unknown event file type {suffix!r} (supported: .aedat4, .raw, rosbag2 dirs)'
    )
