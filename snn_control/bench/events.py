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
``snn-control bench events``: event decoding speed and the shipped action recogniser.

* ``evt3_decode_mev_per_s``: million events per second decoded from the real Prophesee
  EVT 3.0 recording (``../shared/data/events/prophesee_raw_expelliarmus/evt3_sample.raw``,
  Gen4.1 1280x720, 219,596 events) by :func:`snn_control.events.evt3.decode_evt3`, the
  decoder of the ROS ``EventPacket`` path; best of 20 runs, one core.
* ``accuracy``: the shipped SpikePoint recogniser (``weights/spikepoint_gestures.npz``) on
  the held-out recordings of its training dataset (the simulated gestures, seed 0, the
  training command's split by recording: no window of these recordings was trained on),
  per 0.5 s window; ``recording_accuracy`` with the scores of a recording's windows summed.
* ``params``: trainable parameters of the network.
* ``windows_per_s``: windows classified per second on one core (``torch.set_num_threads(1)``),
  preprocessing included (sampling, farthest-point sampling, kNN, rate coding, network).
* ``synops_per_window``, ``neuron_updates_per_window``, ``loihi_energy_uj_per_window``:
  measured activity on held-out windows (input spikes of every spiking layer times its
  fan-out; every neuron of every layer at each of the T steps) and the energy estimate
  from Loihi's per-operation energies (:mod:`snn_control.hardware.boards`);
  ``ann_macs_per_window``: multiply-accumulates of the same layers as a non-spiking network
  (one pass instead of T steps).
"""

from __future__ import annotations

from pathlib import Path
import time

import numpy as np

EVT3_FILE = ('events', 'prophesee_raw_expelliarmus', 'evt3_sample.raw')


def evt3_words(path: Path) -> np.ndarray:
    """Return the 16-bit words of a RAW file after its ``%`` header lines."""
    from snn_control.events.io import raw_header

    _, start = raw_header(path)
    raw = path.read_bytes()
    return np.frombuffer(raw[start:start + (len(raw) - start) // 2 * 2], dtype='<u2')


def evt3_rate(repeats: int = 20) -> float:
    from snn_control.events.evt3 import decode_evt3
    from snn_control.shared_data import shared_data

    words = evt3_words(shared_data(*EVT3_FILE))
    events, _ = decode_evt3(words)  # compiles the decoder on first use
    best = float('inf')
    for _ in range(repeats):
        start = time.perf_counter()
        decode_evt3(words)
        best = min(best, time.perf_counter() - start)
    return len(events) / best / 1e6


def activity_per_window(classifier, windows: list[np.ndarray], seed: int = 0) -> dict[str, float]:
    """
    Synaptic operations, neuron updates and ANN MACs per window.

    Counted with forward hooks on every spiking layer (the all-steps path, which computes the same
    function).
    """
    from snn_control.events.spikepoint import SpikingLinear
    import torch

    totals = {'synops': 0.0, 'updates': 0.0, 'macs': 0.0}

    def count(layer, inputs, output) -> None:
        x = inputs[0]
        steps, rows, n_in = x.shape
        n_out = layer.linear.out_features
        totals['synops'] += float(x.detach().sum()) * n_out
        totals['updates'] += steps * rows * n_out
        totals['macs'] += rows * n_in * n_out
        if layer.group_linear is not None and len(inputs) > 1 and inputs[1] is not None:
            groups = inputs[1]  # shared by the group's rows
            per_group_rows = rows // groups.shape[1]
            totals['synops'] += float(groups.detach().sum()) * n_out * per_group_rows
            totals['macs'] += rows * groups.shape[-1] * n_out

    model = classifier.model.eval()
    hooks = [
        m.register_forward_hook(count) for m in model.modules() if isinstance(m, SpikingLinear)
    ]
    try:
        spikes = classifier.input_spikes(
            windows, np.random.default_rng(seed), torch.Generator().manual_seed(seed)
        )
        with torch.enable_grad():  # the all-steps path, hooks fire
            model(spikes)
    finally:
        for hook in hooks:
            hook.remove()
    n = len(windows)
    return {
        'synops': totals['synops'] / n,
        'updates': totals['updates'] / n,
        'macs': totals['macs'] / n,
    }


def run(quick: bool = False) -> dict[str, float]:
    from snn_control.events.spikepoint import (
        count_parameters,
        load_classifier,
        shipped_classifier_path,
    )
    from snn_control.events.train_actions import evaluate, held_out_windows_of_shipped
    from snn_control.hardware.boards import loihi_energy_uj
    import torch

    results: dict[str, float] = {'evt3_decode_mev_per_s': round(evt3_rate(5 if quick else 20), 1)}
    classifier = load_classifier(shipped_classifier_path())
    results['params'] = count_parameters(classifier.model)
    held_out = held_out_windows_of_shipped(classifier)
    if quick:
        held_out = held_out.subset(np.arange(0, len(held_out), 4))
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        start = time.perf_counter()
        report = evaluate(classifier, held_out)
        results['windows_per_s'] = round(len(held_out) / (time.perf_counter() - start), 1)
    finally:
        torch.set_num_threads(threads)
    results.update(
        accuracy=round(report['window_accuracy'], 4),
        recording_accuracy=round(report['recording_accuracy'], 4),
        held_out_windows=report['windows'],
        held_out_recordings=report['recordings'],
    )
    activity = activity_per_window(classifier, held_out.windows[:64])
    results.update(
        synops_per_window=round(activity['synops']),
        neuron_updates_per_window=round(activity['updates']),
        loihi_energy_uj_per_window=round(
            loihi_energy_uj(activity['synops'], activity['updates']), 2
        ),
        ann_macs_per_window=round(activity['macs']),
    )
    return results
