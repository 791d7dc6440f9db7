"""Compile a :class:`NetworkSpec` into a Lava process graph and run it step by step.

Each population becomes one :class:`SnnPopulation` process and each connection a Lava
``Dense`` (``Sparse`` for sparse connections), whose one-step output buffer gives the
same one-hop delay as the other backends. External input streams in through ``lava.proc.io`` ``Injector`` and every
population's spikes and voltages stream out through ``Extractor`` processes, so a closed
loop (sensor -> network -> command) runs with ``RunContinuous``.

``SnnPopulation``'s process models subclass Lava's own LIF models, so the current and
voltage arithmetic (including the bit-accurate fixed-point decays, wrap-around and
clipping) is Lava's, not ours; they add what Lava's LIF lacks: per-neuron decays and
thresholds, soft reset, the adaptive threshold and a graded voltage output for readouts.

Run configurations: ``Loihi2SimCfg`` with ``floating_pt`` or ``fixed_pt`` on the CPU. The
Loihi 2 chip itself needs Intel's ``lava-loihi`` extension (``Loihi2HwCfg``), which is not
public; :func:`hardware_run_config` says so clearly when it is missing.
"""
from __future__ import annotations

from typing import Any

import threading
import time

import numpy as np

from snn_control.engine.lava_compat import ensure_lava_importable

ensure_lava_importable()

from lava.magma.core.decorator import implements, requires, tag  # noqa: E402
from lava.magma.core.model.py.ports import PyInPort, PyOutPort  # noqa: E402
from lava.magma.core.model.py.type import LavaPyType  # noqa: E402
from lava.magma.core.process.ports.ports import InPort, OutPort  # noqa: E402
from lava.magma.core.process.process import AbstractProcess  # noqa: E402
from lava.magma.core.process.variable import Var  # noqa: E402
from lava.magma.core.resources import CPU  # noqa: E402
from lava.magma.core.run_conditions import RunContinuous  # noqa: E402
from lava.magma.core.run_configs import Loihi2SimCfg  # noqa: E402
from lava.magma.core.sync.protocols.loihi_protocol import LoihiProtocol  # noqa: E402
from lava.proc.dense.models import PyDenseModelBitAcc, PyDenseModelFloat  # noqa: E402
from lava.proc.dense.process import Dense  # noqa: E402
from lava.proc.io.extractor import Extractor, PyLoihiExtractorModel  # noqa: E402
from lava.proc.io.injector import Injector, PyLoihiInjectorModel  # noqa: E402
from lava.proc.io.utils import ChannelConfig, SendFull  # noqa: E402
from lava.proc.lif.models import AbstractPyLifModelFixed, AbstractPyLifModelFloat  # noqa: E402
from lava.proc.sparse.models import PySparseModelBitAcc, PySparseModelFloat  # noqa: E402
from lava.proc.sparse.process import Sparse  # noqa: E402
from lava.utils.weightutils import SignMode  # noqa: E402
from scipy.sparse import csr_matrix, issparse  # noqa: E402

from snn_control.engine import fixed_point as fxp  # noqa: E402
from snn_control.engine.network import NetworkSpec  # noqa: E402
from snn_control.engine.neurons import layout  # noqa: E402

LAVA_MODES = {"float": "floating_pt", "fixed": "fixed_pt"}
# Lockstep streaming: the network blocks until the host sends the next input (Lava's
# default ReceiveEmpty.BLOCKING), so every host step is exactly one network step. Sends
# never block (the queues hold 8 items and lockstep keeps them near empty), which is what
# lets stop() feed zeros to a network parked in its input wait (see stop()).
_NON_BLOCKING = ChannelConfig(send_full=SendFull.NON_BLOCKING_DROP)


class SnnPopulation(AbstractProcess):
    """One population of our neuron models (CUBA LIF, adaptive LIF, leaky integrator)."""

    def __init__(self, *, shape: tuple[int], du: np.ndarray, dv: np.ndarray, dth: np.ndarray, vth: np.ndarray,
                 bias_mant: np.ndarray, bias_exp: np.ndarray, spiking: np.ndarray, soft: np.ndarray,
                 name: str | None = None) -> None:
        super().__init__(shape=shape, name=name)
        self.a_in = InPort(shape=shape)
        self.th_in = InPort(shape=shape)
        self.s_out = OutPort(shape=shape)
        self.v_out = OutPort(shape=shape)
        self.u = Var(shape=shape, init=0)
        self.v = Var(shape=shape, init=0)
        self.theta = Var(shape=shape, init=0)
        self.du = Var(shape=shape, init=du)
        self.dv = Var(shape=shape, init=dv)
        self.dth = Var(shape=shape, init=dth)
        self.vth = Var(shape=shape, init=vth)
        self.bias_mant = Var(shape=shape, init=bias_mant)
        self.bias_exp = Var(shape=shape, init=bias_exp)
        self.spiking = Var(shape=shape, init=spiking)
        self.soft = Var(shape=shape, init=soft)


def _reset_and_send(model: Any, threshold: np.ndarray) -> None:
    """Spike, reset (hard or soft per neuron) and send spikes and voltages."""
    spikes = (model.v > threshold) & (model.spiking > 0)
    soft = spikes & (model.soft > 0)
    hard = spikes & ~(model.soft > 0)
    model.v[soft] = model.v[soft] - threshold[soft]
    model.v[hard] = 0
    model.s_out.send(spikes)
    model.v_out.send(model.v)


@implements(proc=SnnPopulation, protocol=LoihiProtocol)
@requires(CPU)
@tag("floating_pt")
class PySnnPopulationFloat(AbstractPyLifModelFloat):
    a_in: PyInPort = LavaPyType(PyInPort.VEC_DENSE, float)
    th_in: PyInPort = LavaPyType(PyInPort.VEC_DENSE, float)
    s_out: PyOutPort = LavaPyType(PyOutPort.VEC_DENSE, float)
    v_out: PyOutPort = LavaPyType(PyOutPort.VEC_DENSE, float)
    u: np.ndarray = LavaPyType(np.ndarray, float)
    v: np.ndarray = LavaPyType(np.ndarray, float)
    theta: np.ndarray = LavaPyType(np.ndarray, float)
    du: np.ndarray = LavaPyType(np.ndarray, float)
    dv: np.ndarray = LavaPyType(np.ndarray, float)
    dth: np.ndarray = LavaPyType(np.ndarray, float)
    vth: np.ndarray = LavaPyType(np.ndarray, float)
    bias_mant: np.ndarray = LavaPyType(np.ndarray, float)
    bias_exp: np.ndarray = LavaPyType(np.ndarray, float)
    spiking: np.ndarray = LavaPyType(np.ndarray, float)
    soft: np.ndarray = LavaPyType(np.ndarray, float)

    def run_spk(self) -> None:
        a_in = self.a_in.recv()
        th_in = self.th_in.recv()
        self.subthr_dynamics(activation_in=a_in)  # Lava's float LIF equations for u and v
        self.theta[:] = self.theta * (1 - self.dth) + th_in
        _reset_and_send(self, self.vth + self.theta)


@implements(proc=SnnPopulation, protocol=LoihiProtocol)
@requires(CPU)
@tag("fixed_pt", "bit_accurate_loihi")
class PySnnPopulationFixed(AbstractPyLifModelFixed):
    a_in: PyInPort = LavaPyType(PyInPort.VEC_DENSE, np.int32, precision=16)
    th_in: PyInPort = LavaPyType(PyInPort.VEC_DENSE, np.int32, precision=16)
    s_out: PyOutPort = LavaPyType(PyOutPort.VEC_DENSE, np.int32, precision=1)
    v_out: PyOutPort = LavaPyType(PyOutPort.VEC_DENSE, np.int32, precision=24)
    u: np.ndarray = LavaPyType(np.ndarray, np.int32, precision=24)
    v: np.ndarray = LavaPyType(np.ndarray, np.int32, precision=24)
    theta: np.ndarray = LavaPyType(np.ndarray, np.int32, precision=24)
    du: np.ndarray = LavaPyType(np.ndarray, np.int32, precision=12)
    dv: np.ndarray = LavaPyType(np.ndarray, np.int32, precision=12)
    dth: np.ndarray = LavaPyType(np.ndarray, np.int32, precision=12)
    vth: np.ndarray = LavaPyType(np.ndarray, np.int32, precision=17)
    bias_mant: np.ndarray = LavaPyType(np.ndarray, np.int16, precision=13)
    bias_exp: np.ndarray = LavaPyType(np.ndarray, np.int16, precision=3)
    spiking: np.ndarray = LavaPyType(np.ndarray, np.int32, precision=1)
    soft: np.ndarray = LavaPyType(np.ndarray, np.int32, precision=1)

    def scale_threshold(self) -> None:
        self.effective_vth = np.left_shift(self.vth.astype(np.int64), self.vth_shift)
        self.isthrscaled = True

    def run_spk(self) -> None:
        # The injector streams float arrays holding integers; Lava's fixed LIF shifts them.
        a_in = np.asarray(self.a_in.recv()).astype(np.int64)
        th_in = np.asarray(self.th_in.recv()).astype(np.int64)
        self.scale_bias()
        if not self.isthrscaled:
            self.scale_threshold()
        self.subthr_dynamics(activation_in=a_in)  # Lava's bit-accurate u/v arithmetic
        theta = fxp._decay(self.theta.astype(np.int64), self.dth.astype(np.int64)) + (th_in << fxp.ACT_SHIFT)
        self.theta[:] = np.clip(theta, -fxp.MAX_STATE + 1, fxp.MAX_STATE - 1)
        _reset_and_send(self, self.effective_vth + self.theta.astype(np.int64))


_SIGN_MODES = {"excitatory": SignMode.EXCITATORY, "inhibitory": SignMode.INHIBITORY, "mixed": SignMode.MIXED}


class LavaNetwork:
    """A network running in Lava; ``step`` streams one input and returns spikes and voltages.

    Use as a context manager (or call :meth:`stop`): Lava runs its processes in
    separate OS processes that must be shut down. :meth:`from_fixed` builds one from a
    network already in Loihi's integer representation (``fixed`` mode).
    """

    def __init__(self, spec: NetworkSpec, mode: str = "float") -> None:
        if mode not in LAVA_MODES:
            raise ValueError(f"unknown Lava mode {mode!r}; choose from {sorted(LAVA_MODES)}")
        self.spec: NetworkSpec | None = spec
        if mode == "fixed":
            self._build(fxp.quantise(spec), [c.sparse for c in spec.connections])
            return
        self.mode, self.fixed_network = mode, None
        populations = {pop.name: dict(du=pop.params["du"], dv=pop.params["dv"],
                                      dth=pop.params.get("dth", np.zeros(pop.size)),
                                      vth=pop.params.get("vth", np.zeros(pop.size)), bias_mant=pop.params["bias"],
                                      bias_exp=np.zeros(pop.size), spiking=np.full(pop.size, float(pop.spiking)),
                                      soft=np.full(pop.size, float(pop.reset == "soft")))
                       for pop in spec.populations}
        # Sparse connections become Lava Sparse processes (only non-zero synapses exist,
        # as on the chip); both have the same one-step output buffer.
        synapses = [(c.source, c.target, c.port,
                     (Sparse if c.sparse else Dense)(weights=(csr_matrix if c.sparse else np.asarray)(
                         np.asarray(c.weight, dtype=float)), name=f"conn{i}"))
                    for i, c in enumerate(spec.connections)]
        self._wire(layout(spec), populations, synapses)

    @classmethod
    def from_fixed(cls, fixed: fxp.FixedNetwork) -> "LavaNetwork":
        """A fixed-point Lava network of ``fixed`` as it stands (no quantisation here); its
        scipy sparse connections become ``Sparse`` processes."""
        net = cls.__new__(cls)
        net.spec = None
        net._build(fixed, [issparse(c.weight) for c in fixed.connections])
        return net

    def _build(self, fixed: fxp.FixedNetwork, sparse: list[bool]) -> None:
        """The fixed-point graph; ``sparse`` says per connection whether Lava runs it sparsely.
        Each connection's populations are the layout's slices it joins."""
        self.mode, self.fixed_network = "fixed", fixed
        lay = fixed.layout
        by_slice = {(sl.start, sl.stop): name for name, sl in lay.slices.items()}
        populations = {name: dict(du=fixed.du[sl], dv=fixed.dv[sl], dth=fixed.dth[sl], vth=fixed.vth[sl],
                                  bias_mant=fixed.bias_mant[sl], bias_exp=fixed.bias_exp[sl],
                                  spiking=fixed.spiking[sl].astype(int), soft=fixed.soft[sl].astype(int))
                       for name, sl in lay.slices.items()}
        synapses = []
        for i, (fc, is_sparse) in enumerate(zip(fixed.connections, sparse)):
            kind, pack = (Sparse, csr_matrix) if is_sparse else (Dense, np.asarray)
            synapses.append((by_slice[(fc.source.start, fc.source.stop)], by_slice[(fc.target.start, fc.target.stop)],
                             fc.port, kind(weights=pack(fc.weight).astype(np.int32), weight_exp=fc.weight_exp,
                                           num_weight_bits=8, sign_mode=_SIGN_MODES[fc.sign_mode], name=f"conn{i}")))
        self._wire(lay, populations, synapses)

    def _wire(self, lay: Any, populations: dict[str, dict[str, np.ndarray]],
              synapses: list[tuple[str, str, str, Any]]) -> None:
        """Create the population processes with their taps and connect the synapses."""
        self.layout = lay
        self.n_inputs = lay.input_slice.stop - lay.input_slice.start
        self.populations: dict[str, SnnPopulation] = {}
        self.spike_taps: dict[str, Extractor] = {}
        self.voltage_taps: dict[str, Extractor] = {}
        for name, kw in populations.items():
            size = lay.slices[name].stop - lay.slices[name].start
            proc = SnnPopulation(shape=(size,), name=name, **kw)
            self.populations[name] = proc
            spikes_out = Extractor(shape=(size,), buffer_size=8, channel_config=_NON_BLOCKING)
            proc.s_out.connect(spikes_out.in_port)
            self.spike_taps[name] = spikes_out
            volts_out = Extractor(shape=(size,), buffer_size=8, channel_config=_NON_BLOCKING)
            proc.v_out.connect(volts_out.in_port)
            self.voltage_taps[name] = volts_out
        for source, target, port, synapse in synapses:
            self.populations[source].s_out.connect(synapse.s_in)
            synapse.a_out.connect(self.populations[target].th_in if port == "threshold"
                                  else self.populations[target].a_in)
        input_name = next(name for name, sl in lay.slices.items() if sl == lay.input_slice)
        self.injector = Injector(shape=(self.n_inputs,), buffer_size=8, channel_config=_NON_BLOCKING)
        self.injector.out_port.connect(self.populations[input_name].a_in)
        self._running = False
        self.steps = 0

    def run_config(self) -> Loihi2SimCfg:
        floating = self.mode == "float"
        return Loihi2SimCfg(select_tag=LAVA_MODES[self.mode], exception_proc_model_map={
            Injector: PyLoihiInjectorModel, Extractor: PyLoihiExtractorModel,
            Dense: PyDenseModelFloat if floating else PyDenseModelBitAcc,
            Sparse: PySparseModelFloat if floating else PySparseModelBitAcc,
            SnnPopulation: PySnnPopulationFloat if floating else PySnnPopulationFixed})

    def start(self) -> None:
        if not self._running:
            self.injector.run(condition=RunContinuous(), run_cfg=self.run_config())
            self._running = True

    def stop(self) -> None:
        """Stop the Lava runtime.

        With RunContinuous the processes sit blocked in the injector's input wait, where
        they cannot see Lava's stop command; a helper thread feeds zero inputs until the
        runtime has stopped (outputs of those extra steps are dropped, never read).
        """
        if not self._running:
            return
        stopped = threading.Event()
        zeros = np.zeros(self.n_inputs)

        def feed() -> None:
            while not stopped.is_set():
                self.injector.send(zeros)
                time.sleep(0.001)

        feeder = threading.Thread(target=feed, daemon=True)
        feeder.start()
        try:
            self.injector.stop()
        finally:
            stopped.set()
            feeder.join()
            self._running = False

    def __enter__(self) -> "LavaNetwork":
        self.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    def step(self, current: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Stream one input (float units); returns (spikes, voltages in float units), flat order."""
        self.start()
        current = np.asarray(current, dtype=np.float64).reshape(self.n_inputs)
        if self.mode == "fixed":
            current = self.fixed_network.input_to_int(current).astype(np.float64)
        self.injector.send(current)
        spikes = np.zeros(self.layout.n)
        volts = np.zeros(self.layout.n)
        for name, sl in self.layout.slices.items():
            spikes[sl] = self.spike_taps[name].receive()
            volts[sl] = self.voltage_taps[name].receive()
        if self.mode == "fixed":
            volts = self.fixed_network.voltage_to_float(volts)
        self.steps += 1
        return spikes, volts

    def run(self, currents: np.ndarray) -> dict[str, np.ndarray]:
        """Step through ``currents`` (T, n_inputs); traces like :meth:`Simulator.run`."""
        spikes, volts = [], []
        for x in currents:
            s, v = self.step(x)
            spikes.append(s)
            volts.append(v)
        return {"spikes": np.stack(spikes), "v": np.stack(volts)}


def hardware_run_config(mode: str = "fixed") -> Any:
    """``Loihi2HwCfg`` for a real Loihi 2 board, or a clear error naming what is missing."""
    try:
        from lava.magma.core.run_configs import Loihi2HwCfg
        import lava.magma.compiler.subcompilers.nc  # noqa: F401  (only in Intel's lava-loihi)
    except ImportError as exc:
        raise RuntimeError(
            "Loihi 2 hardware needs Intel's lava-loihi extension (distributed to Intel Neuromorphic "
            "Research Community members, not on PyPI) and access to a Loihi 2 system; it is not "
            f"installed here ({exc}). Use --target lava-sim for the bit-accurate CPU simulation.") from exc
    return Loihi2HwCfg()
