"""``action_recognition``: recognises actions in a live event stream with SpikePoint.

Subscribes ``events``: ``event_camera_msgs/EventPacket`` (``evt3``) when that message
package is installed, otherwise ``sensor_msgs/PointCloud2`` with x, y, t, p fields
(:mod:`snn_control.ros.event_codec`; what ``event_replay`` publishes); ``input`` chooses
explicitly. Events are cut into windows of ``window_us`` every ``step_us`` of sensor time
(:class:`~snn_control.events.stream.WindowedStream`); for each window it publishes

* ``~/action`` (``std_msgs/String``): the class name (``"none"`` for a window without events);
* ``~/label`` (``std_msgs/Int32``): its index (-1: none);
* ``~/confidence`` (``std_msgs/Float32``): the winner's share of the votes, in [0, 1];
* ``~/spikes``: the voting neurons' spikes over the network's timesteps (spike topic
  encoding, population ``votes``, ``t`` in units of ``step_s``).

Bad input never stops the node: packets of unknown encodings or malformed clouds are
rejected whole, events outside the sensor, out of order or beyond the buffer are dropped;
every case is counted (``rejected`` in the periodic status log) and warned about at a
limited rate.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np
from sensor_msgs.msg import PointCloud2
from std_msgs.msg import Float32, Int32, String

from snn_control.ros.node_base import SENSOR_QOS, ParameterError, RateLimitedCounter, SnnNode, run_node
from snn_control.ros.spike_codec import encode_spike_raster


def event_packet_type():
    """``event_camera_msgs/EventPacket`` if installed, else None."""
    try:
        from event_camera_msgs.msg import EventPacket
    except ImportError:
        return None
    return EventPacket


class ActionRecognitionNode(SnnNode):
    PARAMETERS = {
        "weights": ("", "SpikePoint weights (.npz); empty: the shipped gesture recogniser", None),
        "input": ("auto", "auto, event_packet or point_cloud", None),
        "window_us": (500_000, "window length (sensor time, us)", None),
        "step_us": (250_000, "window step (us)", None),
        "max_buffer_events": (2_000_000, "events held at most; older ones are dropped and counted", None),
        "publish_spikes": (True, "publish the voting neurons' spikes on ~/spikes", None),
        "step_s": (0.001, "time of one network step on the spike topic (s)", (1e-6, 1.0)),
        "status_period_s": (5.0, "period of the status log (s)", (0.1, 3600.0)),
    }

    def __init__(self) -> None:
        super().__init__("action_recognition")
        from snn_control.events.spikepoint import load_classifier, shipped_classifier_path
        from snn_control.events.stream import WindowedStream

        self.classifier, path = self.load_file("weights", shipped_classifier_path(), load_classifier)
        try:
            self.stream = WindowedStream(self.classifier.sensor_size, int(self.param("window_us")),
                                         int(self.param("step_us")), int(self.param("max_buffer_events")))
        except ValueError as exc:
            raise ParameterError(f"node 'action_recognition': {exc}") from exc
        choice = self.param("input")
        packet_type = event_packet_type()
        if choice not in ("auto", "event_packet", "point_cloud"):
            raise ParameterError(f"node 'action_recognition': input must be auto, event_packet or point_cloud, "
                                 f"got {choice!r}")
        if choice == "event_packet" and packet_type is None:
            raise ParameterError("node 'action_recognition': input 'event_packet' needs event_camera_msgs, "
                                 "which is not installed (use point_cloud)")
        self.rejected = RateLimitedCounter(self)
        self.windows = 0
        if choice == "event_packet" or (choice == "auto" and packet_type is not None):
            from snn_control.events.io import Evt3Decoder

            self.decoder = Evt3Decoder()
            self.create_subscription(packet_type, "events", self.on_packet, SENSOR_QOS)
            kind = "event_camera_msgs/EventPacket"
        else:
            self.create_subscription(PointCloud2, "events", self.on_cloud, SENSOR_QOS)
            kind = "sensor_msgs/PointCloud2"
        self.action_pub = self.create_publisher(String, "~/action", 10)
        self.label_pub = self.create_publisher(Int32, "~/label", 10)
        self.confidence_pub = self.create_publisher(Float32, "~/confidence", 10)
        self.spike_pub = self.create_publisher(PointCloud2, "~/spikes", SENSOR_QOS) if self.param("publish_spikes") else None
        self.create_timer(self.param("status_period_s"), self.log_status)
        width, height = self.classifier.sensor_size
        self.get_logger().info(f"SpikePoint {path}: {len(self.classifier.class_names)} actions, {width}x{height} "
                               f"sensor, events as {kind}")

    def on_cloud(self, msg: PointCloud2) -> None:
        from snn_control.events.io import EventFormatError
        from snn_control.ros.event_codec import decode_events

        try:
            events, size = decode_events(msg)
        except EventFormatError as exc:
            self.rejected.reject("bad event cloud", str(exc))
            return
        if size != tuple(self.classifier.sensor_size):
            self.rejected.reject("sensor size", f"packet from a {size[0]}x{size[1]} sensor, the recogniser expects "
                                                f"{self.classifier.sensor_size[0]}x{self.classifier.sensor_size[1]}")
            return
        self.on_events(events)

    def on_packet(self, msg) -> None:
        from snn_control.events.io import EventFormatError, decode_packet

        try:
            events, _ = decode_packet(msg.encoding, bytes(msg.events), msg.time_base, bool(msg.is_bigendian),
                                      self.decoder)
        except EventFormatError as exc:
            self.rejected.reject("bad event packet", str(exc))
            return
        self.on_events(events)

    def on_events(self, events: np.ndarray) -> None:
        before = dict(self.stream.rejected)
        windows = self.stream.push(events)
        for reason, count in self.stream.rejected.items():
            if count > before[reason]:
                self.rejected.reject(reason, f"{count - before[reason]} in this packet ({count} in all)")
        if not windows:
            return
        labels, confidences, votes = self.classifier.classify_with_votes([w.events for w in windows])
        for label, confidence, vote in zip(labels, confidences, votes):
            name = self.classifier.class_names[label] if label >= 0 else "none"
            self.action_pub.publish(String(data=name))
            self.label_pub.publish(Int32(data=int(label)))
            self.confidence_pub.publish(Float32(data=float(confidence)))
            if self.spike_pub is not None:
                self.spike_pub.publish(encode_spike_raster({"votes": vote}, self.param("step_s"),
                                                           network="spikepoint"))
            self.windows += 1

    def log_status(self) -> None:
        self.get_logger().info(f"{self.windows} windows classified; rejected: "
                               f"{dict(self.stream.rejected)}, packets: {self.rejected.counts}")


def main(args: Sequence[str] | None = None) -> int:
    return run_node(ActionRecognitionNode, args)


if __name__ == "__main__":
    raise SystemExit(main())
