"""One training loop for every model and task (after minGPT's importable ``Trainer``).

>>> from sigfit.baselines import SineTask, ModelConfig, build_model, Trainer, TrainerConfig
>>> task = SineTask(eval_size=1000)
>>> model = build_model(ModelConfig("sin", seed=0), task)
>>> result = Trainer(model, task, TrainerConfig(steps=50, progress=False)).run()
>>> result.status, result.steps
('completed', 50)

Callbacks (``trainer.add_callback(event, fn)``, ``fn(trainer)``):

- ``"on_step_end"``: after every optimiser step; ``trainer.step``, ``trainer.loss`` (float).
- ``"on_log"``: after each ``log_every`` steps; ``trainer.record`` is the line just logged.
- ``"on_eval"``: after each held-out evaluation; ``trainer.metrics``.

A callback stops training by setting ``trainer.stop = True`` (status ``"stopped"``).
"""

from __future__ import annotations

import json
import math
import sys
import time
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import torch

from sigfit.errors import InputError
from sigfit.nn import param_groups

from .tasks import _train_rng

OPTIMIZERS = ("sgd", "adam")
DEVICES = ("cpu", "cuda", "auto")
STATUSES = ("completed", "budget", "stopped", "interrupted", "diverged")


@dataclass
class TrainerConfig:
    """How to train. Saved with every result."""

    optimizer: str = "sgd"  # "sgd" (plain, no momentum, as the seed) or "adam"
    lr: float = 1e-4  # the seed's; see baselines.stable_lr for Sin's stability limit
    batch: int = 32  # the seed's
    steps: int | None = 1000  # optimiser steps (None: run until the budget)
    budget: float | None = None  # wall-clock seconds (None: run for `steps`); both: first reached
    seed: int = 0  # training data stream (the same seed gives every model the same batches)
    device: str = "cpu"  # "cpu", "cuda" or "auto" (cuda when available)
    log_every: int = 100  # steps between log.jsonl lines (mean training loss over the interval)
    eval_every: int = 1000  # steps between held-out evaluations (0: only at the end)
    progress: bool | None = None  # tqdm bar on stderr; None: only when stderr is a terminal

    def __post_init__(self):
        if self.optimizer not in OPTIMIZERS:
            raise InputError(f"unknown optimizer {self.optimizer!r}; choose one of {', '.join(OPTIMIZERS)}")
        if self.device not in DEVICES:
            raise InputError(f"unknown device {self.device!r}; choose one of {', '.join(DEVICES)}")
        if not (isinstance(self.lr, (int, float)) and math.isfinite(self.lr) and self.lr > 0):
            raise InputError(f"lr must be a positive number, got {self.lr}")
        if int(self.batch) < 1:
            raise InputError(f"batch must be a positive integer, got {self.batch}")
        if self.steps is None and self.budget is None:
            raise InputError("give steps, a budget in seconds, or both")
        if self.steps is not None and int(self.steps) < 1:
            raise InputError(f"steps must be a positive integer, got {self.steps}")
        if self.budget is not None and not (math.isfinite(self.budget) and self.budget > 0):
            raise InputError(f"budget must be a positive number of seconds, got {self.budget}")
        if int(self.log_every) < 1:
            raise InputError(f"log_every must be a positive integer, got {self.log_every}")
        if int(self.eval_every) < 0:
            raise InputError(f"eval_every must be >= 0, got {self.eval_every}")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def default_hyperparameters(task: str, model: str) -> dict[str, Any]:
    """The CLI's defaults when ``--optimizer``/``--lr``/``--batch`` are not given.

    ``Sin`` on the sine task reproduces the seed exactly (SGD, lr 1e-4, batch 32; the CLI warns
    that this lr is above the stability limit). Every MLP gets Adam at 1e-3, the usual default
    for these networks (plain SGD at the seed's lr barely moves them, which would be an unfair
    baseline), with batch 32 on the sine and 256 on the clock.
    """
    if model == "sin":
        return {"optimizer": "sgd", "lr": 1e-4, "batch": 32}
    return {"optimizer": "adam", "lr": 1e-3, "batch": 32 if task == "sine" else 256}


@dataclass
class TrainResult:
    """What :meth:`Trainer.run` returns; ``to_dict()`` is ``summary.json``.

    ``final_loss`` is the held-out loss after the last step (MSE for the sine, the task's loss for
    the clock); ``train_loss`` the mean training loss over the last logging interval.
    """

    status: str  # one of STATUSES
    steps: int  # optimiser steps taken
    wall_s: float
    final_loss: float | None
    train_loss: float | None
    accuracy: dict[str, float] | None = None  # clock: per digit and "all"
    message: str = ""
    config: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        d = _finite(asdict(self))
        if d["accuracy"] is None:
            del d["accuracy"]
        d["versions"] = _versions()
        return d


def _versions() -> dict[str, str]:
    import sigfit

    return {"sigfit": sigfit.__version__, "torch": torch.__version__, "numpy": np.__version__,
            "python": sys.version.split()[0]}


def resolve_device(device: str) -> torch.device:
    """``"auto"`` -> cuda when available, else cpu; asking for cuda without one is an error."""
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if device == "cuda" and not torch.cuda.is_available():
        raise InputError("device cuda requested but torch sees no CUDA device; use --device cpu or auto")
    if device not in DEVICES:
        raise InputError(f"unknown device {device!r}; choose one of {', '.join(DEVICES)}")
    return torch.device(device)


def write_json_atomic(path, obj) -> None:
    """Write ``obj`` as JSON to ``path`` whole or not at all (temp file in the same folder, the
    usual file mode: :func:`sigfit.io.atomic_write`)."""
    from sigfit.io import atomic_write

    def write(tmp: str) -> None:
        with open(tmp, "w") as f:
            json.dump(obj, f, indent=2, allow_nan=False)
            f.write("\n")

    atomic_write(path, write)


class Trainer:
    """Train ``model`` on ``task`` with ``config``: fresh batches from ``config.seed``'s stream.

    Deterministic for a given model init and ``config.seed`` on CPU. Ctrl-C ends the run with
    status ``"interrupted"`` after a final held-out evaluation (the log is kept). A non-finite
    training loss ends it with status ``"diverged"``.
    """

    def __init__(self, model: torch.nn.Module, task, config: TrainerConfig | None = None, *,
                 callbacks: dict[str, list] | None = None):
        self.config = config if config is not None else TrainerConfig()
        self.device = resolve_device(self.config.device)
        self.model = model.to(self.device)
        self.task = task
        self.callbacks: dict[str, list] = defaultdict(list)
        for event, fns in (callbacks or {}).items():
            for fn in fns:
                self.add_callback(event, fn)
        self.step = 0
        self.loss: float = math.nan
        self.record: dict[str, Any] = {}
        self.metrics: dict[str, Any] = {}
        self.stop = False
        self._eval_step = -1

    def add_callback(self, event: str, fn) -> None:
        if event not in ("on_step_end", "on_log", "on_eval"):
            raise InputError(f"unknown callback event {event!r}; use on_step_end, on_log or on_eval")
        self.callbacks[event].append(fn)

    def _trigger(self, event: str) -> None:
        for fn in self.callbacks.get(event, ()):
            fn(self)

    def _optimizer(self) -> torch.optim.Optimizer:
        params = [p for p in self.model.parameters() if p.requires_grad]
        if self.config.optimizer == "sgd":
            return torch.optim.SGD(params, lr=self.config.lr)
        # Adam: frequencies set from an estimate (sigfit.nn.spectral_init_) get their own group,
        # their step capped by their error bar and basin; every other parameter trains at lr
        return torch.optim.Adam(param_groups(self.model, self.config.lr), lr=self.config.lr)

    def evaluate(self) -> dict[str, Any]:
        """Held-out metrics now (``eval_loss``, and ``accuracy`` for the clock)."""
        self.metrics = self.task.evaluate(self.model, self.device)
        return self.metrics

    def config_dict(self) -> dict[str, Any]:
        model_cfg = getattr(self.model, "config", None)
        return {
            "task": self.task.to_dict(),
            "model": model_cfg.to_dict() if model_cfg is not None else {"class": type(self.model).__name__},
            "trainer": self.config.to_dict(),
        }

    def run(self, log_path=None) -> TrainResult:
        """Train until ``steps``, the ``budget``, a callback's stop, divergence or Ctrl-C.

        ``log_path``: append one JSON line per ``log_every`` steps (flushed as written, so an
        interrupted run keeps everything logged so far).
        """
        cfg = self.config
        rng = _train_rng(cfg.seed)
        opt = self._optimizer()
        dtype = getattr(self.model, "dtype", torch.float32)
        log = open(log_path, "a", buffering=1) if log_path is not None else None
        bar = None
        if cfg.progress or (cfg.progress is None and sys.stderr.isatty()):
            from tqdm.auto import tqdm

            bar = tqdm(total=cfg.steps, desc=f"{self.task.name}", unit="step", file=sys.stderr,
                       dynamic_ncols=True, leave=False)
        status, message = "completed", ""
        interval: list[float] = []
        train_loss = None
        t0 = time.perf_counter()
        self.model.train()

        def emit(rec):
            self.record = rec
            if log is not None:
                log.write(json.dumps(_finite(rec), allow_nan=False, default=_json_default) + "\n")
            self._trigger("on_log")

        try:
            while True:
                if cfg.steps is not None and self.step >= cfg.steps:
                    break
                if cfg.budget is not None and time.perf_counter() - t0 >= cfg.budget:
                    status = "budget"
                    break
                x, y = self.task.sample(int(cfg.batch), rng)
                xb = torch.as_tensor(x, dtype=torch.float64, device=self.device)
                yb = self.task.target_tensor(y, dtype, self.device)
                opt.zero_grad(set_to_none=True)
                loss = self.task.loss(self.model(xb), yb)
                value = float(loss.detach())
                if not math.isfinite(value):
                    status = "diverged"
                    message = (f"training diverged at step {self.step + 1} (loss {value}); "
                               f"lower the learning rate (lr {cfg.lr:g})")
                    self.loss = value
                    break
                loss.backward()
                opt.step()
                self.step += 1
                self.loss = value
                interval.append(value)
                if bar is not None:
                    bar.update(1)
                self._trigger("on_step_end")
                if self.step % cfg.log_every == 0:
                    train_loss = float(np.mean(interval))
                    interval = []
                    rec = {"step": self.step, "wall_s": round(time.perf_counter() - t0, 4),
                           "train_loss": train_loss}
                    if cfg.eval_every and self.step % cfg.eval_every == 0:
                        rec.update(self._eval_record())
                        if bar is not None:
                            bar.set_postfix(loss=f"{train_loss:.3g}", eval=f"{rec['eval_loss']:.3g}")
                    emit(rec)
                elif cfg.eval_every and self.step % cfg.eval_every == 0:
                    emit({"step": self.step, "wall_s": round(time.perf_counter() - t0, 4),
                          **self._eval_record()})
                if self.stop:
                    status = "stopped"
                    break
        except KeyboardInterrupt:
            status = "interrupted"
            message = f"interrupted at step {self.step}"
        finally:
            if bar is not None:
                bar.close()
        try:
            if interval:
                train_loss = float(np.mean(interval))
            if status == "diverged":
                final = {"eval_loss": math.nan}
            elif self._eval_step == self.step:  # just evaluated at this step: do not pay twice
                final = dict(self.metrics)
            else:
                final = self._eval_record()
            rec = {"step": self.step, "wall_s": round(time.perf_counter() - t0, 4),
                   "train_loss": train_loss, "final": True, "status": status, **final}
            if status == "diverged":
                rec["diverged_loss"] = str(self.loss)  # "nan"/"inf": JSON cannot hold them
            emit(rec)
        finally:
            if log is not None:
                log.close()
        return TrainResult(
            status=status, steps=self.step, wall_s=time.perf_counter() - t0,
            final_loss=final.get("eval_loss"), train_loss=train_loss,
            accuracy=final.get("accuracy"), message=message, config=self.config_dict(),
        )

    def _eval_record(self) -> dict[str, Any]:
        m = self.evaluate()
        self._eval_step = self.step
        self._trigger("on_eval")
        return dict(m)


def _finite(obj):
    """NaN/inf -> None, recursively (JSON has neither; a diverged loss is logged as null)."""
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, dict):
        return {k: _finite(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_finite(v) for v in obj]
    return obj


def _json_default(o):
    if isinstance(o, (np.floating, np.integer)):
        return o.item()
    raise TypeError(f"not JSON serialisable: {type(o).__name__}")


__all__ = ["DEVICES", "OPTIMIZERS", "STATUSES", "TrainResult", "Trainer", "TrainerConfig",
           "default_hyperparameters", "resolve_device", "write_json_atomic"]
