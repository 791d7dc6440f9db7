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
Graphs of nodes: one declarative YAML per scenario, read by launch files and by our runner.

``ros2 launch`` is not installable from PyPI, so ``snn-control launch <graph>`` starts the
same graph of nodes as separate processes. The graph file (``snn_control/graphs/*.yaml``)
is the single description; ``launch/<graph>.launch.py`` turns it into ``launch_ros`` Node
actions on a robot with a system ROS 2. Format::

    name: hover_sim
    nodes:
      - executable: plant_sim          # console script of this package
        name: plant_sim                # node name (optional)
        params: [plant_sim.yaml]       # files in snn_control/config (optional)
        parameters: {rate_scale: 2.0}  # inline overrides (optional)
        remap: {altitude: /blimp/altitude}   # (optional)

This module imports neither ``launch`` nor ``rclpy``.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass, field
from importlib import resources
import os
from pathlib import Path
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from typing import Any, Sequence

import yaml


class GraphError(ValueError):
    """A graph file is malformed; the message names the problem."""


@dataclass(frozen=True)
class NodeSpec:
    executable: str
    name: str
    params: tuple[str, ...] = ()
    parameters: dict[str, Any] = field(default_factory=dict)
    remap: dict[str, str] = field(default_factory=dict)
    namespace: str = ''


@dataclass(frozen=True)
class Graph:
    name: str
    nodes: tuple[NodeSpec, ...]


_NODE_KEYS = {'executable', 'name', 'params', 'parameters', 'remap', 'namespace'}


def graph_names() -> list[str]:
    folder = resources.files('snn_control').joinpath('graphs')
    return sorted(p.name[:-5] for p in folder.iterdir() if p.name.endswith('.yaml'))


def config_path(file_name: str) -> Path:
    """Return a params file of this package (``snn_control/config``), found through the package."""
    path = Path(str(resources.files('snn_control').joinpath('config', file_name)))
    if not path.is_file():
        raise GraphError(
            f'params file {file_name!r} is not in the package config folder {path.parent}'
        )
    return path


def load_graph(name_or_path: str) -> Graph:
    """Read a graph by name (package ``graphs/``) or by path, validating every field."""
    path = Path(name_or_path)
    if not path.is_file():
        path = Path(str(resources.files('snn_control').joinpath('graphs', f'{name_or_path}.yaml')))
    if not path.is_file():
        raise GraphError(f"no graph {name_or_path!r}; known: {', '.join(graph_names())}")
    data = yaml.safe_load(path.read_text()) or {}
    if not isinstance(data, dict) or not isinstance(data.get('nodes'), list) or not data['nodes']:
        raise GraphError(f"{path}: a graph needs a non-empty 'nodes' list")
    nodes = []
    for i, entry in enumerate(data['nodes']):
        if not isinstance(entry, dict) or 'executable' not in entry:
            raise GraphError(f"{path}: node {i} needs an 'executable'")
        unknown = sorted(set(entry) - _NODE_KEYS)
        if unknown:
            raise GraphError(
                f'{path}: node {i} has unknown key(s) {unknown}; allowed: {sorted(_NODE_KEYS)}'
            )
        params = tuple(entry.get('params') or ())
        for p in params:
            config_path(p)
        nodes.append(
            NodeSpec(
                executable=str(entry['executable']),
                name=str(entry.get('name', entry['executable'])),
                params=params,
                parameters=dict(entry.get('parameters') or {}),
                remap={str(k): str(v) for k, v in (entry.get('remap') or {}).items()},
                namespace=str(entry.get('namespace', '')),
            )
        )
    names = [n.name for n in nodes]
    if len(set(names)) != len(names):
        raise GraphError(f'{path}: node names must be unique, got {names}')
    return Graph(name=str(data.get('name', path.stem)), nodes=tuple(nodes))


def is_managed(executable: str) -> bool:
    """Return whether the node is a lifecycle node (its schema has ``autostart``)."""
    from snn_control.ros.parameter_schema import load_schema, schema_names

    return executable in schema_names() and 'autostart' in load_schema(executable).parameters


def ros_arguments(node: NodeSpec, inline_params_file: str | None) -> list[str]:
    """Return the ``--ros-args`` of one node: name, namespace, params files, remappings."""
    args = ['--ros-args', '-r', f'__node:={node.name}']
    if node.namespace:
        args += ['-r', f'__ns:={node.namespace}']
    for p in node.params:
        args += ['--params-file', str(config_path(p))]
    if inline_params_file:
        args += ['--params-file', inline_params_file]
    for src, dst in node.remap.items():
        args += ['-r', f'{src}:={dst}']
    return args


def _executable(name: str) -> str:
    beside = Path(sys.executable).parent / name
    found = str(beside) if beside.is_file() else shutil.which(name)
    if not found:
        raise GraphError(f'executable {name!r} not found beside {sys.executable} or on PATH')
    return found


class GraphRunner:
    """Starts every node of a graph as its own process and stops them together."""

    def __init__(self, graph: Graph, overrides: dict[str, dict[str, Any]] | None = None) -> None:
        self.graph = graph
        self.overrides = overrides or {}
        self.processes: dict[str, subprocess.Popen] = {}
        self._tmp = tempfile.TemporaryDirectory(prefix='snn_graph_')
        self._threads: list[threading.Thread] = []

    def start(self) -> None:
        for node in self.graph.nodes:
            inline = {**node.parameters, **self.overrides.get(node.name, {})}
            inline_file = None
            if inline:
                inline_file = os.path.join(self._tmp.name, f'{node.name}.yaml')
                with open(inline_file, 'w') as fh:
                    yaml.safe_dump({node.name: {'ros__parameters': inline}}, fh)
            cmd = [_executable(node.executable), *ros_arguments(node, inline_file)]
            proc = subprocess.Popen(
                cmd,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
                start_new_session=True,
            )
            self.processes[node.name] = proc
            thread = threading.Thread(target=self._forward, args=(node.name, proc), daemon=True)
            thread.start()
            self._threads.append(thread)

    @staticmethod
    def _forward(name: str, proc: subprocess.Popen) -> None:
        for line in proc.stdout:  # type: ignore[union-attr]
            sys.stdout.write(f'[{name}] {line}')
            sys.stdout.flush()

    def poll(self) -> dict[str, int | None]:
        return {name: p.poll() for name, p in self.processes.items()}

    def stop(self, grace_s: float = 5.0) -> dict[str, int]:
        """SIGINT to every node, then SIGTERM, then SIGKILL for those that did not exit."""
        for sig, wait in ((signal.SIGINT, grace_s), (signal.SIGTERM, 2.0), (signal.SIGKILL, 2.0)):
            alive = [p for p in self.processes.values() if p.poll() is None]
            if not alive:
                break
            for p in alive:
                p.send_signal(sig)
            deadline = time.monotonic() + wait
            for p in alive:
                try:
                    p.wait(timeout=max(0.0, deadline - time.monotonic()))
                except subprocess.TimeoutExpired:
                    pass
        for t in self._threads:
            t.join(timeout=1.0)
        self._tmp.cleanup()
        return {name: p.returncode for name, p in self.processes.items()}


def parse_overrides(items: Sequence[str], graph: Graph) -> dict[str, dict[str, Any]]:
    """
    ``["plant_sim.segment_s=5", ...]`` -> ``{"plant_sim": {"segment_s": 5}}``.

    The node must be in the graph; whether the parameter exists is the node's own check
    (an unknown one makes it exit with a message naming it).
    """
    overrides: dict[str, dict[str, Any]] = {}
    names = {n.name for n in graph.nodes}
    for item in items:
        key, sep, text = item.partition('=')
        node, dot, param = key.partition('.')
        if not sep or not dot or not param:
            raise GraphError(f'--set {item!r}: expected NODE.PARAM=VALUE')
        if node not in names:
            raise GraphError(
                f'--set {item!r}: graph {graph.name!r} has no node {node!r} (nodes: '
                f'{sorted(names)})'
            )
        try:
            value = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise GraphError(f'--set {item!r}: value is not YAML: {exc}') from exc
        overrides.setdefault(node, {})[param] = value
    return overrides


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog='snn-control launch', description='start a graph of ROS 2 nodes'
    )
    parser.add_argument('graph', nargs='?', help='graph name (see --list) or path to a graph YAML')
    parser.add_argument('--duration', type=float, help='stop after this many seconds')
    parser.add_argument('--list', action='store_true', help='list the graphs in the package')
    parser.add_argument(
        '--set',
        action='append',
        default=[],
        metavar='NODE.PARAM=VALUE',
        help='override a node parameter (VALUE is YAML: 1.5, [1.0, 1.5], true, text); repeatable',
    )
    parser.add_argument(
        '--unconfigured',
        action='store_true',
        help='leave the managed (lifecycle) nodes unconfigured instead of bringing them to active',
    )
    args = parser.parse_args(list(argv) if argv is not None else None)
    if args.list or not args.graph:
        print('\n'.join(graph_names()))
        return 0
    try:
        graph = load_graph(args.graph)
        overrides = parse_overrides(args.set, graph)
        if args.unconfigured:
            for node in graph.nodes:
                if is_managed(node.executable):
                    overrides.setdefault(node.name, {})['autostart'] = False
        runner = GraphRunner(graph, overrides)
        runner.start()
    except GraphError as exc:
        print(f'snn-control launch: {exc}', file=sys.stderr)
        return 2
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    deadline = time.monotonic() + args.duration if args.duration else None
    while not stop.is_set():
        if deadline is not None and time.monotonic() >= deadline:
            break
        if any(code is not None for code in runner.poll().values()):
            print('snn-control launch: a node exited; stopping the graph', file=sys.stderr)
            break
        stop.wait(0.2)
    codes = runner.stop()
    failed = {n: c for n, c in codes.items() if c not in (0, -signal.SIGINT)}
    if failed:
        print(f'snn-control launch: nodes ended with errors: {failed}', file=sys.stderr)
        return 1
    return 0
