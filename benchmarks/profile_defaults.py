"""Where a default ``sigfit.estimate(t, y)`` spends its time (issue 18): cProfile of one call.

Data: ``--n`` samples uniform on [0, 100] (sorted, seed 1), ``y = sin(2 pi 0.37 t + 0.3) + N(0, 1)``.
One warm-up call, three timed calls (wall seconds), then one call under cProfile, printed by
cumulative time.

Run: ``python benchmarks/profile_defaults.py --n 1000`` (a few seconds).
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--n", type=int, default=1_000)
    p.add_argument("--lines", type=int, default=40)
    a = p.parse_args(argv)
    import sigfit

    rng = np.random.default_rng(1)
    t = np.sort(rng.uniform(0.0, 100.0, a.n))
    y = np.sin(2 * np.pi * 0.37 * t + 0.3) + rng.normal(0.0, 1.0, a.n)
    r = sigfit.estimate(t, y)
    times = []
    for _ in range(3):
        t0 = time.perf_counter()
        r = sigfit.estimate(t, y)
        times.append(time.perf_counter() - t0)
    print(f"N = {a.n}: wall {sorted(times)} s; {r.periodogram.frequency.size:,} frequencies "
          f"({r.periodogram.method}); levels {r.band.levels}")
    prof = cProfile.Profile()
    prof.enable()
    sigfit.estimate(t, y)
    prof.disable()
    pstats.Stats(prof).sort_stats("cumulative").print_stats(a.lines)


if __name__ == "__main__":
    main()
