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
SpikePoint as a NIR graph.

Lossless round trip through a file, and an independent consumer (Norse's modules wired by nirtorch)
computing the same voter spikes.
"""

import nir
import numpy as np
import pytest
from snn_control.events.spikepoint import (
    load_classifier,
    shipped_classifier_path,
    SpikePoint,
    SpikePointClassifier,
    SpikePointConfig,
    SpikePointError,
)
from snn_control.events.spikepoint_nir import (
    AND_THRESHOLD,
    compare_with_norse,
    from_nir,
    OR_THRESHOLD,
    read_nir,
    to_nir,
    write_nir,
)
from snn_control.events.windows import PointCloudConfig, split_windows
from test_spikepoint import blob_recording, BLOB_SENSOR
import torch


def blob_windows(n_recordings: int, seed: int = 0) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    return [
        w
        for i in range(n_recordings)
        for w in split_windows(blob_recording(i % 4, rng), 500_000, 250_000)
    ]


def motion_classifier() -> SpikePointClassifier:
    """
    Build an untrained network with every input option and a low threshold.

    Signed offsets and motion inputs, and a threshold low enough that its voters fire.
    """
    torch.manual_seed(1)
    points = PointCloudConfig(
        n_points=256, n_groups=16, n_neighbours=12, signed_offsets=True, motion_inputs=True
    )
    model = SpikePoint(
        SpikePointConfig(
            n_classes=4,
            timesteps=8,
            local_channels=16,
            global_channels=(32, 48),
            threshold=0.25,
            offset_channels=points.offset_channels,
            group_channels=points.group_channels,
            coding='regular',
        )
    )
    model.train()
    with torch.no_grad():
        for layer in model.modules():  # batch-norm statistics that are not the identity
            if isinstance(layer, torch.nn.BatchNorm1d):
                layer.running_mean.uniform_(-0.2, 0.2)
                layer.running_var.uniform_(0.5, 2.0)
    return SpikePointClassifier(model.eval(), points, BLOB_SENSOR, ('a', 'b', 'c', 'd'))


@pytest.mark.parametrize('which', ['shipped', 'motion'])
def test_norse_runs_the_exported_graph_spike_for_spike(which, tmp_path):
    classifier = (
        load_classifier(shipped_classifier_path()) if which == 'shipped' else motion_classifier()
    )
    agreement = compare_with_norse(classifier, blob_windows(4), seed=2, path=tmp_path / 'net.nir')
    assert agreement.windows == 12 and agreement.spike_count_ours > 50, agreement
    assert agreement.spikes >= 0.999 and agreement.labels == 1.0, agreement
    assert (
        abs(agreement.spike_count_theirs - agreement.spike_count_ours)
        <= 0.001 * agreement.spike_count_ours
    )


def test_graph_states_the_network_in_nir_primitives_and_reads_back_exactly(tmp_path):
    classifier = motion_classifier()
    graph = nir.read(str(write_nir(classifier, tmp_path / 'net.nir')))
    kinds = {type(node).__name__ for node in graph.nodes.values()}
    assert kinds == {'Input', 'Output', 'Conv2d', 'LIF', 'SumPool2d'}
    thresholds = {
        float(np.unique(node.v_threshold)[0])
        for node in graph.nodes.values()
        if isinstance(node, nir.LIF)
    }
    assert {OR_THRESHOLD, AND_THRESHOLD, 0.25} == thresholds
    # a residual block's output is its input plus its branch: two edges into what follows
    sources = [a for a, b in graph.edges if b == 'global0_conv']
    assert sources == ['neighbour_pool_any', 'neighbour_pool_any_both']
    copy = read_nir(tmp_path / 'net.nir')
    assert copy.points == classifier.points and copy.class_names == classifier.class_names
    assert (
        copy.model.config == classifier.model.config and copy.sensor_size == classifier.sensor_size
    )
    for key, value in classifier.model.state_dict().items():
        assert torch.equal(copy.model.state_dict()[key], value), key
    windows = blob_windows(2, seed=5)
    np.testing.assert_array_equal(copy.votes(windows, seed=1), classifier.votes(windows, seed=1))


def test_graphs_without_a_spikepoint_configuration_are_refused():
    foreign = nir.NIRGraph(
        nodes={
            'input': nir.Input(input_type={'input': np.array([3])}),
            'output': nir.Output(output_type={'output': np.array([3])}),
        },
        edges=[('input', 'output')],
    )
    with pytest.raises(SpikePointError, match='holds no SpikePoint classifier'):
        from_nir(foreign)
    graph = to_nir(motion_classifier())
    del graph.nodes['voters_conv']
    with pytest.raises(SpikePointError, match="lacks the Conv2d node of layer 'voters'"):
        from_nir(graph)
