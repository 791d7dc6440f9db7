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
The supervised Lava host: one process per network that owns Lava's runtime and workers.

:class:`snn_control.engine.lava_backend.LavaNetwork` starts ``python -m
snn_control.engine.lava_host FD`` as the leader of a new process group and talks to it
over the socket ``FD`` (``multiprocessing.connection`` framing). Lava forks its runtime
service, one worker per process model and a shared-memory manager from this process, so
all of them share its process group, which the owner ends with one ``killpg``.

What this process adds to Lava so that no failure hangs or leaks:

* every process Lava forks gets ``PR_SET_PDEATHSIG`` (SIGKILL), so it dies when this host
  dies, and closes its copy of the owner's socket, so the owner sees end-of-file at once;
* a watchdog thread notices a worker that exits, from the moment Lava forks it while the
  network starts until the host stops it (``waitid`` with ``WNOWAIT``: it looks without
  reaping), reports which one, how it ended and whether the network was starting or
  running, and ends the whole group instead of leaving the host blocked on a channel (or,
  while starting, on Lava's start-up queue) that nobody will write;
* the same thread ends the group when the owner disappears (this process is re-parented).

Requests (tuples): ``("build", kind, payload)`` with kind ``"spec"`` (a float
:class:`NetworkSpec`) or ``"fixed"`` (a :class:`FixedNetwork` and the per-connection
sparse flags), ``("step", x)``, ``("run", currents)``, ``("stop",)``. Answers:
``("starting", phase)`` as each phase of the start begins (Lava imported, so compiling;
compiled, so starting Lava's workers), then ``("ready", worker_pids)``; ``("out", spikes,
volts)``, ``("stopped",)`` or ``("error", text)``; after an error or a stop this process
exits.
"""

from __future__ import annotations

from multiprocessing.connection import Connection
import os
import signal
import sys
import threading
import time
import traceback
from typing import Any

from snn_control.processes import descendants, die_with_parent, signal_name

WATCH_INTERVAL_S = 0.05
#: The start-up phase that follows the host's own start (its interpreter and Lava imported).
PHASE_COMPILE = 'compiling the network for Lava'


class _Host:
    def __init__(self, conn: Connection, births: int) -> None:
        self.conn = conn
        self.births = births  # read end of the pipe each forked child writes its pid to
        self.children: set[int] = set()
        self.unread = b''  # the end of a pid not yet read whole
        self.send_lock = threading.Lock()
        self.parent = os.getppid()
        self.graph: Any = None
        # On from the start: Lava forks its workers inside compile() and then waits on each
        # one's start-up queue with no time-out, so a worker that dies there must be reported
        # at once rather than after the start-up time-out. This process's only children are
        # Lava's workers, its shared-memory manager and multiprocessing's resource tracker,
        # all meant to live until the stop (no short-lived child runs while it starts), so
        # any exit is a failure. Off only once the host stops the workers itself.
        self.watch_children = True
        self.phase = 'starting'
        self.dead = False

    def send(self, message: tuple) -> None:
        with self.send_lock:
            if not self.dead:
                self.conn.send(message)

    def fail(self, text: str) -> None:
        """Report ``text`` to the owner, then end this process group at once."""
        try:
            self.send(('error', text))
        except OSError:
            pass
        self.dead = True
        os.killpg(0, signal.SIGKILL)

    def _ended_child(self) -> tuple[int, str] | None:
        """Return a child that has exited (its pid, how it ended), or None."""
        flags = os.WEXITED | os.WNOHANG | os.WNOWAIT
        try:
            died = os.waitid(os.P_ALL, 0, flags)
        except ChildProcessError:
            died = None
        if died is None:
            # While Lava starts, multiprocessing reaps exited children each time it starts
            # another one (Process.start calls _cleanup), so a worker that died then is no
            # longer a zombie to find; every forked child registered its pid, though.
            try:
                while True:
                    self.unread += os.read(self.births, 4096)
            except BlockingIOError:
                pass
            complete, _, self.unread = self.unread.rpartition(b'\n')
            self.children.update(int(pid) for pid in complete.split())
            for pid in sorted(self.children):
                try:
                    died = os.waitid(os.P_PID, pid, flags)
                except ChildProcessError:
                    return pid, 'its exit status already collected by Lava'
                if died is not None:
                    break
        if died is None:
            return None
        return died.si_pid, signal_name(
            -died.si_status if died.si_code != os.CLD_EXITED else died.si_status
        )

    def watch(self) -> None:
        while True:
            time.sleep(WATCH_INTERVAL_S)
            if os.getppid() != self.parent:
                self.fail('the owner of this Lava host exited')
            if not self.watch_children:
                continue
            died = self._ended_child()
            if died is not None and self.watch_children:
                self.fail(
                    f'Lava worker process {died[0]} ended ({died[1]}) while the network was '
                    f'{self.phase}'
                )

    def serve(self) -> None:
        from snn_control.engine.lava_runtime import LavaGraph

        # Each phase of the start is reported as it begins, so that the owner can give each
        # its own time-out and name the one that failed.
        self.send(('starting', PHASE_COMPILE))
        while True:
            request = self.conn.recv()
            kind = request[0]
            if kind == 'build':
                what, payload = request[1], request[2]
                self.graph = (
                    LavaGraph.from_spec(payload)
                    if what == 'spec'
                    else LavaGraph.from_fixed(*payload)
                )
                self.graph.compile(on_phase=lambda phase: self.send(('starting', phase)))
                self.phase = 'running'
                self.send(('ready', sorted(descendants(os.getpid()))))
            elif kind == 'step':
                self.send(('out', *self.graph.step(request[1])))
            elif kind == 'run':
                self.send(('out', *self.graph.run(request[1])))
            elif kind == 'stop':
                self.watch_children = False  # the workers exit now, as they should
                if self.graph is not None:
                    self.graph.stop()
                self.send(('stopped',))
                return
            else:
                raise ValueError(f'unknown request {kind!r}')


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    fd = int(argv[0])
    conn = Connection(fd)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the owner decides when this ends
    host_pid = os.getpid()
    births, born = os.pipe()
    os.set_blocking(births, False)

    def in_forked_child() -> None:
        die_with_parent()
        devnull = os.open(os.devnull, os.O_RDWR)
        os.dup2(devnull, fd)  # the owner's socket: only this host may hold it open
        os.close(devnull)
        if os.getppid() == host_pid:  # a child of the host (not of a worker) registers
            os.write(born, b'%d\n' % os.getpid())  # atomic: far below PIPE_BUF

    os.register_at_fork(after_in_child=in_forked_child)
    host = _Host(conn, births)
    threading.Thread(target=host.watch, name='lava-host-watchdog', daemon=True).start()
    try:
        host.serve()
    except EOFError:
        host.fail('the owner closed its connection')
    except BaseException:  # noqa: B902 - every failure is reported, then the group ends
        host.fail(traceback.format_exc())
    return 0


if __name__ == '__main__':
    sys.exit(main())
