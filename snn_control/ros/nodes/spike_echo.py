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
``spike_echo``: subscribe a spike topic and log decoded firing per population.

Like ``ros2 topic echo`` for spikes, but decoded: every ``report_period_s`` it logs, per
population, the spikes and the fraction of neurons that fired per message.
"""

from __future__ import annotations

from typing import Sequence

from sensor_msgs.msg import PointCloud2
from snn_control.ros.node_base import run_node, SENSOR_QOS, SnnNode
from snn_control.ros.spike_codec import to_population_vectors


class SpikeEchoNode(SnnNode):
    NODE_NAME = 'spike_echo'

    def __init__(self) -> None:
        super().__init__()
        self.messages = 0
        self.fired: dict[str, list[int]] = {}
        self.create_subscription(PointCloud2, 'spikes', self.on_spikes, SENSOR_QOS)
        self.create_timer(self.param('report_period_s'), self.report)

    def on_spikes(self, msg: PointCloud2) -> None:
        self.count('messages_in')
        try:
            vectors = to_population_vectors(msg)
        except ValueError as exc:
            self.rejected.reject('malformed', str(exc))
            return
        self.messages += 1
        for name, fired in vectors.items():
            total = self.fired.setdefault(name, [0, fired.size])
            total[0] += int(fired.sum())

    def report(self) -> None:
        if not self.messages:
            return
        parts = [
            f'{name}: {spikes} spikes ({spikes / (size * self.messages):.1%} per neuron per tick)'
            for name, (spikes, size) in self.fired.items()
        ]
        self.get_logger().info(f'{self.messages} messages; ' + '; '.join(parts))
        self.messages, self.fired = 0, {}


def main(args: Sequence[str] | None = None) -> int:
    return run_node(SpikeEchoNode, args)


if __name__ == '__main__':
    raise SystemExit(main())
