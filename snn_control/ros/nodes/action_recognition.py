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
``action_recognition``: recognises actions in a live event stream with SpikePoint.

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
every case is counted (``rejected`` in the periodic status log and on ``/diagnostics``)
and warned about at a limited rate. Packets that carry their stream index (what
``event_replay`` publishes) also tell how many events never arrived (``missed_events``).

A managed node: ``configure`` loads the weights, windows are classified while active;
``autostart`` brings it to active.
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np
from sensor_msgs.msg import PointCloud2
from snn_control.ros.node_base import (
    COMMAND_QOS,
    ManagedSnnNode,
    ParameterError,
    run_node,
    SENSOR_QOS,
)
from snn_control.ros.spike_codec import encode_spike_raster
from std_msgs.msg import Float32, Int32, String


def event_packet_type():
    """``event_camera_msgs/EventPacket`` if installed, else None."""
    try:
        from event_camera_msgs.msg import EventPacket
    except ImportError:
        return None
    return EventPacket


class ActionRecognitionNode(ManagedSnnNode):
    NODE_NAME = 'action_recognition'

    def __init__(self) -> None:
        super().__init__()
        self.classifier = None
        self.windows = 0
        self.missed_events = 0  # known from gaps in the packets' event indices
        self._next_index: int | None = None

    def configure(self) -> None:
        from snn_control.events.spikepoint import load_classifier, shipped_classifier_path
        from snn_control.events.stream import WindowedStream

        self.classifier, path = self.load_file(
            'weights', shipped_classifier_path(), load_classifier
        )
        try:
            self.stream = WindowedStream(
                self.classifier.sensor_size,
                int(self.param('window_us')),
                int(self.param('step_us')),
                int(self.param('max_buffer_events')),
            )
        except ValueError as exc:
            raise ParameterError(f'node {self.get_name()!r}: {exc}') from exc
        choice = self.param('input')
        packet_type = event_packet_type()
        if choice == 'event_packet' and packet_type is None:
            raise ParameterError(
                f"node {self.get_name()!r}: input 'event_packet' needs event_camera_msgs, "
                'which is not installed (use point_cloud)'
            )
        if choice == 'event_packet' or (choice == 'auto' and packet_type is not None):
            from snn_control.events.io import Evt3Decoder

            self.decoder = Evt3Decoder()
            self.configured_subscription(packet_type, 'events', self.on_packet, SENSOR_QOS)
            kind = 'event_camera_msgs/EventPacket'
        else:
            self.configured_subscription(PointCloud2, 'events', self.on_cloud, SENSOR_QOS)
            kind = 'sensor_msgs/PointCloud2'
        self.action_pub = self.configured_publisher(String, '~/action', COMMAND_QOS)
        self.label_pub = self.configured_publisher(Int32, '~/label', COMMAND_QOS)
        self.confidence_pub = self.configured_publisher(Float32, '~/confidence', COMMAND_QOS)
        self.spike_pub = self.configured_publisher(PointCloud2, '~/spikes', SENSOR_QOS)
        self._status_timer = self.create_timer(self.param('status_period_s'), self.log_status)
        width, height = self.classifier.sensor_size
        self.get_logger().info(
            f'SpikePoint {path}: {len(self.classifier.class_names)} actions, {width}x{height} '
            f'sensor, events as {kind}'
        )

    def cleanup(self) -> None:
        self.destroy_timer(self._status_timer)
        self.classifier = None

    def diagnostic_values(self) -> dict[str, Any]:
        values = {
            **super().diagnostic_values(),
            'windows': self.windows,
            'missed_events': self.missed_events,
        }
        if self.classifier is not None:
            device = next(self.classifier.model.parameters()).device
            values['backend'] = f'torch (SpikePoint on {device})'
            values.update({f'stream.{k}': v for k, v in self.stream.rejected.items()})
        return values

    def on_cloud(self, msg: PointCloud2) -> None:
        from snn_control.events.io import EventFormatError
        from snn_control.ros.event_codec import decode_events, first_event_index

        self.count('messages_in')
        if not self.active:
            return
        try:
            events, size = decode_events(msg)
            first = first_event_index(msg)
        except EventFormatError as exc:
            self.rejected.reject('bad event cloud', str(exc))
            return
        self._account(first, len(events))
        if size != tuple(self.classifier.sensor_size):
            self.rejected.reject(
                'sensor size',
                f'packet from a {size[0]}x{size[1]} sensor, the recogniser expects '
                f'{self.classifier.sensor_size[0]}x{self.classifier.sensor_size[1]}',
            )
            return
        self.on_events(events)

    def on_packet(self, msg) -> None:
        from snn_control.events.io import decode_packet, EventFormatError

        self.count('messages_in')
        if not self.active:
            return
        try:
            events, _ = decode_packet(
                msg.encoding,
                bytes(msg.events),
                msg.time_base,
                bool(msg.is_bigendian),
                self.decoder,
            )
        except EventFormatError as exc:
            self.rejected.reject('bad event packet', str(exc))
            return
        self.on_events(events)

    def _account(self, first: int | None, n: int) -> None:
        """Count the events that packets between the last one and this one carried."""
        if first is None:
            return
        if self._next_index is not None and first > self._next_index:
            missed = first - self._next_index
            self.missed_events += missed
            self.rejected.reject(
                'missed events', f'{missed} events never arrived ({self.missed_events} in all)'
            )
        # first < expected: the publisher started its stream again (a loop or a new replay)
        self._next_index = first + n

    def on_events(self, events: np.ndarray) -> None:
        before = dict(self.stream.rejected)
        windows = self.stream.push(events)
        for reason, count in self.stream.rejected.items():
            if count > before[reason]:
                self.rejected.reject(
                    reason, f'{count - before[reason]} in this packet ({count} in all)'
                )
        if not windows:
            return
        labels, confidences, votes = self.latency.timed(
            self.classifier.classify_with_votes, [w.events for w in windows]
        )
        for label, confidence, vote in zip(labels, confidences, votes):
            name = self.classifier.class_names[label] if label >= 0 else 'none'
            self.action_pub.publish(String(data=name))
            self.label_pub.publish(Int32(data=int(label)))
            self.confidence_pub.publish(Float32(data=float(confidence)))
            self.count('messages_out', 3)
            if self.param('publish_spikes'):
                self.spike_pub.publish(
                    encode_spike_raster(
                        {'votes': vote}, self.param('step_s'), network='spikepoint'
                    )
                )
                self.count('messages_out')
            self.windows += 1

    def log_status(self) -> None:
        self.get_logger().info(
            f'{self.windows} windows classified; rejected: '
            f'{dict(self.stream.rejected)}, packets: {self.rejected.counts}; '
            f'{self.missed_events} events missed'
        )


def main(args: Sequence[str] | None = None) -> int:
    return run_node(ActionRecognitionNode, args)


if __name__ == '__main__':
    raise SystemExit(main())
