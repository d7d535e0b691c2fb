"""Extrapolation (issue #17): train on [-R, R], test on [R, 4R], every family, random vs spectral
init, against the harmonic regression (the estimate's periodic features and a least-squares
linear head: :class:`sigfit.baselines.spectral.HarmonicRegression`).

Two series, both generated here (the library never sees their parameters):

(a) ``mixture``: ``sin(2 pi x/P1 + 0.3) + 0.6 saw(2 pi x/P2 + 1.1)`` with ``P1 = 7.3`` and
    ``P2 = P1 * golden ratio`` (incommensurate), 2,000 points uniform in [-R, R], R = 100,
    Gaussian noise 0.1 on the training targets; the test set is clean.
(b) ``hourly``: hourly stamps (seconds since the Unix epoch, around 1.7e9) over 8 weeks centred
    on ``T0``: a daily cycle (amplitude 1), a weekly cycle with a weekday/weekend shape (two
    harmonics), a linear trend (0.5 per week), three gaps (10% of the record) and noise 0.2;
    test: the next 12 weeks, hourly, clean.
(b') ``hourly-flat``: (b) without the trend, to tell the trend's failures from the cycles'.

Estimates (``sigfit.estimate`` on the whole training record): ``n_components=3``,
``detrend="linear"``; the same estimate feeds every spectral init and the harmonic regression.

Protocol: every run takes the same ``--steps`` Adam/SGD steps (batch 64; each family's lr rule
of :mod:`baselines.spectral`). On seed 0 each (family, init) first sweeps lr x (0.1, 1, 10) and,
for random init, the family's bandwidth grid (the same candidates as ``sigfit compare --sweep``),
picking on a validation split of 10% of the training record (inside [-R, R]: what a user has),
then every seed runs at the chosen settings. Reported: the normalised MSE (MSE / variance of
the clean targets) in range (the validation split) and out of range (the test set), median and
[min, max] over seeds. The networks are small (width 32, depth 2, 16 Fourier features or
oscillators) so that the whole benchmark runs in a few minutes on 2 cores.

Run: ``python benchmarks/bench_extrapolation.py --seeds 5 --steps 600`` (prints Markdown;
about 6 minutes on 2 cores, one torch thread).
"""

from __future__ import annotations

import argparse
import dataclasses
import math
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import torch  # noqa: E402

import sigfit.baselines as bl  # noqa: E402
from sigfit.baselines.compare import LR_FACTORS  # noqa: E402
from sigfit.baselines.spectral import HarmonicRegression, estimate_task, spectral_init  # noqa: E402

GOLDEN = (1 + 5**0.5) / 2
FAMILIES = ("sin", "siren", "gelu", "snake", "fourier", "nerf", "fan", "hayes")
# sigfit.estimate's options, as a user would give them: up to 3 periods; a linear trend (the
# automatic trend rule, BIC fitted with the strongest sinusoid only, reads the hourly series'
# weekly cycle as a cubic trend: its row is shown beside, "detrend auto")
ESTIMATE = {"n_components": 3, "detrend": "linear"}


def saw(phase):
    """Sawtooth in [-1, 1), period 2 pi."""
    return 2.0 * np.mod(phase / (2 * np.pi), 1.0) - 1.0


def mixture(seed: int):
    R, P1 = 100.0, 7.3
    P2 = P1 * GOLDEN

    def f(x):
        return np.sin(2 * np.pi * x / P1 + 0.3) + 0.6 * saw(2 * np.pi * x / P2 + 1.1)

    rng = np.random.default_rng([seed, 11])
    x = np.sort(rng.uniform(-R, R, 2000))
    y = f(x) + 0.1 * rng.normal(size=x.size)
    xt = np.linspace(R, 4 * R, 3000)
    return "mixture", x, y, xt, f(xt)


def hourly(seed: int, trend: float = 0.5, name: str = "hourly"):
    hour, day, week = 3600.0, 86400.0, 7 * 86400.0
    T0 = 1.7e9
    R = 4 * week

    def f(t):
        d = np.sin(2 * np.pi * (t - T0) / day + 0.4)
        w = 0.5 * np.sin(2 * np.pi * (t - T0) / week) + 0.25 * np.sin(4 * np.pi * (t - T0) / week + 1.0)
        return d + w + trend * (t - T0) / week

    rng = np.random.default_rng([seed, 12])
    t = T0 - R + hour * np.arange(int(2 * R / hour))
    keep = np.ones(t.size, bool)
    for start in rng.choice(t.size - 60, 3, replace=False):  # three gaps, ~45 h each
        keep[start : start + 45] = False
    t = t[keep]
    y = f(t) + 0.2 * rng.normal(size=t.size)
    tt = T0 + R + hour * np.arange(int(3 * R / hour))
    return name, t, y, tt, f(tt)


def hourly_flat(seed: int):
    """(b) without its trend: what the networks do with the cycles alone."""
    return hourly(seed, trend=0.0, name="hourly-flat")


def make_task(gen, seed: int):
    name, x, y, xt, yt = gen(seed)
    rng = np.random.default_rng([seed, 13])
    val = rng.random(x.size) < 0.1
    return bl.SeriesTask(x[~val], y[~val], xt, yt, t_validation=x[val], y_validation=y[val],
                         default_batch=64, label=name)


def nmse(task, model, split):
    x, y = task.heldout() if split == "heldout" else task._validation
    with torch.no_grad():
        out = model(torch.as_tensor(x, dtype=torch.float64)).reshape(-1).double().numpy()
    v = float(np.var(y))
    e = float(np.mean((out - y) ** 2)) / v
    return e if math.isfinite(e) else math.inf


def inits(name):
    return ("random", *bl.MODELS[name].spectral_variants)


def candidates(name, init, base, task):
    fam = bl.MODELS[name]
    configs = [base]
    if init == "random" and fam.bandwidth is not None:
        d = getattr(base, fam.bandwidth)
        configs = [dataclasses.replace(base, **{fam.bandwidth: type(d)(g * d if fam.bandwidth_relative else g)})
                   for g in fam.bandwidth_grid]
    out = []
    for mc in configs:
        rule = fam.learning_rate(mc, task, task.default_batch)
        out += [(mc, rule["optimizer"], rule["lr"] * f) for f in LR_FACTORS]
    return out


def train(mc, optimizer, lr, init, task, est, seed, steps, keep=None):
    model = bl.build_model(dataclasses.replace(mc, seed=seed), task)
    if init != "random":
        spectral_init(model, mc.name, est, init, task)
    cfg = bl.TrainerConfig(optimizer=optimizer, lr=lr, batch=task.default_batch, steps=steps, seed=seed,
                           eval_every=0, progress=False)
    res = bl.Trainer(model, task, cfg).run()
    if keep is not None:
        keep[(mc.name, init)] = model
    if res.status == "diverged":
        return math.inf, math.inf, res.wall_s
    return nmse(task, model, "validation"), nmse(task, model, "heldout"), res.wall_s


def fmt(vals):
    v = np.asarray(vals, float)
    if not np.isfinite(v).any():
        return "diverged"

    def g(a):
        return "inf" if not math.isfinite(a) else f"{a:.3g}"

    return f"{g(float(np.median(v)))} [{g(float(v.min()))}, {g(float(v.max()))}]"


def run(gen, args):
    t_start = time.perf_counter()
    tasks = [make_task(gen, s) for s in range(args.seeds)]
    ests = [estimate_task(t, seed=s, **ESTIMATE) for s, t in enumerate(tasks)]
    rows = []
    best_models = {}  # seed 0's trained model per (family, init), for the figure
    for label, es in (("harmonic regression", ests),
                      ("harmonic regression, detrend auto",
                       [estimate_task(t, seed=s, n_components=ESTIMATE["n_components"]) for s, t in enumerate(tasks)])):
        harm = [(nmse(t, HarmonicRegression(t, e), "validation"), nmse(t, HarmonicRegression(t, e), "heldout"))
                for t, e in zip(tasks, es, strict=True)]
        rows.append((label, "fit", "-", [h[0] for h in harm], [h[1] for h in harm], 0.0))
    for name in args.models:
        base = bl.ModelConfig(name, dtype="float64", hidden=args.hidden, depth=args.depth,
                              n_features=args.features)
        for init in inits(name):
            # the sweep, on seed 0's validation split
            best = None
            for mc, opt, lr in candidates(name, init, base, tasks[0]):
                v, _, _ = train(mc, opt, lr, init, tasks[0], ests[0], 0, args.steps)
                if best is None or v < best[0]:
                    best = (v, mc, opt, lr)
            _, mc, opt, lr = best
            res = [train(mc, opt, lr, init, t, e, s, args.steps, keep=best_models if s == 0 else None)
                   for s, (t, e) in enumerate(zip(tasks, ests, strict=True))]
            bw = bl.MODELS[name].bandwidth
            chosen = f"lr {lr:.3g}" + (f", {bw} {getattr(mc, bw):g}" if bw and init == "random" else "")
            rows.append((name, init, chosen, [r[0] for r in res], [r[1] for r in res],
                         float(np.median([r[2] for r in res]))))
            print(f"  {tasks[0].label} {name} {init}: {chosen}, out of range {fmt(rows[-1][4])}", file=sys.stderr)
    if args.plot:
        plot(tasks[0], ests[0], best_models, args.plot)
    wall = time.perf_counter() - t_start
    print(f"\n### {tasks[0].label}: train on [-R, R], test on [R, 4R] ({args.seeds} seeds, {args.steps} steps "
          f"per run, width {args.hidden}, depth {args.depth}; {wall:.0f} s in all)\n")
    print("| model | init | chosen on seed 0's validation split | nMSE in range (validation) median [min, max] "
          "| nMSE out of range (test) median [min, max] | wall s per run |")
    print("|---|---|---|---|---|---|")
    for name, init, chosen, inr, out, w in rows:
        print(f"| {name} | {init} | {chosen} | {fmt(inr)} | {fmt(out)} | {w:.1f} |")
    sys.stdout.flush()


def plot(task, est, models, path_prefix):
    """Seed 0: the clean truth, the training record, the harmonic regression and each family's
    best init (lowest out-of-range error), over [-R, 4R]."""
    from sigfit.plot import pyplot, save_figure

    plt = pyplot()
    x, y = task.record()
    xt, yt = task.heldout()
    grid = np.concatenate([np.sort(x), xt])
    fig, ax = plt.subplots(figsize=(10, 5))
    hourly = task.label.startswith("hourly")
    scale = 86400.0 if hourly else 1.0
    unit = "days from T0" if hourly else "x"
    centre = task.input_offset if hourly else 0.0
    ax.plot((x - centre) / scale, y, ".", ms=1.5, color="0.6", label="training record (noisy)")
    ax.plot((xt - centre) / scale, yt, color="k", lw=1.2, label="truth, test range")
    harm = HarmonicRegression(task, est)

    def pred(m):
        with torch.no_grad():
            return m(torch.as_tensor(grid, dtype=torch.float64)).reshape(-1).double().numpy()

    ax.plot((grid - centre) / scale, pred(harm), color="C3", lw=1.0, label="harmonic regression")
    by_family = {}
    for (name, init), m in models.items():
        e = nmse(task, m, "heldout")
        if name not in by_family or e < by_family[name][0]:
            by_family[name] = (e, init, m)
    for i, (name, (e, init, m)) in enumerate(sorted(by_family.items(), key=lambda kv: kv[1][0])[:4]):
        ax.plot((grid - centre) / scale, pred(m), lw=0.7, color=f"C{i}" if i < 3 else "C4",
                label=f"{name} {init} (test nMSE {e:.2g})")
    lo, hi = np.percentile(yt, [0.5, 99.5])
    pad = 0.5 * (hi - lo)
    ax.set_ylim(min(lo, y.min()) - pad, max(hi, y.max()) + pad)
    ax.axvline((task.t.max() - centre) / scale, color="k", ls=":", lw=0.8)
    ax.set_xlabel(unit)
    ax.set_title(f"{task.label}: trained on [-R, R], tested on [R, 4R] (seed 0; the four families with the "
                 "lowest test error)", fontsize=9)
    ax.legend(fontsize=7, loc="upper left", ncol=2)
    path = f"{path_prefix}-{task.label}.png"
    save_figure(fig, path)
    plt.close(fig)
    print(f"figure written to {path}", file=sys.stderr)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--seeds", type=int, default=5)
    p.add_argument("--steps", type=int, default=600)
    p.add_argument("--hidden", type=int, default=32)
    p.add_argument("--depth", type=int, default=2)
    p.add_argument("--features", type=int, default=16)
    p.add_argument("--models", default=",".join(FAMILIES))
    p.add_argument("--tasks", default="mixture,hourly,hourly-flat")
    p.add_argument("--plot", default=None, help="write PLOT-mixture.png and PLOT-hourly.png (seed 0)")
    args = p.parse_args(argv)
    args.models = tuple(m for m in args.models.split(",") if m)
    torch.set_num_threads(1)
    for name in args.tasks.split(","):
        run({"mixture": mixture, "hourly": hourly, "hourly-flat": hourly_flat}[name], args)


if __name__ == "__main__":
    main()
