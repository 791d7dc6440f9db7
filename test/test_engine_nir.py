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
NIR export/import.

Lossless round trip, import of plain NIR graphs, clear errors, and the export's meaning checked by
running it in an independent consumer (Norse).
"""

import dataclasses

import nir
import numpy as np
import pytest
from random_networks import random_inputs, random_network
from snn_control.engine.network import Connection, make_population, NetworkSpec
from snn_control.engine.nir_consumers import compare_with_norse, population_depths
from snn_control.engine.nir_io import (
    from_nir,
    read_nir,
    threshold_as_current,
    to_nir,
    UnsupportedNIRError,
    write_nir,
)
from snn_control.engine.simulator import Simulator


def test_round_trip_through_a_nir_file_is_lossless(tmp_path):
    spec = random_network(0)
    back = read_nir(write_nir(spec, tmp_path / 'net.nir'))
    x = random_inputs(0, 100)
    a = Simulator(spec, library='numpy').run(x)
    b = Simulator(back, library='numpy').run(x)
    np.testing.assert_array_equal(a['spikes'], b['spikes'])
    np.testing.assert_array_equal(a['v'], b['v'])
    assert [c.port for c in back.connections] == [c.port for c in spec.connections]


def test_plain_nir_graph_without_our_metadata_imports_from_standard_fields():
    rng = np.random.default_rng(2)
    spec = NetworkSpec(
        (
            make_population('a', 5, 'cuba_lif', du=0.5, dv=0.25, vth=1.0, bias=0.1),
            make_population('b', 2, 'leaky_integrator', du=1.0, dv=0.2),
        ),
        (Connection('a', 'b', rng.normal(0, 1, (2, 5))),),
        'a',
        metadata={'dt': 0.01},
    )
    graph = _without_our_metadata(to_nir(spec))
    with pytest.raises(UnsupportedNIRError, match='Euler-normalised'):
        from_nir(graph)  # wrong step (default 1 ms): the time constants do not invert
    back = from_nir(graph, dt=0.01)
    for pa, pb in zip(spec.populations, back.populations):
        for k in pa.params:
            np.testing.assert_allclose(pa.params[k], pb.params[k], rtol=1e-12, atol=1e-12)


def test_unsupported_node_is_named():
    graph = to_nir(random_network(1))
    graph.nodes['pool'] = nir.SumPool2d(
        kernel_size=np.array([2, 2]), stride=np.array([2, 2]), padding=np.array([0, 0])
    )
    with pytest.raises(UnsupportedNIRError, match="'pool' of type SumPool2d is not supported"):
        from_nir(graph)


# -- the export's meaning, checked in an independent NIR consumer (Norse) -------------------------


def test_perfect_integrators_get_finite_time_constants_whose_euler_step_is_ours():
    spec = NetworkSpec(
        (make_population('a', 3, 'cuba_lif', du=[0.0, 0.5, 1.0], dv=[0.0, 0.25, 1.0], bias=0.2),),
        (),
        'a',
        metadata={'dt': 0.01},
    )
    node = to_nir(spec).nodes['a']
    for field in ('tau_syn', 'tau_mem', 'r', 'w_in', 'v_leak'):
        assert np.all(np.isfinite(getattr(node, field))), field
    u, v, x = np.array([0.3, 0.3, 0.3]), np.array([0.4, 0.4, 0.4]), np.array([1.0, 1.0, 1.0])
    u_euler = u + 0.01 / node.tau_syn * (node.w_in * x - u)
    v_euler = v + 0.01 / node.tau_mem * (node.v_leak - v + node.r * u_euler)
    p = spec.populations[0].params
    u_ours = u * (1 - p['du']) + x
    np.testing.assert_allclose(u_euler, u_ours, rtol=1e-9)
    np.testing.assert_allclose(v_euler, v * (1 - p['dv']) + u_ours + p['bias'], rtol=1e-9)
    back = from_nir(_without_our_metadata(to_nir(spec)), dt=0.01).populations[0].params
    np.testing.assert_array_equal(
        back['du'][:1], [0.0]
    )  # the stand-in decay reads back as a perfect integrator
    np.testing.assert_array_equal(back['dv'][:1], [0.0])


def _without_our_metadata(graph):
    for node in graph.nodes.values():
        node.metadata = {}
    graph.metadata = {}
    return graph


def test_threshold_connections_are_not_edges_a_consumer_would_add_to_the_current():
    spec = random_network(0)
    graph = to_nir(spec)
    linears = [n for n in graph.nodes.values() if isinstance(n, nir.Linear)]
    assert len(linears) == sum(c.port == 'current' for c in spec.connections)
    back = from_nir(graph)
    assert [c.name for c in back.connections] == [c.name for c in spec.connections]


def layered_network(seed: int) -> NetworkSpec:
    """
    Input (soft reset, some perfect current integrators).

    Hidden (hard reset, some perfect voltage integrators, self-recurrent), readout: every semantic
    difference Norse has that the driver bridges, and none it cannot.
    """
    rng = np.random.default_rng(seed)
    pops = (
        make_population(
            'in',
            8,
            'cuba_lif',
            reset='soft',
            du=np.r_[0.0, 0.0, rng.uniform(0.1, 1, 6)],
            dv=rng.uniform(0.0, 0.5, 8),
            vth=rng.uniform(0.5, 2, 8),
            bias=rng.uniform(-0.2, 0.2, 8),
        ),
        make_population(
            'hid',
            12,
            'cuba_lif',
            reset='hard',
            du=rng.uniform(0.1, 1, 12),
            dv=np.r_[0.0, 0.0, rng.uniform(0.0, 0.5, 10)],
            vth=rng.uniform(0.5, 2, 12),
            bias=rng.uniform(-0.1, 0.1, 12),
        ),
        make_population('out', 2, 'leaky_integrator', du=0.5, dv=0.2, bias=0.05),
    )
    conns = (
        Connection('in', 'hid', rng.normal(0, 1, (12, 8))),
        Connection(
            'hid', 'hid', rng.normal(0, 0.5, (12, 12)) * (rng.random((12, 12)) < 0.3), sparse=True
        ),
        Connection('hid', 'out', rng.normal(0, 1, (2, 12))),
    )
    return NetworkSpec(pops, conns, 'in', name=f'layered{seed}', metadata={'dt': 0.002})


def test_norse_runs_our_nir_file_spike_for_spike():
    spec = layered_network(0)
    agreement = compare_with_norse(spec, random_inputs(0, 600, n_in=8))
    assert agreement.known_differences == ()
    assert agreement.spike_count_ours > 300  # the comparison is not between two silent networks
    assert agreement.spikes >= 0.999, agreement
    assert agreement.readout_max_error <= 1e-4 * max(1.0, agreement.readout_max_abs), agreement


@pytest.mark.parametrize('network', ['blimp_pd', 'swimmer_ncap'])
def test_shipped_feed_forward_networks_agree_in_norse(network):
    from snn_control.blimp.controller import weights_path
    from snn_control.swimmer.controllers import load_swimmer_controller, shipped_path

    spec = (
        NetworkSpec.load(weights_path('pd'))
        if network == 'blimp_pd'
        else load_swimmer_controller(shipped_path('spiking_ncap')).spec
    )
    agreement = compare_with_norse(spec, random_inputs(1, 500, n_in=spec.n_inputs))
    assert agreement.spike_count_ours > 100
    assert agreement.spikes >= 0.99, agreement
    assert agreement.readout_max_error <= 1e-4 * max(1.0, agreement.readout_max_abs), agreement


def test_what_nir_cannot_express_is_named_and_measured():
    spec = random_network(0)  # adaptive thresholds, a self-recurrent hidden layer
    agreement = compare_with_norse(spec, random_inputs(0, 400))
    assert agreement.known_differences == (
        "population 'hid' has an adaptive threshold, which NIR cannot express: "
        'the consumer runs it without adaptation',
    )
    assert agreement.per_population['enc'] == 1.0
    assert agreement.per_population['hid'] < 0.99  # the comparison does see a real difference


def memoryless_adaptive_network(seed: int, current_input: bool) -> NetworkSpec:
    """
    Build encoder -> adaptive hidden layer -> readout, its hidden voltage keeping nothing.

    With dv = 1 its threshold adaptation can travel as a current (``threshold_as_current``).
    """
    rng = np.random.default_rng(seed)
    dth = rng.uniform(0.0, 0.05, 20)
    pops = (
        make_population(
            'enc', 8, 'cuba_lif', reset='soft', du=1.0, dv=1.0, vth=rng.uniform(0.1, 0.8, 8)
        ),
        make_population(
            'hid',
            20,
            'adaptive_lif',
            reset='soft',
            du=dth if current_input else 1.0,
            dv=1.0,
            vth=rng.uniform(0.5, 1.5, 20),
            bias=1.0,
            dth=dth,
        ),
        make_population('out', 1, 'leaky_integrator', du=1.0, dv=0.8),
    )
    current = rng.normal(0, 0.05, (20, 8)) if current_input else np.zeros((20, 8))
    conns = (
        Connection('enc', 'hid', current),
        Connection('hid', 'out', rng.normal(0, 0.2, (1, 20))),
        Connection('enc', 'hid', rng.normal(0, 0.02, (20, 8)), port='threshold'),
    )
    return NetworkSpec(pops, conns, 'enc', name=f'memoryless{seed}', metadata={'dt': 0.01})


@pytest.mark.parametrize('current_input', [False, True])
def test_thresholds_of_memoryless_neurons_travel_as_exact_negated_currents(current_input):
    spec = memoryless_adaptive_network(3, current_input)
    assert threshold_as_current(spec, spec.population('hid'))
    graph = to_nir(spec)
    jumps = spec.connections[2].weight
    # one edge enc -> hid carries current and negated jumps together (two edges between one
    # pair of nodes would let nirtorch run hid before the second)
    written = [
        n.weight
        for n in graph.nodes.values()
        if isinstance(n, nir.Linear) and n.weight.shape == jumps.shape
    ]
    assert len(written) == 1
    np.testing.assert_allclose(written[0], spec.connections[0].weight - jumps)
    assert 'threshold_connections' not in graph.metadata['snn_control']
    back = from_nir(graph)
    assert [c.name for c in back.connections] == [c.name for c in spec.connections]
    np.testing.assert_array_equal(
        back.connections[2].weight, jumps
    )  # read back un-negated, on its port
    # an error-like input (zero mean, bounded), each value held 3 steps as the blimp's controller
    # does
    t = np.arange(200)[:, None]
    inputs = np.repeat(
        np.sin(t / 15.0 + np.arange(8)) + np.random.default_rng(0).normal(0, 0.2, (200, 8)),
        3,
        axis=0,
    )
    agreement = compare_with_norse(spec, inputs)
    assert agreement.known_differences == ()
    # float32 (Norse) against float64 (ours): a running sum within rounding of a threshold
    # may fire on one side only (item 9 of nir_consumers)
    assert agreement.per_population['hid'] >= 0.999 and agreement.spike_count_ours > 500, agreement


def test_thresholds_of_neurons_with_voltage_memory_stay_in_metadata():
    spec = memoryless_adaptive_network(3, current_input=True)
    hid = spec.population('hid')
    leaky = dataclasses.replace(hid, params={**hid.params, 'dv': np.full(hid.size, 0.5)})
    spec = NetworkSpec(
        (spec.populations[0], leaky, spec.populations[2]),
        spec.connections,
        'enc',
        metadata=spec.metadata,
    )
    assert not threshold_as_current(spec, leaky)
    assert 'threshold_connections' in to_nir(spec).metadata['snn_control']


def test_population_depths_follow_current_connections_only():
    assert population_depths(random_network(0)) == {'enc': 0, 'hid': 1, 'out': 2}


@pytest.mark.filterwarnings(
    'ignore:nirtorch.extract_nir_graph is being deprecated:DeprecationWarning'
)
def test_graph_exported_by_another_tool_names_its_unsupported_node(tmp_path):
    import norse.torch
    import torch

    norse_graph = norse.torch.to_nir(
        norse.torch.SequentialState(torch.nn.Linear(2, 3, bias=False), norse.torch.LIFBoxCell()),
        torch.zeros(1, 2),
    )
    with pytest.raises(UnsupportedNIRError, match="'1' of type LIF is not supported"):
        from_nir(norse_graph)
    written = nir.NIRGraph(
        nodes={
            'input': nir.Input(input_type={'input': np.array([2])}),
            'delay': nir.Delay(delay=np.array([0.001, 0.002])),
            'output': nir.Output(output_type={'output': np.array([2])}),
        },
        edges=[('input', 'delay'), ('delay', 'output')],
    )
    nir.write(str(tmp_path / 'delay.nir'), written)
    with pytest.raises(UnsupportedNIRError, match="'delay' of type Delay is not supported"):
        read_nir(tmp_path / 'delay.nir')
