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
Prophesee EVT 3.0 decoding: a compiled state machine, fast enough for the fastest sensors.

EVT 3.0 is a stream of little-endian 16-bit words whose meaning depends on the words before
it: 0x0 Y address, 0x2 X address (one event), 0x3 vector base X (with the polarity),
0x4/0x5 12/8-pixel vectors (each advances the base), 0x6/0x8 time low/high (12 bits each, a
24-bit microsecond clock that wraps), 0xA external trigger; 0xE/0xF carry no CD events.
Events before the first Y and time words are dropped (the stream joins mid-way). The
decoder keeps its state (:class:`Evt3State`) across packets, because a camera driver cuts
packets anywhere in the word stream.

Why our own decoder: expelliarmus (the maintained Python reader of RAW files) reads files
only, rejects the trigger words that Prophesee cameras interleave, and its time axis
disagrees with event_camera_codecs (the reference decoder of the ROS driver), which ours
matches checksum for checksum (``test_events_io``). Why numba: a state machine is one
pass over the words; numpy can only emulate it with several passes and binary searches
per word type (6 Mev/s here), numba runs the pass itself (``bench events``:
``evt3_decode_mev_per_s``, goal 50: the peak rate of fast Prophesee sensors).
"""

from __future__ import annotations

from numba import njit
import numpy as np

TRIGGER_DTYPE = np.dtype([('t', '<i8'), ('id', 'u1'), ('value', 'u1')])

# Fields of the state vector carried between packets.
_Y, _LOW, _HIGH, _HAVE_Y, _HAVE_LOW, _HAVE_HIGH, _BASE_X, _BASE_P, _HAVE_BASE, _WRAPS = range(10)
_STATE_SIZE = 10


@njit(cache=True, nogil=True)
def _decode(
    words, state, time_base_us, x, y, t, p, trig_t, trig_id, trig_value
):  # pragma: no cover - compiled
    # The state lives in locals during the pass (an array element written per word would
    # be a store per word: numba cannot keep it in a register next to the output arrays).
    row, low, high = state[_Y], state[_LOW], state[_HIGH]
    have_y, have_low, have_high = state[_HAVE_Y], state[_HAVE_LOW], state[_HAVE_HIGH]
    base_x, base_p, have_base, wraps = (
        state[_BASE_X],
        state[_BASE_P],
        state[_HAVE_BASE],
        state[_WRAPS],
    )
    n_events = 0
    n_triggers = 0
    for i in range(words.size):
        word = np.int64(words[i])
        kind = word >> 12
        value = word & 0x0FFF
        if kind == 0x0:
            row = value & 0x7FF
            have_y = 1
        elif kind == 0x6:
            low = value
            have_low = 1
        elif kind == 0x8:
            if have_high == 1 and value < high:
                wraps += 1  # the high word decreased: the 24-bit clock wrapped
            high = value
            have_high = 1
        elif kind == 0x3:
            base_x = value & 0x7FF
            base_p = value >> 11
            have_base = 1
        elif kind == 0x2 or kind == 0x4 or kind == 0x5 or kind == 0xA:
            valid = have_y == 1 and have_low == 1 and have_high == 1
            now = (wraps << 24) + ((high << 12) | low) + time_base_us
            if kind == 0x2:
                if valid:
                    x[n_events] = value & 0x7FF
                    y[n_events] = row
                    t[n_events] = now
                    p[n_events] = value >> 11
                    n_events += 1
            elif kind == 0xA:
                if valid:
                    trig_t[n_triggers] = now
                    trig_id[n_triggers] = (value >> 8) & 0xF
                    trig_value[n_triggers] = value & 1
                    n_triggers += 1
            else:
                width = 12 if kind == 0x4 else 8
                if valid and have_base == 1:
                    for b in range(width):
                        if (value >> b) & 1:
                            x[n_events] = base_x + b
                            y[n_events] = row
                            t[n_events] = now
                            p[n_events] = base_p
                            n_events += 1
                base_x = (base_x + width) & 0x7FF
    state[_Y], state[_LOW], state[_HIGH] = row, low, high
    state[_HAVE_Y], state[_HAVE_LOW], state[_HAVE_HIGH] = have_y, have_low, have_high
    state[_BASE_X], state[_BASE_P], state[_HAVE_BASE], state[_WRAPS] = (
        base_x,
        base_p,
        have_base,
        wraps,
    )
    return n_events, n_triggers


class Evt3State:
    """What the decoder knows between packets (Y, time words, clock wraps, vector base)."""

    def __init__(self, wraps: int = 0) -> None:
        self.vector = np.zeros(_STATE_SIZE, dtype=np.int64)
        self.vector[_WRAPS] = wraps

    @property
    def wraps(self) -> int:
        return int(self.vector[_WRAPS])


def decode_words(
    words: bytes | np.ndarray, state: Evt3State, time_base_us: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """(events, triggers) of ``words``, in stream order, advancing ``state``."""
    from snn_control.events.io import EVENT_DTYPE  # io imports this module: import at call time

    w = (
        np.frombuffer(words, dtype='<u2')
        if not isinstance(words, np.ndarray)
        else np.ascontiguousarray(words, '<u2')
    )
    kinds = np.bincount(w >> 12, minlength=16) if w.size else np.zeros(16, np.int64)
    # Decoded straight into the records' fields: a second array to copy them into would
    # cost as much again in fresh memory pages as the decoding itself. The capacity counts
    # every vector as full; the pages past the events decoded are never touched, so they
    # take address space, not memory.
    events = np.empty(int(kinds[0x2] + 12 * kinds[0x4] + 8 * kinds[0x5]), dtype=EVENT_DTYPE)
    triggers = np.empty(int(kinds[0xA]), dtype=TRIGGER_DTYPE)
    n, n_trig = _decode(
        w,
        state.vector,
        np.int64(time_base_us),
        events['x'],
        events['y'],
        events['t'],
        events['p'],
        triggers['t'],
        triggers['id'],
        triggers['value'],
    )
    return events[:n], triggers[:n_trig]


def decode_evt3(
    words: bytes | np.ndarray, time_base_us: int = 0, wraps: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Decode a self-contained EVT 3.0 word stream: (events, triggers)."""
    return decode_words(words, Evt3State(wraps), time_base_us)


class Evt3Decoder:
    """EVT 3.0 across packets: the state carries over from one packet to the next."""

    def __init__(self) -> None:
        self.state = Evt3State()

    @property
    def wraps(self) -> int:
        return self.state.wraps

    def decode(self, payload: bytes, time_base_us: int = 0) -> tuple[np.ndarray, np.ndarray]:
        return decode_words(payload, self.state, time_base_us)
