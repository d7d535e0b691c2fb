"""Torch baselines (issue #3): the seed's failures reproduced at length, with swept learning rates.

1. Sin from random init on the seed's sine (omega 31, R 1000, batch 32): the seed's SGD lr 1e-4,
   then a sweep over 4 decades around the SGD stability limit and an Adam sweep, ``--seeds``
   seeds each: held-out MSE after ``--sine-steps`` steps.
2. The stability limit: Sin started inside the basin (freq = 31 + 0.2 * 4.49/R), float64, SGD at
   multiples of ``stable_lr(R, batch=32)``: how many seeds converge (MSE < 1e-12).
3. The basin half-width measured on one batch of 100,000 for R = 10 ... 10,000, times R.
4. The clock (120 years, 100,000 held-out instants): GELU, SIREN, Snake and Fourier-feature MLPs
   (width 128, 3 hidden layers, batch 256, Adam), each swept over ``--lrs`` for
   ``--sweep-budget`` seconds per lr (float32, best by held-out cross-entropy: at chance the
   exact h:m:s accuracy counts one or two hits in 100,000 and would pick by noise), then run
   at the best lr for ``--budget`` seconds in each of ``--dtypes``: per-digit accuracy vs chance.

Run: ``python benchmarks/bench_baselines.py`` (prints Markdown; defaults are the issue's: about
2 minutes of CPU per clock model, ~25 minutes in all). torch uses one thread.
"""

from __future__ import annotations

import argparse
import math
import statistics
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import torch  # noqa: E402

import sigfit.baselines as bl  # noqa: E402

OMEGA, R = 31.0, 1000.0  # the seed's task


def sin_runs(task, optimizer, lr, seeds, steps):
    out = []
    for s in seeds:
        model = bl.build_model(bl.ModelConfig("sin", seed=s), task)
        cfg = bl.TrainerConfig(optimizer=optimizer, lr=lr, batch=32, steps=steps, seed=s,
                               eval_every=0, progress=False)
        r = bl.Trainer(model, task, cfg).run()
        out.append((r.final_loss if r.final_loss is not None else math.nan, model.freq.item()))
    return out


def part_sine(args):
    task = bl.SineTask(omega=OMEGA, range_=R, eval_size=10_000)
    seeds = range(args.seeds)
    limit = bl.stable_lr(R, batch=32)
    rows = [("sgd", 1e-4, "the seed's lr")]
    rows += [("sgd", lr, f"{lr / limit:.3g} x limit") for lr in bl.lr_grid(limit, decades=(-3, 1), per_decade=1)]
    rows += [("adam", lr, "") for lr in (1e-4, 1e-3, 1e-2, 1e-1)]
    print(f"\n### Sin from random init (omega {OMEGA:g}, R {R:g}, batch 32, {args.sine_steps:,} steps, "
          f"{args.seeds} seeds; SGD stability limit {limit:.3g})\n")
    print("| optimizer | lr | note | held-out MSE median | min | max | seeds with MSE < 1e-3 | median abs(freq - 31) |")
    print("|---|---|---|---|---|---|---|---|")
    for opt, lr, note in rows:
        res = sin_runs(task, opt, lr, seeds, args.sine_steps)
        losses = [v for v, _ in res]
        dist = [abs(f - OMEGA) for _, f in res]
        hits = sum(v < 1e-3 for v in losses)
        print(f"| {opt} | {lr:.3g} | {note} | {statistics.median(losses):.4f} | {min(losses):.4f} | "
              f"{max(losses):.4f} | {hits}/{len(losses)} | {statistics.median(dist):.3g} |", flush=True)


def part_stability(args):
    task = bl.SineTask(omega=OMEGA, range_=R, eval_size=10_000)
    limit = bl.stable_lr(R, batch=32)
    start = OMEGA + 0.2 * bl.basin_half_width(R)
    print(f"\n### Stability: Sin started in the basin (freq = 31 + 0.2 * 4.49/R), float64, SGD batch 32, "
          f"2,000 steps, {args.seeds} seeds\n")
    print("| lr / stable_lr(R, batch=32) | lr | converged (MSE < 1e-12) | median final MSE |")
    print("|---|---|---|---|")
    for mult in (0.25, 0.5, 0.9, 1.1, 1.25, 1.5, 2.0, 1e-4 / limit):
        lr = mult * limit
        losses = []
        for s in range(args.seeds):
            model = bl.build_model(bl.ModelConfig("sin", dtype="float64", seed=s), task).set(freq=start)
            cfg = bl.TrainerConfig(optimizer="sgd", lr=lr, batch=32, steps=2000, seed=s, eval_every=0,
                                   progress=False)
            r = bl.Trainer(model, task, cfg).run()
            losses.append(r.final_loss if r.final_loss is not None else math.inf)
        ok = sum(v < 1e-12 for v in losses)
        print(f"| {mult:.3g} | {lr:.3g} | {ok}/{len(losses)} | {statistics.median(losses):.3g} |", flush=True)


def part_basin(args):
    print("\n### Basin half-width (first sign change of d loss/d freq, one batch of 100,000)\n")
    print("| R | measured half-width | x R | theory 4.4934/R |")
    print("|---|---|---|---|")
    for rr in (10.0, 100.0, 1000.0, 10000.0):
        res = bl.sin_landscape(OMEGA, rr, batch=100_000, points=3, zoom_points=801, zoom=8.0)
        print(f"| {rr:g} | {res.half_width:.5g} | {res.half_width * rr:.4f} | {bl.basin_half_width(rr):.5g} |",
              flush=True)


def part_clock(args):
    task = bl.ClockTask(years=120.0, eval_size=100_000)
    chance = task.chance
    results = {}
    print(f"\n### Clock, 120 years, 100,000 held-out instants; Adam, batch 256, width 128 x 3; "
          f"sweep {args.sweep_budget:g} s per lr over {args.lrs}, then {args.budget:g} s at the best\n")
    sweep_lines = []
    for name in args.models:
        def make(name=name):
            return bl.build_model(bl.ModelConfig(name, dtype="float32", seed=0), task)

        cfg = bl.TrainerConfig(optimizer="adam", batch=256, steps=None, budget=args.sweep_budget, seed=0,
                               eval_every=0, progress=False)
        sweep = bl.sweep_lr(make, task, cfg, args.lrs, criterion="final_loss")
        sweep_lines.append(
            f"| {name} | " + " | ".join(
                f"{r.final_loss:.4f} ({r.accuracy['hours']:.3f}/{r.accuracy['minutes']:.3f}/"
                f"{r.accuracy['seconds']:.3f})"
                if r.accuracy and r.status != "diverged" else r.status for r in sweep.results)
            + f" | {sweep.best_lr:g}{' (edge)' if sweep.at_edge else ''} |")
        for dtype in args.dtypes:
            model = bl.build_model(bl.ModelConfig(name, dtype=dtype, seed=0), task)
            cfg = bl.TrainerConfig(optimizer="adam", lr=sweep.best_lr, batch=256, steps=None,
                                   budget=args.budget, seed=0, eval_every=0, progress=False)
            r = bl.Trainer(model, task, cfg).run()
            results[(name, dtype)] = (sweep.best_lr, r)
            print(f"  {name} {dtype}: lr {sweep.best_lr:g}, {r.steps} steps, {r.accuracy}", file=sys.stderr,
                  flush=True)
    print("Sweep (float32; held-out loss (hours/minutes/seconds accuracy) after the sweep budget):\n")
    print("| model | " + " | ".join(f"lr {lr:g}" for lr in args.lrs) + " | best |")
    print("|---|" + "---|" * (len(args.lrs) + 1))
    print("\n".join(sweep_lines))
    print("\nBest lr, full budget:\n")
    print("| model | dtype | lr | steps | held-out loss | hours | minutes | seconds | all |")
    print("|---|---|---|---|---|---|---|---|---|")
    print(f"| chance | | | | {np.mean([math.log(b) for b in task.bases]):.4f} | {100 * chance['hours']:.2f}% | "
          f"{100 * chance['minutes']:.2f}% | {100 * chance['seconds']:.2f}% | {100 * chance['all']:.4f}% |")
    for (name, dtype), (lr, r) in results.items():
        a = r.accuracy
        print(f"| {name} | {dtype} | {lr:g} | {r.steps:,} | {r.final_loss:.4f} | {100 * a['hours']:.2f}% | "
              f"{100 * a['minutes']:.2f}% | {100 * a['seconds']:.2f}% | {100 * a['all']:.4f}% |")
    return {f"{k[0]}/{k[1]}": {"lr": v[0], **v[1].to_dict()} for k, v in results.items()}


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--parts", default="sine,stability,basin,clock")
    p.add_argument("--seeds", type=int, default=10)
    p.add_argument("--sine-steps", type=int, default=10_000)
    p.add_argument("--budget", type=float, default=120.0, help="seconds per clock model and dtype")
    p.add_argument("--sweep-budget", type=float, default=30.0, help="seconds per lr in the clock sweep")
    p.add_argument("--lrs", type=lambda s: [float(v) for v in s.split(",")], default=[1e-4, 1e-3, 1e-2])
    p.add_argument("--models", type=lambda s: s.split(","), default=["gelu", "siren", "snake", "fourier"])
    p.add_argument("--dtypes", type=lambda s: s.split(","), default=["float32", "float64"])
    p.add_argument("--json-out", help="also write the clock runs as JSON here")
    args = p.parse_args(argv)
    torch.set_num_threads(1)  # a fair neighbour on a shared machine; every run gets the same
    parts = args.parts.split(",")
    t0 = time.perf_counter()
    print(f"torch {torch.__version__}, 1 thread; command: python benchmarks/bench_baselines.py "
          + " ".join(sys.argv[1:]))
    if "sine" in parts:
        part_sine(args)
    if "stability" in parts:
        part_stability(args)
    if "basin" in parts:
        part_basin(args)
    if "clock" in parts:
        runs = part_clock(args)
        if args.json_out:
            bl.write_json_atomic(args.json_out, runs)
    print(f"\n(total {time.perf_counter() - t0:.0f} s)")


if __name__ == "__main__":
    main()
