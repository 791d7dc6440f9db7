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
``pid_controller``: the non-spiking baseline on the same topics as ``snn_controller``.

The same node (inputs, checks, watchdog, safe command; see
:mod:`snn_control.ros.nodes.snn_controller`) with the blimp's PID (``blimp_pid``) as its
default controller and its own parameter file, so that SNN and PID can be swapped in a
graph or flown side by side in two namespaces.
"""

from __future__ import annotations

from typing import Sequence

from snn_control.ros.node_base import run_node
from snn_control.ros.nodes.snn_controller import SnnControllerNode


class PidControllerNode(SnnControllerNode):
    NODE_NAME = 'pid_controller'  # its own schema: the PID as the default controller


def main(args: Sequence[str] | None = None) -> int:
    return run_node(PidControllerNode, args)


if __name__ == '__main__':
    raise SystemExit(main())
