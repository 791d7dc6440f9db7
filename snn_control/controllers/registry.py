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
Controllers by name, so that nodes, benchmarks and the CLI build them from parameters.

Each factory takes the control period ``dt`` and keyword parameters; unknown parameters
are an error (a typo in a YAML file must not silently fall back to a default).
"""

from __future__ import annotations

import importlib
import inspect
from typing import Any, Callable

from snn_control.controllers.base import Controller
from snn_control.controllers.pid import PIDController, PIDGains

ControllerFactory = Callable[..., Controller]


def _pid(
    dt: float,
    kp: float,
    ki: float = 0.0,
    kd: float = 0.0,
    derivative_filter_s: float = 0.0,
    integral_limit: float = float('inf'),
    command_low: float = float('-inf'),
    command_high: float = float('inf'),
) -> Controller:
    gains = PIDGains(
        kp=kp, ki=ki, kd=kd, derivative_filter_s=derivative_filter_s, integral_limit=integral_limit
    )
    return PIDController(gains, dt=dt, command_low=command_low, command_high=command_high)


def _spiking_pd(
    dt: float,
    kp: float,
    kd: float = 0.0,
    error_range: float = 1.0,
    levels: int = 40,
    readout_decay: float = 0.5,
    command_low: float = float('-inf'),
    command_high: float = float('inf'),
    backend: str = 'numpy',
) -> Controller:
    from snn_control.controllers.analytic import spiking_pd

    return spiking_pd(
        dt, kp, kd, error_range, levels, readout_decay, command_low, command_high, backend
    )


_FACTORIES: dict[str, ControllerFactory] = {'pid': _pid, 'spiking_pd': _spiking_pd}

#: Modules that register further controllers when imported (system-specific baselines and
#: SNNs). Imported on first use so that importing the registry stays cheap.
_PROVIDERS = ('snn_control.controllers.baselines', 'snn_control.blimp.controller')
_providers_loaded = False


def _load_providers() -> None:
    global _providers_loaded
    if _providers_loaded:
        return
    _providers_loaded = True
    for module in _PROVIDERS:
        try:
            importlib.import_module(module)
        except ModuleNotFoundError as exc:
            # Absent provider (system not in this build): fine. A provider that exists but
            # lacks one of its own imports: a real error.
            if exc.name is None or not module.startswith(exc.name):
                raise


def register_controller(name: str, factory: ControllerFactory) -> None:
    """Make ``factory`` available as ``make_controller(name, ...)``."""
    if name in _FACTORIES and _FACTORIES[name] is not factory:
        raise ValueError(f'a controller named {name!r} is already registered')
    _FACTORIES[name] = factory


def controller_names() -> list[str]:
    """Names accepted by :func:`make_controller`."""
    _load_providers()
    return sorted(_FACTORIES)


def make_controller(name: str, dt: float, **params: Any) -> Controller:
    """Build the controller ``name`` with control period ``dt`` and its parameters."""
    _load_providers()
    try:
        factory = _FACTORIES[name]
    except KeyError:
        raise ValueError(
            f"unknown controller {name!r}; known: {', '.join(controller_names())}"
        ) from None
    accepted = set(inspect.signature(factory).parameters) - {'dt'}
    unknown = sorted(set(params) - accepted)
    if unknown:
        raise ValueError(
            f'unknown parameter(s) {unknown} for controller {name!r}; accepted: {sorted(accepted)}'
        )
    return factory(dt=dt, **params)
