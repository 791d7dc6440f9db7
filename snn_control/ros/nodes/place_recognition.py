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
``place_recognition``: localises camera images in a place map (ensemble of spiking networks).

Subscribes ``image`` (``sensor_msgs/Image``: mono8, mono16, rgb8 or bgr8, of the size the
map was built from). Per image it publishes

* ``~/place`` (``std_msgs/Int32``): the index of the matched reference place;
* ``~/frame`` (``std_msgs/Int32``): that place's reference frame number;
* ``~/confidence`` (``std_msgs/Float32``): the margin of the best place score over the
  second best, relative to the best, in [0, 1] (0: nothing fired, or a tie);
* ``~/pose`` (``geometry_msgs/PoseWithCovarianceStamped``, only when the map holds
  reference poses): the matched place's pose, position standard deviation
  ``position_std_m / max(confidence, 0.05)``;
* ``~/spikes``: every spike of the excitatory neurons during the image's presentation
  (``spike_codec.encode_spike_raster``; population ``exc``, module-major, ``t`` in units
  of ``step_s``).

Rejected with a counted, rate-limited warning, nothing published for it: other encodings,
a data size that does not match the header, images of another size than the map's.

``sequence_length`` N > 1: each answer weighs the last N images' place scores along the
route (SeqSLAM-style diagonal, :func:`snn_control.vpr.metrics.sequence_scores`), for a
camera that travels the mapped route at the reference's pace.

``adapt_statistics``: the query statistics (per-pixel mean and spread of the query
traversal, see :mod:`snn_control.vpr.features`) follow the incoming images as an
exponential moving average with ``statistics_rate`` per image, starting from the map's
calibration values; off by default, so a node answers like ``snn-control query``.

A managed node: ``configure`` loads the map, answers flow while active; ``autostart``
brings it to active.
"""

from __future__ import annotations

from collections import deque
from typing import Any, Sequence

from geometry_msgs.msg import PoseWithCovarianceStamped
import numpy as np
from sensor_msgs.msg import Image, PointCloud2
from snn_control.ros.image_codec import decode_gray, ImageDecodeError
from snn_control.ros.node_base import COMMAND_QOS, ManagedSnnNode, run_node, SENSOR_QOS
from snn_control.ros.spike_codec import encode_spike_raster
from std_msgs.msg import Float32, Int32


class PlaceRecognitionNode(ManagedSnnNode):
    NODE_NAME = 'place_recognition'

    def __init__(self) -> None:
        super().__init__()
        self.place_map = None
        self.answered = 0

    def configure(self) -> None:
        from snn_control.vpr.place_map import load_map, shipped_map_path

        self.place_map, path = self.load_file('map', shipped_map_path(), load_map)
        self.stats = self.place_map.query_stats
        self.history: deque[np.ndarray] = deque(maxlen=int(self.param('sequence_length')))
        self.place_pub = self.configured_publisher(Int32, '~/place', COMMAND_QOS)
        self.frame_pub = self.configured_publisher(Int32, '~/frame', COMMAND_QOS)
        self.confidence_pub = self.configured_publisher(Float32, '~/confidence', COMMAND_QOS)
        self.pose_pub = (
            self.configured_publisher(PoseWithCovarianceStamped, '~/pose', COMMAND_QOS)
            if self.place_map.poses is not None
            else None
        )
        self.spike_pub = self.configured_publisher(PointCloud2, '~/spikes', SENSOR_QOS)
        self.configured_subscription(Image, 'image', self.on_image, SENSOR_QOS)
        e = self.place_map.ensemble
        h, w = self.place_map.image_shape
        self.get_logger().info(
            f'map {path}: {e.n_places} places, {e.n_modules} modules, {e.n_neurons} neurons; '
            f'expects {w}x{h} images'
        )

    def cleanup(self) -> None:
        self.place_map = None

    def on_activated(self) -> None:
        self.history.clear()

    def diagnostic_values(self) -> dict[str, Any]:
        values = {**super().diagnostic_values(), 'answered': self.answered}
        if self.place_map is not None:
            values.update(
                places=self.place_map.ensemble.n_places, backend='torch (ensemble kernel)'
            )
        return values

    def on_image(self, msg: Image) -> None:
        self.count('messages_in')
        if self.active:
            self.latency.timed(self.answer, msg)

    def answer(self, msg: Image) -> None:
        from snn_control.vpr.ensemble import place_scores, spike_raster
        from snn_control.vpr.features import input_rates
        from snn_control.vpr.metrics import sequence_scores
        from snn_control.vpr.place_map import best_places

        try:
            gray = decode_gray(msg)
        except ImageDecodeError as exc:
            self.rejected.reject('bad image', str(exc))
            return
        if gray.shape != self.place_map.image_shape:
            h, w = self.place_map.image_shape
            self.rejected.reject(
                'wrong size', f"image is {gray.shape[1]}x{gray.shape[0]}, the map's are {w}x{h}"
            )
            return
        patches = self.place_map.patches(gray)
        if self.param('adapt_statistics'):
            self.stats = self.stats.updated(patches[0], self.param('statistics_rate'))
        rates = input_rates(patches, self.stats, self.place_map.preprocessing)
        counts, raster = spike_raster(self.place_map.ensemble, rates)
        self.history.append(place_scores(self.place_map.ensemble, counts).numpy()[0])
        scores = sequence_scores(np.stack(self.history), len(self.history))[-1:]
        best, confidence = best_places(scores)
        place, conf = int(best[0]), float(confidence[0])
        self.place_pub.publish(Int32(data=place))
        self.frame_pub.publish(Int32(data=int(self.place_map.frames[place])))
        self.confidence_pub.publish(Float32(data=conf))
        self.count('messages_out', 3)
        if self.pose_pub is not None:
            self.pose_pub.publish(self._pose(place, conf, msg))
            self.count('messages_out')
        if self.param('publish_spikes'):
            self.spike_pub.publish(
                encode_spike_raster(
                    {'exc': raster[0].numpy()},
                    self.param('step_s'),
                    network='vpr_ensemble',
                    stamp=msg.header.stamp,
                )
            )
            self.count('messages_out')
        self.answered += 1

    def _pose(self, place: int, confidence: float, msg: Image) -> PoseWithCovarianceStamped:
        x, y, z, qx, qy, qz, qw = (float(v) for v in self.place_map.poses[place])
        out = PoseWithCovarianceStamped()
        out.header.stamp = msg.header.stamp
        out.header.frame_id = self.param('map_frame')
        p, o = out.pose.pose.position, out.pose.pose.orientation
        p.x, p.y, p.z, o.x, o.y, o.z, o.w = x, y, z, qx, qy, qz, qw
        var = (self.param('position_std_m') / max(confidence, 0.05)) ** 2
        cov = np.zeros((6, 6))
        cov[:3, :3] = np.eye(3) * var
        cov[3:, 3:] = np.eye(3) * (np.pi / 4) ** 2  # heading of a matched place: +/- 45 degrees
        out.pose.covariance = cov.reshape(-1).tolist()
        return out


def main(args: Sequence[str] | None = None) -> int:
    return run_node(PlaceRecognitionNode, args)


if __name__ == '__main__':
    raise SystemExit(main())
