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
Run exported NIR graphs in independent consumers and compare them with our simulator.

Three consumers, each in a module of its own that lists every semantic difference from our
simulator and how its driver bridges it, and what it cannot express (named per network in
:attr:`~.core.Agreement.known_differences`); :mod:`.core` holds the one comparison they
share:

* ``norse`` (:mod:`.norse`): Norse 1.1.0, in this process.
* ``snntorch`` (:mod:`.snntorch`): snnTorch 1.0.0, in this process (it declares no
  dependencies; its NIR import and export use our nir 1.0.8 and nirtorch 2.6).
* ``rockpool`` (:mod:`.rockpool`): Rockpool 3.1.0's ``rockpool.nn`` (never its devices, which
  need ``samna``), in a bounded subprocess with its own nir 1.0.4 and nirtorch 1.0.

Our import (:func:`~snn_control.engine.nir_io.from_nir`) reads what two of them export,
tested by round trips (our graph, the consumer's modules, its export, our import, spike for
spike with the original): snnTorch's ``export_to_nir``
(:func:`.snntorch.snntorch_round_trip`, Euler convention, ``dt`` 1e-4 s) and Rockpool's
``to_nir`` (:func:`.rockpool.rockpool_round_trips`, ``convention="rockpool"``). Norse
1.1.0's ``to_nir`` cannot give back what its ``from_nir`` loaded (measured on ``blimp_pd``
with nirtorch 2.6): it has no mapping for the ``CubaLIF`` wrapper its import makes, so the
graph it traces has ``None`` for the wrapper (and for ``Input`` and ``Output``), no node for
the synapse, the wrapper's ``w_in`` and ``r`` nowhere, and each ``LIFBoxCell`` as a ``LIF``
without incoming edge and with ``tau = dt / tau_mem_inv`` (``dt * tau``, not ``tau``); it is
not used for the way back.

Not used: Sinabs 3.1.3 (pins nir <= 1.0.4 and ``samna``; its ``from_nir`` has no ``CubaLIF``
and no ``Linear``, only ``Affine``, ``LIF``, ``IF``, ``LI``, so our graph does not load) and
Spyx 1.0.0 (needs JAX, Flax, Optax and Grain, hundreds of MB beside torch, and reads only a
``CubaLIF``'s decays, not its thresholds or leak).

:func:`nir_figures` gives the figures ``snn-control bench deploy`` reports per network.
"""

from __future__ import annotations

from typing import Callable
import warnings

import numpy as np
from snn_control.engine.network import NetworkSpec
from snn_control.engine.nir_consumers.core import (
    Agreement,
    compare,
    ConsumerUnavailable,
    known_differences,
    population_depths,
)
from snn_control.engine.nir_consumers.norse import (
    compare_with_norse,
    import_norse,
    load_in_norse,
    run_norse,
)
from snn_control.engine.nir_consumers.rockpool import compare_with_rockpool
from snn_control.engine.nir_consumers.snntorch import compare_with_snntorch

__all__ = [
    'Agreement',
    'CONSUMERS',
    'ConsumerUnavailable',
    'compare',
    'compare_with_norse',
    'compare_with_rockpool',
    'compare_with_snntorch',
    'consumer_names',
    'import_norse',
    'known_differences',
    'load_in_norse',
    'nir_figures',
    'population_depths',
    'run_norse',
]

#: Each consumer's comparison of a network's NIR graph with our simulator.
CONSUMERS: dict[str, Callable[[NetworkSpec, np.ndarray], Agreement]] = {
    'norse': compare_with_norse,
    'snntorch': compare_with_snntorch,
    'rockpool': compare_with_rockpool,
}


def consumer_names() -> tuple[str, ...]:
    """Name the NIR consumers :func:`nir_figures` runs, in its order."""
    return tuple(CONSUMERS)


def nir_figures(name: str, spec: NetworkSpec, currents: np.ndarray) -> dict[str, float]:
    """
    Run network ``name``'s NIR graph in every consumer on ``currents``; return the figures.

    ``<name>_nir_agreement_<consumer>``: the fraction of equal (neuron, step) spike entries;
    ``<name>_nir_readout_max_error_<consumer>``: the largest readout voltage difference;
    ``<name>_nir_agreement`` and ``<name>_nir_readout_max_error``: Norse's, as before;
    ``nir_consumers``: how many consumers ran. A consumer that is not installed is left out
    (with a warning) rather than given a figure it did not measure.
    """
    figures: dict[str, float] = {}
    ran = 0
    for consumer, run in CONSUMERS.items():
        try:
            agreement = run(spec, currents)
        except ConsumerUnavailable as exc:
            warnings.warn(f'NIR consumer {consumer} skipped: {exc}', RuntimeWarning)
            continue
        ran += 1
        spikes = round(agreement.spikes, 4)
        error = float(f'{agreement.readout_max_error:.3g}')
        figures[f'{name}_nir_agreement_{consumer}'] = spikes
        figures[f'{name}_nir_readout_max_error_{consumer}'] = error
        if consumer == 'norse':
            figures[f'{name}_nir_agreement'] = spikes
            figures[f'{name}_nir_readout_max_error'] = error
    figures['nir_consumers'] = ran
    return figures
