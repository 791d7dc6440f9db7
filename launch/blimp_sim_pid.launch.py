"""
ROS 2 launch file: the MuJoCo blimp and the PID baseline.

The nodes of snn_control/graphs/blimp_sim_pid.yaml.
"""

from launch import LaunchDescription

from snn_control.ros.launch_support import nodes_from_graph


def generate_launch_description() -> LaunchDescription:
    return LaunchDescription(nodes_from_graph("blimp_sim_pid"))
