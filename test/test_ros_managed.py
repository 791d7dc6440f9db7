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
ROS 2 conventions, over real DDS with the nodes in their own processes.

Lifecycle transitions driven through the lifecycle services, /diagnostics, run-time parameter
changes, sim-time watchdogs, replays that wait for their subscribers, missed events.
"""

import math
import time

import numpy as np
import pytest


from diagnostic_msgs.msg import DiagnosticArray
from lifecycle_msgs.msg import Transition
from lifecycle_msgs.srv import ChangeState, GetState
from rcl_interfaces.srv import SetParameters
from rclpy.parameter import Parameter
from rosgraph_msgs.msg import Clock
from sensor_msgs.msg import PointCloud2, Range
from std_msgs.msg import Float64

from ros_peer import RosPeer, start
from snn_control.ros.graph import config_path
from snn_control.ros.node_base import (
    CLOCK_QOS,
    COMMAND_QOS,
    DIAGNOSTICS_QOS,
    SENSOR_QOS,
)

HOVER = ("--params-file", str(config_path("hover_controller.yaml")))


class Peer(RosPeer):
    def __init__(self) -> None:
        super().__init__("managed_test_peer")
        self.commands: list[tuple[float, float]] = []  # (sim time when received, value)
        self.diagnostics: dict[str, dict[str, str]] = {}
        self.sim_time = 0.0
        self.altitude_stamps: list[float] = []
        self.node.create_subscription(
            Float64,
            "motor_command",
            lambda m: self.commands.append((self.sim_time, m.data)),
            COMMAND_QOS,
        )
        self.node.create_subscription(
            DiagnosticArray, "/diagnostics", self._on_diagnostics, DIAGNOSTICS_QOS
        )
        self.altitude = self.node.create_publisher(Range, "altitude", SENSOR_QOS)

    def _on_diagnostics(self, msg: DiagnosticArray) -> None:
        for status in msg.status:
            self.diagnostics[status.name] = {kv.key: kv.value for kv in status.values}
            self.diagnostics[status.name]["__level"] = str(
                status.level[0] if isinstance(status.level, bytes) else status.level
            )
            self.diagnostics[status.name]["__message"] = status.message

    def send(self, z: float, min_range: float = 0.1, max_range: float = 12.0) -> None:
        msg = Range()
        msg.min_range, msg.max_range, msg.range = min_range, max_range, z
        self.altitude.publish(msg)

    def until(self, condition, timeout: float, what: str, send_altitude: bool = False) -> None:
        end = time.monotonic() + timeout
        while not condition():
            if time.monotonic() > end:
                raise AssertionError(f"timed out after {timeout} s waiting for {what}")
            if send_altitude:
                self.send(0.5)
            self.spin(0.05)

    def call(self, service_type, name: str, request, timeout: float = 10.0):
        client = self.node.create_client(service_type, name)
        self.until(lambda: client.service_is_ready(), timeout, f"service {name}")
        future = client.call_async(request)
        self.until(future.done, timeout, f"the answer of {name}")
        self.node.destroy_client(client)
        return future.result()

    def state(self, node: str) -> str:
        return self.call(GetState, f"/{node}/get_state", GetState.Request()).current_state.label

    def transition(self, node: str, transition_id: int) -> bool:
        request = ChangeState.Request()
        request.transition.id = transition_id
        return self.call(ChangeState, f"/{node}/change_state", request).success

    def set_parameter(self, node: str, name: str, value):
        request = SetParameters.Request(
            parameters=[Parameter(name, value=value).to_parameter_msg()]
        )
        return self.call(SetParameters, f"/{node}/set_parameters", request).results[0]


@pytest.fixture
def peer():
    p = Peer()
    yield p
    p.close()


def test_lifecycle_transitions_over_the_services_gate_the_commands(peer):
    """
    Unconfigured: nothing.

    Configure: loaded but silent. Activate: commands. Deactivate: one safe command, then silence.
    The transitions come from this process, as a lifecycle manager's would.
    """
    proc = start(
        "snn_controller", *HOVER, "-p", "autostart:=false", "-p", "sensor_timeout_s:=30.0"
    )
    log = []
    peer.until(
        lambda: "/snn_controller" in peer.diagnostics, 30, "diagnostics from the unconfigured node"
    )
    assert peer.diagnostics["/snn_controller"]["lifecycle_state"] == "unconfigured"
    log.append(peer.state("snn_controller"))
    assert log[-1] == "unconfigured"
    assert peer.transition("snn_controller", Transition.TRANSITION_CONFIGURE)
    log.append(peer.state("snn_controller"))
    for _ in range(10):
        peer.send(0.5)
        peer.spin(0.05)
    assert log[-1] == "inactive" and not peer.commands, "an inactive controller must not command"
    assert peer.transition("snn_controller", Transition.TRANSITION_ACTIVATE)
    log.append(peer.state("snn_controller"))
    peer.until(lambda: len(peer.commands) >= 3, 20, "commands once active", send_altitude=True)
    assert peer.commands[-1][1] > 0  # below the 1.0 m setpoint: push up
    peer.commands.clear()
    assert peer.transition("snn_controller", Transition.TRANSITION_DEACTIVATE)
    log.append(peer.state("snn_controller"))
    peer.until(
        lambda: any(v == 0.0 for _, v in peer.commands), 10, "the safe command on deactivate"
    )
    peer.spin(0.3)  # answers to samples sent before the deactivation may still arrive
    peer.commands.clear()
    for _ in range(10):
        peer.send(0.5)
        peer.spin(0.05)
    assert not peer.commands, "a deactivated controller must not command"
    assert peer.transition("snn_controller", Transition.TRANSITION_CLEANUP)
    log.append(peer.state("snn_controller"))
    assert log == ["unconfigured", "inactive", "active", "inactive", "unconfigured"]
    print("lifecycle transitions seen over the services:", " -> ".join(log))
    proc.terminate()
    assert proc.wait(timeout=15) == 0


def test_diagnostics_report_counts_watchdog_backend_and_latency(peer):
    proc = start("snn_controller", *HOVER, "-p", "sensor_timeout_s:=30.0")
    peer.until(lambda: len(peer.commands) >= 5, 30, "commands", send_altitude=True)
    peer.send(float("nan"))
    peer.send(
        0.0, 0.0, 0.0
    )  # a default-constructed Range: inside its own limits, outside the sensor's
    name = "/snn_controller"
    peer.until(
        lambda: peer.diagnostics.get(name, {}).get("rejected.outside sensor limits") == "1"
        and peer.diagnostics[name].get("rejected.non-finite") == "1",
        10,
        "the rejections in /diagnostics",
        send_altitude=True,
    )
    values = peer.diagnostics[name]
    print("a /diagnostics status from snn_controller:", values)
    assert (
        values["lifecycle_state"] == "active"
        and values["backend"] == "numpy"
        and values["watchdog"] == "ok"
    )
    assert (
        int(values["messages_in"]) >= 5
        and int(values["messages_out"]) >= 5
        and values["rejected_total"] == "2"
    )
    assert 0 < float(values["latency_p50_ms"]) <= float(values["latency_p99_ms"]) < 100
    assert values["__level"] == "0" and values["__message"] == "active"
    proc.terminate()
    assert proc.wait(timeout=15) == 0


def test_runtime_parameters_are_validated_and_read_only_ones_refused(peer):
    proc = start("snn_controller", *HOVER)
    peer.until(lambda: "/snn_controller" in peer.diagnostics, 30, "the node")
    assert peer.set_parameter("snn_controller", "sensor_timeout_s", 2.0).successful
    refused = peer.set_parameter("snn_controller", "sensor_timeout_s", -1.0)
    assert not refused.successful and "sensor_timeout_s" in refused.reason, refused.reason
    refused = peer.set_parameter("snn_controller", "controller", "blimp_pid")
    assert not refused.successful and "read-only" in refused.reason, refused.reason
    refused = peer.set_parameter("snn_controller", "max_setpoint_m", math.nan)
    assert not refused.successful and "max_setpoint_m" in refused.reason, refused.reason
    assert peer.set_parameter("snn_controller", "publish_spikes", False).successful
    proc.terminate()
    assert proc.wait(timeout=15) == 0


def test_watchdog_runs_on_sim_time_from_the_sample_stamps(peer):
    """
    Return the blimp sim at 5x with the altimeter failing at 3 s of sim time.

    The controller (use_sim_time) gives the safe command sensor_timeout_s of *sim* time after the
    last sample's stamp, i.e. 0.1 s of wall time, not 0.5 s.
    """
    peer.node.create_subscription(
        Clock,
        "/clock",
        lambda m: setattr(peer, "sim_time", m.clock.sec + m.clock.nanosec * 1e-9),
        CLOCK_QOS,
    )
    peer.node.create_subscription(
        Range,
        "altitude",
        lambda m: peer.altitude_stamps.append(m.header.stamp.sec + m.header.stamp.nanosec * 1e-9),
        SENSOR_QOS,
    )
    sim = start(
        "blimp_sim",
        "-p",
        "rate_scale:=5.0",
        "-p",
        "sensor_fails_at_s:=3.0",
        "-p",
        "wait_for_subscribers:=2",
    )
    controller = start("snn_controller", "-p", "use_sim_time:=true", "-p", "sensor_timeout_s:=0.5")
    peer.until(lambda: peer.sim_time > 5.0, 60, "5 s of sim time")
    last_sample = max(peer.altitude_stamps)
    assert 2.8 < last_sample < 3.0 + 1e-6, last_sample
    # The answer to the last sample may reach us after our clock passed its stamp; what
    # comes later than 0.3 s of sim time after it can only be the watchdog's.
    after = [(t, v) for t, v in peer.commands if t > last_sample + 0.3]
    assert after, "no command after the altimeter failed"
    first_t, first_v = after[0]
    assert first_v == 0.0, "the first command after the failure must be the safe command"
    # the watchdog checks every 0.05 s of sim time; the command is timed by our /clock
    assert 0.5 <= first_t - last_sample <= 0.5 + 0.2, first_t - last_sample
    for proc in (sim, controller):
        proc.terminate()
        assert proc.wait(timeout=15) == 0


def test_event_replay_waits_for_its_subscriber_and_the_recogniser_counts_missed_events(peer):
    from snn_control.ros.event_codec import first_event_index
    from snn_control.shared_data import shared_data

    recording = next(shared_data("events").rglob("*.aedat4"))
    replay = start("event_replay", "-p", f"path:={recording}", "-p", "wait_for_subscribers:=1")
    peer.until(
        lambda: peer.diagnostics.get("/event_replay", {}).get("waiting_for_subscribers") == "True",
        30,
        "the replay waiting",
    )
    assert peer.diagnostics["/event_replay"]["published_events"] == "0"
    packets: list[PointCloud2] = []
    peer.node.create_subscription(PointCloud2, "events", packets.append, SENSOR_QOS)
    peer.until(lambda: len(packets) >= 3, 30, "event packets")
    assert (
        first_event_index(packets[0]) == 0
    ), "the replay must start from the first event once heard"
    replay.terminate()
    assert replay.wait(timeout=15) == 0

    # The recogniser counts exactly the events of packets that never reached it.
    from snn_control.events.io import EVENT_DTYPE
    from snn_control.ros.event_codec import encode_events

    recogniser = start("action_recognition", "-p", "input:=point_cloud")
    pub = peer.node.create_publisher(PointCloud2, "events", SENSOR_QOS)
    peer.until(lambda: pub.get_subscription_count() >= 1, 30, "the recogniser")
    peer.until(
        lambda: peer.diagnostics.get("/action_recognition", {}).get("lifecycle_state") == "active",
        30,
        "the recogniser active",
    )
    events = np.zeros(100, EVENT_DTYPE)
    events["t"] = np.arange(100) * 10
    for first in (0, 100, 350):  # 150 events (indices 200..349) never sent
        pub.publish(encode_events(events, (128, 128), first_index=first))
        peer.spin(0.05)
    peer.until(
        lambda: peer.diagnostics["/action_recognition"].get("missed_events") == "150",
        10,
        "missed_events = 150",
    )
    recogniser.terminate()
    assert recogniser.wait(timeout=15) == 0
