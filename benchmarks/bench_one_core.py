"""One core, one series after another: ``sigfit.estimate(t, y)`` at its defaults on
``bench_batch.py``'s series (1000 irregular samples each, times uniform on [0, 100]), series per
CPU-second, for two checkouts alternated in fresh processes.

This is the per-worker cost of ``estimate_many`` with no Dask around it, and the steadier
measure on a machine whose speed drifts: each round runs every checkout once, one after the
other, so a drift hits them alike. ``--against REV`` times a second checkout of the repository
(``git worktree add`` into a temporary folder, removed afterwards) beside this one.

Run: ``python benchmarks/bench_one_core.py --against b2f52fa`` (prints a Markdown table; about
2 minutes on 2 cores with the defaults).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# the child: one checkout's sigfit on the series, inside single_threaded (a Dask worker's one core)
CHILD = """
import sys, time, warnings
warnings.simplefilter("ignore")
sys.path.insert(0, sys.argv[1])
sys.path.insert(1, sys.argv[2])
from bench_batch import make_series
import sigfit
from sigfit._numerics import single_threaded
series, _ = make_series(int(sys.argv[3]), 1000, sys.argv[4] == "shared", seed=1)
with single_threaded():
    sigfit.estimate(*series[0][1:])
    start = time.process_time()
    for _, t, y in series:
        sigfit.estimate(t, y)
    print(len(series) / (time.process_time() - start))
"""


def run_child(checkout: Path, n_series: int, stamps: str) -> float:
    env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1")
    out = subprocess.run([sys.executable, "-c", CHILD, str(checkout), str(ROOT / "benchmarks"),
                          str(n_series), stamps], capture_output=True, text=True, check=True,
                         env=env)
    return float(out.stdout.split()[-1])


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--against", help="a git revision timed beside this checkout")
    p.add_argument("--series", type=int, default=24)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--stamps", nargs="+", choices=["own", "shared"], default=["own", "shared"])
    a = p.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        checkouts = {"this checkout": ROOT}
        if a.against:
            other = Path(tmp) / "against"
            subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "-q", "--detach", str(other),
                            a.against], check=True)
            checkouts = {a.against: other, **checkouts}
        try:
            print(f"`python benchmarks/bench_one_core.py{' --against ' + a.against if a.against else ''}`"
                  f" ({a.series} series, {a.rounds} rounds): series per CPU-second\n")
            print("| stamps | " + " | ".join(checkouts) + " |")
            print("|---|" + "---|" * len(checkouts))
            for stamps in a.stamps:
                got = {name: [] for name in checkouts}
                for _ in range(a.rounds):
                    for name, path in checkouts.items():
                        got[name].append(run_child(path, a.series, stamps))
                cells = [", ".join(f"{v:.2f}" for v in got[name]) for name in checkouts]
                print(f"| {stamps} | " + " | ".join(cells) + " |")
        finally:
            if a.against:
                subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force",
                                str(Path(tmp) / "against")], check=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
