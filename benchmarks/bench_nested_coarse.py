"""Would a coarse grid in the upper nested bands keep every answer? (issue 18, the lever studied)

A default ``sigfit.estimate`` on random stamps evaluates its whole band, nested from the mean
Nyquist frequency up to the close-pair scale, at oversampling 5, although each nested band above
the first contributes one number to the answer: its highest power (:func:`sigfit._peaks.nested_peak`).
The lever: the first band (fmin to the mean Nyquist) at full resolution, the bands above it at
one grid point in ``--stride`` (oversampling 5/stride), then full resolution again only in windows
of +-stride points around the ``--zooms`` highest coarse local maxima of each nested band's new part.

For ``--series`` draws of 1000 irregular stamps on [0, 100] (noise only, and a tone near the
detection threshold), this compares on sigfit's own grid and powers (the full periodogram is
computed once; the coarse grid is its every ``stride``-th point, so the values are identical):

- how often every nested band's highest power, and the nested-band answer (frequency, power,
  band), are exactly those of the full grid;
- the time of nifty-ls on the full grid against the coarse grid plus the zoom windows (one
  nifty-ls call each), side by side in one run.

Run: ``python benchmarks/bench_nested_coarse.py --series 40`` (about a minute on 2 loaded cores).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def draws(n_series, n, seed=0):
    rng = np.random.default_rng(seed)
    for k in range(n_series):
        t = np.sort(rng.uniform(0.0, 100.0, n))
        y = rng.normal(0.0, 1.0, n)
        if k % 2:  # a tone near the threshold: amplitude 0.25 in unit noise at N = 1000
            y = y + 0.25 * np.sin(2 * np.pi * rng.uniform(0.05, 400.0) * t + rng.uniform(0, 6.3))
        yield ("tone" if k % 2 else "noise"), t, y


def coarse_power(power, ends, stride, zooms):
    """The full grid's power where the lever evaluates it (NaN elsewhere): all of the first band
    ``[0, ends[0])``, every stride-th point above, and +-stride points around the ``zooms``
    highest coarse maxima of each nested band's new part ``[ends[k-1], ends[k])``."""
    i0 = ends[0]
    out = np.full(power.shape, np.nan)
    out[:i0] = power[:i0]
    idx = np.arange(i0, power.size, stride)
    c = power[idx]
    out[idx] = c
    inner = np.flatnonzero((c[1:-1] >= c[:-2]) & (c[1:-1] >= c[2:])) + 1
    n_zoom = 0
    for lo, hi in zip(ends[:-1], ends[1:], strict=True):
        part = inner[(idx[inner] >= lo) & (idx[inner] < hi)]
        top = part[np.argsort(c[part])[::-1][:zooms]]
        n_zoom += len(top)
        for j in idx[top]:
            out[max(i0, j - stride):j + stride + 1] = power[max(i0, j - stride):j + stride + 1]
    return out, idx.size, n_zoom


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--series", type=int, default=40)
    p.add_argument("--samples", type=int, default=1000)
    p.add_argument("--stride", type=int, nargs="+", default=[2, 5])
    p.add_argument("--zooms", type=int, nargs="+", default=[16, 64])
    a = p.parse_args(argv)
    import nifty_ls

    from sigfit._peaks import nested_peak
    from sigfit._validate import validate_series
    from sigfit.periodograms import lombscargle
    from sigfit.plan import plan_search
    from sigfit.significance import effective_baseline

    cases = [(s, z) for s in a.stride for z in a.zooms]
    same_levels = {c: {"noise": 0, "tone": 0} for c in cases}
    same_answer = {c: {"noise": 0, "tone": 0} for c in cases}
    count = {"noise": 0, "tone": 0}
    t_full, t_lever = 0.0, dict.fromkeys(cases, 0.0)
    for kind, t, y in draws(a.series, a.samples):
        s = validate_series(t, y)
        plan = plan_search(s, "auto", fmin=None, fmax=None, oversampling=5)
        g = plan.grid
        power = lombscargle.power(s.tau, s.y - s.y.mean(), None, g)
        freq = g.frequency()
        base = effective_baseline(s.tau, s.weights)
        ends = [int(e) for e in np.searchsorted(freq, np.asarray(plan.levels) * (1 + 1e-12),
                                                side="right")]
        i0 = ends[0]
        ref = nested_peak(freq, power, plan.levels, g.start, s.n, base, 1)
        ref_levels = [float(np.max(power[freq <= x * (1 + 1e-12)])) for x in plan.levels]
        count[kind] += 1
        t0 = time.perf_counter()
        nifty_ls.lombscargle(s.tau, s.y, fmin=g.start, fmax=g.stop, Nf=g.size)
        t_full += time.perf_counter() - t0
        for c in cases:
            stride, zooms = c
            got, n_coarse, n_zoom = coarse_power(power, ends, stride, zooms)
            keep = np.isfinite(got)
            lv = [float(np.max(got[keep & (freq <= x * (1 + 1e-12))])) for x in plan.levels]
            same_levels[c][kind] += lv == ref_levels
            same_answer[c][kind] += nested_peak(freq[keep], got[keep], plan.levels, g.start, s.n,
                                                base, 1) == ref
            t0 = time.perf_counter()  # the lever's own cost: low band, coarse band, windows
            nifty_ls.lombscargle(s.tau, s.y, fmin=g.start, fmax=freq[i0], Nf=i0 + 1)
            nifty_ls.lombscargle(s.tau, s.y, fmin=freq[i0], fmax=freq[i0] + (n_coarse - 1) * stride * g.step,
                                 Nf=n_coarse)
            for _ in range(n_zoom):
                nifty_ls.lombscargle(s.tau, s.y, fmin=freq[i0], fmax=freq[i0] + 2 * stride * g.step,
                                     Nf=2 * stride + 1)
            t_lever[c] += time.perf_counter() - t0
    print(f"`python benchmarks/bench_nested_coarse.py {' '.join(argv or sys.argv[1:])}`".replace(" `", "`"))
    print(f"\n{count['noise']} noise-only and {count['tone']} near-threshold tone draws, "
          f"N = {a.samples}; grid {g.size:,} frequencies, {len(plan.levels)} nested levels.\n")
    print("| stride (oversampling above the first band) | zoom windows | every level's max exact "
          "(noise / tone) | nested answer exact (noise / tone) | nifty-ls time, lever / full grid |")
    print("|---|---|---|---|---|")
    for c in cases:
        print(f"| {c[0]} ({5 / c[0]:g}) | {c[1]} | {same_levels[c]['noise']}/{count['noise']} / "
              f"{same_levels[c]['tone']}/{count['tone']} | {same_answer[c]['noise']}/{count['noise']} / "
              f"{same_answer[c]['tone']}/{count['tone']} | {t_lever[c] / t_full:.2f} |")


if __name__ == "__main__":
    main()
