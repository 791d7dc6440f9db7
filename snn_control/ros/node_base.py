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
What every snn_control node gets: schema parameters, QoS, diagnostics, watchdog, shutdown.

* **Parameters** come from the node's schema (``snn_control/params/<node>.yaml``,
  generate_parameter_library's format, read by :mod:`snn_control.ros.parameter_schema`):
  type, default, description, validation and ``read_only``. ``--ros-args --params-file``
  and ``-p`` override defaults as usual. A parameter the schema does not know, a value of
  the wrong type or one that fails validation stops the node at start-up with a message
  naming it (exit code 2). At run time, read-only parameters are refused by rclpy with the
  reason, and the others are validated before they take effect.
* **QoS in one place**: :data:`SENSOR_QOS` for state, images, events and spikes,
  :data:`COMMAND_QOS` for commands and answers, :data:`DIAGNOSTICS_QOS` for
  ``/diagnostics``.
* **Diagnostics**: every node publishes ``/diagnostics`` (``diagnostic_msgs/DiagnosticArray``)
  once a second on a steady clock (so a paused simulation does not silence it): messages
  in and out, rejected inputs by reason, latency p50/p99 where the node measures one,
  the lifecycle state and what the node adds (:meth:`SnnNode.diagnostic_values`).
* **Time** is the node's clock (``use_sim_time`` follows ``/clock``): :class:`Watchdog`
  measures an input's age from its message stamp where it has one, as ros2_controllers do.
* **Managed nodes** (:class:`ManagedSnnNode`, ``rclpy.lifecycle``): load in
  ``on_configure``, publish only while active, publish the safe output on deactivate and
  on shutdown; with ``autostart`` (the default) they bring themselves to active.
* :func:`run_node`: SIGINT and SIGTERM end the node without a traceback, after its safe
  output.
"""

from __future__ import annotations

from collections import deque
from pathlib import Path
import signal
import sys
import time
from typing import Any, Callable, Sequence, TypeVar

from builtin_interfaces.msg import Time as TimeMsg
from diagnostic_msgs.msg import DiagnosticArray, DiagnosticStatus, KeyValue
import numpy as np
from rcl_interfaces.msg import (
    FloatingPointRange,
    IntegerRange,
    ParameterDescriptor,
    SetParametersResult,
)
import rclpy
from rclpy.clock import Clock, ClockType
import rclpy.executors
from rclpy.lifecycle import LifecycleNode, LifecycleState, TransitionCallbackReturn
from rclpy.node import Node
from rclpy.parameter import Parameter
from rclpy.qos import HistoryPolicy, qos_profile_sensor_data, QoSProfile, ReliabilityPolicy
from rclpy.signals import SignalHandlerOptions
from rclpy.time import Time
from snn_control.ros.parameter_schema import load_schema, NodeSchema, SchemaError
from std_msgs.msg import Header

T = TypeVar('T')

#: State, images, events and spikes: best effort, keep last 5 (a late sample is worth less
#: than the next).
SENSOR_QOS = qos_profile_sensor_data
#: Commands and answers: reliable, keep last 10 (a lost command is a missed actuation).
COMMAND_QOS = QoSProfile(
    history=HistoryPolicy.KEEP_LAST, depth=10, reliability=ReliabilityPolicy.RELIABLE
)
#: ``/diagnostics``: reliable, keep last 10, as diagnostic_updater publishes it.
DIAGNOSTICS_QOS = QoSProfile(
    history=HistoryPolicy.KEEP_LAST, depth=10, reliability=ReliabilityPolicy.RELIABLE
)
#: ``/clock`` from the simulators: reliable, keep last 10.
CLOCK_QOS = QoSProfile(
    history=HistoryPolicy.KEEP_LAST, depth=10, reliability=ReliabilityPolicy.RELIABLE
)
#: How long a replay or simulator holds after its subscribers matched before it publishes.
#: DDS discovery is asymmetric: the writer sees a reader matched before that reader has
#: matched the writer, and a best-effort sample sent in between is dropped (a replay seen
#: starting at event 918 in CI). Wall time, since discovery runs on the network, not on the
#: node's clock.
DISCOVERY_SETTLE_S = 1.0
#: Parameters every rclpy node has, which no schema lists.
_BUILTIN_PARAMETERS = {'use_sim_time', 'start_type_description_service'}


class ParameterError(ValueError):
    """A parameter file or override does not match what the node declares."""


class LatencyStats:
    """The last ``size`` durations of a tick or an inference, for p50/p99."""

    def __init__(self, size: int = 1000) -> None:
        self._samples: deque[float] = deque(maxlen=size)

    def add(self, seconds: float) -> None:
        self._samples.append(seconds)

    def timed(self, fn: Callable[..., T], *args: Any) -> T:
        begin = time.perf_counter()
        try:
            return fn(*args)
        finally:
            self.add(time.perf_counter() - begin)

    def percentiles_ms(self) -> dict[str, float]:
        if not self._samples:
            return {}
        p50, p99 = np.percentile(np.fromiter(self._samples, float), [50, 99]) * 1e3
        return {'latency_p50_ms': round(float(p50), 4), 'latency_p99_ms': round(float(p99), 4)}


class RateLimitedCounter:
    """Counts rejected inputs per reason and warns at most once per ``period_s`` per reason."""

    def __init__(self, node: Node, period_s: float = 2.0) -> None:
        self._node, self._period = node, period_s
        self.counts: dict[str, int] = {}
        self._last_log: dict[str, float] = {}

    def reject(self, reason: str, detail: str) -> None:
        self.counts[reason] = self.counts.get(reason, 0) + 1
        now = time.monotonic()
        if now - self._last_log.get(reason, -1e9) >= self._period:
            self._last_log[reason] = now
            self._node.get_logger().warning(
                f'rejected input ({reason}, {self.counts[reason]} so far): {detail}'
            )

    @property
    def total(self) -> int:
        return sum(self.counts.values())


class _SnnNodeParts:
    """What :class:`SnnNode` and :class:`ManagedSnnNode` share (mixed into an rclpy node)."""

    #: the node's name and its schema's (``snn_control/params/<NODE_NAME>.yaml``)
    NODE_NAME = ''

    def _setup(self) -> None:
        self.schema = self._declare_from_schema()
        self.rejected = RateLimitedCounter(self)
        self.counts: dict[str, int] = {'messages_in': 0, 'messages_out': 0}
        self.latency = LatencyStats()
        self._matched_since: float | None = None  # see listeners_ready
        self._diagnostics_pub = self.create_publisher(
            DiagnosticArray, '/diagnostics', DIAGNOSTICS_QOS
        )
        self.create_timer(
            1.0, self.publish_diagnostics, clock=Clock(clock_type=ClockType.STEADY_TIME)
        )

    # -- parameters ---------------------------------------------------------------------

    def _declare_from_schema(self) -> NodeSchema:
        name = self.get_name()
        try:
            schema = load_schema(self.NODE_NAME)
        except SchemaError as exc:
            raise ParameterError(f'node {name!r}: {exc}') from exc
        # rclpy keeps the --ros-args overrides here and silently ignores undeclared ones,
        # so we read them to name any the node does not know (a typo must not fall back).
        overrides = dict(getattr(self, '_parameter_overrides', {}))
        unknown = sorted(
            n for n in overrides if n not in _BUILTIN_PARAMETERS and not schema.knows(n)
        )
        if unknown:
            raise ParameterError(
                f'node {name!r}: unknown parameter(s) {unknown} in parameter overrides; '
                f'declared: {sorted(schema.declared())} and namespaces {schema.namespaces}'
            )
        for spec in schema.declared().values():
            given = overrides.get(spec.name)
            if (
                spec.type == 'double'
                and given is not None
                and given.type_ == Parameter.Type.INTEGER
            ):
                # "step_s:=5" means 5.0: widen integers for floating-point parameters (rclpy
                # would refuse the type), as a user typing a launch argument expects.
                self._parameter_overrides[spec.name] = Parameter(
                    spec.name, Parameter.Type.DOUBLE, float(given.value)
                )
            descriptor = ParameterDescriptor(
                description=spec.description,
                read_only=spec.read_only,
                additional_constraints=spec.describe_validation(),
            )
            bounds = spec.validation.get('bounds<>')
            if bounds is not None and spec.type == 'double':
                descriptor.floating_point_range = [
                    FloatingPointRange(
                        from_value=float(bounds[0]), to_value=float(bounds[1]), step=0.0
                    )
                ]
            elif bounds is not None and spec.type == 'int':
                descriptor.integer_range = [
                    IntegerRange(from_value=int(bounds[0]), to_value=int(bounds[1]), step=1)
                ]
            try:
                value = self.declare_parameter(spec.name, spec.default, descriptor).value
            except Exception as exc:  # rclpy raises several types for bad types / ranges
                raise ParameterError(f'node {name!r}: parameter {spec.name!r}: {exc}') from exc
            reason = spec.check(value)
            if reason:
                raise ParameterError(f'node {name!r}: parameter {reason}')
        for ns in schema.namespaces:
            for key, given in overrides.items():
                if key.startswith(ns):
                    self.declare_parameter(
                        key,
                        given.value,
                        ParameterDescriptor(
                            description=f'{ns[:-1]} parameter', dynamic_typing=True, read_only=True
                        ),
                    )
        self.add_on_set_parameters_callback(self._validate_change)
        return schema

    def _validate_change(self, parameters: list[Parameter]) -> SetParametersResult:
        """Run-time changes: every value is checked against the schema before it applies."""
        for parameter in parameters:
            spec = self.schema.declared().get(parameter.name)
            if spec is None:
                continue
            reason = spec.check(parameter.value)
            if reason:
                return SetParametersResult(successful=False, reason=reason)
        return SetParametersResult(successful=True)

    def param(self, name: str) -> Any:
        return self.get_parameter(name).value

    def load_file(
        self, param: str, shipped: str | Path, load: Callable[[str], T]
    ) -> tuple[T, str]:
        """
        Load the file that parameter ``param`` names.

        Empty: the ``shipped`` one. Returns what it holds and its path; a missing or unusable file
        raises :class:`ParameterError`.
        """
        path = self.param(param) or str(shipped)
        try:
            return load(path), path
        except (OSError, ValueError) as exc:  # the package's file errors are ValueErrors
            raise ParameterError(f'node {self.get_name()!r}: cannot load {path}: {exc}') from exc

    def namespace_params(self, namespace: str) -> dict[str, Any]:
        """Parameters under ``namespace.`` as a plain dict without the prefix."""
        prefix = namespace + '.'
        return {
            name[len(prefix):]: self.get_parameter(name).value
            for name in self._parameters
            if name.startswith(prefix)
        }

    def listeners_ready(self, publisher: Any, topic: str, also_needed: bool = True) -> bool:
        """
        Say whether enough subscribers have listened to ``publisher`` long enough to hear it.

        ``wait_for_subscribers`` of them must stay matched (and ``also_needed`` hold) for
        :data:`DISCOVERY_SETTLE_S` of wall time. Logged while waiting, and once when ready.
        """
        wanted, listening = (
            int(self.param('wait_for_subscribers')),
            publisher.get_subscription_count(),
        )
        if listening < wanted or not also_needed:
            self._matched_since = None
            self.get_logger().info(
                f'waiting: {listening}/{wanted} subscribers on {topic}', throttle_duration_sec=2.0
            )
            return False
        now = time.monotonic()
        if self._matched_since is None:
            self._matched_since = now
        if now - self._matched_since < DISCOVERY_SETTLE_S:
            return False
        self.get_logger().info(f'{listening} subscriber(s) on {topic}: publishing starts')
        return True

    # -- diagnostics --------------------------------------------------------------------

    def count(self, key: str, n: int = 1) -> None:
        self.counts[key] = self.counts.get(key, 0) + n

    def diagnostic_values(self) -> dict[str, Any]:
        """Return what this node adds to its diagnostics (subclasses extend it)."""
        return {}

    def diagnostic_level(self) -> tuple[bytes, str]:
        """(level, message) of the node's status; subclasses refine it."""
        return DiagnosticStatus.OK, 'running'

    def publish_diagnostics(self) -> None:
        values: dict[str, Any] = {**self.counts, 'rejected_total': self.rejected.total}
        values.update(
            {f'rejected.{reason}': n for reason, n in sorted(self.rejected.counts.items())}
        )
        values.update(self.latency.percentiles_ms())
        values.update(self.diagnostic_values())
        level, message = self.diagnostic_level()
        status = DiagnosticStatus(
            level=level,
            name=self.get_fully_qualified_name(),
            message=message,
            hardware_id='snn_control',
            values=[KeyValue(key=str(k), value=str(v)) for k, v in values.items()],
        )
        header = Header(stamp=self.get_clock().now().to_msg())
        self._diagnostics_pub.publish(DiagnosticArray(header=header, status=[status]))

    def on_exit(self) -> None:
        """Publish the safe output once, before the node is destroyed."""


class SnnNode(_SnnNodeParts, Node):
    """A plain node with schema parameters and diagnostics (simulators, replays, tools)."""

    def __init__(self, node_name: str | None = None, **kwargs: Any) -> None:
        Node.__init__(self, node_name or self.NODE_NAME, **kwargs)
        self._setup()


class ManagedSnnNode(_SnnNodeParts, LifecycleNode):
    """
    A lifecycle node.

    Subclasses load in :meth:`configure`, publish outputs only while :attr:`active`, give their
    safe output in :meth:`safe_output` (published on deactivate and on shutdown) and release in
    :meth:`cleanup`. A failed configure leaves the node unconfigured with the reason in the log and
    in :attr:`configure_error`.
    """

    def __init__(self, node_name: str | None = None, **kwargs: Any) -> None:
        LifecycleNode.__init__(self, node_name or self.NODE_NAME, **kwargs)
        self._setup()
        self.active = False
        self.configured = False
        self.configure_error: str | None = None
        self._releases: list[Callable[[], Any]] = []

    # what configure creates, released by cleanup
    def configured_publisher(self, *args: Any) -> Any:
        publisher = self.create_publisher(*args)
        self._releases.append(lambda: self.destroy_publisher(publisher))
        return publisher

    def configured_subscription(self, *args: Any) -> Any:
        subscription = self.create_subscription(*args)
        self._releases.append(lambda: self.destroy_subscription(subscription))
        return subscription

    def configured_watchdog(self, *args: Any) -> 'Watchdog':
        watchdog = Watchdog(self, *args)
        self._releases.append(watchdog.destroy)
        return watchdog

    def publish_tick_spikes(self, publisher: Any, controller: Any, stamp: TimeMsg) -> None:
        """Publish a controller's last tick on the spike topic, when ``publish_spikes`` is on."""
        if publisher is not None and self.param('publish_spikes'):
            from snn_control.ros.spike_codec import encode_spikes

            publisher.publish(
                encode_spikes(
                    controller.last_spikes(), network=self.param('controller'), stamp=stamp
                )
            )
            self.count('messages_out')

    # what subclasses implement
    def configure(self) -> None:
        """Load the network or map and create publishers and subscriptions."""

    def cleanup(self) -> None:
        """Release what :meth:`configure` created."""

    def safe_output(self) -> None:
        """Publish the safe command (zero effort, the controller's safe command, ...)."""

    # lifecycle transitions
    def on_configure(self, state: LifecycleState) -> TransitionCallbackReturn:
        try:
            self.configure()
        except ParameterError as exc:
            self.configure_error = str(exc)
            self.get_logger().error(f'configure failed: {exc}')
            return TransitionCallbackReturn.FAILURE
        self.configured, self.configure_error = True, None
        return TransitionCallbackReturn.SUCCESS

    def on_activate(self, state: LifecycleState) -> TransitionCallbackReturn:
        self.active = True
        self.on_activated()
        return super().on_activate(state)

    def on_activated(self) -> None:
        """React to the outputs starting (e.g. restart a watchdog's clock)."""

    def on_deactivate(self, state: LifecycleState) -> TransitionCallbackReturn:
        self.active = False
        self.safe_output()
        return super().on_deactivate(state)

    def on_cleanup(self, state: LifecycleState) -> TransitionCallbackReturn:
        self.cleanup()
        while self._releases:
            self._releases.pop()()
        self.configured = False
        return TransitionCallbackReturn.SUCCESS

    def on_shutdown(self, state: LifecycleState) -> TransitionCallbackReturn:
        if self.configured:
            self.safe_output()
        self.active = False
        return TransitionCallbackReturn.SUCCESS

    def on_exit(self) -> None:
        if self.configured:
            self.safe_output()

    def lifecycle_state(self) -> str:
        return self._state_machine.current_state[1]

    def diagnostic_values(self) -> dict[str, Any]:
        return {'lifecycle_state': self.lifecycle_state()}

    def diagnostic_level(self) -> tuple[bytes, str]:
        if self.configure_error:
            return DiagnosticStatus.ERROR, f'configure failed: {self.configure_error}'
        if not self.active:
            return DiagnosticStatus.WARN, f'{self.lifecycle_state()}: no outputs'
        return DiagnosticStatus.OK, 'active'

    def autostart(self) -> None:
        """
        Configure and activate (the ``autostart`` parameter).

        A failed configure raises :class:`ParameterError` so that the process ends with the reason.
        """
        self.trigger_configure()
        if not self.configured:
            raise ParameterError(
                self.configure_error or f'node {self.get_name()!r}: configure failed'
            )
        self.trigger_activate()


class Watchdog:
    """
    Calls ``on_silence(age_s)`` every ``period_s`` while the input's age exceeds ``timeout_s()``.

    Age and period are on the node's clock (sim time under ``use_sim_time``: a paused simulation
    does not trip it) and measured from the last input's message stamp where it has one (from its
    arrival otherwise).
    """

    def __init__(
        self,
        node: Node,
        timeout_s: Callable[[], float],
        on_silence: Callable[[float], None],
        period_s: float = 0.05,
    ) -> None:
        self.timeout_s = timeout_s
        self._node = node
        self._on_silence = on_silence
        self._last: Time = node.get_clock().now()
        self.silent = False
        self._timer = node.create_timer(period_s, self._check)

    def stamp_of(self, stamp: TimeMsg | None) -> Time:
        """Return the input's time: its stamp, or now when it has none (zero)."""
        if stamp is None or (stamp.sec == 0 and stamp.nanosec == 0):
            return self._node.get_clock().now()
        return Time.from_msg(stamp, clock_type=self._node.get_clock().clock_type)

    def age_s(self, stamp: TimeMsg | None = None) -> float:
        """Age of ``stamp`` (or of the last input) on the node's clock, in seconds."""
        then = self._last if stamp is None else self.stamp_of(stamp)
        return (self._node.get_clock().now() - then).nanoseconds * 1e-9

    def take(self, stamp: TimeMsg | None, rejected: RateLimitedCounter, what: str) -> bool:
        """
        Feed the watchdog with an input of this ``stamp`` unless it is already stale.

        A stale input (older than the timeout on arrival) is rejected as ``stale``.
        """
        age, limit = self.age_s(stamp), self.timeout_s()
        if age > limit:
            rejected.reject('stale', f'{what} {age:.3f} s old (timeout {limit} s)')
            return False
        self.feed(stamp)
        return True

    def feed(self, stamp: TimeMsg | None = None) -> None:
        self._last = self.stamp_of(stamp)
        self.silent = False

    def restart(self) -> None:
        """Count the silence from now (e.g. when a node becomes active)."""
        self.feed(None)

    def state(self) -> str:
        return f'silent for {self.age_s():.2f} s' if self.silent else 'ok'

    def _check(self) -> None:
        quiet = self.age_s()
        if quiet > self.timeout_s():
            self.silent = True
            self._on_silence(quiet)

    def destroy(self) -> None:
        self._node.destroy_timer(self._timer)


def make_executor(context: Any = None) -> Any:
    """
    Return rclpy's C++ EventsExecutor where available.

    It dispatches a message in tens of microseconds where the Python SingleThreadedExecutor
    rebuilds a wait set per event.
    """
    try:
        from rclpy.experimental import EventsExecutor

        return EventsExecutor(context=context)
    except ImportError:
        return rclpy.executors.SingleThreadedExecutor(context=context)


def run_node(make_node: Callable[[], _SnnNodeParts], args: Sequence[str] | None = None) -> int:
    """
    Init rclpy, build the node (and bring a managed node with ``autostart`` to active).

    Spin until SIGINT/SIGTERM, give the safe output, shut down cleanly; exit code.
    """
    rclpy.init(
        args=list(sys.argv if args is None else args),
        signal_handler_options=SignalHandlerOptions.NO,
    )
    stop = {'requested': False}

    def request_stop(signum: int, _frame: Any) -> None:
        stop['requested'] = True

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)
    node = None
    try:
        try:
            node = make_node()
            if isinstance(node, ManagedSnnNode) and node.param('autostart'):
                node.autostart()
        except ParameterError as exc:
            print(f'[snn_control] {exc}', file=sys.stderr)
            return 2
        executor = make_executor()
        executor.add_node(node)
        while not stop['requested'] and rclpy.ok():
            executor.spin_once(timeout_sec=0.1)
        node.on_exit()
        return 0
    finally:
        if node is not None:
            node.destroy_node()
        if rclpy.ok():
            rclpy.shutdown()
