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
ament_python package definition of snn_control.

Works three ways: `colcon build` on a robot with a system ROS 2, `pip install -e .` into the
project's virtual environment (scripts/bootstrap.sh), and a plain `pip install .`.

The top-level `sim/` and `hardware/` folders are the sources of the subpackages
`snn_control.sim` and `snn_control.hardware` (package_dir below), so MJCF models and board
profiles sit next to the Python that uses them and are found through the package.
"""

from glob import glob
import os

from setuptools import setup

PACKAGE = 'snn_control'
HERE = os.path.dirname(os.path.abspath(__file__))


def _files(pattern: str) -> list[str]:
    return sorted(
        p
        for p in glob(pattern, root_dir=HERE, recursive=True)
        if os.path.isfile(os.path.join(HERE, p))
    )


def _python_packages() -> tuple[list[str], dict[str, str]]:
    roots = {PACKAGE: PACKAGE, f'{PACKAGE}.sim': 'sim', f'{PACKAGE}.hardware': 'hardware'}
    package_dir = dict(roots)
    packages = []
    for name, folder in roots.items():
        for dirpath, _dirs, filenames in os.walk(os.path.join(HERE, folder)):
            if '__init__.py' in filenames:
                rel = os.path.relpath(dirpath, os.path.join(HERE, folder))
                sub = name if rel == '.' else name + '.' + rel.replace(os.sep, '.')
                packages.append(sub)
                if rel != '.':
                    package_dir[sub] = os.path.join(folder, rel)
    return sorted(packages), package_dir


PACKAGES, PACKAGE_DIR = _python_packages()

# ROS 2 nodes: `ros2 run snn_control <name>`. Each is a thin adapter over the ROS-free core.
NODES = {
    'spike_echo': 'snn_control.ros.nodes.spike_echo:main',
    'plant_sim': 'snn_control.ros.nodes.plant_sim:main',
    'snn_controller': 'snn_control.ros.nodes.snn_controller:main',
    'pid_controller': 'snn_control.ros.nodes.pid_controller:main',
    'blimp_sim': 'snn_control.ros.nodes.blimp_sim:main',
    'swimmer_sim': 'snn_control.ros.nodes.swimmer_sim:main',
    'ncap_controller': 'snn_control.ros.nodes.ncap_controller:main',
    'event_replay': 'snn_control.ros.nodes.event_replay:main',
    'image_replay': 'snn_control.ros.nodes.image_replay:main',
    'place_recognition': 'snn_control.ros.nodes.place_recognition:main',
    'action_recognition': 'snn_control.ros.nodes.action_recognition:main',
}

setup(
    name=PACKAGE,
    version='0.1.0',
    packages=PACKAGES,
    package_dir=PACKAGE_DIR,
    package_data={
        PACKAGE: ['weights/*.npz', 'config/*.yaml', 'graphs/*.yaml', 'params/*.yaml'],
        f'{PACKAGE}.sim': ['**/*.xml', '**/*.yaml'],
        f'{PACKAGE}.hardware': ['**/*.yaml'],
    },
    data_files=[
        ('share/ament_index/resource_index/packages', ['resource/' + PACKAGE]),
        ('share/' + PACKAGE, ['package.xml']),
        ('share/' + PACKAGE + '/launch', _files('launch/*.launch.py')),
        ('share/' + PACKAGE + '/config', _files('snn_control/config/*.yaml')),
        ('share/' + PACKAGE + '/graphs', _files('snn_control/graphs/*.yaml')),
        ('share/' + PACKAGE + '/params', _files('snn_control/params/*.yaml')),
    ],
    install_requires=['setuptools'],
    zip_safe=False,
    maintainer='snn_control maintainers',
    maintainer_email='maintainers@snn-control.invalid',
    description='Spiking neural network controllers and perception for ROS 2, Lava/Loihi, MuJoCo.',
    license='Apache-2.0',
    tests_require=['pytest'],
    entry_points={
        'console_scripts': [f'{name} = {target}' for name, target in NODES.items()]
        + ['snn-control = snn_control.cli:main'],
    },
)
