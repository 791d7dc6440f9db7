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

"""The network file format: round trip and clear errors on every kind of bad file."""

import json

import numpy as np
import pytest
from random_networks import random_network
from snn_control.engine.network import Connection, make_population, NetworkFileError, NetworkSpec


def test_round_trip_preserves_everything(tmp_path):
    spec = random_network(0)
    path = spec.save(tmp_path / 'net.npz')
    back = NetworkSpec.load(path)
    assert back.name == spec.name and back.metadata == {'seed': 0}
    assert [p.name for p in back.populations] == ['enc', 'hid', 'out']
    for a, b in zip(spec.populations, back.populations):
        assert a.model == b.model and a.reset == b.reset
        for k in a.params:
            np.testing.assert_array_equal(a.params[k], b.params[k])
    for a, b in zip(spec.connections, back.connections):
        assert (a.source, a.target, a.port, a.sparse) == (b.source, b.target, b.port, b.sparse)
        np.testing.assert_array_equal(a.weight, b.weight)
    assert back.n_neurons == 31 and back.n_synapses == spec.n_synapses


def test_truncated_file_is_named(tmp_path):
    path = random_network(1).save(tmp_path / 'net.npz')
    blob = path.read_bytes()
    path.write_bytes(blob[: len(blob) // 2])
    with pytest.raises(NetworkFileError, match='truncated or corrupt'):
        NetworkSpec.load(path)


def test_missing_file(tmp_path):
    with pytest.raises(NetworkFileError, match='does not exist'):
        NetworkSpec.load(tmp_path / 'nope.npz')


def _rewrite(path, mutate_header=None, mutate_arrays=None):
    with np.load(path) as data:
        arrays = {k: data[k] for k in data.files}
    header = json.loads(bytes(arrays['header']).decode())
    if mutate_header:
        mutate_header(header)
    if mutate_arrays:
        mutate_arrays(arrays)
    arrays['header'] = np.frombuffer(json.dumps(header).encode(), dtype=np.uint8)
    np.savez(path, **arrays)


@pytest.mark.parametrize(
    'mutate_header, mutate_arrays, message',
    [
        (
            lambda h: h['populations'][1].update(model='izhikevich'),
            None,
            "unknown neuron model 'izhikevich'",
        ),
        (lambda h: h.update(version=99), None, 'format version 99 is not supported'),
        (lambda h: h.update(format='other'), None, "expected 'snn_control.network'"),
        (None, lambda a: a.update(conn0_weight=np.full((16, 12), np.nan)), 'weights contain NaN'),
        (
            None,
            lambda a: a.update(conn0_weight=np.zeros((16, 11))),
            r'weight shape \(16, 11\) does not match',
        ),
        (None, lambda a: a.pop('conn3_weight'), "missing array 'conn3_weight'"),
        (None, lambda a: a.update(pop0_du=np.full(12, 1.5)), "decay 'du' must lie in"),
        (
            lambda h: h['connections'][0].update(target='nowhere'),
            None,
            "unknown population 'nowhere'",
        ),
        (lambda h: h.update(input_population='x'), None, "input population 'x' is not one of"),
    ],
)
def test_bad_files_name_the_problem(tmp_path, mutate_header, mutate_arrays, message):
    path = random_network(2).save(tmp_path / 'net.npz')
    _rewrite(path, mutate_header, mutate_arrays)
    with pytest.raises(NetworkFileError, match=message):
        NetworkSpec.load(path)


def test_unknown_population_parameter():
    with pytest.raises(NetworkFileError, match=r"unknown parameter\(s\) \['tau'\]"):
        make_population('p', 3, 'cuba_lif', tau=0.5)


def test_threshold_port_needs_adaptive_target():
    pops = (make_population('a', 2), make_population('b', 2))
    with pytest.raises(NetworkFileError, match='only adaptive_lif targets'):
        NetworkSpec(pops, (Connection('a', 'b', np.ones((2, 2)), port='threshold'),), 'a')


def test_save_is_atomic(tmp_path):
    spec = random_network(3)
    path = spec.save(tmp_path / 'net.npz')
    assert not (tmp_path / 'net.npz.tmp').exists()
    assert NetworkSpec.load(path).name == 'random3'
