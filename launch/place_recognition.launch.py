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
ROS 2 launch file: place recognition from a camera (snn_control/graphs/place_recognition.yaml).

    ros2 launch snn_control place_recognition.launch.py folder:=/path/winter [map:=/path/map.npz]
    ros2 launch snn_control place_recognition.launch.py image_topic:=/camera/image_raw

``map`` defaults to the shipped Nordland map, as the node does. With ``folder`` the
image_replay node plays that folder as a camera on ``image`` (once the recogniser listens);
without it only the place_recognition node starts and listens to ``image_topic``.
Answers: ``/place_recognition/place``, ``~/frame``, ``~/confidence``, ``~/pose`` (when the
map holds poses) and ``~/spikes``.
"""

from launch import LaunchDescription
from launch.actions import DeclareLaunchArgument
from launch.conditions import IfCondition
from launch.substitutions import LaunchConfiguration, PythonExpression
from snn_control.ros.launch_support import nodes_from_graph


def generate_launch_description() -> LaunchDescription:
    arguments = [
        DeclareLaunchArgument(
            'map',
            default_value='',
            description='place map (.npz) from `snn-control train vpr`; empty: the shipped map',
        ),
        DeclareLaunchArgument(
            'folder', default_value='', description='image folder to replay as a camera'
        ),
        DeclareLaunchArgument('image_topic', default_value='image', description='camera topic'),
    ]
    folder_given = IfCondition(PythonExpression(["'", LaunchConfiguration('folder'), "' != ''"]))
    nodes = nodes_from_graph(
        'place_recognition',
        extra_remaps=[('image', LaunchConfiguration('image_topic'))],
        extra_parameters={
            'image_replay': {'folder': LaunchConfiguration('folder')},
            'place_recognition': {'map': LaunchConfiguration('map')},
        },
        conditions={'image_replay': folder_given},
    )
    return LaunchDescription([*arguments, *nodes])
