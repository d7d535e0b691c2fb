"""Run every benchmark with the command recorded in ``benchmarks/RESULTS.md``, one after another.

``make bench`` calls this. Each benchmark prints its own Markdown tables to stdout (progress bars
go to stderr); paste them into RESULTS.md when they change. The whole set takes roughly an hour
on 2 cores (most of it the baselines' 120-second clock runs and learning-rate sweeps);
``--only`` picks some of them.

Run: ``python benchmarks/run_all.py [--only estimate clock batch batch-defaults stream one-core
baselines realdata]``
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent

# name -> arguments, as recorded in RESULTS.md
BENCHMARKS = {
    "estimate": ["bench_estimate.py", "--detect-trials", "200", "--trials", "200"],
    "clock": ["bench_clock.py"],
    "batch": ["bench_batch.py"],
    "batch-defaults": ["bench_batch.py", "--defaults", "--series", "60", "--block", "30",
                       "--sampling", "own"],
    "stream": ["bench_stream.py", "--sizes", "1000", "10000"],
    "one-core": ["bench_one_core.py"],
    "baselines": ["bench_baselines.py", "--sweep-budget", "20", "--budget", "120"],
    "realdata": ["bench_realdata.py"],
}


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--only", nargs="+", choices=sorted(BENCHMARKS), default=list(BENCHMARKS))
    a = p.parse_args(argv)
    failed = []
    for name in a.only:
        script, *args = BENCHMARKS[name]
        print(f"\n## {name}: `python benchmarks/{script} {' '.join(args)}`\n", flush=True)
        t0 = time.perf_counter()
        rc = subprocess.call([sys.executable, str(HERE / script), *args])
        print(f"\n({name}: exit {rc}, {time.perf_counter() - t0:.0f} s)", flush=True)
        if rc:
            failed.append(name)
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
