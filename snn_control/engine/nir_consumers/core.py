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
Compare a NIR consumer's run of our exported graph with our simulator, spike for spike.

Every consumer driver (:mod:`.norse`, :mod:`.snntorch`, :mod:`.rockpool`) provides a *runner*:
given the network, the input currents and each population's initial (current, voltage), it
returns the consumer's spikes and voltages per population, in the consumer's undelayed time.
:func:`compare` runs our numpy simulator on the same currents, aligns the steps (a
population at depth ``d`` runs ``d`` steps earlier in a consumer whose edges do not delay,
see item 6 of :mod:`.norse`), starts each consumer population from our state at step
``d - 1`` and counts the equal (neuron, step) spike entries.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from typing import Callable, Mapping, Sequence

import numpy as np
from snn_control.engine.network import NetworkSpec
from snn_control.engine.nir_io import threshold_as_current
from snn_control.engine.simulator import Simulator

#: Per population: (current, voltage) before the consumer's first step.
InitialState = Mapping[str, tuple[np.ndarray, np.ndarray]]
#: Per population: ``spikes`` and ``v``, each ``(T, size)``.
Trace = dict[str, dict[str, np.ndarray]]
#: A consumer's run of ``spec`` on ``currents`` ``(T, n_inputs)`` from an initial state.
Runner = Callable[[NetworkSpec, np.ndarray, InitialState], Trace]


class ConsumerUnavailable(RuntimeError):
    """A consumer's package is not installed (``scripts/bootstrap.sh`` installs them)."""


@dataclass(frozen=True)
class Agreement:
    """A consumer's run of our NIR graph against ours, steps aligned per population."""

    #: Fraction of (neuron, step) spike entries that are equal, over every spiking neuron.
    spikes: float
    #: The same per spiking population.
    per_population: Mapping[str, float]
    spike_count_ours: int
    spike_count_theirs: int
    #: Largest |v ours - v theirs| over the leaky-integrator readouts (the network's output),
    #: and the largest |v ours| there, the scale to judge it by.
    readout_max_error: float
    readout_max_abs: float
    #: Differences the driver cannot bridge (adaptive thresholds, non-layered connections, and
    #: what the consumer cannot express).
    known_differences: tuple[str, ...]


def population_depths(spec: NetworkSpec) -> dict[str, int]:
    """
    Connect from the input population to each population it reaches (breadth first).

    Only current-port connections count: threshold-port ones are edges of the NIR graph only
    where they are written as currents, and then run beside a current connection.
    """
    depths = {spec.input_population: 0}
    queue = deque([spec.input_population])
    while queue:
        source = queue.popleft()
        for conn in spec.connections:
            if conn.port == 'current' and conn.source == source and conn.target not in depths:
                depths[conn.target] = depths[source] + 1
                queue.append(conn.target)
    return depths


def known_differences(spec: NetworkSpec) -> tuple[str, ...]:
    """Why a consumer with undelayed edges cannot match ``spec`` exactly (empty: it can)."""
    depths = population_depths(spec)
    reasons = [
        f'population {p.name!r} is not reachable from the input: the consumer does not run it'
        for p in spec.populations
        if p.name not in depths
    ]
    for pop in spec.populations:
        sources = {c.source for c in spec.incoming(pop.name) if c.source != pop.name}
        if len(sources) > 1:
            reasons.append(
                f'population {pop.name!r} has {len(sources)} source populations: the consumer may '
                'run it '
                'before one of them, which delays that input by a step'
            )
        if spec.incoming(pop.name, 'threshold') and not threshold_as_current(spec, pop):
            reasons.append(
                f'population {pop.name!r} has an adaptive threshold, which NIR cannot express: '
                'the consumer runs it without adaptation'
            )
    for conn in spec.connections:
        if (
            conn.port == 'current'
            and conn.source != conn.target
            and conn.source in depths
            and depths.get(conn.target) != depths[conn.source] + 1
        ):
            reasons.append(
                f'connection {conn.name} skips or goes back across layers: ours delays it by one '
                'step '
                'per layer, the consumer not at all'
            )
    return tuple(reasons)


def compare(
    spec: NetworkSpec, currents: np.ndarray, run: Runner, differences: Sequence[str] = ()
) -> Agreement:
    """
    Run ``spec`` here and, through ``run``, in a consumer on ``currents``; compare.

    ``differences`` are what the consumer cannot express (its driver names them); they are
    reported after the ones every undelayed consumer has (:func:`known_differences`).
    """
    currents = np.asarray(currents, dtype=np.float64)
    sim = Simulator(spec, library='numpy')
    states = [sim.step(current) for current in currents]  # numpy steps return fresh arrays
    u, v, s = (np.array([getattr(st, field) for st in states]) for field in ('u', 'v', 's'))
    slices = sim.layout.slices
    depths = population_depths(spec)
    theta = np.array([st.theta for st in states])
    # A population whose threshold travels as a current starts from current - threshold offset.
    offset = {pop.name: threshold_as_current(spec, pop) for pop in spec.populations}
    initial = {
        name: (
            u[d - 1, slices[name]] - (theta[d - 1, slices[name]] if offset[name] else 0.0),
            v[d - 1, slices[name]],
        )
        for name, d in depths.items()
        if 0 < d <= len(u)
    }
    theirs = run(spec, currents, initial)

    per_population, matches, entries, count_ours, count_theirs = {}, 0, 0, 0, 0
    readout_error, readout_abs = 0.0, 0.0
    for pop in spec.populations:
        if pop.name not in depths:
            continue
        d = depths[pop.name]
        aligned = len(currents) - d
        if aligned <= 0:
            continue
        sl = slices[pop.name]
        if pop.spiking:
            ours_pop, theirs_pop = s[d:, sl], theirs[pop.name]['spikes'][:aligned]
            equal = int((ours_pop == theirs_pop).sum())
            per_population[pop.name] = equal / ours_pop.size
            matches, entries = matches + equal, entries + ours_pop.size
            count_ours += int(ours_pop.sum())
            count_theirs += int(theirs_pop.sum())
        else:
            readout = v[d:, sl]
            readout_error = max(
                readout_error, float(np.abs(readout - theirs[pop.name]['v'][:aligned]).max())
            )
            readout_abs = max(readout_abs, float(np.abs(readout).max()))
    return Agreement(
        spikes=matches / entries if entries else 1.0,
        per_population=per_population,
        spike_count_ours=count_ours,
        spike_count_theirs=count_theirs,
        readout_max_error=readout_error,
        readout_max_abs=readout_abs,
        known_differences=known_differences(spec) + tuple(differences),
    )


def exported_graph(spec: NetworkSpec, folder: str) -> tuple[object, str]:
    """Write ``spec``'s NIR file into ``folder`` and read it back: (graph, path)."""
    import nir
    from snn_control.engine.nir_io import write_nir

    path = str(write_nir(spec, f'{folder}/{spec.name}.nir'))
    return nir.read(path), path
