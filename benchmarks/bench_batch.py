"""Throughput of ``sigfit.estimate_many`` on Dask beside a plain loop over astropy's LombScargle.

Data: ``--series`` series of ``--samples`` irregular samples each, times uniform on [0, 100]
(sorted), ``y = 1 + A sin(2 pi f t + phi) + N(0, 1)`` with ``A`` in [0.3, 1.5], ``f`` in
[0.05, 4.5] cycles/unit, seeded. Two samplings:

- ``own``: every series has its own time stamps (no batching possible: one NUFFT per series);
- ``shared``: all series share one set of time stamps (one batched NUFFT per chunk group).

Everyone searches the same grid: ``sigfit.estimate``'s grid for ``fmax = 5`` at oversampling 5
(step ``1/(5*span)``, ~2,500 frequencies). Measured in one run, on one machine:

1. astropy loop: ``LombScargle(t, y).power(grid, method="fast")`` + argmax + Baluev false-alarm
   probability, one series after another (the anchor; it gives no refinement, phase or errors);
2. sigfit loop: ``sigfit.estimate(t, y, fmax=5)`` one series after another, no Dask;
3. ``estimate_many`` on a LocalCluster (loopback, processes) with 1 and with 2 single-threaded
   workers; cluster start-up is timed apart, a warm-up batch runs first;
4. per-task overhead: round trip of ``--tasks`` empty tasks on the 1-worker cluster, and the
   pickled size of one chunk (what the client ships to a worker per task).

Accuracy is reported too: the fraction of series whose answer lies within ``1/(2*span)`` of the
true frequency (the main lobe), so that speed is not bought with wrong answers.

Run: ``python benchmarks/bench_batch.py`` (10,000 x 1,000; about 5-10 minutes on 2 loaded cores).
``--series 2000`` measures a subset. Prints a Markdown table on stdout, progress on stderr.
"""

from __future__ import annotations

import argparse
import os
import pickle
import sys
import time
import warnings

# One thread per process for every library, as Dask's nanny sets for its workers: the two plain
# loops then use one core each, like one worker, and nothing oversubscribes the shared cores
# (OpenMP threads spinning against other processes slowed nifty-ls and astropy 10-70x here).
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import numpy as np  # noqa: E402

SPAN, FMAX, OVERSAMPLING = 100.0, 5.0, 5


def make_series(n_series: int, n_samples: int, shared: bool, seed: int = 0):
    rng = np.random.default_rng(seed)
    t0 = np.sort(rng.uniform(0.0, SPAN, n_samples))
    out, truth = [], {}
    for k in range(n_series):
        t = t0 if shared else np.sort(rng.uniform(0.0, SPAN, n_samples))
        f = rng.uniform(0.05, 4.5)
        y = 1.0 + rng.uniform(0.3, 1.5) * np.sin(2 * np.pi * f * t + rng.uniform(-np.pi, np.pi))
        out.append((f"s{k:06d}", t, y + rng.normal(0.0, 1.0, n_samples)))
        truth[f"s{k:06d}"] = f
    return out, truth


def sigfit_grid(t, y):
    """The grid sigfit.estimate searches for this series (fmax = FMAX)."""
    from sigfit._validate import validate_series
    from sigfit.estimate import plan_search

    plan = plan_search(validate_series(t, y), "lombscargle", fmin=None, fmax=FMAX,
                       oversampling=OVERSAMPLING)
    return plan.grid.frequency()


def astropy_loop(series, grids):
    from astropy.timeseries import LombScargle

    found = {}
    t0 = time.perf_counter()
    for (sid, t, y), freq in zip(series, grids, strict=True):
        ls = LombScargle(t, y)
        power = ls.power(freq, method="fast", assume_regular_frequency=True)
        i = int(np.argmax(power))
        ls.false_alarm_probability(power[i], method="baluev", minimum_frequency=freq[0],
                                   maximum_frequency=freq[-1])
        found[sid] = float(freq[i])
    return time.perf_counter() - t0, found


def sigfit_loop(series):
    import sigfit

    found = {}
    t0 = time.perf_counter()
    for sid, t, y in series:
        found[sid] = sigfit.estimate(t, y, fmax=FMAX).components[0].frequency
    return time.perf_counter() - t0, found


def dask_run(series, client, chunk_size=None):
    import sigfit

    found = {}
    t0 = time.perf_counter()
    for row in sigfit.estimate_many(series, fmax=FMAX, client=client, progress=False,
                                    chunk_size=chunk_size):
        if row["error"]:
            raise RuntimeError(f"{row['series']}: {row['error']}")
        found[row["series"]] = row["frequency"]
    return time.perf_counter() - t0, found


def hit_rate(found, truth):
    tol = 0.5 / SPAN
    return np.mean([abs(found[k] - truth[k]) < tol for k in truth])


def start_cluster(n_workers):
    import logging

    from distributed import Client, LocalCluster

    logging.getLogger("distributed").setLevel(logging.ERROR)
    t0 = time.perf_counter()
    cluster = LocalCluster(n_workers=n_workers, threads_per_worker=1, processes=True,
                           host="127.0.0.1", dashboard_address=None)
    client = Client(cluster)
    return cluster, client, time.perf_counter() - t0


def task_overhead(client, n_tasks):
    """Seconds per empty task, submitted all at once and gathered (scheduler + comm round trip)."""
    futs = client.map(_noop, range(20), pure=False)
    client.gather(futs)  # warm
    t0 = time.perf_counter()
    futs = client.map(_noop, range(n_tasks), pure=False)
    client.gather(futs)
    return (time.perf_counter() - t0) / n_tasks


def _noop(x):
    return x


def chunk_bytes(series, chunk_size):
    from sigfit import batch

    items = (batch.Series(*s) for s in series[: chunk_size * 4])
    chunk, _ = next(batch._chunks(items, chunk_size, window=chunk_size * 4))
    return len(pickle.dumps(chunk, protocol=5))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--series", type=int, default=10_000)
    ap.add_argument("--samples", type=int, default=1_000)
    ap.add_argument("--loop-series", type=int, default=None,
                    help="series for the two plain loops (default: all)")
    ap.add_argument("--sampling", choices=["own", "shared", "both"], default="both")
    ap.add_argument("--tasks", type=int, default=500, help="empty tasks for the overhead")
    args = ap.parse_args(argv)
    warnings.simplefilter("ignore")
    log = lambda *a: print(*a, file=sys.stderr, flush=True)  # noqa: E731

    samplings = ["own", "shared"] if args.sampling == "both" else [args.sampling]
    n_loop = args.loop_series or args.series
    c1, client1, start1 = start_cluster(1)
    c2, client2, start2 = start_cluster(2)
    log(f"clusters up: 1 worker {start1:.2f} s, 2 workers {start2:.2f} s")
    overhead = task_overhead(client1, args.tasks)
    rows = []
    try:
        for sampling in samplings:
            series, truth = make_series(args.series, args.samples, sampling == "shared")
            warm = series[:64]
            dask_run(warm, client1)
            dask_run(warm, client2)
            log(f"[{sampling}] astropy loop over {n_loop} series ...")
            grids = [sigfit_grid(t, y) for _, t, y in series[:n_loop]]
            t_astropy, f_astropy = astropy_loop(series[:n_loop], grids)
            log(f"[{sampling}] sigfit loop ...")
            t_loop, f_loop = sigfit_loop(series[:n_loop])
            log(f"[{sampling}] estimate_many, 1 worker ...")
            t_d1, f_d1 = dask_run(series, client1)
            log(f"[{sampling}] estimate_many, 2 workers ...")
            t_d2, f_d2 = dask_run(series, client2)
            sub = {k: truth[k] for k in list(truth)[:n_loop]}
            rows.append(dict(
                sampling=sampling, n=args.series, n_loop=n_loop, grid=grids[0].size,
                astropy=n_loop / t_astropy, loop=n_loop / t_loop,
                d1=args.series / t_d1, d2=args.series / t_d2,
                hit_astropy=hit_rate(f_astropy, sub), hit_loop=hit_rate(f_loop, sub),
                hit_d1=hit_rate(f_d1, truth), hit_d2=hit_rate(f_d2, truth),
                same=max(abs(f_d1[k] - f_d2[k]) for k in truth),
            ))
            log(rows[-1])
        size = chunk_bytes(series, 256)
    finally:
        client1.close(), c1.close(), client2.close(), c2.close()

    print(f"`python benchmarks/bench_batch.py {' '.join(argv or sys.argv[1:])}`".replace(" `", "`"))
    print(f"({os.cpu_count()} cores, load average at the end "
          f"{', '.join(f'{x:.1f}' for x in os.getloadavg())}; throughput in series per second)\n")
    print("| sampling | series (loops) | grid | astropy loop | sigfit loop | Dask 1 worker "
          "| Dask 2 workers | 2 / 1 workers | Dask 2 / astropy | on the true peak "
          "(astropy / sigfit / Dask) |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['sampling']} | {r['n']:,} ({r['n_loop']:,}) | {r['grid']:,} "
              f"| {r['astropy']:.0f} | {r['loop']:.0f} | {r['d1']:.0f} | {r['d2']:.0f} "
              f"| {r['d2'] / r['d1']:.2f} | {r['d2'] / r['astropy']:.2f} "
              f"| {r['hit_astropy']:.3f} / {r['hit_loop']:.3f} / {r['hit_d2']:.3f} |")
    print()
    print(f"- per-task overhead (empty task, 1 worker, {args.tasks} at once): "
          f"{overhead * 1e3:.2f} ms")
    print(f"- one chunk of 256 series x {args.samples} samples pickles to {size / 1e6:.2f} MB "
          f"({'shared' if samplings[-1] == 'shared' else 'own'} time stamps)")
    print(f"- LocalCluster start-up: {start1:.2f} s (1 worker), {start2:.2f} s (2 workers)")
    print(f"- Dask 1 vs 2 workers agree to {max(r['same'] for r in rows):.1e} in frequency")
    return 0


if __name__ == "__main__":
    sys.exit(main())
