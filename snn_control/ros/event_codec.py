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
Camera events on ROS 2 without custom messages.

``sensor_msgs/PointCloud2`` with fields ``x``, ``y``, ``t``, ``p`` (the fallback the package uses
where ``event_camera_msgs`` is not installed; it is not on PyPI).

==========  ========  ==========================================================
field       datatype  meaning
==========  ========  ==========================================================
``x``       UINT16    column
``y``       UINT16    row
``t``       UINT32    microseconds after ``header.stamp``
``p``       UINT8     polarity (1 ON, 0 OFF)
==========  ========  ==========================================================

``height = 1``, ``width`` = events, little-endian, packed (9 bytes a point). ``header.stamp``
is the time of the packet's first event; ``header.frame_id`` is ``"<frame>:<width>x<height>"``
(the sensor size travels with every packet), optionally followed by ``"#<index>"``: the
stream index of the packet's first event (events published before it since the stream
started), from which a subscriber counts exactly the events it missed
(:func:`first_event_index`). QoS: sensor data.
"""

from __future__ import annotations

from builtin_interfaces.msg import Time
import numpy as np
from sensor_msgs.msg import PointCloud2, PointField
from snn_control.events.io import EVENT_DTYPE, EventFormatError

WIRE_DTYPE = np.dtype([('x', '<u2'), ('y', '<u2'), ('t', '<u4'), ('p', 'u1')])
_FIELDS = (
    ('x', 0, PointField.UINT16),
    ('y', 2, PointField.UINT16),
    ('t', 4, PointField.UINT32),
    ('p', 8, PointField.UINT8),
)


def encode_events(
    events: np.ndarray,
    sensor_size: tuple[int, int],
    frame: str = 'camera',
    first_index: int | None = None,
) -> PointCloud2:
    """
    One packet; ``events`` in time order, spanning less than 71 minutes; ``first_index``.

    The stream index of its first event (see the module docstring).
    """
    if events.size and np.any(np.diff(events['t']) < 0):
        raise EventFormatError('events of a packet must be in time order')
    t0 = int(events['t'][0]) if events.size else 0
    wire = np.empty(events.size, dtype=WIRE_DTYPE)
    wire['x'], wire['y'], wire['p'] = events['x'], events['y'], events['p']
    wire['t'] = events['t'] - t0
    msg = PointCloud2()
    msg.header.stamp = Time(sec=t0 // 1_000_000, nanosec=(t0 % 1_000_000) * 1000)
    msg.header.frame_id = f'{frame}:{int(sensor_size[0])}x{int(sensor_size[1])}'
    if first_index is not None:
        msg.header.frame_id += f'#{int(first_index)}'
    msg.height, msg.width = 1, int(events.size)
    msg.fields = [PointField(name=n, offset=o, datatype=d, count=1) for n, o, d in _FIELDS]
    msg.is_bigendian, msg.point_step, msg.is_dense = False, WIRE_DTYPE.itemsize, True
    msg.row_step = msg.point_step * msg.width
    msg.data = wire.tobytes()
    return msg


def decode_events(msg: PointCloud2) -> tuple[np.ndarray, tuple[int, int]]:
    """(events with absolute ``t`` in microseconds, sensor size); clear errors for other clouds."""
    layout = [(f.name, f.offset, f.datatype) for f in msg.fields]
    if layout != list(_FIELDS) or msg.point_step != WIRE_DTYPE.itemsize or msg.is_bigendian:
        raise EventFormatError(f'not an event cloud: fields {layout}, point_step {msg.point_step}')
    frame, _, size = msg.header.frame_id.partition('#')[0].rpartition(':')
    try:
        width, height = (int(v) for v in size.split('x'))
    except ValueError as exc:
        raise EventFormatError(
            f"event cloud frame_id {msg.header.frame_id!r} lacks ':<width>x<height>'"
        ) from exc
    data = bytes(msg.data)
    n = int(msg.width) * int(msg.height)
    if len(data) != n * WIRE_DTYPE.itemsize:
        raise EventFormatError(
            f'event cloud holds {len(data)} bytes, expected {n * WIRE_DTYPE.itemsize}'
        )
    wire = np.frombuffer(data, dtype=WIRE_DTYPE)
    out = np.empty(n, dtype=EVENT_DTYPE)
    out['x'], out['y'], out['p'] = wire['x'], wire['y'], wire['p']
    out['t'] = (
        wire['t'].astype(np.int64)
        + msg.header.stamp.sec * 1_000_000
        + msg.header.stamp.nanosec // 1000
    )
    return out, (width, height)


def first_event_index(msg: PointCloud2) -> int | None:
    """
    Return the stream index of the packet's first event.

    Or None when the publisher gives none.
    """
    _, sep, index = msg.header.frame_id.rpartition('#')
    if not sep:
        return None
    if not index.isdigit():
        raise EventFormatError(
            f"event cloud frame_id {msg.header.frame_id!r}: '#' must be followed by an index"
        )
    return int(index)
