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
ROS 2 launch file.

The MuJoCo blimp and the evolved SNN controller (snn_control/graphs/blimp_sim.yaml).

`snn-control launch blimp_sim` starts the same nodes where `ros2 launch` is not available;
`blimp_sim_pid.launch.py` flies the PID baseline instead.
"""

from launch import LaunchDescription
from snn_control.ros.launch_support import nodes_from_graph


def generate_launch_description() -> LaunchDescription:
    return LaunchDescription(nodes_from_graph('blimp_sim'))
