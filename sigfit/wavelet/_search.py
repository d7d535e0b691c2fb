"""The wavelet as a peak finder for ``sigfit.estimate(method="wavelet")``: the peak of the
time-averaged spectrum seeds the least squares, the strongest ridge becomes the result's track,
and the segment-homogeneity test says whether the frequency changed."""

from __future__ import annotations

import math

import numpy as np

from .._numerics import pick_peak
from ._families import DEFAULT_BANDWIDTH, DEFAULT_CENTER_FREQUENCY
from ._ridges import _vertex, ridges
from ._transform import Scalogram, scalogram

STATIONARITY_TEST = (
    "segment homogeneity: the record is cut into K equal-time segments of at least "
    "{cycles} cycles; in each, the dominant tone's frequency f_k is fitted by least squares "
    "(seeded from the scalogram over that segment) with its standard error s_k; under one "
    "frequency throughout, sum ((f_k - f_mean) / s_k)^2 ~ chi-square(K - 1), f_mean the "
    "inverse-variance mean; non-stationary when p < {level:g}"
)
LONG_RIDGE = 10.0  # e-folding times: a ridge this long is no noise (see WaveletSearch.finish)
SEGMENT_CYCLES = 8  # cycles per segment: enough for least squares to pin a frequency
MAX_SEGMENTS = 8
_DETECTED = 4.0  # a segment counts when its amplitude is at least this many standard errors
# frequencies that agree to this relative precision are equal as far as float64 refinement can
# tell; without a floor a noise-free tone's segments differ by ~1e-13 with errors ~1e-15
_RELATIVE_FLOOR = 1e-9


def global_peaks(sc: Scalogram) -> np.ndarray:
    """Frequencies of the local maxima of the time-averaged spectrum, strongest first, refined
    by a parabola in log power against scale (exact for a pure tone's Gaussian response)."""
    return _peaks(np.log(np.maximum(sc.global_spectrum(), np.finfo(float).tiny)), sc.frequency)


def _peaks(logp: np.ndarray, frequency: np.ndarray) -> np.ndarray:
    lp = np.where(np.isfinite(logp), logp, -np.inf)
    up = np.r_[-np.inf, lp[:-1]]
    down = np.r_[lp[1:], -np.inf]
    ks = np.flatnonzero((lp > up) & (lp >= down) & np.isfinite(lp))
    if ks.size == 0:
        return np.empty(0)
    f, val = _vertex(ks, 1.0 / frequency, lp)
    return f[np.argsort(-val)]


class WaveletSearch:
    """The wavelet path of :func:`sigfit.estimate`: the peak of the global (time-averaged)
    wavelet spectrum seeds the shared least-squares refinement, and the strongest ridge and a
    stationarity test are added to the result.

    A peak finder (:func:`sigfit._peaks.peak_finder`): ``find_peak``, ``standard`` and ``finish``,
    so the estimate loop (prewhitening, joint refinement, false-alarm probabilities) is the same
    for every method.
    """

    standard = False  # the global wavelet spectrum is no standard-normalised periodogram

    def __init__(self, bandwidth: float = DEFAULT_BANDWIDTH, center_frequency: float = DEFAULT_CENTER_FREQUENCY):
        self.bandwidth = bandwidth
        self.center_frequency = center_frequency
        self.first: Scalogram | None = None

    def scalogram(self, series, values, plan) -> Scalogram:
        return scalogram(
            series.tau,
            values,
            fmin=plan.grid.start,
            fmax=plan.grid.stop,
            bandwidth=self.bandwidth,
            center_frequency=self.center_frequency,
            background="red",
        )

    def find_peak(self, series, values, dy, plan):
        """(seed frequency, Periodogram): the strongest peak of the global wavelet spectrum of
        ``values``, sharpened on the plan's fine grid by the least-squares periodogram within
        the wavelet's frequency resolution (the wavelet alone places a long stationary tone to
        ~1e-3, coarser than the least-squares basin of a record of thousands of cycles)."""
        from .. import periodograms as _pg
        from ..grid import FrequencyGrid
        from ..results import Periodogram

        sc = self.scalogram(series, values, plan)
        if self.first is None:
            self.first = sc
        peaks = global_peaks(sc)
        f_w = float(peaks[0]) if peaks.size else float(sc.frequency[np.nanargmax(sc.global_spectrum())])
        # +-2 standard deviations of the wavelet's frequency response
        half = 2.0 * f_w / (math.pi * self.center_frequency * math.sqrt(2.0 * self.bandwidth))
        lo = max(plan.grid.start, f_w - half)
        hi = min(plan.grid.stop, f_w + half)
        size = max(3, int(math.ceil((hi - lo) / plan.grid.step)) + 1)
        grid = FrequencyGrid(start=lo, step=(hi - lo) / (size - 1), size=size)
        power = _pg.compute("lombscargle", series.tau, values, dy, grid)
        f0 = pick_peak(grid.frequency(), power)
        pgram = Periodogram(sc.frequency, sc.global_spectrum(), normalization="wavelet", method="wavelet")
        return float(f0), pgram

    def finish(self, series, components, degree: int, level: float = 0.01) -> dict:
        """``track`` and ``stationarity`` for :class:`sigfit.EstimateResult`.

        Given when a component is significant, or, failing that, when the strongest ridge lasts
        at least :data:`LONG_RIDGE` e-folding times: a tone whose frequency sweeps far (a chirp
        over octaves) fits no constant tone, yet its ridge is plain. In white and AR(1) noise
        (2000 samples, 20 records) the longest ridge lasted 3.3 to 7.7 e-folding times.
        Otherwise (noise) both are left out."""
        from ..results import Track

        if self.first is None:
            return {}
        rdg = ridges(self.first)
        strongest = rdg[0] if rdg else None
        significant = any(c.significant for c in components)
        long_ridge = strongest is not None and strongest.duration >= LONG_RIDGE * float(
            np.median(self.first.e_folding_time(strongest.frequency))
        )
        if not (significant or long_ridge):
            return {}
        out = {}
        if strongest is not None:
            r = strongest.reliable()
            out["track"] = Track(time=r.time + series.t_ref, frequency=r.frequency, amplitude=r.amplitude)
        f = components[0].frequency if significant else strongest.mean_frequency
        out["stationarity"] = stationarity(series, self.first, f, degree=min(degree, 1), level=level)
        return out


def stationarity(series, sc: Scalogram, frequency: float, *, degree: int = 0, level: float = 0.01):
    """Has the dominant frequency changed over the record? See :data:`STATIONARITY_TEST`.

    Parameters
    ----------
    series : sigfit._validate.Samples
        Validated samples (centred times ``tau``, ``y``, ``dy``, ``t_ref``).
    sc : Scalogram
        Its scalogram, on ``series.tau``: seeds each segment.
    frequency : float
        The dominant tone's frequency over the whole record: sets the segment length.
    degree : int
        Polynomial trend fitted with each segment's tone (0: offset only).
    level : float
        Reject "one frequency throughout" when the p-value is below this.

    Returns
    -------
    sigfit.results.Stationarity
        ``stationary`` None (with a ``note``) when fewer than two segments hold a detectable tone.
    """
    from scipy.stats import chi2

    from ..harmonics import component_summary, fit_periodic
    from ..results import Stationarity

    test = STATIONARITY_TEST.format(cycles=SEGMENT_CYCLES, level=level)
    tau, y, dy = series.tau, series.y, series.dy
    span = float(tau[-1] - tau[0])
    n_seg = min(MAX_SEGMENTS, int(span * abs(frequency) // SEGMENT_CYCLES))
    if n_seg < 2:
        return Stationarity(
            None, None, None, 0, test, level,
            note=f"record too short: {span * abs(frequency):.3g} cycles, fewer than 2 segments of {SEGMENT_CYCLES}",
        )
    edges = np.linspace(tau[0], tau[-1], n_seg + 1)
    mids, freqs, errs = [], [], []
    for a, b in zip(edges[:-1], edges[1:], strict=True):
        inside = (tau >= a) & (tau <= b)
        cols = (sc.time >= a) & (sc.time <= b)
        if np.count_nonzero(inside) < 3 * (degree + 4) or not cols.any():
            continue
        with np.errstate(invalid="ignore"):
            logp = np.log(np.nanmean(np.where(cols[None, :], sc.power, np.nan), axis=1))
        seeds = _peaks(logp, sc.frequency)
        if seeds.size == 0:
            continue
        t_seg = tau[inside]
        mid = 0.5 * (a + b)
        # the errors of least squares under white noise (no sandwich): the segments are short
        fit = fit_periodic(t_seg - mid, y[inside], None if dy is None else dy[inside],
                           [float(seeds[0])], [1], degree=degree, max_shift=1.0 / (b - a),
                           robust=False)
        s = component_summary(fit, 0, 0.0)
        f, f_err = s["frequency"], s["frequency_err"]
        amp, amp_err = float(s["amplitudes"][0]), float(s["amplitude_errs"][0])
        if not (math.isfinite(f_err) and amp >= _DETECTED * amp_err):
            continue
        mids.append(mid)
        freqs.append(f)
        errs.append(math.hypot(f_err, _RELATIVE_FLOOR * f))
    times = tuple(float(m + series.t_ref) for m in mids)
    if len(freqs) < 2:
        return Stationarity(
            None, None, None, 0, test, level, times, tuple(freqs), tuple(errs),
            note=f"fewer than 2 of {n_seg} segments hold a tone {_DETECTED:g} standard errors above noise",
        )
    f_k, s_k, m_k = np.array(freqs), np.array(errs), np.array(mids)
    w = 1.0 / s_k**2
    f_mean = float(np.sum(w * f_k) / np.sum(w))
    stat = float(np.sum(w * (f_k - f_mean) ** 2))
    dof = f_k.size - 1
    p = float(chi2.sf(stat, dof))
    # weighted straight line f = c + drift * t through the segments
    x = m_k - np.sum(w * m_k) / np.sum(w)
    sxx = float(np.sum(w * x * x))
    drift = float(np.sum(w * x * f_k) / sxx) if sxx > 0 else None
    drift_err = float(1.0 / math.sqrt(sxx)) if sxx > 0 else None
    return Stationarity(
        stationary=bool(p >= level),
        p_value=p,
        statistic=stat,
        dof=dof,
        test=test,
        level=level,
        segment_time=times,
        segment_frequency=tuple(float(v) for v in f_k),
        segment_frequency_err=tuple(float(v) for v in s_k),
        drift=drift,
        drift_err=drift_err,
    )
