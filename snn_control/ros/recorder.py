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
Record ROS 2 topics into a rosbag2 (MCAP) without the ``ros2 bag`` CLI.

Messages are taken raw (the CDR bytes as they arrived, no deserialise/serialise round
trip) and written with the ``rosbags`` library, which writes the rosbag2 directory
(``metadata.yaml`` + ``.mcap``) that ``ros2 bag info/play``, Foxglove and PlotJuggler
read. The bag is written into a hidden staging directory beside the target and moved into
place by :meth:`BagRecorder.close`, so an interrupted run leaves no half-written bag under
the final name. Each record is stamped with its arrival time (as ``ros2 bag record``
does).
"""

from __future__ import annotations

from pathlib import Path
import shutil
import time
from typing import Any, Callable

from rclpy.node import Node
from rclpy.qos import QoSProfile


def ros_type_name(msg_type: type) -> str:
    """``sensor_msgs.msg.Range`` -> ``sensor_msgs/msg/Range``."""
    return f"{msg_type.__module__.split('.')[0]}/msg/{msg_type.__name__}"


class BagRecorder:
    """Subscribes raw to topics on ``node`` and writes them to ``path`` (a rosbag2 directory)."""

    def __init__(self, node: Node, path: str | Path) -> None:
        from rosbags.rosbag2 import StoragePlugin, Writer
        from rosbags.typesys import get_typestore, Stores

        self.path = Path(path)
        if self.path.exists():
            raise FileExistsError(f'bag {self.path} exists already; choose another path')
        # rosbags names the .mcap after its directory, so the bag is written under its final
        # name inside a hidden staging directory and moved out when complete.
        self._staging = self.path.parent / f'.{self.path.name}.partial'
        shutil.rmtree(self._staging, ignore_errors=True)
        self._staging.mkdir(parents=True)
        self._tmp = self._staging / self.path.name
        self._typestore = get_typestore(Stores.ROS2_KILTED)
        self._writer = Writer(self._tmp, version=9, storage_plugin=StoragePlugin.MCAP)
        self._writer.open()
        self._node = node
        self.counts: dict[str, int] = {}

    def record(
        self,
        topic: str,
        msg_type: type,
        qos: QoSProfile,
        also: Callable[[bytes], Any] | None = None,
    ) -> None:
        """Record ``topic``; ``also`` gets each message's raw bytes too (for live evaluation)."""
        resolved = self._node.resolve_topic_name(topic)
        connection = self._writer.add_connection(
            resolved, ros_type_name(msg_type), typestore=self._typestore
        )
        self.counts[resolved] = 0

        def on_message(data: bytes) -> None:
            self._writer.write(connection, time.time_ns(), data)
            self.counts[resolved] += 1
            if also is not None:
                also(data)

        self._node.create_subscription(msg_type, topic, on_message, qos, raw=True)

    def close(self) -> Path:
        """Finish the bag and move it to its final path."""
        self._writer.close()
        self._tmp.rename(self.path)
        self._staging.rmdir()
        return self.path

    def abort(self) -> None:
        try:
            self._writer.close()
        finally:
            shutil.rmtree(self._staging, ignore_errors=True)
