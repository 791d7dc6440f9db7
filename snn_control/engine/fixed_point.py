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
Loihi fixed-point arithmetic: quantisation of a network and its integer step.

Why hand-written: the point of this mode is to equal Lava's bit-accurate ``fixed_pt``
models (and so Loihi) bit for bit, which needs the exact shifts, truncations, wrap-around
and clipping of the hardware; no general quantisation library models those.

Representation (Lava's ``PyLifModelBitAcc`` and ``PyDenseModelBitAcc``):

* state ``u``, ``v`` and the threshold adaptation ``theta`` are 24-bit signed integers;
* decays are 12-bit: ``x <- sign(x) * ((|x| * (4096 - d)) >> 12)``; the current uses
  ``d = du + 1`` (Loihi's ``ds_offset``), the voltage ``d = dv``;
* synaptic input is shifted left by 6 bits before it is added to ``u``; ``u`` wraps
  around at 24 bits, ``v`` saturates at +/-(2**23 - 1);
* the threshold is a 17-bit mantissa shifted left by 6; bias is a 13-bit mantissa with
  a 3-bit exponent;
* a connection's weights are 8-bit mantissas (even numbers for mixed-sign matrices,
  since Loihi spends one bit on the sign) with a per-connection exponent ``weight_exp``
  applied to the accumulated sum (left shift, or arithmetic right shift if negative).

Each population gets a power-of-two scale ``2**scale_exp`` integer units per unit of float
voltage, chosen so that thresholds, the largest fan-in and the input range fit.
"""

from __future__ import annotations

from dataclasses import dataclass
import math
from typing import Any

import numpy as np
from scipy.sparse import issparse
from snn_control.engine.network import NetworkSpec
from snn_control.engine.neurons import Layout, layout, per_neuron

STATE_BITS = 24
MAX_STATE = 2 ** (STATE_BITS - 1)
DECAY_SHIFT = 12
DECAY_UNITY = 1 << DECAY_SHIFT
ACT_SHIFT = 6
VTH_SHIFT = 6
VTH_MAX = 2**17 - 1
BIAS_MANT_MAX = 4095
BIAS_EXP_MAX = 7
WEIGHT_EXP_RANGE = (-8, 7)
ACTIVATION_MAX = 2**15 - 1  # synaptic input travels as 16-bit signed

#: Largest |external input current| (float units) the quantiser must represent, unless the
#: network's metadata names ``input_range``.
DEFAULT_INPUT_RANGE = 4.0


class QuantisationError(ValueError):
    """A network cannot be represented in Loihi fixed point; the message says why."""


@dataclass(frozen=True)
class FixedConnection:
    source: slice
    target: slice
    port: str
    weight: Any  # int64 mantissas, (target, source): an array, or a scipy sparse matrix
    weight_exp: int
    sign_mode: str  # "excitatory" | "inhibitory" | "mixed" (Lava's determine_sign_mode)


@dataclass(frozen=True)
class FixedNetwork:
    """All integer parameters of a network in Loihi's representation (flat neuron order)."""

    layout: Layout
    scale_exp: np.ndarray  # per neuron
    du: np.ndarray
    dv: np.ndarray
    dth: np.ndarray
    vth: np.ndarray  # 17-bit mantissa (before the << 6)
    bias_mant: np.ndarray
    bias_exp: np.ndarray
    spiking: np.ndarray  # bool
    soft: np.ndarray  # bool
    connections: tuple[FixedConnection, ...]

    @property
    def bias(self) -> np.ndarray:
        return self.bias_mant.astype(np.int64) << self.bias_exp.astype(np.int64)

    def input_to_int(self, current: np.ndarray) -> np.ndarray:
        """Quantise external current (float units of the input population) to 16-bit ints."""
        exp = self.scale_exp[self.layout.input_slice] - ACT_SHIFT
        scaled = np.round(np.asarray(current, dtype=np.float64) * np.exp2(exp))
        return np.clip(scaled, -ACTIVATION_MAX - 1, ACTIVATION_MAX).astype(np.int64)

    def voltage_to_float(self, v: np.ndarray) -> np.ndarray:
        """Integer state of the whole flat vector back to float units."""
        return np.asarray(v, dtype=np.float64) * np.exp2(-self.scale_exp)


def decay_to_int(d: np.ndarray) -> np.ndarray:
    return np.clip(np.round(np.asarray(d) * DECAY_UNITY), 0, DECAY_UNITY - 1).astype(np.int64)


def quantise(spec: NetworkSpec, input_range: float | None = None) -> FixedNetwork:
    """Map a float network onto Loihi's integer representation."""
    lay = layout(spec)
    input_range = float(
        input_range
        if input_range is not None
        else spec.metadata.get('input_range', DEFAULT_INPUT_RANGE)
    )
    scale_exp = np.zeros(lay.n, dtype=np.int64)
    per_pop_exp: dict[str, int] = {}
    for pop in spec.populations:
        # The largest float magnitude the 24-bit voltage/current must hold in this population.
        fan_in = 0.0
        for conn in spec.incoming(pop.name, 'current'):
            fan_in += np.abs(conn.weight).sum(axis=1)
        fan_in = float(np.max(fan_in)) if np.ndim(fan_in) else float(fan_in)
        vth = float(np.max(np.abs(pop.params.get('vth', np.zeros(1)))))
        thr_in = sum(
            (np.abs(c.weight).sum(axis=1) for c in spec.incoming(pop.name, 'threshold')), 0.0
        )
        thr_in = float(np.max(thr_in)) if np.ndim(thr_in) else float(thr_in)
        ext = input_range if pop.name == spec.input_population else 0.0
        bias = float(np.max(np.abs(pop.params['bias'])))
        exp = scale_exponent(max(fan_in + ext, thr_in), vth, bias)
        per_pop_exp[pop.name] = exp
        scale_exp[lay.slices[pop.name]] = exp

    def gather(name: str, default: float) -> np.ndarray:
        return per_neuron(spec, lay, name, default)

    vth = np.round(gather('vth', 0.0) * np.exp2(scale_exp - VTH_SHIFT)).astype(np.int64)
    if np.any(vth < 0) or np.any(vth > VTH_MAX):
        raise QuantisationError("a threshold is negative or exceeds Loihi's 17-bit range")
    bias_mant, bias_exp = bias_to_mant_exp(gather('bias', 0.0) * np.exp2(scale_exp))
    spiking = np.zeros(lay.n, dtype=bool)
    soft = np.zeros(lay.n, dtype=bool)
    for pop in spec.populations:
        spiking[lay.slices[pop.name]] = pop.spiking
        soft[lay.slices[pop.name]] = pop.reset == 'soft'
    conns = []
    for conn in spec.connections:
        exp = per_pop_exp[conn.target]
        conns.append(
            quantise_connection(
                conn.weight * 2.0 ** (exp - ACT_SHIFT),
                lay.slices[conn.source],
                lay.slices[conn.target],
                conn.port,
                conn.name,
            )
        )
    return FixedNetwork(
        layout=lay,
        scale_exp=scale_exp,
        du=decay_to_int(gather('du', 1.0)),
        dv=decay_to_int(gather('dv', 0.0)),
        dth=decay_to_int(gather('dth', 0.0)),
        vth=vth,
        bias_mant=bias_mant,
        bias_exp=bias_exp,
        spiking=spiking,
        soft=soft,
        connections=tuple(conns),
    )


def scale_exponent(activation: float, threshold: float, bias: float) -> int:
    """
    Choose the integer scale of a group of neurons.

    Returns the largest power of two of integer units per float unit for neurons whose input
    reaches ``activation`` (float units per step) with these largest threshold and bias.
    """
    # Activations are 16-bit before the << 6: |input| * 2**e / 64 must stay below 2**15.
    act = max(activation, 1e-9)
    # Voltages must stay well inside 24 bits; leave headroom for integration.
    volt = max(4.0 * (threshold + bias + act), 1e-9)
    exp = min(
        math.floor(math.log2(ACTIVATION_MAX * 2**ACT_SHIFT / act)),
        math.floor(math.log2((MAX_STATE - 1) / volt)),
        20,
    )
    if threshold > 0:
        exp = min(exp, math.floor(math.log2(VTH_MAX * 2**VTH_SHIFT / threshold)))
    return exp


def bias_to_mant_exp(bias: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Smallest exponent per neuron whose 13-bit mantissa holds the bias."""
    mag = np.abs(bias)
    exp = np.zeros(bias.shape, dtype=np.int64)
    while True:
        too_big = np.round(mag / np.exp2(exp)) > BIAS_MANT_MAX
        if not np.any(too_big):
            break
        exp = exp + too_big
        if np.any(exp > BIAS_EXP_MAX):
            raise QuantisationError("a bias exceeds Loihi's 13-bit mantissa with 3-bit exponent")
    mant = np.round(bias / np.exp2(exp)).astype(np.int64)
    return mant, exp


def quantise_connection(
    scaled: np.ndarray, source: slice, target: slice, port: str, name: str
) -> FixedConnection:
    """``scaled`` is the weight in units of the target's (pre-shift) activation."""
    has_pos, has_neg = bool(np.any(scaled > 0)), bool(np.any(scaled < 0))
    mixed = has_pos and has_neg
    # Mixed-sign mantissas are even in [-256, 254]; single-sign ones use all 8 bits.
    limit = 254.0 if mixed else 255.0
    peak = float(np.max(np.abs(scaled))) if scaled.size else 0.0
    weight_exp = (
        0
        if peak == 0
        else (
            math.ceil(math.log2(peak / limit))
            if peak > limit
            else -min(8, math.floor(math.log2(limit / peak)))
        )
    )
    weight_exp = int(np.clip(weight_exp, *WEIGHT_EXP_RANGE))
    mant = scaled / 2.0**weight_exp
    if mixed:
        mant = 2.0 * np.round(mant / 2.0)
    mant = np.round(mant).astype(np.int64)
    if np.any(np.abs(mant) > 256) or np.any(mant > 255):
        raise QuantisationError(
            f"connection {name}: weights out of Loihi's 8-bit range even with weight_exp "
            f'{weight_exp}'
        )
    if np.all(mant >= 0):
        sign_mode = 'excitatory'
    elif np.all(mant <= 0):
        sign_mode = 'inhibitory'
    else:
        sign_mode = 'mixed'
    return FixedConnection(
        source=source,
        target=target,
        port=port,
        weight=mant,
        weight_exp=weight_exp,
        sign_mode=sign_mode,
    )


# -- the integer step (numpy or torch int64 arrays) ----------------------------------------


def _decay(x: Any, d: Any) -> Any:
    """Loihi's decay: sign(x) * ((|x| * (4096 - d)) >> 12), i.e. truncation toward zero."""
    prod = x * (DECAY_UNITY - d)
    mag = abs(prod) >> DECAY_SHIFT
    return (prod > 0) * mag - (prod < 0) * mag


def _wrap_current(u: Any) -> Any:
    """Lava's 24-bit wrap of u: above 2**23 subtract 2**24; at or below -2**23 add 2**24."""
    return u - (u > MAX_STATE) * (2 * MAX_STATE) + (u <= -MAX_STATE) * (2 * MAX_STATE)


def _clip(x: Any, lo: int, hi: int) -> Any:
    return x.clip(lo, hi) if hasattr(x, 'clip') else x


def integer_step(net: 'FixedArrays', state: Any, external: Any) -> Any:
    """Advance the integer state one step; ``state`` is (u, v, theta, s) of int arrays."""
    u, v, theta, s = state
    current_in = net.zeros_like(u)
    threshold_in = net.zeros_like(u)
    for conn in net.connections:
        act = conn.activation(s)
        if conn.port == 'threshold':
            threshold_in[..., conn.target] += act
        else:
            current_in[..., conn.target] += act
    current_in = current_in + external
    u = _wrap_current(_decay(u, net.du + 1) + (current_in << ACT_SHIFT))
    if net.has_threshold:
        theta = _clip(
            _decay(theta, net.dth) + (threshold_in << ACT_SHIFT), -MAX_STATE + 1, MAX_STATE - 1
        )
    v = _clip(_decay(v, net.dv) + u + net.bias, -MAX_STATE + 1, MAX_STATE - 1)
    threshold = net.vth_eff + theta
    s = (v > threshold) * net.spiking
    v = v - s * (net.soft * threshold + (1 - net.soft) * v)
    return u, v, theta, s


class FixedArrays:
    """A :class:`FixedNetwork` moved into one array library (numpy or torch) for stepping."""

    def __init__(self, fixed: FixedNetwork, to_array: Any) -> None:
        self.fixed = fixed
        self.to_array = to_array
        self.du = to_array(fixed.du)
        self.dv = to_array(fixed.dv)
        self.dth = to_array(fixed.dth)
        self.vth_eff = to_array(fixed.vth << VTH_SHIFT)
        self.bias = to_array(fixed.bias)
        self.spiking = to_array(fixed.spiking.astype(np.int64))
        self.soft = to_array(fixed.soft.astype(np.int64))
        self.has_threshold = any(c.port == 'threshold' for c in fixed.connections)
        # Sparse weights (scipy) stay sparse on the numpy path: networks compiled from
        # weight-sharing layers (SpikePoint) have millions of neurons squared otherwise.
        self.connections = [
            _BoundConnection(
                c,
                (
                    c.weight.tocsr()
                    if issparse(c.weight)
                    else to_array(np.ascontiguousarray(c.weight.T))
                ),
            )
            for c in fixed.connections
        ]

    def zeros_like(self, x: Any) -> Any:
        return x * 0


class _BoundConnection:
    def __init__(self, conn: FixedConnection, weight_t: Any) -> None:
        """``weight_t``: the transposed dense weights, or the (target, source) sparse ones."""
        self.port = conn.port
        self.source = conn.source
        self.target = conn.target
        self.weight_exp = conn.weight_exp
        self.weight_t = weight_t
        self.sparse = issparse(weight_t)

    def activation(self, spikes: Any) -> Any:
        if (
            self.sparse
        ):  # (target, source) @ (source, batch): no transposition of the matrix per step
            acc = np.asarray(self.weight_t @ spikes[..., self.source].T).T
        else:
            acc = spikes[..., self.source] @ self.weight_t
        return acc << self.weight_exp if self.weight_exp > 0 else acc >> (-self.weight_exp)
