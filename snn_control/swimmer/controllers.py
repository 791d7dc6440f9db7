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
The swimmer's controllers by name, and their shipped parameter files.

A controller file is one ``.npz``: ``format``, ``kind``, ``n_links`` (the body it was
trained on), ``params`` (NCAP: the 4 shared weights; MLP: the flat weights) and ``meta``
(JSON: the command and seed that reproduce it, returns). NCAP's weights are shared across
segments, so an NCAP file drives a swimmer of any length; an MLP file only its own.
"""

from __future__ import annotations

from importlib import resources
import json
from pathlib import Path

import numpy as np
from snn_control.controllers.base import Controller
from snn_control.npz_io import atomic_savez, read_npz

FORMAT = 'snn_control.swimmer/1'
CONTROLLERS = ('mlp', 'rate_ncap', 'spiking_ncap', 'xylo_ncap')
#: the kinds whose controller is an engine network (``.spec``), which ``deploy`` takes
SPIKING_CONTROLLERS = ('spiking_ncap', 'xylo_ncap')


def make_swimmer_controller(
    kind: str, n_links: int, params: np.ndarray, backend: str | None = None
) -> Controller:
    """
    Return a controller of ``kind`` for ``n_links`` links.

    ``backend`` steps the spiking NCAPs; ``None``: ``numpy`` for ``spiking_ncap``, the
    engine's Xylo model (``xylo``) for the Xylo-born ``xylo_ncap``.
    """
    from snn_control.sim.swimmer.env import joint_limit_rad
    from snn_control.swimmer.mlp import MlpPolicy
    from snn_control.swimmer.ncap import NcapParams, RateNcap, SpikingNcap
    from snn_control.swimmer.xylo_native import XyloNcap, XyloNcapParams

    n_joints = n_links - 1
    if kind == 'rate_ncap':
        return RateNcap(n_joints, joint_limit_rad(n_links), NcapParams.from_array(params))
    spiking = {
        'spiking_ncap': (SpikingNcap, NcapParams, 'numpy'),
        'xylo_ncap': (XyloNcap, XyloNcapParams, 'xylo'),
    }
    if kind in spiking:
        ncap, read_params, default_backend = spiking[kind]
        return ncap(
            n_joints,
            joint_limit_rad(n_links),
            read_params.from_array(params),
            backend=backend or default_backend,
        )
    if kind == 'mlp':
        return MlpPolicy(n_joints, params)
    raise ValueError(f'unknown swimmer controller {kind!r}; choose from {CONTROLLERS}')


def save_swimmer_controller(
    kind: str, n_links: int, params: np.ndarray, path: str | Path, meta: dict
) -> None:
    """Write atomically (a crash leaves the old file or none, never half a file)."""
    atomic_savez(
        path,
        format=np.array(FORMAT),
        kind=np.array(kind),
        n_links=np.array(int(n_links)),
        params=np.asarray(params, dtype=np.float32 if kind == 'mlp' else np.float64),
        meta=np.array(json.dumps(meta, sort_keys=True)),
    )


def load_swimmer_file(path: str | Path) -> dict:
    content = read_npz(path, 'swimmer controller file')
    missing = {'format', 'kind', 'n_links', 'params', 'meta'} - set(content)
    if missing:
        raise ValueError(f'{path}: missing entries {sorted(missing)}')
    if str(content['format']) != FORMAT:
        raise ValueError(f"{path}: format {str(content['format'])!r}, expected {FORMAT!r}")
    kind = str(content['kind'])
    if kind not in CONTROLLERS:
        raise ValueError(f'{path}: unknown controller kind {kind!r}')
    params = content['params'].astype(np.float64)
    if not np.all(np.isfinite(params)):
        raise ValueError(f'{path}: parameters contain NaN or inf')
    return {
        'kind': kind,
        'n_links': int(content['n_links']),
        'params': params,
        'meta': json.loads(str(content['meta'])),
    }


def shipped_path(kind: str, target: str | None = None) -> Path:
    """
    Return the shipped file of ``kind``.

    ``target`` ``"xylo-v2"`` (what :func:`~snn_control.engine.backends.backend_target` gives
    for the Xylo backends): the spiking NCAP born for Xylo stands in for ``spiking_ncap``.
    The other kinds have one file each (a backend steps only the spiking NCAPs).
    """
    if target == 'xylo-v2' and kind == 'spiking_ncap':
        kind = 'xylo_ncap'
    return Path(str(resources.files('snn_control').joinpath('weights', f'swimmer_{kind}.npz')))


def load_swimmer_controller(
    path: str | Path, n_links: int | None = None, backend: str | None = None
) -> Controller:
    """Return a controller from a file; NCAPs may be given another body length (transfer)."""
    content = load_swimmer_file(path)
    links = content['n_links'] if n_links is None else int(n_links)
    if content['kind'] == 'mlp' and links != content['n_links']:
        raise ValueError(
            f"{path}: an MLP trained for {content['n_links']} links cannot drive {links}"
        )
    return make_swimmer_controller(content['kind'], links, content['params'], backend=backend)
