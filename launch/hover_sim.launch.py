"""
ROS 2 launch file for the hover closed loop: the nodes of snn_control/graphs/hover_sim.yaml.

The graph YAML is the single description; `snn-control launch hover_sim` starts the same
nodes where `ros2 launch` is not available.
"""

from launch import LaunchDescription

from snn_control.ros.launch_support import nodes_from_graph


def generate_launch_description() -> LaunchDescription:
    return LaunchDescription(nodes_from_graph("hover_sim"))
