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
``snn-control bench lava``.

Every Lava path the package ships, run again and again, each run a fresh ``snn-control`` process,
counting crashes, hangs and processes left behind.

The paths: a shipped network file through ``deploy --target lava-sim`` in floating and in
fixed point (each checks itself against the engine: exit 1 on a mismatch), the blimp's
closed loop on ``lava-fixed`` (``run blimp``: the evolved PD+I SNN's two networks and the
spiking PD, each in its own Lava runtime), and the compiled SpikePoint classifier on Lava
(``deploy spikepoint_gestures.npz --target lava-sim``).

A crash is a run that exits non-zero (a failed parity check included) or dies of a signal;
a hang is a run still going after :data:`RUN_LIMIT_S` (then ended); an orphan is a process
of a run that is still alive once the run has exited: this process makes itself the child
subreaper, so orphans are re-parented to it and cannot escape the count, and it samples
each run's process tree while it runs. Figures: ``runs``, ``crashes``, ``hangs``,
``orphans``, ``median_run_s``, and per path ``<path>_runs``, ``_crashes``, ``_hangs``,
``_orphans``, ``_median_run_s``.
"""

from __future__ import annotations

import os
from pathlib import Path
import statistics
import subprocess
import sys
import tempfile
import threading
import time

from snn_control.processes import alive, become_subreaper, descendants, end_owned, start_owned

#: Seconds after which a run counts as a hang.
RUN_LIMIT_S = 120.0
DEFAULT_RUNS = 50


def lava_paths(workdir: Path) -> dict[str, list[str]]:
    """Path name -> ``snn-control`` arguments."""
    from snn_control.events.spikepoint import shipped_classifier_path

    weights = Path(__file__).resolve().parent.parent / 'weights'
    network = str(weights / 'blimp_pd.npz')
    return {
        'network_float': [
            'deploy',
            network,
            '--target',
            'lava-sim',
            '--mode',
            'float',
            '--steps',
            '300',
        ],
        'network_fixed': [
            'deploy',
            network,
            '--target',
            'lava-sim',
            '--mode',
            'fixed',
            '--steps',
            '300',
        ],
        'blimp_lava_fixed': [
            'run',
            'blimp',
            '--backend',
            'lava-fixed',
            '--step-s',
            '2',
            '--out',
            str(workdir),
        ],
        'spikepoint_lava': ['deploy', str(shipped_classifier_path()), '--target', 'lava-sim'],
    }


class RunResult:
    def __init__(
        self, seconds: float, returncode: int | None, hung: bool, orphans: int, stderr: str
    ) -> None:
        self.seconds, self.returncode, self.hung, self.orphans, self.stderr = (
            seconds,
            returncode,
            hung,
            orphans,
            stderr,
        )

    @property
    def crashed(self) -> bool:
        return not self.hung and self.returncode != 0


def run_once(args: list[str], limit: float = RUN_LIMIT_S) -> RunResult:
    """One ``snn-control`` run in a fresh process, watched until it and its processes end."""
    exe = str(Path(sys.executable).with_name('snn-control'))
    begin = time.monotonic()
    proc = start_owned([exe, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    seen: set[int] = {proc.pid}
    running = threading.Event()
    running.set()

    def sample() -> None:
        while running.is_set():
            seen.update(descendants(proc.pid))
            time.sleep(0.1)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    hung = False
    try:
        _, err = proc.communicate(timeout=limit)
    except subprocess.TimeoutExpired:
        hung = True
        end_owned(proc, seen)
        _, err = proc.communicate()
    seconds = time.monotonic() - begin
    running.clear()
    sampler.join()
    # Whatever of the run still lives, or was re-parented to us (the subreaper), is an orphan.
    left = alive(seen - {proc.pid}) | {pid for pid in descendants(os.getpid()) if pid != proc.pid}
    left = alive(left)
    if left:
        end_owned(proc, left)
    return RunResult(seconds, proc.returncode, hung, len(left), err or '')


def run(quick: bool = False, runs: int | None = None) -> dict[str, float]:
    runs = runs if runs is not None else (3 if quick else DEFAULT_RUNS)
    if runs < 1:
        raise ValueError('--runs must be at least 1')
    become_subreaper()
    figures: dict[str, float] = {}
    every: list[RunResult] = []
    with tempfile.TemporaryDirectory(prefix='bench_lava_') as workdir:
        for name, args in lava_paths(Path(workdir)).items():
            results = []
            for i in range(runs):
                result = run_once(args)
                results.append(result)
                status = 'hang' if result.hung else 'crash' if result.crashed else 'ok'
                print(
                    f'[bench lava] {name} {i + 1}/{runs}: {status} in {result.seconds:.1f} s'
                    + (f', {result.orphans} orphans' if result.orphans else ''),
                    file=sys.stderr,
                    flush=True,
                )
                if result.crashed or result.hung:
                    print(
                        '  ' + '\n  '.join(result.stderr.strip().splitlines()[-5:]),
                        file=sys.stderr,
                        flush=True,
                    )
            figures.update(_counts(name + '_', results))
            every += results
    figures.update(_counts('', every))
    figures['runs_per_path'] = runs
    return figures


def _counts(prefix: str, results: list[RunResult]) -> dict[str, float]:
    return {
        f'{prefix}runs': len(results),
        f'{prefix}crashes': sum(r.crashed for r in results),
        f'{prefix}hangs': sum(r.hung for r in results),
        f'{prefix}orphans': sum(r.orphans for r in results),
        f'{prefix}median_run_s': round(statistics.median(r.seconds for r in results), 2),
    }
