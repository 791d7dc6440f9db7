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
``blimp_snn``: the evolved PD-mimic and I-mimic SNNs, summed (u = u_PD + u_I).

The networks ship as package data (``snn_control/weights/blimp_pd.npz``,
``blimp_i.npz``; how to reproduce them is in ``snn_control/weights/README.md``) and are
found through the package, never the working directory.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import numpy as np
from snn_control.controllers.base import Controller
from snn_control.controllers.registry import register_controller
from snn_control.controllers.spiking import load_spiking_controller, SpikingController


def weights_path(role: str, target: str | None = None) -> Path:
    """
    Return the shipped network of ``role`` ("pd" or "i").

    ``target`` "xylo-v2": the variant born for Xylo (:mod:`snn_control.blimp.xylo_native`).
    """
    variant = {None: '', 'xylo-v2': 'xylo_'}[target]
    return Path(
        str(resources.files('snn_control').joinpath('weights', f'blimp_{variant}{role}.npz'))
    )


class SummedSpikingController(Controller):
    """Several spiking controllers fed the same error; their commands add up, then saturate."""

    n_inputs = 1
    n_outputs = 1

    def __init__(self, parts: dict[str, SpikingController], dt: float, limit: float = 3.3) -> None:
        super().__init__(dt, -limit, limit)
        self.parts = parts
        self.backend = ', '.join(sorted({part.backend for part in parts.values()}))

    def reset(self) -> None:
        for part in self.parts.values():
            part.reset()

    def _compute(self, observation: np.ndarray) -> np.ndarray:
        # Each part saturates at +/- limit on its own; the sum is saturated again by step().
        return sum(part.step(observation) for part in self.parts.values())

    def spike_populations(self) -> dict[str, int]:
        return {
            f'{role}.{pop}': n
            for role, part in self.parts.items()
            for pop, n in part.spike_populations().items()
        }

    def last_spikes(self) -> dict[str, np.ndarray]:
        return {
            f'{role}.{pop}': s
            for role, part in self.parts.items()
            for pop, s in part.last_spikes().items()
        }

    def close(self) -> None:
        for part in self.parts.values():
            part.close()

    @property
    def n_neurons(self) -> int:
        return sum(part.spec.n_neurons for part in self.parts.values())


def blimp_snn(
    dt: float = 0.1, backend: str = 'numpy', roles: str = 'pd,i'
) -> SummedSpikingController:
    from snn_control.engine.backends import backend_target

    parts = {}
    for role in roles.split(','):
        # Backends for one chip run the networks born for it; the others the float ones.
        path = weights_path(role, backend_target(backend))
        if not path.is_file():
            raise FileNotFoundError(
                f'shipped network {path} is missing; see snn_control/weights/README.md'
            )
        parts[role] = load_spiking_controller(path, dt=dt, backend=backend)
    return SummedSpikingController(parts, dt)


register_controller('blimp_snn', blimp_snn)
