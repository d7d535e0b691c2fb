"""Random vs spectral initialisation, and the replacement, on one task: the engine behind
``sigfit compare``.

Fairness: for a given seed every run (each model, each init) sees the same training stream
(``TrainerConfig.seed``), the same step count or wall-clock budget, the same optimiser and
learning rate (:func:`baselines.spectral.spectral_lr`: one rule for both inits) and the same
held-out set. The estimate of each seed is made from its own training batch
(:func:`baselines.spectral.estimate_task`). ``results.json`` is rewritten atomically after
every run, so an interrupted comparison keeps the runs already finished.
"""

from __future__ import annotations

import dataclasses
import math
import os
import sys
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from sigfit.errors import InputError

from .models import ModelConfig, build_model
from .spectral import (
    INITIALISERS,
    ClockDecoder,
    estimate_task,
    replacement,
    spectral_init,
    spectral_lr,
)
from .sweep import lr_grid
from .train import Trainer, TrainerConfig, _finite, _versions, write_json_atomic

SINE_THRESHOLD = 1e-10  # held-out MSE
CLOCK_THRESHOLD = 0.999  # exact h:m:s accuracy


@dataclass
class CompareConfig:
    """What one comparison runs. Saved in ``results.json``."""

    task: str = "sine"
    models: tuple[str, ...] = ("sin", "siren", "gelu", "snake", "fourier")
    seeds: int = 3
    steps: int | None = 100
    budget: float | None = None  # seconds per run
    estimate_samples: int | None = None  # default: 1024 sine, 4096 clock
    dtype: str = "float64"
    batch: int | None = None  # default: the task's (32 sine, 256 clock)
    eval_every: int | None = None  # default: ~50 evaluations per run
    sweep: bool = False  # random init: also try lr x 10**k, k = -2..1, keep the best
    threshold: float | None = None  # default SINE_THRESHOLD / CLOCK_THRESHOLD

    def to_dict(self) -> dict[str, Any]:
        d = dataclasses.asdict(self)
        d["models"] = list(self.models)
        return d


@dataclass
class Comparison:
    config: CompareConfig
    task: Any
    estimates: list[dict[str, Any]] = field(default_factory=list)
    runs: list[dict[str, Any]] = field(default_factory=list)
    curves: list[dict[str, Any]] = field(default_factory=list)
    status: str = "running"
    first_estimate: Any = None  # the TaskEstimate of seed 0 (for the plots)

    def to_dict(self) -> dict[str, Any]:
        return _finite({
            "config": self.config.to_dict(), "task": self.task.to_dict(), "versions": _versions(),
            "seeds": list(range(self.config.seeds)), "threshold": _threshold(self.config),
            "status": self.status, "estimates": self.estimates, "runs": self.runs, "curves": self.curves,
        })


def _threshold(cfg: CompareConfig) -> float:
    if cfg.threshold is not None:
        return float(cfg.threshold)
    return SINE_THRESHOLD if cfg.task == "sine" else CLOCK_THRESHOLD


def _reached(cfg: CompareConfig, metrics: dict[str, Any]) -> bool:
    thr = _threshold(cfg)
    if cfg.task == "sine":
        loss = metrics.get("eval_loss")
        return loss is not None and math.isfinite(loss) and loss < thr
    return (metrics.get("accuracy") or {}).get("all", 0.0) >= thr


def _train_run(cmp: Comparison, model, name: str, init: str, seed: int, lr: float, optimizer: str):
    cfg = cmp.config
    task = cmp.task
    steps = cfg.steps
    every = cfg.eval_every or (max(1, steps // 50) if steps else 10)
    tcfg = TrainerConfig(optimizer=optimizer, lr=lr, batch=int(cfg.batch or task.default_batch), steps=steps,
                         budget=cfg.budget, seed=seed, log_every=every, eval_every=every, progress=False)
    trainer = Trainer(model, task, tcfg)
    m0 = task.evaluate(model, trainer.device)
    curve = [(0, m0["eval_loss"], (m0.get("accuracy") or {}).get("all"))]
    first = [0 if _reached(cfg, m0) else None]

    def on_eval(tr):
        m = tr.metrics
        curve.append((tr.step, m["eval_loss"], (m.get("accuracy") or {}).get("all")))
        if first[0] is None and _reached(cfg, m):
            first[0] = tr.step

    trainer.add_callback("on_eval", on_eval)
    res = trainer.run()
    if res.steps and curve[-1][0] != res.steps and res.final_loss is not None:
        curve.append((res.steps, res.final_loss, (res.accuracy or {}).get("all")))
        if first[0] is None and _reached(cfg, {"eval_loss": res.final_loss, "accuracy": res.accuracy}):
            first[0] = res.steps
    # the best held-out values along the run, beside the final ones: a curve that passes the
    # threshold and dips again "reached" it, while its final accuracy is below it
    losses = [c[1] for c in curve if c[1] is not None and math.isfinite(c[1])]
    accs = [c[2] for c in curve if c[2] is not None]
    run = {"model": name, "init": init, "seed": seed, "steps_to_threshold": first[0],
           "final_loss": res.final_loss, "accuracy": res.accuracy, "wall_s": res.wall_s,
           "best_loss": min(losses) if losses else None,
           "best_accuracy": max(accs) if accs else None,
           "steps": res.steps, "status": res.status, "optimizer": optimizer, "lr": lr}
    return run, curve, res.status


def run_comparison(cfg: CompareConfig, task, out_dir: str | None = None, *, log=None) -> Comparison:
    """Run every seed: the replacement, then each model with random and spectral init.

    ``out_dir``: ``results.json`` is written there after each run. ``log(str)`` reports progress.
    Ctrl-C stops after the run in progress is recorded (``status: "interrupted"``).
    """
    for m in cfg.models:
        if cfg.task == "clock" and m == "sin":
            raise InputError("the Sin model fits only the sine task; drop it from --models for the clock")
    cmp = Comparison(cfg, task)
    path = os.path.join(out_dir, "results.json") if out_dir else None
    log = log or (lambda s: print(s, file=sys.stderr))

    def save():
        if path:
            write_json_atomic(path, cmp.to_dict())

    try:
        for seed in range(cfg.seeds):
            est = estimate_task(task, cfg.estimate_samples, seed=seed)
            entry = {"seed": seed, **est.to_dict()}
            if cmp.first_estimate is None:
                cmp.first_estimate = est
            # replacement: no training for the sine; the clock's phase decoder is evaluated as built
            t0 = time.perf_counter()
            rep = replacement(task, est)
            if cfg.task == "clock":
                entry["decoder"] = ClockDecoder.from_estimate(task, est).to_dict()
            m = task.evaluate(rep, "cpu")
            cmp.estimates.append(entry)
            cmp.runs.append({"model": "spectral" if cfg.task == "sine" else "phase-decoder", "init": "replace",
                             "seed": seed, "steps_to_threshold": 0 if _reached(cfg, m) else None,
                             "final_loss": m["eval_loss"], "accuracy": m.get("accuracy"),
                             "best_loss": m["eval_loss"],
                             "best_accuracy": (m.get("accuracy") or {}).get("all"),
                             "wall_s": time.perf_counter() - t0 + est.wall_s, "steps": 0, "status": "completed"})
            log(_line(cmp.runs[-1]))
            save()
            for name in cfg.models:
                for init in ("random", "spectral"):
                    if init == "spectral" and name not in INITIALISERS:
                        continue  # GELU has no spectral parameter: random init only
                    mcfg = ModelConfig(name, dtype=cfg.dtype, seed=seed)
                    amp = est.results[0].components[0].amplitude if cfg.task == "sine" else 1.0
                    hp = spectral_lr(name, task, int(cfg.batch or task.default_batch), amplitude=amp,
                                     w0=mcfg.w0)
                    lrs = [hp["lr"]]
                    if init == "random" and cfg.sweep:
                        lrs = lr_grid(hp["lr"], decades=(-2.0, 1.0), per_decade=1)
                    best = None
                    for lr in lrs:
                        model = build_model(mcfg, task)
                        if init == "spectral":
                            spectral_init(model, name, est)
                        run, curve, status = _train_run(cmp, model, name, init, seed, lr, hp["optimizer"])
                        if best is None or _better(run, best[0]):
                            best = (run, curve)
                        if status == "interrupted":
                            raise KeyboardInterrupt
                    run, curve = best
                    if len(lrs) > 1:
                        run["swept_lrs"] = lrs
                    cmp.runs.append(run)
                    cmp.curves.append({"model": name, "init": init, "seed": seed,
                                       "step": [c[0] for c in curve], "eval_loss": [c[1] for c in curve],
                                       "accuracy": [c[2] for c in curve]})
                    log(_line(run))
                    save()
        cmp.status = "completed"
    except KeyboardInterrupt:
        cmp.status = "interrupted"
    save()
    return cmp


def _better(a: dict, b: dict) -> bool:
    def key(r):
        loss = r["final_loss"] if r["final_loss"] is not None and math.isfinite(r["final_loss"]) else math.inf
        acc = (r.get("accuracy") or {}).get("all", 0.0)
        return (-acc, loss)

    return key(a) < key(b)


def _line(run: dict) -> str:
    acc = run.get("accuracy")
    a = f" acc {100 * acc['all']:.3f}%" if acc else ""
    loss = run["final_loss"]
    ls = "n/a" if loss is None else f"{loss:.3g}"
    return (f"seed {run['seed']} {run['model']:>13} {run['init']:>8}: loss {ls}{a}, "
            f"steps to threshold {run['steps_to_threshold']}, {run['wall_s']:.1f} s")


def summary_rows(cmp: Comparison) -> list[dict[str, Any]]:
    """One row per (model, init): seeds, how many reached the threshold at some evaluation,
    median steps to it, median final loss and accuracy (at the last step) and median best
    accuracy (the highest held-out accuracy along the run)."""
    groups: dict[tuple[str, str], list[dict]] = {}
    for r in cmp.runs:
        groups.setdefault((r["model"], r["init"]), []).append(r)
    rows = []
    for (model, init), rs in groups.items():
        reached = [r["steps_to_threshold"] for r in rs if r["steps_to_threshold"] is not None]
        losses = [r["final_loss"] for r in rs if r["final_loss"] is not None]
        accs = [r["accuracy"]["all"] for r in rs if r.get("accuracy")]
        bests = [r["best_accuracy"] for r in rs if r.get("best_accuracy") is not None]
        rows.append({"model": model, "init": init, "seeds": len(rs), "reached": len(reached),
                     "median_steps": float(np.median(reached)) if reached else None,
                     "median_loss": float(np.median(losses)) if losses else None,
                     "median_accuracy": float(np.median(accs)) if accs else None,
                     "median_best_accuracy": float(np.median(bests)) if bests else None,
                     "median_wall_s": float(np.median([r["wall_s"] for r in rs]))})
    return rows


def format_table(cmp: Comparison) -> str:
    """The summary table: per (model, init), seeds that reached the threshold at some
    evaluation and the median steps to it, then medians over seeds of the final held-out loss,
    the final accuracy and (clock) the best accuracy along the run, and the wall time."""
    rows = summary_rows(cmp)
    thr = _threshold(cmp.config)
    clock = cmp.config.task != "sine"
    what = f"MSE < {thr:g}" if not clock else f"accuracy >= {100 * thr:g}%"
    head = (f"{'model':>13} {'init':>8} {'reached':>9} {'med steps':>9} {'final loss':>11}"
            + (f" {'final acc':>9} {'best acc':>9}" if clock else "") + f" {'wall s':>7}")
    lines = [f"threshold: held-out {what} (reached: at some evaluation; medians over seeds; "
             "final: at the last step; best: the highest along the run)", head]

    def pct(v):
        return "-" if v is None else f"{100 * v:.3f}%"

    for r in rows:
        steps = "-" if r["median_steps"] is None else f"{r['median_steps']:g}"
        loss = "-" if r["median_loss"] is None else f"{r['median_loss']:.3g}"
        accs = f" {pct(r['median_accuracy']):>9} {pct(r['median_best_accuracy']):>9}" if clock else ""
        lines.append(f"{r['model']:>13} {r['init']:>8} {r['reached']:>4}/{r['seeds']:<4} {steps:>9} "
                     f"{loss:>11}{accs} {r['median_wall_s']:>7.1f}")
    return "\n".join(lines)


# --------------------------------------------------------------------------- plots


def plot_comparison(cmp: Comparison, out_dir: str) -> list[str]:
    """Loss vs step (median and min-max over seeds, log scale), clock accuracy vs step, the
    periodogram with the estimate marked, and (sine) the loss landscape with 1 - normalised
    periodogram. Returns the paths written."""
    from sigfit.plot import pyplot, save_figure

    plt = pyplot()
    paths = []
    groups: dict[tuple[str, str], list[dict]] = {}
    for c in cmp.curves:
        groups.setdefault((c["model"], c["init"]), []).append(c)
    cfg = cmp.config
    thr = _threshold(cfg)
    loss_label = "held-out MSE" if cfg.task == "sine" else "held-out loss (cross-entropy per digit)"
    keys = [("eval_loss", loss_label, "loss_vs_step.png", True)]
    if cfg.task == "clock":
        keys.append(("accuracy", "exact accuracy, all digits", "accuracy_vs_step.png", False))
    run_len = " and ".join(x for x in (f"{cfg.steps} steps" if cfg.steps else "",
                                       f"{cfg.budget:g} s" if cfg.budget else "") if x)
    # one colour per model family, solid for spectral init, dashed for random
    colour = {m: f"C{i}" for i, m in enumerate(dict.fromkeys(m for m, _ in groups))}
    for key, label, fname, logy in keys:
        fig, ax = plt.subplots(figsize=(7, 4.5))
        cut = False
        for (model, init), cs in groups.items():
            n = min(len(c["step"]) for c in cs)
            cut = cut or any(len(c["step"]) > n for c in cs)
            ls = "-" if init == "spectral" else "--"
            # every seed, thin, to its own last step (wall-clock budgets give each seed its own
            # step count); the median and band only where all seeds have a value
            for c in cs:
                v = np.array([np.nan if x is None else x for x in c[key]], dtype=float)
                ax.plot(np.asarray(c["step"], dtype=float), np.maximum(v, 1e-30) if logy else v, ls,
                        color=colour[model], lw=0.6, alpha=0.45)
            steps = np.asarray(cs[0]["step"][:n], dtype=float)
            vals = np.array([[np.nan if v is None else v for v in c[key][:n]] for c in cs], dtype=float)
            if logy:
                vals = np.maximum(vals, 1e-30)
            med = np.nanmedian(vals, axis=0)
            what = f"{model} {init} init"
            if init == "random" and cfg.sweep:
                what += " (best lr of sweep)"
            ax.plot(steps, med, ls, color=colour[model], lw=1.8, label=what)
            ax.fill_between(steps, np.nanmin(vals, axis=0), np.nanmax(vals, axis=0), alpha=0.15,
                            color=colour[model])
        reps = [r for r in cmp.runs if r["init"] == "replace"]
        if reps:  # the replacement needs no steps: one level across the plot
            vals = [r["final_loss"] if key == "eval_loss" else (r.get("accuracy") or {}).get("all") for r in reps]
            vals = [v for v in vals if v is not None]
            if vals:
                ax.axhline(max(float(np.median(vals)), 1e-30) if logy else float(np.median(vals)),
                           color="k", lw=1.2, label=f"{reps[0]['model']} replacement (no training)")
        if cfg.task == "sine" and logy:
            ax.axhline(thr, color="k", lw=0.8, ls=":", label=f"threshold MSE {thr:g}")
        if cfg.task == "clock" and not logy:
            ax.axhline(thr, color="k", lw=0.8, ls=":", label=f"threshold {100 * thr:g}%")
            ax.set_ylim(-0.03, 1.03)
        if logy:
            ax.set_yscale("log")
        ax.set_xlabel("optimiser step")
        ax.set_ylabel(label)
        ax.set_title(f"{cfg.task}: median over {cfg.seeds} seed{'s' if cfg.seeds > 1 else ''}, band min-max "
                     f"({run_len} per run)",
                     fontsize=10)
        note = "thin lines: each seed"
        if cut:
            note += ("; median and band stop at the last step every seed reached\n(the table's "
                     "final values are each seed's own last step)")
        # under the axis label, where no curve can hide it
        ax.text(0.0, -0.16, note, transform=ax.transAxes, fontsize=7, color="0.3", va="top")
        ax.legend(fontsize=7, loc="best")
        p = os.path.join(out_dir, fname)
        save_figure(fig, p)
        plt.close(fig)
        paths.append(p)
    est = cmp.first_estimate
    if est is not None:
        paths += _plot_periodogram(cmp, est, out_dir, plt, save_figure)
    return paths


def _plot_periodogram(cmp, est, out_dir, plt, save_figure) -> list[str]:
    paths = []
    n = len(est.results)
    fig, axes = plt.subplots(n, 1, figsize=(7, 2.6 * n), squeeze=False)
    names = getattr(cmp.task, "names", ["y"])
    for ax, r, name in zip(axes[:, 0], est.results, names, strict=False):
        f = r.components[0].frequency
        top = 1.0
        if r.periodogram is not None:
            ax.plot(r.periodogram.frequency, r.periodogram.power, lw=0.6, label="periodogram")
            ax.set_xscale("log")
            top = float(np.nanmax(r.periodogram.power))
        # a marker above the peak, not a line through it: the peak itself stays visible
        ax.plot([f], [1.08 * top], "v", color="r", ms=6, label=f"estimate P = {1 / f:.10g}")
        ax.set_ylim(0, 1.18 * top)
        ax.set_ylabel(f"power ({name})")
        ax.legend(fontsize=7, loc="upper left")
    axes[-1, 0].set_xlabel("frequency (cycles per unit of time)")
    p = os.path.join(out_dir, "periodogram.png")
    save_figure(fig, p)
    plt.close(fig)
    paths.append(p)
    if cmp.config.task == "sine":
        from .landscape import expected_loss

        task = cmp.task
        c = est.results[0].components[0]
        R = task.range_
        w = c.angular_frequency + np.linspace(-40.0, 40.0, 1601) / R
        # Sin's model amplitude is the target's: MSE / A^2 is 1 far from the tone, as is 1 - power
        loss = expected_loss(w, task.omega, R, phase=task.phase, amplitude=task.amplitude) / task.amplitude**2
        # 1 - the Lomb-Scargle power ("standard" normalisation, floating mean) of the estimate
        # batch is chi^2(f)/chi^2_0: the batch's loss when amplitude, phase and offset are
        # refitted at every freq (Lomb 1976; Scargle 1982; VanderPlas 2018, sec. 5.1). The Sin
        # landscape keeps them fixed, so it has the same minimum but signed side lobes.
        x, y = est.x, est.y.reshape(-1)
        profile = _profile_loss(w, x, y)
        fig, ax = plt.subplots(figsize=(7, 4))
        ax.plot(w, loss, label="Sin loss landscape MSE(freq) / A^2, phase and amplitude fixed (exact)")
        ax.plot(w, profile, "--",
                label=f"1 - Lomb-Scargle power of the {x.size}-sample estimate batch\n"
                      "(= the loss with amplitude and phase refitted at each freq)")
        ax.axvline(c.angular_frequency, color="r", lw=0.8, ls=":", zorder=0,
                   label=f"estimate {c.angular_frequency:.12g}")
        ax.set_xlabel("Sin freq (rad per unit x)")
        ax.set_ylabel("loss (1 = nothing fitted)")
        ax.set_title(f"the landscape seen two ways (omega {task.omega:g}, x ~ U(-{R:g}, {R:g}))", fontsize=10)
        ax.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.14))  # below: the well stays clear
        p = os.path.join(out_dir, "landscape_periodogram.png")
        save_figure(fig, p)
        plt.close(fig)
        paths.append(p)
    return paths


def _profile_loss(w, x, y):
    """1 - the floating-mean Lomb-Scargle power of ``(x, y)`` at the evenly spaced angular
    frequencies ``w``: min over (a, b, c) of sum((y - a cos(w x) - b sin(w x) - c)^2) divided by
    sum((y - mean y)^2), from sigfit's own NUFFT periodogram (no frequency-by-sample array)."""
    from sigfit.grid import FrequencyGrid
    from sigfit.periodograms.lombscargle import power

    order = np.argsort(x)
    tau = np.asarray(x, dtype=np.float64)[order]
    tau = tau - 0.5 * (tau[0] + tau[-1])  # centred before phases (precision)
    f = np.asarray(w, dtype=np.float64) / (2 * np.pi)
    grid = FrequencyGrid(start=float(f[0]), step=float(f[1] - f[0]), size=f.size)
    return 1.0 - power(tau, np.asarray(y, dtype=np.float64)[order], None, grid)


def make_compare_task(name: str, *, eval_size: int | None = None, **kwargs):
    from .tasks import make_task

    if eval_size is not None:
        kwargs["eval_size"] = eval_size
    return make_task(name, **kwargs)


__all__ = ["CLOCK_THRESHOLD", "SINE_THRESHOLD", "CompareConfig", "Comparison", "format_table",
           "make_compare_task", "plot_comparison", "run_comparison", "summary_rows"]
