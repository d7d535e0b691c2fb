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

from .models import MODELS, ModelConfig, build_model
from .spectral import (
    ClockDecoder,
    HarmonicRegression,
    estimate_task,
    replacement,
    spectral_init,
)
from .train import Trainer, TrainerConfig, _finite, _versions, write_json_atomic

SINE_THRESHOLD = 1e-10  # held-out MSE
CLOCK_THRESHOLD = 0.999  # exact h:m:s accuracy


LR_FACTORS = (0.1, 1.0, 10.0)  # --sweep: the rule's lr times these (both inits)


@dataclass
class CompareConfig:
    """What one comparison runs. Saved in ``results.json``. Runs are counted in ``steps`` (the
    unit of every table); ``budget`` (seconds) only caps them, and the wall time is reported
    beside."""

    task: str = "sine"
    models: tuple[str, ...] = ("sin", "siren", "gelu", "snake", "fourier")
    seeds: int = 3
    steps: int | None = 100
    budget: float | None = None  # seconds per run, a cap
    estimate_samples: int | None = None  # default: 1024 sine, 4096 clock
    dtype: str = "float64"
    batch: int | None = None  # default: the task's (32 sine, 256 clock)
    eval_every: int | None = None  # default: ~50 evaluations per run
    sweep: bool = False  # lr x LR_FACTORS (both inits) and, random init, the bandwidth grid
    threshold: float | None = None  # default SINE_THRESHOLD / CLOCK_THRESHOLD
    hidden: int = 128  # MLP width (every family)
    depth: int = 3  # MLP depth (every family)
    n_features: int = 128  # Fourier features / Hayes oscillators

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
    final = {"eval_loss": res.final_loss, "accuracy": res.accuracy}
    run = {"model": name, "init": init, "seed": seed, "steps_to_threshold": first[0],
           "final_reached": res.status != "diverged" and _reached(cfg, final),
           "final_loss": res.final_loss, "accuracy": res.accuracy, "wall_s": res.wall_s,
           "best_loss": min(losses) if losses else None,
           "best_accuracy": max(accs) if accs else None,
           "steps": res.steps, "status": res.status, "optimizer": optimizer, "lr": lr}
    return run, curve, res.status


def _validation_key(task, model, status: str) -> tuple[float, float]:
    """Sort key on the validation split (never the held-out set), lower is better: (-accuracy,
    loss) for the clock, (loss,) padded for the sine; diverged runs last."""
    if status == "diverged":
        return (math.inf, math.inf)
    m = task.evaluate(model, "cpu", split="validation")
    loss = m["eval_loss"] if m["eval_loss"] is not None and math.isfinite(m["eval_loss"]) else math.inf
    acc = (m.get("accuracy") or {}).get("all")
    return (-acc if acc is not None else 0.0, loss)


def _candidates(cfg: CompareConfig, name: str, init: str, base: ModelConfig, hp: dict, task, batch: int,
                amplitude: float) -> list[tuple[ModelConfig, float]]:
    """(model config, lr) pairs one (family, init) trains: one without ``--sweep``; with it, lr
    times :data:`LR_FACTORS` and, for random init, each value of the family's bandwidth grid
    (the lr rule re-applied at each bandwidth: SIREN's depends on w0)."""
    family = MODELS[name]
    if not cfg.sweep:
        return [(base, hp["lr"])]
    configs = [base]
    if init == "random" and family.bandwidth is not None:
        default = getattr(base, family.bandwidth)
        configs = []
        for v in family.bandwidth_grid:
            value = v * default if family.bandwidth_relative else v
            value = int(value) if isinstance(default, int) else float(value)
            configs.append(dataclasses.replace(base, **{family.bandwidth: value}))
    out = []
    for mc in configs:
        lr = family.learning_rate(mc, task, batch, amplitude)["lr"]
        out += [(mc, lr * f) for f in LR_FACTORS]
    return out


def _inits(name: str) -> tuple[str, ...]:
    return ("random", *MODELS[name].spectral_variants)


def run_comparison(cfg: CompareConfig, task, out_dir: str | None = None, *, log=None) -> Comparison:
    """Run every seed: the replacements (the task's own and the harmonic regression), then each
    model with random init and each of its family's spectral inits.

    With ``cfg.sweep`` each (family, init) trains every candidate of :func:`_candidates` and
    keeps the one best on the task's validation split; the table reports it on the held-out set.
    ``out_dir``: ``results.json`` is written there after each run. ``log(str)`` reports progress.
    Ctrl-C stops after the run in progress is recorded (``status: "interrupted"``).
    """
    for m in cfg.models:
        if m not in MODELS:
            raise InputError(f"unknown model {m!r}; choose one of {', '.join(MODELS)}")
        if cfg.task != "sine" and MODELS[m].sine_only:
            raise InputError(f"the {m} model fits only the sine task; drop it from --models for the {cfg.task}")
    cmp = Comparison(cfg, task)
    path = os.path.join(out_dir, "results.json") if out_dir else None
    log = log or (lambda s: print(s, file=sys.stderr))
    batch = int(cfg.batch or task.default_batch)

    def save():
        if path:
            write_json_atomic(path, cmp.to_dict())

    def fitted_row(name: str, model, seconds: float) -> dict:
        m = task.evaluate(model, "cpu")
        return {"model": name, "init": "fit" if name == "harmonic" else "replace", "seed": seed,
                "steps_to_threshold": 0 if _reached(cfg, m) else None, "final_reached": _reached(cfg, m),
                "final_loss": m["eval_loss"], "accuracy": m.get("accuracy"), "best_loss": m["eval_loss"],
                "best_accuracy": (m.get("accuracy") or {}).get("all"), "wall_s": seconds, "steps": 0,
                "status": "completed"}

    try:
        for seed in range(cfg.seeds):
            est = estimate_task(task, cfg.estimate_samples, seed=seed)
            entry = {"seed": seed, **est.to_dict()}
            if cmp.first_estimate is None:
                cmp.first_estimate = est
            # replacements: no training; the clock's phase decoder is evaluated as built
            t0 = time.perf_counter()
            rep = replacement(task, est)
            if cfg.task == "clock":
                entry["decoder"] = ClockDecoder.from_estimate(task, est).to_dict()
            cmp.estimates.append(entry)
            rep_name = "spectral" if cfg.task == "sine" else "phase-decoder"
            cmp.runs.append(fitted_row(rep_name, rep, time.perf_counter() - t0 + est.wall_s))
            log(_line(cmp.runs[-1]))
            t0 = time.perf_counter()
            harm = HarmonicRegression(task, est)
            cmp.runs.append(fitted_row("harmonic", harm, time.perf_counter() - t0 + est.wall_s))
            log(_line(cmp.runs[-1]))
            save()
            amp = est.results[0].components[0].amplitude if cfg.task == "sine" else 1.0
            for name in cfg.models:
                base = ModelConfig(name, dtype=cfg.dtype, seed=seed, hidden=cfg.hidden, depth=cfg.depth,
                                   n_features=cfg.n_features)
                hp = MODELS[name].learning_rate(base, task, batch, amp)
                for init in _inits(name):
                    cands = _candidates(cfg, name, init, base, hp, task, batch, amp)
                    best = None
                    scores = []
                    for mcfg, lr in cands:
                        model = build_model(mcfg, task)
                        if init != "random":
                            spectral_init(model, name, est, init, task)
                        run, curve, status = _train_run(cmp, model, name, init, seed, lr, hp["optimizer"])
                        if cfg.sweep:
                            key = _validation_key(task, model, status)
                            run["validation_key"] = list(key)
                        else:
                            key = (0.0, 0.0)
                        if family_bw := MODELS[name].bandwidth:
                            run["bandwidth"] = {family_bw: getattr(mcfg, family_bw)}
                        scores.append(list(key))
                        if best is None or key < best[0]:
                            best = (key, run, curve)
                        if status == "interrupted":
                            raise KeyboardInterrupt
                    _, run, curve = best
                    if len(cands) > 1:  # every candidate with its validation key (-accuracy, loss)
                        bw = MODELS[name].bandwidth
                        run["swept"] = [{"lr": lr, **({bw: getattr(mc, bw)} if bw else {}), "validation_key": k}
                                        for (mc, lr), k in zip(cands, scores, strict=True)]
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


def _line(run: dict) -> str:
    acc = run.get("accuracy")
    a = f" acc {100 * acc['all']:.3f}%" if acc else ""
    loss = run["final_loss"]
    ls = "n/a" if loss is None else f"{loss:.3g}"
    bw = "".join(f" {k} {v:g}" for k, v in (run.get("bandwidth") or {}).items())
    lr = f" lr {run['lr']:.3g}" if run.get("lr") else ""
    return (f"seed {run['seed']} {run['model']:>13} {run['init']:>15}: loss {ls}{a}, "
            f"steps to threshold {run['steps_to_threshold']}, {run['steps']} steps, "
            f"{run['wall_s']:.1f} s{lr}{bw}")


def summary_rows(cmp: Comparison) -> list[dict[str, Any]]:
    """One row per (model, init): seeds; how many reached the threshold at some evaluation
    (``best_reached``) and how many are past it at the last step (``final_reached``); median
    steps to the first; medians of the final and the best held-out loss and accuracy; median
    steps run and wall time."""
    groups: dict[tuple[str, str], list[dict]] = {}
    for r in cmp.runs:
        groups.setdefault((r["model"], r["init"]), []).append(r)

    def med(vals):
        vals = [v for v in vals if v is not None]
        return float(np.median(vals)) if vals else None

    rows = []
    for (model, init), rs in groups.items():
        reached = [r["steps_to_threshold"] for r in rs if r["steps_to_threshold"] is not None]
        rows.append({"model": model, "init": init, "seeds": len(rs), "best_reached": len(reached),
                     "final_reached": sum(bool(r.get("final_reached")) for r in rs),
                     "median_steps_to_threshold": med(reached),
                     "median_loss": med([r["final_loss"] for r in rs]),
                     "median_best_loss": med([r.get("best_loss") for r in rs]),
                     "median_accuracy": med([(r.get("accuracy") or {}).get("all") for r in rs]),
                     "median_best_accuracy": med([r.get("best_accuracy") for r in rs]),
                     "median_steps": med([r.get("steps") for r in rs]),
                     "median_wall_s": float(np.median([r["wall_s"] for r in rs]))})
    return rows


def format_table(cmp: Comparison) -> str:
    """The summary table, medians over seeds. ``final``: at the last step; ``best``: the best
    held-out value along the run. ``reached``: seeds past the threshold at some evaluation;
    ``final ok``: at the last step. ``steps`` is the unit; wall seconds beside."""
    rows = summary_rows(cmp)
    thr = _threshold(cmp.config)
    clock = cmp.config.task != "sine"
    what = f"MSE < {thr:g}" if not clock else f"accuracy >= {100 * thr:g}%"
    head = (f"{'model':>13} {'init':>15} {'reached':>7} {'final ok':>8} {'to thr':>6} {'final loss':>10} "
            f"{'best loss':>10}" + (f" {'final acc':>9} {'best acc':>9}" if clock else "")
            + f" {'steps':>6} {'wall s':>7}")
    lines = [f"threshold: held-out {what}; medians over seeds; final: at the last step, best: the best "
             "along the run; reached: seeds past the threshold at some evaluation, final ok: at the last "
             "step; to thr: median steps to the first", head]

    def pct(v):
        return "-" if v is None else f"{100 * v:.3f}%"

    def g(v, fmt):
        return "-" if v is None else format(v, fmt)

    for r in rows:
        reached = f"{r['best_reached']}/{r['seeds']}"
        final_ok = f"{r['final_reached']}/{r['seeds']}"
        accs = f" {pct(r['median_accuracy']):>9} {pct(r['median_best_accuracy']):>9}" if clock else ""
        lines.append(f"{r['model']:>13} {r['init']:>15} {reached:>7} {final_ok:>8} {g(r['median_steps_to_threshold'], 'g'):>6} "
                     f"{g(r['median_loss'], '.3g'):>10} {g(r['median_best_loss'], '.3g'):>10}{accs} "
                     f"{g(r['median_steps'], 'g'):>6} {r['median_wall_s']:>7.1f}")
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
    many = len(groups) > 6  # the legend goes beside the axes, where it hides no curve
    for key, label, fname, logy in keys:
        fig, ax = plt.subplots(figsize=(10, 4.5) if many else (7, 4.5))
        cut = False
        for (model, init), cs in groups.items():
            n = min(len(c["step"]) for c in cs)
            cut = cut or any(len(c["step"]) > n for c in cs)
            ls = "--" if init == "random" else ("-" if init == "spectral" else ":")
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
            if cfg.sweep:
                what += " (best of sweep)"
            ax.plot(steps, med, ls, color=colour[model], lw=1.8, label=what)
            ax.fill_between(steps, np.nanmin(vals, axis=0), np.nanmax(vals, axis=0), alpha=0.15,
                            color=colour[model])
        for kind, style in (("replace", "-"), ("fit", "-.")):
            reps = [r for r in cmp.runs if r["init"] == kind]
            if not reps:  # the replacements need no steps: one level across the plot
                continue
            vals = [r["final_loss"] if key == "eval_loss" else (r.get("accuracy") or {}).get("all") for r in reps]
            vals = [v for v in vals if v is not None]
            what = "replacement" if kind == "replace" else "regression on the estimate's features"
            if vals:
                ax.axhline(max(float(np.median(vals)), 1e-30) if logy else float(np.median(vals)),
                           color="k", lw=1.2, ls=style, label=f"{reps[0]['model']} {what} (no training)")
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
        if many:
            ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0))
            fig.subplots_adjust(right=0.7)
        else:
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
