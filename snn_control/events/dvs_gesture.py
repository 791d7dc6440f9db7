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
DVS128 Gesture (Amir et al. 2017) as labelled event samples.

Two layouts are read:

* IBM's original release (``DvsGesture/``): ``userNN_<lighting>.aedat`` recordings in
  AEDAT 3.1 with ``userNN_<lighting>_labels.csv`` beside each (``class,startTime_usec,
  endTime_usec``, classes 1-11), and optionally ``trials_to_train.txt`` /
  ``trials_to_test.txt`` naming the split. Each labelled interval becomes one sample.
* tonic's preprocessed copy: ``ibmGestureTrain/`` and ``ibmGestureTest/`` folders of
  ``userNN_<lighting>/<class>.npy`` arrays, columns x, y, p, t (t in milliseconds, class
  0-10), under the given folder or its ``DVSGesture/`` subfolder.

Without split files, users 1-23 are training and 24-29 test, the dataset's official split.

AEDAT 3.1 is read by our own numpy decoder (:func:`read_aedat31`) because nothing
installed reads it: ``tonic`` (whose loader is the usual route) is not a dependency,
``expelliarmus`` reads Prophesee DAT/EVT2/EVT3 only, and ``dv-processing`` reads
AEDAT 4 only. The format (iniVation's specification) is an ASCII header of ``#`` lines
ending ``#!END-HEADER``, then packets: a 28-byte little-endian header (int16 eventType,
int16 eventSource, int32 eventSize, eventTSOffset, eventTSOverflow, eventCapacity,
eventNumber, eventValid) and ``eventCapacity * eventSize`` bytes of events. A polarity
event (type 1) is a uint32 of flags (bit 0 valid, bit 1 polarity, bits 2-16 y, bits 17-31
x) and an int32 timestamp in microseconds at ``eventTSOffset``, extended by
``eventTSOverflow << 31``. Other packet types (special events, frames, IMU) are skipped.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
import re
from typing import Literal

import numpy as np
from snn_control.events.io import EVENT_DTYPE, EventFormatError, EventStream

DVS128_SENSOR_SIZE: tuple[int, int] = (128, 128)
#: Class names in label order (the CSV's classes 1-11 are labels 0-10).
DVS128_GESTURES: tuple[str, ...] = (
    'hand_clapping',
    'right_hand_wave',
    'left_hand_wave',
    'right_arm_clockwise',
    'right_arm_counter_clockwise',
    'left_arm_clockwise',
    'left_arm_counter_clockwise',
    'arm_roll',
    'air_drums',
    'air_guitar',
    'other_gestures',
)
#: Users 1-23 record the training set, 24-29 the test set.
FIRST_TEST_USER = 24

AEDAT31_PACKET_HEADER = np.dtype(
    [
        ('type', '<i2'),
        ('source', '<i2'),
        ('size', '<i4'),
        ('ts_offset', '<i4'),
        ('ts_overflow', '<i4'),
        ('capacity', '<i4'),
        ('number', '<i4'),
        ('valid', '<i4'),
    ]
)
POLARITY_EVENT = 1
#: Sensor sizes of the cameras an AEDAT 3.1 header may name as its source.
AEDAT_SOURCES = {
    'DVS128': (128, 128),
    'DAVIS240': (240, 180),
    'DAVIS240C': (240, 180),
    'DAVIS346': (346, 260),
}
Split = Literal['train', 'test', 'all']


class DvsGestureError(ValueError):
    """A DVS128 Gesture folder or file that cannot be used; the message says why."""


@dataclass
class GestureSample:
    events: np.ndarray  # EVENT_DTYPE, sorted by t
    label: int  # 0-10, index into DVS128_GESTURES
    recording: str  # e.g. "user01_fluorescent#3": the recording and the sample's row in it


def read_aedat31(path: str | Path) -> EventStream:
    """Polarity events of an AEDAT 3.x file (module doc), sorted by time."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f'event file {path} does not exist')
    data = path.read_bytes()
    version = data[: data.find(b'\n') + 1].strip()
    if not version.startswith(b'#!AER-DAT3.'):
        raise EventFormatError(f'{path}: not an AEDAT 3.x file (first line {version[:40]!r})')
    pos, sensor_size = 0, None
    while pos < len(data) and data[pos:pos + 1] == b'#':
        end = data.find(b'\n', pos)
        line = data[pos:len(data) if end < 0 else end].strip()
        pos = len(data) if end < 0 else end + 1
        source = re.match(rb'#Source \d+: (\S+)', line)
        if source:
            sensor_size = AEDAT_SOURCES.get(
                source.group(1).decode('ascii', 'replace'), sensor_size
            )
        if line == b'#!END-HEADER':
            break
    chunks = []
    while pos < len(data):
        if pos + AEDAT31_PACKET_HEADER.itemsize > len(data):
            raise EventFormatError(f'{path}: truncated packet header at byte {pos}')
        header = np.frombuffer(data, AEDAT31_PACKET_HEADER, count=1, offset=pos)[0]
        pos += AEDAT31_PACKET_HEADER.itemsize
        size, capacity, number = (
            int(header['size']),
            int(header['capacity']),
            int(header['number']),
        )
        if size <= 0 or capacity < 0 or not 0 <= number <= capacity:
            raise EventFormatError(
                f'{path}: corrupt packet header at byte {pos - AEDAT31_PACKET_HEADER.itemsize} '
                f'(event size {size}, capacity {capacity}, number {number})'
            )
        body = capacity * size
        if pos + body > len(data):
            raise EventFormatError(
                f'{path}: truncated packet at byte {pos} ({body} bytes announced, '
                f'{len(data) - pos} left)'
            )
        if int(header['type']) == POLARITY_EVENT and number:
            if size < 8 or not 0 <= int(header['ts_offset']) <= size - 4:
                raise EventFormatError(
                    f'{path}: polarity packet with event size {size}, '
                    f"timestamp offset {int(header['ts_offset'])}"
                )
            layout = np.dtype(
                {
                    'names': ['flags', 'ts'],
                    'formats': ['<u4', '<i4'],
                    'offsets': [0, int(header['ts_offset'])],
                    'itemsize': size,
                }
            )
            raw = np.frombuffer(data, layout, count=number, offset=pos)
            raw = raw[(raw['flags'] & 1) == 1]
            t = raw['ts'].astype(np.int64) + (np.int64(header['ts_overflow']) << 31)
            chunks.append((raw['flags'], t))
        pos += body
    flags = np.concatenate([c[0] for c in chunks]) if chunks else np.zeros(0, np.uint32)
    t = np.concatenate([c[1] for c in chunks]) if chunks else np.zeros(0, np.int64)
    events = np.empty(len(t), dtype=EVENT_DTYPE)
    events['x'], events['y'] = (flags >> 17) & 0x7FFF, (flags >> 2) & 0x7FFF
    events['t'], events['p'] = t, (flags >> 1) & 1
    if len(t) > 1 and np.any(np.diff(t) < 0):
        events = events[np.argsort(t, kind='stable')]
    return EventStream(events, sensor_size, source=str(path))


def read_gesture_labels(path: str | Path) -> np.ndarray:
    """``(n, 3)`` int64 rows of (label 0-10, start_us, end_us) from a ``*_labels.csv``."""
    path = Path(path)
    if not path.is_file():
        raise DvsGestureError(
            f'label file {path} does not exist (each .aedat needs its _labels.csv)'
        )
    try:
        rows = np.loadtxt(path, delimiter=',', skiprows=1, ndmin=2, dtype=np.int64)
    except ValueError as exc:
        raise DvsGestureError(
            f'label file {path}: expected rows of class,startTime_usec,endTime_usec ({exc})'
        ) from exc
    if (
        rows.shape[1] != 3
        or np.any((rows[:, 0] < 1) | (rows[:, 0] > len(DVS128_GESTURES)))
        or np.any(rows[:, 2] <= rows[:, 1])
    ):
        raise DvsGestureError(
            f'label file {path}: expected class 1-{len(DVS128_GESTURES)} and end > start per row'
        )
    return np.column_stack([rows[:, 0] - 1, rows[:, 1], rows[:, 2]])


def _user(name: str) -> int:
    match = re.match(r'user(\d+)_', name)
    if not match:
        raise DvsGestureError(f'{name}: DVS128 Gesture names start with userNN_')
    return int(match.group(1))


def _in_split(recording: Path, split: Split) -> bool:
    """From the folder's ``trials_to_<split>.txt`` when present, else by user number."""
    if split == 'all':
        return True
    listing = recording.parent / f'trials_to_{split}.txt'
    if listing.is_file():
        return recording.name in {line.strip() for line in listing.read_text().splitlines()}
    return (_user(recording.name) >= FIRST_TEST_USER) == (split == 'test')


def _ibm_samples(recordings: list[Path], split: Split) -> list[GestureSample]:
    samples = []
    for path in recordings:
        if not _in_split(path, split):
            continue
        rows = read_gesture_labels(path.with_name(path.stem + '_labels.csv'))
        events = read_aedat31(path).events
        bounds = np.searchsorted(events['t'], rows[:, 1:], side='left')
        for k, ((label, _, _), (a, b)) in enumerate(zip(rows, bounds)):
            samples.append(GestureSample(events[a:b], int(label), f'{path.stem}#{k}'))
    return samples


def _tonic_samples(root: Path, split: Split) -> list[GestureSample]:
    folders = {
        'train': ['ibmGestureTrain'],
        'test': ['ibmGestureTest'],
        'all': ['ibmGestureTrain', 'ibmGestureTest'],
    }
    samples = []
    for folder in folders[split]:
        for path in sorted((root / folder).glob('*/*.npy')):
            try:
                table = np.load(path, allow_pickle=False)
                label = int(path.stem)
            except (OSError, ValueError) as exc:
                raise DvsGestureError(f'{path}: not a tonic DVSGesture sample ({exc})') from exc
            if table.ndim != 2 or table.shape[1] != 4 or not 0 <= label < len(DVS128_GESTURES):
                raise DvsGestureError(
                    f'{path}: expected an (n, 4) x, y, p, t array named <class 0-10>.npy'
                )
            events = np.empty(len(table), dtype=EVENT_DTYPE)
            events['x'], events['y'], events['p'] = table[:, 0], table[:, 1], table[:, 2] > 0
            events['t'] = np.round(
                table[:, 3].astype(np.float64) * 1000.0
            )  # milliseconds -> microseconds
            events = events[np.argsort(events['t'], kind='stable')]
            samples.append(GestureSample(events, label, f'{path.parent.name}#{label}'))
    return samples


def load_dvs_gesture(root: str | Path, split: Split = 'train') -> list[GestureSample]:
    """Return the labelled samples of ``split`` ("train", "test" or "all") under ``root``."""
    root = Path(root)
    if split not in ('train', 'test', 'all'):
        raise ValueError(f"split must be 'train', 'test' or 'all', got {split!r}")
    if not root.is_dir():
        raise FileNotFoundError(f'DVS128 Gesture folder {root} does not exist')
    recordings = sorted(root.rglob('user*_*.aedat'))
    if recordings:
        return _ibm_samples(recordings, split)
    for candidate in (root, root / 'DVSGesture'):
        if (candidate / 'ibmGestureTrain').is_dir() or (candidate / 'ibmGestureTest').is_dir():
            return _tonic_samples(candidate, split)
    raise DvsGestureError(
        f'no DVS128 Gesture recordings under {root}: expected user*_*.aedat files with '
        "*_labels.csv (IBM release) or tonic's ibmGestureTrain/ibmGestureTest folders"
    )
