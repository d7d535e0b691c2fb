"""Streaming many series through ``sigfit.estimate_many``: per-series cost and peak memory from
1e3 to 1e5 (or more) series (issue 18).

Each size runs in a fresh Python process (so that its peak RSS is its own): a generator yields
``--samples`` irregular samples per series (times uniform on [0, 100], one tone in unit noise,
seeded per series), nothing is held by the caller, and ``estimate_many`` writes the rows to a CSV
file as chunks complete, on a LocalCluster of ``--workers`` single-threaded workers. Reported:
series per second of wall time, microseconds per series, the peak resident memory of the client
process and of the largest worker, the size of the output, and that every series has exactly one
row (none lost, none twice).

The per-series options are ``--options`` (default ``fmax=5 harmonics=1``: the batch machinery
is what is measured, not the estimate; at sigfit's defaults a series of 100 samples costs ~34 ms).

Run: ``python benchmarks/bench_stream.py`` (1e3, 1e4, 1e5 series of 100 samples; ~21 min on
2 cores at the ~90 series/s measured in RESULTS.md, 1e5 alone 19 min). ``--sizes 1000 10000
100000 1000000`` adds 1e6 (~3 h more). Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")


def _series(n_series: int, n_samples: int):
    import numpy as np

    for k in range(n_series):
        rng = np.random.default_rng(k)
        t = np.sort(rng.uniform(0.0, 100.0, n_samples))
        f = rng.uniform(0.2, 4.5)
        yield f"s{k}", t, 1.0 + rng.uniform(0.5, 1.5) * np.sin(2 * np.pi * f * t) + rng.normal(0, 1, n_samples)


def _parse_options(words):
    out = {}
    for w in words:
        key, value = w.split("=", 1)
        try:
            out[key] = json.loads(value)
        except json.JSONDecodeError:
            out[key] = value
    return out


def one_size(n_series: int, n_samples: int, workers: int, options: dict) -> dict:
    """Stream ``n_series`` series through estimate_many in this process; the measurements."""
    import warnings

    import sigfit
    from sigfit.batch import _open_client

    warnings.simplefilter("ignore")
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "rows.csv")
        # the cluster and client estimate_many starts itself (its settings), started apart so
        # that the start-up is not timed
        client, close = _open_client(None, None, workers, True)
        try:
            sigfit.estimate_many(_series(min(50, n_series), n_samples), client=client,
                                 output=os.path.join(tmp, "warm.csv"), progress=False, **options)
            t0 = time.perf_counter()
            sigfit.estimate_many(_series(n_series, n_samples), client=client, output=out,
                                 progress=False, **options)
            wall = time.perf_counter() - t0
            # the client's peak now, before the check below reads every id back (a list and a set
            # of a million ids took ~136 MB, which the 2026-12-04 run counted as the client's)
            client_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
            worker_rss = client.run(lambda: resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
        finally:
            close()
        import csv

        with open(out, newline="") as fh:
            ids = [row["series"] for row in csv.DictReader(fh) if row.get("component", "0") == "0"]
        size = os.path.getsize(out)
    return {
        "series": n_series,
        "wall": wall,
        "client_rss_mb": client_rss / 1024,
        "worker_rss_mb": max(worker_rss.values()) / 1024,
        "rows_ok": len(ids) == n_series and len(set(ids)) == n_series,
        "output_mb": size / 2**20,
    }


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[1_000, 10_000, 100_000])
    ap.add_argument("--samples", type=int, default=100)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--options", nargs="*", default=["fmax=5", "harmonics=1"],
                    help="estimate options as key=value (JSON values)")
    ap.add_argument("--one", type=int, help=argparse.SUPPRESS)  # a child process: one size
    a = ap.parse_args(argv)
    options = _parse_options(a.options)
    if a.one is not None:
        print(json.dumps(one_size(a.one, a.samples, a.workers, options)))
        return
    print(f"### Streaming estimate_many: {a.samples} samples per series, {a.workers} workers, "
          f"options {' '.join(a.options) or '(defaults)'}\n")
    print("| series | wall (s) | series/s | us per series | client peak RSS (MB) | largest worker "
          "peak RSS (MB) | output (MB) | one row per series |")
    print("|---|---|---|---|---|---|---|---|")
    for n in a.sizes:
        print(f"streaming {n} series ...", file=sys.stderr)
        proc = subprocess.run([sys.executable, __file__, "--one", str(n), "--samples", str(a.samples),
                               "--workers", str(a.workers), "--options", *a.options],
                              capture_output=True, text=True, check=True)
        r = json.loads(proc.stdout.strip().splitlines()[-1])
        print(f"| {n:,} | {r['wall']:.1f} | {n / r['wall']:.0f} | {1e6 * r['wall'] / n:.0f} "
              f"| {r['client_rss_mb']:.0f} | {r['worker_rss_mb']:.0f} | {r['output_mb']:.1f} "
              f"| {'yes' if r['rows_ok'] else 'NO'} |", flush=True)


if __name__ == "__main__":
    main()
