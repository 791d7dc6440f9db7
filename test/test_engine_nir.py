"""NIR export/import: lossless round trip, import of plain NIR graphs, clear errors."""
import nir
import numpy as np
import pytest

from random_networks import random_inputs, random_network
from snn_control.engine.network import Connection, NetworkSpec, make_population
from snn_control.engine.nir_io import UnsupportedNIRError, from_nir, read_nir, to_nir, write_nir
from snn_control.engine.simulator import Simulator


def test_round_trip_through_a_nir_file_is_lossless(tmp_path):
    spec = random_network(0)
    back = read_nir(write_nir(spec, tmp_path / "net.nir"))
    x = random_inputs(0, 100)
    a = Simulator(spec, library="numpy").run(x)
    b = Simulator(back, library="numpy").run(x)
    np.testing.assert_array_equal(a["spikes"], b["spikes"])
    np.testing.assert_array_equal(a["v"], b["v"])
    assert [c.port for c in back.connections] == [c.port for c in spec.connections]


def test_plain_nir_graph_without_our_metadata_imports_from_standard_fields():
    rng = np.random.default_rng(2)
    spec = NetworkSpec((make_population("a", 5, "cuba_lif", du=0.5, dv=0.25, vth=1.0, bias=0.1),
                        make_population("b", 2, "leaky_integrator", du=1.0, dv=0.2)),
                       (Connection("a", "b", rng.normal(0, 1, (2, 5))),), "a", metadata={"dt": 0.01})
    graph = to_nir(spec)
    for node in graph.nodes.values():
        node.metadata = {}
    graph.metadata = {}
    with pytest.raises(UnsupportedNIRError, match="Euler-normalised"):
        from_nir(graph)  # wrong step (default 1 ms): the time constants do not invert
    back = from_nir(graph, dt=0.01)
    for pa, pb in zip(spec.populations, back.populations):
        for k in pa.params:
            np.testing.assert_allclose(pa.params[k], pb.params[k], rtol=1e-12, atol=1e-12)


def test_unsupported_node_is_named():
    graph = to_nir(random_network(1))
    graph.nodes["pool"] = nir.SumPool2d(kernel_size=np.array([2, 2]), stride=np.array([2, 2]), padding=np.array([0, 0]))
    with pytest.raises(UnsupportedNIRError, match="'pool' of type SumPool2d is not supported"):
        from_nir(graph)
