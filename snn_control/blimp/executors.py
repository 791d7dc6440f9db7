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
Where a generation's candidates are scored: in this process, or spread over a Ray cluster.

An executor maps a function over chunks of the population and returns the results in
order. ``LocalExecutor`` runs them here, one after the other (the population is already a
torch batch, so this is the fast path on one machine). ``RayExecutor`` sends each chunk to
a Ray worker: ``address=None`` starts a local Ray instance on this machine (what the tests
use), ``address="auto"`` or ``"ray://host:10001"`` joins an existing cluster, whose nodes
need this package installed. Results do not depend on the executor: every candidate's
score is computed by the same code on the same inputs.
"""

from __future__ import annotations

from typing import Any, Callable, Sequence

import numpy as np


class LocalExecutor:
    # named as concurrent.futures.Executor.map, the interface it stands in for
    def map(self, fn: Callable[..., Any], jobs: Sequence[tuple]) -> list[Any]:  # noqa: A003
        return [fn(*job) for job in jobs]

    def close(self) -> None:
        pass


class RayExecutor:
    def __init__(self, address: str | None = None, num_cpus: int | None = None) -> None:
        try:
            import ray
        except ImportError as exc:
            raise RuntimeError(
                "the Ray executor needs the 'ray' package (pip install 'ray==2.60.0')"
            ) from exc
        self._ray = ray
        self._started = not ray.is_initialized()
        if self._started:
            ray.init(
                address=address,
                num_cpus=num_cpus if address is None else None,
                include_dashboard=False,
                log_to_driver=False,
            )
        self._remote: dict[Callable, Any] = {}

    # named as concurrent.futures.Executor.map, the interface it stands in for
    def map(self, fn: Callable[..., Any], jobs: Sequence[tuple]) -> list[Any]:  # noqa: A003
        remote = self._remote.setdefault(fn, self._ray.remote(fn))
        return self._ray.get([remote.remote(*job) for job in jobs])

    def close(self) -> None:
        if self._started and self._ray.is_initialized():
            self._ray.shutdown()


def make_executor(
    kind: str, address: str | None = None, workers: int = 2
) -> LocalExecutor | RayExecutor:
    if kind == 'local':
        return LocalExecutor()
    if kind == 'ray':
        return RayExecutor(address, num_cpus=workers)
    raise ValueError(f'unknown executor {kind!r}; choose local or ray')


def chunks(candidates: np.ndarray, n: int) -> list[np.ndarray]:
    """
    Split the population into ``n`` contiguous chunks.

    Fewer chunks when it is smaller than ``n``.
    """
    return [c for c in np.array_split(candidates, max(1, min(n, len(candidates)))) if len(c)]
