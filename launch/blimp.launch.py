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
ROS 2 launch file for the real blimp.

The evolved SNN controller alone (snn_control/graphs/blimp.yaml).

    ros2 launch snn_control blimp.launch.py altitude_topic:=/tfmini/range \
        command_topic:=/motors/command setpoint_topic:=/altitude_setpoint

The controller expects ``sensor_msgs/Range`` altitude at 10 Hz and publishes
``std_msgs/Float64`` commands in [-3.3, 3.3] and its spikes on ``~/spikes``.
"""

from launch import LaunchDescription
from launch.actions import DeclareLaunchArgument
from launch.substitutions import LaunchConfiguration
from snn_control.ros.launch_support import nodes_from_graph

TOPICS = {
    'altitude': 'altitude_topic',
    'altitude_setpoint': 'setpoint_topic',
    'motor_command': 'command_topic',
}


def generate_launch_description() -> LaunchDescription:
    arguments = [
        DeclareLaunchArgument(
            arg, default_value=topic, description=f"topic that '{topic}' is remapped to"
        )
        for topic, arg in TOPICS.items()
    ]
    remaps = [(topic, LaunchConfiguration(arg)) for topic, arg in TOPICS.items()]
    return LaunchDescription([*arguments, *nodes_from_graph('blimp', extra_remaps=remaps)])
