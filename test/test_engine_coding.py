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

"""Encoders and decoders: exact values and statistics."""

import numpy as np
import pytest
from snn_control.engine.coding import (
    DirectCurrent,
    LeakyIntegratorDecoder,
    MovingAverage,
    PairedCurrent,
    PoissonRate,
    relay_population_params,
    SpikeCount,
)
from snn_control.engine.network import make_population, NetworkSpec
from snn_control.engine.simulator import Simulator


def test_paired_current_has_opposite_signs():
    enc = PairedCurrent([0.5, 2.0])
    np.testing.assert_allclose(enc.encode(0.4), [0.2, 0.8, -0.2, -0.8])
    assert enc.n_outputs == 4


def test_direct_current_gain():
    np.testing.assert_allclose(DirectCurrent([1.0, -2.0], 2).encode([3.0, 1.0]), [3.0, -2.0])


def test_poisson_rate_statistics_and_seed():
    enc = PoissonRate(4, max_rate_hz=200.0, dt=0.001, seed=3)
    counts = sum(enc.encode([0.0, 0.25, 0.5, 1.0]) for _ in range(20000))
    np.testing.assert_allclose(counts / 20000, [0.0, 0.05, 0.1, 0.2], atol=0.01)
    enc.reset()
    first = [enc.encode([1, 1, 1, 1]) for _ in range(10)]
    enc.reset()
    np.testing.assert_array_equal(first, [enc.encode([1, 1, 1, 1]) for _ in range(10)])
    with pytest.raises(ValueError, match='must lie in'):
        PoissonRate(1, max_rate_hz=2000, dt=0.001)


def test_relay_population_spikes_exactly_on_input_spikes():
    enc = PoissonRate(5, max_rate_hz=300.0, dt=0.001, seed=1)
    spec = NetworkSpec(
        (make_population('in', 5, 'cuba_lif', **relay_population_params()),), (), 'in'
    )
    sim = Simulator(spec, library='numpy')
    for _ in range(500):
        x = enc.encode(np.full(5, 0.8))
        np.testing.assert_array_equal(sim.step(x).s, x)


def test_leaky_integrator_decoder():
    dec = LeakyIntegratorDecoder([[1.0, -1.0]], decay=0.5)
    assert dec.decode([1, 0])[0] == 1.0
    assert dec.decode([0, 0])[0] == 0.5
    assert dec.decode([0, 1])[0] == -0.75


def test_spike_count_and_moving_average_windows():
    count, avg = SpikeCount(2, window=3), MovingAverage(2, window=3)
    seq = [[1, 0], [1, 1], [0, 1], [0, 0], [0, 0]]
    counts = [count.decode(s).tolist() for s in seq]
    rates = [avg.decode(s).tolist() for s in seq]
    assert counts == [[1, 0], [2, 1], [2, 2], [1, 2], [0, 1]]
    assert (
        rates[0] == [1.0, 0.0]
        and rates[2] == pytest.approx([2 / 3, 2 / 3])
        and rates[4] == pytest.approx([0, 1 / 3])
    )
