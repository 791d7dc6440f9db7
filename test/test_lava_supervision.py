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
import signal
import subprocess
import sys
import threading
import time

import pytest

from random_networks import random_inputs, random_network
from snn_control.engine.lava_backend import LavaNetwork, LavaRuntimeError
from snn_control.processes import alive, descendants, end_owned, start_owned, wait_gone

SNN_CONTROL = os.path.join(os.path.dirname(sys.executable), "snn-control")


def _lines(stream) -> "queue.Queue[str]":
    lines: "queue.Queue[str]" = queue.Queue()

    def pump() -> None:
        for line in stream:
            lines.put(line)

    threading.Thread(target=pump, daemon=True).start()
    return lines


def _wait_for_line(lines: "queue.Queue[str]", needle: str, timeout: float) -> str:
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
    return str(random_network(0).save(tmp_path / "net.npz"))


@pytest.fixture
def deploy_run(network_file):
    """
    ``snn-control deploy`` of a long run, started and already stepping in Lava.

    Yields (process, its stderr lines, its process tree as seen while it ran).
    """
    proc = start_owned(
        [SNN_CONTROL, "deploy", network_file, "--target", "lava-sim", "--steps", "50000"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        lines = _lines(proc.stderr)
        _wait_for_line(lines, "step 256/50000", 60)
        tree = descendants(proc.pid) | {proc.pid}
        assert len(tree) > 5, tree  # the CLI, the Lava host and Lava's workers
        yield proc, lines, tree
    finally:
        end_owned(proc)


def _ended_within(proc: subprocess.Popen, seconds: float) -> float:
    begin = time.monotonic()
    proc.wait(timeout=seconds)
    return time.monotonic() - begin


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_ctrl_c_or_sigterm_ends_every_process_of_a_deploy_within_5_s(deploy_run, sig):
    proc, lines, tree = deploy_run
    begin = time.monotonic()
    os.killpg(proc.pid, sig)  # as a terminal's Ctrl-C does: the whole foreground group
    proc.wait(timeout=5)
    assert not wait_gone(tree, max(0.0, 5 - (time.monotonic() - begin)))
    assert time.monotonic() - begin < 5
    assert proc.returncode == 128 + sig
    assert "interrupted" in _wait_for_line(lines, "interrupted", 5)


def test_a_killed_lava_worker_fails_the_deploy_clearly_within_30_s(deploy_run):
    proc, lines, tree = deploy_run
    host = next(pid for pid in tree if pid != proc.pid and os.getpgid(pid) == pid)
    workers = sorted(descendants(host))
    os.kill(workers[len(workers) // 2], signal.SIGKILL)
    assert _ended_within(proc, 30) < 30
    assert proc.returncode == 1
    message = _wait_for_line(lines, "failed", 5)
    assert "random0" in message and "at step" in message and "SIGKILL" in message, message
    assert not wait_gone(tree, 5)


def test_killing_the_owner_outright_takes_its_lava_processes_with_it(deploy_run):
    proc, _, tree = deploy_run
    proc.kill()  # no handler runs: the Lava host notices its owner is gone
    proc.wait(timeout=5)
    assert not wait_gone(tree, 5), "Lava processes outlived their owner"


def test_a_killed_worker_in_process_raises_and_leaves_nothing():
    spec, x = random_network(1), random_inputs(1, 50)
    net = LavaNetwork(spec, "fixed")
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
    net = LavaNetwork(spec, "float", step_timeout=2.0)
    try:
        net.step(x[0])
        tree = net.processes()
        os.kill(net.pid, signal.SIGSTOP)  # alive but never answering: a hang, not a crash
        begin = time.monotonic()
        with pytest.raises(LavaRuntimeError, match="no answer within 2 s"):
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
    for mode in ("fixed", "float"):
        for _ in range(2):
            with LavaNetwork(spec, mode) as net:
                for t in range(7):
                    net.step(x[t])
                net.run(x[7:])
                tree = net.processes()
            assert not wait_gone(tree, 5)
    err = capfd.readouterr().err
    assert "Cannot import module" not in err
    assert "Send buffer is full" not in err
    assert "Traceback" not in err, err
