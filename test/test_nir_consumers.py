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
NIR graphs run in snnTorch and Rockpool, spike for spike against our simulator.

Norse's own tests are in test_engine_nir.py. These use the real packages that
scripts/bootstrap.sh installs (snnTorch in the venv, Rockpool in its own directory, run in a
bounded subprocess). Our import reads what snnTorch and Rockpool export (round trips).
"""

import numpy as np
import pytest
from random_networks import random_inputs
from snn_control.engine.network import NetworkSpec
from snn_control.engine.nir_consumers import (
    compare_with_rockpool,
    compare_with_snntorch,
    consumer_names,
    nir_figures,
    rockpool,
)
from snn_control.engine.nir_consumers.rockpool import rockpool_round_trips
from snn_control.engine.nir_consumers.rockpool_worker import _Refuse
from snn_control.engine.nir_consumers.snntorch import SNNTORCH_DT, snntorch_round_trip
from snn_control.engine.nir_io import (
    DEFAULT_DT,
    from_nir,
    threshold_as_current,
    UnsupportedNIRError,
)
from snn_control.engine.simulator import Simulator
from test_engine_nir import layered_network

COMPARE = {'snntorch': compare_with_snntorch, 'rockpool': compare_with_rockpool}


@pytest.fixture(autouse=True)
def bounded_worker(monkeypatch):
    """Give the Rockpool subprocess far less time than in the bench (it needs a few s)."""
    monkeypatch.setattr(rockpool, 'WORKER_TIMEOUT_S', 60.0)


def shipped(network: str) -> NetworkSpec:
    from snn_control.blimp.controller import weights_path
    from snn_control.swimmer.controllers import load_swimmer_controller, shipped_path

    if network == 'swimmer_ncap':
        return load_swimmer_controller(shipped_path('spiking_ncap')).spec
    return NetworkSpec.load(weights_path(network.removeprefix('blimp_')))


def test_every_consumer_runs_and_reports_figures():
    spec = shipped('blimp_pd')
    figures = nir_figures('blimp_pd', spec, random_inputs(2, 200, n_in=spec.n_inputs))
    assert consumer_names() == ('norse', 'snntorch', 'rockpool')
    assert figures['nir_consumers'] == 3
    for consumer in consumer_names():
        assert figures[f'blimp_pd_nir_agreement_{consumer}'] >= 0.99, figures
    assert figures['blimp_pd_nir_agreement'] == figures['blimp_pd_nir_agreement_norse']


@pytest.mark.parametrize('consumer', ['snntorch', 'rockpool'])
@pytest.mark.parametrize('network', ['blimp_pd', 'blimp_i', 'swimmer_ncap'])
def test_shipped_networks_agree_spike_for_spike(consumer, network):
    spec = shipped(network)
    agreement = COMPARE[consumer](spec, random_inputs(1, 500, n_in=spec.n_inputs))
    assert agreement.spike_count_ours > 100
    if consumer == 'snntorch' and network == 'swimmer_ncap':
        # soft reset with voltage memory: snnTorch subtracts again before the firing check
        # where a voltage exceeds twice its threshold (nir_consumers.snntorch, item 4)
        assert any('resets by subtraction' in d for d in agreement.known_differences)
        assert 0.9 <= agreement.spikes < 0.99, agreement
        return
    assert agreement.known_differences == ()
    assert agreement.spikes >= 0.99, agreement
    assert agreement.readout_max_error <= 1e-4 * max(1.0, agreement.readout_max_abs), agreement


def test_what_a_consumer_cannot_express_is_named_and_measured():
    spec = layered_network(0)  # self-recurrent hidden layer with hard reset and memory, biases
    x = random_inputs(0, 400, n_in=8)
    theirs = compare_with_snntorch(spec, x)
    assert (
        "snntorch: connection hid->hid:current is recurrent: snnTorch 1.0.0's import_from_nir "
        'cannot load the sub-graph it makes of it, the driver leaves it out'
    ) in theirs.known_differences
    assert any("'in' has a bias" in d for d in theirs.known_differences)
    assert theirs.per_population['hid'] < 0.99  # the comparison sees the difference
    theirs = compare_with_rockpool(spec, x)
    assert theirs.known_differences == (
        "rockpool: population 'hid' resets to zero with voltage memory: Rockpool's LIFTorch "
        'resets by subtraction only',
    )
    assert theirs.per_population['in'] == 1.0  # soft reset, leaks, biases: all bridged
    assert theirs.per_population['hid'] < 0.99


def test_our_import_reads_what_snntorch_exports():
    spec = shipped('blimp_pd')
    back = from_nir(snntorch_round_trip(spec), dt=SNNTORCH_DT)
    assert [p.name for p in back.populations] == [p.name for p in spec.populations]
    # the order of a graph's edges carries no meaning (NIR keeps them as a list it may reorder)
    by_name = {c.name: c for c in back.connections}
    assert sorted(by_name) == sorted(c.name for c in spec.connections)
    for ours, theirs in zip(spec.populations, back.populations):
        for key in ('du', 'dv'):  # snnTorch keeps its decays in float32
            np.testing.assert_allclose(theirs.params[key], ours.params[key], atol=1e-7)
    for ours in spec.connections:
        np.testing.assert_allclose(by_name[ours.name].weight, ours.weight, rtol=1e-6)
    x = random_inputs(3, 400, n_in=spec.n_inputs)
    a = Simulator(spec, library='numpy').run(x)
    b = Simulator(back, library='numpy').run(x)
    np.testing.assert_array_equal(a['spikes'], b['spikes'])
    readout = slice(spec.n_neurons - 1, spec.n_neurons)  # the readout is the last neuron
    np.testing.assert_allclose(b['v'][:, readout], a['v'][:, readout], atol=1e-5)


# blimp_i: biases (which Rockpool's export loses; its worker writes them back) and an adaptive
# threshold written as a current; swimmer_ncap: soft reset with voltage memory
ROCKPOOL_ROUND_TRIPS = ('blimp_i', 'swimmer_ncap')


@pytest.fixture(scope='module')
def rockpool_exports():
    """Rockpool's exports of ROCKPOOL_ROUND_TRIPS, from one worker (Rockpool imports slowly)."""
    monkeypatch = pytest.MonkeyPatch()
    monkeypatch.setattr(rockpool, 'WORKER_TIMEOUT_S', 60.0)
    specs = [shipped(network) for network in ROCKPOOL_ROUND_TRIPS]
    yield dict(zip(ROCKPOOL_ROUND_TRIPS, zip(specs, rockpool_round_trips(specs))))
    monkeypatch.undo()


@pytest.mark.parametrize('network', ROCKPOOL_ROUND_TRIPS)
def test_our_import_reads_what_rockpool_exports(rockpool_exports, network):
    spec, graph = rockpool_exports[network]
    dt = float(spec.metadata.get('dt', DEFAULT_DT))
    with pytest.raises(UnsupportedNIRError, match="r is not Rockpool's"):
        from_nir(graph, dt=2 * dt, convention='rockpool')  # the graph has no dt: r checks it
    back = from_nir(graph, dt=dt, convention='rockpool')
    assert [(p.name, p.model if p.spiking else 'readout') for p in back.populations] == [
        (p.name, 'cuba_lif' if p.spiking else 'readout') for p in spec.populations
    ]
    rode = {}  # an adaptive threshold written as a current comes back inside that current
    for ours, theirs in zip(spec.populations, back.populations):
        params = dict(ours.params)
        if threshold_as_current(spec, ours):
            params['du'] = params['dth']
            rode[ours.name] = spec.incoming(ours.name, 'threshold')[0].weight
        else:
            assert theirs.reset == ours.reset or not ours.spiking
        for key in theirs.params:  # Rockpool keeps its parameters in float32
            np.testing.assert_allclose(theirs.params[key], params[key], rtol=1e-6, atol=1e-8)
    by_name = {c.name: c for c in back.connections}
    for ours in spec.connections:
        if ours.port == 'current':
            expected = ours.weight - rode.get(ours.target, 0.0)
            np.testing.assert_allclose(by_name[ours.name].weight, expected, rtol=1e-6)
    x = random_inputs(3, 400, n_in=spec.n_inputs)
    a = Simulator(spec, library='numpy').run(x)
    b = Simulator(back, library='numpy').run(x)
    assert a['spikes'].sum() > 100
    np.testing.assert_array_equal(a['spikes'], b['spikes'])
    slices = Simulator(spec, library='numpy').layout.slices
    for pop in (p for p in spec.populations if not p.spiking):
        ours_v, theirs_v = a['v'][:, slices[pop.name]], b['v'][:, slices[pop.name]]
        scale = max(1.0, float(np.abs(ours_v).max()))
        np.testing.assert_allclose(theirs_v, ours_v, atol=1e-6 * scale)


def test_rockpool_round_trip_refuses_self_connections():
    with pytest.raises(ValueError, match='cannot export self-connections \\(hid->hid:current\\)'):
        rockpool_round_trips([layered_network(0)])


def test_rockpool_worker_refuses_samna():
    with pytest.raises(ImportError, match='samna is not to be imported'):
        _Refuse().find_spec('samna')
    with pytest.raises(ImportError):
        _Refuse().find_spec('rockpool.devices.xylo')
    assert _Refuse().find_spec('rockpool.nn') is None
