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
Xylo's integer dynamics in numpy, bit for bit as SynSense's ``xylosim`` (version 2).

A Xylo network has input channels, hidden integrate-and-fire neurons with one or two
synaptic currents each (recurrently connected), and readout neurons fed by the hidden ones.
All state is 16-bit, weights are 8-bit, decays are bit shifts (``dash``). Per time step,
in this order (as ``xylosim``'s ``XyloLayer.evolve`` does; its C++ sources are the
reference, read rather than copied):

1. Input spikes (at most 15 per channel and step) add their weight, shifted left by
   ``weight_shift_in`` and kept to 16 bits, to the hidden neurons' synaptic currents, one
   spike after another, each addition saturating at the 16-bit range. Then the hidden
   neurons' spikes of the previous step (at most 31) do the same through the recurrent
   weights and, into the readout neurons, through the output weights.
2. Every synaptic current decays by ``max(|i| >> dash_syn, 1)`` towards zero; the membrane
   potential changes by the sum of the currents minus its own decay (``dash_mem``), plus
   the bias, each step saturating; then it fires: as many spikes as it holds thresholds
   (at most 31 for hidden neurons, 1 for readouts), subtracting one threshold per spike.

Saturation makes the order of additions matter, so the model adds spike by spike in
``xylosim``'s order (vectorised over the target neurons of one source neuron, which are
distinct). Written here because no library offers these semantics without SynSense's
``samna``; ``test/test_engine_xylo.py`` checks it against ``xylosim`` on random networks.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

STATE_MIN, STATE_MAX = -(2**15), 2**15 - 1
#: Spikes one input channel may deliver per step, and a hidden neuron may fire per step.
MAX_INPUT_SPIKES, MAX_HIDDEN_SPIKES, MAX_OUTPUT_SPIKES = 15, 31, 1


@dataclass(frozen=True)
class XyloConfig:
    """
    A network in Xylo's integer representation (version 2).

    ``weights_in`` ``(n_in, n_hidden, n_syn)``, ``weights_rec`` ``(n_hidden, n_hidden,
    n_syn)`` and ``weights_out`` ``(n_hidden, n_out)`` are 8-bit integers; ``dash_syn``
    ``(n_hidden, n_syn)``, ``dash_mem`` ``(n_hidden,)`` and their ``_out`` twins
    ``(n_out,)`` are the decay shifts; thresholds are positive 16-bit integers.
    """

    weights_in: np.ndarray
    weights_rec: np.ndarray
    weights_out: np.ndarray
    threshold: np.ndarray
    threshold_out: np.ndarray
    dash_mem: np.ndarray
    dash_syn: np.ndarray
    dash_mem_out: np.ndarray
    dash_syn_out: np.ndarray
    bias: np.ndarray
    bias_out: np.ndarray
    weight_shift_in: int = 0
    weight_shift_rec: int = 0
    weight_shift_out: int = 0
    has_bias: bool = True

    @property
    def n_inputs(self) -> int:
        return self.weights_in.shape[0]

    @property
    def n_hidden(self) -> int:
        return self.weights_rec.shape[0]

    @property
    def n_outputs(self) -> int:
        return self.weights_out.shape[1]


@dataclass
class XyloState:
    """Synaptic currents and membrane potentials, and the hidden spikes still to deliver."""

    i_syn: np.ndarray
    v_mem: np.ndarray
    i_syn_out: np.ndarray
    v_mem_out: np.ndarray
    hidden_spikes: np.ndarray


def _to_int16(x: np.ndarray) -> np.ndarray:
    """Wrap to 16 bits, as C++ does when a shifted weight is passed as ``int16_t``."""
    return (x + 2**15) % 2**16 - 2**15


def _saturate(x: np.ndarray) -> np.ndarray:
    return np.clip(x, STATE_MIN, STATE_MAX)


def _decay(v: np.ndarray, dash: np.ndarray) -> np.ndarray:
    """Return ``v >> dash`` (arithmetic), at least one towards zero when ``v`` is not zero."""
    dv = np.right_shift(v, dash)
    return np.where(dv == 0, np.sign(v), dv)


def _shifted(weights: np.ndarray, shift: int) -> np.ndarray:
    return _to_int16(np.left_shift(weights.astype(np.int64), shift))


def _deliver(current: np.ndarray, spikes: np.ndarray, weights: np.ndarray, cap: int) -> np.ndarray:
    """
    Add each source's weights once per spike (at most ``cap``), saturating each time.

    ``current`` ``(B, targets, ...)``, ``spikes`` ``(B, sources)``, ``weights`` ``(B, sources,
    targets, ...)``. Where no partial sum can leave the 16-bit range (the sum of magnitudes
    says so) the additions are one product, exactly; elsewhere they run spike by spike in
    ``xylosim``'s order (source by source), since saturation makes the order matter.
    """
    counts = np.minimum(spikes, cap)
    if not counts.any():
        return current
    total = np.einsum('bs,bs...->b...', counts, weights)
    reach = np.abs(current) + np.einsum('bs,bs...->b...', counts, np.abs(weights))
    safe = (reach <= STATE_MAX).reshape(len(current), -1).all(axis=1)
    out = current + total
    for b in np.flatnonzero(~safe):
        value = current[b]
        for source in np.flatnonzero(counts[b]):
            for _ in range(int(counts[b, source])):
                value = _saturate(value + weights[b, source])
        out[b] = value
    return out


def _integrate_and_fire(
    i_syn: np.ndarray,
    v_mem: np.ndarray,
    dash_syn: np.ndarray,
    dash_mem: np.ndarray,
    bias: np.ndarray | None,
    threshold: np.ndarray,
    max_spikes: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    i_syn = i_syn - _decay(i_syn, dash_syn)
    dv = _saturate(-_decay(v_mem, dash_mem) + i_syn.reshape(v_mem.shape + (-1,)).sum(axis=-1))
    if bias is not None:
        dv = _saturate(dv + bias)
    v_mem = _saturate(v_mem + dv)
    spikes = np.where(v_mem >= threshold, np.minimum(v_mem // threshold, max_spikes), 0)
    return i_syn, v_mem - spikes * threshold, spikes


class XyloModel:
    """
    Step one or many :class:`XyloConfig` in integers (many: one batch, as evolution needs).

    The configs of a batch share their shapes; each keeps its own weights, shifts, decays,
    thresholds and biases. ``step`` and ``evolve`` take and return arrays with the batch
    first when the model was built from a list, without it when built from one config.
    ``evolve`` records what ``xylosim`` records.
    """

    def __init__(self, config: XyloConfig | list[XyloConfig]) -> None:
        configs = [config] if isinstance(config, XyloConfig) else list(config)
        self.batched = not isinstance(config, XyloConfig)
        for c in configs:
            if np.any(c.threshold <= 0) or np.any(c.threshold_out <= 0):
                raise ValueError('Xylo thresholds must be positive')
        self.configs = configs
        self.config = configs[0]

        def stack(get) -> np.ndarray:
            return np.stack([np.asarray(get(c), dtype=np.int64) for c in configs])

        self._w_in = stack(lambda c: _shifted(c.weights_in, c.weight_shift_in))
        self._w_rec = stack(lambda c: _shifted(c.weights_rec, c.weight_shift_rec))
        self._w_out = stack(lambda c: _shifted(c.weights_out, c.weight_shift_out))
        self._threshold, self._threshold_out = stack(lambda c: c.threshold), stack(
            lambda c: c.threshold_out
        )
        self._dash_mem, self._dash_syn = stack(lambda c: c.dash_mem), stack(lambda c: c.dash_syn)
        self._dash_mem_out = stack(lambda c: c.dash_mem_out)
        self._dash_syn_out = stack(lambda c: c.dash_syn_out)
        self._bias = stack(lambda c: c.bias * c.has_bias)
        self._bias_out = stack(lambda c: c.bias_out * c.has_bias)
        self.reset()

    def reset(self) -> None:
        b, c = len(self.configs), self.config
        self.state = XyloState(
            i_syn=np.zeros((b,) + c.dash_syn.shape, np.int64),
            v_mem=np.zeros((b, c.n_hidden), np.int64),
            i_syn_out=np.zeros((b, c.n_outputs), np.int64),
            v_mem_out=np.zeros((b, c.n_outputs), np.int64),
            hidden_spikes=np.zeros((b, c.n_hidden), np.int64),
        )

    def step(self, input_spikes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Run one step of input spike counts ``([B,] n_in)``; return (hidden, output) spikes."""
        s = self.state
        x = np.asarray(input_spikes, dtype=np.int64).reshape(len(self.configs), -1)
        i_syn = _deliver(s.i_syn, x, self._w_in, MAX_INPUT_SPIKES)
        i_syn = _deliver(i_syn, s.hidden_spikes, self._w_rec, MAX_HIDDEN_SPIKES)
        i_out = _deliver(s.i_syn_out, s.hidden_spikes, self._w_out, MAX_HIDDEN_SPIKES)
        # A zero bias adds nothing, so a config without bias runs as one with zeros.
        s.i_syn, s.v_mem, s.hidden_spikes = _integrate_and_fire(
            i_syn, s.v_mem, self._dash_syn, self._dash_mem, self._bias, self._threshold,
            MAX_HIDDEN_SPIKES,
        )
        s.i_syn_out, s.v_mem_out, out = _integrate_and_fire(
            i_out,
            s.v_mem_out,
            self._dash_syn_out,
            self._dash_mem_out,
            self._bias_out,
            self._threshold_out,
            MAX_OUTPUT_SPIKES,
        )
        hidden = s.hidden_spikes.copy()
        return (hidden, out) if self.batched else (hidden[0], out[0])

    def evolve(self, input_spikes: np.ndarray) -> dict[str, np.ndarray]:
        """Run ``(T, [B,] n_in)`` input spike counts; return per-step recordings as ``xylosim``."""
        names = ('spikes', 'out_spikes', 'v_mem', 'v_mem_out', 'i_syn', 'i_syn_out')
        rec: dict[str, list[np.ndarray]] = {k: [] for k in names}
        for x in input_spikes:
            hidden, out = self.step(x)
            s = self.state
            for key, value in zip(
                names, (hidden, out, s.v_mem, s.v_mem_out, s.i_syn, s.i_syn_out)
            ):
                value = np.array(value)
                rec[key].append(value if self.batched or key in ('spikes', 'out_spikes')
                                else value[0])
        return {k: np.stack(v) for k, v in rec.items()}


def random_config(
    seed: int, n_in: int = 16, n_hidden: int = 40, n_out: int = 4, n_syn: int = 2
) -> XyloConfig:
    """Return a random Xylo network (30 % of weights non-zero, recurrent), for parity checks."""
    rng = np.random.default_rng(seed)

    def weights(*shape: int) -> np.ndarray:
        w = rng.integers(-128, 128, shape)
        return np.where(rng.random(shape) < 0.3, w, 0)

    return XyloConfig(
        weights_in=weights(n_in, n_hidden, n_syn),
        weights_rec=weights(n_hidden, n_hidden, n_syn),
        weights_out=weights(n_hidden, n_out),
        threshold=rng.integers(200, 4000, n_hidden),
        threshold_out=rng.integers(200, 4000, n_out),
        dash_mem=rng.integers(1, 8, n_hidden),
        dash_syn=rng.integers(1, 8, (n_hidden, n_syn)),
        dash_mem_out=rng.integers(1, 8, n_out),
        dash_syn_out=rng.integers(1, 8, n_out),
        bias=rng.integers(-50, 51, n_hidden),
        bias_out=rng.integers(-50, 51, n_out),
        weight_shift_in=int(rng.integers(0, 5)),
        weight_shift_rec=int(rng.integers(0, 4)),
        weight_shift_out=int(rng.integers(0, 4)),
    )


def random_inputs(config: XyloConfig, seed: int, steps: int) -> np.ndarray:
    """Return sparse Poisson input spike counts with rare bursts over the 15-spike cap."""
    rng = np.random.default_rng(100 + seed)
    shape = (steps, config.n_inputs)
    return rng.poisson(0.4, shape) + 20 * (rng.random(shape) < 0.01)


def model_matches_xylosim(config: XyloConfig, inputs: np.ndarray) -> bool:
    """Tell whether :class:`XyloModel` and ``xylosim`` record the same integers for ``inputs``."""
    ours, theirs = XyloModel(config).evolve(inputs), run_xylosim(config, inputs)
    return all(np.array_equal(ours[k], theirs[k]) for k in ours)


def to_xylosim(config: XyloConfig) -> tuple:
    """
    Build ``xylosim.v2.XyloLayer`` of ``config``; return it with the synapse objects it uses.

    The layer keeps raw pointers to the ``XyloSynapse`` objects, so the caller must keep
    the returned synapse lists alive as long as the layer (a freed synapse is a segfault).
    The simulator is imported only here.
    """
    from xylosim.v2 import XyloLayer, XyloSynapse

    def synapses(weights: np.ndarray) -> list[list]:
        w = weights if weights.ndim == 3 else weights[:, :, None]
        return [
            [XyloSynapse(int(t), int(k), int(w[pre, t, k])) for t, k in zip(*np.nonzero(w[pre]))]
            for pre in range(w.shape[0])
        ]

    c = config
    keep = (synapses(c.weights_in), synapses(c.weights_rec), synapses(c.weights_out))
    layer = XyloLayer(
        synapses_in=keep[0],
        synapses_rec=keep[1],
        synapses_out=keep[2],
        aliases=[[] for _ in range(c.n_hidden)],
        threshold=[int(v) for v in c.threshold],
        threshold_out=[int(v) for v in c.threshold_out],
        has_bias=bool(c.has_bias),
        bias=[int(v) for v in c.bias],
        bias_out=[int(v) for v in c.bias_out],
        weight_shift_inp=int(c.weight_shift_in),
        weight_shift_rec=int(c.weight_shift_rec),
        weight_shift_out=int(c.weight_shift_out),
        dash_mem=[int(v) for v in c.dash_mem],
        dash_mem_out=[int(v) for v in c.dash_mem_out],
        dash_syns=[[int(v) for v in row] for row in c.dash_syn],
        dash_syns_out=[[int(v)] for v in c.dash_syn_out],
        name='snn_control',
    )
    return layer, keep


def run_xylosim(config: XyloConfig, input_spikes: np.ndarray) -> dict[str, np.ndarray]:
    """Run ``(T, n_in)`` input spike counts in ``xylosim``; record as :meth:`XyloModel.evolve`."""
    layer, synapses = to_xylosim(config)
    out = layer.evolve([[int(v) for v in row] for row in np.asarray(input_spikes)])
    i_syn = np.stack([np.array(r) for r in layer.rec_i_syn], axis=1)
    rec = {
        'spikes': np.array(layer.rec_recurrent_spikes),
        'out_spikes': np.array(out),
        'v_mem': np.stack([np.array(r) for r in layer.rec_v_mem], axis=1),
        'v_mem_out': np.stack([np.array(r) for r in layer.rec_v_mem_out], axis=1),
        'i_syn': i_syn[:, :, None],
        'i_syn_out': np.stack([np.array(r) for r in layer.rec_i_syn_out], axis=1),
    }
    if config.dash_syn.shape[1] > 1:
        i_syn2 = np.stack([np.array(r) for r in layer.rec_i_syn2], axis=1)
        rec['i_syn'] = np.stack([i_syn, i_syn2], axis=2)
    del layer, synapses  # the layer first: it points into the synapses
    return rec
