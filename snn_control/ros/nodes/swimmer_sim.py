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
``swimmer_sim``: the N-link MuJoCo swimmer (``snn_control.sim.swimmer``) on ROS 2.

Every ``control_dt / rate_scale`` wall-clock seconds (0.03 s simulated) the node steps the
swimmer with the latest effort command and publishes

* ``joint_states`` (``sensor_msgs/JointState``): names ``joint_0`` .. ``joint_{n-2}`` (head
  to tail), positions (rad) and velocities (rad/s);
* ``~/forward_velocity`` (``std_msgs/Float64``): the head's forward speed (m/s), the swim
  task's measure (evaluation only);
* ``/clock``: simulated time (all stamps are simulated time).

Commands arrive on ``joint_commands`` as ``std_msgs/Float64MultiArray``, one effort per
joint in [-1, 1] in joint order, as ros2_control's forward command controller takes them.
Rejected with a counted, rate-limited warning: a wrong number of entries, NaN/inf. Out of
range efforts are saturated. When commands stop for ``command_timeout_s`` of simulated
time the swimmer gets zero effort.
"""

from __future__ import annotations

import math
from typing import Sequence

import numpy as np
from rosgraph_msgs.msg import Clock
from sensor_msgs.msg import JointState
from snn_control.ros.node_base import (
    CLOCK_QOS,
    COMMAND_QOS,
    ParameterError,
    run_node,
    SENSOR_QOS,
    SnnNode,
)
from snn_control.ros.plant_node import sim_stamp
from snn_control.sim.swimmer import SwimmerEnv
from snn_control.sim.swimmer.env import CONTROL_DT
from std_msgs.msg import Float64, Float64MultiArray


class SwimmerSimNode(SnnNode):
    NODE_NAME = 'swimmer_sim'

    def __init__(self) -> None:
        super().__init__()
        try:
            self.env = SwimmerEnv(
                int(self.param('links')), episode_steps=int(self.param('episode_steps'))
            )
        except ValueError as exc:
            raise ParameterError(f"node 'swimmer_sim': {exc}") from exc
        self.obs, _ = self.env.reset(seed=int(self.param('seed')))
        self.names = [f'joint_{i}' for i in range(self.env.n_joints)]
        self.effort = np.zeros(self.env.n_joints)
        self.sim_time, self.last_command_time, self.finished = 0.0, -math.inf, False
        self.state_pub = self.create_publisher(JointState, 'joint_states', SENSOR_QOS)
        self.speed_pub = self.create_publisher(Float64, '~/forward_velocity', COMMAND_QOS)
        self.clock_pub = self.create_publisher(Clock, '/clock', CLOCK_QOS)
        self.create_subscription(Float64MultiArray, 'joint_commands', self.on_command, COMMAND_QOS)
        self.create_timer(CONTROL_DT / self.param('rate_scale'), self.tick)
        self.get_logger().info(
            f'swimmer with {self.env.n_links} links ({self.env.n_joints} joints) ready'
        )

    def on_command(self, msg: Float64MultiArray) -> None:
        self.count('messages_in')
        values = np.asarray(msg.data, dtype=float)
        if values.size != self.env.n_joints:
            self.rejected.reject('length', f'{values.size} efforts for {self.env.n_joints} joints')
            return
        if not np.all(np.isfinite(values)):
            self.rejected.reject('non-finite', f'efforts {values.tolist()}')
            return
        self.effort = np.clip(values, -1.0, 1.0)
        self.last_command_time = self.sim_time

    def tick(self) -> None:
        if self.finished:
            return
        silent = self.sim_time - self.last_command_time > self.param('command_timeout_s')
        self.obs, _, _, truncated, info = self.env.step(
            np.zeros(self.env.n_joints) if silent else self.effort
        )
        self.sim_time += CONTROL_DT
        stamp = sim_stamp(self.sim_time)
        self.clock_pub.publish(Clock(clock=stamp))
        self.speed_pub.publish(Float64(data=info['forward_velocity']))
        msg = JointState()
        msg.header.stamp = stamp
        msg.name = self.names
        n = self.env.n_joints
        msg.position = self.obs[:n].tolist()
        msg.velocity = self.obs[n:2 * n].tolist()
        self.state_pub.publish(msg)
        self.count('messages_out', 3)
        if truncated:
            self.finished = True
            self.get_logger().info(f'episode finished after {self.env.steps} steps')


def main(args: Sequence[str] | None = None) -> int:
    return run_node(SwimmerSimNode, args)


if __name__ == '__main__':
    raise SystemExit(main())
