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
``snn_controller``: altitude in, motor command out, spikes on the side (a managed node).

Subscribes ``altitude`` (``sensor_msgs/Range``, sensor QoS) and ``altitude_setpoint``
(``std_msgs/Float64``); while active, on every valid altitude sample it steps the
controller with ``error = setpoint - altitude`` and publishes ``motor_command``
(``std_msgs/Float64``, reliable QoS) and, for spiking controllers, ``~/spikes`` (see
``spike_codec``).

Lifecycle: ``configure`` builds the controller (loads its networks), ``activate`` starts
the outputs from a reset controller, ``deactivate`` and ``shutdown`` publish the safe
command once; ``autostart`` (default true) does configure and activate at start-up.

Rejected with a counted, rate-limited warning (the node keeps running, the sample is
dropped, no command is published for it): NaN/inf altitude, a reading outside the
message's own [min_range, max_range] or outside the configured sensor limits
[min_altitude_m, max_altitude_m], a stale sample (older than ``sensor_timeout_s`` by its
stamp), a setpoint outside [min_setpoint_m, max_setpoint_m] (the last valid setpoint stays
in force). When the last valid altitude is older than ``sensor_timeout_s`` on the node's
clock (sim time with ``use_sim_time``), the watchdog publishes the controller's safe
command and resets it.
"""

from __future__ import annotations

import math
from typing import Any, Sequence

import numpy as np
from sensor_msgs.msg import PointCloud2, Range
from snn_control.controllers.registry import make_controller
from snn_control.ros.node_base import (
    COMMAND_QOS,
    ManagedSnnNode,
    ParameterError,
    run_node,
    SENSOR_QOS,
)
from std_msgs.msg import Float64


class SnnControllerNode(ManagedSnnNode):
    NODE_NAME = 'snn_controller'

    def __init__(self) -> None:
        super().__init__()
        self.controller = None
        self.watchdog = None
        self.setpoint = float(self.param('initial_setpoint_m'))

    def configure(self) -> None:
        name = self.param('controller')
        try:
            self.controller = make_controller(
                name, self.param('control_dt'), **self.namespace_params('controller')
            )
        except (ValueError, TypeError, OSError) as exc:
            raise ParameterError(
                f'node {self.get_name()!r}: cannot build controller {name!r}: {exc}'
            ) from exc
        self.command_pub = self.configured_publisher(Float64, 'motor_command', COMMAND_QOS)
        self.spike_pub = (
            self.configured_publisher(PointCloud2, '~/spikes', SENSOR_QOS)
            if self.controller.spike_populations()
            else None
        )
        self.configured_subscription(Range, 'altitude', self.on_altitude, SENSOR_QOS)
        self.configured_subscription(Float64, 'altitude_setpoint', self.on_setpoint, COMMAND_QOS)
        self.watchdog = self.configured_watchdog(
            lambda: self.param('sensor_timeout_s'), self.on_silence
        )
        self.get_logger().info(
            f'controller {name!r} configured ({type(self.controller).__name__}, '
            f'backend {self.controller.backend})'
        )

    def on_activated(self) -> None:
        self.controller.reset()
        self.watchdog.restart()

    def cleanup(self) -> None:
        self.controller.close()
        self.controller = None

    def on_setpoint(self, msg: Float64) -> None:
        self.count('messages_in')
        value = msg.data
        lo, hi = self.param('min_setpoint_m'), self.param('max_setpoint_m')
        if not math.isfinite(value) or not lo <= value <= hi:
            self.rejected.reject(
                'setpoint', f'setpoint {value} outside the flight envelope [{lo}, {hi}] m'
            )
            return
        self.setpoint = value

    def on_altitude(self, msg: Range) -> None:
        self.count('messages_in')
        if not self.active:
            return
        z = msg.range
        if not math.isfinite(z):
            self.rejected.reject('non-finite', f'altitude {z}')
            return
        if not msg.min_range <= z <= msg.max_range:
            self.rejected.reject(
                'out-of-range',
                f"altitude {z} m outside the message's [{msg.min_range}, " f'{msg.max_range}]',
            )
            return
        lo, hi = self.param('min_altitude_m'), self.param('max_altitude_m')
        if not lo <= z <= hi:
            self.rejected.reject(
                'outside sensor limits', f"altitude {z} m outside the sensor's [{lo}, {hi}] m"
            )
            return
        if not self.watchdog.take(msg.header.stamp, self.rejected, 'altitude sample'):
            return
        command = float(self.latency.timed(self.controller.step, np.array([self.setpoint - z]))[0])
        self.publish_command(command)
        self.publish_tick_spikes(self.spike_pub, self.controller, msg.header.stamp)

    def publish_command(self, value: float) -> None:
        self.command_pub.publish(Float64(data=value))
        self.count('messages_out')
        self.count('commands')

    def on_silence(self, quiet_s: float) -> None:
        if not self.active:
            return
        self.get_logger().warning(
            f'no valid altitude for {quiet_s:.2f} s: publishing the safe command',
            throttle_duration_sec=2.0,
        )
        self.controller.reset()
        self.publish_command(float(self.controller.safe_command()[0]))
        self.count('safe_commands')

    def safe_output(self) -> None:
        if self.controller is not None:
            self.publish_command(float(self.controller.safe_command()[0]))

    def diagnostic_values(self) -> dict[str, Any]:
        values = super().diagnostic_values()
        values.update(controller=self.param('controller'), setpoint_m=self.setpoint)
        if self.controller is not None:
            values.update(backend=self.controller.backend, watchdog=self.watchdog.state())
        return values


def main(args: Sequence[str] | None = None) -> int:
    return run_node(SnnControllerNode, args)


if __name__ == '__main__':
    raise SystemExit(main())
