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
SpikePoint as a NIR graph, and an independent consumer (Norse) running it.

SpikePoint (:mod:`snn_control.events.spikepoint`) shares each layer's weights over every
point (a kernel-1 convolution) and max-pools over neighbours and groups, so it is no
network file of ours (one population per neuron would be tens of thousands of neurons
with the weights repeated per point). NIR has the primitives to say it as it is:

* a window's input at one step is a ``(C, G, K)`` spike tensor: each neighbour's offset
  channels followed by its group's channels (the same for the group's ``K`` neighbours;
  SpikePoint computes their current once per group, which is the same sum);
* each spiking layer is a 1x1 ``Conv2d`` (weights and bias with batch norm folded in, as
  :class:`~snn_control.events.spikepoint.LayerStep` runs them) into a ``LIF`` node. The
  PLIF update ``v <- keep v + W x + b`` is NIR's ``tau dv/dt = v_leak - v + r I`` under
  forward Euler with ``dt / tau = 1 - keep``, ``r = 1``, ``v_leak = 0`` and the conv
  weights and bias divided by ``1 - keep``; ``v_reset = 0`` is the hard reset. ``dt`` is
  the window over the ``T`` steps (31.25 ms for 0.5 s and 16 steps);
* a residual connection is two edges into the next node (NIR sums a node's inputs);
* a max-pool has no NIR primitive (NIR pools by sum or average), but the values pooled
  are spike counts in {0, 1, 2} (a block's spikes plus its input's), and for those
  ``max = [sum > 0.5] + [sum of [x > 1.5] > 0.5]``: ``SumPool2d`` nodes and threshold
  neurons that keep no voltage (``LIF`` with ``tau = dt``) at 0.5 (OR) and 1.5 (AND), whose
  two outputs both feed the next layer. Exact for binary inputs plus binary residuals,
  which is all SpikePoint pools.

Every Conv2d node also carries the layer's exact trained parameters and the graph the
classifier's configuration under ``metadata["snn_control"]``, so :func:`from_nir` gives
the classifier back exactly. :func:`compare_with_norse` loads the graph with Norse's
modules for ``Conv2d``, ``LIF`` and ``SumPool2d``, wired by nirtorch's ``nir_to_torch``,
and counts the voters' (neuron, step) spike entries equal to ours on the same input
spikes. Why ``nir_to_torch`` and not ``norse.torch.from_nir``: Norse 1.1.0's loader goes
through nirtorch's deprecated executor, which orders nodes depth-first from the input, so
a node with two inputs (every residual here) can run before its second source and take
that source's value from the previous step; ``nir_to_torch`` waits for all of a node's
inputs. Norse computes in float32 like our torch model, but in another order (its
``v + dt/tau (I - v)`` against our ``keep v + W x + b``): a voltage within rounding of a
threshold can fire on one side only, which the agreement figure shows.
"""

from __future__ import annotations

from dataclasses import dataclass
import json
from pathlib import Path
from typing import Any, Sequence
import warnings

import numpy as np
from snn_control.events.spikepoint import (
    BottleneckResidual,
    FORMAT,
    LayerStep,
    SpikePoint,
    SpikePointClassifier,
    SpikePointConfig,
    SpikePointError,
    SpikingLinear,
)
from snn_control.events.windows import PointCloudConfig
import torch

# : Thresholds of the max-pool's neurons (module doc): "any spike" and "a block's spike on its
# input's".
OR_THRESHOLD, AND_THRESHOLD = 0.5, 1.5


def step_seconds(classifier: SpikePointClassifier) -> float:
    """NIR ``dt`` of the graph: the window's length over the ``T`` steps."""
    return classifier.points.window_us * 1e-6 / classifier.model.config.timesteps


class _GraphBuilder:
    """Nodes and edges of one graph, named in the order they are added."""

    def __init__(self, dt: float) -> None:
        self.nodes: dict[str, Any] = {}
        self.edges: list[tuple[str, str]] = []
        self.dt = dt

    def add(self, name: str, node: Any, sources: Sequence[str]) -> str:
        self.nodes[name] = node
        self.edges += [(source, name) for source in sources]
        return name

    def neurons(
        self,
        name: str,
        shape: tuple[int, ...],
        leak: np.ndarray | float,
        threshold: float,
        sources: Sequence[str],
    ) -> str:
        """
        Return a LIF node of ``shape`` that closes ``leak`` of the gap per step.

        Its Euler step with ``dt`` does.
        """
        import nir

        leak = np.broadcast_to(
            np.asarray(leak, dtype=np.float64).reshape(-1, *[1] * (len(shape) - 1)), shape
        )
        return self.add(
            name,
            nir.LIF(
                tau=self.dt / leak,
                r=np.ones(shape),
                v_leak=np.zeros(shape),
                v_threshold=np.full(shape, float(threshold)),
                v_reset=np.zeros(shape),
            ),
            sources,
        )

    def layer(
        self, name: str, layer: SpikingLinear, shape: tuple[int, int], sources: Sequence[str]
    ) -> str:
        """Return a spiking layer over ``shape`` = (G, K) points: 1x1 Conv2d into LIF neurons."""
        import nir

        step = LayerStep(layer)
        weight = (
            step.weight.t()
            if step.group_weight is None
            else torch.cat([step.weight, step.group_weight]).t()
        )
        leak = 1.0 - step.keep
        conv = nir.Conv2d(
            input_shape=shape,
            weight=(weight.double().numpy() / leak)[:, :, None, None],
            stride=1,
            padding=0,
            dilation=1,
            groups=1,
            bias=step.bias.double().numpy() / leak,
        )
        # at least 1-d: NIR's HDF5 writer cannot store scalars (from_nir restores the shapes)
        conv.metadata = {
            'snn_control': {
                'state': {
                    k: np.atleast_1d(v.detach().cpu().numpy())
                    for k, v in layer.state_dict().items()
                }
            }
        }
        self.add(f'{name}_conv', conv, sources)
        return self.neurons(
            name, (weight.shape[0], *shape), leak, layer.neurons.threshold, [f'{name}_conv']
        )

    def max_pool(
        self,
        name: str,
        channels: int,
        shape: tuple[int, int],
        kernel: tuple[int, int],
        sources: Sequence[str],
    ) -> list[str]:
        """
        Write a max over ``kernel`` of the summed ``sources``.

        The sources' spike counts are in {0, 1, 2}: returns the two nodes whose spikes add up to
        the max (module doc).
        """
        import nir

        def pool(node_name: str, pool_sources: Sequence[str]) -> str:
            return self.add(
                node_name,
                nir.SumPool2d(
                    kernel_size=np.array(kernel),
                    stride=np.array(kernel),
                    padding=np.zeros(2, dtype=np.int64),
                ),
                pool_sources,
            )

        pooled = (channels, shape[0] // kernel[0], shape[1] // kernel[1])
        any_one = self.neurons(
            f'{name}_any', pooled, 1.0, OR_THRESHOLD, [pool(f'{name}_sum', sources)]
        )
        both = self.neurons(f'{name}_both', (channels, *shape), 1.0, AND_THRESHOLD, sources)
        any_two = self.neurons(
            f'{name}_any_both', pooled, 1.0, OR_THRESHOLD, [pool(f'{name}_sum_both', [both])]
        )
        return [any_one, any_two]


def to_nir(classifier: SpikePointClassifier) -> Any:
    """
    Return the classifier's network as a ``nir.NIRGraph`` (module doc).

    Input ``(C, G, K)`` spikes.
    """
    import nir

    model, points = classifier.model, classifier.points
    cfg = model.config
    groups, neighbours = points.n_groups, points.n_neighbours
    graph = _GraphBuilder(step_seconds(classifier))
    n_in = cfg.offset_channels + cfg.group_channels
    graph.add('input', nir.Input(input_type={'input': np.array([n_in, groups, neighbours])}), [])

    def block(
        name: str, residual: BottleneckResidual, shape: tuple[int, int], sources: list[str]
    ) -> list[str]:
        """Return the block's input and its branch: the two sources whose sum is its output."""
        inner = graph.layer(f'{name}_reduce', residual.reduce, shape, sources)
        return sources + [graph.layer(f'{name}_expand', residual.expand, shape, [inner])]

    x = [graph.layer('local_lift', model.local_lift, (groups, neighbours), ['input'])]
    x = block('local_block', model.local_block, (groups, neighbours), x)
    x = graph.max_pool(
        'neighbour_pool', cfg.local_channels, (groups, neighbours), (1, neighbours), x
    )
    width = cfg.local_channels
    for i, stage in enumerate(model.global_stages):
        if isinstance(stage, BottleneckResidual):
            x = block(f'global{i}', stage, (groups, 1), x)
        else:
            x = [graph.layer(f'global{i}', stage, (groups, 1), x)]
            width = stage.linear.out_features
    x = graph.max_pool('group_pool', width, (groups, 1), (groups, 1), x)
    voters = graph.layer('voters', model.voters, (1, 1), x)
    n_voters = cfg.n_classes * cfg.voters_per_class
    graph.add('output', nir.Output(output_type={'output': np.array([n_voters, 1, 1])}), [voters])
    # The configuration as one JSON string: NIR's HDF5 files give lists and strings back as
    # arrays of bytes.
    configuration = {
        'model': cfg.as_dict(),
        'points': points.as_dict(),
        'sensor_size': list(classifier.sensor_size),
        'class_names': list(classifier.class_names),
    }
    meta = {
        'format': FORMAT,
        'configuration': json.dumps(configuration),
        'dt': graph.dt,
        'input_layout': 'offset channels then group channels, (C, G, K) per window and step',
        'output_layout': 'voting neurons, class by class',
    }
    return nir.NIRGraph(nodes=graph.nodes, edges=graph.edges, metadata={'snn_control': meta})


def write_nir(classifier: SpikePointClassifier, path: str | Path) -> Path:
    import nir

    path = Path(path)
    nir.write(str(path), to_nir(classifier))
    return path


def from_nir(graph: Any) -> SpikePointClassifier:
    """
    Return the classifier a graph of :func:`to_nir` holds.

    Exactly (its ``snn_control`` metadata).
    """
    meta = graph.metadata.get('snn_control') if isinstance(graph.metadata, dict) else None
    if not isinstance(meta, dict) or meta.get('format') != FORMAT:
        raise SpikePointError(
            'the NIR graph holds no SpikePoint classifier of snn_control (no '
            f"metadata['snn_control'] of format {FORMAT!r})"
        )
    try:
        configuration = json.loads(str(meta['configuration']))
        model = SpikePoint(SpikePointConfig(**configuration['model']))
        points = PointCloudConfig(**configuration['points'])
        width, height = (int(v) for v in configuration['sensor_size'])
        class_names = tuple(str(n) for n in configuration['class_names'])
    except (KeyError, TypeError, ValueError) as exc:
        raise SpikePointError(
            f"the NIR graph's SpikePoint configuration is unreadable ({exc!r})"
        ) from exc
    shapes = {k: v.shape for k, v in model.state_dict().items()}
    state: dict[str, torch.Tensor] = {}
    for name, module in model.named_modules():
        if isinstance(module, SpikingLinear):
            node = graph.nodes.get(_node_name(name) + '_conv')
            if node is None:
                raise SpikePointError(f'the NIR graph lacks the Conv2d node of layer {name!r}')
            for key, value in node.metadata['snn_control']['state'].items():
                key = f'{name}.{key}'
                if key not in shapes or np.size(value) != int(np.prod(shapes[key])):
                    raise SpikePointError(
                        f"the NIR graph's parameter {key!r} does not fit its configuration"
                    )
                state[key] = torch.from_numpy(np.array(value)).reshape(shapes[key])
    try:
        model.load_state_dict(state, strict=True)
    except RuntimeError as exc:
        raise SpikePointError(
            f"the NIR graph's layers do not match its configuration ({exc})"
        ) from exc
    model.eval()
    return SpikePointClassifier(model, points, (width, height), class_names)


def read_nir(path: str | Path) -> SpikePointClassifier:
    import nir

    return from_nir(nir.read(str(path)))


def _node_name(module_name: str) -> str:
    """
    Name the NIR node of a SpikePoint submodule.

    ``local_block.reduce`` -> ``local_block_reduce``, ``global_stages.1.expand`` ->
    ``global1_expand``.
    """
    return module_name.replace('global_stages.', 'global').replace('.', '_')


def load_in_norse(graph: Any) -> torch.nn.Module:
    """
    Return the graph as a torch module of Norse's neurons, convolutions and pools.

    Wired by nirtorch's ``nir_to_torch`` (module doc): ``module(x, state) -> (voter spikes,
    state)``.
    """
    import nir
    import nirtorch
    from snn_control.engine.nir_consumers import import_norse

    import_norse()
    from norse.torch.utils.import_nir import _import_norse_module

    dt = float(graph.metadata['snn_control']['dt'])

    def norse(node: Any) -> torch.nn.Module:
        return _import_norse_module(node, ignore_warnings=True, dt=dt)

    with warnings.catch_warnings():
        warnings.simplefilter('ignore', DeprecationWarning)
        return nirtorch.nir_to_torch(
            graph, {nir.Conv2d: norse, nir.LIF: norse, nir.SumPool2d: norse}
        )


@dataclass(frozen=True)
class NorseAgreement:
    """Norse's run of the exported graph against our model, on the same input spikes."""

    #: Fraction of the voters' (neuron, step) spike entries that are equal.
    spikes: float
    #: Fraction of windows whose label (most votes) is equal.
    labels: float
    spike_count_ours: int
    spike_count_theirs: int
    windows: int


def compare_with_norse(
    classifier: SpikePointClassifier,
    windows: Sequence[np.ndarray],
    seed: int = 0,
    path: str | Path | None = None,
) -> NorseAgreement:
    """
    Write the classifier's NIR file (to ``path``, else a temporary one), read it back.

    Run it in Norse and our model on the same spikes of non-empty ``windows``; compare the voters.
    """
    import tempfile

    import nir

    windows = [w for w in windows if len(w)]
    if not windows:
        raise ValueError('compare_with_norse needs at least one non-empty window')
    cfg = classifier.model.config
    with tempfile.TemporaryDirectory() as folder:
        graph = nir.read(str(write_nir(classifier, path or Path(folder) / 'spikepoint.nir')))
    module = load_in_norse(graph)
    spikes = classifier.input_spikes(
        windows, np.random.default_rng(seed), torch.Generator().manual_seed(seed)
    )
    ours = classifier.step_votes(spikes)  # (T, B, voters)
    with torch.no_grad():
        neighbours = spikes.offsets.shape[3]
        shared = spikes.groups.unsqueeze(3).expand(-1, -1, -1, neighbours, -1)
        inputs = torch.cat([spikes.offsets, shared], dim=-1).permute(
            0, 1, 4, 2, 3
        )  # (T, B, C, G, K)
        state, theirs = None, []
        for t in range(cfg.timesteps):
            out, state = module(inputs[t], state)
            theirs.append(out.reshape(len(windows), -1).clone())
        theirs = torch.stack(theirs)
    return NorseAgreement(
        spikes=float((ours == theirs).double().mean()),
        labels=float(
            (classifier.vote_labels(ours) == classifier.vote_labels(theirs)).double().mean()
        ),
        spike_count_ours=int(ours.sum()),
        spike_count_theirs=int(theirs.sum()),
        windows=len(windows),
    )
