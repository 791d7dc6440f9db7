"""Neuron dynamics as pure functions over a flattened network (floating point).

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


class FlatParams(NamedTuple):
    """Per-neuron parameters of the whole network, concatenated in population order."""

    du: Any
    dv: Any
    dth: Any
    vth: Any
    bias: Any
    #: 1.0 where a neuron can spike (0 for leaky-integrator readouts).
    spiking: Any
    #: 1.0 where the reset is soft (subtract threshold), 0 where hard (to zero).
    soft: Any
    #: (N, N) current weights, row = target neuron, column = source neuron.
    w_current: Any
    #: (N, N) threshold weights, or None when no population adapts its threshold.
    w_threshold: Any


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


def flatten(spec: NetworkSpec) -> tuple[FlatParams, Layout]:
    """Concatenate the populations and assemble the block weight matrices (float64 numpy)."""
    lay = layout(spec)
    n = lay.n

    def gather(name: str, default: float) -> np.ndarray:
        out = np.full(n, default, dtype=np.float64)
        for pop in spec.populations:
            if name in pop.params:
                out[lay.slices[pop.name]] = pop.params[name]
        return out

    spiking = np.zeros(n)
    soft = np.zeros(n)
    for pop in spec.populations:
        spiking[lay.slices[pop.name]] = float(pop.spiking)
        soft[lay.slices[pop.name]] = float(pop.reset == "soft")
    w_cur = np.zeros((n, n))
    w_thr = np.zeros((n, n))
    for conn in spec.connections:
        target = w_thr if conn.port == "threshold" else w_cur
        target[lay.slices[conn.target], lay.slices[conn.source]] += conn.weight
    has_thr = any(c.port == "threshold" for c in spec.connections)
    params = FlatParams(
        du=gather("du", 1.0), dv=gather("dv", 0.0), dth=gather("dth", 0.0),
        # Readouts get threshold 0 but never spike (spiking mask), which keeps the
        # surrogate gradient finite.
        vth=gather("vth", 0.0), bias=gather("bias", 0.0), spiking=spiking, soft=soft,
        w_current=w_cur, w_threshold=w_thr if has_thr else None)
    return params, lay


def heaviside(x: Any) -> Any:
    """Spike function without gradients: 1.0 where x > 0 (numpy or torch)."""
    return (x > 0) * 1.0


def step(params: FlatParams, state: FlatState, external: Any, spike_fn: Callable[[Any], Any] = heaviside) -> FlatState:
    """Advance every neuron one step. ``external`` is the full-width external current.

    Shapes: state arrays are ``(..., N)``; weights are ``(N, N)`` or batched ``(B, N, N)``
    (handled by :func:`synaptic_input`).
    """
    p = params
    u = state.u * (1.0 - p.du) + synaptic_input(p.w_current, state.s) + external
    if p.w_threshold is not None:
        theta = state.theta * (1.0 - p.dth) + synaptic_input(p.w_threshold, state.s)
    else:
        theta = state.theta
    v = state.v * (1.0 - p.dv) + u + p.bias
    threshold = p.vth + theta
    s = spike_fn(v - threshold) * p.spiking
    # Hard reset: v - s*v == 0 where s; soft reset: v - s*threshold.
    v = v - s * (p.soft * threshold + (1.0 - p.soft) * v)
    return FlatState(u=u, v=v, theta=theta, s=s)


def synaptic_input(weight: Any, spikes: Any) -> Any:
    """``W @ s`` for shared ``(N, N)`` or per-sample ``(B, N, N)`` weights."""
    if weight.ndim == 2:
        return spikes @ weight.T
    # Per-sample weights (evolution: each candidate has its own matrix).
    return (weight @ spikes[..., None])[..., 0]
