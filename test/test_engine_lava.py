"""Lava backend parity: torch fixed point equals Lava fixed_pt bit for bit, float within 1e-5.

Real Lava processes run here (Loihi2SimCfg on the CPU, separate OS processes per Lava
process), streaming through Injector/Extractor exactly as a closed loop does.
"""
import subprocess
import sys
import warnings

import numpy as np
import pytest
import torch

from random_networks import random_inputs, random_network
from snn_control.engine import fixed_point as fxp
from snn_control.engine.simulator import Simulator

warnings.filterwarnings("ignore", message="Cannot import module")
STEPS = 200


@pytest.mark.parametrize("mode", ["fixed", "float"])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_lava_matches_torch(seed, mode):
    from snn_control.engine.lava_backend import LavaNetwork

    spec, x = random_network(seed), random_inputs(seed, STEPS)
    ref = Simulator(spec, library="torch", mode=mode, dtype=torch.float64).run(torch.tensor(x)[:, None, :])
    with LavaNetwork(spec, mode) as net:
        got = net.run(x)
    ref_spikes, ref_v = ref["spikes"][:, 0].numpy(), ref["v"][:, 0].numpy()
    assert ref_spikes.sum() > 100
    if mode == "fixed":
        np.testing.assert_array_equal(got["spikes"], ref_spikes)
        np.testing.assert_array_equal(got["v"], ref_v)  # bit for bit (same integers, same scale)
    else:
        np.testing.assert_array_equal(got["spikes"], ref_spikes)
        np.testing.assert_allclose(got["v"], ref_v, atol=1e-5, rtol=0)


def test_fixed_point_matches_lavas_own_lif_and_dense():
    """Cross-check against Intel's PyLifModelBitAcc/PyDenseModelBitAcc, not our subclasses.

    A relay population (ours) drives a Dense into Lava's built-in LIF; the same network in
    the torch fixed-point backend must give the same spikes and voltages.
    """
    from snn_control.engine.lava_procs.process import SnnPopulation  # noqa: F401  (applies the 3.11 fix)
    from lava.magma.core.run_conditions import RunSteps
    from lava.magma.core.run_configs import Loihi2SimCfg
    from lava.proc.dense.process import Dense
    from lava.proc.lif.process import LIF
    from lava.proc.monitor.process import Monitor
    from snn_control.engine.network import Connection, NetworkSpec, make_population

    rng = np.random.default_rng(7)
    n_in, n = 8, 10
    spec = NetworkSpec((make_population("in", n_in, "cuba_lif", du=1, dv=1, vth=0.5),
                        make_population("lif", n, "cuba_lif", du=0.2, dv=0.1, vth=3.0, bias=0.05)),
                       (Connection("in", "lif", rng.normal(0.3, 1.0, (n, n_in))),), "in",
                       metadata={"input_range": 1.0})
    spikes_in = (rng.random((STEPS, n_in)) < 0.3).astype(float)
    ref = Simulator(spec, library="numpy", mode="fixed").run(spikes_in)
    fixed = fxp.quantise(spec)
    sl = fixed.layout.slices["lif"]
    conn = fixed.connections[0]
    # Lava's own processes, fed by a spike generator replaying the relay's spikes.
    from lava.proc.io.source import RingBuffer
    src = RingBuffer(data=ref["spikes"][:, fixed.layout.slices["in"]].T.astype(int))
    dense = Dense(weights=conn.weight, weight_exp=conn.weight_exp, num_weight_bits=8)
    lif = LIF(shape=(n,), du=int(fixed.du[sl][0]), dv=int(fixed.dv[sl][0]), vth=int(fixed.vth[sl][0]),
              bias_mant=fixed.bias_mant[sl], bias_exp=fixed.bias_exp[sl])
    src.s_out.connect(dense.s_in)
    dense.a_out.connect(lif.a_in)
    mon_v, mon_s = Monitor(), Monitor()
    mon_v.probe(lif.v, STEPS)
    mon_s.probe(lif.s_out, STEPS)
    lif.run(condition=RunSteps(num_steps=STEPS), run_cfg=Loihi2SimCfg(select_tag="fixed_pt"))
    v = mon_v.get_data()[lif.name]["v"]
    s = mon_s.get_data()[lif.name]["s_out"]
    lif.stop()
    # The ring buffer emits its first spikes at step 1 where our relay spikes at step 1 too
    # (same one-hop delay into the LIF), so the traces align step for step.
    np.testing.assert_array_equal(v, ref["v"][:, sl] * 2.0 ** fixed.scale_exp[sl])
    np.testing.assert_array_equal(s, ref["spikes"][:, sl])
    assert s.sum() > 10


def test_python311_fix_is_narrow():
    """In a fresh interpreter: Lava's compiler module imports only with our hook installed."""
    code = ("import sys; from snn_control.engine.lava_compat import ensure_lava_importable, patched_field_count\n"
            "try:\n    import lava.magma.compiler.var_model\n    print('imported-without-fix')\n"
            "except ValueError as e:\n    print('fails-without-fix:', 'default_factory' in str(e))\n"
            "for m in [k for k in sys.modules if k.startswith('lava.magma.compiler.var_model')]: del sys.modules[m]\n"
            "ensure_lava_importable()\nimport lava.magma.compiler.var_model as vm\n"
            "a, b = vm.LoihiNeuronAddress, vm.LoihiSynapseVarModel\nprint('patched', patched_field_count())\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert "fails-without-fix: True" in out.stdout, out.stdout + out.stderr
    assert "patched 8" in out.stdout, out.stdout + out.stderr


def test_lava_runs_after_another_library_fixed_the_start_method():
    """tqdm (and others) fix the multiprocessing context before Lava's runtime sets 'fork'."""
    code = ("import multiprocessing, numpy as np\n"
            "from tqdm import tqdm\nlist(tqdm(range(2), disable=False))\n"
            "assert multiprocessing.get_start_method(allow_none=True) == 'fork'\n"
            "from snn_control.controllers.registry import make_controller\n"
            "c = make_controller('spiking_pd', 0.05, kp=6.0, kd=8.0, backend='lava-float')\n"
            "print('command', float(c.step(np.array([0.3]))[0])); c.close()\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=180)
    assert out.returncode == 0 and "command" in out.stdout, out.stdout + out.stderr
