"""Numerics every estimation module shares, written once: error-free phases, thread control, the
parabolic peak, and the large-N subset rule.

- :func:`two_product`, :func:`centred_cycles`, :func:`frac_cycles`: ``f*t`` reduced to whole
  cycles with an error-free product (Dekker 1971), so phases keep their digits at ``t ~ 4e9``.
- :func:`single_threaded`, :func:`nufft_threads`: BLAS/OpenMP thread limits.
- :func:`parabolic_vertex`: the sub-grid peak of three samples; :func:`pick_peak`: the highest
  peak of a sampled curve, so refined.
- :func:`normal_lstsq`: linear least squares of a few columns (the trend, the trend's BIC fits).
- :data:`SUBSET_N`, :data:`SUBSET_MIN_N`, :data:`SUBSET_MIN_LOG_ODDS`, :func:`subset_step`,
  :func:`overwhelming`: the rule by which the peak search (``sigfit.estimate``) and the model
  selection (``sigfit.harmonics``) run on every m-th sample at large N.

This module imports only numpy (threadpoolctl, finufft and nifty-ls when asked for threads), so
every other module may import it without a cycle.
"""

from __future__ import annotations

import hashlib
import math
import os
import threading
from collections import OrderedDict

import numpy as np

TWO_PI = 2.0 * math.pi


# --------------------------------------------------------------------------------------------
# error-free phases


def two_product(a, b):
    """``a*b = p + e`` exactly (Dekker 1971, Numer. Math. 18, 224: Veltkamp splitting).

    Operators only, so numpy arrays and torch tensors both work."""
    p = a * b
    c = 134217729.0 * a  # 2**27 + 1
    ah = c - (c - a)
    al = a - ah
    c = 134217729.0 * b
    bh = c - (c - b)
    bl = b - bh
    e = ((ah * bh - p) + ah * bl + al * bh) + al * bl
    return p, e


def frac_cycles(frequency: float | np.ndarray, t: np.ndarray) -> np.ndarray:
    """``frequency * t`` reduced to ``[0, 1)`` cycles with an error-free product: the result is
    within ~1e-16 of the exact fractional part whatever the size of ``t`` (t ~ 4e9 keeps every
    digit of the phase, where the naive product loses ~7).

    Examples
    --------
    >>> float(frac_cycles(1 / 3, np.array([3.0e9 + 1.0]))[0])  # doctest: +ELLIPSIS
    0.33333...
    """
    return np.mod(centred_cycles(frequency, t), 1.0)


def centred_cycles(frequency: float | np.ndarray, t: np.ndarray) -> np.ndarray:
    """``frequency * t`` minus the nearest whole number of cycles, in ``[-0.5, 0.5]`` to ~1e-16
    (error-free product): :func:`frac_cycles` before its reduction to ``[0, 1)``, which sines
    and cosines do not need."""
    f = np.asarray(frequency, dtype=np.float64)
    t = np.asarray(t, dtype=np.float64)
    p, e = two_product(f, t)
    return (p - np.rint(p)) + e


# --------------------------------------------------------------------------------------------
# threads

_THREADPOOLS: list = []  # the threadpoolctl controller, found once (it scans the loaded libraries)


def _hasher_kinds():
    return (hashlib.sha256, lambda: hashlib.blake2b(digest_size=16))


_HASHER: list = []  # the faster of _hasher_kinds() on this machine, chosen at the first digest


def hasher():
    """A new 128-bit-or-more cryptographic hash object, the faster kind here: SHA-256 where the
    processor's SHA instructions make it faster (~1.8 GB/s on the AMD EPYC of
    benchmarks/RESULTS.md, twice BLAKE2b's ~0.9), else BLAKE2b (processors without them compute
    SHA-256 in software). Chosen once, by hashing 2 x 256 KB with each (~1 ms); digests only key
    results kept in memory, so which one it is never matters beyond its speed."""
    if not _HASHER:
        import time

        buf = np.full(1 << 18, 7, dtype=np.uint8)  # (written: no page is faulted in while timed)
        times = []
        for make in _hasher_kinds():
            make().update(buf[:4096])  # warm
            h = make()
            t0 = time.perf_counter()
            h.update(buf)
            h.update(buf)
            times.append(time.perf_counter() - t0)
        _HASHER[:] = [_hasher_kinds()[int(np.argmin(times))]]
    return _HASHER[0]()


def content_digest(*arrays: np.ndarray) -> bytes:
    """A 128-bit digest of the arrays' bytes (:func:`hasher`'s, truncated): what keys a
    :class:`KeptResults` entry by content, never by the array object (an array changed in place
    is new content). An estimate of 1e5 samples takes ~6 (0.45 ms each by SHA-256 here, 0.90 by
    BLAKE2b)."""
    h = hasher()
    for a in arrays:
        h.update(np.ascontiguousarray(a).view(np.uint8))
    return h.digest()[:16]


class KeptResults:
    """The last ``size`` results of a computation that depends on the samples only (a table's
    columns, a batch's series and an estimate's residuals share their stamps), keyed by the
    caller (with :func:`content_digest`); least recently used first out, safe across threads."""

    def __init__(self, size: int):
        self.size = int(size)
        self._items: OrderedDict = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key):
        with self._lock:
            value = self._items.get(key)
            if value is not None:
                self._items.move_to_end(key)
            return value

    def put(self, key, value) -> None:
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()

    def __len__(self) -> int:
        return len(self._items)


def next_fast_len_real(n: int) -> int:
    """The smallest ``2^a 3^b 5^c >= n``: :func:`scipy.fft.next_fast_len` with ``real=True`` (the
    same numbers, tested), without importing scipy (~0.4 s of a command's start-up) for one
    integer. pocketfft, numpy's and scipy's, is fastest on these lengths."""
    n = int(n)
    if n <= 6:
        return max(n, 1)
    best = 1 << (n - 1).bit_length()
    p5 = 1
    while p5 < best:
        p35 = p5
        while p35 < best:
            p2 = 1 << (-(-n // p35) - 1).bit_length()  # the least power of 2 with p2 * p35 >= n
            best = min(best, p2 * p35)
            p35 *= 3
        p5 *= 5
    return best


def single_threaded():
    """Limit BLAS/OpenMP pools to one thread while fitting: the work is many small matrix products
    (8192 x ~100), where extra threads gain little and, on a shared machine, spin-wait against
    each other (measured: 5x the CPU time under load). A no-op without threadpoolctl."""
    try:
        from threadpoolctl import ThreadpoolController
    except ImportError:  # optional: the numbers do not change, only the threads
        import contextlib

        return contextlib.nullcontext()
    if not _THREADPOOLS:
        _openmp_counts()  # finufft's and nifty-ls's runtimes first: a controller made before
        # they load would never limit them (a fresh process ran its NUFFTs on every core here)
        _THREADPOOLS.append(ThreadpoolController())
    return _THREADPOOLS[0].limit(limits=1)


_OPENMP: list = []  # the OpenMP runtimes nifty-ls and finufft run on, found once


def nufft_threads() -> int | None:
    """Threads to ask nifty-ls for: None (its own choice) unless the OpenMP runtimes it uses
    are limited differently, e.g. inside :func:`single_threaded`. nifty-ls sizes its thread
    count from finufft's runtime but runs its helpers on another one, and prints
    ``Warning: nthreads (2) > omp_get_max_threads() (1)`` on every call when they disagree;
    asking for the smallest limit keeps both within it and the output quiet."""
    counts = _openmp_counts()
    if not counts or min(counts) == max(counts):
        return None
    return max(1, min(counts))


def _openmp_counts() -> list[int]:
    """The thread limits of the OpenMP runtimes nifty-ls and finufft run on (empty when
    threadpoolctl is absent or finds none)."""
    try:
        from threadpoolctl import ThreadpoolController
    except ImportError:
        return []
    if not _OPENMP:
        import finufft  # noqa: F401  (their runtimes must be loaded before the scan)

        from ._nifty import nifty_ls

        nifty_ls()

        _OPENMP.append([c for c in ThreadpoolController().lib_controllers
                        if c.user_api == "openmp"])
    return [c.num_threads for c in _OPENMP[0]]


def thread_budget() -> int:
    """How many threads sigfit may run side by side: the cores, within the OpenMP limit
    (``OMP_NUM_THREADS=1`` as Dask sets for its workers, :func:`single_threaded`, a
    threadpoolctl limit), so that a single-threaded batch worker stays on one core."""
    counts = _openmp_counts()
    cores = os.cpu_count() or 1
    return max(1, min([cores, *counts]))


# --------------------------------------------------------------------------------------------
# the parabolic peak


def parabolic_vertex(x0, x1, x2, y0, y1, y2):
    """Vertex of the parabola through ``(x0, y0), (x1, y1), (x2, y2)`` (``x1`` the middle, the
    highest sample): ``(dx, value)`` with ``dx`` its offset from ``x1``, kept within the
    bracketing cells (a flat top can put the vertex far away); ``dx = 0``, ``value = y1`` where
    the parabola does not open downwards. Element-wise on arrays; the spacing need not be even.

    Examples
    --------
    >>> dx, top = parabolic_vertex(-1.0, 0.0, 1.0, 0.0, 1.0, 0.5)
    >>> round(float(dx), 6), round(float(top), 6)
    (0.166667, 1.041667)
    """
    x0, x1, x2, y0, y1, y2 = (np.asarray(v, dtype=np.float64) for v in (x0, x1, x2, y0, y1, y2))
    # divided differences of the interpolating quadratic y = y1 + b (x - x1) + c (x - x1)^2
    d01 = (y1 - y0) / (x1 - x0)
    d12 = (y2 - y1) / (x2 - x1)
    c = (d12 - d01) / (x2 - x0)
    b = d01 + c * (x1 - x0)
    with np.errstate(invalid="ignore", divide="ignore"):
        dx = np.where(c < 0, -b / (2 * c), 0.0)
    dx = np.clip(dx, np.minimum(x0, x2) - x1, np.maximum(x0, x2) - x1)
    return dx, y1 + b * dx + c * dx * dx


def pick_peak(frequency: np.ndarray, power: np.ndarray, i: int | None = None) -> float:
    """The frequency of the highest peak (``i``, its index, when known), refined by a parabola
    through its three grid points (:func:`parabolic_vertex`; the grid point itself at either
    end)."""
    i = int(np.argmax(power)) if i is None else int(i)
    if 0 < i < power.size - 1:
        dx, _ = parabolic_vertex(*frequency[i - 1:i + 2], *power[i - 1:i + 2])
        return float(frequency[i] + dx)
    return float(frequency[i])


_KNOWN_ASCENDING: list = []  # the read-only grid array sigfit.grid keeps (ascending when built)


def mark_ascending(frequency: np.ndarray | None) -> None:
    """Remember one read-only array as ascending (:meth:`sigfit.grid.FrequencyGrid.frequency`'s
    kept grid; None forgets it): :func:`_ascending` then answers without a pass over it (~1 ms
    at 2.8e6)."""
    _KNOWN_ASCENDING[:] = [] if frequency is None else [frequency]


def _ascending(frequency: np.ndarray) -> bool:
    known = _KNOWN_ASCENDING[:1]
    if known and frequency is known[0] and not frequency.flags.writeable:
        return True
    return frequency.ndim == 1 and (frequency.size < 2 or bool(frequency[-1] >= frequency[0]
                                    and np.all(frequency[1:] >= frequency[:-1])))


def nearest_index(frequency: np.ndarray, f0: float) -> int:
    """``np.argmin(np.abs(frequency - f0))``: on an ascending grid by bisection and a look at the
    few points around it (a default band has 3e6 frequencies), the same index."""
    frequency = np.asarray(frequency)
    if frequency.size > 8 and _ascending(frequency):
        j = int(np.searchsorted(frequency, f0))
        lo, hi = max(j - 2, 0), min(j + 2, frequency.size)
        d = np.abs(frequency[lo:hi] - f0)
        i = int(np.argmin(d))
        # |f - f0| falls to its minimum and rises after it: a first minimum at the window's left
        # edge might continue further left (a plateau of equal distances), so look everywhere
        if d[i] == d[i] and (i > 0 or lo == 0):
            return lo + i
    return int(np.argmin(np.abs(frequency - f0)))


def argmax_away(frequency: np.ndarray, power: np.ndarray, f0: float, width: float) -> int:
    """The index of the highest power farther than ``width`` from ``f0``, -1 if none:
    ``np.argmax(np.where(np.abs(frequency - f0) > width, power, -np.inf))`` after
    ``np.any(...)``. On an ascending grid the points within ``width`` are one run of indices
    (``|f - f0|`` falls, then rises), found by bisection with its edges checked point by point:
    the same index from two argmaxes, without the grid-sized temporaries (a default band has 3e6
    frequencies). Non-finite powers take the direct expression."""
    frequency, power = np.asarray(frequency), np.asarray(power)
    n = frequency.size
    if n > 16 and power.shape == frequency.shape and _ascending(frequency):
        lo = max(int(np.searchsorted(frequency, f0 - width)) - 2, 0)
        hi = min(int(np.searchsorted(frequency, f0 + width, side="right")) + 2, n)
        window = np.abs(frequency[lo:hi] - f0) > width
        # every point outside the window is away when the window's edges are (monotone distance)
        if hi > lo and (lo == 0 or window[0]) and (hi == n or window[-1]):
            candidates = []  # (power, index): the first argmax of each part, in index order
            if lo > 0:
                j = int(np.argmax(power[:lo]))
                candidates.append((power[j], j))
            inner = np.flatnonzero(window)
            if inner.size:
                j = lo + int(inner[np.argmax(power[lo:hi][inner])])
                candidates.append((power[j], j))
            if hi < n:
                j = hi + int(np.argmax(power[hi:]))
                candidates.append((power[j], j))
            if not candidates:
                return -1
            if all(np.isfinite(v) for v, _ in candidates):
                best = max(v for v, _ in candidates)
                return next(j for v, j in candidates if v == best)
    away = np.abs(frequency - f0) > width
    if not np.any(away):
        return -1
    return int(np.argmax(np.where(away, power, -np.inf)))


# --------------------------------------------------------------------------------------------
# linear least squares of a few columns

# Above this condition number of the equilibrated normal matrix the normal equations lose more
# digits than a residual needs; the SVD takes over
NORMAL_COND_MAX = 1e10


def normal_lstsq(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """``argmin |y - x c|`` for a tall ``x`` of a few columns: the normal equations on unit-norm
    columns (one matrix product), or ``lstsq``'s SVD where they are singular or their condition
    passes :data:`NORMAL_COND_MAX`."""
    norms = np.sqrt(np.einsum("ij,ij->j", x, x))
    norms[norms == 0] = 1.0
    xs = x / norms
    coef = unit_normal_solve(xs.T @ xs, xs.T @ y)
    if coef is None:
        return np.linalg.lstsq(x, y, rcond=None)[0]
    return coef / norms


def unit_normal_solve(g: np.ndarray, rhs: np.ndarray) -> np.ndarray | None:
    """``g^-1 rhs`` for the normal matrix ``g`` of unit-norm columns; None where it is singular
    or its condition passes :data:`NORMAL_COND_MAX` (the caller's fallback then decides)."""
    try:
        if not np.linalg.cond(g) <= NORMAL_COND_MAX:
            return None
        return np.linalg.solve(g, rhs)
    except np.linalg.LinAlgError:
        return None


# --------------------------------------------------------------------------------------------
# the large-N subset rule

# Plenty of samples: the peak search and the model selection first run on an even subset (every
# m-th time-sorted sample, about SUBSET_N of them, so the span and with it the resolution are the
# same), when the peak is overwhelming there; the least squares always use every sample.
SUBSET_N = 16384
SUBSET_MIN_N = 4 * SUBSET_N
# -log of the single-frequency false-alarm probability the subset's peak must reach: e^-50 ~ 2e-22,
# a global false-alarm probability below 1e-10 for up to 1e12 independent frequencies
# (Baluev 2008: FAP <= M (1 - z)^((n - 3) / 2))
SUBSET_MIN_LOG_ODDS = 50.0


def subset_step(n: int) -> int:
    """``m``: every m-th of ``n`` samples leaves about :data:`SUBSET_N` of them."""
    return -(-n // SUBSET_N)


def overwhelming(power: float, n: int) -> bool:
    """Whether a peak of standard power ``power`` from ``n`` samples reaches
    :data:`SUBSET_MIN_LOG_ODDS`: ``-(n - 3)/2 log(1 - z) >= SUBSET_MIN_LOG_ODDS``."""
    z = min(max(float(power), 0.0), 1.0 - 1e-16)
    return not -0.5 * (n - 3) * math.log1p(-z) < SUBSET_MIN_LOG_ODDS


__all__ = [
    "TWO_PI", "two_product", "frac_cycles", "centred_cycles", "single_threaded", "nufft_threads",
    "parabolic_vertex", "pick_peak", "normal_lstsq", "SUBSET_N", "SUBSET_MIN_N", "SUBSET_MIN_LOG_ODDS", "subset_step",
    "overwhelming",
]
