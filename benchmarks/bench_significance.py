"""How often sigfit calls noise periodic, and how often it finds a real tone in red noise.

Each case draws ``--draws`` series and runs :func:`sigfit.estimate` with default options (unless
the case says otherwise). "called periodic" is the share of draws with a significant component
(FAP <= 0.01): for noise it should be at most ~1-5%; for a tone, "found" is the share whose
significant component lies within 2% of the true period.

    python benchmarks/bench_significance.py --draws 100

Red noise: AR(1) with unit innovations; irregular samples: an Ornstein-Uhlenbeck process at
uniform random times over [0, N) with the same coefficient per unit of time.
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np

import sigfit


def ar1(rng, n: int, a: float) -> np.ndarray:
    """AR(1) with coefficient ``a`` and unit innovations, started from its stationary law."""
    from scipy.signal import lfilter

    e = rng.normal(size=n)
    e[0] /= np.sqrt(max(1.0 - a * a, 1e-12))
    return lfilter([1.0], [1.0, -a], e)


def ou(rng, t: np.ndarray, a: float) -> np.ndarray:
    """Ornstein-Uhlenbeck at sorted times ``t`` with correlation ``a`` per unit of time and the
    stationary variance of AR(1) ``a`` with unit innovations."""
    sd = 1.0 / np.sqrt(max(1.0 - a * a, 1e-12))
    if a <= 0:
        return rng.normal(scale=sd, size=t.size)
    rho = np.exp(np.log(a) * np.diff(t))
    x = np.empty(t.size)
    x[0] = rng.normal(scale=sd)
    z = rng.normal(size=t.size)
    for i in range(1, t.size):
        x[i] = rho[i - 1] * x[i - 1] + sd * np.sqrt(1.0 - rho[i - 1] ** 2) * z[i]
    return x


def case(name, make, draws, seed, period=None, **options):
    rng = np.random.default_rng(seed)
    hits = found = 0
    harmonics = []
    t0 = time.perf_counter()
    for _ in range(draws):
        t, y = make(rng)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            r = sigfit.estimate(t, y, **options)
        sig = [c for c in r.components if c.significant]
        hits += bool(sig)
        if sig:
            harmonics.append(sig[0].n_harmonics)
        if period is not None:
            found += any(abs(c.period / period - 1) < 0.02 for c in sig)
    el = (time.perf_counter() - t0) / draws
    noise = getattr(r, "noise", None)
    noise = noise.model if noise is not None else "-"
    row = f"| {name} | {draws} | {hits / draws:.0%} |"
    row += f" {found / draws:.0%} |" if period is not None else " - |"
    row += f" {np.median(harmonics) if harmonics else '-'} | {noise} | {el * 1e3:.0f} ms |"
    print(row, flush=True)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--draws", type=int, default=100)
    p.add_argument("--seed", type=int, default=2026)
    args = p.parse_args(argv)
    d, s = args.draws, args.seed
    n = 1000
    grid = np.arange(n, dtype=float)

    def uniform(a):
        return lambda rng: (grid, ar1(rng, n, a))

    def irregular(a, m=100):
        def make(rng):
            t = np.sort(rng.uniform(0, m, m))
            return t, ou(rng, t, a)
        return make

    def tone_in(a, amp, period=50.0):
        return lambda rng: (grid, amp * np.sin(2 * np.pi * grid / period + rng.uniform(0, 6.3)) + ar1(rng, n, a))

    def sawtooth(rng):
        return grid, 2 * ((grid / 37.3 + rng.uniform()) % 1) - 1 + 0.3 * rng.normal(size=n)

    print("| case | draws | called periodic | true period found | median harmonics | last noise model | per draw |")
    print("|---|---|---|---|---|---|---|")
    case("white, uniform N=1000", uniform(0.0), d, s)
    case("white, irregular N=100", irregular(0.0), d, s)
    case("AR(1) 0.5, uniform N=1000", uniform(0.5), d, s)
    case("AR(1) 0.9, uniform N=1000", uniform(0.9), d, s)
    case("AR(1) 0.9, uniform N=1000, harmonics=1, fmin=10/N", uniform(0.9), d, s, harmonics=1, fmin=10 / n)
    case("AR(1) 0.5, irregular N=100", irregular(0.5), d, s)
    case("AR(1) 0.9, irregular N=100", irregular(0.9), d, s)
    case("AR(1) 0.9, irregular N=300", irregular(0.9, 300), d, s)
    case("tone P=50 amplitude 2 + AR(1) 0.9, N=1000", tone_in(0.9, 2.0), d, s, period=50.0)
    case("tone P=50 amplitude 3 + AR(1) 0.9, N=1000", tone_in(0.9, 3.0), d, s, period=50.0)
    case("tone P=50 amplitude 0.3 + AR(1) 0.5, N=1000", tone_in(0.5, 0.3), d, s, period=50.0)
    case("tone P=50 amplitude 0.6 + AR(1) 0.5, N=1000", tone_in(0.5, 0.6), d, s, period=50.0)
    case("sawtooth P=37.3 + white 0.3, N=1000", sawtooth, d, s, period=37.3)


if __name__ == "__main__":
    main()
