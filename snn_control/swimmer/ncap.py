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
NCAP (Bhattasali, Zador, Engel 2022): the C.

elegans forward-locomotion circuit as a controller for an N-link swimmer, rate-based (the
reference) and spiking.

Per joint i: a dorsal and a ventral B-neuron and a dorsal and a ventral muscle.

* B-neuron drive (shared by both versions, :func:`b_neuron_drive`): joint 0's B-neurons get
  the head oscillator, a square wave of ``OSCILLATOR_PERIOD`` control steps (first half
  dorsal, second half ventral), times ``w_osc``; joint i > 0's get the angle of joint i - 1
  divided by the joint limit, split into a dorsal part clamp(q, 0, 1) and a ventral part
  clamp(-q, 0, 1), times ``w_prop``: proprioception passes the wave down the body.
* Muscles: ipsilateral excitation ``w_ipsi`` and contralateral inhibition ``w_contra``
  from the joint's B-neurons. Torque = dorsal muscle - ventral muscle.

Four shared parameters, signs fixed by the biology (excitatory >= 0, inhibitory <= 0):
:class:`NcapParams`, initialised +1 / -1.

Rate NCAP: activations clamp(x, 0, 1). Spiking NCAP: B-neurons and muscles are
integrate-and-fire neurons (threshold 1, soft reset, a light membrane leak so that
inhibition does not pile up for ever) stepped ``steps_per_tick`` times per control step;
an integrate-and-fire neuron fed a constant x fires at rate clamp(x, 0, 1) per step, which
is exactly the rate NCAP's activation, here carried by spikes. The torque readout is a
leaky integrator per joint fed +1/steps from the dorsal and -1/steps from the ventral
muscle's spikes (a muscle's activation filter).
"""

from __future__ import annotations

from dataclasses import astuple, dataclass

import numpy as np
from snn_control.controllers.base import Controller
from snn_control.controllers.spiking import SpikingController
from snn_control.engine.coding import DirectCurrent
from snn_control.engine.network import Connection, make_population, NetworkSpec

OSCILLATOR_PERIOD = 60
STEPS_PER_TICK = 5
READOUT_KEEP = 0.6  # fraction of the torque readout kept per network step


@dataclass(frozen=True)
class NcapParams:
    """The four shared weights; signs are enforced by :meth:`constrained`."""

    w_prop: float = 1.0
    w_osc: float = 1.0
    w_ipsi: float = 1.0
    w_contra: float = -1.0

    def constrained(self) -> 'NcapParams':
        return NcapParams(
            max(self.w_prop, 0.0),
            max(self.w_osc, 0.0),
            max(self.w_ipsi, 0.0),
            min(self.w_contra, 0.0),
        )

    def as_array(self) -> np.ndarray:
        return np.array(astuple(self), dtype=float)

    @classmethod
    def from_array(cls, x: np.ndarray) -> 'NcapParams':
        return cls(*(float(v) for v in np.asarray(x, dtype=float).reshape(4))).constrained()


N_PARAMETERS = 4


def oscillator(step: int, period: int = OSCILLATOR_PERIOD) -> tuple[float, float]:
    """(dorsal, ventral) of the head's square-wave oscillator at control step ``step``."""
    dorsal = 1.0 if (int(step) % period) < period // 2 else 0.0
    return dorsal, 1.0 - dorsal


def b_neuron_drive(
    joint_angles: np.ndarray, step: int, params: NcapParams, joint_limit: float
) -> np.ndarray:
    """Input to the B-neurons, shape (2, n_joints): row 0 dorsal, row 1 ventral."""
    q = np.asarray(joint_angles, dtype=float) / joint_limit
    drive = np.empty((2, q.size))
    osc_d, osc_v = oscillator(step)
    drive[:, 0] = params.w_osc * osc_d, params.w_osc * osc_v
    drive[0, 1:] = params.w_prop * np.clip(q[:-1], 0.0, 1.0)
    drive[1, 1:] = params.w_prop * np.clip(-q[:-1], 0.0, 1.0)
    return drive


class NcapController(Controller):
    """Observation = :class:`~snn_control.sim.swimmer.env.SwimmerEnv`'s; action = joint torques."""

    def __init__(
        self,
        n_joints: int,
        joint_limit: float,
        params: NcapParams = NcapParams(),
        dt: float = 0.03,
    ) -> None:
        self.n_inputs = 2 * n_joints + 3
        self.n_outputs = n_joints
        super().__init__(dt, -1.0, 1.0)
        self.n_joints, self.joint_limit, self.params = (
            n_joints,
            float(joint_limit),
            params.constrained(),
        )

    def reset(self) -> None:
        """
        Keep nothing: the rate NCAP has no state.

        The oscillator runs on the observation's step count.
        """

    def _drive(self, observation: np.ndarray) -> np.ndarray:
        return b_neuron_drive(
            observation[: self.n_joints], int(observation[-1]), self.params, self.joint_limit
        )

    @property
    def n_parameters(self) -> int:
        return N_PARAMETERS


class RateNcap(NcapController):
    """The reference: NCAP exactly as published."""

    def _compute(self, observation: np.ndarray) -> np.ndarray:
        p = self.params
        b = np.clip(self._drive(observation), 0.0, 1.0)
        dorsal = np.clip(p.w_ipsi * b[0] + p.w_contra * b[1], 0.0, 1.0)
        ventral = np.clip(p.w_ipsi * b[1] + p.w_contra * b[0], 0.0, 1.0)
        return dorsal - ventral


def spiking_ncap_network(
    n_joints: int, params: NcapParams, steps_per_tick: int = STEPS_PER_TICK
) -> NetworkSpec:
    """B-neurons (input population, dorsal then ventral), muscles (same order), torque readout."""
    p = params.constrained()
    n = 2 * n_joints
    neuron = {'du': 1.0, 'dv': 0.05, 'vth': 1.0, 'bias': 0.0}
    eye = np.eye(n_joints)
    swap = np.block([[np.zeros_like(eye), eye], [eye, np.zeros_like(eye)]])
    muscle_weights = p.w_ipsi * np.eye(n) + p.w_contra * swap
    readout_weights = (1.0 - READOUT_KEEP) * np.hstack([eye, -eye])
    pops = (
        make_population('b', n, 'cuba_lif', reset='soft', **neuron),
        make_population('muscle', n, 'cuba_lif', reset='soft', **neuron),
        make_population('torque', n_joints, 'leaky_integrator', du=1.0, dv=1.0 - READOUT_KEEP),
    )
    conns = (
        Connection('b', 'muscle', muscle_weights),
        Connection('muscle', 'torque', readout_weights),
    )
    meta = {
        'system': 'swimmer',
        'n_joints': n_joints,
        'ncap_params': list(astuple(p)),
        'steps_per_tick': steps_per_tick,
        'readouts': ['torque'],
        'encoder': 'direct',
    }
    return NetworkSpec(pops, conns, 'b', name='spiking_ncap', metadata=meta)


class SpikingNcap(NcapController):
    """NCAP with spiking B-neurons and muscles on the engine (any backend)."""

    def __init__(
        self,
        n_joints: int,
        joint_limit: float,
        params: NcapParams = NcapParams(),
        dt: float = 0.03,
        backend: str = 'numpy',
        steps_per_tick: int = STEPS_PER_TICK,
    ) -> None:
        super().__init__(n_joints, joint_limit, params, dt)
        self.spec = self._network(steps_per_tick)
        self.network = SpikingController(
            self.spec,
            DirectCurrent(1.0, 2 * n_joints),
            ['torque'],
            dt,
            -1.0,
            1.0,
            steps_per_tick=steps_per_tick,
            backend=backend,
            n_inputs=2 * n_joints,
            n_outputs=n_joints,
        )
        self.backend = backend

    def _network(self, steps_per_tick: int) -> NetworkSpec:
        return spiking_ncap_network(self.n_joints, self.params, steps_per_tick)

    def reset(self) -> None:
        self.network.reset()

    def _compute(self, observation: np.ndarray) -> np.ndarray:
        return self.network.step(self._drive(observation).reshape(-1))

    def spike_populations(self) -> dict[str, int]:
        return self.network.spike_populations()

    def last_spikes(self) -> dict[str, np.ndarray]:
        return self.network.last_spikes()

    def close(self) -> None:
        self.network.close()
