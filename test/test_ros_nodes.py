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
ROS 2 nodes over real Fast DDS, each node in its own process, this test as the other peer.

Every test gets a private ROS_DOMAIN_ID (conftest), so tests and parallel runs do not interfere.
"""

import math
import signal
import time

import numpy as np
import pytest
from ros_peer import BIN, RosPeer, start, start_command
from sensor_msgs.msg import PointCloud2, Range
from snn_control.ros.graph import config_path
from snn_control.ros.node_base import COMMAND_QOS, SENSOR_QOS
from snn_control.ros.spike_codec import to_population_vectors
from std_msgs.msg import Float64

#: the hover graph's controller settings: the constructed spiking PD, whose spikes are known
HOVER = ('--params-file', str(config_path('hover_controller.yaml')))


class Peer(RosPeer):
    """This process's side: publishes altitude/setpoint, records commands and spikes."""

    def __init__(self) -> None:
        super().__init__('test_peer')
        self.commands: list[tuple[float, float]] = []
        self.spikes: list[PointCloud2] = []
        self.node.create_subscription(
            Float64,
            'motor_command',
            lambda m: self.commands.append((time.monotonic(), m.data)),
            COMMAND_QOS,
        )
        self.node.create_subscription(
            PointCloud2, '/snn_controller/spikes', self.spikes.append, SENSOR_QOS
        )
        self.altitude = self.node.create_publisher(Range, 'altitude', SENSOR_QOS)
        self.setpoint = self.node.create_publisher(Float64, 'altitude_setpoint', COMMAND_QOS)

    def send(self, z: float) -> None:
        msg = Range()
        msg.min_range, msg.max_range, msg.range = 0.1, 12.0, z
        self.altitude.publish(msg)
        self.last_sent = time.monotonic()

    def wait_for_commands(self, n: int, timeout: float = 20.0, z: float = 0.5) -> None:
        end = time.monotonic() + timeout
        while len(self.commands) < n and time.monotonic() < end:
            self.send(z)
            self.spin(0.05)
        assert len(self.commands) >= n, 'the node did not answer'


@pytest.fixture
def peer():
    p = Peer()
    yield p
    p.close()


@pytest.fixture
def controller():
    proc = start('snn_controller', *HOVER, '-p', 'sensor_timeout_s:=0.4')
    yield proc
    if proc.poll() is None:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=10)


def test_spikes_cross_processes_and_decode_to_the_thermometer_code(peer, controller):
    peer.wait_for_commands(3)
    peer.spikes.clear()
    # setpoint 1.0 (default), altitude 0.5: error +0.5 m; encoder thresholds at (k + 1/2) * 0.025
    # m,
    # so exactly 20 "+" neurons (indices 0..19) fire and no "-" neuron does.
    peer.until(
        lambda: len(peer.spikes) >= 3, 10, 'spike messages', action=lambda: peer.send(0.5)
    )
    vectors = to_population_vectors(peer.spikes[-1])
    assert set(vectors) == {'encoder', 'relay'} and vectors['encoder'].size == 80
    assert np.flatnonzero(vectors['encoder']).tolist() == list(range(20))
    assert peer.spikes[-1].header.frame_id.startswith('spiking_pd:')


def test_bad_input_is_rejected_and_the_node_keeps_running(peer):
    # A long watchdog timeout: rejected samples do not feed the watchdog, and its safe
    # commands would otherwise mix with what this test counts.
    controller = start('snn_controller', *HOVER, '-p', 'sensor_timeout_s:=30.0')
    peer.watch_diagnostics()
    peer.wait_for_commands(2)
    # Every command the node published has arrived: its own count, read after the last
    # sample was sent, says how many that is.
    published = peer.fresh_diagnostics('snn_controller')
    peer.until(
        lambda: len(peer.commands) >= int(published['commands']), 10, 'the commands in flight'
    )
    before = len(peer.commands)
    assert before == int(published['commands'])
    for bad in (
        float('nan'),
        float('inf'),
        -1.0,
        50.0,
    ):  # non-finite, below and above the sensor range
        peer.send(bad)
        peer.spin(0.05)
    peer.setpoint.publish(Float64(data=1e6))  # outside the flight envelope: ignored
    peer.until(
        lambda: int(peer.diagnostics['/snn_controller']['rejected_total'])
        >= int(published['rejected_total']) + 5,
        10,
        'the node rejecting the five bad inputs',
    )
    assert len(peer.commands) == before, 'a rejected sample must not produce a command'
    peer.send(0.5)
    peer.until(lambda: len(peer.commands) > before, 10, 'the answer to a good sample')
    assert int(peer.fresh_diagnostics('snn_controller')['commands']) == before + 1
    assert len(peer.commands) == before + 1 and controller.poll() is None
    value = peer.commands[-1][1]
    assert (
        math.isfinite(value) and -3.3 <= value <= 3.3 and value > 0
    )  # setpoint still 1.0: push up
    controller.send_signal(signal.SIGINT)
    controller.wait(timeout=10)


def test_watchdog_publishes_the_safe_command(peer, controller):
    peer.wait_for_commands(2, z=0.2)  # far below the setpoint: saturated upward command
    for _ in range(6):  # a few answered samples, so that start-up safe commands are long gone
        peer.send(0.2)
        peer.spin(0.05)
    assert peer.commands[-1][1] == pytest.approx(3.3)
    last_sample = peer.last_sent
    # answers to the samples are saturated (3.3): the first 0.0 is the watchdog's
    peer.until(
        lambda: any(v == 0.0 for t, v in peer.commands if t > last_sample),
        5,
        'the safe command after the sensor went silent',
    )
    safe = [(t, v) for t, v in peer.commands if t > last_sample and v == 0.0]
    assert 0.3 < safe[0][0] - last_sample < 1.0  # sensor_timeout_s = 0.4, checked every 50 ms


def test_sigterm_shuts_down_cleanly_with_a_safe_command(peer):
    proc = start('snn_controller', *HOVER)
    peer.wait_for_commands(2, z=0.2)
    peer.commands.clear()
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=15)
    assert proc.returncode == 0 and 'Traceback' not in err
    # the safe command, published before the node exited, is on its way (a reliable topic)
    peer.until(
        lambda: peer.commands and peer.commands[-1][1] == 0.0, 5, 'the safe command on exit'
    )


def test_unknown_parameter_is_a_clear_error(tmp_path):
    params = tmp_path / 'p.yaml'
    params.write_text('snn_controller:\n  ros__parameters:\n    sensor_timout_s: 1.0\n')
    proc = start('snn_controller', '--params-file', str(params))
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 2 and "unknown parameter(s) ['sensor_timout_s']" in err


def test_bad_controller_parameter_is_a_clear_error():
    proc = start('snn_controller', *HOVER, '-p', 'controller:=pid')
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 2 and "cannot build controller 'pid'" in err and 'error_range' in err


def test_graph_runner_closes_the_loop(peer):
    # Each altitude is tagged with the setpoint in force when it arrived, so the test does not
    # depend on how soon DDS discovery lets this peer see the graph's first samples.
    samples: list[tuple[float, float]] = []
    setpoint = [math.nan]
    peer.node.create_subscription(
        Float64, 'altitude_setpoint', lambda m: setpoint.__setitem__(0, m.data), COMMAND_QOS
    )
    peer.node.create_subscription(
        Range, 'altitude', lambda m: samples.append((setpoint[0], m.range)), SENSOR_QOS
    )
    # 12 s of profile; the plant holds its clock until the controller is up (process start and
    # DDS discovery take up to a few seconds on a cold machine), hence the margin.
    runner = start_command(
        [
            str(BIN / 'snn-control'),
            'launch',
            'hover_sim',
            '--duration',
            '17',
            '--set',
            'plant_sim.segment_s=6',
            '--set',
            'plant_sim.setpoints=[1.0, 1.5]',
        ]
    )
    peer.until(lambda: runner.poll() is not None, 45, "the graph's 17 s run to end")
    out, err = runner.communicate(timeout=30)
    assert runner.returncode == 0, err
    values = np.array([v for _, v in peer.commands])
    assert values.size > 40, 'the closed loop should command at 20 Hz'
    assert np.all(np.isfinite(values)) and values.max() <= 3.3 and values.min() >= -3.3
    at_1 = [z for s, z in samples if s == 1.0]
    at_15 = [z for s, z in samples if s == 1.5]
    assert (
        len(at_1) >= 10 and len(at_15) >= 60
    ), f'too few samples: {len(at_1)} at 1.0 m, {len(at_15)} at 1.5 m'
    # The spiking PD holds 1.0 m, then climbs to the new setpoint 1.5 m and holds it.
    assert abs(np.mean(at_1[-10:]) - 1.0) < 0.08
    assert at_15[0] < 1.15 and abs(np.mean(at_15[-10:]) - 1.5) < 0.08
    assert '[spike_echo]' in out and 'encoder:' in out
