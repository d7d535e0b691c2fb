"""The sweep of a ``sigfit compare ... --sweep`` run as a Markdown table (issue #17).

One row per (model, init): the candidates (lr x the bandwidth grid), the validation score of the
best and the worst candidate (median over seeds), the chosen lr and bandwidth per seed, and the
held-out result of the chosen run (median over seeds, with the min and max). The validation split is its own draw;
the held-out set is never used to choose.

Run: ``python benchmarks/sweep_table.py DIR/results.json``.
"""

from __future__ import annotations

import json
import sys

import numpy as np


def num(v):
    return str(int(v)) if float(v).is_integer() and abs(v) < 1e10 else f"{v:g}"


def fmt(v, clock):
    if v is None:
        return "-"
    return f"{100 * v:.3f}%" if clock else f"{v:.3g}"


def main(path):
    d = json.load(open(path))
    clock = d["config"]["task"] == "clock"
    groups = {}
    for r in d["runs"]:
        if r["init"] in ("fit", "replace"):
            continue
        groups.setdefault((r["model"], r["init"]), []).append(r)
    what = "validation accuracy (all digits)" if clock else "validation MSE"
    c = d["config"]
    print(f"\n`sigfit compare {c['task']} --sweep --models {','.join(c['models'])} --seeds {c['seeds']} "
          f"--steps {c['steps']} --hidden {c['hidden']} --features {c['n_features']} "
          f"--eval-size {d['task']['eval_size']}`\n")
    print(f"| model | init | candidates | {what}: best / worst candidate (median over seeds) | chosen per seed "
          f"| held-out {'final accuracy' if clock else 'final MSE'} of the chosen: median [min, max] |")
    print("|---|---|---|---|---|---|")
    for (model, init), rs in groups.items():
        sw = rs[0].get("swept") or [{"lr": rs[0]["lr"]}]
        keys = [k for k in sw[0] if k not in ("lr", "validation_key")]
        grid = "lr x {0.1, 1, 10}" + (f" x {keys[0]} {{{', '.join(num(v) for v in sorted({s[keys[0]] for s in sw}))}}}"
                           if keys and len({s[keys[0]] for s in sw}) > 1 else "")
        best, worst = [], []
        for r in rs:
            vk = [s["validation_key"] for s in r.get("swept", []) if "validation_key" in s]
            if not vk:
                continue
            # a diverged candidate's key is (inf, inf), stored as null: never best
            vals = [(0.0 if k[0] is None else -k[0]) if clock else (np.inf if k[1] is None else k[1])
                    for k in vk]
            vals = [v for v in vals if v is not None and np.isfinite(v)] or [np.inf]
            best.append(max(vals) if clock else min(vals))
            worst.append(min(vals) if clock else max(vals))
        rng = (f"{fmt(float(np.median(best)), clock)} / {fmt(float(np.median(worst)), clock)}"
               if best else "-")
        chosen = "; ".join(f"lr {r['lr']:.2g}" + "".join(f", {k} {num(v)}" for k, v in (r.get("bandwidth") or {}).items()
                                                      if init == "random") for r in rs)
        held = [(r.get("accuracy") or {}).get("all") if clock else r["final_loss"] for r in rs]
        held = [h for h in held if h is not None]
        spread = (f"{fmt(float(np.median(held)), clock)} [{fmt(float(np.min(held)), clock)}, "
                  f"{fmt(float(np.max(held)), clock)}]") if held else fmt(None, clock)
        print(f"| {model} | {init} | {grid} | {rng} | {chosen} | {spread} |")


if __name__ == "__main__":
    main(sys.argv[1])
