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
``plant_sim``: the hover plant (``snn_control.sim.hover``) on ROS 2, 20 Hz by default.

Topics and behaviour: :mod:`snn_control.ros.plant_node`. The setpoint profile is
``setpoints`` (m), each held ``segment_s``.
"""

from __future__ import annotations

from typing import Sequence

from snn_control.ros.node_base import run_node
from snn_control.ros.plant_node import AltitudePlantNode
from snn_control.sim.hover import HoverEnv


class PlantSimNode(AltitudePlantNode):
    NODE_NAME = 'plant_sim'

    def __init__(self) -> None:
        super().__init__()

    def make_env(self) -> HoverEnv:
        return HoverEnv(
            setpoints=[(self.param('segment_s'), float(a)) for a in self.param('setpoints')],
            control_dt=self.param('control_dt'),
            initial_altitude=self.param('initial_altitude_m'),
            net_buoyancy_n=self.param('net_buoyancy_n'),
        )


def main(args: Sequence[str] | None = None) -> int:
    return run_node(PlantSimNode, args)


if __name__ == '__main__':
    raise SystemExit(main())
