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
``ncap_controller``: the spiking NCAP (or the rate NCAP) driving a swimmer over ROS 2.

Subscribes ``joint_states`` (``sensor_msgs/JointState``), publishes ``joint_commands``
(``std_msgs/Float64MultiArray``, one effort per joint in [-1, 1]) and, for the spiking
NCAP, its spikes on ``~/spikes`` (see ``spike_codec``). Each joint state is one control
tick; the head oscillator counts these ticks.

The joint names must be exactly ``joint_names`` (any order: they are matched by name).
Rejected with a counted, rate-limited warning, no command published for it: unknown or
missing joint names, lengths that differ between names and positions, NaN/inf angles,
a joint state older than ``sensor_timeout_s`` by its stamp. When the last valid joint
state is older than ``sensor_timeout_s`` on the node's clock, the watchdog publishes zero
effort and resets the network and the oscillator.

A managed node: ``configure`` loads the controller, outputs flow while active, zero effort
is published on deactivate and on shutdown; ``autostart`` brings it to active.
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np
from sensor_msgs.msg import JointState, PointCloud2
from snn_control.ros.node_base import COMMAND_QOS, ManagedSnnNode, run_node, SENSOR_QOS
from std_msgs.msg import Float64MultiArray


class NcapControllerNode(ManagedSnnNode):
    NODE_NAME = 'ncap_controller'

    def __init__(self) -> None:
        super().__init__()
        self.controller = None
        self.joint_names = list(self.param('joint_names'))
        self.n = len(self.joint_names)
        self.tick_count = 0

    def configure(self) -> None:
        from snn_control.engine.backends import backend_target
        from snn_control.swimmer.controllers import load_swimmer_controller, shipped_path

        kind = self.param('controller')
        self.controller, path = self.load_file(
            'weights',
            # a backend for one chip runs the NCAP born for it (xylo, xylosim: Xylo v2)
            shipped_path(kind, backend_target(self.param('backend'))),
            lambda path: load_swimmer_controller(
                path, n_links=self.n + 1, backend=self.param('backend')
            ),
        )
        self.command_pub = self.configured_publisher(
            Float64MultiArray, 'joint_commands', COMMAND_QOS
        )
        self.spike_pub = (
            self.configured_publisher(PointCloud2, '~/spikes', SENSOR_QOS)
            if self.controller.spike_populations()
            else None
        )
        self.configured_subscription(JointState, 'joint_states', self.on_joint_state, SENSOR_QOS)
        self.watchdog = self.configured_watchdog(
            lambda: self.param('sensor_timeout_s'), self.on_silence
        )
        self.get_logger().info(
            f'{kind} for {self.n} joints configured from {path} '
            f'(backend {self.controller.backend})'
        )

    def on_activated(self) -> None:
        self.controller.reset()
        self.tick_count = 0
        self.watchdog.restart()

    def cleanup(self) -> None:
        self.controller.close()
        self.controller = None

    def on_joint_state(self, msg: JointState) -> None:
        self.count('messages_in')
        if not self.active:
            return
        if len(msg.name) != len(msg.position):
            self.rejected.reject(
                'malformed', f'{len(msg.name)} names but {len(msg.position)} positions'
            )
            return
        index = {name: k for k, name in enumerate(msg.name)}
        unknown = sorted(set(index) - set(self.joint_names))
        missing = [j for j in self.joint_names if j not in index]
        if unknown:
            self.rejected.reject(
                'unknown joint', f'unknown joints {unknown} (expected {self.joint_names})'
            )
            return
        if missing:
            self.rejected.reject('missing joint', f'missing joints {missing}')
            return
        angles = np.array([msg.position[index[j]] for j in self.joint_names])
        if not np.all(np.isfinite(angles)):
            self.rejected.reject('non-finite', f'joint angles {angles.tolist()}')
            return
        if not self.watchdog.take(msg.header.stamp, self.rejected, 'joint state'):
            return
        observation = np.concatenate([angles, np.zeros(self.n + 2), [float(self.tick_count)]])
        self.tick_count += 1
        command = self.latency.timed(self.controller.step, observation)
        self.publish_effort(command.tolist())
        self.publish_tick_spikes(self.spike_pub, self.controller, msg.header.stamp)

    def publish_effort(self, effort: list[float]) -> None:
        self.command_pub.publish(Float64MultiArray(data=effort))
        self.count('messages_out')

    def on_silence(self, quiet_s: float) -> None:
        if not self.active:
            return
        self.get_logger().warning(
            f'no valid joint state for {quiet_s:.2f} s: zero effort', throttle_duration_sec=2.0
        )
        self.controller.reset()
        self.tick_count = 0
        self.publish_effort([0.0] * self.n)
        self.count('safe_commands')

    def safe_output(self) -> None:
        if self.controller is not None:
            self.publish_effort([0.0] * self.n)

    def diagnostic_values(self) -> dict[str, Any]:
        values = {**super().diagnostic_values(), 'controller': self.param('controller')}
        if self.controller is not None:
            values.update(backend=self.controller.backend, watchdog=self.watchdog.state())
        return values


def main(args: Sequence[str] | None = None) -> int:
    return run_node(NcapControllerNode, args)


if __name__ == '__main__':
    raise SystemExit(main())
