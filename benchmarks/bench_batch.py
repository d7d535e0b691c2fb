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
2. sigfit loop: ``sigfit.estimate(t, y, fmax=5, harmonics=1)`` one series after another, no
   Dask (``harmonics=1``: a pure sinusoid, the model astropy fits; ``--harmonics auto`` measures
   sigfit's default, which also identifies the fundamental and its harmonics by BIC);
3. ``estimate_many`` on a LocalCluster (loopback, processes) with 1 and with 2 single-threaded
   workers; cluster start-up is timed apart, a warm-up batch runs first;
4. per-task overhead: round trip of ``--tasks`` empty tasks on the 1-worker cluster, and the
   pickled size of one chunk (what the client ships to a worker per task);
5. idle upkeep: CPU the 2-worker cluster's processes (client with its in-process scheduler,
   workers) use over ``--idle`` seconds of doing nothing.

Accuracy is reported too: the fraction of series whose answer lies within ``1/(2*span)`` of the
true frequency (the main lobe), so that speed is not bought with wrong answers.

``--defaults`` (issue 18) measures everyone at their defaults instead: the astropy loop is
``LombScargle(t, y).autopower()`` + argmax + ``false_alarm_probability`` + ``model_parameters``,
and sigfit is ``sigfit.estimate(t, y)`` / ``estimate_many(series)`` with no option (its automatic
band, nested to the close-pair scale, and ``harmonics="auto"``); no shared grid.

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
    from sigfit.plan import plan_search

    plan = plan_search(validate_series(t, y), "lombscargle", fmin=None, fmax=FMAX,
                       oversampling=OVERSAMPLING)
    return plan.grid.frequency()


DEFAULTS = False  # set from --defaults: everyone at their own defaults (issue 18)


def astropy_loop(series, grids):
    from astropy.timeseries import LombScargle

    found = {}
    if DEFAULTS:
        for sid, t, y in series:
            ls = LombScargle(t, y)
            freq, power = ls.autopower()
            i = int(np.argmax(power))
            ls.false_alarm_probability(power[i])
            ls.model_parameters(freq[i])
            found[sid] = float(freq[i])
        return found
    for (sid, t, y), freq in zip(series, grids, strict=True):
        ls = LombScargle(t, y)
        power = ls.power(freq, method="fast", assume_regular_frequency=True)
        i = int(np.argmax(power))
        ls.false_alarm_probability(power[i], method="baluev", minimum_frequency=freq[0],
                                   maximum_frequency=freq[-1])
        found[sid] = float(freq[i])
    return found


HARMONICS: int | str = 1  # set from --harmonics


def sigfit_loop(series):
    import sigfit

    kw = {} if DEFAULTS else dict(fmax=FMAX, harmonics=HARMONICS)
    return {sid: sigfit.estimate(t, y, **kw).components[0].frequency for sid, t, y in series}


def dask_run(series, client, chunk_size=None):
    import sigfit

    found = {}
    kw = {} if DEFAULTS else dict(fmax=FMAX, harmonics=HARMONICS)
    for row in sigfit.estimate_many(series, **kw, client=client, progress=False,
                                    chunk_size=chunk_size):
        if row["error"]:
            raise RuntimeError(f"{row['series']}: {row['error']}")
        found[row["series"]] = row["frequency"]
    return found


def _rusage_seconds():
    import resource

    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def cpu_seconds(client=None):
    """CPU seconds used so far by this process, or by all workers of ``client``."""
    if client is None:
        return time.process_time()
    return sum(client.run(_rusage_seconds).values())


def measure(fn, client=None):
    """(wall seconds, CPU seconds, result) of ``fn()``; CPU is the workers' for Dask runs."""
    c0, t0 = cpu_seconds(client), time.perf_counter()
    out = fn()
    wall = time.perf_counter() - t0
    return wall, cpu_seconds(client) - c0, out


def hit_rate(found, truth):
    tol = 0.5 / SPAN
    return np.mean([abs(found[k] - truth[k]) < tol for k in truth])


def start_cluster(n_workers):
    """The LocalCluster estimate_many itself would start (sigfit.batch.local_cluster)."""
    import dask
    from distributed import Client

    from sigfit.batch import local_cluster, own_cluster_config

    t0 = time.perf_counter()
    cluster = local_cluster(n_workers)
    with dask.config.set(own_cluster_config()):
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


def idle_upkeep(client, seconds):
    """Cores used by this process (client and the LocalCluster's scheduler) and the workers of
    ``client`` while nothing is submitted: (client, workers)."""
    p0, w0 = time.process_time(), cpu_seconds(client)
    t0 = time.perf_counter()
    time.sleep(seconds)
    dt = time.perf_counter() - t0
    return (time.process_time() - p0) / dt, (cpu_seconds(client) - w0) / dt


def _noop(x):
    return x


def chunk_bytes(series, chunk_size):
    from sigfit import batch

    items = (batch.SeriesItem(*s) for s in series[: chunk_size * 4])
    chunk, _ = next(batch._chunks(items, chunk_size, window=chunk_size * 4))
    return len(pickle.dumps(chunk, protocol=5))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--series", type=int, default=10_000)
    ap.add_argument("--samples", type=int, default=1_000)
    ap.add_argument("--block", type=int, default=2_000,
                    help="series per block; methods take turns block by block")
    ap.add_argument("--sampling", choices=["own", "shared", "both"], default="both")
    ap.add_argument("--tasks", type=int, default=500, help="empty tasks for the overhead")
    ap.add_argument("--idle", type=float, default=5.0,
                    help="seconds of doing nothing over which the idle upkeep is measured (0: skip)")
    ap.add_argument("--harmonics", default="1",
                    help="sigfit's harmonics option: 1 (a pure sinusoid, the model astropy fits; "
                    "default here) or auto (sigfit's default: fundamental and harmonics by BIC)")
    ap.add_argument("--defaults", action="store_true",
                    help="everyone at their defaults (issue 18): astropy autopower + FAP + "
                    "model_parameters, sigfit with no option")
    args = ap.parse_args(argv)
    global HARMONICS, DEFAULTS
    DEFAULTS = args.defaults
    HARMONICS = "auto" if args.harmonics == "auto" else int(args.harmonics)
    warnings.simplefilter("ignore")
    log = lambda *a: print(*a, file=sys.stderr, flush=True)  # noqa: E731

    samplings = ["own", "shared"] if args.sampling == "both" else [args.sampling]
    load0 = os.getloadavg()
    c1, client1, start1 = start_cluster(1)
    c2, client2, start2 = start_cluster(2)
    log(f"clusters up: 1 worker {start1:.2f} s, 2 workers {start2:.2f} s")
    overhead = task_overhead(client1, args.tasks)
    idle = idle_upkeep(client2, args.idle) if args.idle > 0 else None
    methods = ("astropy", "loop", "d1", "d2")
    rows = []
    try:
        for sampling in samplings:
            series, truth = make_series(args.series, args.samples, sampling == "shared")
            dask_run(series[:64], client1)  # warm-up: imports on the workers
            dask_run(series[:64], client2)
            wall = dict.fromkeys(methods, 0.0)
            cpu = dict.fromkeys(methods, 0.0)
            found = {m: {} for m in methods}
            blocks = [series[i:i + args.block] for i in range(0, len(series), args.block)]
            for b, block in enumerate(blocks):
                grids = None if DEFAULTS else [sigfit_grid(t, y) for _, t, y in block]
                runs = {
                    "astropy": (lambda blk=block, g=grids: astropy_loop(blk, g), None),
                    "loop": (lambda blk=block: sigfit_loop(blk), None),
                    "d1": (lambda blk=block: dask_run(blk, client1), client1),
                    "d2": (lambda blk=block: dask_run(blk, client2), client2),
                }
                # methods take turns, in a rotating order: load from other users hits them alike
                for m in methods[b % 4:] + methods[: b % 4]:
                    w, c, f = measure(*runs[m])
                    wall[m] += w
                    cpu[m] += c
                    found[m].update(f)
                log(f"[{sampling}] block {b + 1}/{len(blocks)}: "
                    + ", ".join(f"{m} {len(found[m]) / wall[m]:.0f}/s" for m in methods))
            n = len(series)
            rows.append(dict(
                sampling=sampling, n=n,
                grid="defaults" if DEFAULTS else f"{sigfit_grid(*series[0][1:]).size:,}",
                rate={m: n / wall[m] for m in methods},
                cpu_rate={m: n / cpu[m] for m in methods},
                share={m: cpu[m] / wall[m] for m in methods},
                hit={m: hit_rate(found[m], truth) for m in methods},
                same=max(abs(found["d1"][k] - found["d2"][k]) for k in truth),
                dev=max(abs(found["d1"][k] - found["loop"][k]) / found["loop"][k] for k in truth),
            ))
        size = chunk_bytes(series, 256)
    finally:
        client1.close(), c1.close(), client2.close(), c2.close()
    load1 = os.getloadavg()

    print(f"`python benchmarks/bench_batch.py {' '.join(argv or sys.argv[1:])}`".replace(" `", "`"))
    print(f"\n{os.cpu_count()} cores; load average {load0[0]:.1f} at the start, {load1[0]:.1f} at "
          "the end. Series per second of wall time (per CPU-second in brackets: the work, "
          "whatever share of the cores the run got).\n")
    print("| sampling | series | grid | astropy loop | sigfit loop | Dask 1 worker | Dask 2 workers "
          "| 2 / 1 workers | Dask 2 / astropy | Dask 1 / astropy |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        cells = " | ".join(f"{r['rate'][m]:.3g} ({r['cpu_rate'][m]:.3g})" for m in methods)
        print(f"| {r['sampling']} | {r['n']:,} | {r['grid']} | {cells} "
              f"| {r['rate']['d2'] / r['rate']['d1']:.2f} "
              f"| {r['rate']['d2'] / r['rate']['astropy']:.2f} "
              f"| {r['rate']['d1'] / r['rate']['astropy']:.2f} |")
    print()
    for r in rows:
        print(f"- {r['sampling']}: CPU share (CPU-seconds per wall second) "
              + ", ".join(f"{m} {r['share'][m]:.2f}" for m in methods)
              + "; on the true peak " + ", ".join(f"{m} {r['hit'][m]:.4f}" for m in methods))
    print(f"- per-task overhead (empty task, 1 worker, {args.tasks} at once): "
          f"{overhead * 1e3:.2f} ms")
    if idle is not None:
        print(f"- idle upkeep of the 2-worker cluster over {args.idle:g} s: client and scheduler "
              f"{idle[0]:.3f} core, workers {idle[1]:.3f} core")
    print(f"- one chunk of 256 series x {args.samples} samples pickles to {size / 1e6:.2f} MB "
          f"({samplings[-1]} time stamps)")
    print(f"- LocalCluster start-up: {start1:.2f} s (1 worker), {start2:.2f} s (2 workers)")
    print(f"- Dask with 1 and 2 workers agree exactly (max difference "
          f"{max(r['same'] for r in rows):.1e}); Dask vs the plain sigfit loop: max relative "
          f"frequency difference {max(r['dev'] for r in rows):.1e}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
