"""Learning-rate sweeps, so that "gradient descent fails" is never a learning-rate artefact.

>>> from sigfit.baselines import SineTask, ModelConfig, build_model, TrainerConfig, lr_grid, stable_lr, sweep_lr
>>> task = SineTask(eval_size=500)
>>> lrs = lr_grid(stable_lr(task.range_, batch=32), decades=(-1, 0), per_decade=1)
>>> sweep = sweep_lr(lambda: build_model(ModelConfig("sin"), task), task,
...                  TrainerConfig(steps=20, progress=False), lrs)
>>> len(sweep.results), sweep.best_lr in lrs
(2, True)
"""

from __future__ import annotations

import dataclasses
import math
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from sigfit.errors import InputError

from .train import Trainer, TrainerConfig, TrainResult

CRITERIA = ("final_loss", "accuracy")


def lr_grid(center: float, *, decades: tuple[float, float] = (-2.0, 1.0), per_decade: int = 2) -> list[float]:
    """Log-spaced learning rates ``center * 10**k`` for k from ``decades[0]`` to ``decades[1]``,
    ``per_decade`` points per decade (both ends included), ascending."""
    if not (math.isfinite(center) and center > 0):
        raise InputError(f"center must be a positive learning rate, got {center}")
    lo, hi = decades
    if not hi >= lo:
        raise InputError(f"decades must be (low, high) with low <= high, got {decades}")
    if int(per_decade) < 1:
        raise InputError(f"per_decade must be a positive integer, got {per_decade}")
    n = int(round((hi - lo) * per_decade)) + 1
    return [float(center * 10.0**k) for k in np.linspace(lo, hi, n)]


@dataclass
class LRSweep:
    """Results of one run per learning rate; ``best`` by ``criterion`` among runs that did not
    diverge. ``at_edge`` warns that the best sits at an end of the grid (widen it)."""

    lrs: list[float]
    results: list[TrainResult]
    criterion: str
    best_index: int | None

    @property
    def best(self) -> TrainResult | None:
        return None if self.best_index is None else self.results[self.best_index]

    @property
    def best_lr(self) -> float | None:
        return None if self.best_index is None else self.lrs[self.best_index]

    @property
    def at_edge(self) -> bool:
        return self.best_index is not None and len(self.lrs) > 1 and self.best_index in (0, len(self.lrs) - 1)

    def to_dict(self) -> dict[str, Any]:
        return {
            "criterion": self.criterion,
            "best_lr": self.best_lr,
            "at_edge": self.at_edge,
            "runs": [{"lr": lr, **{k: v for k, v in r.to_dict().items() if k not in ("config", "versions")}}
                     for lr, r in zip(self.lrs, self.results, strict=True)],
        }


def _score(result: TrainResult, criterion: str) -> tuple[float, ...]:
    """Sort key, lower is better; diverged or non-finite runs are never best.

    ``"accuracy"``: all digits right, then the mean per-digit accuracy (at chance the first is
    ~0 everywhere), then the held-out loss."""
    loss = result.final_loss
    loss = loss if loss is not None and math.isfinite(loss) else math.inf
    if result.status == "diverged" or loss == math.inf:
        return (math.inf,) * 3
    if criterion == "accuracy":
        acc = dict(result.accuracy or {})
        acc_all = acc.pop("all", 0.0)
        return (-acc_all, -float(np.mean(list(acc.values()))) if acc else 0.0, loss)
    return (loss,)


def sweep_lr(make_model: Callable[[], Any], task, config: TrainerConfig, lrs: Sequence[float], *,
             criterion: str = "final_loss", callbacks: dict[str, list] | None = None,
             verbose: bool = False) -> LRSweep:
    """Train a fresh ``make_model()`` at each learning rate in ``lrs`` (all else from ``config``,
    the same data stream for each) and pick the best by ``criterion``: ``"final_loss"``
    (held-out loss, lower is better) or ``"accuracy"`` (clock, all digits right, higher is better;
    ties broken by the loss)."""
    if criterion not in CRITERIA:
        raise InputError(f"unknown criterion {criterion!r}; choose one of {', '.join(CRITERIA)}")
    lrs = [float(lr) for lr in lrs]
    if not lrs:
        raise InputError("give at least one learning rate")
    results = []
    for lr in lrs:
        cfg = dataclasses.replace(config, lr=lr)
        r = Trainer(make_model(), task, cfg, callbacks=callbacks).run()
        results.append(r)
        if verbose:
            acc = f" accuracy {r.accuracy['all']:.4f}" if r.accuracy else ""
            print(f"  lr {lr:.3g}: {r.status}, final loss {r.final_loss}{acc}", file=sys.stderr)
    keys = [_score(r, criterion) for r in results]
    finite = [i for i, k in enumerate(keys) if math.isfinite(k[-1])]
    best = min(finite, key=lambda i: keys[i]) if finite else None
    return LRSweep(lrs=lrs, results=results, criterion=criterion, best_index=best)


__all__ = ["CRITERIA", "LRSweep", "lr_grid", "sweep_lr"]
