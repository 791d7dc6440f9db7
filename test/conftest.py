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

import itertools
import os
import sys

import pytest

# Tests share small helpers (random_networks.py) that live beside them.
sys.path.insert(0, os.path.dirname(__file__))
# One core for numeric libraries: the tests check numbers, not speed.
os.environ.setdefault('OMP_NUM_THREADS', '1')


_DOMAINS = itertools.count()


@pytest.fixture(autouse=True)
def _private_ros_domain(monkeypatch):
    """
    Give every test a ROS_DOMAIN_ID of its own (1..100, ROS 2's safe range on Linux).

    DDS keeps announcing a process that was just killed until its lease runs out; in its
    own domain no test sees the endpoints of an earlier test or of a parallel run.
    """
    monkeypatch.setenv('ROS_DOMAIN_ID', str(1 + (os.getpid() * 7 + next(_DOMAINS)) % 100))


@pytest.fixture(autouse=True)
def _end_started_processes():
    """
    End what a test started through ``ros_peer.start_command``, with its process group.

    When the test is over, passed or failed, so that a failing test leaves nothing running.
    """
    yield
    if 'ros_peer' in sys.modules:
        from ros_peer import STARTED
        from snn_control.processes import end_owned

        while STARTED:
            end_owned(STARTED.pop())
