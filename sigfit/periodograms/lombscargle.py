"""Lomb-Scargle periodogram by non-uniform FFT (nifty-ls, finufft backend).

Floating mean (the generalised periodogram of Zechmeister & Kuerster 2009, A&A 496, 577),
"standard" normalisation ``(chi2_ref - chi2(f)) / chi2_ref`` and optional ``dy`` weights, as
astropy's ``LombScargle(t, y, dy, fit_mean=True, center_data=True)``. Cost O(N + M log M);
no loop over frequencies and no N x M array.
"""

from __future__ import annotations

import threading
from collections import OrderedDict

import numpy as np

from .._numerics import KeptResults, content_digest, nufft_threads, thread_budget
from ..grid import FrequencyGrid

# finufft's requested accuracy. nifty-ls defaults to eps=1e-9 at upsampling 1.25, which leaves
# relative errors ~2e-7 on small powers. eps=1e-11 at upsampling 2 (kernel width <= 16; 1.25
# cannot reach it) keeps every power within ~4e-10 (relative) of astropy's direct sum, at about
# 1.4x the default's time on N = M = 1e5.
# showwarn=0: finufft prints to the C stderr when nifty-ls's thread heuristic asks for more
# threads than physical cores (hyperthreads count in omp_get_max_threads): harmless, and a user's
# stderr is not the place for it (issue 14).
NUFFT_OPTIONS = {"eps": 1e-11, "upsampfac": 2.0, "showwarn": 0}
# A search that only needs the highest peak (sigfit.estimate's subset search) asks finufft for
# eps 1e-6 (powers within ~1e-6, far below any peak's statistical scatter; least squares then
# find the exact top) on one thread (a transform of ~1e4 points gains nothing from more, and on a
# loaded machine OpenMP threads spin against each other: measured 10x slower).
SEARCH_OPTIONS: dict = {"eps": 1e-6, "showwarn": 0}
# A whole grid searched for its peaks (the default band's periodogram, which the trend choice,
# the peak search and the batches share) asks for eps 1e-9 at finufft's upsampling 1.25, on
# one thread: powers within ~1e-7 of the exact ones (absolute; a peak's statistical scatter is
# ~1/sqrt(N) of its height), at 0.67x the time of NUFFT_OPTIONS on two threads on the
# ~3e6-frequency default grid of 1000 irregular samples (issue 18; benchmarks/RESULTS.md). One
# thread because at upsampling 1.25 finufft's output depends on its thread count (~2e-9 apart
# between 1 and 2 threads, measured; at 2.0 only the last bit moves), and the same series must
# give the same answer alone, in a Dask batch, and on any machine. The reported answer does not
# depend on these digits beyond its convergence tolerance: least squares find each peak's top.
GRID_SEARCH_OPTIONS: dict = {"eps": 1e-9, "upsampfac": 1.25, "showwarn": 0}
ACCURACIES = ("exact", "grid", "subset")


# A whole grid at accuracy "grid" is cut into equal parts (:func:`grid_parts`), shared out to
# Python threads where more than one thread is allowed (finufft releases the GIL), each written
# straight into its slice of the answer. A part costs two things: every sample is spread onto its
# fine grid once per transform (~80 ns a sample), and its FFT, whose cost per mode grows with the
# part once its fine grid leaves the cache: 1000 samples on 2.83e6 frequencies, one thread, took
# 0.38-0.55 s in 8 parts of 354k modes and 0.24-0.30 s in 44 of 64k (benchmarks/RESULTS.md). So a
# part holds PART_MODES_MIN modes, or PART_MODES_PER_SAMPLE per sample where the samples make the
# spreading dominate: halving a part of m modes saves ~20 ns a mode of FFT and costs one more
# spread of every sample, ~0.24 us a sample for the three transforms, which breaks even at
# m ~ 6 N (1e5 samples on 2e6 frequencies: 0.35-0.39 s in 4 parts, 0.42-0.48 in 1-2 and 8, 2.5 s
# in 96).
# A grid of at least GRID_SPLIT_MIN frequencies gets two parts at least, for two threads. Small
# parts also bound the NUFFT workspace (a default estimate of 1000 samples peaked at 461-469 MB of
# RSS in two parts, 316-319 MB in eight). The cut depends on the grid and the number of samples
# only, never on the threads, so the powers are the same alone, in a single-threaded batch worker
# and on any machine (they differ from one uncut call by ~2e-9, within GRID_SEARCH_OPTIONS'
# accuracy).
PART_MODES_MIN = 1 << 16
PART_MODES_PER_SAMPLE = 8
GRID_SPLIT_MIN = 1 << 17


def grid_parts(size: int, n_samples: int) -> int:
    """How many equal parts :func:`grid_power` cuts a grid of ``size`` frequencies into, for
    ``n_samples`` samples (see :data:`PART_MODES_MIN`)."""
    per = max(PART_MODES_MIN, PART_MODES_PER_SAMPLE * int(n_samples))
    parts = -(-int(size) // per)
    return max(parts, 2) if size >= GRID_SPLIT_MIN else max(parts, 1)


# A grid cut into parts of PART_MODES_MIN modes is cut into exactly that many (the last part
# computed past the grid's end and trimmed) when that computes at most FAST_PART_WASTE more
# modes than the grid has: finufft's fine grid is then 1.25 x 2^16 = 5 x 2^14 points, where
# FFTW's estimated plans run ~20-30% faster than on the 2-3-5 lengths near it that an equal cut
# lands on (81,000 or 80,000 points), and every series whose grid is cut so shares one plan.
FAST_PART_WASTE = 0.05


def _part_modes(size: int, n_samples: int) -> tuple[int, int]:
    """``(frequencies per part, modes computed per part)`` for :func:`grid_power` (the parts of
    :func:`grid_parts`; see :data:`FAST_PART_WASTE` and :data:`PLAN_CACHE_STEP`)."""
    parts = grid_parts(size, n_samples)
    part = -(-size // parts)  # frequencies per part, equal parts
    if parts > 1 and part <= PART_MODES_MIN and parts * PART_MODES_MIN <= (1 + FAST_PART_WASTE) * size:
        return PART_MODES_MIN, PART_MODES_MIN
    modes = part if part > PLAN_CACHE_MODES else -(-part // PLAN_CACHE_STEP) * PLAN_CACHE_STEP
    return part, modes


# accuracy "grid" or "subset" from this many frequencies: grid_power (below it a transform is
# cheap, and nifty-ls's one call is the simpler road)
GRID_PLAN_MIN = 64


def power(tau: np.ndarray, y: np.ndarray, dy: np.ndarray | None, grid: FrequencyGrid, *,
          accuracy: str = "exact") -> np.ndarray:
    """Standard-normalised floating-mean Lomb-Scargle power of ``(tau, y, dy)`` on ``grid``.
    ``accuracy``: ``"exact"`` (:data:`NUFFT_OPTIONS`, astropy's direct sum to ~4e-10), ``"grid"``
    (a whole grid searched for its peaks, :data:`GRID_SEARCH_OPTIONS`, cut in parts by
    :func:`grid_parts`) or ``"subset"`` (a subset's search on one thread, :data:`SEARCH_OPTIONS`)."""
    if accuracy not in ACCURACIES:
        raise ValueError(f"accuracy {accuracy!r}: choose one of {ACCURACIES}")
    options = {"exact": NUFFT_OPTIONS, "grid": GRID_SEARCH_OPTIONS, "subset": SEARCH_OPTIONS}[accuracy]
    tau = np.ascontiguousarray(tau, dtype=np.float64)
    y = np.ascontiguousarray(y, dtype=np.float64)
    dy = None if dy is None else np.ascontiguousarray(dy, dtype=np.float64)

    def on(part: FrequencyGrid, nthreads: int | None) -> np.ndarray:
        return nifty_power(tau, y, dy, fmin=part.start, fmax=part.stop, size=part.size,
                           nthreads=nthreads, center_data=True, fit_mean=True,
                           normalization="standard", assume_sorted_t=True, backend="finufft",
                           finufft_kwargs=dict(options))

    if accuracy == "exact":
        return on(grid, nufft_threads())
    if grid.size >= GRID_PLAN_MIN:
        return grid_power(tau, y, dy, grid, options=options)
    return on(grid, 1)


def nifty_power(tau, y, dy, *, fmin: float, fmax: float, size: int, nthreads: int | None,
                **options) -> np.ndarray:
    """The one call into nifty-ls: the power of its ``lombscargle`` on ``size`` frequencies
    from ``fmin`` to ``fmax``, as float64. ``options`` go to nifty-ls unchanged: :func:`power`
    pins the finufft backend and :data:`NUFFT_OPTIONS`; :mod:`sigfit.search`'s full grids and low
    band keep nifty-ls's own defaults (its answer is then refined by least squares, and its cost
    and accuracy are the ones measured in benchmarks/bench_clock.py; the zoom windows go through
    :func:`sigfit.periodograms.trig.lattice_window_sums` instead)."""
    from .._nifty import nifty_ls as load_nifty_ls

    nifty_ls = load_nifty_ls()  # without the astropy it imports for nothing (sigfit._nifty)
    result = nifty_ls.lombscargle(tau, y, dy=dy, fmin=fmin, fmax=fmax, Nf=size, nthreads=nthreads,
                                  **options)
    return np.asarray(result.power, dtype=np.float64)


# finufft plans are kept per thread, the PLAN_CACHE_SIZE last used within PLAN_CACHE_BYTES (their
# fine grids, :func:`_plan_bytes`), and reused with new points: a plan's set-up (its kernel's
# Fourier series and FFT plan, ~0.25 ms for a few thousand modes, 2.2 ms for 1e5 modes and two
# vectors) is then paid once per thread, where an estimate with its band given made ~8 plans for
# its small grids (~10% of its time at N = 1e3), and at N = 1e5 (band to 10 cycles/unit, one part
# of 1e5 modes) four new ones of ~2 ms each. A grid of at most PLAN_CACHE_MODES modes is rounded
# up to a multiple of PLAN_CACHE_STEP (the extra ones computed and dropped), so that series whose
# spans differ a little share plans; a larger one keeps its own size (its powers do not change).
PLAN_CACHE_MODES = 1 << 16
PLAN_CACHE_SIZE = 8
PLAN_CACHE_STEP = 256
PLAN_CACHE_BYTES = 1 << 24
_PLANS = threading.local()


def _plan_bytes(size: int, n_trans: int, upsampling: float = 1.25) -> int:
    """What a kept type-1 plan of ``size`` modes for ``n_trans`` vectors holds: its fine grids
    (``upsampling`` x modes complex numbers per vector) and its kernel's Fourier series (3.1 MB
    by this count at 65536 modes, two vectors and upsampling 1.25; measured 3.4 MB for 1e5 modes
    and two vectors, 12.4 MB for 4e5 and two). The points' sort indices come on top (8 bytes a
    sample, those of its last points)."""
    return int(16 * upsampling * int(size) * int(n_trans)) + 8 * int(size)


def _plan(size: int, n_trans: int, options: dict):
    """A type-1 finufft plan of ``size`` modes for ``n_trans`` vectors on one thread: from this
    thread's cache when it fits (:data:`PLAN_CACHE_BYTES`), else new."""
    import finufft

    need = _plan_bytes(size, n_trans, float(options.get("upsampfac") or 2.0))  # (0: finufft's, <= 2)
    if need > PLAN_CACHE_BYTES // 2:  # (a plan that would empty the cache is not kept)
        return finufft.Plan(1, (size,), n_trans=n_trans, nthreads=1, **options)
    cache = getattr(_PLANS, "cache", None)
    if cache is None:
        cache = _PLANS.cache = OrderedDict()  # key -> (plan, bytes)
    key = (size, n_trans, tuple(sorted(options.items())))
    plan, _ = cache.pop(key, (None, 0))
    if plan is None:
        plan = finufft.Plan(1, (size,), n_trans=n_trans, nthreads=1, **options)
    cache[key] = (plan, need)
    held = sum(b for _, b in cache.values())
    while len(cache) > PLAN_CACHE_SIZE or held > PLAN_CACHE_BYTES:
        held -= cache.popitem(last=False)[1][1]
    return plan


# The weights' two transforms of grids of at most WEIGHTS_CACHE_MAX frequencies (all rows of
# weights together: rows with their own dy share the bound) are kept for the
# WEIGHTS_CACHE_SIZE last (stamps, weights, grid, options), known by a digest of the stamps' and
# weights' bytes (~0.5 ms at 1e5 samples): they depend on the sampling only, and one estimate asks
# for the same ones again (the background's ordinates for the search's residual and for the
# model's, a second component's search on the first one's residual). A hit costs one transform
# per row instead of three, the same numbers (finufft transforms each vector on its own here).
# An entry holds two complex numbers per frequency and weight row (at most 2 MB, 16 MB in all).
WEIGHTS_CACHE_MAX = 1 << 16
WEIGHTS_CACHE_SIZE = 8
_WEIGHTS = KeptResults(WEIGHTS_CACHE_SIZE)


def _weights_key(tau: np.ndarray, w: np.ndarray | None, grid: FrequencyGrid, options: dict):
    return (content_digest(tau) if w is None else content_digest(tau, w), tau.size,
            None if w is None else w.shape, grid.start, grid.step, grid.size,
            tuple(sorted(options.items())))


def grid_power(tau: np.ndarray, y: np.ndarray, dy: np.ndarray | None, grid: FrequencyGrid, *,
               options: dict | None = None) -> np.ndarray:
    """:func:`power` at accuracy ``"grid"`` or ``"subset"``: nifty-ls's floating-mean
    periodogram (its formulas, the accuracy's finufft options: :data:`GRID_SEARCH_OPTIONS` by
    default), with its finufft plans made once per thread instead of once per call and part
    (and kept for small grids, :func:`_plan`), and the transforms of the weights made once for
    every row that shares them.

    The power needs three type-1 transforms on the stamps (VanderPlas 2018, ApJS 236, 16,
    eq. 69-73): of ``w y`` and of ``w`` at ``t1 = 2 pi df tau``, of ``w`` at ``2 t1``.
    nifty-ls makes two finufft plans per call; a plan computes its kernel's Fourier series over
    every mode (13 ms for a part of the default band at N = 1e3, where its transforms take
    30 ms), and a whole grid in 8 parts made 16. Here the parts are equal (:func:`grid_parts`;
    the last computed past the grid's end and trimmed), so each thread's two plans serve all its
    parts, and rows on the same stamps with the same weights (``dy`` None, or equal rows: a batch
    of series sharing their stamps, the trend's candidate degrees) need the weights' transforms
    once: B such rows cost B + 2 transforms, not 3B; for small grids they are kept for the next
    call on the same stamps (:data:`WEIGHTS_CACHE_MAX`). The parts depend on the grid and the
    number of samples only, never on the threads, so the powers are the same alone and in a
    single-threaded worker; they agree with nifty-ls's on the same parts to ~1e-11, with one uncut
    nifty-ls call to ~2e-9 (finufft's accuracy on other fine grids).
    """
    tau = np.ascontiguousarray(tau, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    shape = y.shape[:-1] + (grid.size,)
    rows = y.reshape(-1, tau.size)
    b = rows.shape[0]
    if dy is None:
        w = np.ones((1, tau.size))
    else:
        w = np.broadcast_to(np.asarray(dy, dtype=np.float64), y.shape).reshape(-1, tau.size)
        w = w[:1] if np.array_equal(w, np.broadcast_to(w[:1], w.shape)) else w
        w = w**-2.0
    w = w / w.sum(axis=1, keepdims=True)
    yc = rows - np.sum(w * rows, axis=1, keepdims=True)
    norm = np.sum(w * yc * yc, axis=1)
    nw = w.shape[0]  # 1 when shared
    part, size = _part_modes(grid.size, tau.size)
    starts = list(range(0, grid.size, part))
    out = np.empty((b, grid.size))
    t1 = (2.0 * np.pi * grid.step) * tau
    t2 = 2.0 * t1
    # nifty-ls's defaults under the caller's (upsampling 1.25, FFTW_ESTIMATE)
    options = dict({"upsampfac": 1.25}, **(GRID_SEARCH_OPTIONS if options is None else options), fftw=64)
    key = kept = None
    if nw * grid.size <= WEIGHTS_CACHE_MAX:  # (rows of weights x frequencies: bounded bytes)
        key = _weights_key(tau, None if dy is None else w, grid, options)
        kept = _WEIGHTS.get(key)
    if kept is None:
        vectors = np.concatenate([yc * w, w])  # transformed at t1: B rows of w y, then the weights
        store = (np.empty((nw, grid.size), dtype=np.complex128),
                 np.empty((nw, grid.size), dtype=np.complex128)) if key is not None else None
    else:
        vectors, store = yc * w, None

    def run(mine: list[int]) -> None:
        plan1 = _plan(size, vectors.shape[0], options)
        plan1.setpts(t1)
        # each thread's transforms land in the same two arrays, part after part: finufft's own
        # output is a fresh np.zeros per call (2 MB a part, page faults and all)
        out1 = np.empty((vectors.shape[0], size), dtype=np.complex128)
        if kept is None:
            plan2 = _plan(size, nw, options)
            plan2.setpts(t2)
            out2 = np.empty((nw, size), dtype=np.complex128)
        for lo in mine:
            n = min(part, grid.size - lo)
            shift = size // 2 + (grid.start + lo * grid.step) / grid.step
            phase = np.exp(1j * shift * t1)
            f1 = plan1.execute(vectors * phase, out=out1)
            if kept is None:
                phase *= phase  # exp(i shift t2): one complex exp per part, not two (~2.4 ms at 1e5)
                f2 = plan2.execute(w * phase, out=out2)[:, :n]
                fw = f1[b:, :n]
                if store is not None:
                    store[0][:, lo:lo + n] = fw
                    store[1][:, lo:lo + n] = f2
            else:
                fw, f2 = kept[0][:, lo:lo + n], kept[1][:, lo:lo + n]
            _floating_mean_power(f1[:b, :n], fw, f2, norm, out[:, lo:lo + n])

    workers = min(len(starts), thread_budget())
    shares = [starts[k::workers] for k in range(workers)]
    if workers == 1:
        run(shares[0])
    else:
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(workers) as pool:
            list(pool.map(run, shares))
    if store is not None:
        for a in store:
            a.setflags(write=False)
        _WEIGHTS.put(key, store)
    return out.reshape(shape)


# _floating_mean_power works through the frequencies this many at a time, in six scratch rows
# made once per call: no temporaries at all (each block's ~20 fresh arrays, and before the blocks
# grid-sized ones, page-faulted: 37 ms on a part of 387,500 frequencies, 6.7 ms in blocks, and a
# part of 64,512 for one series 3.7 -> 1.4 ms with the scratch rows)
POWER_BLOCK = 1 << 15


def _floating_mean_power(fy, fw, f2, norm, out) -> None:
    """:func:`_power_block` over blocks of :data:`POWER_BLOCK` frequencies."""
    n = out.shape[1]
    scratch = np.empty((6, min(POWER_BLOCK, n)))
    with np.errstate(divide="ignore", invalid="ignore"):
        for lo in range(0, n, POWER_BLOCK):
            hi = min(lo + POWER_BLOCK, n)
            _power_block(fy[:, lo:hi], fw[:, lo:hi], f2[:, lo:hi], norm, out[:, lo:hi],
                         scratch[:, :hi - lo])


def _power_block(fy, fw, f2, norm, out, scratch) -> None:
    """Standard floating-mean power into ``out`` (B, n) from the transforms of ``w y`` (B rows),
    of ``w`` (one row shared, or B) and of ``w`` at twice the frequency, through ``scratch``
    (six rows of n).

    nifty-ls and astropy's ``lombscargle_fast`` go through ``tan 2 omega tau`` and its half
    angles; written out, the time offset drops. With ``c = W(f)``, ``s = W(2 f)`` and
    ``h = (w y)(f)``: ``P = 1 - Re s - 2 (Im c)^2``, ``Q = 1 + Re s - 2 (Re c)^2``,
    ``R = Im s - 2 Re c Im c`` (the sine-sine, cosine-cosine and sine-cosine sums less the
    mean's share, doubled) and
    ``power = 2 (Re(h)^2 P + Im(h)^2 Q - 2 Re h Im h R) / ((P Q - R^2) norm)``: the same number
    (to ~1e-12 here) without a square root, a sign or a division by a vanishing denominator,
    and the weights' part (``P, Q, R`` over the denominator) computed once per row of weights."""
    p, q, r, t, u, v = scratch
    for k in range(fw.shape[0]):
        cr, ci, sr, si = fw[k].real, fw[k].imag, f2[k].real, f2[k].imag
        np.multiply(ci, ci, out=t)
        t *= 2.0
        np.subtract(1.0, sr, out=p)
        p -= t  # 1 - Re s - 2 (Im c)^2
        np.multiply(cr, cr, out=t)
        t *= 2.0
        np.add(1.0, sr, out=q)
        q -= t  # 1 + Re s - 2 (Re c)^2
        np.multiply(cr, ci, out=r)
        r *= -2.0
        r += si  # Im s - 2 Re c Im c
        np.multiply(p, q, out=t)
        np.multiply(r, r, out=u)
        t -= u  # the denominator
        np.divide(2.0, t, out=t)
        p *= t
        q *= t
        r *= t
        r *= 2.0
        for j in ([k] if fw.shape[0] > 1 else range(fy.shape[0])):
            hr, hi = fy[j].real, fy[j].imag
            np.multiply(hr, hr, out=u)
            u *= p
            np.multiply(hi, hi, out=v)
            v *= q
            u += v
            np.multiply(hr, hi, out=v)
            v *= r
            u -= v
            np.divide(u, norm[j], out=out[j])
