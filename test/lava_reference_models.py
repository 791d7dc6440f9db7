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
Lava's own bit-accurate LIF and Dense models against the engine's fixed point.

Run as a script by ``test_engine_lava.py`` (so that Lava's runtime lives in a process the
test owns and bounds): a relay population (ours) drives a Dense into Lava's built-in LIF;
the same network in the numpy fixed-point backend must give the same spikes and voltages.
Prints "matches" and exits 0, or fails with an assertion.
"""

import numpy as np
from snn_control.engine import fixed_point as fxp
from snn_control.engine.lava_compat import ensure_lava_importable
from snn_control.engine.network import Connection, make_population, NetworkSpec
from snn_control.engine.simulator import Simulator

STEPS = 200


def main() -> None:
    ensure_lava_importable()
    from lava.magma.core.run_conditions import RunSteps
    from lava.magma.core.run_configs import Loihi2SimCfg
    from lava.proc.dense.process import Dense
    from lava.proc.io.source import RingBuffer
    from lava.proc.lif.process import LIF
    from lava.proc.monitor.process import Monitor

    rng = np.random.default_rng(7)
    n_in, n = 8, 10
    spec = NetworkSpec(
        (
            make_population('in', n_in, 'cuba_lif', du=1, dv=1, vth=0.5),
            make_population('lif', n, 'cuba_lif', du=0.2, dv=0.1, vth=3.0, bias=0.05),
        ),
        (Connection('in', 'lif', rng.normal(0.3, 1.0, (n, n_in))),),
        'in',
        metadata={'input_range': 1.0},
    )
    spikes_in = (rng.random((STEPS, n_in)) < 0.3).astype(float)
    ref = Simulator(spec, library='numpy', mode='fixed').run(spikes_in)
    fixed = fxp.quantise(spec)
    sl = fixed.layout.slices['lif']
    conn = fixed.connections[0]
    # Lava's own processes, fed by a spike generator replaying the relay's spikes.
    src = RingBuffer(data=ref['spikes'][:, fixed.layout.slices['in']].T.astype(int))
    dense = Dense(weights=conn.weight, weight_exp=conn.weight_exp, num_weight_bits=8)
    lif = LIF(
        shape=(n,),
        du=int(fixed.du[sl][0]),
        dv=int(fixed.dv[sl][0]),
        vth=int(fixed.vth[sl][0]),
        bias_mant=fixed.bias_mant[sl],
        bias_exp=fixed.bias_exp[sl],
    )
    src.s_out.connect(dense.s_in)
    dense.a_out.connect(lif.a_in)
    mon_v, mon_s = Monitor(), Monitor()
    mon_v.probe(lif.v, STEPS)
    mon_s.probe(lif.s_out, STEPS)
    lif.run(condition=RunSteps(num_steps=STEPS), run_cfg=Loihi2SimCfg(select_tag='fixed_pt'))
    v = mon_v.get_data()[lif.name]['v']
    s = mon_s.get_data()[lif.name]['s_out']
    lif.stop()
    # The ring buffer emits its first spikes at step 1 where our relay spikes at step 1 too
    # (same one-hop delay into the LIF), so the traces align step for step.
    np.testing.assert_array_equal(v, ref['v'][:, sl] * 2.0 ** fixed.scale_exp[sl])
    np.testing.assert_array_equal(s, ref['spikes'][:, sl])
    assert s.sum() > 10
    print('matches')


if __name__ == '__main__':
    main()
