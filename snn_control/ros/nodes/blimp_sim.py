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
``blimp_sim``: the MuJoCo micro-blimp (``snn_control.sim.blimp``) on ROS 2, 10 Hz by default.

Topics and behaviour: :mod:`snn_control.ros.plant_node`. The setpoint profile is one of
the paper's (``profile``: absolute_steps, relative_steps; ``step_s`` each), the buoyancy
``neutral`` or ``negative`` (3 g of ballast) or ``ballast_g`` grams when that is non-zero.
"""

from __future__ import annotations

from typing import Sequence

from snn_control.ros.node_base import ParameterError, run_node
from snn_control.ros.plant_node import AltitudePlantNode
from snn_control.sim.blimp import BlimpAltitudeEnv, BlimpConfig


class BlimpSimNode(AltitudePlantNode):
    NODE_NAME = 'blimp_sim'
    SENSOR_RANGE = (BlimpConfig.sensor_min_m, BlimpConfig.sensor_max_m)

    def __init__(self) -> None:
        super().__init__()

    def make_env(self) -> BlimpAltitudeEnv:
        buoyancy = self.param('ballast_g') or self.param('buoyancy')
        try:
            return BlimpAltitudeEnv(
                self.param('profile'),
                buoyancy=buoyancy,
                step_s=self.param('step_s'),
                initial_altitude=self.param('initial_altitude_m'),
                control_dt=self.param('control_dt'),
            )
        except ValueError as exc:
            raise ParameterError(f"node 'blimp_sim': {exc}") from exc


def main(args: Sequence[str] | None = None) -> int:
    return run_node(BlimpSimNode, args)


if __name__ == '__main__':
    raise SystemExit(main())
