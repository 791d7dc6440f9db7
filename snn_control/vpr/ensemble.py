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
Ensembles of compact, region-specific spiking networks for place recognition.

After Hussaini, Milford and Fischer (ICRA 2023), batched in torch so that every module of
the ensemble trains and answers at once (the paper simulated each module in Brian2).

**One module** is a Diehl & Cook network: ``n_inputs`` rate-coded inputs -> ``n_exc``
excitatory LIF neurons with adaptive thresholds -> one inhibitory partner each, which
inhibits every other excitatory neuron of the module (winner-take-all). Because the
inhibitory partner's one weight exceeds its threshold, it fires exactly one step after its
excitatory neuron; the simulation uses that relay directly rather than integrating a second
population whose only behaviour is to copy the first.

Per step (discrete time; ``dt`` is one step)::

    v     <- v * keep_v + gain * W^T s_in - w_inh * (spikes of the module's others, last step)
    spike <- v > v_th + theta          (not while refractory)
    v     <- 0 where spike; refractory for ``refractory`` steps
    theta <- theta * keep_theta + theta_plus * spike      (training only; frozen afterwards)

**Learning** (training only): each input keeps a trace ``x <- x * keep_pre + s_in``; when
an excitatory neuron spikes its weights move by ``lr * (x - x_target)`` (Diehl & Cook's
post-synaptic rule), are clipped to [0, w_max] and, after each image, each neuron's weights
are renormalised to sum to ``w_sum``: the normalisation is what makes the learnt weights a
comparable template of the inputs that won the neuron.

**Regions**: module ``m`` learns ``P`` places (a seeded shuffle by default, or the paper's
consecutive places ``m*P .. m*P+P-1``), each image shown ``epochs`` times for ``steps_per_image``
steps, the state reset
between images (the paper's 150 ms rest). Each neuron is then labelled with the module
place that makes it fire most; a place's score is the mean spike count of its neurons.

**Hyperactive neurons**: every module sees every reference image; a neuron that fires for
at least ``T`` of them is switched off at query time (``T`` chosen on calibration queries).

**Input coding**: Poisson (Bernoulli per step, probability ``rate * p_max``) during
training, as in the paper. Queries (and the labelling) use, by default, the expectation of
those spike trains as a constant input current (``query_input="rate"``), which removes
sampling noise and lets one matrix product per query serve every step, or the spike
trains themselves (``"poisson"``); they run ``query_steps`` steps at ``query_gain`` with the
base threshold (see :class:`EnsembleConfig`).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Callable

import numpy as np
import torch


@dataclass(frozen=True)
class EnsembleConfig:
    places_per_module: int = 25
    neurons_per_place: int = 2
    epochs: int = 6
    steps_per_image: int = 60
    p_max: float = 0.4  # spike probability per step of an input at rate 1
    gain: float = 0.05  # input current per input spike and unit weight, training
    #: Input gain when answering (and labelling). Lower than in training so that the winners'
    #: spike counts stay below saturation and keep the order of their input drives.
    query_gain: float = 0.025
    #: Steps per image when answering (finer spike-count resolution than training needs).
    query_steps: int = 100
    v_th: float = 1.0
    keep_v: float = 0.9  # membrane decay per step (tau = 9.5 steps)
    refractory: int = 1
    w_inh: float = 2.0
    theta_plus: float = 0.1
    keep_theta: float = 0.9999
    keep_pre: float = 0.8  # input trace decay per step
    x_target: float = 0.4
    lr: float = 0.1
    w_max: float = 1.0
    #: Each neuron's weights sum to this after every image (Diehl & Cook: 78 for 784 inputs).
    w_sum: float = 78.0
    #: Regions of seeded-shuffled places (True) or of consecutive places (the paper's default).
    #: Consecutive frames look alike, so in a region of them one neuron wins several places
    #: and others none; see the README for the two measured side by side.
    shuffle_places: bool = True
    #: Inputs at query (and labelling) time: "rate" (expected input as a constant current,
    #: deterministic, one matrix product per image) or "poisson" (spike trains as in training).
    query_input: str = 'rate'
    #: Keep the thresholds adapted in training at query time (Diehl & Cook) or answer with
    #: the base threshold. Measured on the first 500 Nordland places: Recall@1 0.08 kept vs
    #: 0.23 base, because adapted thresholds differ between modules and make their spike
    #: counts incomparable, while within a module the learnt weights already separate places.
    keep_theta_at_query: bool = False

    def __post_init__(self) -> None:
        for name in (
            'places_per_module',
            'neurons_per_place',
            'epochs',
            'steps_per_image',
            'query_steps',
        ):
            if getattr(self, name) < 1:
                raise ValueError(f'{name} must be at least 1, got {getattr(self, name)}')
        if self.query_input not in ('poisson', 'rate'):
            raise ValueError(f"query_input must be 'poisson' or 'rate', got {self.query_input!r}")

    @property
    def n_exc(self) -> int:
        return self.places_per_module * self.neurons_per_place

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass
class Ensemble:
    """A trained ensemble: weights (M, n_inputs, n_exc), thresholds, labels, place order."""

    config: EnsembleConfig
    weights: torch.Tensor  # (M, n_inputs, n_exc)
    theta: torch.Tensor  # (M, n_exc) adaptive threshold at the end of training
    labels: np.ndarray  # (M, n_exc) global place index of each neuron, -1 = none
    #: (M, P) global place index of each module slot, -1 for the padding of the last module.
    module_places: np.ndarray
    n_places: int
    #: (M, n_exc) how many reference images make each neuron fire (for the hyperactive cut).
    reference_firing: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), np.int32))
    hyperactive_threshold: int = 0  # 0 = keep every neuron

    @property
    def n_modules(self) -> int:
        return self.weights.shape[0]

    @property
    def n_neurons(self) -> int:
        """Excitatory plus inhibitory neurons of all modules."""
        return 2 * self.weights.shape[0] * self.weights.shape[2]


def assign_regions(n_places: int, places_per_module: int, shuffle: bool, seed: int) -> np.ndarray:
    """(M, P) place index per module slot; -1 pads the last module."""
    order = np.random.default_rng(seed).permutation(n_places) if shuffle else np.arange(n_places)
    n_modules = -(-n_places // places_per_module)
    slots = np.full(n_modules * places_per_module, -1, dtype=np.int64)
    slots[:n_places] = order
    return slots.reshape(n_modules, places_per_module)


class _Dynamics:
    """
    The excitatory populations of M modules for a batch of B images: state (B, M, n_exc).

    In place, with as few passes over the state as the equations allow: answering a query
    is about 150 of these steps over every neuron of the ensemble, so they set the query rate.
    """

    def __init__(
        self, cfg: EnsembleConfig, theta: torch.Tensor | None, batch: int, m: int, n: int
    ) -> None:
        self.cfg = cfg
        self.v = torch.zeros(batch, m, n)
        self.refr = torch.zeros(batch, m, n)
        self.last = torch.zeros(batch, m, n)
        # None: the base threshold alone (a scalar comparison, no per-neuron tensor).
        self.theta = None if theta is None else theta.expand(batch, m, n).clone()

    def step(self, drive: torch.Tensor) -> torch.Tensor:
        c = self.cfg
        v = self.v.mul_(c.keep_v).add_(drive)
        if c.w_inh:  # inhibition from every other neuron of the module that fired last step
            v.add_(self.last, alpha=c.w_inh).sub_(
                self.last.sum(dim=2, keepdim=True), alpha=c.w_inh
            )
        active = self.refr <= 0
        v.mul_(active)
        fired = (v > (c.v_th if self.theta is None else c.v_th + self.theta)).logical_and_(active)
        v.masked_fill_(fired, 0.0)
        self.refr.sub_(1.0).masked_fill_(fired, float(c.refractory))
        self.last = fired.to(v.dtype)
        return self.last

    def adapt_threshold(self, spikes: torch.Tensor) -> None:
        """Training: thresholds rise with every spike and relax slowly (Diehl & Cook)."""
        self.theta.mul_(self.cfg.keep_theta).add_(spikes, alpha=self.cfg.theta_plus)


def train(
    rates: np.ndarray,
    config: EnsembleConfig = EnsembleConfig(),
    seed: int = 0,
    progress: Callable[[int, int], None] | None = None,
) -> Ensemble:
    """
    Train one module per region of ``places_per_module`` reference images, all at once.

    ``rates``: (N, n_inputs) input rates in [0, 1] of the reference images, in place order.
    ``progress(done, total)`` is called after every image presentation.
    """
    c = config
    rates = np.asarray(rates, dtype=np.float32)
    if rates.ndim != 2 or len(rates) == 0:
        raise ValueError(f'expected (places, inputs) rates, got shape {rates.shape}')
    n_places, n_in = rates.shape
    gen = torch.Generator().manual_seed(seed)
    places = assign_regions(n_places, c.places_per_module, c.shuffle_places, seed)
    m, n = places.shape[0], c.n_exc
    x_all = torch.from_numpy(rates)
    valid = torch.from_numpy(places >= 0)
    w = torch.rand(m, n_in, n, generator=gen) * c.w_max
    w = w * (c.w_sum / w.sum(dim=1, keepdim=True))
    theta = torch.zeros(m, n)
    total = c.epochs * c.places_per_module
    done = 0
    for _ in range(c.epochs):
        for slot in torch.randperm(c.places_per_module, generator=gen).tolist():
            idx = torch.from_numpy(np.maximum(places[:, slot], 0))
            x = x_all[idx] * valid[:, slot, None]  # (M, n_in); padding sees nothing
            dyn = _Dynamics(c, theta, 1, m, n)
            trace = torch.zeros(m, n_in)
            for _ in range(c.steps_per_image):
                s_in = (torch.rand(m, n_in, generator=gen) < x * c.p_max).to(torch.float32)
                trace = trace * c.keep_pre + s_in
                drive = c.gain * torch.bmm(s_in[:, None, :], w)[:, 0]  # (M, n)
                spikes = dyn.step(drive[None])[0]
                dyn.adapt_threshold(spikes[None])
                if spikes.any():
                    w += c.lr * (trace - c.x_target)[:, :, None] * spikes[:, None, :]
                    w.clamp_(0.0, c.w_max)
            theta = dyn.theta[0]
            w = w * (c.w_sum / w.sum(dim=1, keepdim=True).clamp_min(1e-6))
            done += 1
            if progress is not None:
                progress(done, total)
    ens = Ensemble(c, w, theta, np.full((m, n), -1, np.int64), places, n_places)
    # Every module sees every reference image, with the query-time dynamics: each neuron is
    # labelled with its module's place that makes it fire most (none if it never fires),
    # and the number of reference images that make it fire marks the hyperactive ones.
    counts = spike_counts(ens, rates, seed=seed)  # (N, M, n)
    slots = torch.from_numpy(np.maximum(places, 0))  # (M, P)
    own = counts[slots, torch.arange(m)[:, None]]  # (M, P, n)
    own[torch.from_numpy(places < 0)] = -1.0
    fired = own.amax(dim=1).numpy() > 0
    ens.labels = np.where(fired, np.take_along_axis(places, own.argmax(dim=1).numpy(), axis=1), -1)
    ens.reference_firing = (counts > 0).sum(dim=0).numpy().astype(np.int32)
    return ens


def spike_counts(
    ens: Ensemble, rates: np.ndarray | torch.Tensor, seed: int = 0, batch: int = 64
) -> torch.Tensor:
    """(B, M, n_exc) spike counts of every module's excitatory neurons for each image."""
    return _simulate(ens, rates, seed, batch, keep_raster=False)[0]


def spike_raster(
    ens: Ensemble, rates: np.ndarray | torch.Tensor, seed: int = 0
) -> tuple[torch.Tensor, torch.Tensor]:
    """Count (B, M, n_exc) and the raster (B, steps, M * n_exc) of every excitatory spike."""
    return _simulate(ens, rates, seed, batch=len(rates), keep_raster=True)


@torch.no_grad()
def _simulate(
    ens: Ensemble, rates: np.ndarray | torch.Tensor, seed: int, batch: int, keep_raster: bool
) -> tuple[torch.Tensor, torch.Tensor | None]:
    c = ens.config
    x_all = torch.as_tensor(np.asarray(rates, dtype=np.float32))
    m, n_in, n = ens.weights.shape
    if x_all.ndim != 2 or x_all.shape[1] != n_in:
        raise ValueError(f'expected (images, {n_in}) input rates, got shape {tuple(x_all.shape)}')
    w_flat = ens.weights.permute(1, 0, 2).reshape(n_in, m * n)
    gen = torch.Generator().manual_seed(seed)
    out, rasters = [], []
    for start in range(0, len(x_all), max(batch, 1)):
        x = x_all[start:start + batch]
        b = len(x)
        dyn = _Dynamics(c, ens.theta if c.keep_theta_at_query else None, b, m, n)
        counts = torch.zeros(b, m, n)
        steps = []
        if c.query_input == 'rate':
            drive = (c.query_gain * c.p_max * (x @ w_flat)).reshape(b, m, n)
        for _ in range(c.query_steps):
            if c.query_input == 'poisson':
                s_in = (torch.rand(x.shape, generator=gen) < x * c.p_max).to(torch.float32)
                drive = (c.query_gain * (s_in @ w_flat)).reshape(b, m, n)
            spikes = dyn.step(drive)
            counts += spikes
            if keep_raster:
                steps.append(spikes.reshape(b, m * n) > 0)
        out.append(counts)
        if keep_raster:
            rasters.append(torch.stack(steps, dim=1))
    return torch.cat(out), (torch.cat(rasters) if keep_raster else None)


def place_scores(ens: Ensemble, counts: torch.Tensor) -> torch.Tensor:
    """(B, n_places) mean spike count of each place's labelled, non-hyperactive neurons."""
    labels = torch.from_numpy(ens.labels.reshape(-1))
    keep = labels >= 0
    if ens.hyperactive_threshold > 0 and ens.reference_firing.size:
        keep &= torch.from_numpy(ens.reference_firing.reshape(-1) < ens.hyperactive_threshold)
    flat = counts.reshape(len(counts), -1)[:, keep]
    lab = labels[keep]
    sums = torch.zeros(len(counts), ens.n_places).index_add_(1, lab, flat)
    sizes = torch.zeros(ens.n_places).index_add_(0, lab, torch.ones(len(lab)))
    return sums / sizes.clamp_min(1.0)
