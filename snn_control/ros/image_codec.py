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
``sensor_msgs/Image`` to and from numpy, for the image nodes.

Decoding accepts ``mono8``, ``mono16``, ``rgb8`` and ``bgr8`` (what cameras and
``image_replay`` publish) and returns grayscale uint8 the way the image-folder loader reads
files: colour through PIL's ITU-R 601-2 luma, 16-bit by keeping the high byte. Any other
encoding, a ``step`` shorter than a row, or a data size that does not match the header
raises :class:`ImageDecodeError` with the reason.
"""

from __future__ import annotations

import numpy as np
from sensor_msgs.msg import Image

CHANNELS = {'mono8': 1, 'mono16': 1, 'rgb8': 3, 'bgr8': 3}
BYTES_PER_CHANNEL = {'mono8': 1, 'mono16': 2, 'rgb8': 1, 'bgr8': 1}


class ImageDecodeError(ValueError):
    """An Image message that cannot be turned into a grayscale picture."""


def decode_gray(msg: Image) -> np.ndarray:
    """(height, width) uint8 grayscale from a mono8/mono16/rgb8/bgr8 Image message."""
    from PIL import Image as PilImage

    enc = msg.encoding
    if enc not in CHANNELS:
        raise ImageDecodeError(
            f"unsupported image encoding {enc!r}; supported: {', '.join(CHANNELS)}"
        )
    h, w = int(msg.height), int(msg.width)
    row = w * CHANNELS[enc] * BYTES_PER_CHANNEL[enc]
    if h == 0 or w == 0:
        raise ImageDecodeError(f'empty image ({w}x{h})')
    if msg.step < row:
        raise ImageDecodeError(
            f'step {msg.step} is shorter than a row of {w} {enc} pixels ({row} bytes)'
        )
    data = bytes(msg.data)
    if len(data) != msg.step * h:
        raise ImageDecodeError(
            f'{len(data)} bytes of data, header says {msg.step} x {h} = {msg.step * h}'
        )
    rows = np.frombuffer(data, np.uint8).reshape(h, msg.step)[:, :row]
    if enc == 'mono8':
        return rows.copy()
    if enc == 'mono16':
        order = '>u2' if msg.is_bigendian else '<u2'
        return (rows.copy().view(order).reshape(h, w) >> 8).astype(np.uint8)
    rgb = rows.reshape(h, w, 3)
    if enc == 'bgr8':
        rgb = rgb[:, :, ::-1]
    return np.asarray(PilImage.fromarray(np.ascontiguousarray(rgb), 'RGB').convert('L'))


def encode_image(pixels: np.ndarray, encoding: str, frame_id: str = 'camera', stamp=None) -> Image:
    """Return an Image message from (h, w) uint8/uint16 or (h, w, 3) uint8 RGB pixels."""
    if encoding not in CHANNELS:
        raise ImageDecodeError(
            f"unsupported image encoding {encoding!r}; supported: {', '.join(CHANNELS)}"
        )
    pixels = np.asarray(pixels)
    if encoding == 'bgr8':
        pixels = pixels[:, :, ::-1]
    dtype = np.dtype('<u2') if encoding == 'mono16' else np.dtype(np.uint8)
    pixels = np.ascontiguousarray(pixels, dtype=dtype)
    msg = Image()
    if stamp is not None:
        msg.header.stamp = stamp
    msg.header.frame_id = frame_id
    msg.height, msg.width = int(pixels.shape[0]), int(pixels.shape[1])
    msg.encoding = encoding
    msg.is_bigendian = 0
    msg.step = msg.width * CHANNELS[encoding] * BYTES_PER_CHANNEL[encoding]
    msg.data = pixels.tobytes()
    return msg
