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

"""Package files as ``.npz``: written atomically, read with one clear error for any corruption."""

from __future__ import annotations

from pathlib import Path
import zipfile

import numpy as np


def atomic_savez(path: str | Path, **arrays: np.ndarray) -> Path:
    """
    Compressed ``.npz`` written beside ``path`` and renamed over it.

    A crash leaves the old file or none, never half a file.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + '.tmp')
    try:
        with open(tmp, 'wb') as fh:
            np.savez_compressed(fh, **arrays)
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


def read_npz(
    path: str | Path, what: str, error: type[Exception] = ValueError
) -> dict[str, np.ndarray]:
    """
    All arrays of an ``.npz`` (no pickles).

    ``error`` names ``what`` for missing or corrupt files.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f'{what} {path} does not exist')
    try:
        with np.load(path, allow_pickle=False) as data:
            return {k: data[k] for k in data.files}
    except (zipfile.BadZipFile, EOFError, OSError, ValueError) as exc:
        raise error(
            f'{what} {path} is not a readable .npz archive (truncated or corrupt?): {exc}'
        ) from exc
