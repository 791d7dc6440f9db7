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
The package as ROS 2 tooling sees it.

A real ``colcon build`` (colcon-core, colcon-ros and colcon-python-setup-py from PyPI) into a
temporary workspace, and ``package.xml`` read by catkin_pkg, the parser colcon-ros itself uses.
"""

import os
from pathlib import Path
import sys

from snn_control.processes import run_bounded
from snn_control.ros.parameter_schema import schema_names

ROOT = Path(__file__).resolve().parents[1]
COLCON = str(Path(sys.executable).with_name('colcon'))


def test_colcon_build_installs_every_node_and_the_package_data(tmp_path):
    out = run_bounded(
        [
            COLCON,
            '--log-base',
            str(tmp_path / 'log'),
            'build',
            '--base-paths',
            str(ROOT),
            '--build-base',
            str(tmp_path / 'build'),
            '--install-base',
            str(tmp_path / 'install'),
        ],
        timeout=300,
        cwd=tmp_path,
    )
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    prefix = tmp_path / 'install' / 'snn_control'
    for node in schema_names():  # every node has a schema (test_ros_graph checks that)
        exe = prefix / 'lib' / 'snn_control' / node
        assert exe.is_file() and os.access(
            exe, os.X_OK
        ), f'{node} is not installed where ros2 run looks'
    share = prefix / 'share' / 'snn_control'
    for folder, pattern in (
        ('launch', 'launch/*.launch.py'),
        ('config', 'snn_control/config/*.yaml'),
        ('graphs', 'snn_control/graphs/*.yaml'),
        ('params', 'snn_control/params/*.yaml'),
    ):
        shipped = sorted(p.name for p in ROOT.glob(pattern))
        assert shipped and sorted(p.name for p in (share / folder).iterdir()) == shipped, folder
    assert (share / 'package.xml').is_file()
    assert (
        prefix / 'share' / 'ament_index' / 'resource_index' / 'packages' / 'snn_control'
    ).is_file()


def test_package_xml_is_a_valid_format_3_manifest():
    from catkin_pkg.package import parse_package

    package = parse_package(str(ROOT / 'package.xml'))
    package.validate()
    assert package.package_format == 3 and package.name == 'snn_control'
    assert package.get_build_type() == 'ament_python'
    depends = {d.name for d in package.exec_depends}
    assert {'rclpy', 'lifecycle_msgs', 'diagnostic_msgs', 'sensor_msgs'} <= depends
