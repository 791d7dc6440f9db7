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
The project's real datasets: ``../shared/data`` beside the repository (each has a SOURCE.md).

They are read in place, never copied into the package. Looked up relative to the working
directory first (the repository root, where the commands are run) and then beside the
checkout this module belongs to.
"""

from __future__ import annotations

from pathlib import Path

#: ``shared/data`` beside the checkout that holds this package.
BESIDE_CHECKOUT = Path(__file__).resolve().parents[1].parent / 'shared' / 'data'


def shared_data(*parts: str) -> Path:
    """
    Return the file or folder ``../shared/data/<parts>``.

    FileNotFoundError naming it if absent.
    """
    for root in (Path('../shared/data'), BESIDE_CHECKOUT):
        candidate = root.joinpath(*parts)
        if candidate.exists():
            return candidate
    raise FileNotFoundError(
        f"{'/'.join(parts)} not found under ../shared/data (read its SOURCE.md)"
    )
