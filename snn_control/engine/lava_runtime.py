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
A network as a Lava process graph, stepped in lockstep and stopped without a race.

This module runs inside the supervised Lava host process (:mod:`snn_control.engine.
lava_host`); user code uses :class:`snn_control.engine.lava_backend.LavaNetwork`.

Each population becomes one :class:`SnnPopulation` process and each connection a Lava
``Dense`` (``Sparse`` for sparse connections), whose one-step output buffer gives the same
one-hop delay as the other backends. External input streams in through ``lava.proc.io``'s
``Injector`` and every population's spikes and voltages stream out through ``Extractor``
processes.

**Stepping and stopping.** The graph runs in chunks of ``RunSteps(k, blocking=False)``:
the host sends one input, reads every tap's output, and so on, ``k`` times; then it waits
for the run to end and starts the next chunk. Stopping pads the current chunk with zero
inputs (reading their outputs), waits until Lava reports the run done, and only then calls
``stop()``. At that point every process model sits in its management loop waiting for a
command, no step is in flight and no host thread writes into any channel, so Lava's
teardown of its shared-memory channels cannot race a writer. (The previous protocol ran
``RunContinuous`` and had a helper thread feed zeros while ``stop()`` tore the channels
down: a write into released shared memory, and a segfault.)

**Nothing is dropped.** Every channel uses Lava's default ``SendFull.BLOCKING`` policy, so
a full buffer would block the sender rather than drop data; in lockstep the injector's and
each extractor's buffer holds at most one item, so nobody ever blocks. (The old
``NON_BLOCKING_DROP`` configuration warned "Send buffer is full" only for the zeros its
stop thread sent every millisecond and for those extra steps' unread outputs, never for a
step's input: each step read all outputs before the next send.)

Run configurations: ``Loihi2SimCfg`` with ``floating_pt`` or ``fixed_pt`` on the CPU.
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np
from snn_control.engine.lava_compat import ensure_lava_importable

ensure_lava_importable()

# Lava only after its compatibility shims: E402 and I100 (order) are the point here
from lava.magma.core.run_conditions import RunSteps  # noqa: E402, I100
from lava.magma.core.run_configs import Loihi2SimCfg  # noqa: E402
from lava.proc.dense.models import PyDenseModelBitAcc, PyDenseModelFloat  # noqa: E402
from lava.proc.dense.process import Dense  # noqa: E402
from lava.proc.io.extractor import Extractor, PyLoihiExtractorModel  # noqa: E402
from lava.proc.io.injector import Injector, PyLoihiInjectorModel  # noqa: E402
from lava.proc.sparse.models import PySparseModelBitAcc, PySparseModelFloat  # noqa: E402
from lava.proc.sparse.process import Sparse  # noqa: E402
from lava.utils.weightutils import SignMode  # noqa: E402
from scipy.sparse import csr_matrix  # noqa: E402
from snn_control.engine import fixed_point as fxp  # noqa: E402
from snn_control.engine.lava_backend import LAVA_MODES  # noqa: E402
from snn_control.engine.lava_procs.models import (  # noqa: E402
    PySnnPopulationFixed,
    PySnnPopulationFloat,
)
from snn_control.engine.lava_procs.process import SnnPopulation  # noqa: E402
from snn_control.engine.network import NetworkSpec  # noqa: E402
from snn_control.engine.neurons import layout  # noqa: E402

#: Steps per Lava run while the caller streams single steps (a stop pads at most this many
#: minus one); batches of steps run as chunks of exactly their length.
STREAM_CHUNK = 64
#: What :meth:`LavaGraph.compile` does after compiling (the start-up phase it reports).
PHASE_WORKERS = "starting Lava's workers"
_SIGN_MODES = {
    'excitatory': SignMode.EXCITATORY,
    'inhibitory': SignMode.INHIBITORY,
    'mixed': SignMode.MIXED,
}


class LavaGraph:
    """
    The Lava processes of one network.

    :meth:`step` and :meth:`run` stream inputs in lockstep; :meth:`stop` ends the runtime (see the
    module docstring for why it is safe). Inputs and outputs are in the backend's own units
    (integers in fixed mode).
    """

    def __init__(
        self,
        mode: str,
        populations: dict[str, dict[str, np.ndarray]],
        synapses: list[tuple[str, str, str, Any]],
        lay: Any,
    ) -> None:
        self.mode = mode
        self.layout = lay
        self.n_inputs = lay.input_slice.stop - lay.input_slice.start
        self.populations: dict[str, SnnPopulation] = {}
        self.spike_taps: dict[str, Extractor] = {}
        self.voltage_taps: dict[str, Extractor] = {}
        for name, kw in populations.items():
            size = lay.slices[name].stop - lay.slices[name].start
            proc = SnnPopulation(shape=(size,), name=name, **kw)
            self.populations[name] = proc
            self.spike_taps[name] = Extractor(shape=(size,), buffer_size=8)
            proc.s_out.connect(self.spike_taps[name].in_port)
            self.voltage_taps[name] = Extractor(shape=(size,), buffer_size=8)
            proc.v_out.connect(self.voltage_taps[name].in_port)
        for source, target, port, synapse in synapses:
            self.populations[source].s_out.connect(synapse.s_in)
            synapse.a_out.connect(
                self.populations[target].th_in
                if port == 'threshold'
                else self.populations[target].a_in
            )
        input_name = next(name for name, sl in lay.slices.items() if sl == lay.input_slice)
        self.injector = Injector(shape=(self.n_inputs,), buffer_size=8)
        self.injector.out_port.connect(self.populations[input_name].a_in)
        self._compiled = False
        self._run_open = False  # a non-blocking Lava run was started and not yet waited for
        self._ever_ran = False
        self._left_in_run = 0  # steps of that run not yet taken
        self.steps = 0

    @classmethod
    def from_spec(cls, spec: NetworkSpec) -> 'LavaGraph':
        """Floating point: the spec's parameters as they are."""
        populations = {
            pop.name: {
                'du': pop.params['du'],
                'dv': pop.params['dv'],
                'dth': pop.params.get('dth', np.zeros(pop.size)),
                'vth': pop.params.get('vth', np.zeros(pop.size)),
                'bias_mant': pop.params['bias'],
                'bias_exp': np.zeros(pop.size),
                'spiking': np.full(pop.size, float(pop.spiking)),
                'soft': np.full(pop.size, float(pop.reset == 'soft')),
            }
            for pop in spec.populations
        }
        # Sparse connections become Lava Sparse processes (only non-zero synapses exist,
        # as on the chip); both have the same one-step output buffer.
        synapses = [
            (
                c.source,
                c.target,
                c.port,
                (Sparse if c.sparse else Dense)(
                    weights=(csr_matrix if c.sparse else np.asarray)(
                        np.asarray(c.weight, dtype=float)
                    ),
                    name=f'conn{i}',
                ),
            )
            for i, c in enumerate(spec.connections)
        ]
        return cls('float', populations, synapses, layout(spec))

    @classmethod
    def from_fixed(cls, fixed: fxp.FixedNetwork, sparse: list[bool]) -> 'LavaGraph':
        """
        Loihi's integer form; ``sparse`` says per connection whether Lava runs it sparsely.

        Each connection's populations are the layout's slices it joins.
        """
        lay = fixed.layout
        by_slice = {(sl.start, sl.stop): name for name, sl in lay.slices.items()}
        populations = {
            name: {
                'du': fixed.du[sl],
                'dv': fixed.dv[sl],
                'dth': fixed.dth[sl],
                'vth': fixed.vth[sl],
                'bias_mant': fixed.bias_mant[sl],
                'bias_exp': fixed.bias_exp[sl],
                'spiking': fixed.spiking[sl].astype(int),
                'soft': fixed.soft[sl].astype(int),
            }
            for name, sl in lay.slices.items()
        }
        synapses = []
        for i, (fc, is_sparse) in enumerate(zip(fixed.connections, sparse)):
            kind, pack = (Sparse, csr_matrix) if is_sparse else (Dense, np.asarray)
            synapses.append(
                (
                    by_slice[(fc.source.start, fc.source.stop)],
                    by_slice[(fc.target.start, fc.target.stop)],
                    fc.port,
                    kind(
                        weights=pack(fc.weight).astype(np.int32),
                        weight_exp=fc.weight_exp,
                        num_weight_bits=8,
                        sign_mode=_SIGN_MODES[fc.sign_mode],
                        name=f'conn{i}',
                    ),
                )
            )
        return cls('fixed', populations, synapses, lay)

    def run_config(self) -> Loihi2SimCfg:
        floating = self.mode == 'float'
        return Loihi2SimCfg(
            select_tag=LAVA_MODES[self.mode],
            exception_proc_model_map={
                Injector: PyLoihiInjectorModel,
                Extractor: PyLoihiExtractorModel,
                Dense: PyDenseModelFloat if floating else PyDenseModelBitAcc,
                Sparse: PySparseModelFloat if floating else PySparseModelBitAcc,
                SnnPopulation: PySnnPopulationFloat if floating else PySnnPopulationFixed,
            },
        )

    # named for Lava's own step (its Compiler); no builtin is called on an instance
    def compile(self, on_phase: Callable[[str], None] | None = None) -> None:  # noqa: A003
        """
        Compile the graph and start Lava's runtime (its worker processes), idle.

        ``on_phase(text)`` is called between the two: compiling runs in this process, while
        ``Runtime.initialize`` forks the shared-memory manager and one worker per process
        model and then waits, without a time-out, until each worker has built its model.
        """
        if not self._compiled:
            executable = self.injector.compile(self.run_config())
            if on_phase is not None:
                on_phase(PHASE_WORKERS)
            self.injector.create_runtime(executable=executable)
            self._compiled = True

    def _begin_run(self, steps: int) -> None:
        """Start a Lava run of ``steps`` steps once the previous one has ended."""
        if self._left_in_run:
            raise RuntimeError('a Lava run is still in progress')
        self.compile()
        self._end_run()
        self.injector.run(condition=RunSteps(num_steps=steps, blocking=False))
        self._run_open, self._left_in_run, self._ever_ran = True, steps, True

    def _end_run(self) -> None:
        """Wait until Lava reports the current run done (all its steps were fed)."""
        if self._run_open:
            self.injector.wait()
            self._run_open = False

    def _one_step(self, current: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        self.injector.send(current)
        spikes = np.zeros(self.layout.n)
        volts = np.zeros(self.layout.n)
        for name, sl in self.layout.slices.items():
            spikes[sl] = self.spike_taps[name].receive()
            volts[sl] = self.voltage_taps[name].receive()
        self._left_in_run -= 1
        self.steps += 1
        return spikes, volts

    def step(self, current: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """One step of ``current`` (n_inputs,); returns flat (spikes, voltages)."""
        if not self._left_in_run:
            self._begin_run(STREAM_CHUNK)
        return self._one_step(np.asarray(current, dtype=np.float64).reshape(self.n_inputs))

    def run(self, currents: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """
        Step of ``currents`` (T, n_inputs); what is left of a streaming run is used first.

        The rest runs as one Lava run of exactly its length. Returns (T, n) spikes, voltages.
        """
        currents = np.asarray(currents, dtype=np.float64).reshape(-1, self.n_inputs)
        spikes, volts = np.zeros((len(currents), self.layout.n)), np.zeros(
            (len(currents), self.layout.n)
        )
        for t, x in enumerate(currents):
            if not self._left_in_run:
                self._begin_run(len(currents) - t)
            spikes[t], volts[t] = self._one_step(x)
        return spikes, volts

    def stop(self) -> None:
        """Finish the current run with zero inputs, wait for Lava to report it done, stop."""
        if not self._compiled:
            return
        zeros = np.zeros(self.n_inputs)
        if not self._ever_ran:
            # Lava's stop() of a runtime that never ran sends its workers no command and then
            # joins them: it would wait forever. One padded step makes it an ordinary stop.
            self._begin_run(1)
        while self._left_in_run:
            self._one_step(zeros)
            self.steps -= 1  # padding, not a step of the caller's
        self._end_run()
        self.injector.stop()
        self._compiled = False
