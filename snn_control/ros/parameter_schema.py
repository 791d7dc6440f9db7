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
One parameter schema per node, in generate_parameter_library's YAML format.

``snn_control/params/<node>.yaml`` is the single description of a node's parameters: type,
default, description, validation and ``read_only``, exactly as generate_parameter_library
(https://github.com/PickNikRobotics/generate_parameter_library) writes them::

    snn_controller:
      sensor_timeout_s:
        type: double
        default_value: 0.5
        description: silence after which the safe command is published (s)
        read_only: false
        validation:
          bounds<>: [0.001, 60.0]

generate_parameter_library generates C++/Python code at build time from such a file, which
needs its CMake tooling; here the schema is read at run time by :class:`SnnNode`
(:mod:`snn_control.ros.node_base`) instead, with the same meaning. Types: ``bool``,
``int``, ``double``, ``string`` and their ``_array`` forms. Validators: ``bounds<>``,
``gt<>``, ``gt_eq<>``, ``lt<>``, ``lt_eq<>``, ``one_of<>``, ``not_empty<>``,
``size_gt<>``, ``size_lt<>``, ``element_bounds<>``. One extension: an entry named
``<prefix>.*`` with ``type: none`` declares a free namespace (a controller's own
parameters, e.g. ``controller.kp``), whose entries are taken as given.

The tables in ``docs/parameters.md`` are generated from these files
(``python -m snn_control.ros.parameter_schema > docs/parameters.md``); a test fails when they
drift. This module imports neither ``rclpy`` nor ``launch``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from importlib import resources
import json
import math
from typing import Any

import yaml

TYPES = {
    'bool': bool,
    'int': int,
    'double': float,
    'string': str,
    'bool_array': bool,
    'int_array': int,
    'double_array': float,
    'string_array': str,
}


class SchemaError(ValueError):
    """A schema file is malformed; the message names the file and the entry."""


@dataclass(frozen=True)
class ParamSpec:
    name: str
    type: str  # noqa: A003 (generate_parameter_library's key)
    default: Any
    description: str
    read_only: bool = False
    validation: dict[str, list[Any]] = field(default_factory=dict)

    @property
    def is_namespace(self) -> bool:
        return self.name.endswith('.*')

    @property
    def is_array(self) -> bool:
        return self.type.endswith('_array')

    def check(self, value: Any) -> str | None:
        """Why ``value`` is not valid for this parameter, or None when it is."""
        if self.is_namespace:
            return None
        kind = TYPES[self.type]
        items = value if self.is_array else [value]
        if self.is_array and not isinstance(value, (list, tuple)):
            return f'{self.name} must be a list of {kind.__name__}, got {value!r}'
        for item in items:
            ok = isinstance(item, kind) and not (kind is not bool and isinstance(item, bool))
            if kind is float and isinstance(item, int) and not isinstance(item, bool):
                ok = True
            if not ok:
                return (
                    f'{self.name} must be '
                    f"{'a list of ' if self.is_array else ''}{self.type.split('_')[0]}, "
                    f'got {value!r}'
                )
            if kind is float and not math.isfinite(item):
                return f'{self.name} must be finite, got {item!r}'
        for rule, args in self.validation.items():
            reason = _RULES[rule](value, *args)
            if reason:
                return f'{self.name} = {value!r}: {reason}'
        return None

    def describe_validation(self) -> str:
        return ', '.join(
            f"{rule[:-2]} {', '.join(map(repr, args)) if args else ''}".strip()
            for rule, args in self.validation.items()
        )


def _bounds(v: Any, lo: float, hi: float) -> str | None:
    return None if lo <= v <= hi else f'must be within [{lo}, {hi}]'


def _element_bounds(v: Any, lo: float, hi: float) -> str | None:
    return None if all(lo <= x <= hi for x in v) else f'every element must be within [{lo}, {hi}]'


_RULES = {
    'bounds<>': _bounds,
    'element_bounds<>': _element_bounds,
    'gt<>': lambda v, x: None if v > x else f'must be greater than {x}',
    'gt_eq<>': lambda v, x: None if v >= x else f'must be at least {x}',
    'lt<>': lambda v, x: None if v < x else f'must be less than {x}',
    'lt_eq<>': lambda v, x: None if v <= x else f'must be at most {x}',
    'one_of<>': lambda v, options: None if v in options else f'must be one of {options}',
    'not_empty<>': lambda v: None if len(v) else 'must not be empty',
    'size_gt<>': lambda v, n: None if len(v) > n else f'must have more than {n} elements',
    'size_lt<>': lambda v, n: None if len(v) < n else f'must have fewer than {n} elements',
}


@dataclass(frozen=True)
class NodeSchema:
    node: str
    parameters: dict[str, ParamSpec]

    @property
    def namespaces(self) -> list[str]:
        """Prefixes of the free namespaces, with their dot (``controller.``)."""
        return [name[:-1] for name in self.parameters if name.endswith('.*')]

    def declared(self) -> dict[str, ParamSpec]:
        return {name: spec for name, spec in self.parameters.items() if not spec.is_namespace}

    def knows(self, name: str) -> bool:
        return name in self.declared() or any(name.startswith(ns) for ns in self.namespaces)


def schema_names() -> list[str]:
    folder = resources.files('snn_control').joinpath('params')
    return sorted(p.name[:-5] for p in folder.iterdir() if p.name.endswith('.yaml'))


def load_schema(node: str) -> NodeSchema:
    """Return the schema of ``node`` from the package (``snn_control/params/<node>.yaml``)."""
    path = resources.files('snn_control').joinpath('params', f'{node}.yaml')
    if not path.is_file():
        raise SchemaError(
            f"no parameter schema for node {node!r}; known: {', '.join(schema_names())}"
        )
    data = yaml.safe_load(path.read_text()) or {}
    if list(data) != [node]:
        raise SchemaError(
            f'{path}: the schema must have one top-level key, {node!r}; got {list(data)}'
        )
    parameters = {}
    for name, entry in (data[node] or {}).items():
        where = f'{path}: parameter {name!r}'
        if not isinstance(entry, dict) or 'type' not in entry or 'description' not in entry:
            raise SchemaError(f"{where} needs 'type' and 'description'")
        unknown = set(entry) - {'type', 'default_value', 'description', 'read_only', 'validation'}
        if unknown:
            raise SchemaError(f'{where}: unknown key(s) {sorted(unknown)}')
        if name.endswith('.*'):
            if entry['type'] != 'none':
                raise SchemaError(f'{where}: a free namespace has type none')
            parameters[name] = ParamSpec(name, 'none', None, str(entry['description']))
            continue
        if entry['type'] not in TYPES:
            raise SchemaError(f"{where}: type {entry['type']!r} is not one of {sorted(TYPES)}")
        validation = {
            rule: list(args) if isinstance(args, list) else [args]
            for rule, args in (entry.get('validation') or {}).items()
        }
        for rule in validation:
            if rule not in _RULES:
                raise SchemaError(f'{where}: unknown validator {rule!r}; known: {sorted(_RULES)}')
        default = entry.get('default_value')
        if (
            entry['type'] == 'double'
            and isinstance(default, int)
            and not isinstance(default, bool)
        ):
            default = float(default)
        spec = ParamSpec(
            name,
            entry['type'],
            default,
            str(entry['description']),
            bool(entry.get('read_only', False)),
            validation,
        )
        reason = spec.check(default)
        if reason:
            raise SchemaError(f'{where}: its default is invalid: {reason}')
        parameters[name] = spec
    return NodeSchema(node, parameters)


def markdown_table(schema: NodeSchema) -> str:
    rows = [
        f'### `{schema.node}`',
        '',
        '| parameter | type | default | read only | validation | description |',
        '| --- | --- | --- | --- | --- | --- |',
    ]
    for spec in schema.parameters.values():
        default = '' if spec.is_namespace else f'`{json.dumps(spec.default)}`'
        rows.append(
            f"| `{spec.name}` | {spec.type} | {default} | {'yes' if spec.read_only else 'no'} | "
            f"{spec.describe_validation()} | {spec.description.replace('|', '/')} |"
        )
    return '\n'.join(rows)


def parameters_markdown() -> str:
    """``docs/parameters.md``: every node's parameters, generated from the schemas."""
    head = [
        '# Node parameters',
        '',
        'Generated from `snn_control/params/*.yaml` (generate_parameter_library format) by',
        '`python -m snn_control.ros.parameter_schema > docs/parameters.md`; do not edit by hand.',
        'Read-only parameters are fixed once the node has started (a change is refused with',
        'the reason); the others can be changed at run time and are validated first. Files in',
        '`snn_control/config/` hold only the overrides a graph or launch file applies.',
        '',
    ]
    return (
        '\n'.join(head + ['\n\n'.join(markdown_table(load_schema(n)) for n in schema_names())])
        + '\n'
    )


if __name__ == '__main__':
    print(parameters_markdown(), end='')
