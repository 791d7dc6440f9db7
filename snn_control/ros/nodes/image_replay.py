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
``image_replay``: plays a folder of images (``images-<frame>.png``) as a camera.

Publishes ``image`` (``sensor_msgs/Image``, ``encoding`` mono8, mono16, rgb8 or bgr8) at
``rate_hz``, in frame order (once ``wait_for_subscribers`` subscribers have listened to
``image`` for a second, when that is set: the shipped graphs and launch files wait for 1),
and ``~/frame`` (``std_msgs/Int32``, the frame number of the image just published, for
ground truth). ``loop`` starts over at the end; otherwise the
node logs once and stays up. A folder that cannot be read stops the node at start-up with
the reason (exit code 2).
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np
from sensor_msgs.msg import Image
from snn_control.ros.image_codec import CHANNELS, encode_image
from snn_control.ros.node_base import ParameterError, run_node, SENSOR_QOS, SnnNode
from std_msgs.msg import Int32


class ImageReplayNode(SnnNode):
    NODE_NAME = 'image_replay'

    def __init__(self) -> None:
        super().__init__()
        from snn_control.vpr.data import load_folder, VprDataError

        folder, encoding = self.param('folder'), self.param('encoding')
        if not folder:
            raise ParameterError(
                "node 'image_replay': parameter 'folder' is empty; give an image folder"
            )
        if encoding not in CHANNELS:
            raise ParameterError(
                f"node 'image_replay': encoding {encoding!r} is not one of {sorted(CHANNELS)}"
            )
        try:
            self.images = load_folder(folder, 'RGB' if CHANNELS[encoding] == 3 else 'L')
        except VprDataError as exc:
            raise ParameterError(f"node 'image_replay': {exc}") from exc
        if not 0 <= self.param('start_index') < len(self.images.frames):
            raise ParameterError(
                f"node 'image_replay': start_index {self.param('start_index')} outside "
                f'0..{len(self.images.frames) - 1}'
            )
        self.encoding = encoding
        self.next_index = int(self.param('start_index'))
        self.published = 0
        self.unheard = 0  # images published while nobody subscribed
        self.waiting = int(self.param('wait_for_subscribers')) > 0
        self.pub = self.create_publisher(Image, 'image', SENSOR_QOS)
        self.frame_pub = self.create_publisher(Int32, '~/frame', SENSOR_QOS)
        self.create_timer(1.0 / self.param('rate_hz'), self.tick)
        self.get_logger().info(
            f"{len(self.images.frames)} images from {folder} at {self.param('rate_hz')} Hz "
            f'as {encoding}'
        )

    def tick(self) -> None:
        if self.waiting:
            if not self.listeners_ready(self.pub, 'image'):
                return
            self.waiting = False
        if self.next_index >= len(self.images.frames):
            if not self.param('loop'):
                return
            self.next_index = 0
        pixels = self.images.images[self.next_index]
        if self.encoding == 'mono16':
            pixels = (
                pixels.astype(np.uint16) * 257
            )  # full 16-bit range; the high byte is the 8-bit value
        if self.pub.get_subscription_count() == 0:
            self.unheard += 1
        self.pub.publish(
            encode_image(
                pixels, self.encoding, self.param('frame_id'), self.get_clock().now().to_msg()
            )
        )
        self.count('messages_out')
        self.frame_pub.publish(Int32(data=int(self.images.frames[self.next_index])))
        self.published += 1
        self.next_index += 1
        if self.next_index == len(self.images.frames) and not self.param('loop'):
            self.get_logger().info(f'folder played: {self.published} images')

    def diagnostic_values(self) -> dict[str, Any]:
        return {
            'waiting_for_subscribers': self.waiting,
            'published_images': self.published,
            'unheard_images': self.unheard,
            'images_left': len(self.images.frames) - self.next_index,
        }


def main(args: Sequence[str] | None = None) -> int:
    return run_node(ImageReplayNode, args)


if __name__ == '__main__':
    raise SystemExit(main())
