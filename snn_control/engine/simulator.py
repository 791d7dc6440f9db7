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
Run a :class:`NetworkSpec` on numpy or torch, in floating point or Loihi fixed point.

* ``library="torch"``: batched over a leading dimension (training, evolution), surrogate
  gradients in float mode, deterministic under a seed (the dynamics are deterministic;
  seeds matter only for stochastic encoders).
* ``library="numpy"``: the same equations on numpy, for one instance at a time: this is
  the hot path of a controller on a robot (tens of microseconds for 160 neurons, where
  torch's per-operation overhead costs several times more).

Per-sample networks: pass a list of specs with identical structure (same populations and
connections, different values) to run, e.g., a whole CMA-ES population in one batch.
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np
from snn_control.engine import fixed_point as fxp
from snn_control.engine.network import NetworkSpec
from snn_control.engine.neurons import (
    Block,
    FlatParams,
    FlatState,
    flatten,
    heaviside,
    Layout,
    step,
)

MODES = ('float', 'fixed')
LIBRARIES = ('numpy', 'torch')


class SuperSpike:
    """Heaviside forward, fast-sigmoid surrogate derivative 1/(1+scale*|x|)^2 backward."""

    def __init__(self, scale: float = 10.0) -> None:
        import torch

        class _Fn(torch.autograd.Function):
            @staticmethod
            def forward(ctx: Any, x: Any) -> Any:
                ctx.save_for_backward(x)
                return (x > 0).to(x.dtype)

            @staticmethod
            def backward(ctx: Any, grad: Any) -> Any:
                (x,) = ctx.saved_tensors
                return grad / (1.0 + scale * x.abs()) ** 2

        self._fn = _Fn

    def __call__(self, x: Any) -> Any:
        return self._fn.apply(x)


class Simulator:
    """A compiled network with state; ``step`` advances one time step."""

    def __init__(
        self,
        spec: NetworkSpec | Sequence[NetworkSpec],
        library: str = 'torch',
        mode: str = 'float',
        batch_size: int | None = None,
        dtype: Any = None,
        surrogate_scale: float | None = None,
        device: str = 'cpu',
        compile: bool = False,  # noqa: A002 (torch.compile's name; a public argument)
    ) -> None:
        if library not in LIBRARIES:
            raise ValueError(f'unknown library {library!r}; choose from {LIBRARIES}')
        if mode not in MODES:
            raise ValueError(f'unknown mode {mode!r}; choose from {MODES}')
        specs = [spec] if isinstance(spec, NetworkSpec) else list(spec)
        if not specs:
            raise ValueError('no network given')
        self.spec = specs[0]
        self.library, self.mode = library, mode
        per_sample = len(specs) > 1
        if per_sample:
            _check_same_structure(specs)
            if batch_size not in (None, len(specs)):
                raise ValueError(
                    f'batch_size {batch_size} differs from the {len(specs)} networks given'
                )
            if mode == 'fixed':
                raise ValueError(
                    'fixed-point mode runs one shared network (a board holds one); '
                    'batch over inputs instead'
                )
        self.batch_size = len(specs) if per_sample else int(batch_size or 1)
        self._unbatched = library == 'numpy' and batch_size is None and not per_sample
        if library == 'torch':
            import torch

            self._torch = torch
            float_dtype = dtype or torch.float32
            self._to_float = lambda a: torch.as_tensor(
                np.asarray(a), dtype=float_dtype, device=device
            )
            self._to_int = lambda a: torch.as_tensor(
                np.asarray(a), dtype=torch.int64, device=device
            )
            self._spike_fn = SuperSpike(surrogate_scale) if surrogate_scale else heaviside
        else:
            float_dtype = dtype or np.float64
            self._to_float = lambda a: np.asarray(a, dtype=float_dtype)
            self._to_int = lambda a: np.asarray(a, dtype=np.int64)
            self._spike_fn = heaviside
        self._step_fn = step
        if compile:
            if library != 'torch' or mode != 'float':
                raise ValueError('compile=True applies to the torch library in float mode')
            # Inductor fuses the elementwise neuron updates into one loop: large batches are
            # memory-bound, and fusion roughly halves the step time (one-off compile ~20 s).
            self._step_fn = self._torch.compile(step, dynamic=False)
        flats = [flatten(s) for s in specs]
        self.layout: Layout = flats[0][1]
        if mode == 'float':
            self.params = _stack_params([f[0] for f in flats], self._to_float, per_sample)
            self.fixed = None
        else:
            self.fixed_network = fxp.quantise(self.spec)
            self.fixed = fxp.FixedArrays(self.fixed_network, self._to_int)
        self.reset()

    # -- state ---------------------------------------------------------------------------
    def reset(self) -> None:
        shape = (self.layout.n,) if self._unbatched else (self.batch_size, self.layout.n)
        zeros = np.zeros(shape)
        make = self._to_float if self.mode == 'float' else self._to_int
        self.state = FlatState(u=make(zeros), v=make(zeros), theta=make(zeros), s=make(zeros))
        self._external = make(zeros)
        self.steps = 0

    def step(self, current: Any) -> FlatState:
        """
        Advance one step with ``current`` (float units) into the input population.

        ``current`` has shape ``(n_inputs,)`` or ``(batch, n_inputs)``.
        """
        if self.mode == 'float':
            self.state = self._step_fn(
                self.params,
                self.state,
                self._as_input(current),
                self.layout.input_slice,
                self._spike_fn,
            )
        else:
            ext = self._external * 0
            ints = self.fixed_network.input_to_int(_to_numpy(current))
            ext[..., self.layout.input_slice] = self._to_int(ints)
            self.state = FlatState(*fxp.integer_step(self.fixed, self.state, ext))
        self.steps += 1
        return self.state

    def run(self, currents: Any) -> dict[str, Any]:
        """
        Step through ``currents`` of shape ``(T, [batch,] n_inputs)``; returns traces.

        Traces: ``spikes`` and ``v`` of shape ``(T, [batch,] N)`` in the flat neuron order
        (``layout.slices`` names the populations), voltages in float units.
        """
        spikes, volts = [], []
        for t in range(len(currents)):
            st = self.step(currents[t])
            spikes.append(st.s)
            volts.append(self.voltage_float(st.v))
        if self.library == 'torch':
            return {'spikes': self._torch.stack(spikes), 'v': self._torch.stack(volts)}
        return {'spikes': np.stack(spikes), 'v': np.stack(volts)}

    # -- views -------------------------------------------------------------------------------
    def voltage_float(self, v: Any) -> Any:
        if self.mode == 'float':
            return v
        return self._to_float(self.fixed_network.voltage_to_float(_to_numpy(v)))

    def population_spikes(self, name: str) -> Any:
        return self.state.s[..., self.layout.slices[name]]

    def population_voltage(self, name: str) -> Any:
        """Voltage of a population in float units (the output of a leaky-integrator readout)."""
        return self.voltage_float(self.state.v[..., self.layout.slices[name]])

    def _as_input(self, current: Any) -> Any:
        arr = self._to_float(_to_numpy(current) if self.library == 'numpy' else current)
        return arr


def _to_numpy(x: Any) -> np.ndarray:
    if hasattr(x, 'detach'):
        return x.detach().cpu().numpy()
    return np.asarray(x)


def _stack_params(flats: list[FlatParams], to_array: Any, per_sample: bool) -> FlatParams:
    """Move parameters into the array library; per-sample runs stack them on a batch axis."""

    def convert(values: list[Any]) -> Any:
        return to_array(np.stack(values)) if per_sample else to_array(values[0])

    fields: dict[str, Any] = {}
    for name in FlatParams._fields:
        values = [getattr(f, name) for f in flats]
        if name.endswith('_blocks'):
            fields[name] = tuple(
                Block(b.source, b.target, convert([v[i].weight for v in values]))
                for i, b in enumerate(values[0])
            )
        elif name == 'reset_kind':
            fields[name] = values[0]
        else:
            fields[name] = convert(values)
    return FlatParams(**fields)


def _check_same_structure(specs: Sequence[NetworkSpec]) -> None:
    ref = [(p.name, p.size, p.model, p.reset) for p in specs[0].populations]
    ref_c = [(c.source, c.target, c.port) for c in specs[0].connections]
    for i, s in enumerate(specs[1:], start=1):
        if [(p.name, p.size, p.model, p.reset) for p in s.populations] != ref or [
            (c.source, c.target, c.port) for c in s.connections
        ] != ref_c:
            raise ValueError(
                f'network {i} differs in structure from network 0; per-sample batches need one '
                'structure'
            )
