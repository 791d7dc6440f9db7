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
Train and evaluate SpikePoint on event recordings of actions.

``snn-control train actions --dataset simulated --epochs 20 --out actions.npz``
``snn-control train actions --dataset dvs128 --data-dir DvsGesture --out dvs128.npz``

As in the paper: Adam, the voting neurons' mean squared error over the ``T`` steps
(:func:`~snn_control.events.spikepoint.voting_loss`; ``--loss ce`` for cross-entropy on
the voters' firing instead), surrogate-gradient BPTT; with a
cosine learning-rate schedule. Every epoch draws new points from each window (the sampling
is random) and scales and shifts each training cloud a little (:func:`augment_clouds`). Recordings
are split into training and
held-out *by recording* (stratified by class, seeded): the windows of one recording are
never on both sides, since neighbouring windows overlap by half and would leak. DVS128
Gesture comes with its own split (users 1-23 train, 24-29 test).

After every epoch the classifier is written to ``--out`` (atomically), so an interrupted
run leaves the latest usable weights. The report: accuracy per window and per recording
(windows' scores summed), the confusion matrix, and a PNG with the training curve and the
confusion matrix.
"""

from __future__ import annotations

import argparse
from dataclasses import asdict, dataclass, field
import json
from pathlib import Path
import sys
import time
from typing import Sequence

import numpy as np
from snn_control.events.spikepoint import (
    count_parameters,
    load_classifier,
    LOSSES,
    save_classifier,
    SpikePoint,
    SpikePointClassifier,
    SpikePointConfig,
    training_loss,
)
from snn_control.events.windows import (
    clouds_to_rates,
    CODINGS,
    PointCloudConfig,
    sample_clouds,
    split_windows,
)
import torch


@dataclass(frozen=True)
class TrainConfig:
    epochs: int = 40
    batch_size: int = 16
    learning_rate: float = 0.01
    #: Share of each class's recordings held out (simulated data; DVS128 has its own split).
    held_out_fraction: float = 0.25
    #: Augmentation of every training cloud: x and y scaled about the sensor's centre by a
    #: factor drawn from [1 - scale, 1 + scale] and shifted by up to ``shift`` (fractions of
    #: the sensor), as point-cloud networks are trained. No flips or time reversal: they
    #: would turn left into right and clockwise into counter-clockwise.
    shift: float = 0.1
    scale: float = 0.1
    seed: int = 0
    #: The paper's "mse" on the voters or "ce" (:data:`~snn_control.events.spikepoint.LOSSES`).
    loss: str = 'mse'

    def __post_init__(self) -> None:
        if self.epochs < 1 or self.batch_size < 1 or self.learning_rate <= 0:
            raise ValueError('epochs and batch_size must be positive, learning_rate > 0')
        if not 0 < self.held_out_fraction < 1:
            raise ValueError(f'held_out_fraction must be in (0, 1), got {self.held_out_fraction}')
        if self.loss not in LOSSES:
            raise ValueError(f'unknown loss {self.loss!r}; choose from {LOSSES}')
        if not 0 <= self.scale < 1 or self.shift < 0:
            raise ValueError(f'need 0 <= scale < 1 and shift >= 0, got {self.scale}, {self.shift}')


@dataclass
class WindowSet:
    """Event windows with the class and the recording each came from."""

    windows: list[np.ndarray]
    labels: np.ndarray
    recordings: np.ndarray

    def __len__(self) -> int:
        return len(self.windows)

    def subset(self, index: Sequence[int]) -> 'WindowSet':
        return WindowSet(
            [self.windows[i] for i in index], self.labels[index], self.recordings[index]
        )


@dataclass
class History:
    """
    Per epoch.

    Mean training loss, training accuracy (on the batches as trained), and held-out window accuracy
    (NaN without a held-out set).
    """

    loss: list[float] = field(default_factory=list)
    train_accuracy: list[float] = field(default_factory=list)
    held_out_accuracy: list[float] = field(default_factory=list)


def windows_of(
    recordings: Sequence[np.ndarray],
    labels: Sequence[int],
    points: PointCloudConfig,
    index: Sequence[int] | None = None,
) -> WindowSet:
    """
    Return the sliding windows of the recordings ``index`` (all by default).

    Empty ones dropped.
    """
    index = range(len(recordings)) if index is None else index
    windows, window_labels, origin = [], [], []
    for i in index:
        for window in split_windows(recordings[i], points.window_us, points.step_us):
            windows.append(window)
            window_labels.append(int(labels[i]))
            origin.append(int(i))
    return WindowSet(
        windows, np.asarray(window_labels, dtype=np.int64), np.asarray(origin, dtype=np.int64)
    )


def split_by_recording(
    labels: Sequence[int], held_out_fraction: float, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """
    Record indices (train, held-out).

    Stratified: each class holds out the same share (at least one recording when it has two or
    more).
    """
    labels = np.asarray(labels)
    rng = np.random.default_rng(seed)
    train, held_out = [], []
    for label in np.unique(labels):
        members = rng.permutation(np.flatnonzero(labels == label))
        n_held = int(round(held_out_fraction * len(members)))
        n_held = min(max(n_held, 1 if len(members) > 1 else 0), len(members) - 1)
        held_out.extend(members[:n_held])
        train.extend(members[n_held:])
    return np.sort(np.asarray(train, dtype=np.int64)), np.sort(
        np.asarray(held_out, dtype=np.int64)
    )


def augment_clouds(
    clouds: np.ndarray, shift: float, scale: float, rng: np.random.Generator
) -> np.ndarray:
    """
    Scale and shift clouds in x and y, leaving time untouched.

    Clouds ``(B, N, 3)``, each scaled about the centre and shifted as :class:`TrainConfig` says.
    """
    n = len(clouds)
    factor = rng.uniform(1.0 - scale, 1.0 + scale, (n, 1, 1)).astype(np.float32)
    offset = rng.uniform(-shift, shift, (n, 1, 2)).astype(np.float32)
    out = clouds.copy()
    out[..., :2] = (clouds[..., :2] - 0.5) * factor + 0.5 + offset
    return out


def train(
    train_set: WindowSet,
    model_config: SpikePointConfig,
    points: PointCloudConfig,
    sensor_size: tuple[int, int],
    class_names: Sequence[str],
    config: TrainConfig = TrainConfig(),
    held_out: WindowSet | None = None,
    checkpoint: str | Path | None = None,
    progress: bool = True,
    initial_state: dict | None = None,
) -> tuple[SpikePointClassifier, History]:
    """
    Train a SpikePoint classifier on ``train_set``; evaluate on ``held_out`` each epoch.

    ``initial_state``: the network's weights to start from (a ``state_dict`` of the same
    configuration) instead of a fresh initialisation.
    """
    from tqdm import tqdm

    if len(train_set) == 0:
        raise ValueError('no training windows (are the recordings shorter than one event?)')
    torch.manual_seed(config.seed)
    rng = np.random.default_rng(config.seed)
    generator = torch.Generator().manual_seed(config.seed)
    model = SpikePoint(model_config)
    if initial_state is not None:
        model.load_state_dict(initial_state)
    classifier = SpikePointClassifier(model, points, tuple(sensor_size), tuple(class_names))
    optimiser = torch.optim.Adam(model.parameters(), lr=config.learning_rate)
    batches_per_epoch = -(-len(train_set) // config.batch_size)
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(
        optimiser, T_max=config.epochs * batches_per_epoch
    )
    history = History()
    loss_fn = training_loss(config.loss)
    bar = tqdm(
        total=config.epochs * len(train_set),
        desc='train spikepoint',
        unit='window',
        file=sys.stderr,
        disable=not progress,
    )
    for epoch in range(config.epochs):
        model.train()
        order = rng.permutation(len(train_set))
        loss_sum, correct, seen = 0.0, 0, 0
        for start in range(0, len(order), config.batch_size):
            batch = order[start:start + config.batch_size]
            if len(batch) < 2:  # batch norm needs two samples; the next epoch reshuffles
                continue
            clouds = sample_clouds([train_set.windows[i] for i in batch], points, sensor_size, rng)
            rates = clouds_to_rates(
                augment_clouds(clouds, config.shift, config.scale, rng), points
            )
            labels = torch.from_numpy(train_set.labels[batch])
            scores = model(rates.code(model_config.timesteps, generator, model_config.coding))
            loss = loss_fn(scores, labels)
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            schedule.step()
            loss_sum += float(loss.detach()) * len(batch)
            correct += int((scores.detach().mean(dim=0).argmax(dim=1) == labels).sum())
            seen += len(batch)
            bar.update(len(batch))
        history.loss.append(loss_sum / max(seen, 1))
        history.train_accuracy.append(correct / max(seen, 1))
        held = (
            evaluate(classifier, held_out)['window_accuracy']
            if held_out is not None and len(held_out)
            else np.nan
        )
        history.held_out_accuracy.append(float(held))
        bar.set_postfix(
            loss=f'{history.loss[-1]:.4f}',
            train=f'{history.train_accuracy[-1]:.3f}',
            held_out=f'{held:.3f}',
        )
        if checkpoint is not None:
            save_classifier(classifier, checkpoint)
    bar.close()
    model.eval()
    return classifier, history


def evaluate(classifier: SpikePointClassifier, windows: WindowSet, seed: int = 0) -> dict:
    """
    Accuracy per window and per recording (scores of its windows summed).

    And the confusion matrix of windows (rows: true class, columns: predicted).
    """
    n_classes = classifier.model.config.n_classes
    scores = classifier.scores(windows.windows, seed=seed)
    predicted = scores.argmax(axis=1)
    confusion = np.zeros((n_classes, n_classes), dtype=np.int64)
    np.add.at(confusion, (windows.labels, predicted), 1)
    recordings, first, which = np.unique(
        windows.recordings, return_index=True, return_inverse=True
    )
    per_recording = np.zeros((len(recordings), n_classes))
    np.add.at(per_recording, which, scores)
    truth = windows.labels[first]
    return {
        'window_accuracy': (
            float(np.mean(predicted == windows.labels)) if len(windows) else float('nan')
        ),
        'recording_accuracy': (
            float(np.mean(per_recording.argmax(axis=1) == truth)) if len(truth) else float('nan')
        ),
        'windows': len(windows),
        'recordings': len(recordings),
        'confusion': confusion,
    }


def plot_report(
    history: History,
    confusion: np.ndarray,
    class_names: Sequence[str],
    path: str | Path,
    loss: str = 'mse',
) -> Path:
    """One PNG: the training curve (loss, accuracies per epoch) and the confusion matrix."""
    from snn_control.plotting import pyplot, save_figure

    plt = pyplot()

    fig, (curve, matrix) = plt.subplots(1, 2, figsize=(12, 5))
    epochs = np.arange(1, len(history.loss) + 1)
    curve.plot(epochs, history.train_accuracy, label='train accuracy')
    curve.plot(epochs, history.held_out_accuracy, label='held-out accuracy')
    curve.set_xlabel('epoch')
    curve.set_ylabel('accuracy')
    curve.set_ylim(0, 1.02)
    curve.grid(alpha=0.3)
    loss_axis = curve.twinx()
    loss_axis.plot(
        epochs, history.loss, color='grey', linestyle='--', label=f'loss ({loss.upper()})'
    )
    loss_axis.set_ylabel('loss')
    lines = curve.get_lines() + loss_axis.get_lines()
    curve.legend(lines, [line.get_label() for line in lines], loc='best', fontsize=8)
    curve.set_title('training')
    rates = confusion / np.maximum(confusion.sum(axis=1, keepdims=True), 1)
    matrix.imshow(rates, cmap='Blues', vmin=0, vmax=1)
    for (i, j), count in np.ndenumerate(confusion):
        if count:
            matrix.text(
                j,
                i,
                str(count),
                ha='center',
                va='center',
                fontsize=7,
                color='white' if rates[i, j] > 0.5 else 'black',
            )
    ticks = np.arange(len(class_names))
    matrix.set_xticks(ticks, class_names, rotation=60, ha='right', fontsize=7)
    matrix.set_yticks(ticks, class_names, fontsize=7)
    matrix.set_xlabel('predicted')
    matrix.set_ylabel('true')
    matrix.set_title(f'held-out windows ({int(confusion.sum())})')
    return save_figure(fig, path, dpi=110)


@dataclass
class ActionData:
    """Recordings with labels, split into training and held-out recordings."""

    recordings: list[np.ndarray]
    labels: np.ndarray
    train_index: np.ndarray
    held_out_index: np.ndarray
    class_names: tuple[str, ...]
    sensor_size: tuple[int, int]


def simulated_data(
    per_class: int,
    seed: int,
    held_out_fraction: float,
    cache_dir: str | None = None,
    progress: bool = True,
) -> ActionData:
    """
    Load the simulated gesture dataset, split by recording.

    ``snn_control.sim.gestures``, generated once and then read from its cache.
    """
    try:
        from snn_control.sim.gestures import dataset as gestures
    except ImportError as exc:
        raise ValueError(
            f'the simulated gesture dataset (snn_control.sim.gestures) is not available: {exc}'
        ) from exc
    recordings, labels = gestures.load_or_generate(cache_dir, per_class, seed, progress=progress)
    labels = np.asarray(labels, dtype=np.int64)
    train_index, held_out_index = split_by_recording(labels, held_out_fraction, seed)
    return ActionData(
        list(recordings),
        labels,
        train_index,
        held_out_index,
        tuple(gestures.GESTURES),
        tuple(gestures.SENSOR_SIZE),
    )


def held_out_windows_of_shipped(
    classifier: SpikePointClassifier, cache_dir: str | None = None
) -> WindowSet:
    """
    Return the held-out windows of the dataset a classifier was trained on.

    From its ``training`` record: size, seed, held-out share; the dataset comes from its cache.
    """
    record = classifier.training
    if record.get('dataset') != 'simulated':
        raise ValueError(f"the classifier's training record names no simulated dataset: {record}")
    data = simulated_data(
        int(record['per_class']),
        int(record['seed']),
        float(record['held_out_fraction']),
        cache_dir,
        progress=False,
    )
    return windows_of(data.recordings, data.labels, classifier.points, data.held_out_index)


def dvs128_data(data_dir: str | Path) -> ActionData:
    """DVS128 Gesture with its own train/test split (the test users are the held-out set)."""
    from snn_control.events.dvs_gesture import (
        DVS128_GESTURES,
        DVS128_SENSOR_SIZE,
        load_dvs_gesture,
    )

    train_samples = load_dvs_gesture(data_dir, 'train')
    test_samples = load_dvs_gesture(data_dir, 'test')
    samples = train_samples + test_samples
    return ActionData(
        [s.events for s in samples],
        np.array([s.label for s in samples], dtype=np.int64),
        np.arange(len(train_samples)),
        np.arange(len(train_samples), len(samples)),
        DVS128_GESTURES,
        DVS128_SENSOR_SIZE,
    )


def run(
    data: ActionData,
    model_config: SpikePointConfig,
    points: PointCloudConfig,
    config: TrainConfig,
    out: str | Path,
    plot: str | Path | None = None,
    progress: bool = True,
    training_record: dict | None = None,
    initial_state: dict | None = None,
) -> dict:
    """
    Train on the training recordings, evaluate on the held-out ones, write weights and plot.

    ``training_record`` (dataset, size, seed, command) is stored with the weights;
    ``initial_state`` as in :func:`train`.
    """
    train_set = windows_of(data.recordings, data.labels, points, data.train_index)
    held_out = windows_of(data.recordings, data.labels, points, data.held_out_index)
    start = time.perf_counter()
    classifier, history = train(
        train_set,
        model_config,
        points,
        data.sensor_size,
        data.class_names,
        config,
        held_out,
        checkpoint=out,
        progress=progress,
        initial_state=initial_state,
    )
    seconds = time.perf_counter() - start
    classifier.training = dict(training_record or {}, train_seconds=round(seconds, 1))
    path = save_classifier(classifier, out)
    result = evaluate(classifier, held_out)
    confusion = result.pop('confusion')
    if plot:
        plot_report(history, confusion, data.class_names, plot, config.loss)
    result.update(
        train_windows=len(train_set),
        train_recordings=len(data.train_index),
        parameters=count_parameters(classifier.model),
        train_seconds=round(seconds, 1),
        final_train_accuracy=history.train_accuracy[-1],
        weights=str(path),
    )
    result['confusion'] = confusion.tolist()
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog='snn-control train actions',
        description='Train SpikePoint (a point-based SNN) on event recordings of '
        'actions and report held-out accuracy.',
    )
    parser.add_argument('--dataset', choices=('simulated', 'dvs128'), default='simulated')
    parser.add_argument('--data-dir', help='DVS128 Gesture folder (IBM release or tonic layout)')
    parser.add_argument(
        '--per-class', type=int, default=100, help='simulated recordings per class'
    )
    parser.add_argument(
        '--cache-dir', help="where the simulated dataset is cached (default: the dataset's own)"
    )
    parser.add_argument('--epochs', type=int, default=TrainConfig.epochs)
    parser.add_argument('--batch-size', type=int, default=TrainConfig.batch_size)
    parser.add_argument('--lr', type=float, default=TrainConfig.learning_rate)
    parser.add_argument(
        '--loss',
        choices=LOSSES,
        default=TrainConfig.loss,
        help="the paper's MSE on the voters' firing, or cross-entropy on it",
    )
    parser.add_argument(
        '--held-out',
        type=float,
        default=TrainConfig.held_out_fraction,
        help="share of each class's simulated recordings held out",
    )
    parser.add_argument('--timesteps', type=int, default=SpikePointConfig.timesteps)
    parser.add_argument(
        '--threshold',
        type=float,
        default=SpikePointConfig.threshold,
        help='firing threshold of every PLIF neuron',
    )
    parser.add_argument(
        '--coding',
        choices=CODINGS,
        default=SpikePointConfig.coding,
        help="rate code of the inputs: Bernoulli (the paper's) or regular trains",
    )
    parser.add_argument(
        '--signed-offsets',
        action='store_true',
        help='code each neighbour offset as an ON/OFF pair (keeps its sign) instead of |offset|',
    )
    parser.add_argument(
        '--motion-inputs',
        action='store_true',
        help="add each group's velocity and its place in the cloud "
        '(tells the sense of a rotation)',
    )
    parser.add_argument('--groups', type=int, default=PointCloudConfig.n_groups)
    parser.add_argument('--neighbours', type=int, default=PointCloudConfig.n_neighbours)
    parser.add_argument('--points', type=int, default=PointCloudConfig.n_points)
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument(
        '--threads', type=int, default=1, help='torch threads (the machine is shared)'
    )
    parser.add_argument(
        '--init',
        help='continue from this weight file: its network and point-cloud settings '
        'are used (the flags for them are ignored), its training record is kept',
    )
    parser.add_argument(
        '--out', required=True, help='weight file to write (.npz), also after every epoch'
    )
    parser.add_argument(
        '--plot', help='PNG of the training curve and confusion matrix (default: next to --out)'
    )
    parser.add_argument('--json', action='store_true', help='one JSON object on the last line')
    args = parser.parse_args(argv)
    torch.set_num_threads(max(1, args.threads))
    try:
        config = TrainConfig(
            epochs=args.epochs,
            batch_size=args.batch_size,
            learning_rate=args.lr,
            held_out_fraction=args.held_out,
            seed=args.seed,
            loss=args.loss,
        )
        points = PointCloudConfig(
            n_points=args.points,
            n_groups=args.groups,
            n_neighbours=args.neighbours,
            signed_offsets=args.signed_offsets,
            motion_inputs=args.motion_inputs,
        )
        if args.dataset == 'simulated':
            data = simulated_data(
                args.per_class,
                args.seed,
                config.held_out_fraction,
                args.cache_dir,
                progress=not args.json,
            )
        else:
            if not args.data_dir:
                raise ValueError('--dataset dvs128 needs --data-dir')
            data = dvs128_data(args.data_dir)
        model_config = SpikePointConfig(
            n_classes=len(data.class_names),
            timesteps=args.timesteps,
            coding=args.coding,
            offset_channels=points.offset_channels,
            group_channels=points.group_channels,
            threshold=args.threshold,
        )
        initial_state, previous = None, None
        if args.init:
            start = load_classifier(args.init)
            if tuple(start.class_names) != tuple(data.class_names):
                raise ValueError(
                    f'{args.init} recognises {list(start.class_names)}, the dataset has '
                    f'{list(data.class_names)}'
                )
            model_config, points, previous = start.model.config, start.points, start.training
            initial_state = start.model.state_dict()
        plot = args.plot or str(Path(args.out).with_suffix('.png'))
        record = {
            'dataset': args.dataset,
            'per_class': args.per_class,
            'seed': args.seed,
            'held_out_fraction': config.held_out_fraction,
            'command': 'snn-control train actions '
            + ' '.join(sys.argv[1:] if argv is None else argv),
        }
        if previous is not None:
            record['continued_from'] = previous
        result = run(
            data,
            model_config,
            points,
            config,
            args.out,
            plot,
            progress=not args.json,
            training_record=record,
            initial_state=initial_state,
        )
    except (OSError, ValueError) as exc:
        print(f'snn-control train actions: {exc}', file=sys.stderr)
        return 2
    result.update(
        dataset=args.dataset,
        plot=plot,
        train_config=asdict(config),
        model_config=model_config.as_dict(),
        point_config=points.as_dict(),
    )
    if args.json:
        print(json.dumps(result, sort_keys=True))
    else:
        for key, value in result.items():
            if key != 'confusion':
                print(f'{key}: {value}')
        print('confusion (rows true, columns predicted):')
        width = max(len(name) for name in data.class_names)
        for name, row in zip(data.class_names, result['confusion']):
            print(f"  {name:>{width}s} {' '.join(f'{c:4d}' for c in row)}")
    return 0


if __name__ == '__main__':
    sys.exit(main())
