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
Neuron dynamics as pure functions over a flattened network (floating point).

Every backend runs the network as one vector of neurons: all populations concatenated,
all connections assembled into one block weight matrix per dendrite. Because every
connection has exactly one step of delay (see :mod:`snn_control.engine.network`), a whole
network step is then a handful of vector operations, which is what makes a 160-neuron
controller step cost tens of microseconds instead of hundreds.

The functions here are written with operators only (``*``, ``+``, ``@``, comparisons), so
the same code runs on numpy arrays (the single-instance path used on robots) and on torch
tensors (batched, with surrogate gradients). Parameters and state are small immutable
records, after Norse.

One step, per neuron (Lava's LIF equations, plus the adaptive threshold)::

    u     <- u * (1 - du) + W_cur @ s_prev + external input
    theta <- theta * (1 - dth) + W_thr @ s_prev         # adaptive_lif only
    v     <- v * (1 - dv) + u + bias
    s     <- v > vth + theta                             # spiking models only
    v     <- 0 (hard reset)  or  v - (vth + theta) (soft reset)   where s
"""

from __future__ import annotations

from typing import Any, Callable, NamedTuple

import numpy as np
from snn_control.engine.network import NetworkSpec


class Block(NamedTuple):
    """One connection inside the flat vector: ``input[target] += W @ s[source]``."""

    source: slice
    target: slice
    #: (n_target, n_source), or (B, n_target, n_source) for per-sample weights.
    weight: Any


class FlatParams(NamedTuple):
    """
    Per-neuron parameters of the whole network, concatenated in population order.

    Decays are stored as what is kept per step (``1 - du``), which saves a subtraction per
    step on the hot path. Non-spiking neurons (readouts) get an unreachable threshold.
    """

    keep_u: Any
    keep_v: Any
    keep_theta: Any
    vth: Any
    bias: Any
    #: 1.0 where the reset is soft (subtract threshold), 0 where hard (to zero).
    soft: Any
    #: Current-dendrite connections, then threshold-dendrite connections (may be empty).
    current_blocks: tuple[Block, ...]
    threshold_blocks: tuple[Block, ...]
    #: "hard", "soft" or "mixed": lets the step skip the unused half of the reset.
    reset_kind: str


#: Threshold given to non-spiking neurons: never crossed, finite so that 0 * it stays 0.
UNREACHABLE = 1e30


class FlatState(NamedTuple):
    """Dynamic state of every neuron; a leading batch dimension is allowed."""

    u: Any
    v: Any
    theta: Any
    s: Any


class Layout(NamedTuple):
    """Where each population lives in the flat neuron vector."""

    names: tuple[str, ...]
    slices: dict[str, slice]
    n: int
    input_slice: slice


def layout(spec: NetworkSpec) -> Layout:
    slices, start = {}, 0
    for pop in spec.populations:
        slices[pop.name] = slice(start, start + pop.size)
        start += pop.size
    return Layout(tuple(slices), slices, start, slices[spec.input_population])


def per_neuron(spec: NetworkSpec, lay: Layout, name: str, default: float) -> np.ndarray:
    """Parameter ``name`` for every neuron in flat order (``default`` where a model lacks it)."""
    out = np.full(lay.n, default, dtype=np.float64)
    for pop in spec.populations:
        if name in pop.params:
            out[lay.slices[pop.name]] = pop.params[name]
    return out


def flatten(spec: NetworkSpec) -> tuple[FlatParams, Layout]:
    """Concatenate the populations and collect the connections as blocks (float64 numpy)."""
    lay = layout(spec)
    n = lay.n

    def gather(name: str, default: float) -> np.ndarray:
        return per_neuron(spec, lay, name, default)

    vth = gather('vth', 0.0)
    soft = np.zeros(n)
    for pop in spec.populations:
        soft[lay.slices[pop.name]] = float(pop.reset == 'soft')
        if not pop.spiking:
            vth[lay.slices[pop.name]] = UNREACHABLE
    blocks = {
        port: tuple(
            Block(
                lay.slices[c.source], lay.slices[c.target], np.asarray(c.weight, dtype=np.float64)
            )
            for c in spec.connections
            if c.port == port
        )
        for port in ('current', 'threshold')
    }
    spiking_soft = [p.reset == 'soft' for p in spec.populations if p.spiking]
    reset_kind = (
        'soft'
        if spiking_soft and all(spiking_soft)
        else 'hard' if not any(spiking_soft) else 'mixed'
    )
    params = FlatParams(
        keep_u=1.0 - gather('du', 1.0),
        keep_v=1.0 - gather('dv', 0.0),
        keep_theta=1.0 - gather('dth', 0.0),
        vth=vth,
        bias=gather('bias', 0.0),
        soft=soft,
        current_blocks=blocks['current'],
        threshold_blocks=blocks['threshold'],
        reset_kind=reset_kind,
    )
    return params, lay


def heaviside(x: Any) -> Any:
    """Spike function without gradients: 1.0 where x > 0, in x's dtype (numpy or torch)."""
    above = x > 0
    return above.to(x.dtype) if hasattr(above, 'to') else above.astype(x.dtype)


def step(
    params: FlatParams,
    state: FlatState,
    current: Any,
    input_slice: slice,
    spike_fn: Callable[[Any], Any] = heaviside,
) -> FlatState:
    """
    Advance every neuron one step; ``current`` is the external input of the input population.

    Shapes: state arrays are ``(..., N)``; block weights are shared ``(n_t, n_s)`` or
    per-sample ``(B, n_t, n_s)``.
    """
    p = params
    syn = synaptic_input(p.current_blocks, state.s)
    syn[..., input_slice] += current
    u = state.u * p.keep_u + syn
    theta = state.theta
    if p.threshold_blocks:
        theta = theta * p.keep_theta + synaptic_input(p.threshold_blocks, state.s)
    v = state.v * p.keep_v + u + p.bias
    threshold = p.vth + theta if p.threshold_blocks else p.vth
    s = spike_fn(v - threshold)
    # Hard reset: v - s*v == 0 where s; soft reset: v - s*threshold.
    if p.reset_kind == 'hard':
        v = v - s * v
    elif p.reset_kind == 'soft':
        v = v - s * threshold
    else:
        v = v - s * (p.soft * threshold + (1.0 - p.soft) * v)
    return FlatState(u=u, v=v, theta=theta, s=s)


def synaptic_input(blocks: tuple[Block, ...], spikes: Any) -> Any:
    """Sum of ``W @ s[source]`` into each block's target, for shared or per-sample weights."""
    out = spikes * 0.0
    for b in blocks:
        src = spikes[..., b.source]
        if b.weight.ndim == 2:
            out[..., b.target] += src @ b.weight.T
        else:  # per-sample weights (evolution: each candidate has its own matrix)
            out[..., b.target] += (b.weight @ src[..., None])[..., 0]
    return out
