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
The MLP baseline of NCAP's paper: a 256x256 tanh actor on the swimmer's observation.

Pure numpy (a forward pass per control step is all ES needs). The observation's step
counter is replaced by the oscillator's phase as (sin, cos), so that the MLP sees the same
timing signal NCAP's head oscillator gets; everything else is the environment's.
"""

from __future__ import annotations

import numpy as np
from snn_control.controllers.base import Controller
from snn_control.swimmer.ncap import OSCILLATOR_PERIOD

HIDDEN = (256, 256)


def mlp_shapes(n_joints: int) -> list[tuple[int, int]]:
    sizes = [2 * n_joints + 4, *HIDDEN, n_joints]
    return [(a, b) for a, b in zip(sizes[:-1], sizes[1:])]


def n_mlp_parameters(n_joints: int) -> int:
    return sum(a * b + b for a, b in mlp_shapes(n_joints))


def init_mlp(n_joints: int, rng: np.random.Generator) -> np.ndarray:
    """Flat parameters: each layer's weights (fan-in scaled) then biases (zero)."""
    parts = []
    for a, b in mlp_shapes(n_joints):
        parts += [rng.normal(0.0, 1.0 / np.sqrt(a), a * b), np.zeros(b)]
    return np.concatenate(parts)


class MlpPolicy(Controller):
    def __init__(self, n_joints: int, flat: np.ndarray, dt: float = 0.03) -> None:
        self.n_inputs = 2 * n_joints + 3
        self.n_outputs = n_joints
        super().__init__(dt, -1.0, 1.0)
        flat = np.asarray(flat, dtype=np.float64)
        if flat.size != n_mlp_parameters(n_joints):
            raise ValueError(
                f'an MLP for {n_joints} joints has {n_mlp_parameters(n_joints)} parameters, got '
                f'{flat.size}'
            )
        self.layers, i = [], 0
        for a, b in mlp_shapes(n_joints):
            w = flat[i:i + a * b].reshape(a, b)
            i += a * b
            self.layers.append((w, flat[i:i + b]))
            i += b

    def reset(self) -> None:
        pass

    def _compute(self, observation: np.ndarray) -> np.ndarray:
        phase = 2 * np.pi * (observation[-1] % OSCILLATOR_PERIOD) / OSCILLATOR_PERIOD
        x = np.concatenate([observation[:-1], [np.sin(phase), np.cos(phase)]])
        for w, b in self.layers:
            x = np.tanh(x @ w + b)
        return x

    @property
    def n_parameters(self) -> int:
        return sum(w.size + b.size for w, b in self.layers)
