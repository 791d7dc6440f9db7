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
The spiking NCAP born for Xylo: the same circuit within Xylo v2's rules.

The swimmer's B-neurons, muscles and torque readouts are the spiking NCAP's
(:mod:`snn_control.swimmer.ncap`); what changes for Xylo, and why:

* Xylo takes events, not currents. The host's encoder is one comparator per B-neuron
  (:func:`~snn_control.engine.xylo_program.xylo_violations`' input rule): the head
  oscillator's square wave fires its channel while it is high, and joint ``i - 1``'s dorsal
  (ventral) channel fires while its angle exceeds ``q_threshold`` of the joint limit on
  that side. Proprioception is therefore one bit per side, where the float NCAP passes
  ``clamp(q, 0, 1)``; ``q_threshold`` is a fifth parameter, trained with the other four.
  Xylo v2 has 16 input channels, so up to 8 joints (a 9-link swimmer) fit.
* The B-neurons are hidden neurons fed by those events with the weights ``w_osc`` and
  ``w_prop``: on chip, not on the host, so all four NCAP weights are Xylo's integers.
* Xylo decays a synaptic current before the membrane sees it, so no current is
  memoryless: every current halves each step (``du = 1/2``), and weights are written as
  ``w du`` so that a neuron fed every step settles at the current ``w``, the float NCAP's.
  Membrane leaks are powers of two: ``2**-4`` (the float NCAP's 0.05) for neurons, ``1/2``
  (its readout keeps 0.6) for the torque readouts.
* The host reads the torque readouts' membrane potentials (Xylo's Vmem output): a torque
  is continuous, and a readout fires at most one spike per step.
* A Xylo neuron holding several thresholds fires several spikes in a step where the
  engine's fires one; training runs Xylo's integer arithmetic (the ``xylo`` backend, the
  engine's bit-exact model of ``xylosim``), so the weights it finds are those the chip runs.
"""

from __future__ import annotations

from dataclasses import astuple, dataclass

import numpy as np
from snn_control.engine.network import Connection, make_population, NetworkSpec
from snn_control.swimmer.ncap import b_neuron_drive, NcapParams, SpikingNcap

#: Network steps per control tick: one more than the float NCAP's 5, because the
#: B-neurons are a hop of their own here (the float NCAP's B-neurons are its input).
STEPS_PER_TICK = 6
CURRENT_DU = 0.5
NEURON_DV = 2.0**-4
READOUT_DV = 0.5
#: The published initialisation of the four weights, and a quarter of the joint limit.
INITIAL_Q_THRESHOLD = 0.25
N_PARAMETERS = 5
#: The drive of unit weights: the raw oscillator and clamp(q, 0, 1) signals.
_UNIT = NcapParams(1.0, 1.0, 1.0, -1.0)


@dataclass(frozen=True)
class XyloNcapParams:
    """NCAP's four shared weights and the proprioceptive comparators' threshold."""

    ncap: NcapParams = NcapParams()
    q_threshold: float = INITIAL_Q_THRESHOLD

    def as_array(self) -> np.ndarray:
        """Return ``[w_prop, w_osc, w_ipsi, w_contra, q_threshold]``."""
        return np.r_[self.ncap.as_array(), self.q_threshold]

    @classmethod
    def from_array(cls, x: np.ndarray) -> 'XyloNcapParams':
        """Read five values; signs as NCAP's, the threshold within (0.02, 0.98)."""
        x = np.asarray(x, dtype=np.float64).reshape(N_PARAMETERS)
        return cls(NcapParams.from_array(x[:4]), float(np.clip(x[4], 0.02, 0.98)))


def xylo_ncap_network(
    n_joints: int, params: XyloNcapParams, steps_per_tick: int = STEPS_PER_TICK
) -> NetworkSpec:
    """Return comparators (dorsal then ventral), B-neurons, muscles and torque readouts."""
    p = params.ncap.constrained()
    n = 2 * n_joints
    eye = np.eye(n_joints)
    swap = np.block([[np.zeros_like(eye), eye], [eye, np.zeros_like(eye)]])
    # channel 0 of each side is the oscillator (high or low), the others proprioception
    side = np.r_[0.5, np.full(n_joints - 1, params.q_threshold)]
    drive = np.r_[p.w_osc, np.full(n_joints - 1, p.w_prop)]
    neuron = {'du': CURRENT_DU, 'dv': NEURON_DV, 'vth': 1.0, 'bias': 0.0, 'reset': 'soft'}
    pops = (
        make_population('sense', n, 'cuba_lif', du=1.0, dv=1.0, vth=np.r_[side, side], bias=0.0),
        make_population('b', n, 'cuba_lif', **neuron),
        make_population('muscle', n, 'cuba_lif', **neuron),
        make_population('torque', n_joints, 'leaky_integrator', du=CURRENT_DU, dv=READOUT_DV),
    )
    conns = (
        Connection('sense', 'b', CURRENT_DU * np.diag(np.r_[drive, drive])),
        Connection('b', 'muscle', CURRENT_DU * (p.w_ipsi * np.eye(n) + p.w_contra * swap)),
        # a muscle firing every step holds its readout at 1 (current 2 W, membrane 2 W / dv)
        Connection('muscle', 'torque', CURRENT_DU * READOUT_DV * np.hstack([eye, -eye])),
    )
    meta = {
        'system': 'swimmer',
        'n_joints': n_joints,
        'ncap_params': list(astuple(p)),
        'q_threshold': params.q_threshold,
        'steps_per_tick': steps_per_tick,
        'readouts': ['torque'],
        'encoder': 'direct',
        'target': 'xylo-v2',
        'xylo_readout_range': {'torque': 1.0},
        'host_reads': 'torque readout membrane potentials (Xylo Vmem output mode)',
    }
    return NetworkSpec(pops, conns, 'sense', name='xylo_ncap', metadata=meta)


class XyloNcap(SpikingNcap):
    """The Xylo-born spiking NCAP; ``backend`` ``xylo`` (default) or ``xylosim`` runs Xylo."""

    def __init__(
        self,
        n_joints: int,
        joint_limit: float,
        params: XyloNcapParams = XyloNcapParams(),
        dt: float = 0.03,
        backend: str = 'xylo',
    ) -> None:
        self.q_threshold = params.q_threshold
        super().__init__(n_joints, joint_limit, params.ncap, dt, backend, STEPS_PER_TICK)

    def _network(self, steps_per_tick: int) -> NetworkSpec:
        params = XyloNcapParams(self.params, self.q_threshold)
        return xylo_ncap_network(self.n_joints, params, steps_per_tick)

    def _drive(self, observation: np.ndarray) -> np.ndarray:
        # the weights are on chip: the host sends the raw signals to its comparators
        return b_neuron_drive(
            observation[: self.n_joints], int(observation[-1]), _UNIT, self.joint_limit
        )

    @property
    def n_parameters(self) -> int:
        return N_PARAMETERS
