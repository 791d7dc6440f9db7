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
``snn-control bench deploy``: what each shipped network costs on a neuromorphic board.

Per network (``blimp_pd``, ``blimp_i``: the blimp's PD+I SNN flying the benchmark profile,
absolute steps with 30 s per step under negative buoyancy; ``swimmer_ncap``: the spiking
NCAP swimming one 1000-step episode):

* ``<net>_neurons``, ``<net>_synapses`` (non-zero weights);
* ``<net>_synops_per_tick``: synaptic operations per control tick, measured (spikes x
  fan-out, counted over the run, every network step of the tick);
* ``<net>_loihi_energy_uj_per_tick``: estimated from Loihi's per-operation energies
  (synaptic operations plus neuron updates; :mod:`snn_control.hardware.boards`);
* ``<net>_ann_macs_per_tick``: multiply-accumulates of an ANN with the same dense layers;
* ``<net>_fits_<board>``: 1 when the network fits the board (reasons: ``snn-control
  deploy --check``);
* ``<net>_lava_fixed_matches``: 1 when Lava's fixed-point simulation (``Loihi2SimCfg``)
  gives bit-identical commands to our fixed-point backend over the first 40 closed-loop
  ticks;
* ``<net>_nir_agreement_<consumer>`` (norse, snntorch, rockpool; ``<net>_nir_agreement`` is
  Norse's, and ``nir_consumers`` counts the consumers that ran): the network's NIR file run
  in an independent consumer, fed the input currents the network received in the run
  above: the fraction of (neuron, step) spike entries equal to ours, steps aligned for the
  consumer's undelayed edges (:mod:`snn_control.engine.nir_consumers` lists every semantic
  difference and how it is bridged); ``<net>_nir_readout_max_error``: the largest difference
  of the readout voltages (the network's output) there. ``blimp_i``'s adaptive thresholds
  are no NIR primitive, but its hidden neurons keep no voltage (``dv = 1``), so the export
  writes the threshold jumps as exact negated currents
  (:func:`~snn_control.engine.nir_io.threshold_as_current`).

Weight quantisation cost on the tasks: ``blimp_rmse_m_<b>bit``, ``swimmer_return_<b>bit``,
``vpr_recall_at_1_<b>bit`` and ``spikepoint_accuracy_<b>bit`` for 8- and 4-bit weights
(``float``, ``network`` and ``kernel`` for the unquantised ones).

Xylo: ``xylo_model_matches`` (:func:`xylo_figures`), ``blimp_xylo_*``
(:func:`blimp_xylo_figures`) and ``swimmer_xylo_*`` (:func:`swimmer_xylo_figures`), the
networks born for Xylo v2 with SynSense's ``xylosim`` stepping them.

``vpr_*``: the shipped place map's ensemble as an engine network
(:mod:`snn_control.vpr.network`), one tick = one query image; ``spikepoint_*``: the shipped
gesture recogniser, one tick = one event window, measured on its torch model and its NIR
graph (it is no network file: :func:`spikepoint_figures`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from snn_control.hardware.boards import (
    ann_macs,
    BOARDS,
    check_fit,
    fan_out_weights,
    loihi_energy_uj,
    quantise_weights,
    synapse_count,
)

if TYPE_CHECKING:
    from snn_control.controllers.spiking import SpikingController
    from snn_control.engine.network import NetworkSpec

LAVA_TICKS = 40
#: Queries (VPR) and windows (SpikePoint) whose spikes are counted for the activity figures.
ACTIVITY_QUERIES = 20
ACTIVITY_WINDOWS = 64
#: Every how many held-out windows the Loihi fixed-point SpikePoint is scored (about 1 s
#: per window on one core: the whole held-out set would take 20 minutes).
LOIHI_SAMPLE_STRIDE = 10


class _InputRecorder:
    """
    Stand in for a SpikingController's encoder, keeping its currents.

    Every current it produced since the controller's reset is kept: what the network received (each
    held ``steps_per_tick`` steps).
    """

    def __init__(self, controller: SpikingController) -> None:
        self.controller, self.encoder = controller, controller.encoder
        self.n_outputs = self.encoder.n_outputs
        self.currents: list[np.ndarray] = []
        controller.encoder = self

    def encode(self, signal: np.ndarray) -> np.ndarray:
        current = self.encoder.encode(signal)
        self.currents.append(current)
        return current

    def reset(self) -> None:
        self.encoder.reset()
        self.currents.clear()

    def detach(self) -> np.ndarray:
        """Give the controller its encoder back; the network's input per network step."""
        self.controller.encoder = self.encoder
        return np.repeat(np.array(self.currents), self.controller.steps_per_tick, axis=0)


def _nir_figures(name: str, spec: NetworkSpec, currents: np.ndarray) -> dict[str, float]:
    """Agreement of every NIR consumer (Norse, snnTorch, Rockpool) with our simulator."""
    from snn_control.engine.nir_consumers import nir_figures

    return nir_figures(name, spec, currents)


def _activity(controller, spec) -> tuple[float, float]:
    """(synaptic operations, neuron updates) per tick of a SpikingController since its reset."""
    synops = float((controller.spike_counts * fan_out_weights(spec)).sum()) / max(
        controller.ticks, 1
    )
    return synops, float(spec.n_neurons * controller.steps_per_tick)


def _network_figures(
    name: str, spec: NetworkSpec, synops: float, updates: float, lava_matches: bool
) -> dict[str, float]:
    """
    Size, activity, energy.

    ANN cost and board fits of one network (per tick: ``synops`` synaptic operations and
    ``updates`` neuron updates).
    """
    out = {
        f'{name}_neurons': spec.n_neurons,
        f'{name}_synapses': synapse_count(spec),
        f'{name}_synops_per_tick': round(synops, 1),
        f'{name}_loihi_energy_uj_per_tick': round(loihi_energy_uj(synops, updates), 4),
        f'{name}_ann_macs_per_tick': ann_macs(spec),
        f'{name}_lava_fixed_matches': int(lava_matches),
    }
    for board in BOARDS:
        out[f'{name}_fits_{board}'] = int(check_fit(spec, board).fits)
    return out


def _blimp_commands(backend: str, ticks: int) -> list[float]:
    from snn_control.blimp.controller import blimp_snn
    from snn_control.sim.blimp import BlimpAltitudeEnv
    from snn_control.sim.closed_loop import run_closed_loop

    controller = blimp_snn(backend=backend)
    try:
        env = BlimpAltitudeEnv('absolute_steps', buoyancy='negative', step_s=30.0)
        return run_closed_loop(controller, env, seed=0, max_ticks=ticks).command.tolist()
    finally:
        controller.close()


def _swimmer_torques(backend: str, ticks: int) -> np.ndarray:
    from snn_control.engine.backends import backend_target
    from snn_control.swimmer.controllers import load_swimmer_controller, shipped_path
    from snn_control.swimmer.rollout import rollout

    controller = load_swimmer_controller(
        shipped_path('spiking_ncap', backend_target(backend)), backend=backend
    )
    try:
        return np.array(
            rollout(controller, 6, seed=0, steps=ticks, record=True)['trace']['torque']
        )
    finally:
        controller.close()


def run(quick: bool = False) -> dict[str, float]:
    from snn_control.blimp.controller import blimp_snn, SummedSpikingController
    from snn_control.controllers.spiking import SpikingController
    from snn_control.sim.blimp import BlimpAltitudeEnv
    from snn_control.sim.closed_loop import run_closed_loop, step_metrics
    from snn_control.swimmer.controllers import load_swimmer_controller, shipped_path
    from snn_control.swimmer.ncap import SpikingNcap
    from snn_control.swimmer.rollout import rollout

    step_s = 10.0 if quick else 30.0
    results: dict[str, float] = {}

    def blimp_env() -> BlimpAltitudeEnv:
        return BlimpAltitudeEnv('absolute_steps', buoyancy='negative', step_s=step_s)

    snn = blimp_snn()
    recorders = {}
    for role, part in snn.parts.items():
        part.count_spikes()
        recorders[role] = _InputRecorder(part)
    trace = run_closed_loop(snn, blimp_env(), seed=0)
    results['blimp_rmse_m_float'] = round(step_metrics(trace, steady_window_s=10.0)['rmse_m'], 4)
    blimp_lava = _blimp_commands('numpy-fixed', LAVA_TICKS) == _blimp_commands(
        'lava-fixed', LAVA_TICKS
    )
    for role, part in snn.parts.items():
        results.update(
            _network_figures(f'blimp_{role}', part.spec, *_activity(part, part.spec), blimp_lava)
        )
        results.update(_nir_figures(f'blimp_{role}', part.spec, recorders[role].detach()))

    swimmer = load_swimmer_controller(shipped_path('spiking_ncap'))
    swimmer.network.count_spikes()
    recorder = _InputRecorder(swimmer.network)
    results['swimmer_return_float'] = round(rollout(swimmer, 6, seed=0)['return'], 1)
    swim_lava = bool(
        np.array_equal(
            _swimmer_torques('numpy-fixed', LAVA_TICKS), _swimmer_torques('lava-fixed', LAVA_TICKS)
        )
    )
    results.update(
        _network_figures(
            'swimmer_ncap', swimmer.spec, *_activity(swimmer.network, swimmer.spec), swim_lava
        )
    )
    results.update(_nir_figures('swimmer_ncap', swimmer.spec, recorder.detach()))

    for bits in (8, 4):
        parts = {}
        for role, part in snn.parts.items():
            spec = quantise_weights(part.spec, bits)
            parts[role] = SpikingController(
                spec,
                part.encoder,
                part.readouts,
                0.1,
                part.command_low,
                part.command_high,
                part.output_gain,
                part.steps_per_tick,
            )
        quantised = SummedSpikingController(parts, 0.1)
        results[f'blimp_rmse_m_{bits}bit'] = round(
            step_metrics(run_closed_loop(quantised, blimp_env(), seed=0), steady_window_s=10.0)[
                'rmse_m'
            ],
            4,
        )
        ncap = SpikingNcap(swimmer.n_joints, swimmer.joint_limit, swimmer.params)
        ncap.network = SpikingController(
            quantise_weights(swimmer.spec, bits),
            ncap.network.encoder,
            ['torque'],
            0.03,
            -1.0,
            1.0,
            steps_per_tick=ncap.network.steps_per_tick,
            n_inputs=ncap.network.n_inputs,
            n_outputs=ncap.n_joints,
        )
        results[f'swimmer_return_{bits}bit'] = round(rollout(ncap, 6, seed=0)['return'], 1)
    results.update(vpr_figures(quick))
    results.update(spikepoint_figures(quick))
    results.update(xylo_figures())
    results.update(blimp_xylo_figures(quick))
    results.update(swimmer_xylo_figures())
    return results


def xylo_figures(seeds: int = 3, steps: int = 200) -> dict[str, float]:
    """
    Check the engine's Xylo model against SynSense's ``xylosim`` on random networks.

    ``xylo_model_matches`` is 1 when spikes, membrane potentials and synaptic currents are
    equal bit for bit on every one of ``seeds`` random recurrent networks over ``steps``.
    """
    from snn_control.engine.xylo import model_matches_xylosim, random_config, random_inputs

    configs = [random_config(seed) for seed in range(seeds)]
    matches = [
        model_matches_xylosim(c, random_inputs(c, seed, steps)) for seed, c in enumerate(configs)
    ]
    return {
        'xylo_model_matches': int(all(matches)),
        'xylo_model_networks': seeds,
        'xylo_model_steps': steps,
    }


def blimp_xylo_figures(quick: bool = False) -> dict[str, float]:
    """
    Fly the Xylo-native blimp SNN, ``xylosim`` stepping it, beside the PID.

    The flight is ``bench blimp``'s (absolute steps, negative buoyancy, seed 0; 70 s steps,
    30 s with ``quick``). ``blimp_xylo_model_matches_xylosim`` is 1 when the engine's Xylo
    model flies the same commands bit for bit over the first 200 ticks.
    """
    from snn_control.bench.blimp import flight_figures
    from snn_control.blimp.controller import blimp_snn
    from snn_control.controllers.registry import make_controller
    from snn_control.engine.xylo_program import xylo_violations

    step_s = 30.0 if quick else 70.0
    snn = blimp_snn(backend='xylosim')
    results = flight_figures('blimp_xylo', snn, step_s)
    results.update(flight_figures('blimp_xylo_pid', make_controller('blimp_pid', 0.1), step_s))
    snn.close()
    results['blimp_xylo_rmse_ratio_to_pid'] = round(
        results['blimp_xylo_rmse_m'] / results['blimp_xylo_pid_rmse_m'], 4
    )
    for role, part in snn.parts.items():
        results[f'blimp_xylo_{role}_fits_xylo_v2'] = int(not xylo_violations(part.spec))
    results['blimp_xylo_model_matches_xylosim'] = int(
        _blimp_commands('xylo', 200) == _blimp_commands('xylosim', 200)
    )
    return results


def swimmer_xylo_figures() -> dict[str, float]:
    """
    Swim the Xylo-born NCAP, ``xylosim`` stepping it, beside the float spiking NCAP.

    Both swim ``swimmer_return_float``'s episode (6 links, seed 0, 1000 steps).
    ``swimmer_xylo_model_matches_xylosim`` is 1 when the engine's Xylo model gives the same
    torques bit for bit over the first 200 ticks.
    """
    from snn_control.engine.xylo_program import xylo_violations
    from snn_control.swimmer.controllers import load_swimmer_controller, shipped_path
    from snn_control.swimmer.rollout import rollout

    swimmers = {
        'float': load_swimmer_controller(shipped_path('spiking_ncap')),
        'xylo': load_swimmer_controller(shipped_path('xylo_ncap'), backend='xylosim'),
    }
    returns = {}
    for name, swimmer in swimmers.items():
        returns[name] = rollout(swimmer, 6, seed=0)['return']
        swimmer.close()
    xylo = swimmers['xylo']
    return {
        'swimmer_xylo_return': round(returns['xylo'], 1),
        'swimmer_xylo_float_return': round(returns['float'], 1),
        'swimmer_xylo_return_ratio': round(returns['xylo'] / returns['float'], 4),
        'swimmer_xylo_neurons': xylo.spec.n_neurons,
        'swimmer_xylo_fits_xylo_v2': int(not xylo_violations(xylo.spec)),
        'swimmer_xylo_model_matches_xylosim': int(
            np.array_equal(_swimmer_torques('xylo', 200), _swimmer_torques('xylosim', 200))
        ),
    }


def vpr_figures(quick: bool = False) -> dict[str, float]:
    """
    Return the shipped place map's ensemble as an engine network (:mod:`snn_control.vpr.network`).

    One tick = one query image (``query_steps`` network steps), on the winter queries of its 500
    Nordland places that did not calibrate it.
    """
    from snn_control.engine.lava_backend import LavaNetwork
    from snn_control.engine.simulator import Simulator
    from snn_control.shared_data import shared_data
    from snn_control.vpr.data import load_pair
    from snn_control.vpr.ensemble import place_scores, spike_counts
    from snn_control.vpr.metrics import recall_at_k
    from snn_control.vpr.network import ensemble_network, network_spike_counts, query_currents
    from snn_control.vpr.place_map import load_map, shipped_map_path

    place_map = load_map(shipped_map_path())
    ens = place_map.ensemble
    root = shared_data('vpr', 'nordland_trimmed_64x32')
    pair = load_pair(root / 'summer', root / 'winter')
    queries = np.setdiff1d(np.arange(place_map.n_places), place_map.calibration)
    if quick:
        queries = queries[::4]
    rates, truth = place_map.rates(pair.query.images[queries]), pair.ground_truth[queries]
    spec = ensemble_network(ens, place_map.network_inhibition)

    def recall(counts) -> float:
        return round(recall_at_k(-place_scores(ens, counts).numpy(), truth), 4)

    out = {
        'vpr_queries': len(queries),
        'vpr_recall_at_1_kernel': recall(spike_counts(ens, rates)),
        'vpr_recall_at_1_network': recall(network_spike_counts(ens, rates, spec=spec)),
        'vpr_network_inhibition': spec.metadata['inhibition'],
    }
    for bits in (8, 4):
        out[f'vpr_recall_at_1_{bits}bit'] = recall(
            network_spike_counts(ens, rates, spec=quantise_weights(spec, bits))
        )
    sample = rates[:ACTIVITY_QUERIES]
    spikes = Simulator(spec, library='numpy', batch_size=len(sample)).run(
        query_currents(ens, sample)
    )['spikes']
    synops = float((spikes.sum(axis=(0, 1)) * fan_out_weights(spec)).sum()) / len(sample)
    currents = query_currents(ens, rates[0])
    ours = Simulator(spec, library='numpy', mode='fixed').run(currents)['spikes']
    with LavaNetwork(spec, 'fixed') as net:
        lava = net.run(currents)['spikes']
    out.update(
        _network_figures(
            'vpr',
            spec,
            synops,
            float(spec.n_neurons * ens.config.query_steps),
            bool(np.array_equal(ours, lava)),
        )
    )
    out.update(_nir_figures('vpr', spec, currents))
    return out


def spikepoint_figures(quick: bool = False) -> dict[str, float]:
    """
    Return the shipped SpikePoint recogniser, one tick = one 0.5 s event window (``T`` steps).

    Measured on held-out windows as ``bench events`` measures it. It is no network file (its layers
    share weights over every point); its NIR graph (:mod:`snn_control.events.spikepoint_nir`) runs
    in Norse on the same windows: ``spikepoint_nir_agreement`` is the fraction of equal voter
    (neuron, step) spike entries, ``spikepoint_nir_label_agreement`` that of equal labels. Compiled
    to Loihi fixed point (:mod:`snn_control.events.spikepoint_loihi`: ``spikepoint_loihi_neurons``
    and ``_synapses`` with its relays and pooling neurons), Lava's bit-accurate run of two held-out
    windows equals the engine's integer step (``spikepoint_lava_fixed_matches``),
    ``spikepoint_fits_<board>`` checks the compiled network's structure against the boards, and on
    every :data:`LOIHI_SAMPLE_STRIDE`-th held-out window it classifies with
    ``spikepoint_accuracy_loihi_fixed_sample`` beside the float model's
    ``spikepoint_accuracy_float_sample`` on the same spikes.
    """
    from snn_control.bench.events import activity_per_window
    from snn_control.events.spikepoint import (
        load_classifier,
        quantised_classifier,
        shipped_classifier_path,
        SpikingLinear,
    )
    from snn_control.events.spikepoint_nir import compare_with_norse
    from snn_control.events.train_actions import evaluate, held_out_windows_of_shipped
    import torch

    classifier = load_classifier(shipped_classifier_path())
    held_out = held_out_windows_of_shipped(classifier)
    sample = held_out.windows[: 16 if quick else ACTIVITY_WINDOWS]
    activity = activity_per_window(classifier, sample)
    nir = compare_with_norse(classifier, sample)
    loihi = _spikepoint_loihi_figures(
        classifier, held_out, LOIHI_SAMPLE_STRIDE * (4 if quick else 1)
    )
    if quick:
        held_out = held_out.subset(np.arange(0, len(held_out), 4))
    accuracy = {
        f'spikepoint_accuracy_{bits}bit': round(
            evaluate(quantised_classifier(classifier, bits), held_out)['window_accuracy'], 4
        )
        for bits in (8, 4)
    }
    accuracy['spikepoint_accuracy_float'] = round(
        evaluate(classifier, held_out)['window_accuracy'], 4
    )
    weights = sum(
        int(torch.count_nonzero(layer.linear.weight))
        + (
            int(torch.count_nonzero(layer.group_linear.weight))
            if layer.group_linear is not None
            else 0
        )
        for layer in classifier.model.modules()
        if isinstance(layer, SpikingLinear)
    )
    steps = classifier.model.config.timesteps
    return {
        'spikepoint_neurons': round(activity['updates'] / steps),
        'spikepoint_synapses': weights,
        'spikepoint_synops_per_tick': round(activity['synops']),
        'spikepoint_loihi_energy_uj_per_tick': round(
            loihi_energy_uj(activity['synops'], activity['updates']), 2
        ),
        'spikepoint_ann_macs_per_tick': round(activity['macs']),
        'spikepoint_nir_agreement': round(nir.spikes, 4),
        'spikepoint_nir_label_agreement': round(nir.labels, 4),
        **loihi,
        **accuracy,
    }


def _spikepoint_loihi_figures(classifier, held_out, stride: int) -> dict[str, float]:
    """
    Return the compiled classifier: its size, Lava's parity on two windows.

    Its accuracy on a sample.
    """
    from snn_control.events.spikepoint_loihi import compile_classifier, evaluate_fixed, lava_parity
    import torch

    compiled = compile_classifier(classifier)
    parity = lava_parity(
        compiled,
        classifier.input_spikes(
            held_out.windows[:2], np.random.default_rng(0), torch.Generator().manual_seed(0)
        ),
    )
    index = np.arange(0, len(held_out), stride)
    result = evaluate_fixed(compiled, [held_out.windows[i] for i in index], held_out.labels[index])
    fits = {
        f'spikepoint_fits_{board}': int(check_fit(compiled.structure, board).fits)
        for board in BOARDS
    }
    return {
        'spikepoint_loihi_neurons': compiled.n_neurons,
        'spikepoint_loihi_synapses': compiled.n_synapses,
        **fits,
        'spikepoint_lava_fixed_matches': int(parity.differences == 0),
        'spikepoint_accuracy_loihi_fixed_sample': round(result['accuracy_fixed'], 4),
        'spikepoint_accuracy_float_sample': round(result['accuracy_float'], 4),
        'spikepoint_loihi_vote_agreement': round(result['vote_agreement'], 4),
        'spikepoint_loihi_sample_windows': result['windows'],
    }
