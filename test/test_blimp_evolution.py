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

"""The blimp SNNs' evolution: parameter bounds, fitness, determinism and resuming."""

import numpy as np
import pytest
from snn_control.blimp.evolve import evolve, fitness
from snn_control.blimp.networks import (
    build_network,
    decode,
    encode,
    genotype,
    n_parameters,
    parameter_blocks,
)


@pytest.mark.parametrize('role', ['pd', 'i'])
def test_decoded_parameters_respect_the_papers_bounds(role):
    rng = np.random.default_rng(0)
    for x in (
        np.zeros(n_parameters(role)),
        np.ones(n_parameters(role)),
        rng.uniform(-1, 2, n_parameters(role)),
    ):
        p = decode(role, x)
        for b in parameter_blocks(role):
            assert p[b.name].min() >= b.low - 1e-12 and p[b.name].max() <= b.high + 1e-12
    spec = build_network(role, rng.uniform(0, 1, n_parameters(role)))
    assert spec.n_neurons <= 80
    if role == 'i':
        assert 1.0 - spec.population('readout').params['dv'][0] <= 0.3  # decoder keeps at most 0.3


def test_fitness_of_the_target_is_zero_and_of_silence_is_large():
    target = np.sin(np.linspace(0, 10, 200))
    assert fitness(target[None, :], target)[0] == pytest.approx(0.0, abs=1e-12)
    assert fitness(np.zeros((1, 200)), target)[0] > 1.5
    assert fitness(-target[None, :], target)[0] > 2.5


def test_resumed_evolution_equals_an_uninterrupted_one(tmp_path):
    ck = tmp_path / 'ck.pkl'
    evolve('pd', 2, population=6, seed=3, checkpoint=ck, checkpoint_every=1, progress=False)
    resumed = evolve(
        'pd',
        4,
        population=6,
        seed=3,
        checkpoint=ck,
        resume=True,
        checkpoint_every=1,
        progress=False,
    )
    straight = evolve('pd', 4, population=6, seed=3, progress=False)
    assert resumed['generation'] == straight['generation'] == 4
    assert resumed['history'] == straight['history']
    np.testing.assert_array_equal(resumed['es'].mean, straight['es'].mean)
    assert np.isfinite(straight['best_f'])


def test_resume_without_checkpoint_is_a_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError, match='needs an existing checkpoint'):
        evolve('pd', 2, checkpoint=tmp_path / 'none.pkl', resume=True, progress=False)


@pytest.mark.parametrize('role', ['pd', 'i'])
def test_encode_inverts_build_network(role):
    x = np.random.default_rng(1).uniform(0, 1, n_parameters(role))
    np.testing.assert_allclose(encode(role, build_network(role, x)), x, atol=1e-12)


def test_closed_loop_tuning_flies_the_population_on_common_random_numbers():
    from snn_control.blimp.finetune import fly_population, scenario

    rng = np.random.default_rng(2)
    x_pd, x_i = rng.uniform(0.3, 0.7, (1, n_parameters('pd'))), rng.uniform(
        0.3, 0.7, (1, n_parameters('i'))
    )
    case = dict(scenario(0), profile=[(3.0, 0.8), (3.0, 1.2)])  # short: 60 ticks
    costs = fly_population(np.repeat(x_pd, 3, axis=0), np.repeat(x_i, 3, axis=0), case)
    assert costs.shape == (3,) and np.all(np.isfinite(costs)) and np.all(costs > 0)
    assert costs[0] == costs[1] == costs[2]  # same candidate, same scenario and noise: same cost


def test_ray_executor_gives_the_same_evolution_as_in_process():
    pytest.importorskip('ray')
    from snn_control.blimp.executors import RayExecutor

    executor = RayExecutor(num_cpus=2)  # a local Ray instance: two worker processes
    try:
        on_ray = evolve('pd', 2, population=6, seed=5, progress=False, executor=executor, jobs=2)
    finally:
        executor.close()
    here = evolve('pd', 2, population=6, seed=5, progress=False)
    np.testing.assert_allclose(
        [h[1:] for h in on_ray['history']], [h[1:] for h in here['history']], rtol=1e-6
    )
    np.testing.assert_allclose(on_ray['es'].mean, here['es'].mean, rtol=1e-6)


def test_thrust_reversals_ignore_the_deadzone():
    from snn_control.blimp.finetune import thrust_reversals_per_s

    u = np.array([1.0, 0.2, -0.1, 1.0, -1.0, 0.0, -2.0, 2.0, 0.25, 3.0])  # 10 ticks = 1 s
    assert thrust_reversals_per_s(u) == pytest.approx(
        2.0
    )  # 1 -> -1 and -2 -> 2; small commands do not count


def test_thermometer_genotype_evolves_resumes_and_refuses_a_checkpoint_of_the_other_genotype(
    tmp_path,
):
    ck = tmp_path / 'ck.pkl'
    first = evolve(
        'i',
        2,
        population=6,
        seed=3,
        checkpoint=ck,
        checkpoint_every=1,
        progress=False,
        genotype_name='thermometer',
    )
    assert first['genotype'] == 'thermometer' and first['es'].mean.size == genotype(
        'thermometer'
    ).n_parameters('i')
    assert np.isfinite(first['best_f'])
    with pytest.raises(ValueError, match="'thermometer' genotype, not 'direct'"):
        evolve('i', 3, population=6, seed=3, checkpoint=ck, resume=True, progress=False)
    resumed = evolve(
        'i',
        3,
        population=6,
        seed=3,
        checkpoint=ck,
        resume=True,
        progress=False,
        genotype_name='thermometer',
    )
    assert resumed['generation'] == 3


def test_closed_loop_tuning_flies_thermometer_networks():
    from snn_control.blimp.finetune import fly_population, scenario
    from snn_control.blimp.thermometer import design_genotype

    x_pd = design_genotype('pd', kp=8.0, kd=12.0, tau_s=0.2)[None, :]
    x_i = design_genotype('i', ki=0.5)[None, :]
    case = dict(scenario(0), profile=[(3.0, 0.8), (3.0, 1.2)])
    costs = fly_population(
        np.repeat(x_pd, 2, axis=0),
        np.repeat(x_i, 2, axis=0),
        case,
        genotypes=('thermometer', 'thermometer'),
    )
    assert costs.shape == (2,) and np.all(np.isfinite(costs)) and costs[0] == costs[1]
