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

"""The test process's side of a ROS 2 exchange: its own rclpy context, node and executor."""

from pathlib import Path
import subprocess
import sys
import time

import rclpy
from snn_control.processes import start_owned
from snn_control.ros.node_base import make_executor

BIN = Path(sys.executable).parent


#: Every process a test started through :func:`start_command`; conftest ends whatever of them
#: (and of what they started) is still running when the test is over, passed or failed.
STARTED: list[subprocess.Popen] = []


def start_command(cmd: list[str]) -> subprocess.Popen:
    """``cmd`` as its own process group, owned by the running test."""
    proc = start_owned(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    STARTED.append(proc)
    return proc


def start(executable: str, *ros_args: str) -> subprocess.Popen:
    """Return a node of the package as its own process."""
    return start_command([str(BIN / executable), '--ros-args', *ros_args])


class RosPeer:
    def __init__(self, name: str) -> None:
        self.context = rclpy.Context()
        rclpy.init(context=self.context)
        self.node = rclpy.create_node(name, context=self.context)
        self.executor = make_executor(self.context)
        self.executor.add_node(self.node)
        #: the last /diagnostics values of each node (after :meth:`watch_diagnostics`)
        self.diagnostics: dict[str, dict[str, str]] = {}
        #: how many statuses of each node arrived
        self.diagnostic_count: dict[str, int] = {}

    def spin(self, seconds: float) -> None:
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            self.executor.spin_once(timeout_sec=0.01)

    def until(self, condition, timeout: float, what: str, action=None) -> None:
        """Spin until ``condition()``, doing ``action()`` every 50 ms; fail after ``timeout``."""
        end = time.monotonic() + timeout
        while not condition():
            if time.monotonic() > end:
                raise AssertionError(f'timed out after {timeout} s waiting for {what}')
            if action is not None:
                action()
            self.spin(0.05)

    def watch_diagnostics(self) -> None:
        """Record every node's /diagnostics status in :attr:`diagnostics`."""
        from diagnostic_msgs.msg import DiagnosticArray
        from snn_control.ros.node_base import DIAGNOSTICS_QOS

        def record(msg: DiagnosticArray) -> None:
            for status in msg.status:
                self.diagnostic_count[status.name] = self.diagnostic_count.get(status.name, 0) + 1
                values = {kv.key: kv.value for kv in status.values}
                level = status.level[0] if isinstance(status.level, bytes) else status.level
                values['__level'], values['__message'] = str(level), status.message
                self.diagnostics[status.name] = values

        self.node.create_subscription(DiagnosticArray, '/diagnostics', record, DIAGNOSTICS_QOS)

    def fresh_diagnostics(self, node: str, timeout: float = 10.0) -> dict[str, str]:
        """
        Return the values of a status of ``/node`` published after everything done so far.

        Two more statuses: the first may have been on its way already (they come at 1 Hz).
        """
        name = f'/{node}'
        seen = self.diagnostic_count.get(name, 0)
        self.until(
            lambda: self.diagnostic_count.get(name, 0) >= seen + 2,
            timeout,
            f'two more /diagnostics statuses of {name}',
        )
        return dict(self.diagnostics[name])

    def close(self) -> None:
        self.node.destroy_node()
        rclpy.shutdown(context=self.context)
