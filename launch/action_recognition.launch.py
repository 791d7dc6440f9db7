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
ROS 2 launch file: event-camera action recognition (snn_control/graphs/action_recognition.yaml).

    ros2 launch snn_control action_recognition.launch.py recording:=/path/gestures.aedat4
    ros2 launch snn_control action_recognition.launch.py events_topic:=/event_camera/events

With ``recording`` the event_replay node plays it as a camera on ``events`` (once the
recogniser listens: nothing is published into the void); without it only
the recogniser starts and listens to ``events_topic`` (a camera driver publishing
``event_camera_msgs/EventPacket``, or ``sensor_msgs/PointCloud2`` with x, y, t, p).
Answers: ``/action_recognition/action``, ``~/label``, ``~/confidence``, ``~/spikes``.
"""

from launch import LaunchDescription
from launch.actions import DeclareLaunchArgument
from launch.conditions import IfCondition
from launch.substitutions import LaunchConfiguration, PythonExpression
from snn_control.ros.launch_support import nodes_from_graph


def generate_launch_description() -> LaunchDescription:
    arguments = [
        DeclareLaunchArgument(
            'recording', default_value='', description='event file or bag to replay as a camera'
        ),
        DeclareLaunchArgument(
            'events_topic', default_value='events', description='camera event topic'
        ),
        DeclareLaunchArgument(
            'weights', default_value='', description='SpikePoint weights (empty: shipped)'
        ),
    ]
    recording_given = IfCondition(
        PythonExpression(["'", LaunchConfiguration('recording'), "' != ''"])
    )
    nodes = nodes_from_graph(
        'action_recognition',
        extra_remaps=[('events', LaunchConfiguration('events_topic'))],
        extra_parameters={
            'event_replay': {'path': LaunchConfiguration('recording')},
            'action_recognition': {'weights': LaunchConfiguration('weights')},
        },
        conditions={'event_replay': recording_given},
    )
    return LaunchDescription([*arguments, *nodes])
