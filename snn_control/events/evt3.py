"""Prophesee EVT 3.0 decoding: a compiled state machine, fast enough for the fastest sensors.

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

import numpy as np
from numba import njit

TRIGGER_DTYPE = np.dtype([("t", "<i8"), ("id", "u1"), ("value", "u1")])

# Fields of the state vector carried between packets.
_Y, _LOW, _HIGH, _HAVE_Y, _HAVE_LOW, _HAVE_HIGH, _BASE_X, _BASE_P, _HAVE_BASE, _WRAPS = range(10)
_STATE_SIZE = 10


@njit(cache=True, nogil=True)
def _decode(words, state, time_base_us, x, y, t, p, trig_t, trig_id, trig_value):  # pragma: no cover - compiled
    n_events = 0
    n_triggers = 0
    for i in range(words.size):
        word = np.int64(words[i])
        kind = word >> 12
        value = word & 0x0FFF
        if kind == 0x0:
            state[_Y] = value & 0x7FF
            state[_HAVE_Y] = 1
        elif kind == 0x6:
            state[_LOW] = value
            state[_HAVE_LOW] = 1
        elif kind == 0x8:
            if state[_HAVE_HIGH] == 1 and value < state[_HIGH]:
                state[_WRAPS] += 1      # the high word decreased: the 24-bit clock wrapped
            state[_HIGH] = value
            state[_HAVE_HIGH] = 1
        elif kind == 0x3:
            state[_BASE_X] = value & 0x7FF
            state[_BASE_P] = value >> 11
            state[_HAVE_BASE] = 1
        elif kind == 0x2 or kind == 0x4 or kind == 0x5 or kind == 0xA:
            valid = state[_HAVE_Y] == 1 and state[_HAVE_LOW] == 1 and state[_HAVE_HIGH] == 1
            now = (state[_WRAPS] << 24) + ((state[_HIGH] << 12) | state[_LOW]) + time_base_us
            if kind == 0x2:
                if valid:
                    x[n_events] = value & 0x7FF
                    y[n_events] = state[_Y]
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
                if valid and state[_HAVE_BASE] == 1:
                    for b in range(width):
                        if (value >> b) & 1:
                            x[n_events] = state[_BASE_X] + b
                            y[n_events] = state[_Y]
                            t[n_events] = now
                            p[n_events] = state[_BASE_P]
                            n_events += 1
                state[_BASE_X] = (state[_BASE_X] + width) & 0x7FF
    return n_events, n_triggers


class Evt3State:
    """What the decoder knows between packets (Y, time words, clock wraps, vector base)."""

    def __init__(self, wraps: int = 0) -> None:
        self.vector = np.zeros(_STATE_SIZE, dtype=np.int64)
        self.vector[_WRAPS] = wraps

    @property
    def wraps(self) -> int:
        return int(self.vector[_WRAPS])


def decode_words(words: bytes | np.ndarray, state: Evt3State, time_base_us: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """(events, triggers) of ``words``, in stream order, advancing ``state``."""
    from snn_control.events.io import _as_events   # io imports this module: import at call time

    w = np.frombuffer(words, dtype="<u2") if not isinstance(words, np.ndarray) else np.ascontiguousarray(words, "<u2")
    kinds = np.bincount(w >> 12, minlength=16) if w.size else np.zeros(16, np.int64)
    capacity = int(kinds[0x2] + 12 * kinds[0x4] + 8 * kinds[0x5])
    x, y = np.empty(capacity, np.uint16), np.empty(capacity, np.uint16)
    t, p = np.empty(capacity, np.int64), np.empty(capacity, np.uint8)
    trig_t, trig_id, trig_value = np.empty(kinds[0xA], np.int64), np.empty(kinds[0xA], np.uint8), np.empty(kinds[0xA], np.uint8)
    n, n_trig = _decode(w, state.vector, np.int64(time_base_us), x, y, t, p, trig_t, trig_id, trig_value)
    events = _as_events(x[:n], y[:n], t[:n], p[:n])
    triggers = np.empty(n_trig, dtype=TRIGGER_DTYPE)
    triggers["t"], triggers["id"], triggers["value"] = trig_t[:n_trig], trig_id[:n_trig], trig_value[:n_trig]
    return events, triggers


def decode_evt3(words: bytes | np.ndarray, time_base_us: int = 0, wraps: int = 0) -> tuple[np.ndarray, np.ndarray]:
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
