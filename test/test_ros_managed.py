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
import signal

from lifecycle_msgs.msg import Transition
from lifecycle_msgs.srv import ChangeState, GetState
import numpy as np
import pytest
from rcl_interfaces.srv import SetParameters
from rclpy.parameter import Parameter
from ros_peer import BIN, RosPeer, start, start_command
from rosgraph_msgs.msg import Clock
from sensor_msgs.msg import Image, JointState, PointCloud2, Range
from snn_control.ros.graph import config_path
from snn_control.ros.node_base import CLOCK_QOS, COMMAND_QOS, SENSOR_QOS
from std_msgs.msg import Float64, Float64MultiArray, Int32

HOVER = ('--params-file', str(config_path('hover_controller.yaml')))


class Peer(RosPeer):
    def __init__(self) -> None:
        super().__init__('managed_test_peer')
        self.commands: list[tuple[float, float]] = []  # (sim time when received, value)
        self.sim_time = 0.0
        self.altitude_stamps: list[float] = []
        self.node.create_subscription(
            Float64,
            'motor_command',
            lambda m: self.commands.append((self.sim_time, m.data)),
            COMMAND_QOS,
        )
        self.watch_diagnostics()
        self.altitude = self.node.create_publisher(Range, 'altitude', SENSOR_QOS)

    def send(self, z: float, min_range: float = 0.1, max_range: float = 12.0) -> None:
        msg = Range()
        msg.min_range, msg.max_range, msg.range = min_range, max_range, z
        self.altitude.publish(msg)

    def until(
        self, condition, timeout: float, what: str, send_altitude: bool = False, action=None
    ) -> None:
        """Spin until ``condition()`` (sending an altitude or doing ``action`` each 50 ms)."""

        def act() -> None:
            if send_altitude:
                self.send(0.5)
            if action is not None:
                action()

        super().until(condition, timeout, what, act)

    def call(self, service_type, name: str, request, timeout: float = 10.0):
        client = self.node.create_client(service_type, name)
        self.until(lambda: client.service_is_ready(), timeout, f'service {name}')
        future = client.call_async(request)
        self.until(future.done, timeout, f'the answer of {name}')
        self.node.destroy_client(client)
        return future.result()

    def state(self, node: str) -> str:
        return self.call(GetState, f'/{node}/get_state', GetState.Request()).current_state.label

    def transition(self, node: str, transition_id: int) -> bool:
        request = ChangeState.Request()
        request.transition.id = transition_id
        return self.call(ChangeState, f'/{node}/change_state', request).success

    def set_parameter(self, node: str, name: str, value):
        request = SetParameters.Request(
            parameters=[Parameter(name, value=value).to_parameter_msg()]
        )
        return self.call(SetParameters, f'/{node}/set_parameters', request).results[0]


@pytest.fixture
def peer():
    p = Peer()
    yield p
    p.close()


class Stimulus:
    """One managed node under test: how to start it, feed it, and what it answers on."""

    def __init__(self, executable, args, out_type, out_topic, out_qos, count_key, safe=None):
        self.executable, self.args = executable, args
        self.out_type, self.out_topic, self.out_qos = out_type, out_topic, out_qos
        #: the node's /diagnostics counter of what it published on ``out_topic``
        self.count_key = count_key
        #: the safe output it publishes on deactivate (None: a recogniser has none)
        self.safe = safe
        self.events_t = 0

    def publisher(self, peer):
        """Return the input publisher and a function that sends one input."""
        if self.executable in ('snn_controller', 'pid_controller'):
            pub = peer.node.create_publisher(Range, 'altitude', SENSOR_QOS)

            def send():
                msg = Range()
                # below both controllers' setpoints (1.0 m hover, 0.5 m PID): a push up
                msg.min_range, msg.max_range, msg.range = 0.1, 12.0, 0.2
                pub.publish(msg)

        elif self.executable == 'ncap_controller':
            pub = peer.node.create_publisher(JointState, 'joint_states', SENSOR_QOS)

            def send():
                names = [f'joint_{i}' for i in range(5)]
                pub.publish(JointState(name=names, position=[0.1] * 5))

        elif self.executable == 'place_recognition':
            from snn_control.ros.image_codec import encode_image

            pub = peer.node.create_publisher(Image, 'image', SENSOR_QOS)
            pixels = np.random.default_rng(0).integers(0, 255, (32, 64), dtype=np.uint8)

            def send():
                pub.publish(encode_image(pixels, 'mono8'))

        else:
            from snn_control.events.io import EVENT_DTYPE
            from snn_control.ros.event_codec import encode_events

            pub = peer.node.create_publisher(PointCloud2, 'events', SENSOR_QOS)
            rng = np.random.default_rng(0)

            def send():  # 10 ms of events from the shipped classifier's 64x64 sensor
                events = np.zeros(300, EVENT_DTYPE)
                events['t'] = self.events_t + np.sort(rng.integers(0, 10_000, 300))
                events['x'], events['y'] = rng.integers(0, 64, (2, 300))
                events['p'] = rng.integers(0, 2, 300)
                self.events_t += 10_000
                pub.publish(encode_events(events, (64, 64)))

        return pub, send


NO_SPIKES = ('-p', 'publish_spikes:=false')
MANAGED = [
    Stimulus(
        'snn_controller',
        (*HOVER, *NO_SPIKES, '-p', 'sensor_timeout_s:=30.0'),
        Float64, 'motor_command', COMMAND_QOS, 'commands', safe=0.0,
    ),
    Stimulus(
        'pid_controller',
        (*NO_SPIKES, '-p', 'sensor_timeout_s:=30.0'),
        Float64, 'motor_command', COMMAND_QOS, 'commands', safe=0.0,
    ),
    Stimulus(
        'ncap_controller',
        (*NO_SPIKES, '-p', 'sensor_timeout_s:=30.0'),
        Float64MultiArray, 'joint_commands', COMMAND_QOS, 'messages_out', safe=[0.0] * 5,
    ),
    Stimulus(
        'place_recognition',
        NO_SPIKES,
        Int32, '/place_recognition/place', COMMAND_QOS, 'answered',
    ),
    Stimulus(
        'action_recognition',
        (*NO_SPIKES, '-p', 'input:=point_cloud', '-p', 'window_us:=50000', '-p', 'step_us:=50000'),
        Int32, '/action_recognition/label', COMMAND_QOS, 'windows',
    ),
]


@pytest.mark.parametrize('spec', MANAGED, ids=[m.executable for m in MANAGED])
def test_lifecycle_transitions_over_the_services_gate_the_outputs(peer, spec):
    """
    Drive a managed node through its lifecycle services from this process.

    Unconfigured: nothing. Configure: loaded but silent. Activate: outputs. Deactivate: the safe
    output (controllers), then silence. Cleanup: unconfigured. Shutdown: finalized. Each state is
    read back over ``get_state``, as a lifecycle manager would.
    """
    name = spec.executable
    proc = start(name, *spec.args, '-p', 'autostart:=false')
    outputs = []
    peer.node.create_subscription(
        spec.out_type, spec.out_topic, lambda m: outputs.append(m.data), spec.out_qos
    )
    pub, send = spec.publisher(peer)
    log = []

    def feed_until(condition, what, timeout=20.0):
        peer.until(condition, timeout, what, action=send)

    # (a cold start imports torch: up to tens of seconds on a loaded machine)
    peer.until(lambda: f'/{name}' in peer.diagnostics, 60, f'diagnostics from {name}')
    assert peer.diagnostics[f'/{name}']['lifecycle_state'] == 'unconfigured'
    log.append(peer.state(name))
    assert peer.transition(name, Transition.TRANSITION_CONFIGURE)
    log.append(peer.state(name))
    # inputs reach the inactive node (it counts them) and are not answered
    peer.until(lambda: pub.get_subscription_count() >= 1, 10, f'{name} subscribing')
    feed_until(
        lambda: int(peer.diagnostics[f'/{name}'].get('messages_in', 0)) >= 3,
        f'{name} counting inputs while inactive',
    )
    assert not outputs, f'an inactive {name} must not publish'
    assert peer.transition(name, Transition.TRANSITION_ACTIVATE)
    log.append(peer.state(name))
    feed_until(lambda: len(outputs) >= 3, f'outputs of the active {name}')
    if spec.out_type is Float64:
        assert outputs[-1] > 0, 'below the setpoint an active controller pushes up'
    assert peer.transition(name, Transition.TRANSITION_DEACTIVATE)
    log.append(peer.state(name))
    # Everything the node published reaches us (reliable topics): its own count, read after
    # the deactivation, says how much that is; a controller's last output is the safe command.
    final = peer.fresh_diagnostics(name)
    assert final['lifecycle_state'] == 'inactive'
    peer.until(
        lambda: len(outputs) >= int(final[spec.count_key]), 10, f'all outputs of {name}'
    )
    assert len(outputs) == int(final[spec.count_key])
    if spec.safe is not None:
        assert list(np.atleast_1d(outputs[-1])) == list(np.atleast_1d(spec.safe)), outputs[-3:]
    outputs.clear()
    base = int(final['messages_in'])
    feed_until(
        lambda: int(peer.diagnostics[f'/{name}']['messages_in']) > base + 2,
        f'{name} counting inputs after the deactivation',
    )
    assert not outputs, f'a deactivated {name} must not publish'
    assert peer.transition(name, Transition.TRANSITION_CLEANUP)
    log.append(peer.state(name))
    assert peer.transition(name, Transition.TRANSITION_UNCONFIGURED_SHUTDOWN)
    log.append(peer.state(name))
    assert log == ['unconfigured', 'inactive', 'active', 'inactive', 'unconfigured', 'finalized']
    print(f'{name}: lifecycle transitions seen over the services:', ' -> '.join(log))
    proc.terminate()
    assert proc.wait(timeout=15) == 0


def test_diagnostics_report_counts_watchdog_backend_and_latency(peer):
    proc = start('snn_controller', *HOVER, '-p', 'sensor_timeout_s:=30.0')
    peer.until(lambda: len(peer.commands) >= 5, 30, 'commands', send_altitude=True)
    peer.send(float('nan'))
    peer.send(
        0.0, 0.0, 0.0
    )  # a default-constructed Range: inside its own limits, outside the sensor's
    name = '/snn_controller'
    peer.until(
        lambda: peer.diagnostics.get(name, {}).get('rejected.outside sensor limits') == '1'
        and peer.diagnostics[name].get('rejected.non-finite') == '1',
        10,
        'the rejections in /diagnostics',
        send_altitude=True,
    )
    values = peer.diagnostics[name]
    print('a /diagnostics status from snn_controller:', values)
    assert (
        values['lifecycle_state'] == 'active'
        and values['backend'] == 'numpy'
        and values['watchdog'] == 'ok'
    )
    assert (
        int(values['messages_in']) >= 5
        and int(values['messages_out']) >= 5
        and values['rejected_total'] == '2'
    )
    assert 0 < float(values['latency_p50_ms']) <= float(values['latency_p99_ms']) < 100
    assert values['__level'] == '0' and values['__message'] == 'active'
    proc.terminate()
    assert proc.wait(timeout=15) == 0


def test_runtime_parameters_are_validated_and_read_only_ones_refused(peer):
    proc = start('snn_controller', *HOVER)
    peer.until(lambda: '/snn_controller' in peer.diagnostics, 30, 'the node')
    assert peer.set_parameter('snn_controller', 'sensor_timeout_s', 2.0).successful
    refused = peer.set_parameter('snn_controller', 'sensor_timeout_s', -1.0)
    assert not refused.successful and 'sensor_timeout_s' in refused.reason, refused.reason
    refused = peer.set_parameter('snn_controller', 'controller', 'blimp_pid')
    assert not refused.successful and 'read-only' in refused.reason, refused.reason
    refused = peer.set_parameter('snn_controller', 'max_setpoint_m', math.nan)
    assert not refused.successful and 'max_setpoint_m' in refused.reason, refused.reason
    assert peer.set_parameter('snn_controller', 'publish_spikes', False).successful
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
        '/clock',
        lambda m: setattr(peer, 'sim_time', m.clock.sec + m.clock.nanosec * 1e-9),
        CLOCK_QOS,
    )
    peer.node.create_subscription(
        Range,
        'altitude',
        lambda m: peer.altitude_stamps.append(m.header.stamp.sec + m.header.stamp.nanosec * 1e-9),
        SENSOR_QOS,
    )
    sim = start(
        'blimp_sim',
        '-p',
        'rate_scale:=5.0',
        '-p',
        'sensor_fails_at_s:=3.0',
        '-p',
        'wait_for_subscribers:=2',
    )
    controller = start('snn_controller', '-p', 'use_sim_time:=true', '-p', 'sensor_timeout_s:=0.5')
    peer.until(lambda: peer.sim_time > 5.0, 60, '5 s of sim time')
    last_sample = max(peer.altitude_stamps)
    assert 2.8 < last_sample < 3.0 + 1e-6, last_sample
    # The answer to the last sample may reach us after our clock passed its stamp; what
    # comes later than 0.3 s of sim time after it can only be the watchdog's.
    after = [(t, v) for t, v in peer.commands if t > last_sample + 0.3]
    assert after, 'no command after the altimeter failed'
    first_t, first_v = after[0]
    assert first_v == 0.0, 'the first command after the failure must be the safe command'
    # the watchdog checks every 0.05 s of sim time; the command is timed by our /clock
    assert 0.5 <= first_t - last_sample <= 0.5 + 0.2, first_t - last_sample
    for proc in (sim, controller):
        proc.terminate()
        assert proc.wait(timeout=15) == 0


def test_event_replay_waits_for_its_subscriber_and_the_recogniser_counts_missed_events(peer):
    from snn_control.ros.event_codec import first_event_index
    from snn_control.shared_data import shared_data

    recording = next(shared_data('events').rglob('*.aedat4'))
    replay = start('event_replay', '-p', f'path:={recording}', '-p', 'wait_for_subscribers:=1')
    peer.until(
        lambda: peer.diagnostics.get('/event_replay', {}).get('waiting_for_subscribers') == 'True',
        30,
        'the replay waiting',
    )
    assert peer.diagnostics['/event_replay']['published_events'] == '0'
    packets: list[PointCloud2] = []
    peer.node.create_subscription(PointCloud2, 'events', packets.append, SENSOR_QOS)
    peer.until(lambda: len(packets) >= 3, 30, 'event packets')
    assert (
        first_event_index(packets[0]) == 0
    ), 'the replay must start from the first event once heard'
    replay.terminate()
    assert replay.wait(timeout=15) == 0

    # The recogniser counts exactly the events of packets that never reached it.
    from snn_control.events.io import EVENT_DTYPE
    from snn_control.ros.event_codec import encode_events

    recogniser = start('action_recognition', '-p', 'input:=point_cloud')
    pub = peer.node.create_publisher(PointCloud2, 'events', SENSOR_QOS)
    peer.until(lambda: pub.get_subscription_count() >= 1, 30, 'the recogniser')
    peer.until(
        lambda: peer.diagnostics.get('/action_recognition', {}).get('lifecycle_state') == 'active',
        30,
        'the recogniser active',
    )
    events = np.zeros(100, EVENT_DTYPE)
    events['t'] = np.arange(100) * 10
    for first in (0, 100, 350):  # 150 events (indices 200..349) never sent
        pub.publish(encode_events(events, (128, 128), first_index=first))
        peer.spin(0.05)
    peer.until(
        lambda: peer.diagnostics['/action_recognition'].get('missed_events') == '150',
        10,
        'missed_events = 150',
    )
    recogniser.terminate()
    assert recogniser.wait(timeout=15) == 0


def _node_executables() -> list[str]:
    """Return the node executables of the package (``NODES`` in setup.py)."""
    import ast
    from pathlib import Path

    setup = ast.parse((Path(__file__).resolve().parents[1] / 'setup.py').read_text())
    return sorted(
        next(
            ast.literal_eval(n.value)
            for n in setup.body
            if isinstance(n, ast.Assign) and getattr(n.targets[0], 'id', '') == 'NODES'
        )
    )


#: what each node's DiagnosticStatus must carry besides the counts every node has
COUNTS = {'messages_in', 'messages_out', 'rejected_total'}
CONTROLLER = {'lifecycle_state', 'watchdog', 'backend', 'controller'}
RECOGNISER = {'lifecycle_state', 'backend'}
DIAGNOSTIC_KEYS = {
    'snn_controller': CONTROLLER,
    'pid_controller': CONTROLLER,
    'ncap_controller': CONTROLLER,
    'place_recognition': RECOGNISER | {'answered', 'places'},
    'action_recognition': RECOGNISER | {'windows', 'missed_events'},
    'event_replay': {'published_events', 'unheard_events', 'waiting_for_subscribers'},
    'image_replay': {'published_images', 'unheard_images', 'waiting_for_subscribers'},
    'plant_sim': {'messages_out'},
    'blimp_sim': {'messages_out'},
    'swimmer_sim': {'messages_out'},
    'spike_echo': set(),
}


def test_every_node_publishes_its_diagnostics(peer, tmp_path):
    """
    Start every node executable of the package; each one's status arrives on /diagnostics.

    With the keys it should carry: the counts, a controller's watchdog and backend, a
    recogniser's backend, what a replay published and missed.
    """
    from PIL import Image as PilImage
    from snn_control.shared_data import shared_data

    assert sorted(DIAGNOSTIC_KEYS) == _node_executables(), 'a node without expected keys'
    folder = tmp_path / 'images'
    folder.mkdir()
    for i in range(3):
        PilImage.fromarray(np.full((32, 64), 40 * i, np.uint8)).save(folder / f'images-{i}.png')
    recording = next(shared_data('events').rglob('*.aedat4'))
    args = {
        'event_replay': ('-p', f'path:={recording}', '-p', 'wait_for_subscribers:=1'),
        'image_replay': ('-p', f'folder:={folder}', '-p', 'wait_for_subscribers:=1'),
        'snn_controller': HOVER,
    }
    for name in DIAGNOSTIC_KEYS:
        start(name, *args.get(name, ()))
    missing = {}

    def all_arrived() -> bool:
        missing.clear()
        for name, keys in DIAGNOSTIC_KEYS.items():
            got = set(peer.diagnostics.get(f'/{name}', {}))
            if not (COUNTS | keys) <= got:
                missing[name] = sorted((COUNTS | keys) - got)
        return not missing

    try:
        peer.until(all_arrived, 90, "every node's /diagnostics")
    except AssertionError as exc:
        raise AssertionError(f'{exc}; missing keys: {missing}') from None
    for name in ('snn_controller', 'pid_controller', 'ncap_controller'):
        watchdog = peer.diagnostics[f'/{name}']['watchdog']
        assert watchdog == 'ok' or watchdog.startswith('silent for '), watchdog
    assert peer.diagnostics['/action_recognition']['backend'].startswith('torch')
    print('a /diagnostics status of every node:')
    for name in sorted(DIAGNOSTIC_KEYS):
        print(f"  /{name}: {peer.diagnostics[f'/{name}']}")


def test_launch_unconfigured_leaves_the_managed_nodes_unconfigured(peer):
    """``snn-control launch --unconfigured``: the node waits unconfigured for a manager."""
    runner = start_command(
        [str(BIN / 'snn-control'), 'launch', 'blimp_sim', '--unconfigured', '--duration', '120']
    )
    peer.until(
        lambda: '/snn_controller' in peer.diagnostics and '/blimp_sim' in peer.diagnostics,
        60,
        "the graph's /diagnostics",
    )
    assert peer.state('snn_controller') == 'unconfigured'
    assert peer.diagnostics['/snn_controller']['lifecycle_state'] == 'unconfigured'
    # it stays so, and does not command the simulator
    assert peer.fresh_diagnostics('snn_controller')['lifecycle_state'] == 'unconfigured'
    assert not peer.commands and peer.state('snn_controller') == 'unconfigured'
    # a manager can still bring it up
    assert peer.transition('snn_controller', Transition.TRANSITION_CONFIGURE)
    assert peer.state('snn_controller') == 'inactive'
    runner.send_signal(signal.SIGINT)
    out, err = runner.communicate(timeout=30)
    assert runner.returncode == 0, err
