"""The trend (part of :func:`sigfit.estimate`'s first stage): its polynomial degree chosen from
the data jointly with the periodic model by BIC (:func:`choose_degree`), and the refusal of an
explicit degree that would fit the samples exactly."""

from __future__ import annotations

import math

import numpy as np

from . import periodograms as _pg
from ._numerics import SUBSET_MIN_N, centred_cycles, normal_lstsq, subset_step
from ._peaks import SELECTION_MAX_BINS, _finite_power, nested_peak
from ._validate import (
    Samples,
)
from .errors import InputError
from .grid import (
    FrequencyGrid,
)
from .harmonics import (
    fit_trend,
    n_params,
)
from .plan import SearchPlan
from .significance import effective_baseline

# detrend="auto": degrees 0..AUTO_MAX_DEGREE are compared (a cubic spans the slow variation that
# the default fmin, MIN_CYCLES cycles in the record, leaves out of the periodic model)
AUTO_MAX_DEGREE = 3
LOW_CYCLES = 32.0  # removing a trend changes the periodogram below this many cycles per span
ALIAS_WINDOW = 0.25  # spectral-window power at which a rival peak counts as an alias
ALIAS_MARGIN_SIGMA = 2.0  # near-equal: chi-square reductions within this many sd


def auto_degrees(n: int, n_components: int = 1) -> int:
    """The highest trend degree ``detrend="auto"`` compares for ``n`` samples (room for the
    polynomial, the components and a few degrees of freedom), at most :data:`AUTO_MAX_DEGREE`."""
    return int(max(0, min(AUTO_MAX_DEGREE, n - 8, n - n_params(n_components, 0) - 2)))


def _selection_grid(series: Samples, plan: SearchPlan) -> tuple[FrequencyGrid, slice]:
    """The grid and samples :func:`choose_degree` uses: the plan's own grid (then its periodogram
    is the first search's), or for a coarse-to-fine plan its band's first
    :data:`SELECTION_MAX_BINS` frequencies; every m-th sample when there are many."""
    sub = slice(None)
    if series.n >= SUBSET_MIN_N:
        sub = slice(0, series.n, subset_step(series.n))
    grid = plan.grid
    if plan.coarse:
        top = min(grid.stop, grid.start + SELECTION_MAX_BINS * grid.step)
        grid = FrequencyGrid(start=grid.start, step=(top - grid.start) / (SELECTION_MAX_BINS - 1),
                             size=SELECTION_MAX_BINS)
    return grid, sub


def selection_values(series: Samples, max_degree: int) -> np.ndarray:
    """The values with each candidate trend (degrees 0..max_degree) removed: what the
    periodogram sees for each degree, one row each."""
    t_scale = float(np.max(np.abs(series.tau)))
    rows = []
    for d in range(max_degree + 1):
        coef = fit_trend(series.tau, series.y, series.dy, d, t_scale)
        rows.append(series.y - np.polynomial.polynomial.polyval(series.tau / t_scale, coef))
    return np.stack(rows)


TREND_TONES = 3  # the trend degree is chosen beside up to this many of the strongest tones
SAMPLES_PER_PARAMETER = 10  # ... one for every 3 * this many samples
RIVAL_BLOCK = 1 << 16  # _rival_tones reads the periodogram this many frequencies at a time


def _rival_tones(freq: np.ndarray, power: np.ndarray, f0: float, k: int, width: float) -> list[float]:
    """The frequencies of the ``k`` highest local maxima of ``power`` farther than ``width`` from
    ``f0`` and from each other: the next strongest tones, which a polynomial must not be allowed
    to absorb when the trend degree is chosen (a weekly cycle beside the daily one was read as a
    cubic trend)."""
    if k <= 0 or power.size < 3:
        return []
    top = _top_maxima(power, 64 * (k + 1))
    chosen = [f0]
    for i in top:
        f = float(freq[i])
        if all(abs(f - c) > width for c in chosen):
            chosen.append(f)
            if len(chosen) > k:
                break
    return chosen[1:]


def _top_maxima(power: np.ndarray, m: int) -> np.ndarray:
    """Indices of the ``m`` highest interior local maxima of ``power`` (``p[i] >= p[i-1]`` and
    ``p[i] > p[i+1]``), highest first. Read :data:`RIVAL_BLOCK` frequencies at a time, each
    block's ``m`` highest kept (the ``m`` highest of all are among them): a default band's 3e6
    frequencies made grid-sized temporaries."""
    picks, count = [], 0
    for lo in range(1, power.size - 1, RIVAL_BLOCK):
        hi = min(lo + RIVAL_BLOCK, power.size - 1)
        mid = power[lo:hi]
        inner = np.flatnonzero((mid >= power[lo - 1:hi - 1]) & (mid > power[lo + 1:hi + 1])) + lo
        count += inner.size
        if inner.size > m:
            inner = inner[np.argpartition(power[inner], -m)[-m:]]
        picks.append(inner)
    if count == 0:
        return np.empty(0, dtype=np.int64)
    inner = np.concatenate(picks)
    m = min(count, m)
    top = inner[np.argpartition(power[inner], -m)[-m:]]
    return top[np.argsort(power[top])[::-1]]


def choose_degree(series: Samples, plan: SearchPlan, *, max_degree: int | None = None,
                  first_power: np.ndarray | None = None) -> tuple[int, str, np.ndarray | None]:
    """The trend degree for ``detrend="auto"``, chosen jointly with the periodic model.

    For each degree ``d = 0..D`` the values with a degree-``d`` polynomial removed get the
    plan's periodogram; its most significant peak (nested bands: :func:`nested_peak`), the next
    strongest distinct peaks (up to :data:`TREND_TONES` tones, one per 30 samples: a second
    cycle left out of the model would be absorbed by the polynomial, as a weekly cycle beside
    the daily one was read as a cubic trend) and the polynomial are then fitted together by
    linear least squares, and the Bayesian information criterion ``n ln(RSS/n) + k ln n``
    (``chi2 + k ln n`` with ``dy``; Schwarz 1978, Ann. Stat. 6, 461) with
    ``k = d + 1 + 3 * tones`` parameters picks ``d``. A trend is thus kept only when it explains
    more than it costs, and a period is not traded for a polynomial unless the polynomial does
    better.

    Cost: one periodogram (degree 0, the first search's own when that degree wins) plus, for the
    higher degrees, periodograms below :data:`LOW_CYCLES` cycles per span only: removing a
    polynomial changes the periodogram there, and above it only rescales it by the ratio of the
    residual sums of squares (a slow polynomial is orthogonal to fast sinusoids).

    Returns ``(degree, rule, power)``: ``power`` is the chosen degree's periodogram on the plan's
    grid when it was computed there (the first search then reuses it), else None.
    ``first_power`` is degree 0's periodogram on the plan's grid, computed elsewhere
    (:func:`sigfit.estimate_many` batches it over series sharing their stamps).
    """
    d_max = auto_degrees(series.n) if max_degree is None else int(max_degree)
    if d_max == 0:
        return 0, f"{series.n} samples: too few to compare trend degrees", None
    grid, sub = _selection_grid(series, plan)
    own = grid is plan.grid and sub == slice(None)
    dy = series.dy
    works = selection_values(series, d_max)
    fft = plan.method == "fft" and own

    def pgram(rows, g):
        if fft:
            return np.stack([_pg.compute("fft", series.tau, w, None, g) for w in rows])
        dsub = None if dy is None else np.broadcast_to(dy[sub], rows[:, sub].shape)
        out = _pg.lombscargle.power(series.tau[sub], rows[:, sub], dsub, g, accuracy="grid")
        return _finite_power(np.asarray(out, dtype=np.float64).reshape(len(rows), g.size))

    if first_power is not None:
        if not own or np.shape(first_power) != (grid.size,):
            raise InputError(
                f"first_power has shape {np.shape(first_power)}, the grid has {plan.grid.size} "
                "frequencies: compute it on this call's grid (with detrend='auto', from the values "
                "less their mean)"
            )
        power0 = np.asarray(first_power, dtype=np.float64)
    else:
        power0 = pgram(works[:1], grid)[0]
    freq = grid.frequency()
    w = np.ones(series.n) if dy is None else 1.0 / dy**2
    ref = [float(np.sum(w * (r - np.average(r, weights=w)) ** 2)) for r in works]
    if fft:
        powers = np.concatenate([power0[None], pgram(works[1:], grid)])

        def row(d: int) -> np.ndarray:
            return powers[d]
    else:
        n_low = min(grid.size, int(math.ceil(LOW_CYCLES / series.span / grid.step)) + 1)
        low = pgram(works[1:], FrequencyGrid(grid.start, grid.step, n_low)) if n_low >= 3 else None
        # one degree at a time in one buffer: the (degrees, grid) array of a default band (3e6
        # frequencies at N = 1e3) cost 100 MB and, page-faulted in, 80 ms of an estimate
        buf = np.empty(grid.size)
        top0 = float(np.max(power0))

        def row(d: int) -> np.ndarray:
            if d == 0:
                return power0
            ratio = ref[0] / max(ref[d], 1e-300)
            np.multiply(power0, ratio, out=buf)
            if not top0 * ratio < 1.0:  # (rounding is monotone: else no power reaches 1)
                np.minimum(buf, 1.0, out=buf)
            if low is not None:
                buf[:n_low] = low[d - 1]
            return buf
    bics = _degree_bics(series, plan, freq, row, d_max + 1, grid.start, grid.stop)
    n_tones = _n_tones(series.n)
    order = np.argsort(bics)
    best = int(order[0])
    margin = float(bics[int(order[1])] - bics[best])
    fitted = f"{n_tones} strongest sinusoids" if n_tones > 1 else "strongest sinusoid"
    rule = (f"BIC over trend degrees 0..{d_max} fitted with the {fitted}: degree {best} "
            f"(next best, degree {int(order[1])}, by {margin:.1f})")
    reuse = own and (best == 0 or fft)
    return best, rule, (row(best) if reuse else None)


def _degree_bics(series: Samples, plan: SearchPlan, freq, row, n_degrees: int, start: float,
                 stop: float) -> list[float]:
    """BIC of each trend degree ``d < n_degrees`` (``row(d)``, the periodogram with that degree
    removed, used before the next row is asked for): the polynomial, the most significant peak
    and the next strongest distinct ones (:data:`TREND_TONES`, one per 30 samples) fitted
    together by linear least squares.

    The tones' columns are built once per frequency (the degrees mostly share their peaks), and
    the least squares are :func:`sigfit._numerics.normal_lstsq` (P <= 10 columns of up to
    millions of rows, where ``lstsq``'s SVD cost 4x more)."""
    tau, dy, n = series.tau, series.dy, series.n
    u = tau / float(np.max(np.abs(tau)))
    sw = None if dy is None else 1.0 / dy
    baseline = effective_baseline(tau, series.weights)
    levels = tuple(min(x, stop) for x in plan.levels)
    n_tones = _n_tones(n)
    columns: dict[float, tuple[np.ndarray, np.ndarray]] = {}
    yy = series.y if sw is None else series.y * sw
    bics = []
    for d in range(n_degrees):
        power = row(d)
        f0, _, _ = nested_peak(freq, power, levels, start, n, baseline, d + 1,
                               trend_below=plan.trend_below)
        tones = []
        for f in (f0, *_rival_tones(freq, power, f0, n_tones - 1, 1.0 / baseline)):
            if f not in columns:
                ph = 2.0 * math.pi * centred_cycles(f, tau)
                columns[f] = (np.sin(ph), np.cos(ph))
            tones += columns[f]
        x = np.stack([u**j for j in range(d + 1)] + tones, axis=1)
        if sw is not None:
            x = x * sw[:, None]
        rss = max(float(np.sum((yy - x @ normal_lstsq(x, yy)) ** 2)), 1e-300)
        k = d + 1 + 3 * (len(tones) // 2)
        bics.append((rss if sw is not None else n * math.log(rss / n)) + k * math.log(n))
    return bics


def _n_tones(n: int) -> int:
    """Sinusoids fitted beside each trend degree. A tone costs three parameters: with few samples
    the extra tones would fit the noise (and BIC, an asymptotic criterion, would not see it), so
    they come in one per 30 samples, up to :data:`TREND_TONES`."""
    return max(1, min(TREND_TONES, n // (3 * SAMPLES_PER_PARAMETER)))


# A residual after the trend within this many ulps of the values' magnitude is round-off
EXACT_TREND_ULPS = 1024


def refuse_exact_trend(series: Samples, degree: int) -> None:
    """InputError when ``y`` is a polynomial of ``degree`` to round-off (an exact ramp with
    ``detrend='linear'``): its periodogram is that of rounding errors, whose peaks mean nothing
    (issue 13; :func:`sigfit.wavelet.scalogram` refuses the same way)."""
    t_scale = float(np.max(np.abs(series.tau)))
    coef = fit_trend(series.tau, series.y, series.dy, degree, t_scale)
    resid = series.y - np.polynomial.polynomial.polyval(series.tau / t_scale, coef)
    scale = float(np.max(np.abs(series.y)))
    if float(np.max(np.abs(resid))) <= EXACT_TREND_ULPS * np.finfo(np.float64).eps * scale:
        raise InputError(
            f"y is a polynomial of degree {degree} to round-off (nothing is left after the trend): "
            "there is no period to find; lower the detrend degree if the trend itself is the question"
        )
