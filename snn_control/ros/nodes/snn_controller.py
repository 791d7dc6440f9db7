"""``snn_controller``: altitude in, motor command out, spikes on the side.

Subscribes ``altitude`` (``sensor_msgs/Range``, sensor QoS) and ``altitude_setpoint``
(``std_msgs/Float64``); on every valid altitude sample it steps the controller with
``error = setpoint - altitude`` and publishes ``motor_command`` (``std_msgs/Float64``,
reliable QoS) and, for spiking controllers, ``~/spikes`` (see ``spike_codec``).

Rejected with a counted, rate-limited warning (the node keeps running, the sample is
dropped, no command is published for it): NaN/inf or out-of-range altitude (outside the
message's own [min_range, max_range]), a setpoint outside [min_setpoint_m, max_setpoint_m]
(the last valid setpoint stays in force). When no valid altitude arrives for
``sensor_timeout_s``, the watchdog publishes the controller's safe command and resets it.
"""
from __future__ import annotations

import math
from typing import Sequence

import numpy as np
from sensor_msgs.msg import PointCloud2, Range
from std_msgs.msg import Float64

from snn_control.controllers.registry import make_controller
from snn_control.ros.node_base import (COMMAND_QOS, SENSOR_QOS, RateLimitedCounter, SnnNode, Watchdog,
                                       run_node)
from snn_control.ros.spike_codec import encode_spikes


class SnnControllerNode(SnnNode):
    NODE_NAME = "snn_controller"
    PARAMETERS = {
        "controller": ("blimp_snn", "controller name in snn_control.controllers.registry", None),
        "controller.*": (None, "the controller's own parameters", None),
        "control_dt": (0.1, "control period the controller was designed for (s)", (1e-4, 10.0)),
        "initial_setpoint_m": (1.0, "setpoint used until one arrives (m)", (-1e3, 1e3)),
        "min_setpoint_m": (0.1, "lowest accepted setpoint (m): the flight envelope", (-1e3, 1e3)),
        "max_setpoint_m": (3.0, "highest accepted setpoint (m): the flight envelope", (-1e3, 1e3)),
        "sensor_timeout_s": (0.5, "silence after which the safe command is published (s)", (1e-3, 60.0)),
        "publish_spikes": (True, "publish spikes on ~/spikes", None),
    }

    def __init__(self) -> None:
        super().__init__(self.NODE_NAME)
        name = self.param("controller")
        try:
            self.controller = make_controller(name, self.param("control_dt"), **self.namespace_params("controller"))
        except (ValueError, TypeError, OSError) as exc:
            from snn_control.ros.node_base import ParameterError

            raise ParameterError(f"node {self.NODE_NAME!r}: cannot build controller {name!r}: {exc}") from exc
        self.setpoint = float(self.param("initial_setpoint_m"))
        self.rejected = RateLimitedCounter(self)
        self.commands_published = 0
        self.command_pub = self.create_publisher(Float64, "motor_command", COMMAND_QOS)
        self.spike_pub = None
        if self.param("publish_spikes") and self.controller.spike_populations():
            self.spike_pub = self.create_publisher(PointCloud2, "~/spikes", SENSOR_QOS)
        self.create_subscription(Range, "altitude", self.on_altitude, SENSOR_QOS)
        self.create_subscription(Float64, "altitude_setpoint", self.on_setpoint, COMMAND_QOS)
        self.watchdog = Watchdog(self, self.param("sensor_timeout_s"), self.on_silence)
        self.get_logger().info(f"controller {name!r} ready ({type(self.controller).__name__})")

    def on_setpoint(self, msg: Float64) -> None:
        value = msg.data
        lo, hi = self.param("min_setpoint_m"), self.param("max_setpoint_m")
        if not math.isfinite(value) or not lo <= value <= hi:
            self.rejected.reject("setpoint", f"setpoint {value} outside the flight envelope [{lo}, {hi}] m")
            return
        self.setpoint = value

    def on_altitude(self, msg: Range) -> None:
        z = msg.range
        if not math.isfinite(z):
            self.rejected.reject("non-finite", f"altitude {z}")
            return
        if not msg.min_range <= z <= msg.max_range:
            self.rejected.reject("out-of-range", f"altitude {z} m outside [{msg.min_range}, {msg.max_range}]")
            return
        self.watchdog.feed()
        command = float(self.controller.step(np.array([self.setpoint - z]))[0])
        self.publish_command(command)
        if self.spike_pub is not None:
            self.spike_pub.publish(encode_spikes(self.controller.last_spikes(), network=self.param("controller"),
                                                 stamp=msg.header.stamp))

    def publish_command(self, value: float) -> None:
        self.command_pub.publish(Float64(data=value))
        self.commands_published += 1

    def on_silence(self, quiet_s: float) -> None:
        self.get_logger().warning(f"no valid altitude for {quiet_s:.2f} s: publishing the safe command",
                                  throttle_duration_sec=2.0)
        self.controller.reset()
        self.publish_command(float(self.controller.safe_command()[0]))

    def on_shutdown(self) -> None:
        self.publish_command(float(self.controller.safe_command()[0]))


def main(args: Sequence[str] | None = None) -> int:
    return run_node(SnnControllerNode, args)


if __name__ == "__main__":
    raise SystemExit(main())
