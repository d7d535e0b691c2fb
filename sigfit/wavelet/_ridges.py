"""Ridges of a scalogram: the tracks of its local maxima over time, with sub-grid frequencies."""

from __future__ import annotations

import math

import numpy as np

from .._numerics import TWO_PI, parabolic_vertex
from ._transform import Ridge, Scalogram


def ridges(
    sc: Scalogram,
    *,
    significant_only: bool = True,
    min_duration: float = 3.0,
    max_jump: float | None = None,
) -> list[Ridge]:
    """Instantaneous-frequency tracks: local maxima of power over frequency, linked over time.

    At every time the maxima of power along frequency are found and refined to sub-grid
    frequency by a parabola in log power against scale (exact for a pure tone: the Morlet's
    response is Gaussian in scale). Maxima are linked to the nearest ridge of the previous column
    within ``max_jump`` in log frequency; a ridge survives gaps up to one e-folding time.

    Parameters
    ----------
    sc : Scalogram
    significant_only : bool
        Keep only maxima above the background's threshold.
    min_duration : float
        Drop ridges shorter than this many wavelet e-folding times (``sqrt(B) C / f``): anything
        shorter is indistinguishable from the wavelet's response to a single spike.
    max_jump : float, optional
        Largest change of log frequency between linked points; default: the wavelet's relative
        frequency resolution ``1 / (pi C sqrt(2 B))``.

    Returns
    -------
    list of Ridge, strongest (largest energy) first.
    """
    if max_jump is None:
        max_jump = 1.0 / (math.pi * sc.center_frequency * math.sqrt(2.0 * sc.bandwidth))
    logp, scale, peak = _maxima(sc, significant_only)
    tracks = _tracks(sc, logp, scale, peak, max_jump)
    out = []
    for r in tracks:
        ridge = _ridge(sc, r, max_jump)
        if ridge.time.size < 2:
            continue
        efold = math.sqrt(sc.bandwidth) * sc.center_frequency / ridge.mean_frequency
        if ridge.duration >= min_duration * efold:
            out.append(ridge)
    out.sort(key=lambda r: -r.energy)
    return out


def _maxima(sc: Scalogram, significant_only: bool):
    """``(logp, scale, peak)``: log power, the scales ``1/f``, and where power has a local maximum
    along frequency (grid ends count when higher than their one neighbour), above the
    threshold when ``significant_only``."""
    power = sc.power
    m, n_t = power.shape
    logp = np.log(np.where(power > 0, power, np.nan))
    scale = 1.0 / sc.frequency
    ok = np.isfinite(logp)
    if significant_only:
        with np.errstate(invalid="ignore"):
            ok &= power >= sc.threshold
    lp = np.where(np.isfinite(logp), logp, -np.inf)
    up = np.vstack([np.full((1, n_t), -np.inf), lp[:-1]])
    down = np.vstack([lp[1:], np.full((1, n_t), -np.inf)])
    peak = ok & (lp > up) & (lp >= down)
    return logp, scale, peak


def _tracks(sc: Scalogram, logp, scale, peak, max_jump: float) -> list[dict]:
    """The maxima linked over time, column by column: each track a dict of its columns ``j``,
    refined frequencies ``f``, log powers ``lp`` and last log frequency ``lf``. A track closes
    when its gap exceeds one e-folding time at its frequency."""
    n_t = peak.shape[1]
    step = np.median(np.diff(sc.time)) if n_t > 1 else 1.0
    active: list[dict] = []
    done: list[dict] = []
    for j in range(n_t):
        ks = np.flatnonzero(peak[:, j])
        if ks.size:
            _link_column(active, j, *_vertex(ks, scale, logp[:, j]), max_jump)
        # close ridges whose gap exceeds one e-folding time at their frequency
        still = []
        for r in active:
            gap = (j - r["j"][-1]) * step
            if gap > math.sqrt(sc.bandwidth) * sc.center_frequency / r["f"][-1]:
                done.append(r)
            else:
                still.append(r)
        active = still
    done.extend(active)
    return done


def _link_column(active: list[dict], j: int, f_j, lp_j, max_jump: float) -> None:
    """Column ``j``'s maxima (frequencies ``f_j``, log powers ``lp_j``), strongest first, each
    appended to the nearest open track within ``max_jump`` in log frequency or starting one."""
    order = np.argsort(-lp_j)
    taken = set()
    kept: list[float] = []
    for i in order:
        lf = math.log(f_j[i])
        # two maxima closer than the wavelet's resolution are one peak with a noise wiggle
        if any(abs(lf - other) < max_jump for other in kept):
            continue
        kept.append(lf)
        best, best_d = None, max_jump
        for r_i, r in enumerate(active):
            if r_i in taken or r["j"][-1] == j:
                continue
            dist = abs(lf - r["lf"])
            if dist <= best_d:
                best, best_d = r_i, dist
        if best is None:
            active.append({"j": [j], "f": [f_j[i]], "lp": [lp_j[i]], "lf": lf})
            taken.add(len(active) - 1)
        else:
            r = active[best]
            r["j"].append(j)
            r["f"].append(f_j[i])
            r["lp"].append(lp_j[i])
            r["lf"] = lf
            taken.add(best)


def _ridge(sc: Scalogram, r: dict, max_jump: float) -> Ridge:
    """A track as a :class:`Ridge`: frequencies from the phase, ends trimmed."""
    idx = np.asarray(r["j"])
    freq = _phase_frequency(sc, idx, np.asarray(r["f"]), max_jump)
    ridge = Ridge(
        time=sc.time[idx],
        frequency=freq,
        amplitude=np.exp(0.5 * np.asarray(r["lp"])),
        in_coi=freq < sc.coi[idx],
    )
    return _trim(ridge)


def _trim(ridge: Ridge) -> Ridge:
    """Cut the ends where the amplitude is below half the ridge's median. A tone that stops
    (or starts) at t0 has half the wavelet's window on it at t0, so its amplitude there is half
    its own; beyond, the ridge is the wavelet's decaying tail, where the other signals' leakage
    drags the frequency about."""
    a = ridge.amplitude
    strong = np.flatnonzero(a >= 0.5 * np.median(a))
    if strong.size == 0:
        return ridge
    sl = slice(strong[0], strong[-1] + 1)
    return Ridge(ridge.time[sl], ridge.frequency[sl], ridge.amplitude[sl], ridge.in_coi[sl])


def _phase_frequency(sc: Scalogram, j: np.ndarray, f_peak: np.ndarray, max_jump: float) -> np.ndarray:
    """Instantaneous frequency on a ridge from the phase: ``(1/2 pi) d arg(coefficient)/dt`` on the
    grid row nearest the ridge (Delprat et al. 1992), by central differences over the ridge's
    neighbouring columns. The phasor turns at the signal's own frequency whatever the row, so
    this does not depend on the grid or on the shape of the response across scales, which
    irregular sampling distorts (it halves the ridge error of the WWZ). Falls back to the
    power-peak frequency ``f_peak`` at the ends, where the phase step could wrap (the columns
    are too far apart for the peak's uncertainty), or where the two disagree by more than
    ``max_jump`` in log frequency."""
    out = f_peak.copy()
    if j.size < 3:
        return out
    rows = np.argmin(np.abs(np.log(sc.frequency)[:, None] - np.log(f_peak)[None, :]), axis=0)
    a, b = j[:-2], j[2:]
    mid = slice(1, -1)
    step = sc.time[b] - sc.time[a]
    consecutive = (b - a) == 2
    ref = f_peak[mid]
    c0 = sc.coefficients[rows[mid], a]
    c1 = sc.coefficients[rows[mid], b]
    # wrap-free while the reference is within half a grid step: |f - ref| * step < 1/4 cycle
    half_step = 0.5 * float(np.median(np.diff(np.log(sc.frequency)))) if sc.frequency.size > 1 else 1.0
    safe = consecutive & (ref * step * half_step < 0.25) & np.isfinite(c0) & np.isfinite(c1)
    turn = np.angle(c1 * np.conj(c0) * np.exp(-1j * TWO_PI * ref * step))
    f_phase = ref + turn / (TWO_PI * step)
    with np.errstate(invalid="ignore", divide="ignore"):
        agree = np.abs(np.log(np.abs(f_phase) / ref)) <= max_jump
    use = safe & agree & (f_phase > 0)
    out[mid] = np.where(use, f_phase, ref)
    return out


def _vertex(ks, scale, logp_col):
    """Sub-grid peak: parabola through (scale, log power) at k-1, k, k+1; grid ends stay put."""
    m = scale.size
    f = 1.0 / scale[ks]
    val = logp_col[ks].copy()
    inner = (ks > 0) & (ks < m - 1)
    if inner.any():
        k = ks[inner]
        dx, val[inner] = parabolic_vertex(scale[k - 1], scale[k], scale[k + 1],
                                          logp_col[k - 1], logp_col[k], logp_col[k + 1])
        f[inner] = 1.0 / (scale[k] + dx)
    return f, val
