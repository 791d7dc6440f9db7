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
Make lava-nc 0.10.0 importable on Python 3.11, without editing the installed files.

lava-nc 0.10.0 (archived upstream) declares Python < 3.11. Its only incompatibility we hit
is in ``lava/magma/compiler/var_model.py``: dataclass fields default to ``ByteEncoder()``,
an unhashable dataclass instance, which Python 3.11's ``dataclasses`` rejects as a mutable
default ("use default_factory"). Every compile of a Lava process graph imports that module.

A second, runtime incompatibility: importing ``lava.magma.runtime.message_infrastructure.
multiprocessing`` calls ``multiprocessing.set_start_method('fork')``, which raises "context
has already been set" when anything in the process fixed the start method first (tqdm's
progress bars create a multiprocessing lock, which does). When that module is about to be
imported and the context is already 'fork', the finder clears it so that Lava's call sets
the very same method again; any other method is refused with a clear error, since Lava's
runtime needs fork.

The var_model fix is deliberately narrow: a meta-path finder that intercepts exactly that one
module, replaces exactly the ``= ByteEncoder()`` defaults with
``= field(default_factory=ByteEncoder)`` in its source text, and executes it from the
original file name (so tracebacks still point at Lava's file). If Lava changes so that the
pattern is absent, the hook does nothing and says so; on Python < 3.11 it is not needed.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import importlib.util
import re
import sys
from types import ModuleType

TARGET_MODULE = 'lava.magma.compiler.var_model'
MP_MODULE = 'lava.magma.runtime.message_infrastructure.multiprocessing'
_PATTERN = re.compile(r'^(\s+\w+: ByteEncoder) = ByteEncoder\(\)$', re.MULTILINE)
_REPLACEMENT = r'\1 = field(default_factory=ByteEncoder)'


class _VarModelLoader(importlib.machinery.SourceFileLoader):
    """Loads ``var_model.py`` with its mutable dataclass defaults rewritten."""

    patched_fields = 0

    def get_code(self, fullname: str):  # type: ignore[override]
        source = self.get_data(self.path).decode('utf-8')
        patched, count = _PATTERN.subn(_REPLACEMENT, source)
        if (
            count
            and 'from dataclasses import' in patched
            and 'field' not in patched.split('from dataclasses import', 1)[1].split('\n', 1)[0]
        ):
            patched = patched.replace(
                'from dataclasses import', 'from dataclasses import field,', 1
            )
        type(self).patched_fields = count
        return compile(patched, self.path, 'exec', dont_inherit=True)


class _VarModelFinder(importlib.abc.MetaPathFinder):
    def find_spec(  # type: ignore[no-untyped-def]
        self, fullname: str, path, target: ModuleType | None = None
    ):
        if fullname == MP_MODULE:
            _allow_lavas_start_method()
            return None
        if fullname != TARGET_MODULE or sys.version_info < (3, 11):
            return None
        for finder in sys.meta_path:
            if finder is self or not hasattr(finder, 'find_spec'):
                continue
            spec = finder.find_spec(fullname, path, target)
            if spec is not None and spec.origin and spec.origin.endswith('.py'):
                spec.loader = _VarModelLoader(fullname, spec.origin)
                return spec
        return None


def _allow_lavas_start_method() -> None:
    import multiprocessing

    current = multiprocessing.get_start_method(allow_none=True)
    if current == 'fork':
        multiprocessing.set_start_method(None, force=True)  # Lava sets 'fork' again at once
    elif current is not None:
        raise RuntimeError(
            f"Lava's runtime needs the 'fork' multiprocessing start method, but this process "
            f'already uses {current!r}'
        )


_FINDER = _VarModelFinder()


def ensure_lava_importable() -> None:
    """Install the import fixes (idempotent). Call before importing anything from Lava."""
    if _FINDER not in sys.meta_path:
        sys.meta_path.insert(0, _FINDER)


def patched_field_count() -> int:
    """Return how many ``ByteEncoder()`` defaults the hook rewrote (0 if it did not run)."""
    return _VarModelLoader.patched_fields


def lava_available() -> bool:
    """Return True when lava-nc is installed (the fix is applied before probing)."""
    ensure_lava_importable()
    return importlib.util.find_spec('lava') is not None
