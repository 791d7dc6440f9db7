"""Graph files: validation, the ROS arguments they produce, and the launch files that read them."""
import py_compile
from pathlib import Path

import pytest

from snn_control.ros.graph import GraphError, graph_names, load_graph, parse_overrides, ros_arguments

ROOT = Path(__file__).resolve().parents[1]


def test_every_graph_loads_and_has_a_launch_file():
    assert "hover_sim" in graph_names()
    for name in graph_names():
        graph = load_graph(name)
        assert graph.nodes
        launch = ROOT / "launch" / f"{name}.launch.py"
        assert launch.is_file(), f"graph {name} has no launch file"
        py_compile.compile(str(launch), doraise=True)
        assert f'nodes_from_graph("{name}"' in launch.read_text()


def test_ros_arguments_carry_name_params_and_remaps():
    graph = load_graph("hover_sim")
    echo = next(n for n in graph.nodes if n.name == "spike_echo")
    args = ros_arguments(echo, "/tmp/inline.yaml")
    assert args[:3] == ["--ros-args", "-r", "__node:=spike_echo"]
    assert any(a.endswith("config/spike_echo.yaml") for a in args)
    assert args[-2:] == ["-r", "spikes:=/snn_controller/spikes"] and "/tmp/inline.yaml" in args


@pytest.mark.parametrize("text, message", [
    ("nodes: []", "non-empty 'nodes' list"),
    ("nodes:\n  - name: x", "needs an 'executable'"),
    ("nodes:\n  - executable: plant_sim\n    colour: red", r"unknown key\(s\) \['colour'\]"),
    ("nodes:\n  - executable: plant_sim\n    params: [nope.yaml]", "params file 'nope.yaml' is not in the package"),
    ("nodes:\n  - executable: a\n  - executable: a", "node names must be unique"),
])
def test_malformed_graphs_are_named(tmp_path, text, message):
    path = tmp_path / "g.yaml"
    path.write_text(text)
    with pytest.raises(GraphError, match=message):
        load_graph(str(path))


def test_unknown_graph_lists_the_known_ones():
    with pytest.raises(GraphError, match="known: .*hover_sim"):
        load_graph("no_such_graph")


def test_parameter_overrides_parse_yaml_and_name_bad_input():
    graph = load_graph("blimp_sim")
    assert parse_overrides(["blimp_sim.step_s=5", "blimp_sim.profile=relative_steps",
                            "snn_controller.publish_spikes=false"], graph) == {
        "blimp_sim": {"step_s": 5, "profile": "relative_steps"}, "snn_controller": {"publish_spikes": False}}
    for item, message in (("blimp_sim.step_s", "expected NODE.PARAM=VALUE"), ("step_s=5", "expected NODE.PARAM=VALUE"),
                          ("plant.x=1", "has no node 'plant'"), ("blimp_sim.x=[1,", "value is not YAML")):
        with pytest.raises(GraphError, match=message):
            parse_overrides([item], graph)
