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
The spike topic encoding, shared by every node, and its decoder.

Spikes travel as ``sensor_msgs/PointCloud2`` (a standard type: custom messages would need
CMake and a build farm our users may not have). One message carries the spikes of one
network tick; each point is one spike:

=============  ========  =================================================================
field          datatype  meaning
=============  ========  =================================================================
``t``          FLOAT32   seconds after ``header.stamp`` (0 when the tick has one step)
``neuron``     UINT32    neuron index within its population
``population`` UINT16    index into the population list
=============  ========  =================================================================

``height = 1``, ``width`` = number of spikes, little-endian, dense. ``header.frame_id``
carries the population list as ``"<network>:<pop0>=<size0>,<pop1>=<size1>,..."``, so every
message is self-describing (no companion topic, no latching to get wrong) and a subscriber
can rebuild full boolean vectors. QoS: sensor data (best effort, keep last 5): a late
spike message is worth nothing.

A tick of several network steps (one image presentation of the place-recognition
ensemble) carries every spike of those steps, each with its own ``t``
(``encode_spike_raster``).

Decoding: ``decode_spikes(msg)`` returns a structured numpy array with the three fields
and ``to_population_vectors(msg)`` the boolean vector of each population.
"""

from __future__ import annotations

from typing import Mapping

import numpy as np
from sensor_msgs.msg import PointCloud2, PointField

SPIKE_DTYPE = np.dtype([('t', '<f4'), ('neuron', '<u4'), ('population', '<u2')])
_FIELDS = (
    ('t', 0, PointField.FLOAT32),
    ('neuron', 4, PointField.UINT32),
    ('population', 8, PointField.UINT16),
)
POINT_STEP = SPIKE_DTYPE.itemsize  # 10 bytes, packed


def population_header(network: str, populations: Mapping[str, int]) -> str:
    """Return the ``frame_id`` describing the populations: ``"net:enc=40,hid=110"``."""
    for name in [network, *populations]:
        if any(c in name for c in ':,='):
            raise ValueError(
                f"names in the spike header may not contain ':', ',' or '=': {name!r}"
            )
    return network + ':' + ','.join(f'{name}={int(size)}' for name, size in populations.items())


def parse_population_header(frame_id: str) -> tuple[str, dict[str, int]]:
    """Inverse of :func:`population_header`; raises ValueError for a malformed header."""
    network, sep, rest = frame_id.partition(':')
    if not sep:
        raise ValueError(f"spike header {frame_id!r} lacks 'network:' prefix")
    populations: dict[str, int] = {}
    for item in filter(None, rest.split(',')):
        name, eq, size = item.partition('=')
        if not eq or not size.isdigit():
            raise ValueError(f"spike header entry {item!r} is not 'name=size'")
        populations[name] = int(size)
    return network, populations


def encode_spikes(
    spikes: Mapping[str, np.ndarray],
    network: str = 'snn',
    stamp=None,
    times: Mapping[str, np.ndarray] | None = None,
) -> PointCloud2:
    """
    One PointCloud2 from boolean spike vectors per population (vectorised, no per-spike loop).

    ``times`` optionally gives, per population, the time offset (s) of each neuron's spike.
    """
    names = list(spikes)
    sizes = {name: int(np.asarray(spikes[name]).size) for name in names}
    chunks = []
    for index, name in enumerate(names):
        fired = np.flatnonzero(np.asarray(spikes[name]).reshape(-1))
        chunk = np.empty(fired.size, dtype=SPIKE_DTYPE)
        chunk['neuron'] = fired
        chunk['population'] = index
        chunk['t'] = (
            0.0
            if times is None or name not in times
            else np.asarray(times[name]).reshape(-1)[fired]
        )
        chunks.append(chunk)
    points = np.concatenate(chunks) if chunks else np.empty(0, dtype=SPIKE_DTYPE)
    return _spike_cloud(points, population_header(network, sizes), stamp)


def encode_spike_raster(
    rasters: Mapping[str, np.ndarray], step_s: float, network: str = 'snn', stamp=None
) -> PointCloud2:
    """
    Encode ``(steps, neurons)`` boolean rasters per population as one PointCloud2.

    The spikes of a tick of several network steps (e.g. one image presentation), ``t = step *
    step_s``.
    """
    sizes, chunks = {}, []
    for index, (name, raster) in enumerate(rasters.items()):
        raster = np.asarray(raster)
        if raster.ndim != 2:
            raise ValueError(f'raster {name!r} must be (steps, neurons), got shape {raster.shape}')
        sizes[name] = raster.shape[1]
        steps, neurons = np.nonzero(raster)
        chunk = np.empty(steps.size, dtype=SPIKE_DTYPE)
        chunk['t'], chunk['neuron'], chunk['population'] = steps * step_s, neurons, index
        chunks.append(chunk)
    points = np.concatenate(chunks) if chunks else np.empty(0, dtype=SPIKE_DTYPE)
    return _spike_cloud(points, population_header(network, sizes), stamp)


def _spike_cloud(points: np.ndarray, frame_id: str, stamp) -> PointCloud2:
    msg = PointCloud2()
    if stamp is not None:
        msg.header.stamp = stamp
    msg.header.frame_id = frame_id
    msg.height = 1
    msg.width = int(points.size)
    msg.fields = [PointField(name=n, offset=o, datatype=d, count=1) for n, o, d in _FIELDS]
    msg.is_bigendian = False
    msg.point_step = POINT_STEP
    msg.row_step = POINT_STEP * msg.width
    msg.data = points.tobytes()
    msg.is_dense = True
    return msg


def decode_spikes(msg: PointCloud2) -> np.ndarray:
    """Return the spikes of a message as a structured array (``t``, ``neuron``, ``population``)."""
    layout = [(f.name, f.offset, f.datatype) for f in msg.fields]
    if layout != list(_FIELDS):
        raise ValueError(f'not a spike cloud: fields {layout} differ from {list(_FIELDS)}')
    if msg.is_bigendian:
        raise ValueError('big-endian spike clouds are not supported')
    if msg.point_step != POINT_STEP:
        raise ValueError(f'spike cloud point_step is {msg.point_step}, expected {POINT_STEP}')
    n = int(msg.width) * int(msg.height)
    data = bytes(msg.data)
    if len(data) != n * POINT_STEP:
        raise ValueError(
            f'spike cloud holds {len(data)} bytes but width*height*point_step = {n * POINT_STEP}'
        )
    return np.frombuffer(data, dtype=SPIKE_DTYPE)


def to_population_vectors(msg: PointCloud2) -> dict[str, np.ndarray]:
    """Boolean spike vector per population, sized from the header; checks index ranges."""
    _, populations = parse_population_header(msg.header.frame_id)
    points = decode_spikes(msg)
    names = list(populations)
    if points.size and points['population'].max() >= len(names):
        raise ValueError(
            f"spike cloud references population {int(points['population'].max())} "
            f'but the header lists {len(names)}'
        )
    out = {}
    for index, name in enumerate(names):
        vector = np.zeros(populations[name], dtype=bool)
        neurons = points['neuron'][points['population'] == index]
        if neurons.size and neurons.max() >= vector.size:
            raise ValueError(
                f'spike cloud has neuron {int(neurons.max())} in population {name!r} of size '
                f'{vector.size}'
            )
        vector[neurons] = True
        out[name] = vector
    return out
