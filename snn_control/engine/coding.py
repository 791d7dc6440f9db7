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
Input encoders (signal -> input current) and output decoders (spikes -> signal).

Encoders run on the host before the network's input population (on Loihi: on the
embedded x86 cores that feed the chip); decoders run after the network. They are small
numpy objects with explicit state so a controller can ``reset`` them with the network.
"""

from __future__ import annotations

from typing import Protocol

import numpy as np


class Encoder(Protocol):
    n_outputs: int

    def encode(self, signal: np.ndarray) -> np.ndarray: ...

    def reset(self) -> None: ...


class DirectCurrent:
    """Each signal entry times a gain is the current of one input neuron."""

    def __init__(self, gain: np.ndarray | float, n_inputs: int) -> None:
        self.gain = np.broadcast_to(np.asarray(gain, dtype=np.float64), (n_inputs,)).copy()
        self.n_outputs = n_inputs

    def encode(self, signal: np.ndarray) -> np.ndarray:
        return self.gain * np.asarray(signal, dtype=np.float64).reshape(self.n_outputs)

    def reset(self) -> None:
        pass


class PairedCurrent:
    """
    A scalar signal into neuron pairs with opposite-sign weights (the blimp paper's encoder).

    Pair ``k`` receives ``(+w_k * x, -w_k * x)``: one neuron of each pair fires for positive
    errors, the other for negative ones. The pair's shared bias is a parameter of the
    input population (both neurons of a pair get the same bias), not of the encoder.
    Output order: ``[+w_0 x, +w_1 x, ..., -w_0 x, -w_1 x, ...]``.
    """

    def __init__(self, weights: np.ndarray) -> None:
        self.weights = np.asarray(weights, dtype=np.float64).reshape(-1)
        self.n_outputs = 2 * self.weights.size
        self._signed = np.concatenate([self.weights, -self.weights])

    def encode(self, signal: np.ndarray | float) -> np.ndarray:
        return self._signed * np.asarray(signal, dtype=np.float64).reshape(-1)[0]

    def reset(self) -> None:
        pass


class PoissonRate:
    """
    Rate coding: entry ``x`` in [0, 1] fires with probability ``x * max_rate_hz * dt``.

    The output is a current of ``spike_current`` per spike, meant for a relay input
    population (see :func:`relay_population`) that spikes exactly when it receives one.
    Seeded: the same seed gives the same spike trains on every backend.
    """

    def __init__(
        self,
        n_inputs: int,
        max_rate_hz: float,
        dt: float,
        seed: int = 0,
        spike_current: float = 1.0,
    ) -> None:
        p = max_rate_hz * dt
        if not 0 <= p <= 1:
            raise ValueError(f'max_rate_hz * dt = {p} must lie in [0, 1]')
        self.n_outputs, self.p_max, self.seed, self.spike_current = (
            n_inputs,
            p,
            seed,
            spike_current,
        )
        self.reset()

    def encode(self, signal: np.ndarray) -> np.ndarray:
        x = np.clip(np.asarray(signal, dtype=np.float64).reshape(self.n_outputs), 0.0, 1.0)
        return (self._rng.random(self.n_outputs) < x * self.p_max) * self.spike_current

    def reset(self) -> None:
        self._rng = np.random.default_rng(self.seed)


class LeakyIntegratorDecoder:
    """``y <- decay * y + W s``: a non-spiking readout on the host."""

    def __init__(self, weights: np.ndarray, decay: np.ndarray | float) -> None:
        self.weights = np.atleast_2d(np.asarray(weights, dtype=np.float64))
        self.decay = np.broadcast_to(
            np.asarray(decay, dtype=np.float64), (self.weights.shape[0],)
        ).copy()
        self.reset()

    def decode(self, spikes: np.ndarray) -> np.ndarray:
        self.y = self.decay * self.y + self.weights @ np.asarray(spikes, dtype=np.float64)
        return self.y.copy()

    def reset(self) -> None:
        self.y = np.zeros(self.weights.shape[0])


class SpikeCount:
    """Spikes per neuron summed over the last ``window`` steps."""

    def __init__(self, n_neurons: int, window: int) -> None:
        if window < 1:
            raise ValueError('window must be >= 1')
        self.n, self.window = n_neurons, window
        self.reset()

    def decode(self, spikes: np.ndarray) -> np.ndarray:
        self._buffer[self._i % self.window] = spikes
        self._i += 1
        return self._buffer.sum(axis=0)

    def reset(self) -> None:
        self._buffer = np.zeros((self.window, self.n))
        self._i = 0


class MovingAverage(SpikeCount):
    """Firing rate per step over the last ``window`` steps (count / steps seen so far)."""

    def decode(self, spikes: np.ndarray) -> np.ndarray:
        counts = super().decode(spikes)
        return counts / min(self._i, self.window)


def relay_population_params() -> dict[str, float]:
    """
    CUBA-LIF parameters of an input population that spikes exactly on a unit input.

    du = dv = 1 make u and v equal to this step's input; threshold 0.5 turns a current of 1
    into one spike and 0 into none.
    """
    return {'du': 1.0, 'dv': 1.0, 'vth': 0.5, 'bias': 0.0}
