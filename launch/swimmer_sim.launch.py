"""
ROS 2 launch file: the MuJoCo swimmer and the spiking NCAP (snn_control/graphs/swimmer_sim.yaml).

`snn-control launch swimmer_sim` starts the same nodes where `ros2 launch` is not available.
"""

from launch import LaunchDescription

from snn_control.ros.launch_support import nodes_from_graph


def generate_launch_description() -> LaunchDescription:
    return LaunchDescription(nodes_from_graph("swimmer_sim"))
