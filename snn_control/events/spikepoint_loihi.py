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
SpikePoint compiled to Loihi's fixed-point arithmetic.

Run by the engine's integer step (ours) and by Lava's bit-accurate process models
(``Loihi2SimCfg``, ``fixed_pt``).

SpikePoint's torch model computes a whole window step within one time step; on Loihi (and
in every network of the engine) each connection delivers one step later. The compiler
therefore lays the network out as a pipeline in which every layer at depth ``d`` sees at
step ``t`` what its sources emitted at ``t - 1``, and makes every path between two layers
equally long: where a residual's input or a pooled branch arrives early, relay neurons
(identity weights, threshold 0.5, no memory) delay it a step each. Then the voters at step
``t + depth`` compute what the torch model's voters compute at ``t`` on the same input
spikes. A layer's bias would be integrated from the first step, before the window's
spikes reach the layer (its first ``d`` steps), which the torch model does not do; so the
biases travel with the data instead: an "on" input neuron fires at every step of the
window, relays carry it down the pipeline, and each layer's bias is the weight of its
connection from the "on" relay one step above it. Where the window ends, the biases end.

Neurons (all hard reset, no current memory: Loihi's ``du = 4095``):

* the input: one relay neuron per (point, offset channel) and per (group, group channel),
  driven by the window's spikes as external current, and the "on" neuron;
* per spiking layer of SpikePoint, one neuron per (point, channel), its batch norm and 1/tau
  folded into the weights and bias (as :class:`~snn_control.events.spikepoint.LayerStep`),
  ``dv = 1 - keep`` in 12 bits, the threshold at the layer's power-of-two scale
  (:func:`~snn_control.engine.fixed_point.scale_exponent`), no neuron bias (see above);
* a max-pool over the spike counts {0, 1, 2} of a residual (as in the NIR export,
  :mod:`snn_control.events.spikepoint_nir`): "any" neurons summing the pool at threshold
  0.5, "both" neurons at 1.5 per point and "any both" neurons pooling those, whose spikes
  add up to the maximum.

Connections repeat each layer's small weight matrix over every point (a Kronecker product,
stored sparse); per layer its 8-bit mantissas and exponent come from the engine's
:func:`~snn_control.engine.fixed_point.quantise_connection`, and connections with the same
exponent and sign mode are merged, so that Lava runs two populations ("input",
"network") and a handful of ``Sparse`` processes. This is a compiler for SpikePoint alone,
beside :func:`~snn_control.engine.fixed_point.quantise`: a network file of ours stores
dense weights, and SpikePoint's would have hundreds of thousands of neurons squared.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

import numpy as np
import scipy.sparse as sp
from snn_control.engine import fixed_point as fxp
from snn_control.engine.network import Connection, make_population
from snn_control.engine.neurons import Layout
from snn_control.events.spikepoint import (
    BottleneckResidual,
    LayerStep,
    SpikePointClassifier,
    SpikingLinear,
)
from snn_control.events.spikepoint_nir import AND_THRESHOLD, OR_THRESHOLD
from snn_control.events.windows import GroupedSpikes
from snn_control.hardware.boards import SparseNetwork
import torch

#: Integer units per unit of float for relays, ANDs and ORs (their inputs are spike counts).
COUNT_SCALE_EXP = 7


@dataclass
class _Stage:
    """
    One layer of neurons: ``points`` x ``channels``.

    Neuron index ``point * channels + channel``.
    """

    name: str
    points: int
    channels: int
    depth: int
    leak: float = 1.0  # share of the voltage's gap closed per step (1: no memory)
    threshold: float = OR_THRESHOLD
    #: A layer of SpikePoint (its scale chosen for its weights), else counting neurons.
    layer: bool = False
    scale_exp: int = COUNT_SCALE_EXP
    #: (source stage, float weights (target, source) in target units): what feeds it.
    inputs: list[tuple['_Stage', sp.spmatrix]] = field(default_factory=list)
    start: int = 0

    @property
    def size(self) -> int:
        return self.points * self.channels


@dataclass(frozen=True)
class LoihiSpikePoint:
    """A classifier compiled to Loihi fixed point (module doc)."""

    classifier: SpikePointClassifier
    fixed: fxp.FixedNetwork
    #: Layer by layer (input relays, SpikePoint's layers, relays, pooling neurons) with
    #: their weights' 8-bit mantissas: what the boards' fit check reads.
    structure: SparseNetwork
    #: Steps from a window's first input spikes to the voters' first answer.
    depth: int
    voters: slice

    @property
    def n_neurons(self) -> int:
        return self.fixed.layout.n

    @property
    def n_synapses(self) -> int:
        return int(sum(c.weight.nnz for c in self.fixed.connections))

    def input_spikes(self, spikes: GroupedSpikes) -> np.ndarray:
        """
        ``(T, B, n_inputs)`` input per step in float units.

        1 where an input spikes: offsets point by point, then group channels group by group. As
        external current (:meth:`~snn_control.engine.fixed_point.FixedNetwork.input_to_int`) it
        fires the input's relay neuron in the same step.
        """
        steps, batch = spikes.offsets.shape[:2]
        on = torch.ones((steps, batch, 1), dtype=spikes.offsets.dtype)
        flat = torch.cat(
            [
                spikes.offsets.reshape(steps, batch, -1),
                spikes.groups.reshape(steps, batch, -1),
                on,
            ],
            dim=-1,
        )
        return flat.numpy().astype(np.float64)

    def stream(self, inputs: np.ndarray) -> np.ndarray:
        """
        Run an unbroken input stream through the engine's integer step, from rest.

        Inputs ``(steps, [B,] n_inputs)`` (:meth:`input_spikes`, float units) give spikes ``(steps,
        [B,] n_neurons)``: what :func:`run_in_lava` reproduces bit for bit.
        """
        net = fxp.FixedArrays(self.fixed, np.asarray)
        zeros = np.zeros((*inputs.shape[1:-1], self.n_neurons), dtype=np.int64)
        state = (zeros, zeros, zeros, zeros)
        external = np.zeros_like(zeros)
        out = []
        for current in inputs:
            external[..., self.fixed.layout.input_slice] = self.fixed.input_to_int(current)
            state = fxp.integer_step(net, state, external)
            out.append(state[3].astype(bool))
        return np.stack(out)

    def flushed(self, inputs: np.ndarray) -> np.ndarray:
        """
        Append :attr:`depth` steps without input to ``inputs``.

        They carry the last input step's consequences to the voters.
        """
        return np.concatenate([inputs, np.zeros((self.depth, *inputs.shape[1:]))])

    def votes(self, spikes: GroupedSpikes) -> np.ndarray:
        """
        Voter spikes ``(T, B, n_voters)`` of windows' spikes.

        Each window from rest (the pipeline's first :attr:`depth` steps dropped): the torch model's
        ``last_votes`` in Loihi's arithmetic.
        """
        return self.stream(self.flushed(self.input_spikes(spikes)))[self.depth:, :, self.voters]


def run_in_lava(compiled: LoihiSpikePoint, inputs: np.ndarray) -> np.ndarray:
    """
    Run the compiled network in Lava's bit-accurate models on one input stream.

    ``Loihi2SimCfg`` with ``fixed_pt``; inputs ``(steps, n_inputs)``, spikes ``(steps,
    n_neurons)``.
    """
    from snn_control.engine.lava_backend import LavaNetwork

    with LavaNetwork.from_fixed(compiled.fixed, name='spikepoint (compiled)') as net:
        return net.run(inputs)['spikes'].astype(bool)


@dataclass(frozen=True)
class LavaParity:
    """Lava against the engine's integer step on the same stream of windows."""

    steps: int
    spikes: int
    #: (neuron, step) entries that differ; 0 is bit-exact.
    differences: int


def lava_parity(compiled: LoihiSpikePoint, spikes: GroupedSpikes) -> LavaParity:
    """
    Compare Lava and the engine's integer step on a stream of windows.

    The windows of ``spikes`` run back to back (then :attr:`depth` empty steps) through both; the
    spike entries that differ are counted.
    """
    steps, batch = spikes.offsets.shape[:2]
    inputs = compiled.flushed(
        compiled.input_spikes(spikes).transpose(1, 0, 2).reshape(steps * batch, -1)
    )
    ours, lava = compiled.stream(inputs), run_in_lava(compiled, inputs)
    return LavaParity(
        steps=len(inputs), spikes=int(lava.sum()), differences=int((ours != lava).sum())
    )


def evaluate_fixed(
    compiled: LoihiSpikePoint,
    windows: Sequence[np.ndarray],
    labels: np.ndarray,
    seed: int = 0,
    batch_size: int = 16,
) -> dict[str, float]:
    """
    Score the compiled network beside the torch model on the same spikes.

    Window accuracy of both on the non-empty ``windows``, and the share of (voter, step) spikes
    they agree on.
    """
    classifier = compiled.classifier
    rng, generator = np.random.default_rng(seed), torch.Generator().manual_seed(seed)
    right_fixed = right_float = agree = entries = 0
    filled = [i for i, w in enumerate(windows) if len(w)]
    for start in range(0, len(filled), batch_size):
        index = filled[start:start + batch_size]
        spikes = classifier.input_spikes([windows[i] for i in index], rng, generator)
        ours_float = classifier.step_votes(spikes).numpy().astype(bool)
        ours_fixed = compiled.votes(spikes)
        truth = np.asarray(labels)[index]

        def hits(votes: np.ndarray) -> int:
            return int(
                (
                    classifier.vote_labels(torch.from_numpy(votes.astype(np.float32))).numpy()
                    == truth
                ).sum()
            )

        right_fixed += hits(ours_fixed)
        right_float += hits(ours_float)
        agree += int((ours_fixed == ours_float).sum())
        entries += ours_fixed.size
    n = max(len(filled), 1)
    return {
        'accuracy_fixed': right_fixed / n,
        'accuracy_float': right_float / n,
        'vote_agreement': agree / max(entries, 1),
        'windows': len(filled),
    }


def compile_classifier(classifier: SpikePointClassifier) -> LoihiSpikePoint:
    """Return the classifier's network as a Loihi fixed-point network (module doc)."""
    model, points = classifier.model.eval(), classifier.points
    cfg = model.config
    groups, neighbours = points.n_groups, points.n_neighbours
    n_points = groups * neighbours
    offsets = _Stage('input_offsets', n_points, cfg.offset_channels, 0)
    group_inputs = _Stage('input_groups', groups, cfg.group_channels, 0)
    on = _Stage('input_on', 1, 1, 0)
    stages: list[_Stage] = [offsets, group_inputs, on]
    relays: dict[tuple[str, int], _Stage] = {}

    def at_depth(stage: _Stage, depth: int) -> _Stage:
        """``stage``'s spikes delayed by relays to come out at ``depth``."""
        while stage.depth < depth:
            key = (stage.name, stage.depth + 1)
            if key not in relays:
                relay = _Stage(
                    f'{stage.name}_relay{stage.depth + 1}',
                    stage.points,
                    stage.channels,
                    stage.depth + 1,
                )
                relay.inputs.append((stage, sp.identity(stage.size, format='csr')))
                relays[key] = relay
                stages.append(relay)
            stage = relays[key]
        return stage

    def add(stage: _Stage, feeds: Sequence[tuple[_Stage, sp.spmatrix]]) -> _Stage:
        stage.depth = max(source.depth for source, _ in feeds) + 1
        stage.inputs = [(at_depth(source, stage.depth - 1), weight) for source, weight in feeds]
        stages.append(stage)
        return stage

    def spiking(
        name: str,
        layer: SpikingLinear,
        sources: Sequence[_Stage],
        group_source: _Stage | None = None,
    ) -> _Stage:
        step = LayerStep(layer)
        weight = step.weight.t().double().numpy()  # (out, in), batch norm and 1/tau folded
        stage = _Stage(
            name,
            sources[0].points,
            weight.shape[0],
            0,
            leak=1.0 - step.keep,
            threshold=layer.neurons.threshold,
            layer=True,
        )
        bias = step.bias.double().numpy()[:, None]
        feeds = [
            (source, sp.kron(sp.identity(source.points), weight, format='csr'))
            for source in sources
        ]
        feeds.append((on, sp.csr_matrix(np.tile(bias, (stage.points, 1)))))
        if group_source is not None:
            group_weight = step.group_weight.t().double().numpy()
            # every neighbour of a group gets its group's current
            spread = sp.kron(sp.identity(groups), np.ones((neighbours, 1)), format='csr')
            feeds.append((group_source, sp.kron(spread, group_weight, format='csr')))
        return add(stage, feeds)

    def max_pool(name: str, sources: Sequence[_Stage], pool_size: int) -> list[_Stage]:
        channels, n_in = sources[0].channels, sources[0].points
        pool = sp.kron(
            sp.kron(sp.identity(n_in // pool_size), np.ones((1, pool_size))),
            sp.identity(channels),
            format='csr',
        )
        same = sp.identity(sources[0].size, format='csr')
        any_one = add(
            _Stage(f'{name}_any', n_in // pool_size, channels, 0), [(s, pool) for s in sources]
        )
        both = add(
            _Stage(f'{name}_both', n_in, channels, 0, threshold=AND_THRESHOLD),
            [(s, same) for s in sources],
        )
        any_both = add(_Stage(f'{name}_any_both', n_in // pool_size, channels, 0), [(both, pool)])
        return [any_one, any_both]

    def block(name: str, residual: BottleneckResidual, sources: list[_Stage]) -> list[_Stage]:
        inner = spiking(f'{name}_reduce', residual.reduce, sources)
        return sources + [spiking(f'{name}_expand', residual.expand, [inner])]

    x = [spiking('local_lift', model.local_lift, [offsets], group_inputs)]
    x = block('local_block', model.local_block, x)
    x = max_pool('neighbour_pool', x, neighbours)
    for i, stage in enumerate(model.global_stages):
        x = (
            block(f'global{i}', stage, x)
            if isinstance(stage, BottleneckResidual)
            else [spiking(f'global{i}', stage, x)]
        )
    x = max_pool('group_pool', x, groups)
    voters = spiking('voters', model.voters, x)
    return _assemble(classifier, stages, voters)


def _assemble(
    classifier: SpikePointClassifier, stages: list[_Stage], voters: _Stage
) -> LoihiSpikePoint:
    """Integer parameters per neuron and merged sparse connections of the stages."""
    inputs = [s for s in stages if s.depth == 0]
    network = sorted((s for s in stages if s.depth > 0), key=lambda s: s.depth)
    start = 0
    for stage in inputs + network:
        stage.start, start = start, start + stage.size
    n_input = sum(s.size for s in inputs)
    slices = {'input': slice(0, n_input), 'network': slice(n_input, start)}
    lay = Layout(('input', 'network'), slices, start, slices['input'])

    scale_exp = np.zeros(start, dtype=np.int64)
    dv, vth_float = np.zeros(start), np.zeros(start)
    # (source population, weight exponent, sign mode) -> the (row, column, mantissa) entries
    # of one merged connection, rows counted in the network population, columns in the source
    blocks: dict[tuple[str, int, str], list[sp.coo_matrix]] = {}
    synapses: list[Connection] = []
    for stage in inputs + network:
        rows = slice(stage.start, stage.start + stage.size)
        if stage.layer:  # counting neurons keep COUNT_SCALE_EXP
            fan_in = sum(abs(weight).sum(axis=1).A.ravel() for _, weight in stage.inputs)
            stage.scale_exp = fxp.scale_exponent(float(np.max(fan_in)), stage.threshold, 0.0)
        scale_exp[rows] = stage.scale_exp
        dv[rows] = stage.leak
        vth_float[rows] = stage.threshold
        for source, weight in stage.inputs:
            # Quantised as the engine quantises a connection; the non-zero weights alone
            # decide its exponent and sign mode, so quantising them as one row is the same.
            weight = weight.tocsr()
            quantised = fxp.quantise_connection(
                weight.data[None, :] * 2.0 ** (stage.scale_exp - fxp.ACT_SHIFT),
                slice(0),
                slice(0),
                'current',
                f'{source.name}->{stage.name}',
            )
            mantissas = sp.csr_matrix(
                (quantised.weight[0], weight.indices, weight.indptr), shape=weight.shape
            )
            mantissas.eliminate_zeros()  # weights too small for the 8-bit grid are no synapses
            synapses.append(Connection(source.name, stage.name, mantissas, sparse=True))
            source_population = 'input' if source.depth == 0 else 'network'
            entries = mantissas.tocoo()
            entries.row += stage.start - n_input
            entries.col += source.start - slices[source_population].start
            blocks.setdefault(
                (source_population, quantised.weight_exp, quantised.sign_mode), []
            ).append(entries)
    vth = np.round(vth_float * np.exp2(scale_exp - fxp.VTH_SHIFT)).astype(np.int64)
    connections = []
    for (source_name, weight_exp, sign_mode), parts in blocks.items():
        source = slices[source_name]
        weight = sp.csr_matrix(
            (
                np.concatenate([p.data for p in parts]),
                (np.concatenate([p.row for p in parts]), np.concatenate([p.col for p in parts])),
            ),
            shape=(start - n_input, source.stop - source.start),
            dtype=np.int64,
        )
        connections.append(
            fxp.FixedConnection(
                source=source,
                target=slices['network'],
                port='current',
                weight=weight,
                weight_exp=weight_exp,
                sign_mode=sign_mode,
            )
        )
    fixed = fxp.FixedNetwork(
        layout=lay,
        scale_exp=scale_exp,
        du=np.full(start, fxp.DECAY_UNITY - 1),
        dv=fxp.decay_to_int(dv),
        dth=np.zeros(start, dtype=np.int64),
        vth=vth,
        bias_mant=np.zeros(start, dtype=np.int64),
        bias_exp=np.zeros(start, dtype=np.int64),
        spiking=np.ones(start, dtype=bool),
        soft=np.zeros(start, dtype=bool),
        connections=tuple(connections),
    )
    structure = SparseNetwork(
        populations=tuple(
            make_population(stage.name, stage.size, du=1.0, dv=stage.leak, vth=stage.threshold)
            for stage in inputs + network
        ),
        connections=tuple(synapses),
        n_inputs=n_input,
    )
    return LoihiSpikePoint(
        classifier, fixed, structure, voters.depth, slice(voters.start, voters.start + voters.size)
    )
