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
Run a :class:`NetworkSpec` in Lava (Loihi 2's CPU simulation) under supervision.

:class:`LavaNetwork` is what the rest of the package uses: ``step`` streams one input and
returns every neuron's spikes and voltage, ``run`` streams many. The Lava runtime itself
lives in a child process of its own (:mod:`snn_control.engine.lava_host`), started as the
leader of a new process group, with Lava's runtime service and workers below it; the graph
it runs and the protocol that stops it without a race are in
:mod:`snn_control.engine.lava_runtime`.

Why a process of its own: Lava's workers block on shared-memory channels with no time-out,
so a crash of any one of them (or of the runtime) would leave the caller waiting forever,
and orphaned workers would keep the caller's pipes open. Here every answer is awaited with
a time-out while the host is watched; any failure (a worker or the host dying, a time-out)
becomes a :class:`LavaRuntimeError` naming the network and the step, and the whole process
group is ended before it is raised. The host ends its group itself when its owner dies, and
Lava's workers die with the host. The caller's own imports stay free of Lava.

Run configurations: ``Loihi2SimCfg`` with ``floating_pt`` or ``fixed_pt`` on the CPU. The
Loihi 2 chip itself needs Intel's ``lava-loihi`` extension (``Loihi2HwCfg``), which is not
public; :func:`hardware_run_config` says so clearly when it is missing.
"""

from __future__ import annotations

import atexit
from multiprocessing.connection import Connection
from multiprocessing.reduction import ForkingPickler
import socket
import subprocess
import sys
import threading
import time
from typing import Any, Callable
import weakref

import numpy as np
from scipy.sparse import issparse
from snn_control.engine import fixed_point as fxp
from snn_control.engine.network import NetworkSpec
from snn_control.engine.neurons import layout
from snn_control.processes import end_owned, signal_name, start_owned

#: Lava modes and the process-model tags ``Loihi2SimCfg`` selects for them.
LAVA_MODES = {'float': 'floating_pt', 'fixed': 'fixed_pt'}
#: Seconds allowed for each phase of the start (see :data:`PHASE_HOST`): starting the host
#: (a new interpreter importing Lava, then reading the network), compiling the graph,
#: starting Lava's workers. On a 2-core machine under a load average of up to 8.6 a phase
#: took at most 5.6 s and a whole start at most 10.6 s (the compiled SpikePoint, 207,157
#: neurons, the biggest network shipped; see docs/lava.md). 25 s per phase, over four times
#: that, leaves a legitimate start on a busier machine or with a cold disk cache room to
#: finish, while a start that stops making progress is reported within 25 s of its last
#: phase, inside the 30 s in which every Lava failure must become an error. A worker
#: that dies while starting is reported at once (the host watches its workers from the
#: moment Lava forks them), not after this time-out.
START_TIMEOUT_S = 25.0
#: The first start-up phase, until the host reports the next (see :mod:`lava_host`).
PHASE_HOST = 'starting the Lava host'
#: Seconds allowed for one answer (a step, or a batch of up to :data:`BATCH_STEPS` steps),
#: and for sending one request.
STEP_TIMEOUT_S = 20.0
#: Seconds a graceful stop may take before the process group is killed.
STOP_TIMEOUT_S = 10.0
#: Steps per request when :meth:`LavaNetwork.run` streams many.
BATCH_STEPS = 256
_POLL_S = 0.05
#: Requests up to this size are written at once: the host reads one request at a time and
#: the owner sends the next only after its answer, so the socket's buffer (over 200 KiB on
#: Linux) always has room and the write cannot block. Larger ones (a big network's build,
#: a long batch) are written by a helper thread while the host is watched and timed.
_SEND_AT_ONCE = 64 * 1024
_live: 'weakref.WeakSet[LavaNetwork]' = weakref.WeakSet()


class LavaRuntimeError(RuntimeError):
    """Lava failed or stopped answering; the network's processes have been ended."""


class LavaNetwork:
    """
    A network running in Lava; ``step`` streams one input and returns spikes and voltages.

    Use as a context manager (or call :meth:`stop`). :meth:`from_fixed` builds one from a
    network already in Loihi's integer representation (``fixed`` mode). Inputs and
    outputs are in float units in both modes.
    """

    def __init__(
        self,
        spec: NetworkSpec,
        mode: str = 'float',
        *,
        step_timeout: float = STEP_TIMEOUT_S,
        start_timeout: float = START_TIMEOUT_S,
    ) -> None:
        if mode not in LAVA_MODES:
            raise ValueError(f'unknown Lava mode {mode!r}; choose from {sorted(LAVA_MODES)}')
        self.spec: NetworkSpec | None = spec
        self.mode = mode
        self.name = spec.name
        if mode == 'fixed':
            self.fixed_network: fxp.FixedNetwork | None = fxp.quantise(spec)
            self._request = (
                'build',
                'fixed',
                (self.fixed_network, [c.sparse for c in spec.connections]),
            )
            self.layout = self.fixed_network.layout
        else:
            self.fixed_network = None
            self._request = ('build', 'spec', spec)
            self.layout = layout(spec)
        self._init(step_timeout, start_timeout)

    @classmethod
    def from_fixed(
        cls,
        fixed: fxp.FixedNetwork,
        name: str = 'fixed-point network',
        *,
        step_timeout: float = STEP_TIMEOUT_S,
        start_timeout: float = START_TIMEOUT_S,
    ) -> 'LavaNetwork':
        """
        Return a fixed-point Lava network of ``fixed`` as it stands (no quantisation here).

        Its scipy sparse connections become ``Sparse`` processes.
        """
        net = cls.__new__(cls)
        net.spec, net.mode, net.name, net.fixed_network = None, 'fixed', name, fixed
        net._request = ('build', 'fixed', (fixed, [issparse(c.weight) for c in fixed.connections]))
        net.layout = fixed.layout
        net._init(step_timeout, start_timeout)
        return net

    def _init(self, step_timeout: float, start_timeout: float) -> None:
        self.n_inputs = self.layout.input_slice.stop - self.layout.input_slice.start
        self.step_timeout, self.start_timeout = step_timeout, start_timeout
        self.steps = 0
        self._host: subprocess.Popen | None = None
        self._conn: Connection | None = None
        self._writer: threading.Thread | None = None
        self._tree: set[int] = set()
        self._failed: str | None = None

    # -- the host process ---------------------------------------------------------------

    @property
    def pid(self) -> int | None:
        """
        Return the Lava host's process id, or None when not running.

        It is also the id of the host's process group.
        """
        return self._host.pid if self._host is not None else None

    def processes(self) -> set[int]:
        """Return the host and every Lava process below it, as last seen."""
        return set(self._tree)

    def start(self) -> None:
        """
        Start the host and Lava's runtime, unless running; a failed network stays failed.

        Each phase of the start has :attr:`start_timeout` seconds (see :data:`START_TIMEOUT_S`).
        """
        if self._failed:
            raise LavaRuntimeError(self._failed)
        if self._host is not None:
            return
        ours, theirs = socket.socketpair()
        try:
            self._host = start_owned(
                [sys.executable, '-m', 'snn_control.engine.lava_host', str(theirs.fileno())],
                pass_fds=(theirs.fileno(),),
                stdin=subprocess.DEVNULL,
                stdout=2,
            )
        finally:
            theirs.close()
        self._conn = Connection(ours.detach())
        self._tree = {self._host.pid}
        _live.add(self)
        # The host reads the build once its interpreter has imported Lava: sending it is
        # part of the first phase.
        self._send(self._request, self.start_timeout, f'starting ({PHASE_HOST})')
        phase = PHASE_HOST
        while True:
            answer = self._receive(
                ('starting', 'ready'), self.start_timeout, f'starting ({phase})'
            )
            if answer[0] == 'ready':
                break
            phase = answer[1]  # the next phase began: its own time-out starts now
        self._tree.update(answer[1])

    def _send(self, message: tuple, timeout: float, doing: str) -> None:
        """
        Send ``message`` to the host within ``timeout`` s, or fail saying what it was ``doing``.

        A host that stopped reading would otherwise block a large write forever.
        """
        data = ForkingPickler.dumps(message)  # what Connection.send writes, framed alike
        if len(data) <= _SEND_AT_ONCE:
            try:
                self._conn.send_bytes(data)
            except OSError:
                self._answer('never', 1.0, doing)  # the host is gone: report why
            return
        errors: list[OSError] = []

        def write() -> None:
            try:
                self._conn.send_bytes(data)
            except OSError as exc:  # the host died, or was ended for not reading in time
                errors.append(exc)

        writer = self._writer = threading.Thread(target=write, name='lava-send', daemon=True)
        deadline = time.monotonic() + timeout
        try:
            writer.start()
            while writer.is_alive():
                writer.join(_POLL_S)
                if self._host.poll() is not None:
                    self._answer('never', 1.0, doing)  # the host is gone: report why
                if writer.is_alive() and time.monotonic() > deadline:
                    self._fail(doing, f'the Lava host read no request within {timeout:g} s')
        except BaseException:
            self._kill()  # interrupted (Ctrl-C, SIGTERM), or failed: the writer gets EPIPE
            raise
        if errors:
            self._answer('never', 1.0, doing)

    def _fail(self, doing: str, reason: str) -> None:
        """End the host and raise :class:`LavaRuntimeError` naming the network and the step."""
        self._failed = (
            f'Lava network {self.name!r} ({self.mode} mode) failed while {doing} '
            f'at step {self.steps}: {reason.strip()}'
        )
        self._kill()
        raise LavaRuntimeError(self._failed)

    def _answer(self, kind: str, timeout: float, doing: str) -> tuple:
        """
        Return the host's next answer, which must be ``kind``, without its kind.

        Anything else ends the host and raises :class:`LavaRuntimeError`.
        """
        return self._receive((kind,), timeout, doing)[1:]

    def _receive(self, kinds: tuple[str, ...], timeout: float, doing: str) -> tuple:
        """
        Return the host's next answer, whose kind must be one of ``kinds``.

        Anything else, or nothing within ``timeout`` s, ends the host and raises
        :class:`LavaRuntimeError` saying what it was ``doing``.
        """
        deadline = time.monotonic() + timeout
        reason = None
        try:
            while reason is None:
                if self._conn.poll(_POLL_S):
                    try:
                        message = self._conn.recv()
                    except (EOFError, OSError):
                        reason = self._host_ended()
                        break
                    if message[0] in kinds:
                        return message
                    reason = (
                        message[1]
                        if message[0] == 'error'
                        else f'unexpected answer {message[0]!r}'
                    )
                elif self._host.poll() is not None:
                    reason = self._host_ended()
                elif time.monotonic() > deadline:
                    reason = f'no answer within {timeout:g} s'
        except BaseException:
            self._kill()  # interrupted (Ctrl-C, SIGTERM): end the run, then let it propagate
            raise
        self._fail(doing, reason)

    def _host_ended(self) -> str:
        try:
            self._host.wait(timeout=1.0)
        except subprocess.TimeoutExpired:
            return 'the Lava host closed its connection'
        return f'the Lava host process ended ({signal_name(self._host.returncode)})'

    def _kill(self) -> None:
        """End the host's process group and every process of the run seen so far."""
        if self._host is not None:
            end_owned(self._host, self._tree)
            if self._writer is not None:
                # The host is gone, so its write fails at once (EPIPE); only then may the
                # socket close, or the writer could write into a reused descriptor.
                self._writer.join(timeout=5.0)
            self._conn.close()
            self._host, self._conn, self._writer = None, None, None
            _live.discard(self)

    def stop(self) -> None:
        """
        Stop the Lava runtime gracefully (see :mod:`lava_runtime`).

        Then make sure that no process of it is left; a host that does not stop in time is killed.
        """
        if self._host is None:
            return
        try:
            self._send(('stop',), STOP_TIMEOUT_S, 'stopping')
            self._answer('stopped', STOP_TIMEOUT_S, 'stopping')
            try:
                self._host.wait(timeout=STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                pass
        finally:
            self._kill()

    close = stop

    def __enter__(self) -> 'LavaNetwork':
        self.start()
        return self

    def __exit__(self, exc_type: Any, *exc: Any) -> None:
        if exc_type is None:
            self.stop()
        else:
            self._kill()  # failing or interrupted: no graceful stop to wait for

    def __del__(self) -> None:
        if getattr(self, '_host', None) is not None:
            self._kill()

    # -- stepping -----------------------------------------------------------------------

    def _to_backend(self, currents: np.ndarray) -> np.ndarray:
        if self.mode == 'fixed':
            return self.fixed_network.input_to_int(currents).astype(np.float64)
        return currents

    def _from_backend(self, volts: np.ndarray) -> np.ndarray:
        return self.fixed_network.voltage_to_float(volts) if self.mode == 'fixed' else volts

    def step(self, current: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """
        Stream one input (float units); returns (spikes, voltages in float units).

        Flat order.
        """
        self.start()
        current = np.asarray(current, dtype=np.float64).reshape(self.n_inputs)
        self._send(('step', self._to_backend(current)), self.step_timeout, 'stepping')
        spikes, volts = self._answer('out', self.step_timeout, 'stepping')
        self.steps += 1
        return spikes, self._from_backend(volts)

    def run(
        self, currents: np.ndarray, progress: Callable[[int], None] | None = None
    ) -> dict[str, np.ndarray]:
        """
        Step through ``currents`` (T, n_inputs); traces like :meth:`Simulator.run`.

        ``progress(steps_done)`` is called after every batch of :data:`BATCH_STEPS` steps.
        """
        self.start()
        currents = np.asarray(currents, dtype=np.float64).reshape(-1, self.n_inputs)
        spikes, volts = [], []
        for begin in range(0, len(currents), BATCH_STEPS):
            batch = currents[begin:begin + BATCH_STEPS]
            self._send(('run', self._to_backend(batch)), self.step_timeout, 'stepping')
            s, v = self._answer('out', self.step_timeout, 'stepping')
            self.steps += len(batch)
            spikes.append(s)
            volts.append(self._from_backend(v))
            if progress is not None:
                progress(self.steps)
        if not spikes:
            return {'spikes': np.zeros((0, self.layout.n)), 'v': np.zeros((0, self.layout.n))}
        return {'spikes': np.concatenate(spikes), 'v': np.concatenate(volts)}


@atexit.register
def _end_all() -> None:
    """No Lava host outlives the interpreter that started it."""
    for net in list(_live):
        net._kill()


def hardware_run_config(mode: str = 'fixed') -> Any:
    """``Loihi2HwCfg`` for a real Loihi 2 board, or a clear error naming what is missing."""
    from snn_control.engine.lava_compat import ensure_lava_importable

    ensure_lava_importable()
    try:
        import lava.magma.compiler.subcompilers.nc  # noqa: F401  (only in Intel's lava-loihi)
        from lava.magma.core.run_configs import Loihi2HwCfg
    except ImportError as exc:
        raise RuntimeError(
            "Loihi 2 hardware needs Intel's lava-loihi extension (distributed to Intel "
            'Neuromorphic '
            'Research Community members, not on PyPI) and access to a Loihi 2 system; it is not '
            f'installed here ({exc}). Use --target lava-sim for the bit-accurate CPU simulation.'
        ) from exc
    return Loihi2HwCfg()
