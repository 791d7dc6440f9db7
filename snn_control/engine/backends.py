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
One small interface over the engine's backends, and a registry of named implementations.

A :class:`Backend` runs one :class:`NetworkSpec` one step at a time on flat numpy arrays:
``step(current) -> (spikes, voltages in float units)``, ``reset()`` back to the zero state,
``close()`` to release what it holds outside this process. Implementations register under
a name with :func:`implements` (as Lava's ``@implements`` ties a process model to its
process), and :func:`make_backend` builds one by name, so callers choose a backend by its
name and never branch on what they got.

=================  =====================================================================
name               what runs the network
=================  =====================================================================
``numpy``          :class:`~snn_control.engine.simulator.Simulator`, numpy, float
``numpy-fixed``    the same in Loihi's integer arithmetic
``torch``          the same on torch (float32)
``lava-float``     :class:`~snn_control.engine.lava_backend.LavaNetwork`, floating point
``lava-fixed``     the same, Loihi's bit-accurate fixed point
``xylo``           the network compiled for Xylo v2, stepped by the engine's integer model
``xylosim``        the same configuration stepped by SynSense's ``xylosim``
=================  =====================================================================
"""
from __future__ import annotations

from typing import Any, Callable, Protocol

import numpy as np
from snn_control.engine.network import NetworkSpec


class Backend(Protocol):
    """What every backend offers a caller that steps one network instance."""

    #: the network's flat neuron layout (``slices`` per population, ``n``)
    layout: Any

    def step(self, current: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Run one step of input ``current``; return flat (spikes, voltages in float units)."""

    def reset(self) -> None:
        """Return every neuron to the zero state."""

    def close(self) -> None:
        """Release what the backend holds outside this process."""


BackendFactory = Callable[[NetworkSpec], Backend]
_REGISTRY: dict[str, BackendFactory] = {}


def implements(name: str) -> Callable[[BackendFactory], BackendFactory]:
    """Register a backend factory (a class taking the spec) under ``name``."""

    def register(factory: BackendFactory) -> BackendFactory:
        if name in _REGISTRY:
            raise ValueError(f'backend {name!r} is registered twice')
        _REGISTRY[name] = factory
        return factory

    return register


def backend_names() -> tuple[str, ...]:
    """Return the names of the registered backends."""
    return tuple(_REGISTRY)


def backend_target(name: str) -> str | None:
    """
    Return the chip a backend runs only networks born for (``"xylo-v2"``), or ``None``.

    ``None``: the backend runs any network. A caller with several variants of a network
    (the blimp's float and Xylo-native ones) picks by it.
    """
    if name not in _REGISTRY:
        raise ValueError(f'unknown backend {name!r}; choose from {backend_names()}')
    return getattr(_REGISTRY[name], 'target', None)


def make_backend(name: str, spec: NetworkSpec) -> Backend:
    """Build backend ``name`` for ``spec``; an unknown name is a clear error."""
    if name not in _REGISTRY:
        raise ValueError(f'unknown backend {name!r}; choose from {backend_names()}')
    return _REGISTRY[name](spec)


class _SimulatorBackend:
    """The engine's own simulator; subclasses choose the library and the arithmetic."""

    library, mode = 'numpy', 'float'

    def __init__(self, spec: NetworkSpec) -> None:
        from snn_control.engine.simulator import Simulator

        self._sim = Simulator(spec, library=self.library, mode=self.mode)
        self.layout = self._sim.layout

    def step(self, current: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        state = self._sim.step(current)
        spikes, volts = state.s, self._sim.voltage_float(state.v)
        return np.asarray(spikes).reshape(-1), np.asarray(volts).reshape(-1)

    def reset(self) -> None:
        self._sim.reset()

    def close(self) -> None:
        """Nothing outside this process."""


@implements('numpy')
class NumpyBackend(_SimulatorBackend):
    """Numpy, floating point: the robot's control loop."""


@implements('numpy-fixed')
class NumpyFixedBackend(_SimulatorBackend):
    """Numpy in Loihi's integer arithmetic."""

    mode = 'fixed'


@implements('torch')
class TorchBackend(_SimulatorBackend):
    """Torch, floating point."""

    library = 'torch'

    def step(self, current: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        state = self._sim.step(current)
        volts = self._sim.voltage_float(state.v)
        return state.s.reshape(-1).numpy(), volts.reshape(-1).numpy()


class _LavaBackend:
    """A supervised Lava runtime; a reset starts a fresh one (a graph cannot rewind)."""

    mode = 'float'

    def __init__(self, spec: NetworkSpec) -> None:
        from snn_control.engine.lava_backend import LavaNetwork

        self._spec, self._make = spec, LavaNetwork
        self._lava = LavaNetwork(spec, mode=self.mode)
        self.layout = self._lava.layout

    def step(self, current: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return self._lava.step(current)

    def reset(self) -> None:
        self._lava.stop()
        self._lava = self._make(self._spec, mode=self.mode)

    def close(self) -> None:
        self._lava.stop()


@implements('lava-float')
class LavaFloatBackend(_LavaBackend):
    """Lava's ``Loihi2SimCfg``, floating point."""


@implements('lava-fixed')
class LavaFixedBackend(_LavaBackend):
    """Lava's ``Loihi2SimCfg``, Loihi's bit-accurate fixed point."""

    mode = 'fixed'


class _XyloBackend:
    """The network compiled for Xylo (v2) and run with the host's encoder."""

    simulator = 'model'
    target = 'xylo-v2'

    def __init__(self, spec: NetworkSpec) -> None:
        from snn_control.engine.neurons import layout
        from snn_control.engine.xylo_program import compile_xylo, XyloRunner

        self.layout = layout(spec)
        self._runner = XyloRunner(compile_xylo(spec, 'v2'), self.layout, self.simulator)

    def step(self, current: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return self._runner.step(current)

    def reset(self) -> None:
        self._runner.reset()

    def close(self) -> None:
        self._runner.close()


@implements('xylo')
class XyloModelBackend(_XyloBackend):
    """Xylo v2's integer dynamics in numpy (bit for bit ``xylosim``'s)."""


@implements('xylosim')
class XylosimBackend(_XyloBackend):
    """SynSense's bit-accurate ``xylosim``."""

    simulator = 'xylosim'
