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
Lava backend parity: torch fixed point equals Lava fixed_pt bit for bit, float within 1e-5.

Real Lava processes run here (Loihi2SimCfg on the CPU, separate OS processes per Lava
process), streaming through Injector/Extractor exactly as a closed loop does.
"""

from pathlib import Path
import sys

import numpy as np
import pytest
from random_networks import random_inputs, random_network
from snn_control.engine.simulator import Simulator
from snn_control.processes import run_bounded
import torch

STEPS = 200


@pytest.mark.parametrize('mode', ['fixed', 'float'])
@pytest.mark.parametrize('seed', [0, 1, 2])
def test_lava_matches_torch(seed, mode):
    from snn_control.engine.lava_backend import LavaNetwork

    spec, x = random_network(seed), random_inputs(seed, STEPS)
    ref = Simulator(spec, library='torch', mode=mode, dtype=torch.float64).run(
        torch.tensor(x)[:, None, :]
    )
    with LavaNetwork(spec, mode) as net:
        got = net.run(x)
    ref_spikes, ref_v = ref['spikes'][:, 0].numpy(), ref['v'][:, 0].numpy()
    assert ref_spikes.sum() > 100
    if mode == 'fixed':
        np.testing.assert_array_equal(got['spikes'], ref_spikes)
        np.testing.assert_array_equal(got['v'], ref_v)  # bit for bit (same integers, same scale)
    else:
        np.testing.assert_array_equal(got['spikes'], ref_spikes)
        np.testing.assert_allclose(got['v'], ref_v, atol=1e-5, rtol=0)


def test_fixed_point_matches_lavas_own_lif_and_dense():
    """
    Cross-check against Intel's PyLifModelBitAcc/PyDenseModelBitAcc.

    Not our subclasses (``lava_reference_models.py``). Lava's runtime runs there in a process of
    its own, which is ended with everything it started if it fails or takes too long.
    """
    out = run_bounded(
        [sys.executable, str(Path(__file__).with_name('lava_reference_models.py'))], timeout=180
    )
    assert out.returncode == 0 and 'matches' in out.stdout, out.stdout + out.stderr


def test_python311_fix_is_narrow():
    """In a fresh interpreter: Lava's compiler module imports only with our hook installed."""
    code = (
        'import sys; from snn_control.engine.lava_compat import ensure_lava_importable, '
        'patched_field_count\n'
        "try:\n    import lava.magma.compiler.var_model\n    print('imported-without-fix')\n"
        "except ValueError as e:\n    print('fails-without-fix:', 'default_factory' in str(e))\n"
        "for m in [k for k in sys.modules if k.startswith('lava.magma.compiler.var_model')]: del "
        'sys.modules[m]\n'
        'ensure_lava_importable()\nimport lava.magma.compiler.var_model as vm\n'
        "a, b = vm.LoihiNeuronAddress, vm.LoihiSynapseVarModel\nprint('patched', "
        'patched_field_count())\n'
    )
    out = run_bounded([sys.executable, '-c', code], timeout=120)
    assert 'fails-without-fix: True' in out.stdout, out.stdout + out.stderr
    assert 'patched 8' in out.stdout, out.stdout + out.stderr


def test_lava_runs_after_another_library_fixed_the_start_method():
    """
    Run Lava after tqdm (and others) fixed the multiprocessing context.

    They fix it before Lava's runtime sets 'fork'.
    """
    code = (
        'import multiprocessing, numpy as np\n'
        'from tqdm import tqdm\nlist(tqdm(range(2), disable=False))\n'
        "assert multiprocessing.get_start_method(allow_none=True) == 'fork'\n"
        'from snn_control.controllers.registry import make_controller\n'
        "c = make_controller('spiking_pd', 0.05, kp=6.0, kd=8.0, backend='lava-float')\n"
        "print('command', float(c.step(np.array([0.3]))[0])); c.close()\n"
    )
    out = run_bounded([sys.executable, '-c', code], timeout=180)
    assert out.returncode == 0 and 'command' in out.stdout, out.stdout + out.stderr
