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
The network description: plain data that every backend compiles.

A :class:`NetworkSpec` is a list of neuron populations and the connections between them,
plus metadata. It is saved to and loaded from one ``.npz`` file (arrays plus a JSON
header with a format version) and validated on load, so that a truncated or hand-edited
file fails with a message naming the problem instead of producing a silent wrong network.

Timing semantics (identical on every backend, chosen to be those of Loihi and Lava):

* External input enters the ``input_population`` as current in the same step.
* Every connection delivers at step ``t`` what its source population emitted at ``t-1``
  (one synaptic hop per step, like Lava's ``Dense``, whose output is buffered one step).
* Within a step every population updates once: current, then threshold adaptation, then
  voltage, then spikes and reset. See :mod:`snn_control.engine.neurons`.

Neuron parameters are per neuron. Decays are fractions lost per step (Lava's ``du``/``dv``):
``u <- u*(1-du) + input``; ``du = 1`` makes the current equal to the input of that step.
"""

from __future__ import annotations

from dataclasses import dataclass, field
import io
import json
from pathlib import Path
from typing import Any, Mapping, Sequence
import zipfile

import numpy as np
from snn_control.npz_io import atomic_savez, read_npz

FORMAT_NAME = 'snn_control.network'
FORMAT_VERSION = 1

#: Neuron models and the per-neuron parameters each one needs (with defaults).
NEURON_MODELS: dict[str, dict[str, float]] = {
    # Current-based LIF (CUBA): u <- u(1-du) + I; v <- v(1-dv) + u + bias; spike if v > vth.
    'cuba_lif': {'du': 1.0, 'dv': 0.0, 'vth': 1.0, 'bias': 0.0},
    # Adaptive-threshold LIF (the blimp paper's IWTA-LIF): a second dendrite ("threshold"
    # connections) raises the threshold by its weights per incoming spike; the raise decays
    # with dth. Spike if v > vth + theta.
    'adaptive_lif': {'du': 1.0, 'dv': 0.0, 'vth': 1.0, 'bias': 0.0, 'dth': 0.1},
    # Non-spiking leaky integrator readout: the CUBA dynamics without threshold; its
    # output is the voltage v.
    'leaky_integrator': {'du': 1.0, 'dv': 0.0, 'bias': 0.0},
}
RESET_MODES = ('hard', 'soft')
#: Which dendrite of the target a connection feeds.
CONNECTION_PORTS = ('current', 'threshold')


class NetworkFileError(ValueError):
    """A network file or description is malformed; the message names the problem."""


@dataclass(frozen=True)
class Population:
    """A group of neurons of one model with per-neuron parameters."""

    name: str
    size: int
    model: str
    params: Mapping[str, np.ndarray]
    #: "hard": v <- 0 after a spike (Loihi); "soft": v <- v - vth (the blimp paper).
    reset: str = 'hard'

    @property
    def spiking(self) -> bool:
        return self.model != 'leaky_integrator'

    def param(self, name: str) -> np.ndarray:
        return self.params[name]


@dataclass(frozen=True)
class Connection:
    """
    Weights from ``source`` to ``target`` (shape ``(target.size, source.size)``).

    ``sparse`` marks a connection stored and run sparsely (only non-zero weights exist);
    a connection from a population to itself is recurrent.
    """

    source: str
    target: str
    weight: np.ndarray
    port: str = 'current'
    sparse: bool = False

    @property
    def name(self) -> str:
        return f'{self.source}->{self.target}:{self.port}'


@dataclass(frozen=True)
class NetworkSpec:
    """A validated spiking network: populations, connections, which one takes input."""

    populations: tuple[Population, ...]
    connections: tuple[Connection, ...]
    input_population: str
    name: str = 'network'
    metadata: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        validate(self)

    # -- lookups -----------------------------------------------------------------------
    def population(self, name: str) -> Population:
        for pop in self.populations:
            if pop.name == name:
                return pop
        raise KeyError(f'no population named {name!r}; have {[p.name for p in self.populations]}')

    @property
    def n_inputs(self) -> int:
        return self.population(self.input_population).size

    @property
    def n_neurons(self) -> int:
        return sum(p.size for p in self.populations)

    @property
    def n_synapses(self) -> int:
        return int(sum(np.count_nonzero(c.weight) for c in self.connections))

    def incoming(self, target: str, port: str = 'current') -> list[Connection]:
        return [c for c in self.connections if c.target == target and c.port == port]

    # -- persistence ---------------------------------------------------------------------
    def save(self, path: str | Path) -> Path:
        """Write the network to one ``.npz`` file (atomically: a crash leaves no half file)."""
        path = Path(path)
        arrays: dict[str, np.ndarray] = {}
        header: dict[str, Any] = {
            'format': FORMAT_NAME,
            'version': FORMAT_VERSION,
            'name': self.name,
            'input_population': self.input_population,
            'metadata': _jsonable(dict(self.metadata)),
            'populations': [],
            'connections': [],
        }
        for i, pop in enumerate(self.populations):
            keys = {}
            for pname, value in pop.params.items():
                key = f'pop{i}_{pname}'
                arrays[key] = np.asarray(value, dtype=np.float64)
                keys[pname] = key
            header['populations'].append(
                {
                    'name': pop.name,
                    'size': pop.size,
                    'model': pop.model,
                    'reset': pop.reset,
                    'params': keys,
                }
            )
        for i, conn in enumerate(self.connections):
            key = f'conn{i}_weight'
            arrays[key] = np.asarray(conn.weight, dtype=np.float64)
            header['connections'].append(
                {
                    'source': conn.source,
                    'target': conn.target,
                    'port': conn.port,
                    'sparse': conn.sparse,
                    'weight': key,
                }
            )
        arrays['header'] = np.frombuffer(json.dumps(header).encode('utf-8'), dtype=np.uint8)
        return atomic_savez(path, **arrays)

    @classmethod
    def load(cls, path: str | Path) -> 'NetworkSpec':
        """Read and validate a network file written by :meth:`save`."""
        path = Path(path)
        if not path.is_file():
            raise NetworkFileError(f'network file {path} does not exist')
        return cls.from_arrays(read_npz(path, 'network file', NetworkFileError), source=str(path))

    @classmethod
    def from_bytes(cls, blob: bytes, source: str = '<bytes>') -> 'NetworkSpec':
        try:
            with np.load(io.BytesIO(blob), allow_pickle=False) as data:
                arrays = {k: data[k] for k in data.files}
        except (zipfile.BadZipFile, EOFError, OSError, ValueError) as exc:
            raise NetworkFileError(f'{source} is not a readable .npz archive: {exc}') from exc
        return cls.from_arrays(arrays, source=source)

    @classmethod
    def from_arrays(cls, arrays: Mapping[str, np.ndarray], source: str) -> 'NetworkSpec':
        if 'header' not in arrays:
            raise NetworkFileError(f"{source}: no 'header' entry; not a {FORMAT_NAME} file")
        try:
            header = json.loads(bytes(arrays['header'].astype(np.uint8)).decode('utf-8'))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise NetworkFileError(f'{source}: header is not valid JSON: {exc}') from exc
        if header.get('format') != FORMAT_NAME:
            raise NetworkFileError(
                f"{source}: format is {header.get('format')!r}, expected {FORMAT_NAME!r}"
            )
        version = header.get('version')
        if version != FORMAT_VERSION:
            raise NetworkFileError(
                f'{source}: format version {version!r} is not supported (this build reads '
                f'{FORMAT_VERSION})'
            )

        def array(key: str, what: str) -> np.ndarray:
            if key not in arrays:
                raise NetworkFileError(f'{source}: missing array {key!r} for {what}')
            return np.asarray(arrays[key], dtype=np.float64)

        try:
            pops = tuple(
                Population(
                    name=p['name'],
                    size=int(p['size']),
                    model=p['model'],
                    reset=p.get('reset', 'hard'),
                    params={
                        k: array(v, f"population {p['name']!r} parameter {k!r}")
                        for k, v in p['params'].items()
                    },
                )
                for p in header['populations']
            )
            conns = tuple(
                Connection(
                    source=c['source'],
                    target=c['target'],
                    port=c.get('port', 'current'),
                    sparse=bool(c.get('sparse', False)),
                    weight=array(c['weight'], f"connection {c['source']}->{c['target']}"),
                )
                for c in header['connections']
            )
            return cls(
                populations=pops,
                connections=conns,
                input_population=header['input_population'],
                name=header.get('name', 'network'),
                metadata=header.get('metadata', {}),
            )
        except KeyError as exc:
            raise NetworkFileError(f'{source}: header lacks the field {exc}') from exc
        except NetworkFileError as exc:
            raise NetworkFileError(f'{source}: {exc}') from exc


def make_population(
    name: str,
    size: int,
    model: str = 'cuba_lif',
    reset: str = 'hard',
    **params: float | Sequence[float] | np.ndarray,
) -> Population:
    """
    Return a population with per-neuron parameters; scalars are broadcast.

    Missing ones defaulted.
    """
    if model not in NEURON_MODELS:
        raise NetworkFileError(f'unknown neuron model {model!r}; known: {sorted(NEURON_MODELS)}')
    defaults = NEURON_MODELS[model]
    unknown = sorted(set(params) - set(defaults))
    if unknown:
        raise NetworkFileError(
            f'population {name!r}: unknown parameter(s) {unknown} for model {model!r}; '
            f'accepted: {sorted(defaults)}'
        )
    full = {
        k: np.broadcast_to(np.asarray(params.get(k, v), dtype=np.float64), (size,)).copy()
        for k, v in defaults.items()
    }
    return Population(name=name, size=int(size), model=model, params=full, reset=reset)


def validate(spec: NetworkSpec) -> None:
    """Raise :class:`NetworkFileError` naming the first problem found in ``spec``."""
    names = [p.name for p in spec.populations]
    if not names:
        raise NetworkFileError('a network needs at least one population')
    if len(set(names)) != len(names):
        raise NetworkFileError(f'population names must be unique, got {names}')
    sizes = {}
    for pop in spec.populations:
        if not pop.name or not isinstance(pop.name, str):
            raise NetworkFileError(f'population name must be a non-empty string, got {pop.name!r}')
        if pop.model not in NEURON_MODELS:
            raise NetworkFileError(
                f'population {pop.name!r}: unknown neuron model {pop.model!r}; known: '
                f'{sorted(NEURON_MODELS)}'
            )
        if pop.reset not in RESET_MODES:
            raise NetworkFileError(
                f'population {pop.name!r}: unknown reset {pop.reset!r}; known: {RESET_MODES}'
            )
        if pop.size < 1:
            raise NetworkFileError(f'population {pop.name!r}: size must be >= 1, got {pop.size}')
        expected = set(NEURON_MODELS[pop.model])
        if set(pop.params) != expected:
            raise NetworkFileError(
                f'population {pop.name!r} ({pop.model}): parameters {sorted(pop.params)} '
                f"do not match the model's {sorted(expected)}"
            )
        for pname, value in pop.params.items():
            value = np.asarray(value)
            if value.shape != (pop.size,):
                raise NetworkFileError(
                    f'population {pop.name!r}: parameter {pname!r} has shape {value.shape}, '
                    f'expected ({pop.size},)'
                )
            if not np.all(np.isfinite(value)):
                raise NetworkFileError(
                    f'population {pop.name!r}: parameter {pname!r} contains NaN or inf'
                )
            if pname in ('du', 'dv', 'dth') and (np.any(value < 0) or np.any(value > 1)):
                raise NetworkFileError(
                    f'population {pop.name!r}: decay {pname!r} must lie in [0, 1]'
                )
        sizes[pop.name] = pop.size
    if spec.input_population not in sizes:
        raise NetworkFileError(f'input population {spec.input_population!r} is not one of {names}')
    seen = set()
    for conn in spec.connections:
        for end in (conn.source, conn.target):
            if end not in sizes:
                raise NetworkFileError(f'connection {conn.name}: unknown population {end!r}')
        if conn.port not in CONNECTION_PORTS:
            raise NetworkFileError(
                f'connection {conn.name}: unknown port {conn.port!r}; known: {CONNECTION_PORTS}'
            )
        if conn.port == 'threshold' and spec.population(conn.target).model != 'adaptive_lif':
            raise NetworkFileError(
                f'connection {conn.name}: only adaptive_lif targets have a threshold port'
            )
        if not spec.population(conn.source).spiking:
            raise NetworkFileError(
                f'connection {conn.name}: source {conn.source!r} does not spike'
            )
        shape = (sizes[conn.target], sizes[conn.source])
        weight = np.asarray(conn.weight)
        if weight.shape != shape:
            raise NetworkFileError(
                f'connection {conn.name}: weight shape {weight.shape} does not match '
                f'(target, source) = {shape}'
            )
        if not np.all(np.isfinite(weight)):
            raise NetworkFileError(f'connection {conn.name}: weights contain NaN or inf')
        if conn.name in seen:
            raise NetworkFileError(
                f'connection {conn.name} appears twice; sum the weights instead'
            )
        seen.add(conn.name)


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    return value
