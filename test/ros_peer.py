"""The test process's side of a ROS 2 exchange: its own rclpy context, node and executor."""
import subprocess
import sys
import time
from pathlib import Path

import rclpy

from snn_control.ros.node_base import make_executor

BIN = Path(sys.executable).parent


def start(executable: str, *ros_args: str) -> subprocess.Popen:
    """A node of the package as its own process."""
    return subprocess.Popen([str(BIN / executable), "--ros-args", *ros_args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


class RosPeer:
    def __init__(self, name: str) -> None:
        self.context = rclpy.Context()
        rclpy.init(context=self.context)
        self.node = rclpy.create_node(name, context=self.context)
        self.executor = make_executor(self.context)
        self.executor.add_node(self.node)

    def spin(self, seconds: float) -> None:
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            self.executor.spin_once(timeout_sec=0.01)

    def close(self) -> None:
        self.node.destroy_node()
        rclpy.shutdown(context=self.context)
