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

"""Graph files: validation, the ROS arguments they produce, and the launch files that read them."""

import ast
from pathlib import Path
import py_compile

import pytest
from snn_control.ros.graph import (
    config_path,
    graph_names,
    GraphError,
    is_managed,
    load_graph,
    parse_overrides,
    ros_arguments,
)
from snn_control.ros.parameter_schema import load_schema, parameters_markdown, schema_names
import yaml

ROOT = Path(__file__).resolve().parents[1]


def test_every_graph_loads_and_has_a_launch_file():
    assert 'hover_sim' in graph_names()
    for name in graph_names():
        graph = load_graph(name)
        assert graph.nodes
        launch = ROOT / 'launch' / f'{name}.launch.py'
        assert launch.is_file(), f'graph {name} has no launch file'
        py_compile.compile(str(launch), doraise=True)
        tree = ast.parse(launch.read_text())
        graphs = [call.args[0].value for call in _calls(tree, 'nodes_from_graph')]
        assert graphs == [name], f'{launch.name} does not launch graph {name}'


def test_ros_arguments_carry_name_params_and_remaps():
    graph = load_graph('hover_sim')
    echo = next(n for n in graph.nodes if n.name == 'spike_echo')
    args = ros_arguments(echo, '/tmp/inline.yaml')
    assert args[:3] == ['--ros-args', '-r', '__node:=spike_echo']
    assert args[-2:] == ['-r', 'spikes:=/snn_controller/spikes'] and '/tmp/inline.yaml' in args
    plant = next(n for n in graph.nodes if n.name == 'plant_sim')
    assert any(a.endswith('config/plant_sim.yaml') for a in ros_arguments(plant, None))


@pytest.mark.parametrize(
    'text, message',
    [
        ('nodes: []', "non-empty 'nodes' list"),
        ('nodes:\n  - name: x', "needs an 'executable'"),
        ('nodes:\n  - executable: plant_sim\n    colour: red', r"unknown key\(s\) \['colour'\]"),
        (
            'nodes:\n  - executable: plant_sim\n    params: [nope.yaml]',
            "params file 'nope.yaml' is not in the package",
        ),
        ('nodes:\n  - executable: a\n  - executable: a', 'node names must be unique'),
    ],
)
def test_malformed_graphs_are_named(tmp_path, text, message):
    path = tmp_path / 'g.yaml'
    path.write_text(text)
    with pytest.raises(GraphError, match=message):
        load_graph(str(path))


def test_unknown_graph_lists_the_known_ones():
    with pytest.raises(GraphError, match='known: .*hover_sim'):
        load_graph('no_such_graph')


def test_parameter_overrides_parse_yaml_and_name_bad_input():
    graph = load_graph('blimp_sim')
    assert parse_overrides(
        [
            'blimp_sim.step_s=5',
            'blimp_sim.profile=relative_steps',
            'snn_controller.publish_spikes=false',
        ],
        graph,
    ) == {
        'blimp_sim': {'step_s': 5, 'profile': 'relative_steps'},
        'snn_controller': {'publish_spikes': False},
    }
    for item, message in (
        ('blimp_sim.step_s', 'expected NODE.PARAM=VALUE'),
        ('step_s=5', 'expected NODE.PARAM=VALUE'),
        ('plant.x=1', "has no node 'plant'"),
        ('blimp_sim.x=[1,', 'value is not YAML'),
    ):
        with pytest.raises(GraphError, match=message):
            parse_overrides([item], graph)


def _calls(tree: ast.AST, name: str) -> list[ast.Call]:
    return [
        n
        for n in ast.walk(tree)
        if isinstance(n, ast.Call) and getattr(n.func, 'id', getattr(n.func, 'attr', None)) == name
    ]


def test_launch_arguments_default_to_what_the_nodes_default_to():
    """
    No required launch argument.

    And an argument that sets a node parameter defaults to that parameter's schema default (read
    from the launch files' source: ``launch`` is not installable here).
    """
    for launch in sorted((ROOT / 'launch').glob('*.launch.py')):
        tree = ast.parse(launch.read_text())
        defaults = {}
        for call in _calls(tree, 'DeclareLaunchArgument'):
            given = {kw.arg: kw.value for kw in call.keywords}
            assert (
                'default_value' in given
            ), f'{launch.name}: argument {ast.unparse(call.args[0])} is required'
            if isinstance(
                call.args[0], ast.Constant
            ):  # (arguments built in a loop are topic names)
                defaults[call.args[0].value] = ast.literal_eval(given['default_value'])
        for call in _calls(tree, 'nodes_from_graph'):
            extra = {kw.arg: kw.value for kw in call.keywords}.get('extra_parameters')
            if extra is None:
                continue
            executables = {
                n.name: n.executable for n in load_graph(ast.literal_eval(call.args[0])).nodes
            }
            for node_key, params in zip(extra.keys, extra.values):
                schema = load_schema(executables[ast.literal_eval(node_key)])
                for param_key, value in zip(params.keys, params.values):
                    argument = ast.literal_eval(value.args[0])
                    expected = schema.parameters[ast.literal_eval(param_key)].default
                    assert defaults[argument] == str(expected), (
                        launch.name,
                        argument,
                        defaults[argument],
                        expected,
                    )


def test_parameter_docs_are_generated_from_the_schemas():
    assert (ROOT / 'docs' / 'parameters.md').read_text() == parameters_markdown(), (
        'docs/parameters.md drifted from snn_control/params: run '
        'python -m snn_control.ros.parameter_schema > docs/parameters.md'
    )


def test_every_node_has_a_valid_schema_and_the_managed_ones_autostart():
    setup = ast.parse((ROOT / 'setup.py').read_text())
    NODES = next(
        ast.literal_eval(n.value)
        for n in setup.body
        if isinstance(n, ast.Assign) and getattr(n.targets[0], 'id', '') == 'NODES'
    )
    assert sorted(NODES) == schema_names()
    for name in schema_names():
        load_schema(name)
    assert sorted(n for n in NODES if is_managed(n)) == [
        'action_recognition',
        'ncap_controller',
        'pid_controller',
        'place_recognition',
        'snn_controller',
    ]


def _effective_parameters(node) -> dict:
    """Return a graph node's parameters as it starts: schema defaults, params files, inline."""
    values = {name: spec.default for name, spec in load_schema(node.executable).declared().items()}
    for file_name in node.params:
        data = yaml.safe_load(config_path(file_name).read_text()) or {}
        values.update((data.get(node.name) or {}).get('ros__parameters') or {})
    values.update(node.parameters)
    return values


def _launch_extra_parameters(graph_name: str) -> dict[str, set[str]]:
    """Return the parameters that ``launch/<graph>.launch.py`` adds to each node, by name."""
    tree = ast.parse((ROOT / 'launch' / f'{graph_name}.launch.py').read_text())
    added: dict[str, set[str]] = {}
    for call in _calls(tree, 'nodes_from_graph'):
        extra = {kw.arg: kw.value for kw in call.keywords}.get('extra_parameters')
        for node_key, params in zip(getattr(extra, 'keys', []), getattr(extra, 'values', [])):
            added.setdefault(ast.literal_eval(node_key), set()).update(
                ast.literal_eval(k) for k in params.keys
            )
    return added


def test_replays_wait_for_their_subscribers_in_the_shipped_graphs_and_launch_files():
    """
    Every event_replay and image_replay of a shipped graph waits for a subscriber.

    Read through the package's own graph loader (what ``snn-control launch`` and
    ``launch_support.nodes_from_graph`` start); no launch file overrides the setting.
    """
    replays = {}
    for name in graph_names():
        added = _launch_extra_parameters(name)
        for node in load_graph(name).nodes:
            if node.executable in ('event_replay', 'image_replay'):
                waits = _effective_parameters(node)['wait_for_subscribers']
                replays[(name, node.name)] = waits
                assert 'wait_for_subscribers' not in added.get(node.name, set()), (name, node)
    assert {g for g, _ in replays} >= {'action_recognition', 'place_recognition'}, replays
    assert all(waits >= 1 for waits in replays.values()), replays


def test_config_files_hold_only_overrides():
    """Every key of ``config/*.yaml`` is in its node's schema and differs from its default."""
    users = {
        (file_name, node.name): node.executable
        for graph in graph_names()
        for node in load_graph(graph).nodes
        for file_name in node.params
    }
    files = sorted((ROOT / 'snn_control' / 'config').glob('*.yaml'))
    assert files
    for path in files:
        data = yaml.safe_load(path.read_text())
        assert isinstance(data, dict) and data, path.name
        for node_name, section in data.items():
            # a file no graph uses names its node by executable (e.g. ``ros2 run --params-file``)
            executable = users.get((path.name, node_name), node_name)
            schema = load_schema(executable)
            for key, value in section['ros__parameters'].items():
                assert schema.knows(key), f'{path.name}: {node_name}.{key} is not in the schema'
                spec = schema.declared().get(key)
                if spec is not None:  # (a free namespace such as ``controller.`` has none)
                    assert value != spec.default, (
                        f'{path.name}: {node_name}.{key} = {value!r} is the schema default'
                    )
