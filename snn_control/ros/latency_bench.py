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
Sensor -> controller node -> command latency across two processes over Fast DDS.

The ``snn_controller`` node (default: the spiking PD) runs in its own process; this
process publishes ``sensor_msgs/Range`` samples at ``rate_hz`` and times each until the
node's ``motor_command`` for it arrives. The node publishes exactly one command per valid
sample and the next sample is sent only after the previous command arrived (or a period
elapsed), so the pairing is exact. Both processes use a private ``ROS_DOMAIN_ID``.
"""

from __future__ import annotations

import os
from pathlib import Path
import subprocess
import sys
import time

import numpy as np


def private_domain_id() -> int:
    """Return a DDS domain for this process tree, so parallel runs do not hear each other."""
    return 1 + os.getpid() % 100


def measure_latency(
    duration_s: float = 10.0,
    rate_hz: float = 100.0,
    controller: str = 'spiking_pd',
    startup_timeout_s: float = 20.0,
    wait_s: float = 0.009,
) -> dict[str, float]:
    import rclpy
    from sensor_msgs.msg import Range
    from snn_control.ros.node_base import COMMAND_QOS, make_executor, SENSOR_QOS
    from std_msgs.msg import Float64

    domain = str(private_domain_id())
    env = dict(os.environ, ROS_DOMAIN_ID=domain)
    node_exe = str(Path(sys.executable).parent / 'snn_controller')
    from snn_control.ros.graph import config_path

    proc = subprocess.Popen(
        [
            node_exe,
            '--ros-args',
            '--params-file',
            str(config_path('hover_controller.yaml')),
            '-p',
            f'controller:={controller}',
            '-p',
            'control_dt:=0.01',
            '-p',
            'sensor_timeout_s:=5.0',
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    os.environ['ROS_DOMAIN_ID'] = domain
    context = rclpy.Context()
    rclpy.init(context=context)
    try:
        node = rclpy.create_node('latency_probe', context=context)
        executor = make_executor(context)
        executor.add_node(node)
        received: list[float] = []
        node.create_subscription(
            Float64, 'motor_command', lambda _m: received.append(time.perf_counter()), COMMAND_QOS
        )
        pub = node.create_publisher(Range, 'altitude', SENSOR_QOS)
        msg = Range()
        msg.min_range, msg.max_range = 0.1, 12.0

        def send(i: int) -> float:
            msg.range = 1.0 + 0.5 * np.sin(
                i * 0.05
            )  # inside [min_range, max_range]: every sample is valid
            t = time.perf_counter()
            pub.publish(msg)
            return t

        # Discovery: keep sending until the node answers.
        deadline = time.monotonic() + startup_timeout_s
        while not received:
            if time.monotonic() > deadline or proc.poll() is not None:
                raise RuntimeError(
                    f'snn_controller did not answer within {startup_timeout_s} s: '
                    f"{proc.stderr.read() if proc.poll() is not None else ''}"
                )
            send(0)
            executor.spin_once(timeout_sec=0.05)
        time.sleep(0.2)
        executor.spin_once(timeout_sec=0.0)
        period = 1.0 / rate_hz
        latencies, lost = [], 0
        next_send = time.perf_counter()
        for i in range(int(duration_s * rate_hz)):
            while time.perf_counter() < next_send:
                pass
            received.clear()
            t0 = send(i)
            while not received and time.perf_counter() - t0 < wait_s:
                executor.spin_once(timeout_sec=wait_s)
            if received:
                latencies.append(received[0] - t0)
            else:
                lost += 1
            next_send = max(next_send + period, time.perf_counter())
        node.destroy_node()
    finally:
        rclpy.shutdown(context=context)
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
    ms = np.array(latencies) * 1e3
    return {
        'ros_latency_ms_median': float(np.median(ms)),
        'ros_latency_ms_p99': float(np.percentile(ms, 99)),
        'samples': int(ms.size),
        'lost': int(lost),
    }


if __name__ == '__main__':
    print(measure_latency(duration_s=float(sys.argv[1]) if len(sys.argv) > 1 else 10.0))
