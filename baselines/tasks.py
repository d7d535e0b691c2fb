"""The seed's two tasks as training problems: a fresh random batch every step, a fixed held-out set.

Data come from :mod:`sigfit.samples` (the project's only generators); this module adds what
training needs: the time normalisation each model sees, torch losses and held-out metrics.

Time precision (documented once, here): the task hands every model the raw time ``x`` as a
float64 tensor. Models normalise it in float64, ``u = (x - input_offset) / input_scale``, and only
then cast to their own dtype (see :mod:`baselines.models`). The clock's seconds since T0 reach
3.8e9 over 120 years: float32 holds integers exactly only up to 2**24 s (194 days), and after
normalisation to [-1, 1) a float32 step of 6e-8 is about 230 s of clock time, so a float32 model
that consumes ``u`` directly cannot even see the seconds digit. float64 keeps 4e-7 s.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from sigfit import samples
from sigfit.errors import InputError

HEADS = ("classify", "regress")
EVAL_CHUNK = 16384  # held-out rows per forward pass: bounds memory at 100,000 instants


def _train_rng(seed: int) -> np.random.Generator:
    # training stream and held-out set use different entropy words, so they never coincide
    return np.random.default_rng([int(seed), 0])


def _eval_rng(seed: int) -> np.random.Generator:
    return np.random.default_rng([int(seed), 1])


def _validation_rng(seed: int) -> np.random.Generator:
    # word 4: apart from training (0), held-out (1), estimate (2) and staircase (3) streams
    return np.random.default_rng([int(seed), 4])


SPLITS = ("heldout", "validation")


def _split(task, split: str):
    if split == "heldout":
        return task.heldout()
    if split == "validation":
        if task._validation is None:
            task._validation = task._validation_draw()
        return task._validation
    raise InputError(f"unknown split {split!r}; choose one of {', '.join(SPLITS)}")


def _predict(model: torch.nn.Module, x: np.ndarray, device) -> torch.Tensor:
    """Model outputs on float64 times ``x``, in chunks, without gradients."""
    was_training = model.training
    model.eval()
    outs = []
    with torch.no_grad():
        for i in range(0, len(x), EVAL_CHUNK):
            xb = torch.as_tensor(x[i : i + EVAL_CHUNK], dtype=torch.float64, device=device)
            outs.append(model(xb))
    model.train(was_training)
    return torch.cat(outs)


class _RegressionTask:
    """The target as a float tensor and the mean squared error (the seed's loss): shared by the
    regression tasks."""

    def target_tensor(self, y: np.ndarray, dtype, device) -> torch.Tensor:
        return torch.as_tensor(y, device=device).to(dtype)

    def loss(self, out: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        """Mean squared error (the seed's loss)."""
        return ((out.reshape(-1) - target) ** 2).mean()


@dataclass
class SineTask(_RegressionTask):
    """``y = amplitude*sin(omega*x + phase) + noise``, ``x ~ U(-range_, range_)``; metric MSE.

    The defaults are the seed's (omega 31, R = 1000). Every step draws a fresh batch (the seed's
    "infinite dataset"); ``eval_size`` held-out points are drawn once from ``eval_seed``.
    """

    omega: float = 31.0  # target angular frequency (rad per unit x)
    range_: float = 1000.0  # x ~ U(-R, R)
    phase: float = 0.0  # target phase, radians
    amplitude: float = 1.0  # target amplitude
    noise: float = 0.0  # std of Gaussian noise added to training targets (held-out set is clean)
    eval_size: int = 10_000  # held-out points
    eval_seed: int = 0  # held-out set (its stream never coincides with a training stream)
    name: str = field(default="sine", init=False)

    def __post_init__(self):
        if not (math.isfinite(self.range_) and self.range_ > 0):
            raise InputError(f"range must be a positive number, got {self.range_}")
        if not math.isfinite(self.omega):
            raise InputError(f"omega must be a finite number, got {self.omega}")
        if not (math.isfinite(self.noise) and self.noise >= 0):
            raise InputError(f"noise must be >= 0, got {self.noise}")
        if self.eval_size < 1:
            raise InputError(f"eval_size must be positive, got {self.eval_size}")
        self._heldout: tuple[np.ndarray, np.ndarray] | None = None
        self._validation: tuple[np.ndarray, np.ndarray] | None = None

    # The input the models see: Sin takes raw x (as the seed); MLPs take u = x / R in [-1, 1].
    out_features = 1
    default_batch = 32  # the seed's

    @property
    def input_offset(self) -> float:
        return 0.0

    @property
    def input_scale(self) -> float:
        return float(self.range_)

    def sample(self, n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        """``n`` fresh training pairs (float64 x, float64 y) from ``rng``."""
        return samples.sine(
            n, self.omega, self.range_, amplitude=self.amplitude, phase=self.phase,
            noise=self.noise, seed=rng,
        )

    def heldout(self) -> tuple[np.ndarray, np.ndarray]:
        """The fixed, noise-free held-out set (computed once)."""
        if self._heldout is None:
            self._heldout = samples.sine(
                self.eval_size, self.omega, self.range_, amplitude=self.amplitude,
                phase=self.phase, noise=0.0, seed=_eval_rng(self.eval_seed),
            )
        return self._heldout

    def _validation_draw(self):
        """A validation set as the held-out one (clean, same size) from its own stream: what
        ``sigfit compare --sweep`` picks on, so the held-out set stays unseen."""
        return samples.sine(self.eval_size, self.omega, self.range_, amplitude=self.amplitude,
                            phase=self.phase, noise=0.0, seed=_validation_rng(self.eval_seed))

    def evaluate(self, model: torch.nn.Module, device, split: str = "heldout") -> dict[str, Any]:
        """``{"eval_loss": MSE}`` on the held-out set (or the ``"validation"`` split)."""
        x, y = _split(self, split)
        out = _predict(model, x, device).reshape(-1).double().cpu().numpy()
        return {"eval_loss": float(np.mean((out - y) ** 2))}

    def to_dict(self) -> dict[str, Any]:
        d = {k: v for k, v in asdict(self).items()}
        d["range"] = d.pop("range_")
        return d


@dataclass
class ClockTask:
    """Seconds since T0 -> the digits of a clock, for instants spread over ``years``.

    Targets are one integer per digit, most significant first (``hours, minutes, seconds`` for the
    default bases ``(60, 60, 24)``, given least significant first as in :func:`sigfit.samples.clock`).

    Heads:

    - ``"classify"`` (default): ``sum(bases)`` logits, one softmax block per digit, loss the mean
      of the per-digit cross-entropies. The default because a digit is a category that wraps
      around (59 -> 0): a regression target jumps there, and the squared error pulls the prediction
      to the middle of the dial whenever the model is unsure, while cross-entropy is the standard,
      calibrated loss for exact-digit accuracy (argmax is the answer).
    - ``"regress"``: one output per digit, target ``digit / base`` in [0, 1), MSE; the predicted
      digit is ``round(out * base) mod base``.

    Metrics on the held-out set (``eval_size`` instants, default 100,000): ``eval_loss`` and
    exact-digit ``accuracy`` per digit and for all digits together; chance is ``1/base``.
    """

    years: float = 120.0  # span of the instants, years of 365.25 days
    bases: tuple[int, ...] = samples.CLOCK_BASES  # least significant first
    head: str = "classify"  # "classify" or "regress"
    eval_size: int = 100_000  # held-out instants
    eval_seed: int = 0
    name: str = field(default="clock", init=False)

    default_batch = 256

    def __post_init__(self):
        self.bases = samples.parse_bases(self.bases)
        if not (math.isfinite(self.years) and self.years > 0):
            raise InputError(f"years must be a positive number, got {self.years}")
        if self.head not in HEADS:
            raise InputError(f"unknown head {self.head!r}; choose one of {', '.join(HEADS)}")
        if self.eval_size < 1:
            raise InputError(f"eval_size must be positive, got {self.eval_size}")
        self._heldout = None
        self._validation = None

    @property
    def span(self) -> int:
        """Number of seconds the instants are drawn from: t in [0, span)."""
        return max(int(round(self.years * samples.SECONDS_PER_YEAR)), 1)

    @property
    def input_offset(self) -> float:
        return self.span / 2.0

    @property
    def input_scale(self) -> float:
        return self.span / 2.0

    @property
    def names(self) -> list[str]:
        return samples.clock_digit_names(len(self.bases))

    @property
    def digit_bases(self) -> tuple[int, ...]:
        """Bases in target order (most significant first)."""
        return tuple(self.bases[::-1])

    @property
    def out_features(self) -> int:
        return sum(self.bases) if self.head == "classify" else len(self.bases)

    @property
    def chance(self) -> dict[str, float]:
        """Exact-digit accuracy of a uniform guess."""
        d = {n: 1.0 / b for n, b in zip(self.names, self.digit_bases, strict=True)}
        d["all"] = 1.0 / math.prod(self.bases)
        return d

    def _draw(self, n: int, rng) -> tuple[np.ndarray, np.ndarray]:
        s = samples.clock(n, self.years, self.bases, seed=rng)
        return s.t.astype(np.float64), s.digits  # int64 seconds are exact in float64 (< 2**53)

    def sample(self, n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        return self._draw(n, rng)

    def heldout(self) -> tuple[np.ndarray, np.ndarray]:
        if self._heldout is None:
            self._heldout = self._draw(self.eval_size, _eval_rng(self.eval_seed))
        return self._heldout

    def _validation_draw(self):
        return self._draw(self.eval_size, _validation_rng(self.eval_seed))

    def target_tensor(self, digits: np.ndarray, dtype, device) -> torch.Tensor:
        t = torch.as_tensor(digits, device=device)
        if self.head == "classify":
            return t.long()
        return t.to(dtype) / torch.as_tensor(self.digit_bases, dtype=dtype, device=device)

    def _blocks(self, out: torch.Tensor) -> list[torch.Tensor]:
        return list(torch.split(out, list(self.digit_bases), dim=1))

    def loss(self, out: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        if self.head == "classify":
            losses = [F.cross_entropy(b, target[:, k]) for k, b in enumerate(self._blocks(out))]
            return torch.stack(losses).mean()
        return ((out - target) ** 2).mean()

    def predict_digits(self, out: torch.Tensor) -> torch.Tensor:
        """Model outputs -> int64 digits (n, n_digits), most significant first."""
        if self.head == "classify":
            return torch.stack([b.argmax(dim=1) for b in self._blocks(out)], dim=1)
        bases = torch.as_tensor(self.digit_bases, device=out.device)
        return torch.remainder(torch.round(out.double() * bases).long(), bases)

    def evaluate(self, model: torch.nn.Module, device, split: str = "heldout") -> dict[str, Any]:
        """``eval_loss`` and exact-digit ``accuracy`` (per digit and ``all``) on the held-out set
        (or the ``"validation"`` split)."""
        x, digits = _split(self, split)
        out = _predict(model, x, device)
        target = self.target_tensor(digits, out.dtype, out.device)
        loss = float(self.loss(out, target))
        right = self.predict_digits(out).cpu().numpy() == digits
        acc = {n: float(right[:, k].mean()) for k, n in enumerate(self.names)}
        acc["all"] = float(right.all(axis=1).mean())
        return {"eval_loss": loss, "accuracy": acc}

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["bases"] = list(self.bases)
        d["span_seconds"] = self.span
        d["chance"] = self.chance
        return d


class SeriesTask(_RegressionTask):
    """Regression on a fixed record ``(t, y)``: every step draws a batch from the record (with
    replacement); the held-out set is ``(t_test, y_test)``, which may lie outside the record
    (the extrapolation benchmark: train on [-R, R], test on [R, 4R]). The models see
    ``u = (t - centre)/half_width`` of the record. ``record()`` is what estimates are made from:
    the whole training record, as a user would."""

    name = "series"
    out_features = 1
    head = "regress"

    def __init__(self, t, y, t_test, y_test, *, t_validation=None, y_validation=None,
                 default_batch: int = 64, label: str = "series"):
        self.t = np.asarray(t, dtype=np.float64)
        self.y = np.asarray(y, dtype=np.float64)
        self.t_test = np.asarray(t_test, dtype=np.float64)
        self.y_test = np.asarray(y_test, dtype=np.float64)
        if self.t.ndim != 1 or self.t.shape != self.y.shape or self.t.size < 2:
            raise InputError("t and y must be 1-D arrays of the same length (at least 2)")
        if self.t_test.shape != self.y_test.shape:
            raise InputError("t_test and y_test must have the same length")
        if t_validation is None:
            self._validation = (self.t_test, self.y_test)
        else:
            self._validation = (np.asarray(t_validation, dtype=np.float64),
                                np.asarray(y_validation, dtype=np.float64))
        self.default_batch = int(default_batch)
        self.label = label
        lo, hi = float(self.t.min()), float(self.t.max())
        self.input_offset = 0.5 * (lo + hi)
        self.input_scale = 0.5 * (hi - lo) if hi > lo else 1.0

    def record(self) -> tuple[np.ndarray, np.ndarray]:
        return self.t, self.y

    def sample(self, n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        i = rng.integers(0, self.t.size, int(n))
        return self.t[i], self.y[i]

    def heldout(self) -> tuple[np.ndarray, np.ndarray]:
        return self.t_test, self.y_test

    def evaluate(self, model: torch.nn.Module, device, split: str = "heldout") -> dict[str, Any]:
        """``eval_loss`` (MSE) and ``nmse`` (MSE over the variance of the targets) on the split."""
        x, y = _split(self, split)
        out = _predict(model, x, device).reshape(-1).double().cpu().numpy()
        mse = float(np.mean((out - y) ** 2))
        return {"eval_loss": mse, "nmse": mse / float(np.var(y)) if np.var(y) > 0 else math.nan}

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "label": self.label, "n_train": int(self.t.size),
                "n_test": int(self.t_test.size), "train_range": [float(self.t.min()), float(self.t.max())],
                "test_range": [float(self.t_test.min()), float(self.t_test.max())]}


TASKS = {"sine": SineTask, "clock": ClockTask}


def make_task(name: str, **kwargs) -> SineTask | ClockTask:
    """``make_task("sine", omega=31)`` or ``make_task("clock", bases=(10, 10))``."""
    try:
        cls = TASKS[name]
    except KeyError:
        raise InputError(f"unknown task {name!r}; choose one of {', '.join(TASKS)}") from None
    return cls(**kwargs)


__all__ = ["ClockTask", "SeriesTask", "SineTask", "SPLITS", "TASKS", "HEADS", "make_task"]
