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
Lava runs are supervised.

A dead worker, a frozen host, Ctrl-C, SIGTERM or a killed owner each end every process of the run
within the stated time, with a clear error.

Everything here is real: Lava's runtime and workers, ``snn-control deploy`` as a user runs
it, signals delivered by the kernel. Each test records the run's whole process tree while
it runs and checks that none of it is left afterwards.
"""

import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time

import pytest
from random_networks import random_inputs, random_network
from snn_control.engine import lava_backend
from snn_control.engine.lava_backend import LavaNetwork, LavaRuntimeError, STOP_TIMEOUT_S
from snn_control.processes import (
    alive,
    descendants,
    end_owned,
    group_members,
    process_state,
    start_owned,
    wait_gone,
)

SNN_CONTROL = os.path.join(os.path.dirname(sys.executable), 'snn-control')


def _lines(stream) -> 'queue.Queue[str]':
    lines: 'queue.Queue[str]' = queue.Queue()

    def pump() -> None:
        for line in stream:
            lines.put(line)

    threading.Thread(target=pump, daemon=True).start()
    return lines


def _wait_for_line(lines: 'queue.Queue[str]', needle: str, timeout: float) -> str:
    deadline = time.monotonic() + timeout
    seen = []
    while time.monotonic() < deadline:
        try:
            line = lines.get(timeout=max(0.01, deadline - time.monotonic()))
        except queue.Empty:
            break
        seen.append(line)
        if needle in line:
            return line
    raise AssertionError(
        f"no line with {needle!r} within {timeout} s; got {''.join(seen)[-2000:]!r}"
    )


@pytest.fixture
def network_file(tmp_path):
    return str(random_network(0).save(tmp_path / 'net.npz'))


@pytest.fixture
def deploy_run(network_file):
    """
    ``snn-control deploy`` of a long run, started and already stepping in Lava.

    Yields (process, its stderr lines, its process tree as seen while it ran).
    """
    proc = start_owned(
        [SNN_CONTROL, 'deploy', network_file, '--target', 'lava-sim', '--steps', '50000'],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        lines = _lines(proc.stderr)
        _wait_for_line(lines, 'step 256/50000', 60)
        tree = descendants(proc.pid) | {proc.pid}
        assert len(tree) > 5, tree  # the CLI, the Lava host and Lava's workers
        yield proc, lines, tree
    finally:
        end_owned(proc)


def _ended_within(proc: subprocess.Popen, seconds: float) -> float:
    begin = time.monotonic()
    proc.wait(timeout=seconds)
    return time.monotonic() - begin


@pytest.mark.parametrize('sig', [signal.SIGINT, signal.SIGTERM])
def test_ctrl_c_or_sigterm_ends_every_process_of_a_deploy_within_5_s(deploy_run, sig):
    proc, lines, tree = deploy_run
    begin = time.monotonic()
    os.killpg(proc.pid, sig)  # as a terminal's Ctrl-C does: the whole foreground group
    proc.wait(timeout=5)
    assert not wait_gone(tree, max(0.0, 5 - (time.monotonic() - begin)))
    assert time.monotonic() - begin < 5
    assert proc.returncode == 128 + sig
    assert 'interrupted' in _wait_for_line(lines, 'interrupted', 5)


def test_a_killed_lava_worker_fails_the_deploy_clearly_within_30_s(deploy_run):
    proc, lines, tree = deploy_run
    host = next(pid for pid in tree if pid != proc.pid and os.getpgid(pid) == pid)
    workers = sorted(descendants(host))
    os.kill(workers[len(workers) // 2], signal.SIGKILL)
    assert _ended_within(proc, 30) < 30
    assert proc.returncode == 1
    message = _wait_for_line(lines, 'failed', 5)
    assert 'random0' in message and 'at step' in message and 'SIGKILL' in message, message
    assert not wait_gone(tree, 5)


def test_killing_the_owner_outright_takes_its_lava_processes_with_it(deploy_run):
    proc, _, tree = deploy_run
    proc.kill()  # no handler runs: the Lava host notices its owner is gone
    proc.wait(timeout=5)
    assert not wait_gone(tree, 5), 'Lava processes outlived their owner'


def test_a_killed_worker_in_process_raises_and_leaves_nothing():
    spec, x = random_network(1), random_inputs(1, 50)
    net = LavaNetwork(spec, 'fixed')
    try:
        for t in range(10):
            net.step(x[t])
        tree = net.processes()
        assert len(tree) > 5
        os.kill(sorted(tree - {net.pid})[-1], signal.SIGKILL)
        begin = time.monotonic()
        with pytest.raises(
            LavaRuntimeError, match=r"'random1' \(fixed mode\) failed while stepping at step 1\d"
        ):
            for t in range(10_000):
                net.step(x[t % 50])
        assert time.monotonic() - begin < 30
        assert not wait_gone(tree, 5)
        with pytest.raises(
            LavaRuntimeError
        ):  # the network stays failed, it does not restart silently
            net.step(x[0])
    finally:
        net.stop()


def test_a_frozen_host_times_out_and_is_ended():
    spec, x = random_network(2), random_inputs(2, 20)
    net = LavaNetwork(spec, 'float', step_timeout=2.0)
    try:
        net.step(x[0])
        tree = net.processes()
        os.kill(net.pid, signal.SIGSTOP)  # alive but never answering: a hang, not a crash
        begin = time.monotonic()
        with pytest.raises(LavaRuntimeError, match='no answer within 2 s'):
            net.step(x[1])
        assert time.monotonic() - begin < 5
        assert not alive(tree)
    finally:
        net.stop()


def test_lava_runs_print_no_warnings_and_stop_cleanly(capfd):
    """
    Lava's model search finds our models without "Cannot import module" warnings.

    And the lockstep protocol never fills a channel ("Send buffer is full"), over repeated
    start/stream/stop cycles with single steps and batches mixed.
    """
    spec, x = random_network(0), random_inputs(0, 120)
    for mode in ('fixed', 'float'):
        for _ in range(2):
            with LavaNetwork(spec, mode) as net:
                for t in range(7):
                    net.step(x[t])
                net.run(x[7:])
                tree = net.processes()
            assert not wait_gone(tree, 5)
    err = capfd.readouterr().err
    assert 'Cannot import module' not in err
    assert 'Send buffer is full' not in err
    assert 'Traceback' not in err, err


#: The Lava host, but every Lava worker stops itself (SIGSTOP) as soon as it is forked, before
#: it builds its process model. Lava's start-up then waits for it, so a test can act on a
#: network that is certainly still starting: no race against the start finishing.
_FREEZE_WORKERS = """
import os, runpy, signal
from snn_control.engine.lava_compat import ensure_lava_importable
ensure_lava_importable()
import lava.magma.runtime.runtime as runtime
build = runtime.target_fn
def frozen(*args, **kwargs):
    os.kill(os.getpid(), signal.SIGSTOP)
    return build(*args, **kwargs)
runtime.target_fn = frozen
runpy.run_module("snn_control.engine.lava_host", run_name="__main__")
"""


#: The Lava host, but it stops itself before it reads its first request.
_FREEZE_HOST = """
import os, signal
os.kill(os.getpid(), signal.SIGSTOP)
"""


def _host_runs(monkeypatch, code: str) -> None:
    """Make LavaNetwork start its host as ``python -c code FD``."""

    def start(cmd, **kwargs):
        assert cmd[1:3] == ['-m', 'snn_control.engine.lava_host'], cmd
        return start_owned([cmd[0], '-c', code, *cmd[3:]], **kwargs)

    monkeypatch.setattr(lava_backend, 'start_owned', start)


@pytest.fixture
def frozen_workers(monkeypatch):
    """Make LavaNetwork start its host with :data:`_FREEZE_WORKERS`."""
    _host_runs(monkeypatch, _FREEZE_WORKERS)


class _StartWatcher(threading.Thread):
    """
    Wait until a Lava worker of ``net`` is frozen, optionally kill it, and record the run.

    ``tree`` gathers every process of the run seen until :meth:`finish`; ``acted`` is when
    the frozen worker was found (and killed).
    """

    def __init__(self, net: LavaNetwork, kill: bool) -> None:
        super().__init__(daemon=True)
        self.net, self.kill = net, kill
        self.tree: set[int] = set()
        self.pgid = None
        self.worker = None
        self.acted = None
        self.done = threading.Event()
        self.start()

    def run(self) -> None:
        deadline = time.monotonic() + 120
        while not self.done.is_set() and time.monotonic() < deadline:
            host = self.net.pid
            if host is not None:
                self.pgid = host
                self.tree |= {host} | descendants(host)
                if self.worker is None:
                    frozen = [pid for pid in self.tree if process_state(pid) == 'T']
                    if frozen:
                        self.worker = frozen[0]
                        if self.kill:
                            os.kill(self.worker, signal.SIGKILL)
                        self.acted = time.monotonic()
            self.done.wait(0.02)  # sampling interval; the start waits for us, not we for it

    def finish(self) -> None:
        self.done.set()
        self.join(timeout=5)
        assert self.worker is not None, 'no Lava worker froze while the network started'


@pytest.mark.parametrize('fault', ['killed', 'frozen'])
def test_a_failure_while_lava_starts_is_a_clear_error_within_30_s(frozen_workers, fault):
    """
    A worker that dies while Lava starts is reported at once; a start that hangs, in time.

    Either way the error names the network and the phase, and no process of the run is left.
    """
    limit = 10.0  # the start-up phase time-out here; legitimate phases take a few seconds
    net = LavaNetwork(random_network(3), 'fixed', start_timeout=limit)
    try:
        begin = time.monotonic()
        watcher = _StartWatcher(net, kill=fault == 'killed')
        with pytest.raises(LavaRuntimeError) as error:
            net.start()
        raised = time.monotonic()
        watcher.finish()
        message = str(error.value)
        assert (
            "Lava network 'random3' (fixed mode) failed while starting (starting Lava's "
            'workers) at step 0: ' in message
        ), message
        if fault == 'killed':
            # The status is gone when Lava's multiprocessing reaped the worker first.
            assert re.search(
                rf'Lava worker process {watcher.worker} ended \((signal SIGKILL|its exit '
                r'status already collected by Lava)\) while the network was starting$',
                message,
            ), message
            assert raised - watcher.acted < 5, 'reported at once, not after the time-out'
        else:
            assert f'no answer within {limit:g} s' in message, message
            assert raised - watcher.acted < limit + 5
        assert raised - begin < 30
        # The host, Lava's shared-memory manager and the workers forked so far (the killed
        # one may be among the first).
        assert len(watcher.tree) >= 3 and watcher.worker in watcher.tree, watcher.tree
        assert not wait_gone(watcher.tree, 5)
        assert not group_members(watcher.pgid)
        with pytest.raises(LavaRuntimeError):  # the network stays failed
            net.start()
    finally:
        net.stop()


def test_a_host_that_never_reads_a_large_network_times_out_and_is_ended(monkeypatch):
    """Sending a network bigger than the socket's buffer cannot block the caller forever."""
    _host_runs(monkeypatch, _FREEZE_HOST)
    net = LavaNetwork(random_network(4, n_hidden=400), 'float', start_timeout=5.0)
    try:
        begin = time.monotonic()
        with pytest.raises(
            LavaRuntimeError,
            match=r"'random4' \(float mode\) failed while starting \(starting the Lava host\) "
            r'at step 0: the Lava host read no request within 5 s',
        ):
            net.start()
        assert time.monotonic() - begin < 5 + 5
    finally:
        net.stop()


def test_a_network_stopped_before_its_first_step_stops_cleanly():
    """Lava's own stop of a runtime that never ran would wait forever; ours stops it."""
    with LavaNetwork(random_network(0), 'fixed') as net:
        tree = net.processes()
        begin = time.monotonic()
    assert time.monotonic() - begin < STOP_TIMEOUT_S
    assert not wait_gone(tree, 5)
