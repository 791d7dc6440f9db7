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

"""numpy and torch backends: same equations, batching, fixed point, surrogate gradients."""

import numpy as np
import pytest
from random_networks import random_inputs, random_network
from snn_control.engine import fixed_point as fxp
from snn_control.engine.network import Connection, make_population, NetworkSpec
from snn_control.engine.simulator import Simulator
import torch


@pytest.mark.parametrize('mode', ['float', 'fixed'])
@pytest.mark.parametrize('seed', [0, 1, 2])
def test_numpy_and_torch_agree(seed, mode):
    spec, x = random_network(seed), random_inputs(seed, 200)
    a = Simulator(spec, library='numpy', mode=mode).run(x)
    b = Simulator(spec, library='torch', mode=mode, dtype=torch.float64).run(
        torch.tensor(x)[:, None, :]
    )
    np.testing.assert_array_equal(a['spikes'], b['spikes'][:, 0].numpy())
    np.testing.assert_allclose(a['v'], b['v'][:, 0].numpy(), atol=1e-9)
    assert a['spikes'].sum() > 100, 'the random network should be active'


def test_lif_equations_by_hand():
    """One CUBA neuron against the equations written out: u, v, threshold, hard reset."""
    spec = NetworkSpec(
        (make_population('n', 1, 'cuba_lif', du=0.5, dv=0.25, vth=1.0, bias=0.1),), (), 'n'
    )
    sim = Simulator(spec, library='numpy')
    u = v = 0.0
    for t in range(30):
        x = 0.4
        u = u * 0.5 + x
        v = v * 0.75 + u + 0.1
        s = v > 1.0
        if s:
            v = 0.0
        st = sim.step([x])
        assert st.s[0] == s and st.v[0] == pytest.approx(v)


def test_soft_reset_and_adaptation():
    spec = NetworkSpec(
        (
            make_population('i', 1, 'cuba_lif', du=1, dv=1, vth=0.5),
            make_population(
                'n', 1, 'adaptive_lif', reset='soft', du=1.0, dv=0.0, vth=1.0, dth=0.5
            ),
        ),
        (
            Connection('i', 'n', np.array([[0.8]])),
            Connection('i', 'n', np.array([[0.3]]), port='threshold'),
        ),
        'i',
    )
    sim = Simulator(spec, library='numpy')
    thetas, spikes = [], []
    for _ in range(12):
        st = sim.step([1.0])
        thetas.append(st.theta[1])
        spikes.append(st.s[1])
    # theta follows theta <- 0.5 theta + 0.3 once the relay spikes arrive (one-step delay).
    assert thetas[0] == 0 and thetas[1] == pytest.approx(0.3) and thetas[2] == pytest.approx(0.45)
    assert 0 < sum(spikes) < 12
    # Soft reset keeps the residue above threshold: v never returns to exactly 0 after a spike.
    assert sim.state.v[1] != 0


def test_batched_per_sample_networks_match_individual_runs():
    specs = [random_network(s) for s in (5, 6, 7, 8)]
    x = random_inputs(0, 60)
    batched = Simulator(specs, library='torch', dtype=torch.float64)
    out = batched.run(torch.tensor(np.repeat(x[:, None, :], 4, axis=1)))
    for i, spec in enumerate(specs):
        single = Simulator(spec, library='numpy').run(x)
        np.testing.assert_array_equal(out['spikes'][:, i].numpy(), single['spikes'])


def test_structure_mismatch_in_batch_is_refused():
    with pytest.raises(ValueError, match='differs in structure'):
        Simulator([random_network(0), random_network(1, n_hidden=5)], library='torch')


def test_deterministic_under_seed():
    spec, x = random_network(3), torch.tensor(random_inputs(3, 100))[:, None, :]
    a = Simulator(spec, library='torch').run(x)['v']
    b = Simulator(spec, library='torch').run(x)['v']
    assert torch.equal(a, b)


def test_surrogate_gradient_trains_a_readout():
    """Gradient descent through spikes (SuperSpike surrogate) reduces a readout error."""
    torch.manual_seed(0)
    spec = random_network(4)
    sim = Simulator(spec, library='torch', surrogate_scale=5.0, batch_size=8)
    blocks = sim.params.current_blocks
    weights = [b.weight.clone().requires_grad_(True) for b in blocks]
    opt = torch.optim.Adam(weights, lr=0.02)
    x = torch.tensor(random_inputs(4, 40), dtype=torch.float32)[:, None, :].repeat(1, 8, 1)
    out_slice = sim.layout.slices['out']
    target = torch.tensor([1.0, -1.0, 0.5])
    losses = []
    for _ in range(25):
        sim.params = sim.params._replace(
            current_blocks=tuple(b._replace(weight=w) for b, w in zip(blocks, weights))
        )
        sim.reset()
        v = sim.run(x)['v'][:, :, out_slice]
        loss = ((v[-10:] - target) ** 2).mean()
        opt.zero_grad()
        loss.backward()
        for w in weights:
            assert torch.isfinite(w.grad).all()
        assert sum(w.grad.abs().sum() for w in weights) > 0
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < 0.5 * losses[0]


def test_fixed_point_weights_fit_loihi_and_spikes_track_float():
    spec = random_network(9)
    fixed = fxp.quantise(spec)
    for c in fixed.connections:
        assert c.weight.max() <= 255 and c.weight.min() >= -256
        if c.sign_mode == 'mixed':
            assert np.all(
                c.weight % 2 == 0
            ), 'mixed-sign mantissas must be even (Loihi drops the LSB)'
    assert np.all(fixed.vth <= fxp.VTH_MAX) and np.all(
        np.abs(fixed.bias_mant) <= fxp.BIAS_MANT_MAX
    )
    x = random_inputs(9, 200)
    f = Simulator(spec, library='numpy', mode='float').run(x)['spikes']
    q = Simulator(spec, library='numpy', mode='fixed').run(x)['spikes']
    assert (f == q).mean() > 0.97


def test_fixed_point_decay_truncates_toward_zero():
    x = np.array([-4097, -1, 0, 1, 4097], dtype=np.int64)
    np.testing.assert_array_equal(fxp._decay(x, 2048), [-2048, 0, 0, 0, 2048])
    np.testing.assert_array_equal(
        fxp._decay(torch.tensor(x), 2048).numpy(), [-2048, 0, 0, 0, 2048]
    )


def test_compiled_torch_step_matches_eager():
    spec, x = random_network(1), torch.tensor(random_inputs(1, 40), dtype=torch.float32)[
        :, None, :
    ].repeat(1, 4, 1)
    eager = Simulator(spec, library='torch', batch_size=4).run(x)
    compiled = Simulator(spec, library='torch', batch_size=4, compile=True).run(x)
    assert (eager['spikes'] == compiled['spikes']).float().mean() > 0.99
    torch.testing.assert_close(eager['v'], compiled['v'], atol=1e-3, rtol=0)


def test_backends_are_chosen_by_name_from_one_registry():
    from snn_control.engine.backends import backend_names, make_backend

    assert set(backend_names()) == {
        'numpy', 'numpy-fixed', 'torch', 'lava-float', 'lava-fixed', 'xylo', 'xylosim'
    }
    with pytest.raises(ValueError, match=r"unknown backend 'loihi3'; choose from \("):
        make_backend('loihi3', random_network(0))
    spec, x = random_network(0), random_inputs(0, 30)
    runs = {}
    for name in ('numpy', 'torch'):
        net = make_backend(name, spec)
        runs[name] = [tuple(a.copy() for a in net.step(xt)) for xt in x]
        net.reset()
        first_spikes = net.step(x[0])[0]
        assert np.array_equal(first_spikes, runs[name][0][0]), 'reset returns to the zero state'
        net.close()
    for (s_np, v_np), (s_t, v_t) in zip(runs['numpy'], runs['torch']):
        np.testing.assert_array_equal(s_np, s_t)
        np.testing.assert_allclose(v_np, v_t, atol=1e-4)
