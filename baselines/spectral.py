"""The bridge from sigfit's estimates to the torch models: initialise them, or replace them.

Every estimate here is made from a *training batch* of the task (``estimate_task``: by default
1024 samples of the sine, 4096 instants of the clock, drawn from a stream that never coincides
with a training stream or the held-out set), never from the task's known parameters. The clock's
periods and phases come from ``sigfit.estimate`` on each digit column; the number of classes per
digit comes from the task's label space (the size of each softmax block), nothing else.

Initialisers: each model family owns its initialisation from an estimate
(:meth:`baselines.models.TimeModel.init_from_estimate`, through the model's own setters);
:func:`spectral_init` applies it. Which variants each family has (``spectral``; SIREN also
``spectral-frozen``, Fourier ``spectral-head``) is written once, on its class. The MLP mappings
are :mod:`sigfit.nn`'s (one implementation for sigfit's baselines and anyone's model).

Replacements:

- :class:`SpectralSine`: the fitted sum of sinusoids (:meth:`EstimateResult.predict`), no training.
- :class:`ClockDecoder`: digit ``k`` is ``floor(b_k * frac((t - t0_k)/P_k))`` with ``P_k`` the
  estimated period and ``t0_k`` fitted to the staircase of the training batch
  (:func:`fit_staircase_phase`); :class:`ClockPhaseModel` is its differentiable torch twin whose
  periods and phases can be fine-tuned. Clock-specific: it reads digits as uniform counters.
- :class:`HarmonicRegression`: the generic replacement for any target, the estimate's periodic
  features and a least-squares linear head; the baseline every network must beat.

Learning rates (:func:`spectral_lr`): the same rule for random and spectral init. ``Sin`` trains
with plain SGD at half of :func:`baselines.stable_lr` for the task's input range ``R`` and batch
(``60 B / ((10 B + 17) A^2 R^2)``, mean-square stability at the optimum; the optimum's curvature
does not depend on where training starts). The MLPs see ``u = (x - c)/s`` in [-1, 1] and train
with Adam; Adam's step is about ``lr`` per parameter whatever the curvature, so the rule there
is that one step may move a spectral first-layer phase by at most ~0.03 rad at |u| = 1: 1e-3 for
Fourier/GELU/Snake (whose features or first layer are not scaled by w0), ``1e-3 / w0`` for SIREN.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch import nn

from sigfit._numerics import TWO_PI
from sigfit.errors import InputError
from sigfit.estimate import estimate
from sigfit.features import cycles
from sigfit.features import tones as _tones
from sigfit.nn import PeriodicFeatures, fit_head_
from sigfit.results import EstimateResult

from .models import MODELS, ModelConfig, head_targets

DEFAULT_ESTIMATE_SAMPLES = {"sine": 1024, "clock": 4096}
INITS = ("random", "spectral")  # the spectral variants of each family: baselines.models
STAIRCASE_SAMPLES = 65536  # training instants for the clock decoder's staircase fit


def _estimate_rng(seed: int) -> np.random.Generator:
    # entropy word 2: training streams use 0 and the held-out set 1 (baselines.tasks)
    return np.random.default_rng([int(seed), 2])


@dataclass
class TaskEstimate:
    """Estimates from one training batch: one :class:`EstimateResult` per output column (the sine:
    one; the clock: one per digit, most significant first), and the batch they came from."""

    results: list[EstimateResult]
    n_samples: int
    seed: int
    wall_s: float
    x: np.ndarray
    y: np.ndarray

    @property
    def tones(self) -> list[tuple[float, float, int, float]]:
        """``(frequency, phase, harmonic, amplitude)`` of every fitted sinusoid, fundamentals of
        all columns first, then harmonics in order (cycles per unit x, radians at x = 0): the
        order :mod:`sigfit.nn` puts them into a layer (:func:`sigfit.features.tones`)."""
        return [(tn.tone_frequency, tn.phase, tn.harmonic, tn.amplitude) for tn in _tones(self.results)]

    def to_dict(self) -> dict[str, Any]:
        return {"n_samples": self.n_samples, "seed": self.seed, "wall_s": self.wall_s,
                "columns": [r.to_dict() for r in self.results]}


def estimate_task(task, n_samples: int | None = None, seed: int = 0, **kwargs) -> TaskEstimate:
    """Run :func:`sigfit.estimate` on ``n_samples`` fresh training pairs of ``task``.

    ``kwargs`` go to :func:`sigfit.estimate` (defaults: ``n_components=1`` per column, harmonics
    ``"auto"``). The sine's batch defaults to 1024, the clock's to 4096.
    """
    import time

    n = int(n_samples or DEFAULT_ESTIMATE_SAMPLES.get(task.name, 1024))
    if n < 16:
        raise InputError(f"estimate samples must be at least 16, got {n}")
    if hasattr(task, "record"):  # a fixed record (SeriesTask): estimate from all of it
        x, y = task.record()
        n = x.size
    else:
        x, y = task.sample(n, _estimate_rng(seed))
    t0 = time.perf_counter()
    cols = y.reshape(n, -1)
    results = [estimate(x, cols[:, j].astype(np.float64), **kwargs) for j in range(cols.shape[1])]
    for j, r in enumerate(results):
        if not r.components:
            raise InputError(f"no periodic component found in output column {j}; "
                             "give more estimate samples")
    return TaskEstimate(results, n, int(seed), time.perf_counter() - t0, x, y)


def reduced_phase(frequency, phase, centre: float) -> np.ndarray:
    """Phase (radians, in [0, 2 pi)) at ``x = centre`` of ``sin(2 pi f x + phase)``.

    ``frac(f * centre)`` comes from the error-free product (:func:`sigfit.features.cycles`), so
    no digits are lost when ``f * centre`` is huge (the clock: 3e7 cycles at the centre of 120
    years, where a plain product would lose ~4e-9 cycles) and nothing is cast before the
    reduction."""
    f = np.asarray(frequency, dtype=np.float64)
    p = np.asarray(phase, dtype=np.float64)
    return np.mod(TWO_PI * np.mod(cycles(f, np.float64(centre)), 1.0) + p, TWO_PI)


# --------------------------------------------------------------------------- initialisers


def spectral_init(model, name: str | None, est: TaskEstimate, variant: str = "spectral", task=None):
    """Apply the model's own initialisation from ``est`` (:meth:`TimeModel.init_from_estimate`,
    ``variant`` one of its family's ``spectral_variants``); ``name``, when given, must be the
    model's family. ``task`` is needed by variants that fit an output layer."""
    if name is not None and name != model.name:
        raise InputError(f"the model is a {model.name!r}, not a {name!r}")
    return model.init_from_estimate(est, task, variant)


def spectral_lr(name: str, task, batch: int, *, amplitude: float = 1.0, w0: float = 30.0,
                config: ModelConfig | None = None) -> dict[str, Any]:
    """Optimiser and learning rate by the rule in the module docstring (same for both inits):
    the family's :meth:`TimeModel.learning_rate`."""
    cfg = config if config is not None else ModelConfig(name, w0=w0)
    return MODELS[name].learning_rate(cfg, task, int(batch), amplitude)


# --------------------------------------------------------------------------- replacements


class SpectralSine(nn.Module):
    """The fitted sum of sinusoids as a module (float64, no parameters, no training)."""

    def __init__(self, result: EstimateResult):
        super().__init__()
        self.result = result
        self.dtype = torch.float64

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.result.predict(x.detach().reshape(-1).double().cpu().numpy())
        return torch.as_tensor(y, device=x.device).unsqueeze(1)


def fit_staircase_phase(t: np.ndarray, digits: np.ndarray, period: float, base: int,
                        scale: float = 1.0) -> tuple[float, float, float]:
    """Offset ``theta`` and drift ``delta`` (cycles) such that
    ``digit = floor(base * frac(t/P + delta*t/scale - theta))`` on every sample, with the widest margin.

    Each sample confines the phase offset to an arc of width ``1/base``:
    ``theta - delta*t_i/scale`` in ``(a_i - 1/base, a_i]`` with ``a_i = frac(t_i/P - d_i/base)``.
    The arcs are unwrapped around their circular mean and the Chebyshev centre of the feasible
    set (maximise the margin ``m`` to every arc's ends) is found by linear programming (HiGHS).
    ``delta`` absorbs the period's estimation error (a phase drift across ``scale``); ``m`` is
    negative when no straight line fits all staircases (period or labels off). ``t`` should be
    centred (float64); ``t/P`` is reduced with ``fmod`` first. Returns ``(theta, delta, m)``.
    """
    from scipy.optimize import linprog

    t = np.asarray(t, dtype=np.float64)
    d = np.asarray(digits, dtype=np.float64)
    z = np.mod(np.fmod(t, period) / period, 1.0)
    a = np.mod(z - d / base, 1.0)
    guess = float(np.angle(np.mean(np.exp(2j * np.pi * (a - 0.5 / base)))) / TWO_PI) + 0.5 / base
    au = guess + np.mod(a - guess + 0.5, 1.0) - 0.5
    tau = t / scale
    ones = np.ones_like(tau)
    # variables (theta, delta, m); the phase offset at sample i is theta - delta*tau_i.
    # Cutting planes: solve on a subset, add the tightest arcs of all samples, until none is violated.
    active = np.arange(min(len(t), 2048))
    for _ in range(20):
        A = np.vstack([np.column_stack([ones[active], -tau[active], ones[active]]),   # <= a
                       np.column_stack([-ones[active], tau[active], ones[active]])])  # <= 1/b - a
        res = linprog(c=[0.0, 0.0, -1.0], A_ub=A,
                      b_ub=np.concatenate([au[active], 1.0 / base - au[active]]),
                      bounds=[(None, None), (-0.5, 0.5), (None, 0.5 / base)], method="highs")
        if not res.success:  # pragma: no cover - the LP is always feasible with m free below
            raise InputError(f"staircase phase fit failed: {res.message}")
        theta, delta, m = res.x
        off = theta - delta * tau
        slack = np.minimum(au - off, off - (au - 1.0 / base))
        if slack.min() >= m - 1e-12:
            break
        active = np.union1d(active, np.argsort(slack)[:1024])
    theta, delta, m = res.x
    return float(np.mod(theta, 1.0)), float(delta), float(m)


@dataclass
class ClockDecoder:
    """Digits from phases: digit k = ``floor(bases[k] * frac((t - centre)/periods[k] - thetas[k]))``
    (most significant first, the task's target order). Built by :meth:`from_estimate`."""

    periods: tuple[float, ...]
    thetas: tuple[float, ...]
    bases: tuple[int, ...]
    centre: float
    scale: float = 1.0
    drifts: tuple[float, ...] = ()  # cycles across `scale`: the periods' correction
    margins: tuple[float, ...] = ()

    @classmethod
    def from_estimate(cls, task, est: TaskEstimate, staircase_samples: int = STAIRCASE_SAMPLES) -> ClockDecoder:
        """Periods from the estimate of each digit column; the staircase phase (and a drift that
        corrects the period) fitted on a training batch of ``staircase_samples`` (drawn with the
        estimate's seed; the fit is a cheap LP, so it can afford more samples than the
        periodogram: more samples pin each digit boundary closer, to well under a second); the
        number of classes per digit from the task's label space."""
        bases = tuple(int(b) for b in task.digit_bases)
        if len(est.results) != len(bases):
            raise InputError(f"the estimate has {len(est.results)} columns but the task has {len(bases)} digits")
        centre = float(task.input_offset)
        x, y = task.sample(int(staircase_samples), np.random.default_rng([est.seed, 3]))
        x = np.concatenate([est.x, x])
        y = np.concatenate([est.y, y])
        tc = x - centre
        scale = float(task.input_scale)
        periods, thetas, drifts, margins = [], [], [], []
        for k, (r, b) in enumerate(zip(est.results, bases, strict=True)):
            period = r.components[0].period
            theta, drift, margin = fit_staircase_phase(tc, y[:, k], period, b, scale)
            periods.append(period)
            thetas.append(theta)
            drifts.append(drift)
            margins.append(margin)
        return cls(tuple(periods), tuple(thetas), bases, centre, scale, tuple(drifts), tuple(margins))

    @property
    def corrected_periods(self) -> tuple[float, ...]:
        """Periods with the staircase fit's drift folded in: ``1/(1/P + delta/scale)``."""
        drifts = self.drifts or (0.0,) * len(self.periods)
        return tuple(1.0 / (1.0 / P + dl / self.scale) for P, dl in zip(self.periods, drifts, strict=True))

    def phases(self, t) -> np.ndarray:
        """(n, digits) phase of each digit in cycles, [0, 1), float64."""
        tc = np.asarray(t, dtype=np.float64) - self.centre
        drifts = self.drifts or (0.0,) * len(self.periods)
        cols = [np.mod(np.fmod(tc, P) / P + dl * tc / self.scale - th, 1.0)
                for P, th, dl in zip(self.periods, self.thetas, drifts, strict=True)]
        return np.stack(cols, axis=1)

    def predict(self, t) -> np.ndarray:
        """(n, digits) int64 digits, most significant first."""
        ph = self.phases(t)
        b = np.asarray(self.bases)
        return np.minimum(np.floor(ph * b).astype(np.int64), b - 1)

    def accuracy(self, t, digits, names=None) -> dict[str, float]:
        right = self.predict(t) == np.asarray(digits)
        names = names or [f"digit{k}" for k in range(right.shape[1])]
        acc = {n: float(right[:, k].mean()) for k, n in enumerate(names)}
        acc["all"] = float(right.all(axis=1).mean())
        return acc

    def to_dict(self) -> dict[str, Any]:
        return {"periods": list(self.periods), "thetas": list(self.thetas), "bases": list(self.bases),
                "centre": self.centre, "scale": self.scale, "drifts": list(self.drifts),
                "corrected_periods": list(self.corrected_periods), "margins": list(self.margins)}


class ClockPhaseModel(nn.Module):
    """Differentiable :class:`ClockDecoder` producing the classify head's logits.

    Digit k's phase ``phi = frac(f_k (x - c) - theta_k)``, with ``f_k = 1/P_k + dfreq_k / s``
    (``dfreq`` starts at the decoder's drifts)
    (``s`` the half-span: ``dfreq`` is the phase drift in cycles across it, so its gradient is O(1)
    rather than O(s)); class j's logit is ``kappa_k cos(2 pi (phi - (j + 1/2)/b_k))``, largest for
    the class whose arc centre is nearest, so argmax is exactly ``floor(b phi)``. All float64.
    Trainable: ``dfreq``, ``theta``, ``log_kappa``.
    """

    def __init__(self, decoder: ClockDecoder, input_scale: float):
        super().__init__()
        self.dtype = torch.float64
        self.centre = float(decoder.centre)
        self.input_scale = float(input_scale)
        self.bases = tuple(decoder.bases)
        self.register_buffer("freq0", torch.tensor([1.0 / P for P in decoder.periods], dtype=torch.float64))
        self.dfreq = nn.Parameter(torch.tensor(decoder.drifts or (0.0,) * len(self.bases), dtype=torch.float64))
        self.theta = nn.Parameter(torch.tensor(decoder.thetas, dtype=torch.float64))
        # sharp enough that neighbouring classes differ by ~10 nats at an arc centre
        kappa = [10.0 * b * b / (2 * math.pi**2) for b in self.bases]
        self.log_kappa = nn.Parameter(torch.log(torch.tensor(kappa, dtype=torch.float64)))
        for k, b in enumerate(self.bases):
            self.register_buffer(f"centres{k}", (torch.arange(b, dtype=torch.float64) + 0.5) / b)

    def phases(self, x: torch.Tensor) -> torch.Tensor:
        tc = x.reshape(-1).to(torch.float64) - self.centre
        periods = 1.0 / self.freq0
        # reduce with the fixed period first (exact in float64), then add the small trainable drift
        base = torch.remainder(torch.fmod(tc.unsqueeze(1), periods) * self.freq0, 1.0)
        drift = tc.unsqueeze(1) / self.input_scale * self.dfreq
        return torch.remainder(base + drift - self.theta, 1.0)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        ph = self.phases(x)
        blocks = []
        for k in range(len(self.bases)):
            centres = getattr(self, f"centres{k}")
            blocks.append(torch.exp(self.log_kappa[k]) * torch.cos(TWO_PI * (ph[:, k : k + 1] - centres)))
        return torch.cat(blocks, dim=1)


class HarmonicRegression(nn.Module):
    """The harmonic model itself as a baseline: the estimate's periodic features
    (:class:`sigfit.nn.PeriodicFeatures`, the columns of :class:`sigfit.features.PeriodicFeatures`:
    sin/cos of every significant tone and harmonic, then the trend) and a linear head fitted by
    least squares on the estimate batch (:func:`sigfit.nn.fit_head_`; for the clock's classify
    head, to logits +10 on the right class, :func:`baselines.models.head_targets`). No training:
    every network must beat this. Generic: nothing in it knows the task is a clock."""

    def __init__(self, task, est: TaskEstimate):
        super().__init__()
        self.dtype = torch.float64
        self.features = PeriodicFeatures.from_estimate(est.results, dtype=torch.float64)
        self.head = nn.Linear(self.features.out_features, task.out_features, dtype=torch.float64)
        self.fit_mse = fit_head_(self.head, self.features, est.x, head_targets(task, est.y))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x.reshape(-1).to(torch.float64)))


def replacement(task, est: TaskEstimate) -> nn.Module:
    """The task's replacement model: the fitted sinusoids (sine) or the phase model (clock)."""
    if task.name == "sine":
        return SpectralSine(est.results[0])
    return ClockPhaseModel(ClockDecoder.from_estimate(task, est), task.input_scale)


__all__ = [
    "DEFAULT_ESTIMATE_SAMPLES", "INITS", "ClockDecoder", "ClockPhaseModel", "HarmonicRegression",
    "SpectralSine", "TaskEstimate", "estimate_task", "fit_staircase_phase", "reduced_phase", "replacement",
    "spectral_init", "spectral_lr",
]
