"""``ncap_controller``: the spiking NCAP (or the rate NCAP) driving a swimmer over ROS 2.

Subscribes ``joint_states`` (``sensor_msgs/JointState``), publishes ``joint_commands``
(``std_msgs/Float64MultiArray``, one effort per joint in [-1, 1]) and, for the spiking
NCAP, its spikes on ``~/spikes`` (see ``spike_codec``). Each joint state is one control
tick; the head oscillator counts these ticks.

The joint names must be exactly ``joint_names`` (any order: they are matched by name).
Rejected with a counted, rate-limited warning, no command published for it: unknown or
missing joint names, lengths that differ between names and positions, NaN/inf angles.
When no valid joint state arrives for ``sensor_timeout_s`` the watchdog publishes zero
effort and resets the network and the oscillator.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np
from sensor_msgs.msg import JointState, PointCloud2
from std_msgs.msg import Float64MultiArray

from snn_control.ros.node_base import (COMMAND_QOS, SENSOR_QOS, ParameterError, RateLimitedCounter, SnnNode,
                                       Watchdog, run_node)
from snn_control.ros.spike_codec import encode_spikes


class NcapControllerNode(SnnNode):
    PARAMETERS = {
        "weights": ("", "controller file (.npz); empty: the shipped swimmer_<controller>.npz", None),
        "controller": ("spiking_ncap", "spiking_ncap or rate_ncap", None),
        "backend": ("numpy", "engine backend of the spiking NCAP: numpy, torch, lava-float, lava-fixed", None),
        "joint_names": (["joint_0", "joint_1", "joint_2", "joint_3", "joint_4"], "joints, head to tail", None),
        "sensor_timeout_s": (0.3, "silence after which zero effort is published (s)", (1e-3, 60.0)),
        "publish_spikes": (True, "publish spikes on ~/spikes", None),
    }

    def __init__(self) -> None:
        super().__init__("ncap_controller")
        from snn_control.swimmer.controllers import load_swimmer_controller, shipped_path

        kind = self.param("controller")
        if kind not in ("spiking_ncap", "rate_ncap"):
            raise ParameterError(f"node 'ncap_controller': controller must be spiking_ncap or rate_ncap, got {kind!r}")
        self.joint_names = list(self.param("joint_names"))
        self.controller, _ = self.load_file(
            "weights", shipped_path(kind),
            lambda path: load_swimmer_controller(path, n_links=len(self.joint_names) + 1, backend=self.param("backend")))
        self.n = len(self.joint_names)
        self.tick_count = 0
        self.rejected = RateLimitedCounter(self)
        self.command_pub = self.create_publisher(Float64MultiArray, "joint_commands", COMMAND_QOS)
        self.spike_pub = None
        if self.param("publish_spikes") and self.controller.spike_populations():
            self.spike_pub = self.create_publisher(PointCloud2, "~/spikes", SENSOR_QOS)
        self.create_subscription(JointState, "joint_states", self.on_joint_state, SENSOR_QOS)
        self.watchdog = Watchdog(self, self.param("sensor_timeout_s"), self.on_silence)
        self.get_logger().info(f"{kind} for {self.n} joints ready")

    def on_joint_state(self, msg: JointState) -> None:
        if len(msg.name) != len(msg.position):
            self.rejected.reject("malformed", f"{len(msg.name)} names but {len(msg.position)} positions")
            return
        index = {name: k for k, name in enumerate(msg.name)}
        unknown = sorted(set(index) - set(self.joint_names))
        missing = [j for j in self.joint_names if j not in index]
        if unknown:
            self.rejected.reject("unknown joint", f"unknown joints {unknown} (expected {self.joint_names})")
            return
        if missing:
            self.rejected.reject("missing joint", f"missing joints {missing}")
            return
        angles = np.array([msg.position[index[j]] for j in self.joint_names])
        if not np.all(np.isfinite(angles)):
            self.rejected.reject("non-finite", f"joint angles {angles.tolist()}")
            return
        self.watchdog.feed()
        observation = np.concatenate([angles, np.zeros(self.n + 2), [float(self.tick_count)]])
        self.tick_count += 1
        self.command_pub.publish(Float64MultiArray(data=self.controller.step(observation).tolist()))
        if self.spike_pub is not None:
            self.spike_pub.publish(encode_spikes(self.controller.last_spikes(), network=self.param("controller"),
                                                 stamp=msg.header.stamp))

    def on_silence(self, quiet_s: float) -> None:
        self.get_logger().warning(f"no valid joint state for {quiet_s:.2f} s: zero effort", throttle_duration_sec=2.0)
        self.controller.reset()
        self.tick_count = 0
        self.command_pub.publish(Float64MultiArray(data=[0.0] * self.n))

    def on_shutdown(self) -> None:
        self.command_pub.publish(Float64MultiArray(data=[0.0] * self.n))


def main(args: Sequence[str] | None = None) -> int:
    return run_node(NcapControllerNode, args)


if __name__ == "__main__":
    raise SystemExit(main())
