"""Finding peaks (the second stage of :func:`sigfit.estimate`): the highest peak of the plan's
periodogram (full grid, coarse-to-fine, or an even subset of many samples when its peak is
decisive), refined by a parabola, and the nested-band rule that says in which band a peak won.
Every search sits behind one interface (:func:`peak_finder`: :class:`GridPeaks`,
:class:`GivenPeaks`, the wavelet's :class:`sigfit.wavelet.WaveletSearch`)."""

from __future__ import annotations

import math

import numpy as np

from . import periodograms as _pg
from ._numerics import (
    SUBSET_MIN_N,
    _ascending,
    argmax_away,
    overwhelming,
    parabolic_vertex,
    pick_peak,
    subset_step,
)
from ._validate import (
    Samples,
)
from .errors import InputError
from .grid import (
    MAX_GRID_SIZE,
    FrequencyGrid,
)
from .plan import SearchPlan
from .results import Periodogram
from .significance import _gamma


def _log_fap(power: float, n: int, bandwidth: float, baseline: float, n_null: int) -> float:
    """log of Baluev's false-alarm probability (:func:`sigfit.significance.false_alarm_probability`),
    kept finite far into the tail so that nested bands can be ranked when both are ~0."""
    z = min(max(float(power), 0.0), 1.0)
    n_h = n - n_null
    n_k = n_h - 2
    if n_k <= 1 or z <= 0.0 or bandwidth <= 0.0:
        return 0.0
    if z >= 1.0:
        return -math.inf
    log1mz = math.log1p(-z)
    log_tau = math.log(_gamma(n_h) * bandwidth * baseline * math.sqrt(0.5 * n_h * z)) + 0.5 * (n_k - 1) * log1mz
    log_single = 0.5 * n_k * log1mz
    tau = math.exp(min(log_tau, 700.0))
    fap = -math.expm1(-tau) + math.exp(log_single - tau)
    if fap > 1e-300:
        return math.log(min(fap, 1.0))
    return float(np.logaddexp(log_tau, log_single))


def below_band(power: np.ndarray) -> int:
    """How many frequencies at the bottom of a periodogram only fall away from its lower edge:
    a peak there has its maximum below the band (the automatic ``fmin``: slower variation is
    trend, :data:`sigfit.grid.MIN_CYCLES`), so it is no period in the band."""
    p = np.asarray(power)
    if p.size < 2 or not p[1] <= p[0]:
        return 0
    # the first rise, in blocks growing 4x: it is near the bottom, and a whole-grid pass (3e6
    # frequencies in a default band) cost more than the rest of the nested-band rule
    start, block = 0, 256
    while start < p.size - 1:
        stop = min(p.size, start + block + 1)
        rising = np.flatnonzero(p[start + 1:stop] > p[start:stop - 1])
        if rising.size:
            return start + int(rising[0]) + 1
        start, block = stop - 1, 4 * block
    return p.size


def nested_peak(frequency: np.ndarray, power: np.ndarray, levels, start: float, n: int,
                baseline: float, n_null: int, *, interpolate: bool = True,
                trend_below: bool = False) -> tuple[float, float, float]:
    """The most significant peak over nested bands ``[start, level]``: each band's highest
    power is judged by the false-alarm probability of its own width (its own look-elsewhere
    cost), never by raw power, and the lowest false-alarm probability wins
    (:func:`sigfit.grid.default_band`). With ``trend_below``, the tail of a peak whose maximum
    lies below the band (:func:`below_band`) is no candidate. Returns
    ``(frequency, power, bandwidth)``."""
    frequency, power = np.asarray(frequency), np.asarray(power)
    k = below_band(power) if trend_below else 0
    k = k if 0 < k < power.size else 0
    if power.ndim == 1 and _ascending(frequency):
        try:
            return _nested_prefix_peak(frequency, power, levels, start, n, baseline, n_null, k,
                                       interpolate)
        except _NaNPower:
            pass
    if k:
        power = np.asarray(power, dtype=np.float64).copy()
        power[:k] = 0.0
    best = None
    for top, m, z in _level_maxima(frequency, power, levels):
        score = _log_fap(z, n, top - start, baseline, n_null)
        if best is None or score < best[0]:
            best = (score, top, m, z)
    if best is None:
        i = int(np.argmax(power))
        return float(frequency[i]), float(power[i]), float(levels[-1] - start)
    _, top, m, z = best
    f, p = frequency[m], power[m]
    f0 = pick_peak(f, p) if interpolate else float(f[int(np.argmax(p))])
    return f0, z, float(top - start)


class _NaNPower(ValueError):
    """A NaN in a periodogram: :func:`nested_peak` takes the masks' path, whose NaN rules are
    numpy's."""


def _zeroed_argmax(power: np.ndarray, a: int, b: int, k: int) -> tuple[float, int]:
    """The highest value of ``power[a:b]`` and its first index, with ``power[:k]`` read as 0
    (the tail of a peak below the band, :func:`below_band`) and without a copy."""
    best_v, best_i = None, -1
    if a < min(k, b):
        best_v, best_i = 0.0, a
    lo = max(a, k)
    if lo < b:
        j = lo + int(np.argmax(power[lo:b]))
        v = float(power[j])
        if v != v:
            raise _NaNPower
        if best_v is None or v > best_v:
            best_v, best_i = v, j
    return best_v, best_i


def _nested_prefix_peak(frequency, power, levels, start, n, baseline, n_null, k, interpolate):
    """:func:`nested_peak` on an ascending grid: each band a prefix found by bisection, its
    highest power and first argmax the running best of the pieces between levels, the first
    ``k`` powers read as 0, and the winner's parabola through its three points. The masks'
    numbers exactly (one argmax pass in all; before, a copy, a whole-grid pass for the tail below
    the band and another for the winner's argmax)."""
    ends = np.searchsorted(frequency, np.asarray(levels, dtype=np.float64) * (1 + 1e-12), side="right")
    best = None
    done, z, zi = 0, None, -1
    for top, end in zip(levels, ends.tolist(), strict=True):
        if end <= 0:
            continue
        if end < done:  # levels out of order: this band on its own
            v, i = _zeroed_argmax(power, 0, end, k)
        else:
            if end > done:
                v, i = _zeroed_argmax(power, done, end, k)
                if z is None or v > z:
                    z, zi = v, i
                done = end
            v, i = z, zi
        score = _log_fap(v, n, top - start, baseline, n_null)
        if best is None or score < best[0]:
            best = (score, top, end, v, i)
    if best is None:
        _, i = _zeroed_argmax(power, 0, power.size, k)
        return float(frequency[i]), float(power[i]) if i >= k else 0.0, float(levels[-1] - start)
    _, top, end, z, i = best
    if interpolate and 0 < i < end - 1:
        zero = power.dtype.type(0)
        p3 = [zero if j < k else power[j] for j in (i - 1, i, i + 1)]
        dx, _ = parabolic_vertex(*frequency[i - 1:i + 2], *p3)
        return float(frequency[i] + dx), z, float(top - start)
    return float(frequency[i]), z, float(top - start)


def _level_maxima(frequency: np.ndarray, power: np.ndarray, levels):
    """``(top, mask, highest power)`` of each nested band ``frequency <= top`` that holds a
    frequency: the nested bands' definition, for grids that are not ascending (a coarse plan's
    pieces) and powers with NaN (numpy's rules); ascending grids take
    :func:`_nested_prefix_peak`."""
    for top in levels:
        m = frequency <= top * (1 + 1e-12)
        if np.any(m):
            yield top, m, float(np.max(power[m]))


SELECTION_MAX_BINS = 1 << 20  # the degree is chosen on at most this many frequencies


# Plenty of samples (sigfit._numerics.SUBSET_MIN_N): the peak search first runs on an even subset
# (sigfit._numerics' subset rule). Its answer stands when the highest peak is overwhelming there
# and no other peak could overtake it with all samples; otherwise the full periodogram decides.
# The least squares always use every sample.
# The runner-up (outside the peak's main lobe) must trail by this many standard deviations of the
# two peaks' chi-square reductions, so that all samples could not reverse their order
SEARCH_SUBSET_MARGIN_SIGMA = 6.0


def subset_peak_is_decisive(frequency: np.ndarray, power: np.ndarray, n: int, span: float) -> bool:
    """Whether the highest peak of a periodogram from ``n`` samples is overwhelming and unambiguous.

    The chi-square reduction of a peak of standard power ``z`` is ``q = (n - 3) z / (1 - z)``; for a
    tone it is non-central chi-square with 2 degrees of freedom, standard deviation about
    ``2 sqrt(q + 1)``. The peak must be overwhelming (:func:`sigfit._numerics.overwhelming`) and beat the highest
    power farther than ``1.5/span`` from it (its main lobe) by :data:`SEARCH_SUBSET_MARGIN_SIGMA`
    standard deviations of the difference.
    """
    i = int(np.argmax(power))
    z1 = min(max(float(power[i]), 0.0), 1.0 - 1e-16)
    if not overwhelming(z1, n):
        return False
    j = argmax_away(frequency, power, frequency[i], 1.5 / span)
    if j < 0:
        return True
    z2 = min(max(float(power[j]), 0.0), 1.0 - 1e-16)
    q1, q2 = (n - 3) * z1 / (1 - z1), (n - 3) * z2 / (1 - z2)
    sd = 2.0 * (math.sqrt(q1 + 1.0) + math.sqrt(q2 + 1.0))
    return q1 - q2 > SEARCH_SUBSET_MARGIN_SIGMA * sd


def find_peak(series: Samples, values: np.ndarray, dy: np.ndarray | None, plan: SearchPlan,
              max_grid_size: int = MAX_GRID_SIZE):
    """Periodogram of ``values`` on the plan's grid and its highest peak: (frequency, Periodogram).
    A coarse plan returns the coherent pieces the search evaluated (not uniform). With at least
    :data:`sigfit._numerics.SUBSET_MIN_N` irregular samples the periodogram of an even subset answers when
    its peak is decisive (:func:`subset_peak_is_decisive`); ``Periodogram.method`` then says so."""
    if plan.coarse:
        from .search import search

        # the stamps themselves (not tau): an exact grid of stamps makes the lags exact integers
        r = search(series.t, values, dy, fmin=plan.grid.start, fmax=plan.grid.stop,
                   oversampling=1.0 / (plan.grid.step * series.span), max_bins=max_grid_size)
        freq, power = r.frequency, _finite_power(r.power)
        # nested bands low enough for a small full grid are evaluated whole: the coarse stage's
        # candidates are the band's strongest peaks, not necessarily each nested band's
        exact = [x for x in plan.levels[:-1]
                 if (x - plan.grid.start) / plan.grid.step + 1 <= SELECTION_MAX_BINS]
        if exact:
            size = int(math.floor((exact[-1] - plan.grid.start) / plan.grid.step)) + 1
            if size >= 3:
                low = FrequencyGrid(plan.grid.start, plan.grid.step, size)
                low_power = _finite_power(_pg.lombscargle.power(series.tau, values, dy, low))
                keep = freq > low.stop
                freq = np.concatenate([low.frequency(), freq[keep]])
                power = np.concatenate([low_power, power[keep]])
        return float(freq[int(np.argmax(power))]), Periodogram(
            freq, power, normalization="standard", method=plan.method + " (coarse-to-fine)")
    freq = plan.grid.frequency()
    if plan.method == "lombscargle" and series.n >= SUBSET_MIN_N:
        step = subset_step(series.n)
        sub = slice(0, series.n, step)  # tau is sorted: an even cover of the span
        power = _pg.lombscargle.power(series.tau[sub], values[sub], None if dy is None else dy[sub],
                                      plan.grid, accuracy="subset")
        n_sub = -(-series.n // step)
        if subset_peak_is_decisive(freq, power, n_sub, series.span):
            pgram = Periodogram(freq, power, normalization="standard",
                                method=f"{plan.method} (one sample in {step}: {n_sub} of {series.n})")
            return pick_peak(freq, power, pgram.peak_index), pgram
    power = _finite_power(_pg.compute(plan.method, series.tau, values, dy, plan.grid, search=True))
    pgram = Periodogram(freq, power, normalization="standard", method=plan.method)
    return pick_peak(freq, power, pgram.peak_index), pgram


def _finite_power(power: np.ndarray) -> np.ndarray:
    """Standard power in [0, 1]: a frequency where the floating-mean fit is singular (a few
    samples over a huge span make its normal equations degenerate) gives inf or NaN, which is
    no evidence of a tone; it counts as 0."""
    power = np.asarray(power, dtype=np.float64)
    if np.all(np.isfinite(power)):
        return power
    return np.where(np.isfinite(power), np.clip(power, 0.0, 1.0), 0.0)


# The peak-finder interface: every way of finding the next peak, behind one call. A finder has
#   find_peak(series, values, dy, plan) -> (frequency, Periodogram)
#   standard: bool   True when the Periodogram holds standard-normalised least-squares power (the
#                    nested bands, the background's choice and the peak's own power apply to it)
#   finish(series, components, degree) -> dict   what the finder adds to the result (the
#                    wavelet's track and stationarity), {} for the others
# and the prewhitening loop of sigfit.estimate calls nothing else. A new search (a GPU grid, a
# PDM scan) is one more class with these three members, chosen in peak_finder below.
class GridPeaks:
    """The plan's periodogram (:func:`find_peak`): the full grid, an even subset at large N when
    its peak is decisive, or coarse-to-fine when the grid is too large for memory."""

    standard = True

    def __init__(self, max_grid_size: int = MAX_GRID_SIZE):
        self.max_grid_size = max_grid_size

    def find_peak(self, series: Samples, values, dy, plan: SearchPlan):
        return find_peak(series, values, dy, plan, self.max_grid_size)

    def finish(self, series, components, degree) -> dict:
        return {}


class GivenPeaks(GridPeaks):
    """The first search's periodogram given, computed elsewhere on the plan's grid
    (:func:`sigfit.estimate_many` computes it for many series sharing their stamps in one batched
    NUFFT call); later searches (the residuals') are :class:`GridPeaks`'."""

    def __init__(self, power, max_grid_size: int = MAX_GRID_SIZE):
        super().__init__(max_grid_size)
        self.power = power

    def find_peak(self, series: Samples, values, dy, plan: SearchPlan):
        if self.power is None:
            return super().find_peak(series, values, dy, plan)
        power, self.power = np.asarray(self.power, dtype=np.float64), None
        if power.shape != (plan.grid.size,):
            raise InputError(f"first_power has shape {power.shape}, the grid has {plan.grid.size} "
                             "frequencies: compute it on this call's grid")
        freq = plan.grid.frequency()
        pgram = Periodogram(freq, power, "standard", plan.method)
        return pick_peak(freq, power, pgram.peak_index), pgram


def peak_finder(plan: SearchPlan, *, first_power=None, max_grid_size: int = MAX_GRID_SIZE):
    """The finder for a plan: the wavelet's (method="wavelet"), the given first periodogram
    (``first_power``, not for a coarse plan, whose grid is never evaluated whole), or the grid's."""
    if plan.method == "wavelet":
        from .wavelet import WaveletSearch

        return WaveletSearch()
    if first_power is not None and not plan.coarse:
        return GivenPeaks(first_power, max_grid_size)
    return GridPeaks(max_grid_size)
