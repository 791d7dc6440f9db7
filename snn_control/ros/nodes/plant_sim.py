"""``plant_sim``: a simulated plant in (scaled) real time, as a robot would appear on ROS 2.

Steps the hover environment (``snn_control.sim.hover``) every ``control_dt / rate_scale``
seconds with the latest ``motor_command`` (sample and hold; the safe zero command until
one arrives or when commands stop for ``command_timeout_s``), and publishes the measured
altitude as ``sensor_msgs/Range`` on ``altitude`` and the profile's setpoint as
``std_msgs/Float64`` on ``altitude_setpoint``. Non-finite commands are rejected and
counted. When the profile is over the plant stops stepping and publishing (the last
state is logged).
"""
from __future__ import annotations

import math
import time
from typing import Sequence

import numpy as np
from sensor_msgs.msg import Range
from std_msgs.msg import Float64

from snn_control.ros.node_base import COMMAND_QOS, SENSOR_QOS, RateLimitedCounter, SnnNode, run_node
from snn_control.sim.hover import HoverEnv


class PlantSimNode(SnnNode):
    PARAMETERS = {
        "control_dt": (0.05, "simulated control period (s)", (1e-3, 10.0)),
        "rate_scale": (1.0, "simulated seconds per wall-clock second", (0.01, 100.0)),
        "setpoints": ([1.0, 1.5], "setpoint profile: altitudes (m), each held segment_s", None),
        "segment_s": (10.0, "duration of each setpoint (s)", (0.1, 1e4)),
        "initial_altitude_m": (0.5, "start altitude (m)", (0.0, 3.0)),
        "net_buoyancy_n": (0.0, "net buoyancy (N, negative sinks)", (-1.0, 1.0)),
        "seed": (0, "random seed of the sensor noise", None),
        "frame_id": ("lidar", "frame of the altitude sensor", None),
        "command_timeout_s": (0.5, "hold zero thrust after this much command silence (s)", (1e-3, 60.0)),
    }

    def __init__(self) -> None:
        super().__init__("plant_sim")
        altitudes = [float(a) for a in self.param("setpoints")]
        self.env = HoverEnv(setpoints=[(self.param("segment_s"), a) for a in altitudes],
                            control_dt=self.param("control_dt"), initial_altitude=self.param("initial_altitude_m"),
                            net_buoyancy_n=self.param("net_buoyancy_n"))
        self.obs, _ = self.env.reset(seed=int(self.param("seed")))
        self.command = 0.0
        self.last_command_time = -math.inf
        self.finished = False
        self.rejected = RateLimitedCounter(self)
        self.range_pub = self.create_publisher(Range, "altitude", SENSOR_QOS)
        self.setpoint_pub = self.create_publisher(Float64, "altitude_setpoint", COMMAND_QOS)
        self.create_subscription(Float64, "motor_command", self.on_command, COMMAND_QOS)
        self.create_timer(self.param("control_dt") / self.param("rate_scale"), self.tick)
        self.publish_observation()

    def on_command(self, msg: Float64) -> None:
        if not math.isfinite(msg.data):
            self.rejected.reject("non-finite", f"command {msg.data}")
            return
        self.command = msg.data
        self.last_command_time = time.monotonic()

    def tick(self) -> None:
        if self.finished:
            return
        silent = time.monotonic() - self.last_command_time > self.param("command_timeout_s") / self.param("rate_scale")
        self.obs, _, _, truncated, info = self.env.step(np.array([0.0 if silent else self.command]))
        self.publish_observation()
        if truncated:
            self.finished = True
            self.get_logger().info(f"profile finished at t = {info['time']:.1f} s, altitude {info['altitude']:.3f} m")

    def publish_observation(self) -> None:
        msg = Range()
        msg.header.stamp = self.get_clock().now().to_msg()
        msg.header.frame_id = self.param("frame_id")
        msg.radiation_type = Range.INFRARED
        msg.field_of_view = 0.0349  # 2 degrees, a small LiDAR
        msg.min_range, msg.max_range = 0.1, 12.0
        msg.range = float(self.obs[0])
        self.range_pub.publish(msg)
        self.setpoint_pub.publish(Float64(data=float(self.obs[1])))


def main(args: Sequence[str] | None = None) -> int:
    return run_node(PlantSimNode, args)


if __name__ == "__main__":
    raise SystemExit(main())
