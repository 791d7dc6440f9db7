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
What the simulated altitude plants share on ROS 2.

A Gymnasium altitude environment stepped in (scaled) real time, as a robot would appear.

Every ``control_dt / rate_scale`` wall-clock seconds the node steps its environment with the
latest ``motor_command`` (``std_msgs/Float64``; sample and hold; the safe zero command
until one arrives or when commands stop for ``command_timeout_s`` of simulated time) and
publishes

* ``altitude`` (``sensor_msgs/Range``): the measured altitude, the sensor's own limits in
  ``min_range``/``max_range``;
* ``altitude_setpoint`` (``std_msgs/Float64``): the profile's setpoint;
* ``~/ground_truth`` (``geometry_msgs/PointStamped``): the true altitude in ``point.z``,
  what a motion-capture system would give (evaluation only; controllers must not use it);
* ``/clock`` (``rosgraph_msgs/Clock``): the simulated time, for nodes run with
  ``use_sim_time``.

All stamps are simulated time since the start of the profile, as in Gazebo. With
``wait_for_subscribers`` > 0 the simulation holds (time frozen, nothing published) until that
many subscribers listen to ``altitude`` and a ``motor_command`` publisher exists, and a second
more for DDS discovery to finish on the subscribers' side, so that a recorder or controller
started alongside misses nothing of the profile whatever DDS discovery takes.
With ``lockstep_timeout_s`` > 0 the plant runs in lockstep with its controller, as Gazebo's
lockstep does: after publishing an altitude it steps again only once a command has arrived
since, or once that many wall-clock seconds have passed (then with the held command, counted
as ``late_commands``). A loaded machine then slows the simulation instead of changing the
flight, so a flight over ROS 2 is the offline loop's whatever the scheduling (off by
default: a real-time plant, as a robot would appear). ``sensor_fails_at_s`` >= 0 injects a
sensor failure: from that simulated time on, no
``altitude`` is published. Non-finite commands are rejected and counted. When the profile is
over the plant stops stepping and publishing and logs its last state.
"""

from __future__ import annotations

import math
import time

from builtin_interfaces.msg import Time
from geometry_msgs.msg import PointStamped
import gymnasium as gym
import numpy as np
from rosgraph_msgs.msg import Clock
from sensor_msgs.msg import Range
from snn_control.ros.node_base import CLOCK_QOS, COMMAND_QOS, SENSOR_QOS, SnnNode
from std_msgs.msg import Float64


def sim_stamp(seconds: float) -> Time:
    nanoseconds = int(round(seconds * 1e9))
    return Time(sec=nanoseconds // 1_000_000_000, nanosec=nanoseconds % 1_000_000_000)


class AltitudePlantNode(SnnNode):
    """Subclasses name their schema (``NODE_NAME``) and build the environment in ``make_env``."""

    #: (min_range, max_range) of the altitude sensor (m)
    SENSOR_RANGE = (0.1, 12.0)

    def __init__(self) -> None:
        super().__init__()
        self.env = self.make_env()
        self.obs, info = self.env.reset(seed=int(self.param('seed')))
        self.sim_time = 0.0
        self.true_altitude = float(info['altitude'])
        self.command = 0.0
        self.last_command_sim_time = -math.inf
        self.finished = False
        self.waiting = int(self.param('wait_for_subscribers')) > 0
        # lockstep: the wall-clock time the last altitude went out, None once it is answered
        self.unanswered_since: float | None = None
        self.range_pub = self.create_publisher(Range, 'altitude', SENSOR_QOS)
        self.setpoint_pub = self.create_publisher(Float64, 'altitude_setpoint', COMMAND_QOS)
        self.truth_pub = self.create_publisher(PointStamped, '~/ground_truth', COMMAND_QOS)
        self.clock_pub = self.create_publisher(Clock, '/clock', CLOCK_QOS)
        self.create_subscription(Float64, 'motor_command', self.on_command, COMMAND_QOS)
        self.create_timer(self.param('control_dt') / self.param('rate_scale'), self.tick)
        if not self.waiting:
            self.publish_observation()

    def make_env(self) -> gym.Env:
        raise NotImplementedError

    def on_command(self, msg: Float64) -> None:
        self.count('messages_in')
        if not math.isfinite(msg.data):
            self.rejected.reject('non-finite', f'command {msg.data}')
            return
        self.command = msg.data
        self.last_command_sim_time = self.sim_time
        self.unanswered_since = None

    def tick(self) -> None:
        if self.finished:
            return
        if self.waiting:
            controller_up = self.count_publishers(self.resolve_topic_name('motor_command')) >= 1
            if not self.listeners_ready(
                self.range_pub, 'altitude (and a motor_command publisher)', controller_up
            ):
                return
            # The initial state goes out now; the next tick steps with the answer to it,
            # exactly as in the offline loop.
            self.waiting = False
            self.publish_observation()
            return
        if self.unanswered_since is not None and self.param('lockstep_timeout_s') > 0:
            if time.monotonic() - self.unanswered_since < self.param('lockstep_timeout_s'):
                return  # time frozen until the controller answers the last altitude
            self.count('late_commands')
        silent = self.sim_time - self.last_command_sim_time > self.param('command_timeout_s')
        self.obs, _, _, truncated, info = self.env.step(
            np.array([0.0 if silent else self.command])
        )
        self.sim_time, self.true_altitude = float(info['time']), float(info['altitude'])
        self.publish_observation()
        if truncated:
            self.finished = True
            self.get_logger().info(
                f'profile finished at t = {self.sim_time:.1f} s, altitude '
                f'{self.true_altitude:.3f} m'
            )

    def publish_observation(self) -> None:
        stamp = sim_stamp(self.sim_time)
        self.clock_pub.publish(Clock(clock=stamp))
        truth = PointStamped()
        truth.header.stamp, truth.header.frame_id = stamp, 'world'
        truth.point.z = self.true_altitude
        self.truth_pub.publish(truth)
        self.setpoint_pub.publish(Float64(data=float(self.obs[1])))
        msg = Range()
        msg.header.stamp, msg.header.frame_id = stamp, self.param('frame_id')
        msg.radiation_type = Range.INFRARED
        msg.field_of_view = 0.0349  # 2 degrees, a small LiDAR
        msg.min_range, msg.max_range = self.SENSOR_RANGE
        msg.range = float(self.obs[0])
        self.count('messages_out', 3)
        fails_at = self.param('sensor_fails_at_s')
        if 0 <= fails_at <= self.sim_time:
            self.count('altitude_withheld')  # the injected sensor failure
            return
        self.range_pub.publish(msg)
        self.count('messages_out')
        self.unanswered_since = time.monotonic()

    def diagnostic_values(self) -> dict[str, object]:
        return {
            'sim_time_s': round(self.sim_time, 3),
            'waiting_for_subscribers': self.waiting,
            'finished': self.finished,
            'altitude_m': round(self.true_altitude, 4),
        }
