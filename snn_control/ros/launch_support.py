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
Turn a graph YAML into ``launch_ros`` Node actions (used by the files in ``launch/``).

Only importable where ``launch_ros`` is installed (a system ROS 2); the graph parsing
itself lives in :mod:`snn_control.ros.graph`, shared with ``snn-control launch``.

Every launch file gets an ``autostart`` argument (default ``true``): the managed nodes of
the graph (those whose schema has ``autostart``) configure and activate themselves; with
``autostart:=false`` they wait unconfigured for a lifecycle manager.
"""

from __future__ import annotations

from typing import Any

from snn_control.ros.graph import config_path, is_managed, load_graph


def nodes_from_graph(
    graph_name: str,
    extra_remaps: list[tuple[Any, Any]] | None = None,
    extra_parameters: dict[str, dict[str, Any]] | None = None,
    conditions: dict[str, Any] | None = None,
) -> list[Any]:
    """
    ``launch_ros`` Nodes of a graph.

    ``extra_remaps`` (launch substitutions allowed) go to every node, ``extra_parameters`` and
    ``conditions`` to the node of that name.
    """
    from launch.actions import DeclareLaunchArgument
    from launch.substitutions import LaunchConfiguration
    from launch_ros.actions import Node

    graph = load_graph(graph_name)
    actions: list[Any] = [
        DeclareLaunchArgument(
            'autostart',
            default_value='true',
            description='bring the managed nodes to active (false: leave them unconfigured)',
        )
    ]
    for node in graph.nodes:
        parameters: list[Any] = [str(config_path(p)) for p in node.params]
        if node.parameters:
            parameters.append(dict(node.parameters))
        if extra_parameters and node.name in extra_parameters:
            parameters.append(dict(extra_parameters[node.name]))
        if is_managed(node.executable):
            parameters.append({'autostart': LaunchConfiguration('autostart')})
        actions.append(
            Node(
                package='snn_control',
                executable=node.executable,
                name=node.name,
                namespace=node.namespace or None,
                parameters=parameters,
                remappings=[*node.remap.items(), *(extra_remaps or [])],
                output='screen',
                condition=(conditions or {}).get(node.name),
            )
        )
    return actions
