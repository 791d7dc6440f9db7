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
A labelled event-camera action dataset, generated on demand (the embedded default).

A MuJoCo upper body (``arm.xml``) performs gestures modelled on DVS128 Gesture (Amir et
al. 2017) in front of a fixed camera; the rendered frames go through the package's
ESIM-style :class:`~snn_control.events.simulator.EventCameraSimulator`, which turns them
into events (``EVENT_DTYPE``: x, y, t in microseconds, p).

Gestures (:data:`GESTURES`, the label is the index) are DVS128 Gesture's first ten
classes, named and ordered as there, so label ``i`` means the same in both. Each is a
path of the wrists in the torso frame; a closed-form two-link inverse kinematics turns
it into joint angles (shoulder quaternion, elbow and wrist hinges), played back
kinematically (qpos + ``mj_forward``, no control). "Clockwise" is as seen by the camera;
"right"/"left" are the person's sides (the person faces the camera, so the right arm is
on the image's left).

Each sample is randomised (:func:`draw_sample_params`) in

* motion: speed 0.7-1.4x, amplitude 0.8-1.2x, start phase, a few cm of offset of the
  gesture, a slow sway of the body;
* placement: body shift left/right (+/- 0.15 m) and up/down (+/- 0.12 m), distance to the
  camera (the body's scale in the image, about 0.86-1.12x) and a yaw of up to 15 degrees;
* appearance: direction (azimuth +/- 60, elevation 15-70 degrees) and intensity of the
  key light, ambient light, backdrop, shirt and skin brightness, with the hands at least
  0.5 in log intensity apart from the backdrop and 0.3 from the shirt, the shirt 0.3 from
  the backdrop (hands the colour of what is behind them would carry no label);
* sensor: ON threshold 0.12-0.3 (OFF 0.8-1.25x that), per-pixel mismatch 1-5 %,
  refractory period 0-0.5 ms, background activity 0.01-0.3 Hz per pixel (log-uniform).

Frames are rendered at :data:`RENDER_HZ` (200 Hz: the fastest hand tips, strumming the
air guitar at 1.4x speed, move up to 0.9 pixel per frame) at twice the sensor resolution
and box-averaged down, so that an edge moving by a fraction of a pixel changes the
intensity gradually, as on a real sensor, instead of in one jump at the pixel centre; the
simulator interpolates log intensity linearly between frames. A sample lasts
:data:`DURATION_S` (1.5 s: five 0.5 s windows every 0.25 s, DVS128 Gesture's
classification windows) and holds a few thousand events (median about 6000 at 64 x 64).

Cost: about 3 samples/s on one core (rendering and the simulator's per-pixel loop about
evenly), so 100 per class take about 5-6 minutes, or half that with ``workers=2``;
:func:`load_or_generate` caches a dataset in one ``.npz`` keyed by the generation
parameters, so the second request costs a file read (0.1 s for 200 samples). Rendering
needs no display (:class:`OffscreenCamera`).
"""

from __future__ import annotations

import argparse
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
import hashlib
import json
import multiprocessing
import os
from pathlib import Path
import time
from typing import Callable, Iterator
import warnings

import mujoco
import numpy as np
from snn_control.events.dvs_gesture import DVS128_GESTURES
from snn_control.events.io import EVENT_DTYPE
from snn_control.events.simulator import EventCameraConfig, EventCameraSimulator
from snn_control.npz_io import atomic_savez, read_npz
from tqdm import tqdm

MODEL_PATH = Path(__file__).with_name('arm.xml')

#: DVS128 Gesture's classes by its names and in its label order, without "other_gestures".
GESTURES: tuple[str, ...] = tuple(g for g in DVS128_GESTURES if g != 'other_gestures')
SENSOR_SIZE: tuple[int, int] = (64, 64)  # (width, height), as EventStream.sensor_size
DURATION_S = 1.5
RENDER_HZ = 200
SUPERSAMPLING = 2
#: Bump when anything changes what a (label, seed) generates: it is part of the cache key.
GENERATOR_VERSION = 1
DEFAULT_CACHE_DIR = (
    Path(os.environ.get('XDG_CACHE_HOME', Path.home() / '.cache')) / 'snn_control' / 'gestures'
)

UPPER_ARM_M, FOREARM_M = 0.28, 0.26
RIGHT, LEFT = -1.0, 1.0  # the person's right arm is at -x (the image's left)
SHOULDERS = {RIGHT: np.array([-0.22, 0.0, 0.44]), LEFT: np.array([0.22, 0.0, 0.44])}
ARM_PREFIX = {RIGHT: 'r', LEFT: 'l'}
SKIN_RGB = np.array([0.85, 0.65, 0.5])
LUMA = np.array([0.299, 0.587, 0.114])  # Rec. 601 grey from RGB
LUMA_PER_LEVEL = (LUMA / 255).astype(np.float32)  # 8-bit RGB to grey in [0, 1]
MIN_LOG_CONTRAST_SKIN, MIN_LOG_CONTRAST_SHIRT = 0.5, 0.3


@dataclass(frozen=True)
class SampleParams:
    """Everything random about one sample; drawn by :func:`draw_sample_params`."""

    speed: float  # x the gesture's nominal frequency
    amplitude: float  # x the gesture's nominal extent
    phase: float  # rad, where in its cycle the gesture starts
    gesture_offset: tuple[float, float, float]  # m, shift of the wrist paths (torso frame)
    body_x: float  # m, + moves the body to the image's right
    body_depth: float  # m, + moves it away from the camera (smaller)
    body_z: float  # m
    body_yaw: float  # rad
    sway_amplitude: float  # rad of yaw
    sway_hz: float
    light_azimuth: float  # rad, 0 = light from the camera's side
    light_elevation: float  # rad
    light_diffuse: float
    ambient: float
    backdrop_grey: float
    shirt_rgb: tuple[float, float, float]
    skin_brightness: float  # x SKIN_RGB
    sensor: EventCameraConfig
    sensor_seed: int


@dataclass(frozen=True)
class ArmPath:
    """One arm's motion over the frame times (torso frame)."""

    wrist: np.ndarray  # (T, 3) m
    elbow_pole: np.ndarray  # (3,) direction the elbow bends towards
    wrist_angle: np.ndarray  # (T,) rad


def _check_label(label: int) -> int:
    if (
        isinstance(label, bool)
        or not isinstance(label, (int, np.integer))
        or not 0 <= label < len(GESTURES)
    ):
        raise ValueError(
            f'unknown gesture label {label!r}: expected an int in [0, {len(GESTURES)})'
        )
    return int(label)


def _log_apart(grey_a: float, grey_b: float) -> float:
    return abs(float(np.log(grey_a / grey_b)))


def draw_sample_params(rng: np.random.Generator) -> SampleParams:
    """Return the randomisation of one sample (ranges in the module docstring)."""
    # Lighting scales all surfaces alike, so visibility is the log ratio of the greys: the
    # hands must stand out from the backdrop (else the sample carries no label) and from
    # the shirt (several gestures play in front of the body), the shirt (upper arms) from
    # the backdrop somewhat.
    while True:
        backdrop_grey, skin_brightness = rng.uniform(0.08, 0.85), rng.uniform(0.45, 1.1)
        shirt_rgb = rng.uniform(0.1, 0.8, 3)
        skin_grey, shirt_grey = float(np.clip(skin_brightness * SKIN_RGB, 0, 1) @ LUMA), float(
            shirt_rgb @ LUMA
        )
        if (
            _log_apart(skin_grey, backdrop_grey) >= MIN_LOG_CONTRAST_SKIN
            and _log_apart(skin_grey, shirt_grey) >= MIN_LOG_CONTRAST_SHIRT
            and _log_apart(shirt_grey, backdrop_grey) >= MIN_LOG_CONTRAST_SHIRT
        ):
            break
    contrast_pos = rng.uniform(0.12, 0.3)
    sensor = EventCameraConfig(
        contrast_pos=contrast_pos,
        contrast_neg=contrast_pos * rng.uniform(0.8, 1.25),
        threshold_sigma=rng.uniform(0.01, 0.05),
        refractory_us=int(rng.integers(0, 500)),
        noise_rate_hz=float(np.exp(rng.uniform(np.log(0.01), np.log(0.3)))),
    )
    return SampleParams(
        speed=rng.uniform(0.7, 1.4),
        amplitude=rng.uniform(0.8, 1.2),
        phase=rng.uniform(0, 2 * np.pi),
        gesture_offset=tuple(rng.uniform(-0.03, 0.03, 3)),
        body_x=rng.uniform(-0.15, 0.15),
        body_depth=rng.uniform(-0.35, 0.5),
        body_z=rng.uniform(-0.12, 0.12),
        body_yaw=np.deg2rad(rng.uniform(-15, 15)),
        sway_amplitude=np.deg2rad(rng.uniform(0, 3)),
        sway_hz=rng.uniform(0.3, 0.8),
        light_azimuth=np.deg2rad(rng.uniform(-60, 60)),
        light_elevation=np.deg2rad(rng.uniform(15, 70)),
        light_diffuse=rng.uniform(0.3, 0.9),
        ambient=rng.uniform(0.1, 0.35),
        backdrop_grey=backdrop_grey,
        shirt_rgb=tuple(shirt_rgb),
        skin_brightness=skin_brightness,
        sensor=sensor,
        sensor_seed=int(rng.integers(2**31)),
    )


# --- gestures: wrist paths ---------------------------------------------------------------


def _rest(side: float, t: np.ndarray) -> ArmPath:
    """Return an idle arm hanging by the side, slightly bent."""
    wrist = SHOULDERS[side] + np.array([side * 0.06, -0.05, -0.51])
    return ArmPath(np.tile(wrist, (len(t), 1)), np.array([side * 0.3, 1.0, 0.0]), np.zeros(len(t)))


def _circle(centre: np.ndarray, radius: float, angle: np.ndarray) -> np.ndarray:
    """Points on a circle in the image plane (x right, z up); angle counter-clockwise on screen."""
    return centre + radius * np.stack([np.cos(angle), np.zeros_like(angle), np.sin(angle)], axis=1)


def _hand_clap(t: np.ndarray, p: SampleParams) -> dict[float, ArmPath]:
    cycle = 2 * np.pi * 2.0 * p.speed * t + p.phase
    half_gap = 0.05 + 0.2 * p.amplitude * (1 - np.cos(cycle)) / 2  # palms meet at the midline
    out = {}
    for side in (RIGHT, LEFT):
        wrist = np.stack(
            [side * half_gap, np.full_like(t, -0.32), 0.28 + 0.02 * np.sin(cycle)], axis=1
        )
        out[side] = ArmPath(wrist, np.array([side, 0.3, -1.0]), np.zeros(len(t)))
    return out


def _hand_wave(side: float) -> Callable[[np.ndarray, SampleParams], dict[float, ArmPath]]:
    def wave(t: np.ndarray, p: SampleParams) -> dict[float, ArmPath]:
        cycle = np.sin(2 * np.pi * 2.0 * p.speed * t + p.phase)
        # upper arm out to the side, forearm up, the hand swinging side to side and flapping with
        # it
        wrist = SHOULDERS[side] + np.stack(
            [
                side * (0.24 + 0.14 * p.amplitude * cycle),
                np.full_like(t, -0.08),
                np.full_like(t, 0.24),
            ],
            axis=1,
        )
        return {
            side: ArmPath(wrist, np.array([side, 0.0, -0.5]), 0.5 * p.amplitude * side * cycle),
            -side: _rest(-side, t),
        }

    return wave


def _arm_circle(
    side: float, clockwise: bool
) -> Callable[[np.ndarray, SampleParams], dict[float, ArmPath]]:
    def circle(t: np.ndarray, p: SampleParams) -> dict[float, ArmPath]:
        direction = -1.0 if clockwise else 1.0
        angle = p.phase + direction * 2 * np.pi * 1.0 * p.speed * t
        wrist = _circle(
            SHOULDERS[side] + np.array([side * 0.2, -0.12, 0.02]), 0.2 * p.amplitude, angle
        )
        return {
            side: ArmPath(wrist, np.array([side, 0.3, -0.5]), np.zeros(len(t))),
            -side: _rest(-side, t),
        }

    return circle


def _arm_roll(t: np.ndarray, p: SampleParams) -> dict[float, ArmPath]:
    # forearms rolling around each other in front of the chest: hands half a turn apart
    angle = 2 * np.pi * 2.0 * p.speed * t + p.phase
    out = {}
    for side, lag in ((RIGHT, 0.0), (LEFT, np.pi)):
        wrist = _circle(np.array([side * 0.06, -0.33, 0.25]), 0.08 * p.amplitude, angle + lag)
        out[side] = ArmPath(wrist, np.array([side, 0.3, -1.0]), np.zeros(len(t)))
    return out


def _air_drums(t: np.ndarray, p: SampleParams) -> dict[float, ArmPath]:
    out = {}
    for side, lag in ((RIGHT, 0.0), (LEFT, np.pi)):  # alternate strokes
        stroke = (1 + np.sin(2 * np.pi * 2.0 * p.speed * t + p.phase + lag)) / 2
        wrist = np.stack(
            [
                np.full_like(t, side * 0.2),
                np.full_like(t, -0.3),
                0.12 + 0.1 * p.amplitude * stroke,
            ],
            axis=1,
        )
        out[side] = ArmPath(wrist, np.array([side, 0.5, -0.5]), 0.6 * p.amplitude * (stroke - 0.5))
    return out


def _air_guitar(t: np.ndarray, p: SampleParams) -> dict[float, ArmPath]:
    strum = np.sin(2 * np.pi * 3.0 * p.speed * t + p.phase)
    right = np.stack(
        [-0.02 + 0.02 * strum, np.full_like(t, -0.25), 0.12 + 0.09 * p.amplitude * strum], axis=1
    )
    slide = (
        0.04 * p.amplitude * np.sin(2 * np.pi * 0.7 * p.speed * t + 2 * p.phase)
    )  # along the neck
    left = SHOULDERS[LEFT] + np.stack(
        [0.36 + slide, np.full_like(t, -0.12), -0.1 + 0.3 * slide], axis=1
    )
    return {
        RIGHT: ArmPath(right, np.array([RIGHT, 0.3, -1.0]), 0.3 * strum),
        LEFT: ArmPath(left, np.array([0.0, 0.3, -1.0]), np.zeros(len(t))),
    }


GESTURE_PATHS: dict[str, Callable[[np.ndarray, SampleParams], dict[float, ArmPath]]] = {
    'hand_clapping': _hand_clap,
    'right_hand_wave': _hand_wave(RIGHT),
    'left_hand_wave': _hand_wave(LEFT),
    'right_arm_clockwise': _arm_circle(RIGHT, clockwise=True),
    'right_arm_counter_clockwise': _arm_circle(RIGHT, clockwise=False),
    'left_arm_clockwise': _arm_circle(LEFT, clockwise=True),
    'left_arm_counter_clockwise': _arm_circle(LEFT, clockwise=False),
    'arm_roll': _arm_roll,
    'air_drums': _air_drums,
    'air_guitar': _air_guitar,
}
assert tuple(GESTURE_PATHS) == GESTURES


def two_link_ik(
    shoulder: np.ndarray,
    wrist: np.ndarray,
    pole: np.ndarray,
    upper: float = UPPER_ARM_M,
    lower: float = FOREARM_M,
) -> tuple[np.ndarray, np.ndarray]:
    """
    Solve the arm's pose that puts the wrist at ``wrist``.

    Returns shoulder quaternions (T, 4; w x y z) and elbow angles (T,) for wrist positions (T, 3),
    with the elbow bent towards ``pole``; out-of-reach targets are approached along the same line.
    Frames as in ``arm.xml``: the upper arm hangs along its local -z and the elbow hinge turns
    about its local x.
    """
    reach = wrist - shoulder
    dist = np.linalg.norm(reach, axis=1, keepdims=True)
    along = reach / np.maximum(dist, 1e-9)
    dist = np.clip(dist, abs(upper - lower) + 1e-3, upper + lower - 1e-6)
    # elbow on the circle of points `upper` from the shoulder and `lower` from the wrist
    foot = (upper**2 - lower**2 + dist**2) / (2 * dist)
    height = np.sqrt(np.maximum(upper**2 - foot**2, 0.0))
    bend = pole - (along @ pole)[:, None] * along
    bend_norm = np.linalg.norm(bend, axis=1, keepdims=True)
    # a pole along the arm leaves the bend free: any perpendicular will do
    helper = np.where(np.abs(along[:, :1]) < 0.9, [[1.0, 0.0, 0.0]], [[0.0, 1.0, 0.0]])
    fallback = np.cross(along, helper)
    fallback /= np.linalg.norm(fallback, axis=1, keepdims=True)
    bend = np.where(bend_norm > 1e-6, bend / np.maximum(bend_norm, 1e-12), fallback)
    elbow_offset = foot * along + height * bend  # from the shoulder
    upper_dir = elbow_offset / upper
    fore_dir = (dist * along - elbow_offset) / lower
    perp = fore_dir - np.sum(fore_dir * upper_dir, axis=1, keepdims=True) * upper_dir
    perp_norm = np.linalg.norm(perp, axis=1, keepdims=True)
    perp = np.where(perp_norm > 1e-6, perp / np.maximum(perp_norm, 1e-12), bend)  # straight arm
    hinge = np.cross(upper_dir, perp)
    angle = np.arctan2(np.sum(fore_dir * perp, axis=1), np.sum(fore_dir * upper_dir, axis=1))
    # columns: local x -> hinge axis, local z -> -upper_dir, local y completes the frame
    rotation = np.stack([hinge, np.cross(hinge, upper_dir), -upper_dir], axis=2)
    quats = np.empty((len(wrist), 4))
    for q, mat in zip(quats, rotation):
        mujoco.mju_mat2Quat(q, mat.ravel())
    return quats, angle


def _gl_context_class(backend: str) -> type:
    if backend == 'egl':
        from mujoco.egl import GLContext
    elif backend == 'osmesa':
        from mujoco.osmesa import GLContext
    elif backend in ('glfw', ''):
        from mujoco.glfw import GLContext
    else:
        raise RuntimeError(f'unknown MUJOCO_GL backend {backend!r} (egl, osmesa or glfw)')
    return GLContext


class OffscreenCamera:
    """
    RGB images of one model camera, rendered offscreen.

    Not ``mujoco.Renderer``: that one takes its OpenGL backend from ``MUJOCO_GL`` as it
    stood when MuJoCo was first imported in the process, which a library imported later
    cannot choose. Here the backend is ``MUJOCO_GL`` if set, else EGL when there is no
    display (Mesa's software EGL renders headless where OSMesa is not installed), else
    GLFW. Mesa's llvmpipe gets one render thread unless ``LP_NUM_THREADS`` says otherwise:
    its threads only contend with the event simulator for the cores at these image sizes.
    """

    def __init__(self, model: mujoco.MjModel, camera: str, width: int, height: int) -> None:
        backend = (
            os.environ.get('MUJOCO_GL', '' if os.environ.get('DISPLAY') else 'egl').lower().strip()
        )
        os.environ.setdefault('LP_NUM_THREADS', '1')
        try:
            self.gl = _gl_context_class(backend)(width, height)
            self.gl.make_current()
            self.context = mujoco.MjrContext(model, mujoco.mjtFontScale.mjFONTSCALE_100.value)
        except Exception as exc:  # the backends raise assorted errors
            raise RuntimeError(
                f"cannot render offscreen with the {backend or 'glfw'!r} OpenGL backend "
                f'(set MUJOCO_GL to egl, osmesa or glfw): {exc}'
            ) from exc
        mujoco.mjr_setBuffer(mujoco.mjtFramebuffer.mjFB_OFFSCREEN.value, self.context)
        self.model, self.rect = model, mujoco.MjrRect(0, 0, width, height)
        self.scene = mujoco.MjvScene(model, maxgeom=100)
        self.option = mujoco.MjvOption()
        self.view = mujoco.MjvCamera()
        self.view.type = mujoco.mjtCamera.mjCAMERA_FIXED
        self.view.fixedcamid = mujoco.mj_name2id(model, mujoco.mjtObj.mjOBJ_CAMERA, camera)
        self.pixels = np.empty((height, width, 3), dtype=np.uint8)

    def render(self, data: mujoco.MjData) -> np.ndarray:
        """
        Return the camera's image (height, width, 3) uint8, top row first.

        Valid until the next call.
        """
        self.gl.make_current()
        mujoco.mjv_updateScene(
            self.model,
            data,
            self.option,
            None,
            self.view,
            mujoco.mjtCatBit.mjCAT_ALL.value,
            self.scene,
        )
        mujoco.mjr_render(self.rect, self.scene, self.context)
        mujoco.mjr_readPixels(self.pixels, None, self.rect, self.context)
        return self.pixels[::-1]  # OpenGL's rows start at the bottom


class _GestureScene:
    """The model, its data and an offscreen renderer; one per process, reused per sample."""

    def __init__(self) -> None:
        self.model = mujoco.MjModel.from_xml_path(str(MODEL_PATH))
        self.data = mujoco.MjData(self.model)
        width, height = SENSOR_SIZE
        self.camera = OffscreenCamera(
            self.model, 'sensor', width * SUPERSAMPLING, height * SUPERSAMPLING
        )
        name = lambda kind, n: mujoco.mj_name2id(self.model, kind, n)  # noqa: E731
        self.qpos_of = {
            j: int(self.model.jnt_qposadr[name(mujoco.mjtObj.mjOBJ_JOINT, j)])
            for j in (
                'root_x',
                'root_y',
                'root_z',
                'root_yaw',
                'r_shoulder',
                'r_elbow',
                'r_wrist',
                'l_shoulder',
                'l_elbow',
                'l_wrist',
            )
        }
        self.key_light = name(mujoco.mjtObj.mjOBJ_LIGHT, 'key')
        self.material = {
            m: name(mujoco.mjtObj.mjOBJ_MATERIAL, m) for m in ('backdrop', 'shirt', 'skin')
        }

    def set_appearance(self, p: SampleParams) -> None:
        m = self.model
        # the light shines from (azimuth, elevation) around the camera's side of the person
        towards = np.array(
            [
                -np.sin(p.light_azimuth) * np.cos(p.light_elevation),
                np.cos(p.light_azimuth) * np.cos(p.light_elevation),
                -np.sin(p.light_elevation),
            ]
        )
        m.light_dir[self.key_light] = towards
        m.light_diffuse[self.key_light] = p.light_diffuse
        m.vis.headlight.ambient[:] = p.ambient
        m.mat_rgba[self.material['backdrop'], :3] = p.backdrop_grey
        m.mat_rgba[self.material['shirt'], :3] = p.shirt_rgb
        m.mat_rgba[self.material['skin'], :3] = np.clip(p.skin_brightness * SKIN_RGB, 0, 1)

    def joint_trajectory(self, label: int, t: np.ndarray, p: SampleParams) -> np.ndarray:
        """Return qpos per frame (T, nq)."""
        qpos = np.tile(self.model.qpos0, (len(t), 1))
        qpos[:, self.qpos_of['root_x']] = p.body_x
        qpos[:, self.qpos_of['root_y']] = p.body_depth
        qpos[:, self.qpos_of['root_z']] = p.body_z
        qpos[:, self.qpos_of['root_yaw']] = p.body_yaw + p.sway_amplitude * np.sin(
            2 * np.pi * p.sway_hz * t
        )
        for side, path in GESTURE_PATHS[GESTURES[label]](t, p).items():
            arm = ARM_PREFIX[side]
            quats, elbow = two_link_ik(
                SHOULDERS[side], path.wrist + np.asarray(p.gesture_offset), path.elbow_pole
            )
            start = self.qpos_of[f'{arm}_shoulder']
            qpos[:, start:start + 4] = quats
            qpos[:, self.qpos_of[f'{arm}_elbow']] = elbow
            qpos[:, self.qpos_of[f'{arm}_wrist']] = path.wrist_angle
        return qpos

    def render(self, qpos: np.ndarray) -> np.ndarray:
        """Grey-level frame in [0, 1] at the sensor's size (box-averaged supersampling)."""
        self.data.qpos[:] = qpos
        mujoco.mj_forward(self.model, self.data)
        grey = self.camera.render(self.data) @ LUMA_PER_LEVEL
        # box filter by strided slices: several times faster than reshape + mean here
        blocks = [
            grey[i::SUPERSAMPLING, j::SUPERSAMPLING]
            for i in range(SUPERSAMPLING)
            for j in range(SUPERSAMPLING)
        ]
        return sum(blocks) / len(blocks)


_scene: _GestureScene | None = None


def _get_scene() -> _GestureScene:
    global _scene
    if _scene is None:
        _scene = _GestureScene()
    return _scene


def frame_times_us(duration_s: float = DURATION_S) -> np.ndarray:
    """Render times of one sample, microseconds from 0."""
    n_frames = int(round(duration_s * RENDER_HZ)) + 1
    return np.round(np.arange(n_frames) * 1e6 / RENDER_HZ).astype(np.int64)


def iter_frames(label: int, params: SampleParams) -> Iterator[tuple[np.ndarray, int]]:
    """
    (grey frame (height, width) in [0, 1], time in us) of one gesture sample, in order.

    The process's scene is shared: consume one such iterator before starting the next.
    """
    label = _check_label(label)
    scene = _get_scene()
    scene.set_appearance(params)
    times_us = frame_times_us()
    for qpos, t_us in zip(scene.joint_trajectory(label, times_us * 1e-6, params), times_us):
        yield scene.render(qpos), int(t_us)


def sample_params(label: int, seed: int) -> SampleParams:
    """Return the randomisation of sample (label, seed)."""
    return draw_sample_params(np.random.default_rng([int(seed), _check_label(label)]))


def generate_sample(label: int, seed: int) -> np.ndarray:
    """
    Generate the events of one sample of gesture ``label``.

    ``EVENT_DTYPE``, sorted by t, t from 0 to ``DURATION_S``; the same (label, seed) always gives
    the same events.
    """
    params = sample_params(label, seed)
    width, height = SENSOR_SIZE
    camera = EventCameraSimulator(height, width, params.sensor, seed=params.sensor_seed)
    # frame by frame: the simulator keeps its state, the video need not be held
    return np.concatenate([camera.feed(frame, t_us) for frame, t_us in iter_frames(label, params)])


def sample_seed(dataset_seed: int, index: int) -> int:
    """
    Seed of the ``index``-th sample of each class in the dataset of ``dataset_seed``.

    Independent streams, so datasets of different seeds share no samples.
    """
    return int(np.random.SeedSequence([int(dataset_seed), int(index)]).generate_state(1)[0])


def _check_count(n_per_class: int) -> int:
    if (
        isinstance(n_per_class, bool)
        or not isinstance(n_per_class, (int, np.integer))
        or n_per_class < 1
    ):
        raise ValueError(f'n_per_class must be an int >= 1, got {n_per_class!r}')
    return int(n_per_class)


def generate_dataset(
    n_per_class: int, seed: int = 0, progress: bool = True, workers: int = 1
) -> tuple[list[np.ndarray], np.ndarray]:
    """
    ``n_per_class`` samples of every gesture.

    (event arrays, labels (int64)), ordered sample index-major (one of each class, then the next),
    so any prefix is balanced. ``workers`` > 1 generates in that many spawned processes (the same
    samples); a script doing so must call it under ``if __name__ == "__main__":``, as spawning
    requires.
    """
    n_per_class = _check_count(n_per_class)
    if isinstance(workers, bool) or not isinstance(workers, (int, np.integer)) or workers < 1:
        raise ValueError(f'workers must be an int >= 1, got {workers!r}')
    labels = np.tile(np.arange(len(GESTURES), dtype=np.int64), n_per_class)
    seeds = [sample_seed(seed, index) for index in range(n_per_class) for _ in GESTURES]
    bar = {
        'total': len(labels),
        'desc': 'gesture samples',
        'unit': 'sample',
        'disable': not progress,
    }
    if workers == 1:
        return [generate_sample(label, s) for label, s in tqdm(zip(labels, seeds), **bar)], labels
    # spawned, not forked: each worker opens its own OpenGL context
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context('spawn')) as pool:
        return (
            list(tqdm(pool.map(generate_sample, labels.tolist(), seeds, chunksize=4), **bar)),
            labels,
        )


def _cache_key(n_per_class: int, seed: int) -> str:
    return json.dumps(
        {
            'version': GENERATOR_VERSION,
            'gestures': GESTURES,
            'sensor_size': SENSOR_SIZE,
            'duration_s': DURATION_S,
            'render_hz': RENDER_HZ,
            'supersampling': SUPERSAMPLING,
            'n_per_class': n_per_class,
            'seed': int(seed),
        },
        sort_keys=True,
    )


def cache_path(cache_dir: str | Path, n_per_class: int, seed: int = 0) -> Path:
    """Return where :func:`load_or_generate` keeps this dataset."""
    digest = hashlib.sha1(_cache_key(_check_count(n_per_class), seed).encode()).hexdigest()[:12]
    return Path(cache_dir) / f'gestures_{n_per_class}x{len(GESTURES)}_seed{int(seed)}_{digest}.npz'


def save_dataset(
    path: str | Path, samples: list[np.ndarray], labels: np.ndarray, key: str = ''
) -> Path:
    """One ``.npz``: all events concatenated, ``offsets`` (n + 1) delimiting the samples."""
    offsets = np.concatenate([[0], np.cumsum([len(s) for s in samples])]).astype(np.int64)
    events = np.concatenate(samples) if samples else np.zeros(0, EVENT_DTYPE)
    return atomic_savez(
        path,
        events=events,
        offsets=offsets,
        labels=np.asarray(labels, np.int64),
        gestures=np.array(GESTURES),
        key=np.array(key),
    )


def load_dataset(path: str | Path, key: str | None = None) -> tuple[list[np.ndarray], np.ndarray]:
    """
    Return the samples and labels of :func:`save_dataset`'s file.

    ``ValueError`` naming the file if it is unreadable, inconsistent, or (``key`` given) made with
    other parameters.
    """
    arrays = read_npz(path, 'gesture dataset')
    missing = {'events', 'offsets', 'labels', 'gestures', 'key'} - set(arrays)
    if missing:
        raise ValueError(f'gesture dataset {path} lacks {sorted(missing)}')
    events, offsets, labels = arrays['events'], arrays['offsets'], arrays['labels']
    if key is not None and str(arrays['key']) != key:
        raise ValueError(f'gesture dataset {path} was generated with other parameters')
    if (
        events.dtype != EVENT_DTYPE
        or len(offsets) != len(labels) + 1
        or offsets[0] != 0
        or offsets[-1] != len(events)
        or np.any(np.diff(offsets) < 0)
        or tuple(arrays['gestures']) != GESTURES
        or np.any((labels < 0) | (labels >= len(GESTURES)))
    ):
        raise ValueError(
            f'gesture dataset {path} is inconsistent (events, offsets, labels or gestures)'
        )
    return [events[a:b] for a, b in zip(offsets[:-1], offsets[1:])], labels


def load_or_generate(
    cache_dir: str | Path | None = None,
    n_per_class: int = 100,
    seed: int = 0,
    progress: bool = True,
    workers: int = 1,
) -> tuple[list[np.ndarray], np.ndarray]:
    """
    :func:`generate_dataset` through a cache in ``cache_dir`` (default :data:`DEFAULT_CACHE_DIR`).

    An unusable cache file (corrupt, truncated, other parameters) is reported with a warning and
    regenerated.
    """
    n_per_class = _check_count(n_per_class)
    path = cache_path(DEFAULT_CACHE_DIR if cache_dir is None else cache_dir, n_per_class, seed)
    key = _cache_key(n_per_class, seed)
    if path.exists():
        try:
            return load_dataset(path, key)
        except ValueError as exc:
            warnings.warn(f'{exc}; regenerating it', RuntimeWarning, stacklevel=2)
    samples, labels = generate_dataset(n_per_class, seed, progress, workers)
    save_dataset(path, samples, labels, key)
    return samples, labels


def main(argv: list[str] | None = None) -> None:
    """Generate (or load) a cached dataset and report its speed and size."""
    parser = argparse.ArgumentParser(
        description='Generate the event-camera gesture dataset into its cache.'
    )
    parser.add_argument('--n-per-class', type=int, default=100)
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--workers', type=int, default=1)
    parser.add_argument('--cache-dir', default=str(DEFAULT_CACHE_DIR))
    args = parser.parse_args(argv)
    start = time.perf_counter()
    samples, labels = load_or_generate(
        args.cache_dir, args.n_per_class, args.seed, workers=args.workers
    )
    elapsed = time.perf_counter() - start
    counts = np.array([len(s) for s in samples])
    print(
        f'{len(samples)} samples ({len(GESTURES)} classes) in {elapsed:.1f} s = '
        f'{len(samples) / elapsed:.2f} '
        f'samples/s with {args.workers} worker(s); events per sample: median '
        f'{np.median(counts):.0f}, '
        f'min {counts.min()}, max {counts.max()}; '
        f'{cache_path(args.cache_dir, args.n_per_class, args.seed)}'
    )


if __name__ == '__main__':
    main()
