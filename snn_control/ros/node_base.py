"""What every snn_control node gets: parameters, QoS, watchdog, input checks, clean shutdown.

* Parameters are declared with descriptors; their defaults come from the node's YAML in
  the package (``snn_control/config/<node>.yaml``, standard ``ros__parameters`` format),
  and a ``--ros-args --params-file`` given at start-up overrides them as usual. A
  parameter in a file that the node does not declare, or of the wrong type, stops the
  node with a message naming it (a typo must not silently fall back to a default).
* QoS in one place: sensor data (best effort) for state and spikes, reliable for commands.
* :class:`Watchdog`: calls back when an input has been silent for too long.
* :class:`RateLimitedCounter`: counts rejected inputs and logs at most every few seconds.
* :func:`run_node`: SIGINT and SIGTERM end the node without a traceback, after its
  ``on_shutdown`` (e.g. publishing the safe command once).
"""
from __future__ import annotations

import signal
import sys
import time
from importlib import resources
from pathlib import Path
from typing import Any, Callable, Sequence, TypeVar

import rclpy
import rclpy.executors
import yaml
from rcl_interfaces.msg import FloatingPointRange, ParameterDescriptor
from rclpy.node import Node
from rclpy.parameter import Parameter
from rclpy.qos import QoSProfile, ReliabilityPolicy, HistoryPolicy, qos_profile_sensor_data
from rclpy.signals import SignalHandlerOptions

T = TypeVar("T")

#: State and spikes: best effort, keep last 5 (a late sample is worth less than the next).
SENSOR_QOS = qos_profile_sensor_data
#: Commands: reliable, keep last 10 (a lost command is a missed actuation).
COMMAND_QOS = QoSProfile(history=HistoryPolicy.KEEP_LAST, depth=10, reliability=ReliabilityPolicy.RELIABLE)


class ParameterError(ValueError):
    """A parameter file or override does not match what the node declares."""


def package_config(node_name: str) -> dict[str, Any]:
    """The ``ros__parameters`` of ``snn_control/config/<node_name>.yaml`` (empty if absent)."""
    path = resources.files("snn_control").joinpath("config", f"{node_name}.yaml")
    if not path.is_file():
        return {}
    data = yaml.safe_load(path.read_text()) or {}
    section = data.get(node_name) or data.get("/**") or {}
    return dict(section.get("ros__parameters") or {})


class SnnNode(Node):
    """A node with declared, file-backed parameters; subclasses list them in ``PARAMETERS``.

    ``PARAMETERS``: name -> (default, description, (low, high) or None). Names ending in
    ``.*`` declare a free namespace (e.g. ``controller.*`` for a controller's own
    parameters), whose entries are taken from the config file and overrides.
    """

    PARAMETERS: dict[str, tuple[Any, str, tuple[float, float] | None]] = {}

    def __init__(self, node_name: str, config_name: str | None = None, **kwargs: Any) -> None:
        super().__init__(node_name, **kwargs)
        defaults = package_config(config_name or node_name)
        # rclpy keeps the --ros-args overrides here; it silently ignores undeclared ones,
        # so we read them to name any the node does not know.
        overrides = dict(getattr(self, "_parameter_overrides", {}))
        namespaces = [n[:-1] for n in self.PARAMETERS if n.endswith(".*")]
        known = {n for n in self.PARAMETERS if not n.endswith(".*")}
        for source, names in (("package config", defaults), ("parameter overrides", overrides)):
            unknown = sorted(n for n in names if n not in known and n != "use_sim_time"
                             and not any(n.startswith(ns) for ns in namespaces))
            if unknown:
                raise ParameterError(f"node {node_name!r}: unknown parameter(s) {unknown} in {source}; "
                                     f"declared: {sorted(known)} and namespaces {namespaces}")
        for name, (default, description, bounds) in self.PARAMETERS.items():
            if name.endswith(".*"):
                continue
            value = defaults.get(name, default)
            given = overrides.get(name)
            if isinstance(value, float) and given is not None and given.type_ == Parameter.Type.INTEGER:
                # "step_s:=5" means 5.0: widen integers for floating-point parameters (rclpy
                # would refuse the type), as a user typing a launch argument expects.
                self._parameter_overrides[name] = Parameter(name, Parameter.Type.DOUBLE, float(given.value))
            descriptor = ParameterDescriptor(description=description)
            if bounds is not None and isinstance(value, float):
                descriptor.floating_point_range = [FloatingPointRange(from_value=float(bounds[0]),
                                                                      to_value=float(bounds[1]), step=0.0)]
            try:
                self.declare_parameter(name, value, descriptor)
            except Exception as exc:  # rclpy raises several types for bad types / ranges
                raise ParameterError(f"node {node_name!r}: parameter {name!r}: {exc}") from exc
        for ns in namespaces:
            entries = {k: v for k, v in defaults.items() if k.startswith(ns)}
            entries.update({k: v.value for k, v in overrides.items() if k.startswith(ns)})
            for name, value in entries.items():
                self.declare_parameter(name, value, ParameterDescriptor(description=f"{ns[:-1]} parameter",
                                                                        dynamic_typing=True))

    def param(self, name: str) -> Any:
        return self.get_parameter(name).value

    def load_file(self, param: str, shipped: str | Path, load: Callable[[str], T]) -> tuple[T, str]:
        """``load`` the file that parameter ``param`` names (empty: the ``shipped`` one): what
        it holds and its path. A missing or unusable file stops the node with the reason."""
        path = self.param(param) or str(shipped)
        try:
            return load(path), path
        except (OSError, ValueError) as exc:  # the package's file errors are ValueErrors
            raise ParameterError(f"node {self.get_name()!r}: cannot load {path}: {exc}") from exc

    def namespace_params(self, namespace: str) -> dict[str, Any]:
        """Parameters under ``namespace.`` as a plain dict without the prefix."""
        prefix = namespace + "."
        return {name[len(prefix):]: self.get_parameter(name).value
                for name in self._parameters if name.startswith(prefix)}

    def on_shutdown(self) -> None:
        """Called once before the node is destroyed (publish the safe command here)."""


class Watchdog:
    """Calls ``on_silence`` every ``period_s`` while no ``feed`` came for ``timeout_s``."""

    def __init__(self, node: Node, timeout_s: float, on_silence: Callable[[float], None], period_s: float = 0.05) -> None:
        self.timeout_s = timeout_s
        self._node = node
        self._last = time.monotonic()
        self._on_silence = on_silence
        self.silent = False
        self._timer = node.create_timer(period_s, self._check)

    def feed(self) -> None:
        self._last = time.monotonic()
        self.silent = False

    def _check(self) -> None:
        quiet = time.monotonic() - self._last
        if quiet > self.timeout_s:
            self.silent = True
            self._on_silence(quiet)


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
            self._node.get_logger().warning(f"rejected input ({reason}, {self.counts[reason]} so far): {detail}")

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def make_executor(context: Any = None) -> Any:
    """rclpy's C++ EventsExecutor where available: it dispatches a message in tens of
    microseconds where the Python SingleThreadedExecutor rebuilds a wait set per event."""
    try:
        from rclpy.experimental import EventsExecutor

        return EventsExecutor(context=context)
    except ImportError:
        return rclpy.executors.SingleThreadedExecutor(context=context)


def run_node(make_node: Callable[[], SnnNode], args: Sequence[str] | None = None) -> int:
    """Init rclpy, build the node, spin until SIGINT/SIGTERM, shut down cleanly; exit code."""
    rclpy.init(args=list(sys.argv if args is None else args), signal_handler_options=SignalHandlerOptions.NO)
    stop = {"requested": False}

    def request_stop(signum: int, _frame: Any) -> None:
        stop["requested"] = True

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)
    node = None
    try:
        try:
            node = make_node()
        except ParameterError as exc:
            print(f"[snn_control] {exc}", file=sys.stderr)
            return 2
        executor = make_executor()
        executor.add_node(node)
        while not stop["requested"] and rclpy.ok():
            executor.spin_once(timeout_sec=0.1)
        node.on_shutdown()
        return 0
    finally:
        if node is not None:
            node.destroy_node()
        if rclpy.ok():
            rclpy.shutdown()
