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

"""Spike topic encoding: round trips and malformed clouds (no DDS needed)."""

import numpy as np
import pytest
from snn_control.ros.spike_codec import (
    decode_spikes,
    encode_spikes,
    parse_population_header,
    SPIKE_DTYPE,
    to_population_vectors,
)


def test_round_trip_with_times():
    rng = np.random.default_rng(0)
    spikes = {
        'encoder': rng.random(80) < 0.3,
        'hidden': rng.random(1000) < 0.1,
        'silent': np.zeros(4, bool),
    }
    times = {'hidden': rng.random(1000).astype(np.float32)}
    msg = encode_spikes(spikes, network='net', times=times)
    back = to_population_vectors(msg)
    assert list(back) == ['encoder', 'hidden', 'silent']
    for k in spikes:
        np.testing.assert_array_equal(back[k], spikes[k])
    points = decode_spikes(msg)
    hidden = points[points['population'] == 1]
    np.testing.assert_allclose(hidden['t'], times['hidden'][np.flatnonzero(spikes['hidden'])])
    assert parse_population_header(msg.header.frame_id) == (
        'net',
        {'encoder': 80, 'hidden': 1000, 'silent': 4},
    )


def test_no_spikes_and_many_spikes():
    empty = encode_spikes({'a': np.zeros(10, bool)})
    assert empty.width == 0 and decode_spikes(empty).size == 0
    full = encode_spikes({'a': np.ones(200_000, bool)})
    assert decode_spikes(full).size == 200_000 and to_population_vectors(full)['a'].all()


def test_malformed_clouds_are_rejected():
    msg = encode_spikes({'a': np.array([1, 0, 1], bool)})
    msg.data = bytes(msg.data)[:-3]
    with pytest.raises(ValueError, match='width\\*height\\*point_step'):
        decode_spikes(msg)
    msg = encode_spikes({'a': np.array([1, 0, 1], bool)})
    msg.fields = msg.fields[:2]
    with pytest.raises(ValueError, match='not a spike cloud'):
        decode_spikes(msg)
    msg = encode_spikes({'a': np.array([1, 0, 1], bool)})
    msg.header.frame_id = 'net:a=2'  # header claims a smaller population than the data uses
    with pytest.raises(ValueError, match="neuron 2 in population 'a' of size 2"):
        to_population_vectors(msg)
    with pytest.raises(ValueError, match="lacks 'network:'"):
        parse_population_header('nonsense')
    with pytest.raises(ValueError, match='may not contain'):
        encode_spikes({'a,b': np.zeros(1, bool)})
    assert SPIKE_DTYPE.itemsize == 10
