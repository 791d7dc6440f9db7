"""
ROS 2 launch file.

The MuJoCo blimp and the evolved SNN controller (snn_control/graphs/blimp_sim.yaml).

`snn-control launch blimp_sim` starts the same nodes where `ros2 launch` is not available;
`blimp_sim_pid.launch.py` flies the PID baseline instead.
"""

from launch import LaunchDescription

from snn_control.ros.launch_support import nodes_from_graph


def generate_launch_description() -> LaunchDescription:
    return LaunchDescription(nodes_from_graph("blimp_sim"))
