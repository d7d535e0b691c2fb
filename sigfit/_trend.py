"""The trend (part of :func:`sigfit.estimate`'s first stage): its polynomial degree chosen from
the data jointly with the periodic model by BIC (:func:`choose_degree`), and the refusal of an
explicit degree that would fit the samples exactly."""

from __future__ import annotations

import math

import numpy as np

from . import periodograms as _pg
from ._numerics import SUBSET_MIN_N, centred_cycles, normal_lstsq, subset_step, unit_normal_solve
from ._peaks import SELECTION_MAX_BINS, _finite_power, below_band, nested_peak
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


def _rival_tones(freq: np.ndarray, power: np.ndarray, f0: float, k: int, width: float,
                 top: np.ndarray | None = None) -> list[float]:
    """The frequencies of the ``k`` highest local maxima of ``power`` farther than ``width`` from
    ``f0`` and from each other: the next strongest tones, which a polynomial must not be allowed
    to absorb when the trend degree is chosen (a weekly cycle beside the daily one was read as a
    cubic trend). ``top``: the candidates, :func:`_top_maxima` of ``power`` (``power`` is then
    not read)."""
    if k <= 0 or freq.size < 3:
        return []
    if top is None:
        top = _top_maxima(power, rival_candidates(k))
    chosen = [f0]
    for i in top:
        f = float(freq[i])
        if all(abs(f - c) > width for c in chosen):
            chosen.append(f)
            if len(chosen) > k:
                break
    return chosen[1:]


def rival_candidates(k: int) -> int:
    """Local maxima :func:`_rival_tones` picks ``k`` distinct tones from."""
    return 64 * (k + 1)


def _top_maxima(power: np.ndarray, m: int, first: int = 1) -> np.ndarray:
    """Indices ``i >= first`` of the ``m`` highest interior local maxima of ``power``
    (``p[i] >= p[i-1]`` and ``p[i] > p[i+1]``), highest first. Read :data:`RIVAL_BLOCK`
    frequencies at a time, each block's ``m`` highest kept (the ``m`` highest of all are among
    them): a default band's 3e6 frequencies made grid-sized temporaries. Once ``m`` maxima are
    kept, the ``m``-th highest of them bounds the answer from below, and a block is first cut to
    its powers at or above it (one comparison; on a default band the rest of its blocks keep a
    few hundred frequencies of 65,536) before the maxima are looked for."""
    picks, count = [], 0
    floor = -np.inf  # the m-th highest kept maximum, once m are kept
    kept: list[float] = []
    for lo in range(max(1, first), power.size - 1, RIVAL_BLOCK):
        hi = min(lo + RIVAL_BLOCK, power.size - 1)
        if floor == -np.inf:
            mid = power[lo:hi]
            inner = np.flatnonzero((mid >= power[lo - 1:hi - 1]) & (mid > power[lo + 1:hi + 1])) + lo
        else:
            inner = np.flatnonzero(power[lo:hi] >= floor) + lo
            mid = power[inner]
            inner = inner[(mid >= power[inner - 1]) & (mid > power[inner + 1])]
        count += inner.size
        if inner.size > m:
            inner = inner[np.argpartition(power[inner], -m)[-m:]]
        picks.append(inner)
        kept.extend(power[inner].tolist())
        if len(kept) >= m:
            kept = sorted(kept, reverse=True)[:m]
            floor = kept[-1]
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
    find = _PeakReader(series, plan, freq, grid.start, grid.stop)
    if fft:
        powers = np.concatenate([power0[None], pgram(works[1:], grid)])

        def row(d: int) -> np.ndarray:
            return powers[d]

        def peaks(d: int) -> list[float]:
            return find(powers[d], d)
    else:
        n_low = min(grid.size, int(math.ceil(LOW_CYCLES / series.span / grid.step)) + 1)
        low = pgram(works[1:], FrequencyGrid(grid.start, grid.step, n_low)) if n_low >= 3 else None
        scaled = _ScaledRows(freq, power0, n_low if low is not None else 0, find)
        # one degree at a time in one buffer, and only where the scaled rows cannot answer: the
        # (degrees, grid) array of a default band (3e6 frequencies at N = 1e3) cost 100 MB and,
        # page-faulted in, 80 ms of an estimate
        buf = np.empty(0)
        top0 = float(np.max(power0))

        def row(d: int) -> np.ndarray:
            nonlocal buf
            if d == 0:
                return power0
            if buf.size != grid.size:
                buf = np.empty(grid.size)
            ratio = ref[0] / max(ref[d], 1e-300)
            np.multiply(power0, ratio, out=buf)
            if not top0 * ratio < 1.0:  # (rounding is monotone: else no power reaches 1)
                np.minimum(buf, 1.0, out=buf)
            if low is not None:
                buf[:n_low] = low[d - 1]
            return buf

        def peaks(d: int) -> list[float]:
            # degree 0 itself at ratio 1 (its own powers, bit for bit); NaN or a clip: built
            ratio = 1.0 if d == 0 else ref[0] / max(ref[d], 1e-300)
            if top0 * ratio < 1.0 or (d == 0 and math.isfinite(top0)):
                tones = scaled.peaks(ratio, None if low is None or d == 0 else low[d - 1], d)
                if tones is not None:
                    return tones
            return find(row(d), d)
    bics = _degree_bics(series, peaks, d_max + 1)
    n_tones = _n_tones(series.n)
    order = np.argsort(bics)
    best = int(order[0])
    margin = float(bics[int(order[1])] - bics[best])
    fitted = f"{n_tones} strongest sinusoids" if n_tones > 1 else "strongest sinusoid"
    rule = (f"BIC over trend degrees 0..{d_max} fitted with the {fitted}: degree {best} "
            f"(next best, degree {int(order[1])}, by {margin:.1f})")
    reuse = own and (best == 0 or fft)
    return best, rule, (row(best) if reuse else None)


class _PeakReader:
    """The tones one trend degree is fitted with, read from its periodogram: the most significant
    peak over the nested bands (:func:`nested_peak`) and the next strongest distinct local maxima
    (:func:`_rival_tones`, :data:`TREND_TONES`, one per 30 samples)."""

    def __init__(self, series: Samples, plan: SearchPlan, freq: np.ndarray, start: float,
                 stop: float):
        self.n = series.n
        self.baseline = effective_baseline(series.tau, series.weights)
        self.levels = tuple(min(x, stop) for x in plan.levels)
        self.start, self.freq, self.trend_below = start, freq, plan.trend_below
        self.n_rivals = _n_tones(series.n) - 1

    def main(self, freq: np.ndarray, power: np.ndarray, d: int) -> float:
        f0, _, _ = nested_peak(freq, power, self.levels, self.start, self.n, self.baseline, d + 1,
                               trend_below=self.trend_below)
        return f0

    def rivals(self, f0: float, power: np.ndarray, top: np.ndarray | None = None) -> list[float]:
        return _rival_tones(self.freq, power, f0, self.n_rivals, 1.0 / self.baseline, top)

    def __call__(self, power: np.ndarray, d: int) -> list[float]:
        f0 = self.main(self.freq, power, d)
        return [f0, *self.rivals(f0, power)]


class _ScaledRows:
    """The tones of each trend degree without its periodogram built.

    Above its first ``n_low`` frequencies degree ``d``'s periodogram is degree 0's times a ratio
    of residual sums of squares (:func:`choose_degree`; 1 for degree 0), below them its own. A
    positive factor keeps the order of the powers, so the scaled part's candidates are read from
    degree 0's once:
    each nested band's piece's highest power (and its two neighbours, for the parabola), and its
    highest local maxima; the low part and its two scaled neighbours (the head) are read in full.
    :func:`nested_peak` then runs on those few frequencies, with the same numbers as on the built
    row (to rounding ties between powers one ulp apart). Three whole-grid passes per degree (the
    product, the peak, the maxima: ~20 ms on a default band of 1000 samples) become two in all,
    at the start."""

    def __init__(self, freq: np.ndarray, power0: np.ndarray, n_low: int, find: _PeakReader):
        size = power0.size
        self.power0, self.n_low, self.find = power0, n_low, find
        self.head = min(size, n_low + 2)
        ends = np.searchsorted(freq, np.asarray(find.levels, dtype=np.float64) * (1 + 1e-12),
                               side="right")
        keep, lo = [np.arange(self.head)], self.head
        for end in sorted({int(e) for e in ends} | {size}):
            if end > lo:
                i = lo + int(np.argmax(power0[lo:end]))
                keep.append(np.arange(max(i - 1, 0), min(i + 2, size)))
                lo = end
        self.subset = np.unique(np.concatenate(keep))
        self.freq_sub = freq[self.subset]
        self.tail = self.subset[self.head:]  # (subset[:head] is arange(head))
        self.top_hi = _top_maxima(power0, rival_candidates(find.n_rivals), first=n_low + 1) \
            if find.n_rivals > 0 else np.empty(0, dtype=np.int64)

    def peaks(self, ratio: float, low: np.ndarray | None, d: int) -> list[float] | None:
        """Degree ``d``'s tones, its low part ``low`` (None: degree 0's, scaled; degree 0 is
        ``ratio = 1``), or None where the head cannot decide (a trend-below tail running past it:
        the built row's turn)."""
        p0 = self.power0
        head = p0[:self.head] * ratio
        if low is not None:
            head[:self.n_low] = low
        if self.find.trend_below and below_band(head) >= head.size:
            return None
        sub = np.concatenate([head, p0[self.tail] * ratio])
        f0 = self.find.main(self.freq_sub, sub, d)
        if self.find.n_rivals <= 0:
            return [f0]
        m = rival_candidates(self.find.n_rivals)
        near = _top_maxima(head, m)
        cand = np.concatenate([near, self.top_hi])
        vals = np.concatenate([head[near], p0[self.top_hi] * ratio])
        top = cand[np.argsort(vals, kind="stable")[::-1][:m]]
        return [f0, *self.find.rivals(f0, None, top)]


# _degree_bics reads each degree's residual sum of squares from one Gram matrix of every column;
# below this fraction of the values' sum of squares (the model explains all but 1e-6 of them) the
# subtraction has lost too many digits, and that degree is fitted on its own columns
GRAM_RSS_MIN = 1e-6


def _degree_bics(series: Samples, peaks, n_degrees: int) -> list[float]:
    """BIC of each trend degree ``d < n_degrees``: the polynomial and the tones ``peaks(d)``
    (the most significant peak of that degree's periodogram and the next strongest distinct
    ones, :class:`_PeakReader`) fitted together by linear least squares.

    Every degree's columns are among the same few (the powers of ``u`` up to the highest degree,
    a sine and a cosine per distinct tone: the degrees mostly share their peaks), so one Gram
    matrix of them all, one matrix product over the samples, gives each degree's residual sum of
    squares as ``y'y - b' G^-1 b`` on its own rows and columns (unit-norm columns, as
    :func:`sigfit._numerics.normal_lstsq`). Where that system is ill-conditioned or the model
    leaves under :data:`GRAM_RSS_MIN` of ``y'y`` (the subtraction's digits), the degree is fitted
    on its own columns."""
    tau, dy, n = series.tau, series.dy, series.n
    u = tau / float(np.max(np.abs(tau)))
    sw = None if dy is None else 1.0 / dy
    yy = series.y if sw is None else series.y * sw
    tones = [list(peaks(d)) for d in range(n_degrees)]
    freqs = list(dict.fromkeys(f for ts in tones for f in ts))
    x = np.empty((n, n_degrees + 2 * len(freqs)), order="F")
    x[:, 0] = 1.0
    for j in range(1, n_degrees):
        np.multiply(x[:, j - 1], u, out=x[:, j])
    for i, f in enumerate(freqs):
        ph = 2.0 * math.pi * centred_cycles(f, tau)
        np.sin(ph, out=x[:, n_degrees + 2 * i])
        np.cos(ph, out=x[:, n_degrees + 2 * i + 1])
    if sw is not None:
        x *= sw[:, None]
    gram, xty, yty = x.T @ x, x.T @ yy, float(yy @ yy)
    bics = []
    for d in range(n_degrees):
        cols = list(range(d + 1))
        for f in tones[d]:
            i = n_degrees + 2 * freqs.index(f)
            cols += [i, i + 1]
        rss = _gram_rss(gram[np.ix_(cols, cols)], xty[cols], yty)
        if rss is None or not rss > GRAM_RSS_MIN * yty:
            xd = x[:, cols]
            rss = float(np.sum((yy - xd @ normal_lstsq(xd, yy)) ** 2))
        rss = max(rss, 1e-300)
        k = d + 1 + 3 * len(tones[d])
        bics.append((rss if sw is not None else n * math.log(rss / n)) + k * math.log(n))
    return bics


def _gram_rss(g: np.ndarray, b: np.ndarray, c: float) -> float | None:
    """``c - b' g^-1 b`` (the residual sum of squares of least squares with Gram matrix ``g``,
    ``X'y = b``, ``y'y = c``) on unit-norm columns; None where the columns are (nearly)
    dependent (condition above :data:`sigfit._numerics.NORMAL_COND_MAX`)."""
    d = np.sqrt(np.diag(g))
    if not np.all(d > 0):
        return None
    bs = b / d
    coef = unit_normal_solve(g / d[:, None] / d[None, :], bs)
    return None if coef is None else float(c - bs @ coef)


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
