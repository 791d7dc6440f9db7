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
``event_replay``: plays an event recording as a camera would publish it.

Reads any recording :mod:`snn_control.events.io` supports (AEDAT4, Prophesee RAW, a
rosbag2 of EventPackets), cuts it into packets of ``packet_us`` of sensor time (at most
``max_events_per_packet`` events each: bursts are split, never dropped) and publishes them
on ``events`` (``sensor_msgs/PointCloud2``, see :mod:`snn_control.ros.event_codec`) at their
recorded pace times ``rate_scale``; ``loop`` starts over at the end. Each packet carries
the stream index of its first event, so a subscriber counts what it missed. With
``wait_for_subscribers`` N the replay starts once N subscribers have listened for a second
(``node_base.DISCOVERY_SETTLE_S``; the shipped graphs and launch files wait for 1). A
recording that cannot be read stops the node at start-up with the reason (exit code 2).
"""

from __future__ import annotations

import time
from typing import Any, Sequence

import numpy as np
from sensor_msgs.msg import PointCloud2
from snn_control.ros.event_codec import encode_events
from snn_control.ros.node_base import ParameterError, run_node, SENSOR_QOS, SnnNode


def packet_bounds(t: np.ndarray, packet_us: int, max_events: int) -> list[tuple[int, int]]:
    """[start, stop) index ranges: consecutive time windows, long ones split by count."""
    if t.size == 0:
        return []
    window = (t - t[0]) // packet_us
    starts = np.flatnonzero(np.diff(window)) + 1
    edges = np.concatenate([[0], starts, [t.size]])
    bounds = []
    for a, b in zip(edges[:-1], edges[1:]):
        for s in range(int(a), int(b), max_events):
            bounds.append((s, min(s + max_events, int(b))))
    return bounds


class EventReplayNode(SnnNode):
    """Diagnostics: ``published_events``, ``unheard_events`` (published while nobody listened)."""

    NODE_NAME = 'event_replay'

    def __init__(self) -> None:
        super().__init__()
        from snn_control.events.io import EventFormatError, read_events

        path = self.param('path')
        if not path:
            raise ParameterError(
                "node 'event_replay': parameter 'path' is empty; give a recording"
            )
        try:
            self.stream = read_events(path)
        except (OSError, EventFormatError) as exc:
            raise ParameterError(f"node 'event_replay': cannot read {path}: {exc}") from exc
        if self.param('packet_us') <= 0 or self.param('max_events_per_packet') <= 0:
            raise ParameterError(
                "node 'event_replay': packet_us and max_events_per_packet must be positive"
            )
        events = self.stream.events
        self.size = self.stream.sensor_size or (
            int(events['x'].max()) + 1,
            int(events['y'].max()) + 1,
        )
        self.bounds = packet_bounds(
            events['t'], int(self.param('packet_us')), int(self.param('max_events_per_packet'))
        )
        self.pub = self.create_publisher(PointCloud2, 'events', SENSOR_QOS)
        self.next_packet, self.published_events, self.start = 0, 0, None
        self.unheard_events = 0  # published while nobody subscribed: lost to every listener
        self.waiting = int(self.param('wait_for_subscribers')) > 0
        # Wake four times per packet (1-50 ms), not at a fixed 1 kHz: packets go out on time
        # to a quarter of their span without the node spinning when nothing is due.
        period_s = float(
            np.clip(self.param('packet_us') / self.param('rate_scale') / 4e6, 0.001, 0.05)
        )
        self.create_timer(period_s, self.tick)
        self.get_logger().info(f'{len(events)} events in {len(self.bounds)} packets from {path}')

    def tick(self) -> None:
        if self.waiting:
            if not self.listeners_ready(self.pub, 'events'):
                return
            self.waiting = False
        if self.next_packet >= len(self.bounds):
            if not self.param('loop') or not self.bounds:
                return
            self.next_packet, self.start = 0, None
        events = self.stream.events
        t0 = int(events['t'][0])
        if self.start is None:
            self.start = time.monotonic()
        elapsed_us = (time.monotonic() - self.start) * 1e6 * self.param('rate_scale')
        while self.next_packet < len(self.bounds):
            a, b = self.bounds[self.next_packet]
            if events['t'][a] - t0 > elapsed_us:
                break
            if self.pub.get_subscription_count() == 0:
                self.unheard_events += b - a
            self.pub.publish(
                encode_events(events[a:b], self.size, self.param('frame_id'), first_index=a)
            )
            self.published_events += b - a
            self.count('messages_out')
            self.next_packet += 1
        if self.next_packet == len(self.bounds) and not self.param('loop'):
            self.get_logger().info(f'recording played: {self.published_events} events')

    def diagnostic_values(self) -> dict[str, Any]:
        return {
            'waiting_for_subscribers': self.waiting,
            'published_events': self.published_events,
            'unheard_events': self.unheard_events,
            'packets_left': len(self.bounds) - self.next_packet,
        }


def main(args: Sequence[str] | None = None) -> int:
    return run_node(EventReplayNode, args)


if __name__ == '__main__':
    raise SystemExit(main())
