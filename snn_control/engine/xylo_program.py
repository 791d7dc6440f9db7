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
A :class:`NetworkSpec` compiled for Xylo: the integer configuration and what the host does.

Which networks Xylo can run (every rule is checked, and a network that breaks one is
refused with all of them, by :func:`xylo_violations`; the numbers are in
:mod:`snn_control.hardware.xylo`):

* The input population is the host's spike encoder: memoryless comparators (``cuba_lif``
  with ``du = dv = 1``, no bias, nothing feeding it), one per input channel. Xylo takes
  events, not currents; the host sends channel ``k`` one event in a step where its current
  exceeds its threshold, exactly what that population computes.
* Every other spiking population is a block of hidden neurons (``cuba_lif``); the
  leaky-integrator populations are readout neurons, fed by hidden neurons only. The host
  reads the readouts' membrane potentials (Xylo's ``Vmem`` output mode): a controller's
  command is a continuous value, and a readout spike (at most one per step) would carry
  one bit per step.
* Decays are bit shifts: ``du`` and ``dv`` must be ``2**-dash`` (``dv = 1`` is ``dash = 0``,
  a membrane that keeps nothing). Xylo decays a synaptic current before the membrane sees
  it, so ``du = 1`` (``dash_syn = 0``) would drop every input: it is refused. Reset
  subtracts the threshold (``reset = "soft"``; a hard reset is the same when ``dv = 1``).

How the float network becomes integers. Xylo decays the current first, ``i <- (i + W s)
(1 - du)``, where ours adds last, ``u <- u (1 - du) + W s``; so ``i = sigma u`` when Xylo's
weight is ``sigma W / (1 - du)``. ``sigma`` (LSBs per unit) is chosen per target neuron as
large as its threshold, bias, current and (readouts) membrane range allow in 16 bits (the
worst case of its inputs, or twice the range the network declares in its metadata as
``xylo_readout_range``), and within what 8-bit weights times ``2**weight_shift`` reach;
each layer's shift is the smallest that does not limit ``sigma``. Thresholds become
``floor(sigma vth) + 1`` (ours fire when ``v > vth``, Xylo when ``v >= threshold``); readouts
get the largest threshold, and their membrane bound keeps them below it.

Timing: our connections deliver a step later; Xylo delivers input events in the step they
arrive and hidden spikes one step later. The host therefore sends the encoder's events one
step late, which makes every hop take one step as in the engine.

What is not the engine's arithmetic (the reason Xylo runs are compared with measured
agreement, not bit for bit): rounding to integers, 16-bit saturation, decays of at least one
LSB per step, and a hidden neuron holding several thresholds fires several spikes (up to 31)
where ours fires once.
"""

from __future__ import annotations

from dataclasses import dataclass
import json
import math
from pathlib import Path
from typing import Any, Mapping

import numpy as np
from snn_control.engine.network import NetworkSpec, Population
from snn_control.engine.xylo import XyloConfig, XyloModel
from snn_control.hardware.xylo import XYLO_RULES, XyloRules

CONFIG_FORMAT = 'snn_control.xylo_config'
CONFIG_FORMAT_VERSION = 1


class XyloRuleError(ValueError):
    """A network breaks Xylo's rules; ``reasons`` lists every rule with its numbers."""

    def __init__(self, network: str, version: str, reasons: list[str]) -> None:
        self.reasons = tuple(reasons)
        super().__init__(
            f'network {network!r} does not fit Xylo {version}:\n  - ' + '\n  - '.join(reasons)
        )


class XyloConfigFileError(ValueError):
    """A Xylo configuration file is corrupt, foreign or inconsistent; the message says how."""


@dataclass(frozen=True)
class XyloProgram:
    """
    The configuration Xylo runs, and the host's side of the contract.

    ``input_threshold`` ``(n_in,)``: channel ``k`` gets an event when its current exceeds it.
    ``hidden`` and ``readouts`` map our populations to hidden and readout neuron indices;
    ``sigma_hidden`` and ``sigma_out`` (LSBs per unit of our voltage) turn membrane
    potentials back into our units.
    """

    config: XyloConfig
    version: str
    network: str
    input_population: str
    input_threshold: np.ndarray
    hidden: Mapping[str, tuple[int, int]]
    readouts: Mapping[str, tuple[int, int]]
    sigma_hidden: np.ndarray
    sigma_out: np.ndarray

    # -- the configuration file --------------------------------------------------------
    def to_json(self) -> dict[str, Any]:
        """Return the file's content: Rockpool's ``config_from_specification`` names, and ours."""
        c = self.config
        return {
            'format': CONFIG_FORMAT,
            'format_version': CONFIG_FORMAT_VERSION,
            'xylo_version': self.version,
            'network': self.network,
            # What a board user passes to SynSense's tools (Rockpool's
            # devices.xylo.<chip>.config_from_specification takes these names and shapes).
            'specification': {
                'weights_in': c.weights_in[:, :, 0].tolist(),
                'weights_rec': c.weights_rec[:, :, 0].tolist(),
                'weights_out': c.weights_out.tolist(),
                'dash_mem': c.dash_mem.tolist(),
                'dash_mem_out': c.dash_mem_out.tolist(),
                'dash_syn': c.dash_syn[:, 0].tolist(),
                'dash_syn_out': c.dash_syn_out.tolist(),
                'threshold': c.threshold.tolist(),
                'threshold_out': c.threshold_out.tolist(),
                'bias': c.bias.tolist(),
                'bias_out': c.bias_out.tolist(),
                'weight_shift_in': int(c.weight_shift_in),
                'weight_shift_rec': int(c.weight_shift_rec),
                'weight_shift_out': int(c.weight_shift_out),
            },
            # The host's side: how to make events and read the readouts.
            'host': {
                'input_population': self.input_population,
                'input_threshold': self.input_threshold.tolist(),
                'input_delay_steps': 1,
                'output_mode': 'Vmem',
                'hidden': {k: list(v) for k, v in self.hidden.items()},
                'readouts': {k: list(v) for k, v in self.readouts.items()},
                'sigma_hidden': self.sigma_hidden.tolist(),
                'sigma_out': self.sigma_out.tolist(),
            },
        }

    def save(self, path: str | Path) -> Path:
        """Write the configuration file (JSON; written whole, then renamed into place)."""
        path = Path(path)
        tmp = path.with_name(path.name + '.tmp')
        tmp.write_text(json.dumps(self.to_json(), indent=1) + '\n')
        tmp.replace(path)
        return path

    @classmethod
    def load(cls, path: str | Path) -> 'XyloProgram':
        """Read a configuration file; anything corrupt or foreign is a clear error."""
        path = Path(path)
        try:
            content = json.loads(path.read_text())
        except OSError as exc:
            raise XyloConfigFileError(f'cannot read Xylo configuration {path}: {exc}') from exc
        except (ValueError, UnicodeDecodeError) as exc:
            raise XyloConfigFileError(f'{path} is not JSON (corrupt?): {exc}') from exc
        return cls.from_json(content, str(path))

    @classmethod
    def from_json(cls, content: Any, source: str = '<json>') -> 'XyloProgram':
        if not isinstance(content, dict) or content.get('format') != CONFIG_FORMAT:
            raise XyloConfigFileError(
                f'{source} is not an snn_control Xylo configuration (format '
                f"{content.get('format') if isinstance(content, dict) else type(content)!r}, "
                f'expected {CONFIG_FORMAT!r})'
            )
        if content.get('format_version') != CONFIG_FORMAT_VERSION:
            raise XyloConfigFileError(
                f"{source}: format version {content.get('format_version')!r}, this package "
                f'reads {CONFIG_FORMAT_VERSION}'
            )
        version = content.get('xylo_version')
        if version not in XYLO_RULES:
            raise XyloConfigFileError(
                f'{source}: Xylo version {version!r}, known: {sorted(XYLO_RULES)}'
            )
        try:
            spec, host = content['specification'], content['host']

            def ints(key: str) -> np.ndarray:
                value = np.asarray(spec[key])
                if value.dtype.kind not in 'iu':
                    raise XyloConfigFileError(f'{source}: {key} must hold integers')
                return value.astype(np.int64)

            config = XyloConfig(
                weights_in=ints('weights_in')[:, :, None],
                weights_rec=ints('weights_rec')[:, :, None],
                weights_out=ints('weights_out'),
                threshold=ints('threshold'),
                threshold_out=ints('threshold_out'),
                dash_mem=ints('dash_mem'),
                dash_syn=ints('dash_syn')[:, None],
                dash_mem_out=ints('dash_mem_out'),
                dash_syn_out=ints('dash_syn_out'),
                bias=ints('bias'),
                bias_out=ints('bias_out'),
                weight_shift_in=int(spec['weight_shift_in']),
                weight_shift_rec=int(spec['weight_shift_rec']),
                weight_shift_out=int(spec['weight_shift_out']),
            )
            program = cls(
                config=config,
                version=version,
                network=str(content.get('network', 'network')),
                input_population=str(host['input_population']),
                input_threshold=np.asarray(host['input_threshold'], dtype=np.float64),
                hidden={k: (int(a), int(b)) for k, (a, b) in host['hidden'].items()},
                readouts={k: (int(a), int(b)) for k, (a, b) in host['readouts'].items()},
                sigma_hidden=np.asarray(host['sigma_hidden'], dtype=np.float64),
                sigma_out=np.asarray(host['sigma_out'], dtype=np.float64),
            )
        except XyloConfigFileError:
            raise
        except (KeyError, TypeError, ValueError, IndexError) as exc:
            raise XyloConfigFileError(
                f'{source}: incomplete or malformed configuration ({type(exc).__name__}: {exc})'
            ) from exc
        reasons = config_violations(program.config, XYLO_RULES[version])
        if program.input_threshold.shape != (config.n_inputs,):
            reasons.append(
                f'host.input_threshold has {program.input_threshold.size} entries for '
                f'{config.n_inputs} input channels'
            )
        if program.sigma_hidden.shape != (config.n_hidden,) or program.sigma_out.shape != (
            config.n_outputs,
        ):
            reasons.append('host.sigma_hidden / sigma_out do not match the neuron counts')
        if reasons:
            raise XyloConfigFileError(f'{source}: ' + '; '.join(reasons))
        return program


def config_violations(config: XyloConfig, rules: XyloRules) -> list[str]:
    """Every rule of ``rules`` an integer configuration breaks (shapes, ranges, counts)."""
    c, r, reasons = config, rules, []
    n_in, n_hidden, n_out = c.weights_in.shape[0], c.weights_rec.shape[0], c.weights_out.shape[1]
    if c.weights_in.shape[1] != n_hidden or c.weights_rec.shape[1] != n_hidden:
        reasons.append(
            f'weights_in {c.weights_in.shape[:2]} and weights_rec {c.weights_rec.shape[:2]} '
            'disagree on the number of hidden neurons'
        )
        return reasons
    if c.weights_out.shape[0] != n_hidden:
        reasons.append(f'weights_out has {c.weights_out.shape[0]} rows for {n_hidden} hidden')
        return reasons
    for name, count, limit in (
        ('input channels', n_in, r.max_inputs),
        ('hidden neurons', n_hidden, r.max_hidden),
        ('readout neurons', n_out, r.max_outputs),
    ):
        if count > limit:
            reasons.append(f'{count} {name}, Xylo {r.version} has {limit}')
    for name, shape in (
        ('threshold', (n_hidden,)),
        ('bias', (n_hidden,)),
        ('dash_mem', (n_hidden,)),
        ('threshold_out', (n_out,)),
        ('bias_out', (n_out,)),
        ('dash_mem_out', (n_out,)),
        ('dash_syn_out', (n_out,)),
    ):
        if getattr(c, name).shape != shape:
            reasons.append(f'{name} has shape {getattr(c, name).shape}, expected {shape}')
    if c.dash_syn.shape[0] != n_hidden:
        reasons.append(f'dash_syn has {c.dash_syn.shape[0]} rows for {n_hidden} hidden')
    if reasons:
        return reasons
    w_lo, w_hi = -(2 ** (r.weight_bits - 1)), 2 ** (r.weight_bits - 1) - 1
    for name in ('weights_in', 'weights_rec', 'weights_out'):
        w = getattr(c, name)
        if w.size and (w.min() < w_lo or w.max() > w_hi):
            reasons.append(
                f'{name} spans [{w.min()}, {w.max()}], {r.weight_bits}-bit weights are '
                f'[{w_lo}, {w_hi}]'
            )
    for name in ('weight_shift_in', 'weight_shift_rec', 'weight_shift_out'):
        if not 0 <= getattr(c, name) <= r.max_weight_shift:
            reasons.append(f'{name} {getattr(c, name)} outside 0..{r.max_weight_shift}')
    for name in ('dash_mem', 'dash_syn', 'dash_mem_out', 'dash_syn_out'):
        d = getattr(c, name)
        if d.size and (d.min() < 0 or d.max() > r.max_dash):
            reasons.append(f'{name} spans [{d.min()}, {d.max()}], allowed 0..{r.max_dash}')
    for name in ('threshold', 'threshold_out'):
        th = getattr(c, name)
        if th.size and (th.min() < 1 or th.max() > r.max_threshold):
            reasons.append(f'{name} spans [{th.min()}, {th.max()}], allowed 1..{r.max_threshold}')
    b_lo, b_hi = -(2 ** (r.bias_bits - 1)), 2 ** (r.bias_bits - 1) - 1
    for name in ('bias', 'bias_out'):
        b = getattr(c, name)
        if b.size and (b.min() < b_lo or b.max() > b_hi):
            reasons.append(f'{name} spans [{b.min()}, {b.max()}], allowed [{b_lo}, {b_hi}]')
    # recurrent targets per hidden neuron, on either synapse (weights_rec is pre x post x syn)
    fan_out = np.count_nonzero(np.any(c.weights_rec != 0, axis=2), axis=1)
    if fan_out.size and fan_out.max() > r.max_fan_out:
        worst = int(np.argmax(fan_out))
        reasons.append(
            f'hidden neuron {worst} reaches {int(fan_out[worst])} hidden neurons, Xylo '
            f'{r.version} allows a fan-out of {r.max_fan_out}'
        )
    return reasons


def _shift(du: float, max_dash: int) -> int | None:
    """Return the ``dash`` with ``2**-dash == du`` (``None`` when ``du`` is no such power)."""
    if du <= 0:
        return None
    dash = -math.log2(du)
    k = round(dash)
    return k if abs(dash - k) < 1e-9 and 0 <= k <= max_dash else None


def _population_violations(pop: Population, role: str, rules: XyloRules) -> list[str]:
    reasons, p = [], pop.params
    name = f'population {pop.name!r} ({role})'
    if role == 'input encoder':
        if pop.model != 'cuba_lif':
            return [f"{name}: the host's encoder must be cuba_lif comparators, not {pop.model}"]
        for key, want in (('du', 1.0), ('dv', 1.0), ('bias', 0.0)):
            if not np.allclose(p[key], want):
                reasons.append(
                    f'{name}: {key} must be {want} (memoryless comparators the host runs), got '
                    f'{np.unique(p[key])[:4].tolist()}'
                )
        return reasons
    du_dash = [_shift(float(v), rules.max_dash) for v in p['du']]
    bad_du = sorted({float(v) for v, d in zip(p['du'], du_dash) if d is None or d == 0})
    if bad_du:
        reasons.append(
            f'{name}: du {bad_du[:4]} is not 2**-k with k in 1..{rules.max_dash} (Xylo decays a '
            'current by bit shifts, before the membrane sees it, so du = 1 would drop the input)'
        )
    dv_dash = [_shift(float(v), rules.max_dash) for v in p['dv']]
    bad_dv = sorted({float(v) for v, d in zip(p['dv'], dv_dash) if d is None})
    if bad_dv:
        reasons.append(
            f'{name}: dv {bad_dv[:4]} is not 2**-k with k in 0..{rules.max_dash} (the membrane '
            'decays by bit shifts, at least one LSB per step, so dv = 0 is not available)'
        )
    if pop.spiking:
        if pop.model != 'cuba_lif':
            reasons.append(f"{name}: Xylo's neurons are LIF (cuba_lif), not {pop.model}")
        if pop.reset == 'hard' and not np.allclose(p['dv'], 1.0):
            reasons.append(f'{name}: Xylo resets by subtracting the threshold (soft), not hard')
        if np.any(p['vth'] <= 0):
            reasons.append(f'{name}: thresholds must be positive')
    return reasons


def xylo_violations(spec: NetworkSpec, version: str = 'v2') -> list[str]:
    """Every Xylo rule ``spec`` breaks, each with its numbers (empty: it compiles)."""
    rules = XYLO_RULES[version]
    reasons: list[str] = []
    roles = _roles(spec)
    for pop in spec.populations:
        reasons += _population_violations(pop, roles[pop.name], rules)
    n_hidden = sum(p.size for p in spec.populations if roles[p.name] == 'hidden')
    n_out = sum(p.size for p in spec.populations if roles[p.name] == 'readout')
    for what, count, limit in (
        ('input channels (encoder neurons)', spec.n_inputs, rules.max_inputs),
        ('hidden neurons', n_hidden, rules.max_hidden),
        ('readout neurons', n_out, rules.max_outputs),
    ):
        if count > limit:
            reasons.append(f'{count} {what}, Xylo {version} has {limit}')
    for conn in spec.connections:
        src, dst = roles[conn.source], roles[conn.target]
        if conn.port != 'current':
            reasons.append(f'connection {conn.name}: Xylo has no adaptive thresholds')
        elif dst == 'input encoder':
            reasons.append(f'connection {conn.name}: the input channels take no connections')
        elif src == 'readout':
            reasons.append(f'connection {conn.name}: readout neurons send no spikes on Xylo')
        elif dst == 'readout' and src != 'hidden':
            reasons.append(f'connection {conn.name}: readout neurons hear hidden neurons only')
    # Xylo stores recurrent weights as a fan-out list per hidden neuron (hardware/xylo.py);
    # input weights are a dense table, so fan-in is not limited.
    targets = np.zeros((n_hidden, n_hidden), bool)
    offsets = _offsets(spec, roles, 'hidden')
    for conn in spec.connections:
        if roles[conn.source] == 'hidden' and roles[conn.target] == 'hidden':
            (a, b), (c, d) = offsets[conn.target], offsets[conn.source]
            targets[c:d, a:b] |= (np.asarray(conn.weight) != 0).T
    fan_out = targets.sum(axis=1)
    if fan_out.size and fan_out.max() > rules.max_fan_out:
        reasons.append(
            f'a hidden neuron reaches {int(fan_out.max())} hidden neurons, Xylo {version} '
            f'allows a fan-out of {rules.max_fan_out}'
        )
    return reasons


def compile_xylo(spec: NetworkSpec, version: str = 'v2') -> XyloProgram:
    """Compile ``spec`` for Xylo ``version``; a network that breaks a rule raises XyloRuleError."""
    if version not in XYLO_RULES:
        raise ValueError(f'unknown Xylo version {version!r}; known: {sorted(XYLO_RULES)}')
    reasons = xylo_violations(spec, version)
    if reasons:
        raise XyloRuleError(spec.name, version, reasons)
    rules = XYLO_RULES[version]
    roles = _roles(spec)
    hidden, readouts = _offsets(spec, roles, 'hidden'), _offsets(spec, roles, 'readout')
    n_in = spec.n_inputs
    n_hidden = max((b for _, b in hidden.values()), default=0)
    n_out = max((b for _, b in readouts.values()), default=0)

    def gather(offsets: dict[str, tuple[int, int]], n: int, key: str) -> np.ndarray:
        out = np.zeros(n)
        for name, (a, b) in offsets.items():
            out[a:b] = spec.population(name).params[key]
        return out

    # Float weights into each target block: W[target, source] of the connection.
    w_in, w_rec, w_out = np.zeros((n_hidden, n_in)), np.zeros((n_hidden, n_hidden)), np.zeros(
        (n_out, n_hidden)
    )
    for conn in spec.connections:
        if roles[conn.target] == 'hidden':
            a, b = hidden[conn.target]
            if roles[conn.source] == 'input encoder':
                w_in[a:b] += conn.weight
            else:
                c, d = hidden[conn.source]
                w_rec[a:b, c:d] += conn.weight
        else:
            a, b = readouts[conn.target]
            c, d = hidden[conn.source]
            w_out[a:b, c:d] += conn.weight

    du_h, dv_h = gather(hidden, n_hidden, 'du'), gather(hidden, n_hidden, 'dv')
    vth_h, bias_h = gather(hidden, n_hidden, 'vth'), gather(hidden, n_hidden, 'bias')
    du_o, dv_o, bias_o = (gather(readouts, n_out, k) for k in ('du', 'dv', 'bias'))
    state_max = 2 ** (rules.state_bits - 1) - 1
    weight_max = 2 ** (rules.weight_bits - 1) - 1

    # What a target's state allows: threshold (with room to spare: its membrane may sit a
    # threshold's worth on either side), bias, and the largest current its inputs can build.
    # Xylo holds a current before its decay, ``1 / (1 - du)`` above what the membrane sees.
    def current_bound(weights: list[np.ndarray], du: np.ndarray) -> np.ndarray:
        return sum(np.abs(w).sum(axis=1) for w in weights) / (du * (1.0 - du))

    u_h = current_bound([w_in, w_rec], du_h)
    sigma_h = np.minimum.reduce(
        [
            _safe_div(state_max / 2, np.maximum(vth_h, np.abs(bias_h))),
            _safe_div(state_max, u_h),
        ]
    )
    u_o = current_bound([w_out], du_o)
    # a leaky integrator's largest membrane potential: its largest current (after the decay)
    # plus its bias, kept 1 / dv times
    v_o = (np.abs(w_out).sum(axis=1) / du_o + np.abs(bias_o)) / dv_o
    # A network may declare the range its readouts need (metadata "xylo_readout_range",
    # per readout population: e.g. where the command saturates anyway), far below that
    # worst case when inputs of both signs never fire together. Twice it is kept in range.
    declared = dict(spec.metadata.get('xylo_readout_range', {}))
    for name, (a, b) in readouts.items():
        if name in declared:
            v_o[a:b] = 2.0 * float(declared[name])
            u_o[a:b] = v_o[a:b] * dv_o[a:b] / (1.0 - du_o[a:b])
    # 3 % below the readout threshold: rounding must not lift a readout into a spike.
    sigma_o = np.minimum(_safe_div(state_max, u_o), _safe_div(0.97 * state_max, v_o))
    sigma_h, shift_in, shift_rec = _fit_shifts(sigma_h, du_h, [w_in, w_rec], weight_max, rules)
    sigma_o, shift_out = _fit_shifts(sigma_o, du_o, [w_out], weight_max, rules)
    sigma_h = np.where(np.isfinite(sigma_h), sigma_h, 1.0)
    sigma_o = np.where(np.isfinite(sigma_o), sigma_o, 1.0)

    def quantise(w: np.ndarray, sigma: np.ndarray, du: np.ndarray, shift: int) -> np.ndarray:
        scaled = w * (sigma / (1.0 - du) / 2**shift)[:, None]
        return np.clip(np.round(scaled), -weight_max - 1, weight_max).astype(np.int64)

    def dash(values: np.ndarray) -> np.ndarray:
        return np.array([_shift(float(v), rules.max_dash) for v in values], dtype=np.int64)

    config = XyloConfig(
        weights_in=quantise(w_in, sigma_h, du_h, shift_in).T[:, :, None],
        weights_rec=quantise(w_rec, sigma_h, du_h, shift_rec).T[:, :, None],
        weights_out=quantise(w_out, sigma_o, du_o, shift_out).T,
        threshold=np.clip(np.floor(sigma_h * vth_h) + 1, 1, rules.max_threshold).astype(np.int64),
        threshold_out=np.full(n_out, rules.max_threshold, np.int64),
        dash_mem=dash(dv_h),
        dash_syn=dash(du_h)[:, None],
        dash_mem_out=dash(dv_o),
        dash_syn_out=dash(du_o),
        bias=np.round(sigma_h * bias_h).astype(np.int64),
        bias_out=np.round(sigma_o * bias_o).astype(np.int64),
        weight_shift_in=shift_in,
        weight_shift_rec=shift_rec,
        weight_shift_out=shift_out,
    )
    program = XyloProgram(
        config=config,
        version=version,
        network=spec.name,
        input_population=spec.input_population,
        input_threshold=np.asarray(spec.population(spec.input_population).params['vth'], float),
        hidden=hidden,
        readouts=readouts,
        sigma_hidden=sigma_h,
        sigma_out=sigma_o,
    )
    late = config_violations(config, rules)
    if late:  # the compiler's own arithmetic must never produce what the chip refuses
        raise XyloRuleError(spec.name, version, late)
    return program


def _safe_div(num: float, den: np.ndarray) -> np.ndarray:
    with np.errstate(divide='ignore'):
        return np.where(den > 0, num / np.where(den > 0, den, 1.0), np.inf)


def _fit_shifts(
    sigma: np.ndarray,
    du: np.ndarray,
    layers: list[np.ndarray],
    weight_max: int,
    rules: XyloRules,
) -> tuple:
    """
    Choose each layer's weight shift and lower ``sigma`` to what 8-bit weights reach.

    A layer's shift is the smallest (0..max) at which no target's largest weight needs more
    than ``weight_max << shift``; where even the largest shift does not reach, ``sigma``
    shrinks instead (coarser thresholds rather than clipped weights).
    """
    shifts = []
    for w in layers:
        # a target no weight reaches has sigma inf and largest weight 0: its NaN is dropped
        with np.errstate(invalid='ignore'):
            need = np.abs(w).max(axis=1) * sigma / (1.0 - du) if w.size else np.zeros(0)
        need = need[np.isfinite(need) & (need > 0)]
        shift = 0
        if need.size:
            wanted = np.ceil(np.log2(need.max() / weight_max))
            shift = int(np.clip(wanted, 0, rules.max_weight_shift))
        shifts.append(shift)
    for w, shift in zip(layers, shifts):
        largest = np.abs(w).max(axis=1) if w.size else np.zeros(len(sigma))
        reach = _safe_div(weight_max * 2**shift, largest / (1.0 - du))
        sigma = np.minimum(sigma, reach)
    return (sigma, *shifts)


def _roles(spec: NetworkSpec) -> dict[str, str]:
    return {
        p.name: (
            'input encoder'
            if p.name == spec.input_population
            else ('hidden' if p.spiking else 'readout')
        )
        for p in spec.populations
    }


def _offsets(spec: NetworkSpec, roles: dict[str, str], role: str) -> dict[str, tuple[int, int]]:
    offsets, at = {}, 0
    for p in spec.populations:
        if roles[p.name] == role:
            offsets[p.name] = (at, at + p.size)
            at += p.size
    return offsets


class XyloRunner:
    """
    Step a :class:`XyloProgram` with the host's encoder; report in our units and layout.

    ``simulator`` ``"model"`` steps :class:`~snn_control.engine.xylo.XyloModel`; ``"xylosim"``
    steps SynSense's ``xylosim``. Spikes are counts (a Xylo neuron may fire several times in
    a step); voltages are membrane potentials divided by ``sigma``; the encoder reports its
    current.
    """

    def __init__(self, program: XyloProgram, layout: Any, simulator: str = 'model') -> None:
        if simulator not in ('model', 'xylosim'):
            raise ValueError(f"simulator must be 'model' or 'xylosim', got {simulator!r}")
        self.program, self.layout, self.simulator = program, layout, simulator
        self._keep: tuple = ()
        self.reset()

    def reset(self) -> None:
        p = self.program
        if self.simulator == 'xylosim':
            from snn_control.engine.xylo import to_xylosim

            self._layer, self._keep = to_xylosim(p.config)
        else:
            self._model = XyloModel(p.config)
        self._pending = np.zeros(p.config.n_inputs, np.int64)

    def step(self, current: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        p = self.program
        current = np.asarray(current, dtype=np.float64).reshape(-1)
        events = (current > p.input_threshold).astype(np.int64)
        # One step late: the engine's encoder spikes reach the next population a step later.
        sent, self._pending = self._pending, events
        if self.simulator == 'xylosim':
            layer = self._layer
            layer.evolve([[int(v) for v in sent]])
            hidden = np.array(layer.rec_recurrent_spikes)[-1]
            v_mem = np.array(layer.rec_v_mem)[:, -1]
            v_out = np.array(layer.rec_v_mem_out)[:, -1]
        else:
            hidden, _ = self._model.step(sent)
            v_mem, v_out = self._model.state.v_mem[0], self._model.state.v_mem_out[0]
        spikes, volts = np.zeros(self.layout.n), np.zeros(self.layout.n)
        enc = self.layout.slices[p.input_population]
        spikes[enc], volts[enc] = events, current
        for name, (a, b) in p.hidden.items():
            sl = self.layout.slices[name]
            spikes[sl], volts[sl] = hidden[a:b], v_mem[a:b] / p.sigma_hidden[a:b]
        for name, (a, b) in p.readouts.items():
            volts[self.layout.slices[name]] = v_out[a:b] / p.sigma_out[a:b]
        return spikes, volts

    def close(self) -> None:
        """Free the simulator: the layer first, since it points into its synapses."""
        self._layer = None
        self._keep = ()
