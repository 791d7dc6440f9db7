"""``place_recognition``: localises camera images in a place map (ensemble of spiking networks).

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
"""
from __future__ import annotations

from collections import deque
from typing import Sequence

import numpy as np
from geometry_msgs.msg import PoseWithCovarianceStamped
from sensor_msgs.msg import Image, PointCloud2
from std_msgs.msg import Float32, Int32

from snn_control.ros.image_codec import ImageDecodeError, decode_gray
from snn_control.ros.node_base import SENSOR_QOS, ParameterError, RateLimitedCounter, SnnNode, run_node
from snn_control.ros.spike_codec import encode_spike_raster


class PlaceRecognitionNode(SnnNode):
    PARAMETERS = {
        "map": ("", "place map (.npz) from `snn-control train vpr`; empty: the shipped Nordland map "
                    "(first 500 places)", None),
        "publish_spikes": (True, "publish spikes on ~/spikes", None),
        "map_frame": ("map", "frame of the reference poses", None),
        "position_std_m": (5.0, "position standard deviation at confidence 1 (m)", (1e-3, 1e4)),
        "adapt_statistics": (False, "follow the query traversal's statistics online", None),
        "statistics_rate": (0.01, "moving-average rate per image of the adapted statistics", (1e-5, 1.0)),
        "sequence_length": (1, "match sequences of the last N images (SeqSLAM-style; 1: single images)", None),
        "step_s": (0.35 / 100, "time of one network step on the spike topic (s)", (1e-6, 1.0)),
    }

    def __init__(self) -> None:
        super().__init__("place_recognition")
        from snn_control.vpr.place_map import load_map, shipped_map_path

        self.place_map, path = self.load_file("map", shipped_map_path(), load_map)
        self.stats = self.place_map.query_stats
        if self.param("sequence_length") < 1:
            raise ParameterError(f"node 'place_recognition': sequence_length must be at least 1, "
                                 f"got {self.param('sequence_length')}")
        self.history: deque[np.ndarray] = deque(maxlen=int(self.param("sequence_length")))
        self.rejected = RateLimitedCounter(self)
        self.answered = 0
        self.place_pub = self.create_publisher(Int32, "~/place", 10)
        self.frame_pub = self.create_publisher(Int32, "~/frame", 10)
        self.confidence_pub = self.create_publisher(Float32, "~/confidence", 10)
        self.pose_pub = (self.create_publisher(PoseWithCovarianceStamped, "~/pose", 10)
                         if self.place_map.poses is not None else None)
        self.spike_pub = self.create_publisher(PointCloud2, "~/spikes", SENSOR_QOS) if self.param("publish_spikes") else None
        self.create_subscription(Image, "image", self.on_image, SENSOR_QOS)
        e = self.place_map.ensemble
        h, w = self.place_map.image_shape
        self.get_logger().info(f"map {path}: {e.n_places} places, {e.n_modules} modules, {e.n_neurons} neurons; "
                               f"expects {w}x{h} images")

    def on_image(self, msg: Image) -> None:
        from snn_control.vpr.ensemble import place_scores, spike_raster
        from snn_control.vpr.features import input_rates
        from snn_control.vpr.metrics import sequence_scores
        from snn_control.vpr.place_map import best_places

        try:
            gray = decode_gray(msg)
        except ImageDecodeError as exc:
            self.rejected.reject("bad image", str(exc))
            return
        if gray.shape != self.place_map.image_shape:
            h, w = self.place_map.image_shape
            self.rejected.reject("wrong size", f"image is {gray.shape[1]}x{gray.shape[0]}, the map's are {w}x{h}")
            return
        patches = self.place_map.patches(gray)
        if self.param("adapt_statistics"):
            self.stats = self.stats.updated(patches[0], self.param("statistics_rate"))
        rates = input_rates(patches, self.stats, self.place_map.preprocessing)
        counts, raster = spike_raster(self.place_map.ensemble, rates)
        self.history.append(place_scores(self.place_map.ensemble, counts).numpy()[0])
        scores = sequence_scores(np.stack(self.history), len(self.history))[-1:]
        best, confidence = best_places(scores)
        place, conf = int(best[0]), float(confidence[0])
        self.place_pub.publish(Int32(data=place))
        self.frame_pub.publish(Int32(data=int(self.place_map.frames[place])))
        self.confidence_pub.publish(Float32(data=conf))
        if self.pose_pub is not None:
            self.pose_pub.publish(self._pose(place, conf, msg))
        if self.spike_pub is not None:
            self.spike_pub.publish(encode_spike_raster({"exc": raster[0].numpy()}, self.param("step_s"),
                                                       network="vpr_ensemble", stamp=msg.header.stamp))
        self.answered += 1

    def _pose(self, place: int, confidence: float, msg: Image) -> PoseWithCovarianceStamped:
        x, y, z, qx, qy, qz, qw = (float(v) for v in self.place_map.poses[place])
        out = PoseWithCovarianceStamped()
        out.header.stamp = msg.header.stamp
        out.header.frame_id = self.param("map_frame")
        p, o = out.pose.pose.position, out.pose.pose.orientation
        p.x, p.y, p.z, o.x, o.y, o.z, o.w = x, y, z, qx, qy, qz, qw
        var = (self.param("position_std_m") / max(confidence, 0.05)) ** 2
        cov = np.zeros((6, 6))
        cov[:3, :3] = np.eye(3) * var
        cov[3:, 3:] = np.eye(3) * (np.pi / 4) ** 2   # heading of a matched place: +/- 45 degrees
        out.pose.covariance = cov.reshape(-1).tolist()
        return out


def main(args: Sequence[str] | None = None) -> int:
    return run_node(PlaceRecognitionNode, args)


if __name__ == "__main__":
    raise SystemExit(main())
