"""The search plan: which periodogram, which band, which grid, decided once before anything runs.

:func:`plan_search` reads the sampling (:func:`sigfit.sampling.describe`), resolves the method
(:func:`sigfit.periodograms.resolve_method`), takes the band from the one band rule
(:func:`sigfit.grid.default_band`; the wavelet's from :func:`sigfit.wavelet.band`), cuts an
automatic band the search cannot afford (:data:`AUTO_ZOOM_BINS`), and builds the grid, or marks
it for the coarse-to-fine search (:mod:`sigfit.search`) when it is too large for one. The
:class:`SearchPlan` it returns is what :func:`sigfit.estimate` and :func:`sigfit.estimate_many`
search.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from . import periodograms as _pg
from ._numerics import KeptResults, content_digest
from ._validate import (
    Samples,
)
from .errors import InputError
from .grid import (
    MAX_GRID_SIZE,
    NEST_FACTOR,
    Band,
    FrequencyGrid,
    default_band,
    fft_grid,
    make_grid,
    truncate_band,
)
from .sampling import describe


@dataclass(frozen=True)
class SearchPlan:
    """Where and how to look: a resolved backend name, its frequency grid and the band's rule."""

    method: str
    grid: FrequencyGrid
    nyquist: float | None  # for evenly spaced samples, else None
    # the grid is too large to evaluate: search it coarse-to-fine (sigfit.search), same band
    coarse: bool = False
    exact_quantum: float | None = None  # the stamps are integer multiples of this (sigfit.search)
    # the stamps' own Nyquist frequency 1/(2q) (uniform, lattice or exact grid of stamps):
    # harmonics stay below it because above it they alias
    harmonic_nyquist: float | None = None
    band: Band | None = None  # what was searched and why (nested levels: sigfit.grid.default_band)
    trend_below: bool = False  # automatic fmin: a peak whose maximum lies below it is trend

    @property
    def levels(self) -> tuple[float, ...]:
        """Tops of the nested bands ``[grid.start, level]`` (one: the whole grid)."""
        if self.band is None or len(self.band.levels) < 2:
            return (self.grid.stop,)
        return tuple(min(x, self.grid.stop) for x in self.band.levels)


# Automatic bands stop where the search would cost more than this many coherent frequencies
# (coarse-to-fine zoom windows; ~16 bytes each while held): the nested bands below still run, and
# the rule says where the band was cut. A band the caller gives is searched up to MAX_ZOOM_BINS.
AUTO_ZOOM_BINS = 1 << 24


def _affordable(series: Samples, lo: float, hi: float, oversampling: float, max_grid_size: int,
                res) -> tuple[bool, int]:
    """Whether the automatic band ``[lo, hi]`` fits a full grid or a bounded coarse-to-fine
    search, and how many frequencies it would cost."""
    from .search import plan_coarse_to_fine as coarse_plan

    size = int(math.ceil(oversampling * (hi - lo) * series.span)) + 1
    if size <= max_grid_size:
        return True, size
    try:
        cp = coarse_plan(series.t, lo, hi, oversampling=oversampling, max_bins=max_grid_size,
                         resolution=res)
    except InputError:
        return False, size
    return cp.coherent_bins_bound <= AUTO_ZOOM_BINS, cp.coherent_bins_bound


# The plans of the last few stamps: a table's columns and a batch's series on shared stamps
# plan once (the clock's 1e5 stamps: ~0.1-0.17 s a column, the spectral window's alias check
# and the stamps' lattice); a plan depends on the stamps and the options, never on the values.
PLAN_MEMO_SIZE = 8
_PLAN_MEMO = KeptResults(PLAN_MEMO_SIZE)


def plan_search(
    series: Samples,
    method: str,
    *,
    fmin: float | None,
    fmax: float | None,
    oversampling: float,
    max_grid_size: int = MAX_GRID_SIZE,
) -> SearchPlan:
    """Resolve ``method`` from the sampling and build the grid of the band
    :func:`sigfit.grid.default_band` chooses (the caller's ``fmin``/``fmax`` where given). An
    automatic band whose search would pass the budget (:data:`AUTO_ZOOM_BINS`) is cut there
    before anything runs, and its rule says so. Kept for the last :data:`PLAN_MEMO_SIZE` stamps
    and options (the plan is immutable, the same whichever values come)."""
    arrays = (series.t, series.tau) + (() if series.dy is None else (series.dy,))
    key = (content_digest(*arrays), tuple(a.dtype.str for a in arrays), series.time_is_integer,
           series.time_resolution, method, fmin, fmax, float(oversampling), max_grid_size)
    plan = _PLAN_MEMO.get(key)
    if plan is None:
        plan = _plan_search(series, method, fmin=fmin, fmax=fmax, oversampling=oversampling,
                            max_grid_size=max_grid_size)
        _PLAN_MEMO.put(key, plan)
    return plan


def _plan_search(series: Samples, method: str, *, fmin, fmax, oversampling,
                 max_grid_size) -> SearchPlan:
    sampling = describe(series)
    dt, nyquist, res, quantum = sampling.uniform_step, sampling.nyquist, sampling.resolution, sampling.quantum
    weighted = series.dy is not None and np.ptp(series.dy) > 0
    name = _pg.resolve_method(method, uniform=dt is not None, weighted=weighted, fmax=fmax, nyquist=nyquist)
    coarse = False
    harmonic_nyquist = sampling.harmonic_nyquist
    if name == "wavelet":
        from .wavelet import band as wavelet_band  # its own default band (cone of influence)

        lo, hi = wavelet_band(series.tau, fmin, fmax, dt)
        band = Band(lo, hi, "the wavelet's band (cone of influence; nyquist of the mean step)")
        grid = make_grid(series.span, fmin=lo, fmax=hi, oversampling=oversampling, max_size=max_grid_size)
    else:
        band = default_band(series.tau, uniform_step=dt, quantum=quantum, fmin=fmin, fmax=fmax)
        if band.harmonic_limit is not None:
            # nearly uniform stamps (calendar months, quarters): a harmonic past the typical
            # step's Nyquist frequency is an alias of one below it, so the model's columns would
            # be nearly collinear and its amplitudes and errors meaningless
            harmonic_nyquist = min(band.harmonic_limit, harmonic_nyquist or math.inf)
        if name == "fft":
            # fmax=None: fft_grid's own top is the same Nyquist frequency, and its errors then
            # say that end was automatic (issue 14)
            grid = fft_grid(series.n, dt, fmin=band.fmin, fmax=fmax, oversampling=oversampling,
                            max_size=max_grid_size)
        else:
            _check_band(series.span, fmin, fmax, band.fmax, oversampling)
            if fmax is None:
                hi = band.fmax
                ok, cost = _affordable(series, band.fmin, hi, oversampling, max_grid_size, res)
                while not ok and hi > band.levels[0] * (1 + 1e-9):
                    below = [x for x in band.levels if x < hi * (1 - 1e-9)]
                    hi = below[-1] if below else band.levels[0]
                    ok, _ = _affordable(series, band.fmin, hi, oversampling, max_grid_size, res)
                while not ok and hi > band.fmin * NEST_FACTOR:
                    hi /= NEST_FACTOR
                    ok, _ = _affordable(series, band.fmin, hi, oversampling, max_grid_size, res)
                if hi < band.fmax:
                    band = truncate_band(band, hi, f"cut at {hi:.4g} by the search budget (up to "
                                         f"{band.fmax:.4g} needs {cost:,} frequencies): pass fmax "
                                         "to search higher")
            try:
                grid = make_grid(series.span, fmin=band.fmin, fmax=band.fmax, oversampling=oversampling,
                                 max_size=max_grid_size)
            except InputError:
                # too many bins for one grid: the coarse-to-fine search covers the same band at the
                # same resolution with memory bounded by max_grid_size (sigfit.search)
                grid = make_grid(series.span, fmin=band.fmin, fmax=band.fmax, oversampling=oversampling,
                                 max_size=math.inf)
                coarse = True
    return SearchPlan(method=name, grid=grid, nyquist=nyquist, coarse=coarse,
                      harmonic_nyquist=harmonic_nyquist,
                      exact_quantum=None if res is None else res.quantum, band=band,
                      trend_below=fmin is None and name != "wavelet")


def _check_band(span: float, fmin, fmax, top: float, oversampling: float) -> None:
    """An empty band where one end is automatic: say which end the user gave and which one
    sigfit chose (issue 14: errors never quote an automatic fmin/fmax as if it were given)."""
    step = 1.0 / (oversampling * span)
    if fmin is not None and fmax is None and fmin >= top:
        raise InputError(
            f"fmin = {fmin:g} is not below the highest frequency searched by default "
            f"({top:.6g}, half the sampling rate of these time stamps): pass a lower fmin, or an "
            "fmax above it"
        )
    if fmax is not None and (fmin is None or fmin <= 0) and fmax <= step:
        raise InputError(
            f"fmax = {fmax:g} is not above the lowest frequency searched by default "
            f"({step:.6g}, one grid step: 1/(oversampling x span)): pass a higher fmax, or a "
            "higher oversampling"
        )
