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
The blimp over real ROS 2.

Sim node and controller nodes as separate processes over Fast DDS, recorded to MCAP and compared
with the offline MuJoCo loop.
"""

from pathlib import Path
import sys

import numpy as np
import pytest
from rosbags.highlevel import AnyReader
from snn_control.controllers.registry import make_controller
from snn_control.processes import run_bounded
from snn_control.ros.flight import fly
from snn_control.sim.blimp import BlimpAltitudeEnv
from snn_control.sim.closed_loop import run_closed_loop

BIN = Path(sys.executable).parent
STEP_S = 4.0


def offline(name: str, **params):
    return run_closed_loop(
        make_controller(name, 0.1, **params),
        BlimpAltitudeEnv('absolute_steps', buoyancy='negative', step_s=STEP_S),
        seed=0,
    )


def read_bag(path: Path) -> dict[str, int]:
    with AnyReader([path]) as reader:
        counts = {c.topic: c.msgcount for c in reader.connections}
        ranges = [
            reader.deserialize(raw, c.msgtype)
            for c, _, raw in reader.messages()
            if c.topic == '/altitude'
        ]
    assert all(0.1 <= r.range <= 12.0 and r.header.frame_id == 'lidar' for r in ranges)
    return counts


@pytest.mark.parametrize('label, name', [('pid', 'blimp_pid'), ('snn', 'blimp_snn')])
def test_flight_over_ros_reproduces_the_offline_loop_and_is_recorded(tmp_path, label, name):
    trace, bag = fly(
        label,
        'absolute_steps',
        'negative',
        STEP_S,
        rate_scale=8.0,
        seed=0,
        bag_path=tmp_path / 'bag',
    )
    reference = offline(name)
    ticks = int(round(3 * STEP_S / 0.1))
    assert len(trace.time) == len(reference.time) == ticks
    np.testing.assert_allclose(trace.time, reference.time, atol=1e-6)
    np.testing.assert_allclose(trace.setpoint, reference.setpoint)
    # Same plant, controller and noise seed: the flights agree. A best-effort sample lost on
    # the way (DDS may drop one under load) delays one command by a tick, hence a tolerance.
    assert np.abs(trace.altitude - reference.altitude).max() < 0.05
    assert np.all(np.isfinite(trace.command)) and np.abs(trace.command).max() <= 3.3
    counts = read_bag(bag)
    assert bag.name == 'bag' and list(bag.glob('*.mcap')) and (bag / 'metadata.yaml').is_file()
    assert counts['/blimp_sim/ground_truth'] == ticks + 1  # reliable: every tick, from t = 0
    assert counts['/altitude'] >= ticks - 3 and counts['/motor_command'] >= ticks - 3
    if label == 'snn':
        assert counts['/snn_controller/spikes'] >= ticks - 3
        assert set(trace.spikes) == {'pd.encoder', 'pd.hidden', 'i.encoder', 'i.hidden'}
        fired = sum(int(s.sum()) for s in trace.spikes.values())
        reference_fired = sum(int(s.sum()) for s in reference.spikes.values())
        assert fired > 0 and abs(fired - reference_fired) <= 0.05 * reference_fired


def test_blimp_sim_rejects_unknown_buoyancy_with_a_clear_error():
    proc = run_bounded([str(BIN / 'blimp_sim'), '--ros-args', '-p', 'buoyancy:=heavy'], timeout=60)
    assert (
        proc.returncode == 2
        and "buoyancy = 'heavy': must be one of ['neutral', 'negative']" in proc.stderr
    )


def test_default_controller_node_flies_the_evolved_snn_and_handles_bad_input():
    """
    snn_controller with its package defaults (the blimp SNN): bad samples dropped.

    Commands finite and saturated, the safe command once the sensor is silent.
    """
    import math
    import time

    from ros_peer import RosPeer, start
    from sensor_msgs.msg import Range
    from snn_control.ros.node_base import COMMAND_QOS, SENSOR_QOS
    from std_msgs.msg import Float64

    peer = RosPeer('blimp_controller_test_peer')
    commands: list[tuple[float, float]] = []
    peer.node.create_subscription(
        Float64,
        'motor_command',
        lambda m: commands.append((time.monotonic(), m.data)),
        COMMAND_QOS,
    )
    altitude = peer.node.create_publisher(Range, 'altitude', SENSOR_QOS)
    peer.watch_diagnostics()

    def send(z: float) -> None:
        msg = Range()
        msg.min_range, msg.max_range, msg.range = 0.1, 12.0, z
        altitude.publish(msg)

    node = start('snn_controller', '-p', 'sensor_timeout_s:=1.0')
    try:
        deadline = time.monotonic() + 30
        while not [c for c in commands if c[1] != 0.0] and time.monotonic() < deadline:
            send(0.2)  # 0.3 m below the default setpoint 0.5 m
            peer.spin(0.1)
        assert commands, 'the node did not answer'
        for _ in range(5):
            send(0.2)
            peer.spin(0.1)
        # every answer to those samples has arrived: the node's own count says how many
        published = peer.fresh_diagnostics('snn_controller')
        peer.until(lambda: len(commands) >= int(published['commands']), 10, 'the answers')
        before = len(commands)
        for bad in (float('nan'), float('inf'), 0.0, 99.0):
            send(bad)
            peer.spin(0.05)
        peer.until(
            lambda: int(peer.diagnostics['/snn_controller']['rejected_total'])
            >= int(published['rejected_total']) + 4,
            10,
            'the node rejecting the four bad samples',
        )
        # what came since can only be the watchdog's safe command (bad samples do not feed it)
        assert all(v == 0.0 for _, v in commands[before:]), 'a rejected sample was answered'
        values = [v for _, v in commands]
        assert all(math.isfinite(v) and -3.3 <= v <= 3.3 for v in values) and max(values) > 0
        # silence: the safe command sensor_timeout_s (1 s) after the last good sample
        peer.until(lambda: commands[-1][1] == 0.0, 5, 'the safe command')
        assert node.poll() is None
    finally:
        node.send_signal(__import__('signal').SIGINT)
        out, err = node.communicate(timeout=15)
        peer.close()
    assert (
        'blimp_snn' in err + out
        and 'rejected input (non-finite' in err
        and 'rejected input (out-of-range' in err
    )


def test_the_blimp_born_for_xylo_flies_over_ros_with_xylosim_stepping_it(tmp_path):
    trace, _ = fly(
        'snn',
        'absolute_steps',
        'negative',
        STEP_S,
        rate_scale=8.0,
        seed=0,
        bag_path=tmp_path / 'bag',
        controller_params={'controller.backend': 'xylosim'},
    )
    reference = offline('blimp_snn', backend='xylosim')
    assert len(trace.time) == len(reference.time)
    assert np.abs(trace.altitude - reference.altitude).max() < 0.05
    assert np.all(np.isfinite(trace.command)) and np.abs(trace.command).max() <= 3.3
    assert trace.spikes['pd.hidden'].sum() > 0, 'no spikes from the Xylo network'


def test_a_lockstep_plant_steps_once_per_command_and_goes_on_when_one_is_late():
    import signal
    import time

    from ros_peer import RosPeer, start
    from sensor_msgs.msg import Range
    from snn_control.ros.node_base import COMMAND_QOS, SENSOR_QOS
    from std_msgs.msg import Float64

    peer = RosPeer('lockstep_peer')
    peer.watch_diagnostics()
    stamps: list[float] = []
    peer.node.create_subscription(
        Range,
        'altitude',
        lambda m: stamps.append(m.header.stamp.sec + 1e-9 * m.header.stamp.nanosec),
        SENSOR_QOS,
    )
    command = peer.node.create_publisher(Float64, 'motor_command', COMMAND_QOS)
    sim = start(
        'blimp_sim',
        '-p', 'rate_scale:=10.0',
        '-p', 'lockstep_timeout_s:=1.5',
        '-p', 'wait_for_subscribers:=1',
    )  # fmt: skip
    try:
        peer.until(lambda: stamps, 30, 'the first altitude')
        for k in range(1, 21):  # each answer lets the plant step exactly one control tick
            seen = len(stamps)
            command.publish(Float64(data=0.5))
            peer.until(lambda: len(stamps) > seen, 10, f'the altitude after command {k}')
        np.testing.assert_allclose(stamps, 0.1 * np.arange(21), atol=1e-6)
        # no answer: time stays frozen for the lockstep timeout, then the plant goes on
        seen, silent_from = len(stamps), time.monotonic()
        peer.until(lambda: len(stamps) > seen, 10, 'a step after the lockstep timeout')
        assert time.monotonic() - silent_from >= 1.4
        assert int(peer.fresh_diagnostics('blimp_sim')['late_commands']) >= 1
    finally:
        if sim.poll() is None:
            sim.send_signal(signal.SIGINT)
        sim.communicate(timeout=15)
        peer.close()
