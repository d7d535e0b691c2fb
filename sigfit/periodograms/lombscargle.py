"""Lomb-Scargle periodogram by non-uniform FFT (nifty-ls, finufft backend).

Floating mean (the generalised periodogram of Zechmeister & Kuerster 2009, A&A 496, 577),
"standard" normalisation ``(chi2_ref - chi2(f)) / chi2_ref`` and optional ``dy`` weights, as
astropy's ``LombScargle(t, y, dy, fit_mean=True, center_data=True)``. Cost O(N + M log M);
no loop over frequencies and no N x M array.
"""

from __future__ import annotations

import numpy as np

from .._numerics import nufft_threads, thread_budget
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


# A whole grid at accuracy "grid" of at least this many frequencies is cut into GRID_PARTS equal
# parts, each one single-threaded nifty-ls call, run side by side in Python threads where more
# than one thread is allowed (nifty-ls and finufft release the GIL), each written straight into
# its slice of the answer. Two parts were 1.6-1.9x faster than one call on 2 cores (3.1e6
# frequencies, 1000 samples: 1.41-1.48 -> 0.74-0.91 s); eight keep that speed and hold a quarter
# of the NUFFT workspace at a time: a default estimate of 1000 samples peaked at 461-469 MB of
# RSS with two parts, 316-319 MB with eight (benchmarks/RESULTS.md). The cut depends on the grid
# only, never on the threads, so the powers are the same alone, in a single-threaded batch worker
# and on any machine (they differ from one uncut call by ~3e-7, within GRID_SEARCH_OPTIONS'
# accuracy).
GRID_SPLIT_MIN = 1 << 18
GRID_PARTS = 8


def power(tau: np.ndarray, y: np.ndarray, dy: np.ndarray | None, grid: FrequencyGrid, *,
          accuracy: str = "exact") -> np.ndarray:
    """Standard-normalised floating-mean Lomb-Scargle power of ``(tau, y, dy)`` on ``grid``.
    ``accuracy``: ``"exact"`` (:data:`NUFFT_OPTIONS`, astropy's direct sum to ~4e-10), ``"grid"``
    (a whole grid searched for its peaks, :data:`GRID_SEARCH_OPTIONS`, cut in
    :data:`GRID_PARTS` above :data:`GRID_SPLIT_MIN` frequencies) or ``"subset"`` (a subset's
    search on one thread, :data:`SEARCH_OPTIONS`)."""
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
    if accuracy == "subset" or grid.size < GRID_SPLIT_MIN:
        return on(grid, 1)
    cuts = [grid.size * k // GRID_PARTS for k in range(GRID_PARTS + 1)]
    parts = [FrequencyGrid(start=grid.start + a * grid.step, step=grid.step, size=b - a)
             for a, b in zip(cuts[:-1], cuts[1:], strict=True)]
    # each part's power goes straight into its slice of the answer (no second copy of the grid)
    out = np.empty(y.shape[:-1] + (grid.size,))

    def fill(k: int) -> None:
        piece = out[..., cuts[k]:cuts[k + 1]]
        piece[...] = np.reshape(on(parts[k], 1), piece.shape)

    workers = min(GRID_PARTS, thread_budget())  # one in a single-threaded batch worker
    if workers == 1:
        for k in range(len(parts)):
            fill(k)
        return out
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(workers) as pool:
        list(pool.map(fill, range(len(parts))))
    return out


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
