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
SpikePoint (Ren et al., ICLR 2024): a point-based spiking network for event-camera actions.

No public code exists; this follows the paper's description:

* input: groups of points of an event window, rate-coded over ``T`` steps
  (:mod:`snn_control.events.windows`): ``(T, B, G, K, 3)`` spikes of each neighbour's
  offset from its centroid and ``(T, B, G, 6)`` of each group's minimum and centroid;
* a single grouping stage. Local extractor: a spiking 1-D convolution (kernel 1, i.e. a
  linear map shared by all points, written as one matrix product) lifts each neighbour to
  ``local_channels``, a bottleneck residual block refines it, and a max-pool over the
  ``K`` neighbours gives one feature per group. Global extractor: stages that widen the
  features (32 -> 64 -> 128 -> 256 by default), each a spiking convolution and a
  bottleneck residual block, then a max-pool over the ``G`` groups;
* classifier: a spiking layer of ``voters_per_class`` (10) voting neurons per class; the
  class score at a step is the fraction of its voters that fired;
* loss (:func:`voting_loss`): mean squared error between those scores at every one of
  the ``T`` steps and the one-hot label.

Neurons are parametric LIF (Fang et al. 2021): ``v <- v + (x - v) / tau``, a spike when
``v`` exceeds the threshold, hard reset to 0, and ``1/tau = sigmoid(w)`` learned, one
``w`` per layer. In the engine's terms (:mod:`snn_control.engine.neurons`) this is a
current-free LIF with ``dv = 1/tau`` whose input is scaled by ``1/tau``. Training is BPTT
with the surrogate of the engine's :class:`~snn_control.engine.simulator.SuperSpike`
(Heaviside forward, fast-sigmoid derivative), the reset detached from the graph as is
usual for surrogate-gradient training. SuperSpike itself is a per-step autograd function;
a layer here runs all ``T`` steps as one autograd node (:class:`_PLIFSpikes`) with the
same derivative written into its backward pass (the tests check the gradients against
SuperSpike's), which trains about three times faster. Residual connections add the input
to the block's output *after* its last neuron (the paper's identity mapping), so the block
can pass spikes through unchanged. Batch normalisation follows every linear map in
training and is folded into it for inference, which runs the network one step at a time
(:class:`LayerStep`).

:class:`SpikePointClassifier` bundles the network with its point-cloud settings, sensor
size and class names; :func:`save_classifier` / :func:`load_classifier` write and read it
as one ``.npz`` (configuration as JSON, weights as arrays).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
import json
import math
from pathlib import Path
from typing import Callable, Sequence

import numpy as np
from snn_control.events.windows import (
    CODINGS,
    GROUP_CHANNELS,
    GroupedSpikes,
    MOTION_CHANNELS,
    OFFSET_CHANNELS,
    PointCloudConfig,
    windows_to_rates,
)
from snn_control.npz_io import atomic_savez, read_npz
import torch
from torch import nn

FORMAT = 'snn_control.spikepoint/1'
SHIPPED_WEIGHTS = 'spikepoint_gestures.npz'
#: Label returned for a window with no events (nothing to recognise).
NO_LABEL = -1


class SpikePointError(ValueError):
    """A weight file or an input that cannot be used; the message says why."""


@dataclass(frozen=True)
class SpikePointConfig:
    n_classes: int
    timesteps: int = 16
    local_channels: int = 32
    global_channels: tuple[int, ...] = (64, 128, 256)
    #: Width of a residual block's inner layer relative to the block's width.
    bottleneck_ratio: float = 0.25
    voters_per_class: int = 10
    tau_init: float = 2.0
    threshold: float = 1.0
    #: SuperSpike steepness: derivative 1 / (1 + scale * |v - threshold|)^2.
    surrogate_scale: float = 5.0
    #: How the inputs become spikes (:data:`~snn_control.events.windows.CODINGS`).
    coding: str = 'bernoulli'
    #: Input channels per neighbour: the point clouds' ``offset_channels`` (3 absolute, 6 signed).
    offset_channels: int = OFFSET_CHANNELS
    #: Input channels per group: the point clouds' ``group_channels`` (6, 14 with motion inputs).
    group_channels: int = GROUP_CHANNELS

    def __post_init__(self) -> None:
        object.__setattr__(self, 'global_channels', tuple(int(c) for c in self.global_channels))
        if self.n_classes < 2:
            raise ValueError(f'a classifier needs at least 2 classes, got {self.n_classes}')
        if self.timesteps < 1 or self.voters_per_class < 1 or self.local_channels < 1:
            raise ValueError('timesteps, voters_per_class and local_channels must be positive')
        if not self.global_channels or min(self.global_channels) < 1:
            raise ValueError(
                f'global_channels must be positive widths, got {self.global_channels}'
            )
        if not 0 < self.bottleneck_ratio <= 1:
            raise ValueError(f'bottleneck_ratio must be in (0, 1], got {self.bottleneck_ratio}')
        if self.tau_init <= 1:
            raise ValueError(
                f'tau_init must exceed 1 (1/tau = sigmoid(w) < 1), got {self.tau_init}'
            )
        if self.offset_channels not in (OFFSET_CHANNELS, 2 * OFFSET_CHANNELS):
            raise ValueError(
                f'offset_channels must be {OFFSET_CHANNELS} (absolute) or {2 * OFFSET_CHANNELS} '
                '(signed), '
                f'got {self.offset_channels}'
            )
        if self.group_channels not in (GROUP_CHANNELS, GROUP_CHANNELS + MOTION_CHANNELS):
            raise ValueError(
                f'group_channels must be {GROUP_CHANNELS}, or {GROUP_CHANNELS + MOTION_CHANNELS} '
                'with '
                f'motion inputs; got {self.group_channels}'
            )
        if self.coding not in CODINGS:
            raise ValueError(f'unknown coding {self.coding!r}; choose from {CODINGS}')

    def as_dict(self) -> dict:
        out = asdict(self)
        out['global_channels'] = list(self.global_channels)
        return out


class _PLIFSpikes(torch.autograd.Function):
    """
    A layer of PLIF neurons over all ``T`` steps as one autograd node.

    Forward: ``v <- (1 - leak) * v + leak * current[t]``, spike ``s = v > threshold``,
    hard reset ``v <- v * (1 - s)``. Backward: BPTT written out, with the reset detached
    and the SuperSpike surrogate ``ds/dv = 1 / (1 + scale * |v - threshold|)^2``, the
    derivative of the engine's :class:`~snn_control.engine.simulator.SuperSpike`. With
    ``d[t]`` the gradient at the voltage before the spike test,
    ``d[t] = g[t] * ds/dv[t] + (1 - leak) * (1 - s[t]) * d[t + 1]``: one fused operation
    per step instead of a graph of a dozen per step, which trains several times faster and
    keeps only the voltages and spikes.
    """

    @staticmethod
    def forward(
        ctx, current: torch.Tensor, leak: torch.Tensor, threshold: float, scale: float
    ) -> torch.Tensor:
        scale_in = float(leak.detach())
        keep = 1.0 - scale_in
        v_before = torch.empty_like(current)
        spikes = torch.empty_like(current)
        v = torch.zeros_like(current[0])
        for t in range(current.shape[0]):
            torch.mul(current[t], scale_in, out=v_before[t]).add_(v, alpha=keep)
            torch.gt(v_before[t], threshold, out=spikes[t])
            torch.addcmul(v_before[t], v_before[t], spikes[t], value=-1.0, out=v)
        ctx.save_for_backward(current, leak, v_before, spikes)
        ctx.threshold, ctx.scale = threshold, scale
        return spikes

    @staticmethod
    def backward(ctx, grad_spikes: torch.Tensor) -> tuple:
        current, leak, v_before, spikes = ctx.saved_tensors
        scale_in = float(leak.detach())
        keep = 1.0 - scale_in
        grad_current = torch.empty_like(current)
        delta = torch.zeros_like(current[0])  # d[t + 1], then d[t]
        surrogate = torch.empty_like(delta)
        grad_leak = torch.zeros((), dtype=current.dtype)
        # Step by step, so that each step's slices stay in cache (streaming whole (T, ...)
        # tensors through a dozen passes costs more than the arithmetic).
        for t in range(current.shape[0] - 1, -1, -1):
            if t + 1 < current.shape[0]:
                # d[t + 1] reaches d[t] through the voltage kept after step t's reset;
                # keep = 1 - leak multiplies that voltage: its share of the leak's gradient.
                kept = v_before[t] * (1.0 - spikes[t])
                grad_leak -= torch.dot(delta.reshape(-1), kept.reshape(-1))
                delta.mul_(1.0 - spikes[t]).mul_(keep)
            torch.sub(v_before[t], ctx.threshold, out=surrogate).abs_().mul_(ctx.scale).add_(
                1.0
            ).square_()
            delta.addcdiv_(grad_spikes[t], surrogate)
            grad_leak += torch.dot(delta.reshape(-1), current[t].reshape(-1))
            torch.mul(delta, scale_in, out=grad_current[t])
        return grad_current, grad_leak.reshape(leak.shape), None, None


class PLIF(nn.Module):
    """Parametric LIF neurons of one layer, stepped over a ``(T, ...)`` input current."""

    def __init__(self, tau_init: float, threshold: float, surrogate_scale: float) -> None:
        super().__init__()
        self.w = nn.Parameter(torch.tensor(-math.log(tau_init - 1.0)))  # sigmoid(w) = 1 / tau_init
        self.threshold = threshold
        self.surrogate_scale = surrogate_scale

    @property
    def leak(self) -> torch.Tensor:
        """1/tau: the share of the gap to the input that the voltage closes each step."""
        return torch.sigmoid(self.w)

    def forward(self, current: torch.Tensor) -> torch.Tensor:
        return _PLIFSpikes.apply(current, self.leak, self.threshold, self.surrogate_scale)


class SpikingLinear(nn.Module):
    """
    Kernel-1 convolution (a linear map per point and step), batch norm, PLIF neurons.

    Input and output ``(T, M, C)``. With ``n_group_in``, a second input of per-group
    values ``(T, M / K, n_group_in)`` adds its current to each of the group's ``K`` rows
    (the first layer: each neighbour's offsets plus its group's minimum and centroid).
    """

    def __init__(
        self, n_in: int, n_out: int, config: SpikePointConfig, n_group_in: int = 0
    ) -> None:
        super().__init__()
        self.linear = nn.Linear(n_in, n_out, bias=False)
        self.group_linear = nn.Linear(n_group_in, n_out, bias=False) if n_group_in else None
        self.norm = nn.BatchNorm1d(n_out)
        self.neurons = PLIF(config.tau_init, config.threshold, config.surrogate_scale)
        # Inference state (voltage, spikes), kept from call to call: fresh megabyte-sized
        # tensors cost more in page faults than the arithmetic that fills them.
        self._step_buffers = (torch.empty(0), torch.empty(0))

    def forward(self, x: torch.Tensor, groups: torch.Tensor | None = None) -> torch.Tensor:
        steps, rows, _ = x.shape
        n_out = self.linear.out_features
        if self.group_linear is None:
            current = self.linear(x.reshape(steps * rows, -1))
        else:
            # Each row gets its group's input: one matrix product whose input needs no
            # gradient (adding a per-group current instead costs a slow reduction over the
            # neighbours in the backward pass).
            neighbours = rows // groups.shape[1]
            shared = groups.unsqueeze(2).expand(-1, -1, neighbours, -1).reshape(steps, rows, -1)
            inputs = torch.cat([x, shared], dim=-1).reshape(steps * rows, -1)
            current = inputs @ torch.cat([self.linear.weight, self.group_linear.weight], dim=1).t()
        return self.neurons(self.norm(current).view(steps, rows, n_out))

    def stepper(self) -> LayerStep:
        return LayerStep(self)

    def fold_scale(self) -> torch.Tensor:
        """
        Return the ``(n_out,)`` factor per output channel of the folded weights.

        It folds the batch norm (inference statistics) and the neurons' 1/tau input scaling into
        the weights.
        """
        norm = self.norm
        return (
            norm.weight.detach()
            / torch.sqrt(norm.running_var + norm.eps)
            * self.neurons.leak.detach()
        )

    def step_buffers(self, rows: int, like: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """
        Return a zeroed voltage and a spike buffer of ``(rows, n_out)``.

        Reused when they fit.
        """
        v, spikes = self._step_buffers
        shape = (rows, self.linear.out_features)
        if v.shape != shape or v.dtype != like.dtype or v.device != like.device:
            v = torch.empty(shape, dtype=like.dtype, device=like.device)
            spikes = torch.empty_like(v)
            self._step_buffers = (v, spikes)
        return v.zero_(), spikes


class LayerStep:
    """
    A :class:`SpikingLinear` for inference one time step at a time.

    Batch norm and the neurons' 1/tau input scaling are folded into the weights, so a step
    is ``v <- keep * v + x @ W + b``, spikes ``v > threshold``, reset where fired: four
    in-place operations on buffers reused from step to step. Running every layer for one
    step before the next step keeps a step's activations in cache; running one layer over
    all steps (as training does) streams ``T`` times more data through memory, which on
    one core costs several times more than the arithmetic.
    """

    def __init__(self, layer: SpikingLinear) -> None:
        norm, leak = layer.norm, layer.neurons.leak.detach()
        scale = layer.fold_scale()
        self.bias = norm.bias.detach() * leak - norm.running_mean * scale
        self.weight = (layer.linear.weight.detach() * scale[:, None]).t().contiguous()
        self.group_weight = (
            None
            if layer.group_linear is None
            else (layer.group_linear.weight.detach() * scale[:, None]).t().contiguous()
        )
        self.keep = 1.0 - float(leak)
        self.threshold = layer.neurons.threshold
        self.layer = layer
        self.v: torch.Tensor | None = None
        self.spikes: torch.Tensor | None = None

    def __call__(self, x: torch.Tensor, groups: torch.Tensor | None = None) -> torch.Tensor:
        """
        Spikes ``(M, C)`` for input ``(M, n_in)`` (and per-group input ``(M / K, n_group_in)``).

        The returned buffer is overwritten by the next step.
        """
        if self.v is None:
            self.v, self.spikes = self.layer.step_buffers(x.shape[0], x)
        v = self.v
        v.addmm_(x, self.weight, beta=self.keep)
        if self.group_weight is None:
            v.add_(self.bias)
        else:
            per_group = torch.addmm(self.bias, groups, self.group_weight)
            v.view(groups.shape[0], -1, v.shape[1]).add_(per_group.unsqueeze(1))
        torch.gt(v, self.threshold, out=self.spikes)
        v.addcmul_(v, self.spikes, value=-1.0)  # hard reset where it fired
        return self.spikes


#: How the network applies a layer: the module over all steps, or its :class:`LayerStep`.
LayerFn = Callable[..., torch.Tensor]


def _all_steps(
    layer: SpikingLinear, x: torch.Tensor, groups: torch.Tensor | None = None
) -> torch.Tensor:
    return layer(x, groups)


class BottleneckResidual(nn.Module):
    """``x + spikes(narrow(spikes(x)))``: the identity added after the block's last neuron."""

    def __init__(self, channels: int, config: SpikePointConfig) -> None:
        super().__init__()
        inner = max(1, round(channels * config.bottleneck_ratio))
        self.reduce = SpikingLinear(channels, inner, config)
        self.expand = SpikingLinear(inner, channels, config)

    def forward(self, x: torch.Tensor, apply: LayerFn = _all_steps) -> torch.Tensor:
        branch = apply(self.expand, apply(self.reduce, x))
        return branch + x if torch.is_grad_enabled() else branch.add_(x)


class SpikePoint(nn.Module):
    """
    Classify grouped spikes, step by step.

    Grouped spikes (:class:`~snn_control.events.windows.GroupedSpikes`: ``(T, B, G, K, 3)`` per
    neighbour, ``(T, B, G, 6)`` per group) in, per-step class scores ``(T, B, n_classes)`` out.

    In training, or whenever gradients are on, each layer runs over all steps (batch norm
    on batch statistics, BPTT through the steps); in evaluation without gradients the whole
    network is stepped (:class:`LayerStep`). Both compute the same function.
    """

    def __init__(self, config: SpikePointConfig) -> None:
        super().__init__()
        self.config = config
        self.local_lift = SpikingLinear(
            config.offset_channels, config.local_channels, config, config.group_channels
        )
        self.local_block = BottleneckResidual(config.local_channels, config)
        stages, width = [], config.local_channels
        for out in config.global_channels:
            stages += [SpikingLinear(width, out, config), BottleneckResidual(out, config)]
            width = out
        self.global_stages = nn.ModuleList(stages)
        self.voters = SpikingLinear(width, config.n_classes * config.voters_per_class, config)

    def forward(self, spikes: GroupedSpikes) -> torch.Tensor:
        steps, batch, groups, neighbours, channels = spikes.offsets.shape
        expected, per_group_channels = self.config.offset_channels, self.config.group_channels
        if channels != expected or spikes.groups.shape != (
            steps,
            batch,
            groups,
            per_group_channels,
        ):
            raise SpikePointError(
                f'SpikePoint takes (T, B, G, K, {expected}) and (T, B, G, {per_group_channels}) '
                f'spikes, got {tuple(spikes.offsets.shape)} and {tuple(spikes.groups.shape)}'
            )
        offsets = spikes.offsets.reshape(steps, batch * groups * neighbours, channels)
        per_group = spikes.groups.reshape(steps, batch * groups, per_group_channels)
        if self.training or torch.is_grad_enabled():
            votes = self._votes(offsets, per_group, batch, neighbours, _all_steps)
        else:
            steppers = {
                layer: layer.stepper()
                for layer in self.modules()
                if isinstance(layer, SpikingLinear)
            }

            def one_step(
                layer: SpikingLinear, x: torch.Tensor, groups_: torch.Tensor | None = None
            ) -> torch.Tensor:
                return steppers[layer](x, groups_)

            # each step's voter spikes are copied out: the buffer returned is the next step's
            votes = torch.stack(
                [
                    self._votes(offsets[t], per_group[t], batch, neighbours, one_step).clone()
                    for t in range(steps)
                ]
            )
            self.last_votes = votes  # (T, B, n_voters) of the latest inference, for spike topics
        return self.class_scores(votes)

    def class_scores(self, votes: torch.Tensor) -> torch.Tensor:
        """
        Return the fraction of each class's voters that fired.

        From voter spikes ``(..., n_classes * voters_per_class)``.
        """
        return votes.unflatten(-1, (self.config.n_classes, self.config.voters_per_class)).mean(
            dim=-1
        )

    def _votes(
        self,
        offsets: torch.Tensor,
        per_group: torch.Tensor,
        batch: int,
        neighbours: int,
        apply: LayerFn,
    ) -> torch.Tensor:
        """
        Return the architecture once.

        For all steps (``(T, rows, C)`` tensors) or one (``(rows, C)``): the voting neurons'
        spikes.
        """
        x = self.local_block(apply(self.local_lift, offsets, per_group), apply)
        x = x.unflatten(-2, (-1, neighbours)).amax(dim=-2)  # max-pool over neighbours
        for stage in self.global_stages:
            x = stage(x, apply) if isinstance(stage, BottleneckResidual) else apply(stage, x)
        x = x.unflatten(-2, (batch, -1)).amax(dim=-2)  # max-pool over groups
        return apply(self.voters, x)


#: Training losses: the paper's "mse" (:func:`voting_loss`) or "ce" (:func:`voting_cross_entropy`).
LOSSES = ('mse', 'ce')
#: Logit per unit of voter firing fraction in :func:`voting_cross_entropy`: a class whose
#: voters all fire at every step leads one whose voters never fire by 10 nats.
CE_LOGIT_SCALE = 10.0


def voting_loss(scores: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """MSE between the class scores ``(T, B, C)`` at every step and the one-hot labels ``(B,)``."""
    target = nn.functional.one_hot(labels, scores.shape[-1]).to(scores.dtype)
    return nn.functional.mse_loss(scores, target.expand_as(scores))


def voting_cross_entropy(scores: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """
    Return the cross-entropy of the class scores against the labels.

    Scores ``(T, B, C)`` are averaged over the steps (times :data:`CE_LOGIT_SCALE`): our option
    beside the paper's MSE, whose gradient vanishes for a wrong class's voters as they fall silent.
    """
    return nn.functional.cross_entropy(scores.mean(dim=0) * CE_LOGIT_SCALE, labels)


def training_loss(kind: str) -> Callable[[torch.Tensor, torch.Tensor], torch.Tensor]:
    """Return the loss function named ``kind`` (:data:`LOSSES`)."""
    if kind not in LOSSES:
        raise ValueError(f'unknown loss {kind!r}; choose from {LOSSES}')
    return voting_loss if kind == 'mse' else voting_cross_entropy


def count_parameters(model: nn.Module) -> int:
    """Trainable parameters (weights, batch-norm scales and shifts, PLIF time constants)."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


@dataclass
class SpikePointClassifier:
    """
    A trained network with everything needed to turn event windows into labels.

    Inference reuses buffers kept on the network's layers: one classifier serves one thread
    at a time.
    """

    model: SpikePoint
    points: PointCloudConfig
    sensor_size: tuple[int, int]  # (width, height)
    class_names: tuple[str, ...] = field(default=())
    #: How it was trained (dataset, its size and seed, the held-out share, the command), so
    #: that its held-out data can be rebuilt (``bench events``).
    training: dict = field(default_factory=dict)
    #: Windows preprocessed and run together: larger batches spread the per-step overhead of
    #: the network's small layers, smaller ones keep a step's activations in cache.
    batch_size: int = 16

    def __post_init__(self) -> None:
        if not self.class_names:
            self.class_names = tuple(str(i) for i in range(self.model.config.n_classes))
        if len(self.class_names) != self.model.config.n_classes:
            raise SpikePointError(
                f'{len(self.class_names)} class names for {self.model.config.n_classes} classes'
            )
        cfg, points = self.model.config, self.points
        if (cfg.offset_channels, cfg.group_channels) != (
            points.offset_channels,
            points.group_channels,
        ):
            raise SpikePointError(
                f'the network takes {cfg.offset_channels} offset and {cfg.group_channels} group '
                f'channels, the point clouds give {points.offset_channels} and '
                f'{points.group_channels} (signed_offsets={points.signed_offsets}, '
                f'motion_inputs={points.motion_inputs})'
            )

    def scores(self, windows: Sequence[np.ndarray], seed: int = 0) -> np.ndarray:
        """
        ``(B, n_classes)`` fraction of each class's voters that fired, over the ``T`` steps.

        ``seed`` fixes the point sampling and the spike coding, so equal inputs give equal
        scores. A window without events scores 0 for every class.
        """
        return self._run(windows, seed)[0]

    def votes(self, windows: Sequence[np.ndarray], seed: int = 0) -> np.ndarray:
        """``(B, T, n_voters)`` spikes of the voting neurons (all zero for an empty window)."""
        return self._run(windows, seed)[1]

    def _run(self, windows: Sequence[np.ndarray], seed: int) -> tuple[np.ndarray, np.ndarray]:
        cfg = self.model.config
        rng = np.random.default_rng(seed)
        generator = torch.Generator().manual_seed(seed)
        scores = np.zeros((len(windows), cfg.n_classes), dtype=np.float32)
        votes = np.zeros(
            (len(windows), cfg.timesteps, cfg.n_classes * cfg.voters_per_class), dtype=bool
        )
        filled = [i for i, w in enumerate(windows) if len(w) > 0]
        for start in range(0, len(filled), self.batch_size):
            index = filled[start:start + self.batch_size]
            step_votes = self.step_votes(
                self.input_spikes([windows[i] for i in index], rng, generator)
            )
            scores[index] = self.model.class_scores(step_votes).mean(dim=0).numpy()
            votes[index] = (step_votes.transpose(0, 1) > 0).numpy()
        return scores, votes

    def input_spikes(
        self, windows: Sequence[np.ndarray], rng: np.random.Generator, generator: torch.Generator
    ) -> GroupedSpikes:
        """
        Return the network's input spikes of non-empty ``windows``.

        Points sampled with ``rng``, spike trains drawn with ``generator``.
        """
        cfg = self.model.config
        return windows_to_rates(windows, self.points, self.sensor_size, rng).code(
            cfg.timesteps, generator, cfg.coding
        )

    def step_votes(self, spikes: GroupedSpikes) -> torch.Tensor:
        """
        Return the voting neurons' spikes for input ``spikes`` (inference).

        Shape ``(T, B, n_voters)``.
        """
        self.model.eval()
        with torch.no_grad():
            self.model(spikes)
        return self.model.last_votes

    def vote_labels(self, step_votes: torch.Tensor) -> torch.Tensor:
        """
        Return the ``(B,)`` labels of voter spikes ``(T, B, n_voters)``.

        Each is the class whose voters fired most.
        """
        return self.model.class_scores(step_votes).mean(dim=0).argmax(dim=-1)

    def classify(
        self, windows: Sequence[np.ndarray], seed: int = 0
    ) -> tuple[np.ndarray, np.ndarray]:
        """
        Label per window and a confidence in [0, 1].

        The winner's share of all votes (1 when only its voters fired, 1/n_classes when all fired
        alike). Windows without events get :data:`NO_LABEL` and confidence 0.
        """
        labels, confidences, _ = self.classify_with_votes(windows, seed)
        return labels, confidences

    def classify_with_votes(
        self, windows: Sequence[np.ndarray], seed: int = 0
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """
        Run :meth:`classify` and return the voting neurons' spikes too.

        Spikes ``(B, T, n_voters)``, for spike topics.
        """
        scores, votes = self._run(windows, seed)
        labels = scores.argmax(axis=1) if len(scores) else np.zeros(0, dtype=np.int64)
        total = scores.sum(axis=1)
        confidences = np.where(
            total > 0, scores.max(axis=1, initial=0.0) / np.maximum(total, 1e-12), 0.0
        )
        empty = np.array([len(w) == 0 for w in windows], dtype=bool)
        labels = np.where(empty, NO_LABEL, labels).astype(np.int64)
        return labels, confidences.astype(np.float32), votes


def quantised_classifier(classifier: SpikePointClassifier, bits: int) -> SpikePointClassifier:
    """
    Return a copy with its inference weights on a ``bits`` grid per layer.

    Batch norm and 1/tau are folded in, as :class:`LayerStep` runs them, and the grid is
    :func:`snn_control.hardware.quantise_array`'s: what a board's weight memory would hold. The
    per-channel bias stays in full precision.
    """
    import copy

    from snn_control.hardware.boards import quantise_array

    model = copy.deepcopy(classifier.model).eval()
    for layer in model.modules():
        if not isinstance(layer, SpikingLinear):
            continue
        # the fold multiplies output channel j by s_j: quantise W * s jointly, then divide s out
        s = layer.fold_scale()[:, None]
        parts = [layer.linear] + ([layer.group_linear] if layer.group_linear is not None else [])
        joint = torch.cat([part.weight.detach() * s for part in parts], dim=1)
        quantised = torch.as_tensor(quantise_array(joint.numpy(), bits), dtype=joint.dtype)
        start = 0
        with torch.no_grad():
            for part in parts:
                width = part.weight.shape[1]
                # a channel whose fold scale is 0 ignores its weights: keep them
                part.weight.copy_(
                    torch.where(s != 0, quantised[:, start:start + width] / s, part.weight)
                )
                start += width
    return SpikePointClassifier(
        model,
        classifier.points,
        classifier.sensor_size,
        classifier.class_names,
        dict(classifier.training, weight_bits=bits),
        classifier.batch_size,
    )


def shipped_classifier_path() -> Path:
    """Return the shipped recogniser of the simulated gestures (``weights/README.md``)."""
    from importlib import resources

    return Path(str(resources.files('snn_control').joinpath('weights', SHIPPED_WEIGHTS)))


def save_classifier(classifier: SpikePointClassifier, path: str | Path) -> Path:
    meta = {
        'format': FORMAT,
        'model': classifier.model.config.as_dict(),
        'points': classifier.points.as_dict(),
        'sensor_size': list(classifier.sensor_size),
        'class_names': list(classifier.class_names),
        'training': classifier.training,
    }
    weights = {
        f'state/{k}': v.detach().cpu().numpy() for k, v in classifier.model.state_dict().items()
    }
    return atomic_savez(path, meta=np.array(json.dumps(meta)), **weights)


def load_classifier(path: str | Path) -> SpikePointClassifier:
    """Read a file of :func:`save_classifier`; :class:`SpikePointError` says what is wrong."""
    data = read_npz(path, 'SpikePoint weight file', SpikePointError)
    try:
        meta = json.loads(str(data['meta']))
        if not isinstance(meta, dict) or meta.get('format') != FORMAT:
            found = meta.get('format') if isinstance(meta, dict) else None
            raise SpikePointError(
                f'{path} is not a SpikePoint weight file ({found!r}, expected {FORMAT!r})'
            )
        model = SpikePoint(SpikePointConfig(**meta['model']))
        points = PointCloudConfig(**meta['points'])
        width, height = (int(v) for v in meta['sensor_size'])
        class_names = tuple(str(n) for n in meta['class_names'])
    except SpikePointError:
        raise
    except KeyError as exc:
        raise SpikePointError(f'{path}: SpikePoint weight file lacks {exc}') from exc
    except (TypeError, ValueError) as exc:  # JSONDecodeError is a ValueError
        raise SpikePointError(f'{path}: unreadable SpikePoint configuration ({exc})') from exc
    state = {
        k[len('state/'):]: torch.from_numpy(np.array(v))
        for k, v in data.items()
        if k.startswith('state/')
    }
    bad = [k for k, v in state.items() if v.is_floating_point() and not torch.isfinite(v).all()]
    if bad:
        raise SpikePointError(f"{path}: weights hold NaN or inf ({', '.join(bad)})")
    try:
        model.load_state_dict(state, strict=True)
    except RuntimeError as exc:
        raise SpikePointError(
            f'{path}: weights do not match the stored configuration ({exc})'
        ) from exc
    model.eval()
    return SpikePointClassifier(
        model, points, (width, height), class_names, dict(meta.get('training') or {})
    )
