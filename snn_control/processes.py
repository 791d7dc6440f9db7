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
Owning child processes: process trees, bounded runs, and cleanup that leaves nothing behind.

``subprocess.run(..., timeout=...)`` kills only the direct child on a time-out and then waits
for its output pipes to close; a grandchild that inherited them (every Lava worker does)
keeps them open, and the caller waits forever. The helpers here start each child as the
leader of a new session, so that it and everything it forks share one process group that a
single ``killpg`` ends, and they look processes up in ``/proc`` (Linux), which needs no
extra package.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
import ctypes
import os
import signal
import subprocess
import time
from typing import Any

_PR_SET_PDEATHSIG = 1
_PR_SET_CHILD_SUBREAPER = 36


def _stat_fields(pid: int) -> list[str] | None:
    """``/proc/<pid>/stat`` after the command name (state first), or None if it is gone."""
    try:
        with open(f'/proc/{pid}/stat', 'rb') as f:
            raw = f.read().decode('ascii', 'replace')
    except OSError:
        return None
    return raw[raw.rfind(')') + 2:].split()


def process_state(pid: int) -> str | None:
    """
    Return the state letter of ``pid`` as ``ps`` shows it, or None if it is gone.

    For example 'R' running, 'S' sleeping, 'T' stopped by a signal, 'Z' a zombie.
    """
    fields = _stat_fields(pid)
    return fields[0] if fields else None


def is_alive(pid: int) -> bool:
    """Return True while ``pid`` exists and is not a zombie waiting to be reaped."""
    fields = _stat_fields(pid)
    return fields is not None and fields[0] not in ('Z', 'X')


def descendants(pid: int) -> set[int]:
    """Every living process below ``pid`` (children, their children, ...)."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir('/proc'):
        if entry.isdigit():
            fields = _stat_fields(int(entry))
            if fields and fields[0] not in ('Z', 'X'):
                children.setdefault(int(fields[1]), []).append(int(entry))
    found: set[int] = set()
    todo = [pid]
    while todo:
        for child in children.get(todo.pop(), ()):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def group_members(pgid: int) -> set[int]:
    """Living processes whose process group is ``pgid``."""
    members = set()
    for entry in os.listdir('/proc'):
        if entry.isdigit():
            fields = _stat_fields(int(entry))
            if fields and fields[0] not in ('Z', 'X') and int(fields[2]) == pgid:
                members.add(int(entry))
    return members


def alive(pids: Iterable[int]) -> set[int]:
    return {pid for pid in pids if is_alive(pid)}


def kill_group(pgid: int, sig: int = signal.SIGKILL) -> None:
    """Signal a whole process group; a group that is already gone is fine."""
    try:
        os.killpg(pgid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def kill_all(pids: Iterable[int], sig: int = signal.SIGKILL) -> None:
    for pid in pids:
        try:
            os.kill(pid, sig)
        except (ProcessLookupError, PermissionError):
            pass


def wait_gone(pids: Iterable[int], timeout: float) -> set[int]:
    """Wait until none of ``pids`` lives (or ``timeout`` s pass); returns those still alive."""
    pids = set(pids)
    deadline = time.monotonic() + timeout
    while True:
        left = alive(pids)
        if not left or time.monotonic() >= deadline:
            return left
        time.sleep(0.02)


def _prctl(option: int, value: int) -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(option, value, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), f'prctl({option}) failed')


def die_with_parent(sig: int = signal.SIGKILL) -> None:
    """
    Ask the kernel to send ``sig`` when the forking thread exits.

    Linux ``PR_SET_PDEATHSIG``. Call it in a freshly forked child.
    """
    _prctl(_PR_SET_PDEATHSIG, int(sig))


def become_subreaper() -> None:
    """
    Become the child subreaper of this process's descendants.

    Orphaned descendants are re-parented to this process instead of to init (Linux
    ``PR_SET_CHILD_SUBREAPER``), so that it can find and count them.
    """
    _prctl(_PR_SET_CHILD_SUBREAPER, 1)


def signal_name(returncode: int | None) -> str:
    """Return how a process ended, in words: 'exit code 1', 'signal SIGSEGV', 'still running'."""
    if returncode is None:
        return 'still running'
    if returncode < 0:
        try:
            return f'signal {signal.Signals(-returncode).name}'
        except ValueError:
            return f'signal {-returncode}'
    return f'exit code {returncode}'


def start_owned(cmd: Sequence[str], **kwargs: Any) -> subprocess.Popen:
    """
    ``Popen`` as the leader of a new session and process group (pgid = its pid).

    So that :func:`kill_group` ends it and every process it starts; terminal signals (Ctrl-C) reach
    it only through its owner.
    """
    return subprocess.Popen(list(cmd), start_new_session=True, **kwargs)


def end_owned(proc: subprocess.Popen, tree: Iterable[int] = (), grace: float = 0.0) -> None:
    """
    End ``proc``, its process group and every pid of ``tree``; reap ``proc``.

    ``tree`` holds its descendants as last seen: a child that left the group is still ended.
    """
    if grace > 0 and proc.poll() is None:
        kill_group(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            pass
    tree = set(tree) | descendants(proc.pid)
    kill_group(proc.pid)
    kill_all(tree)
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:  # pragma: no cover - SIGKILL is not ignorable
        pass
    wait_gone(tree, 5.0)


def run_bounded(cmd: Sequence[str], timeout: float, **kwargs: Any) -> subprocess.CompletedProcess:
    """
    Run ``cmd`` to completion within ``timeout``, leaving nothing behind.

    Like ``subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)``, but it also ends
    every process ``cmd`` started when it times out or fails, instead of waiting on pipes they hold
    open. Raises ``subprocess.TimeoutExpired`` (with the output so far) on a time-out.
    """
    kwargs.setdefault('text', True)
    if kwargs.pop('capture_output', True):
        kwargs.setdefault('stdout', subprocess.PIPE)
        kwargs.setdefault('stderr', subprocess.PIPE)
    proc = start_owned(cmd, **kwargs)
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired as exc:
        end_owned(proc)
        out, err = proc.communicate()
        raise subprocess.TimeoutExpired(exc.cmd, timeout, out, err) from None
    except BaseException:
        end_owned(proc)
        raise
    finally:
        # A child that exited on its own may have left processes in its group.
        if group_members(proc.pid):
            kill_group(proc.pid)
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)
