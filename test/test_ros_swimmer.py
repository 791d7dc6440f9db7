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

"""The swimmer over real ROS 2: swimmer_sim and ncap_controller as separate processes."""

import signal
import subprocess
import time

import numpy as np
import pytest
from ros_peer import RosPeer, start
from sensor_msgs.msg import JointState
from snn_control.ros.node_base import COMMAND_QOS, SENSOR_QOS
from std_msgs.msg import Float64, Float64MultiArray

NAMES = [f'joint_{i}' for i in range(5)]


def stop(proc: subprocess.Popen) -> tuple[str, str]:
    if proc.poll() is None:
        proc.send_signal(signal.SIGINT)
    return proc.communicate(timeout=15)


class Peer(RosPeer):
    def __init__(self) -> None:
        super().__init__('swimmer_test_peer')
        self.commands: list[tuple[float, list[float]]] = []
        self.speeds: list[float] = []
        self.node.create_subscription(
            Float64MultiArray,
            'joint_commands',
            lambda m: self.commands.append((time.monotonic(), list(m.data))),
            COMMAND_QOS,
        )
        self.node.create_subscription(
            Float64,
            '/swimmer_sim/forward_velocity',
            lambda m: self.speeds.append(m.data),
            COMMAND_QOS,
        )
        self.states = self.node.create_publisher(JointState, 'joint_states', SENSOR_QOS)

    def send(self, names, positions) -> None:
        msg = JointState()
        msg.name, msg.position = list(names), [float(p) for p in positions]
        self.states.publish(msg)


@pytest.fixture
def peer():
    p = Peer()
    yield p
    p.close()


@pytest.mark.parametrize('backend', ['numpy', 'xylosim'])
def test_spiking_ncap_swims_the_swimmer_over_ros(peer, backend):
    # xylosim: SynSense's simulator steps the NCAP born for Xylo (the node picks its file)
    sim = start('swimmer_sim', '-p', 'rate_scale:=3.0')
    # The sim stamps joint states with its own clock (/clock): the controller runs on it.
    controller = start(
        'ncap_controller', '-p', 'use_sim_time:=true', '-p', f'backend:={backend}'
    )
    try:
        # 600 control steps (18 s of simulated swimming): enough for the wave to form
        peer.until(lambda: len(peer.commands) >= 600, 90, '600 commands from the controller')
    finally:
        sim_out, sim_err = stop(sim)
        ctrl_out, ctrl_err = stop(controller)
    assert sim.returncode == 0 and controller.returncode == 0, sim_err + ctrl_err
    expected = 'swimmer_xylo_ncap.npz' if backend == 'xylosim' else 'swimmer_spiking_ncap.npz'
    assert f'{expected} (backend {backend})' in ctrl_err, ctrl_err
    efforts = np.array([c for _, c in peer.commands])
    assert efforts.shape[1] == 5 and np.all(np.isfinite(efforts)) and np.abs(efforts).max() <= 1.0
    # Once the wave has formed the head moves forward on average.
    assert np.mean(peer.speeds[len(peer.speeds) // 3:]) > 0.03


def test_bad_joint_states_are_rejected_and_silence_gives_zero_effort(peer):
    peer.watch_diagnostics()
    controller = start('ncap_controller', '-p', 'sensor_timeout_s:=0.3')
    status = '/ncap_controller'

    def diagnostics() -> dict[str, str]:
        return peer.diagnostics.get(status, {})

    def silent_and_zero() -> bool:
        # Commands come from one writer in order: once the watchdog's zeros arrive, every
        # answer published before them has arrived too.
        return diagnostics().get('watchdog', '').startswith('silent') and bool(
            peer.commands and not any(peer.commands[-1][1])
        )

    try:
        peer.until(
            lambda: peer.commands,
            20,
            'an answer to joint states',
            lambda: peer.send(NAMES, [0] * 5),
        )
        peer.until(silent_and_zero, 10, "the watchdog's zero effort after the states stop")
        peer.commands.clear()
        rejected = int(peer.fresh_diagnostics('ncap_controller')['rejected_total'])
        for names, positions in (
            (NAMES[:4], np.zeros(4)),  # a joint missing
            ([*NAMES[:4], 'tail'], np.zeros(5)),  # an unknown joint
            (NAMES, [0, 0, np.nan, 0, 0]),  # NaN
            (NAMES, np.zeros(4)),  # names/positions differ
        ):
            peer.send(names, positions)
        peer.until(
            lambda: int(diagnostics().get('rejected_total', 0)) >= rejected + 4,
            10,
            'the four bad states counted as rejected',
        )
        assert not [
            c for c in peer.commands if any(c[1])
        ], 'a rejected state must not produce a command'

        def answers() -> int:  # commands that answered a state, not the watchdog's zeros
            d = diagnostics()
            return int(d.get('messages_out', 0)) - int(d.get('safe_commands', 0))

        answered = answers()
        peer.send(list(reversed(NAMES)), np.zeros(5))  # any order is fine: matched by name
        peer.until(
            lambda: answers() > answered,
            10,
            'an answer to a state with its joints in another order',
        )
        assert controller.poll() is None
        peer.until(silent_and_zero, 10, 'zero effort when the states stop again')
        peer.commands.clear()
        peer.until(lambda: len(peer.commands) >= 3, 10, "the watchdog's zeros during silence")
        assert all(c == [0.0] * 5 for _, c in peer.commands)
    finally:
        out, err = stop(controller)
    assert (
        "unknown joints ['tail']" in err
        and "missing joints ['joint_4']" in err
        and 'Traceback' not in err
    )
