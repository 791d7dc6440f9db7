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
A controller whose computation is a spiking network on any backend.

Observation -> encoder -> input current -> network (``steps_per_tick`` steps, input held)
-> readout voltages of the leaky-integrator output populations -> ``output_gain`` ->
command. The network can run on numpy (fast, one instance), torch, or Lava (Loihi 2
simulation, float or bit-accurate fixed point), with identical semantics.
"""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

import numpy as np
from snn_control.controllers.base import Controller
from snn_control.engine.backends import make_backend
from snn_control.engine.coding import DirectCurrent, Encoder, PairedCurrent
from snn_control.engine.network import NetworkSpec


class SpikingController(Controller):
    """
    Wraps a :class:`NetworkSpec` into the :class:`Controller` interface.

    The command is ``output_gain * sum(v of the readout populations)`` summed per command
    entry: readout population ``k`` of ``readouts`` contributes to command entry
    ``k % n_outputs`` — so two complementary networks (the blimp's PD and I parts) merged
    into one spec sum into one command — except that a readout population with exactly
    ``n_outputs > 1`` neurons maps neuron ``j`` to entry ``j`` (one torque per joint).
    """

    def __init__(
        self,
        spec: NetworkSpec,
        encoder: Encoder,
        readouts: Sequence[str],
        dt: float,
        command_low: float | np.ndarray,
        command_high: float | np.ndarray,
        output_gain: float = 1.0,
        steps_per_tick: int = 1,
        backend: str = 'numpy',
        n_inputs: int = 1,
        n_outputs: int = 1,
    ) -> None:
        self.n_inputs, self.n_outputs = n_inputs, n_outputs
        super().__init__(dt, command_low, command_high)
        if encoder.n_outputs != spec.n_inputs:
            raise ValueError(
                f'encoder produces {encoder.n_outputs} currents but the input population '
                f'{spec.input_population!r} has {spec.n_inputs} neurons'
            )
        for name in readouts:
            if spec.population(name).model != 'leaky_integrator':
                raise ValueError(f'readout {name!r} must be a leaky_integrator population')
        if steps_per_tick < 1:
            raise ValueError('steps_per_tick must be >= 1')
        self.spec, self.encoder, self.readouts = spec, encoder, tuple(readouts)
        self.output_gain, self.steps_per_tick, self.backend = (
            float(output_gain),
            int(steps_per_tick),
            backend,
        )
        self._net = make_backend(backend, spec)
        self._slices = self._net.layout.slices
        self._spiking = [p.name for p in spec.populations if p.spiking]
        # Readout k sums into command entry k % n_outputs: one matrix, one product per tick.
        self._readout_matrix = np.zeros((self.n_outputs, self._net.layout.n))
        for k, name in enumerate(self.readouts):
            sl = self._slices[name]
            if self.n_outputs > 1 and sl.stop - sl.start == self.n_outputs:
                self._readout_matrix[np.arange(self.n_outputs), np.arange(sl.start, sl.stop)] = (
                    self.output_gain
                )
            else:
                self._readout_matrix[k % self.n_outputs, sl] = self.output_gain
        self.reset()

    def reset(self) -> None:
        self.encoder.reset()
        self._net.reset()
        self._fired = np.zeros(self._net.layout.n, dtype=bool)
        if self.spike_counts is not None:
            self.count_spikes()

    #: spikes per neuron (flat order) since :meth:`count_spikes`, and the ticks they span:
    #: activity statistics for energy estimates (synaptic operations = spikes x fan-out).
    #: ``None`` (not counted) unless asked for, to keep the control tick lean.
    spike_counts: np.ndarray | None = None
    ticks = 0

    def count_spikes(self) -> None:
        """Start (or restart) counting spikes per neuron; :meth:`reset` restarts the count."""
        self.spike_counts = np.zeros(self._net.layout.n)
        self.ticks = 0

    def _compute(self, observation: np.ndarray) -> np.ndarray:
        current = self.encoder.encode(observation)
        counts = self.spike_counts
        spikes, volts = self._net.step(current)
        fired = spikes > 0
        for _ in range(self.steps_per_tick - 1):
            if counts is not None:
                counts += spikes
            spikes, volts = self._net.step(current)
            fired |= spikes > 0
        if counts is not None:
            counts += spikes
            self.ticks += 1
        self._fired = fired
        return self._readout_matrix @ volts

    def spike_populations(self) -> dict[str, int]:
        return {name: self.spec.population(name).size for name in self._spiking}

    def last_spikes(self) -> dict[str, np.ndarray]:
        """
        Return which neurons fired at least once during the last tick.

        Per spiking population.
        """
        return {name: self._fired[self._slices[name]].copy() for name in self._spiking}

    def close(self) -> None:
        """Release backend resources (stops Lava's processes)."""
        self._net.close()


def load_spiking_controller(
    path: str | Path, dt: float, backend: str = 'numpy', **overrides: float
) -> SpikingController:
    """
    Build a controller from a network file whose metadata describes its controller role.

    Metadata keys: ``encoder`` ("paired" with ``encoder_weights``, or "direct" with
    ``encoder_gain``), ``readouts``, ``output_gain``, ``steps_per_tick``, ``command_low``,
    ``command_high``.
    """
    spec = NetworkSpec.load(path)
    meta = dict(spec.metadata)
    meta.update(overrides)
    kind = meta.get('encoder', 'direct')
    if kind == 'paired':
        encoder: Encoder = PairedCurrent(np.asarray(meta['encoder_weights'], dtype=float))
    elif kind == 'direct':
        encoder = DirectCurrent(meta.get('encoder_gain', 1.0), spec.n_inputs)
    else:
        raise ValueError(f'{path}: unknown encoder {kind!r} in metadata')
    return SpikingController(
        spec,
        encoder,
        readouts=meta['readouts'],
        dt=dt,
        command_low=meta.get('command_low', -np.inf),
        command_high=meta.get('command_high', np.inf),
        output_gain=meta.get('output_gain', 1.0),
        steps_per_tick=int(meta.get('steps_per_tick', 1)),
        backend=backend,
    )
