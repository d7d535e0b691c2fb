"""Model choice: the number of harmonics by BIC, the fundamental behind a peak (each ``f_p/k``
ranked by BIC, then a subharmonic taken only when the data show it), the lines that start
another period, and the tests those choices rest on."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .._numerics import (
    TWO_PI,
)
from . import _design  # NUFFT_GRAM_MIN_N read at call time: one switch for both paths
from ._design import (
    MAX_SHARED_MODES,
    RSS_FLOOR,
    _bic,
    _chunks,
    _floor,
    _GramSums,
    _harmonics_affordable,
    _linear_design,
    _rss_path,
    gram,
    harmonic_limit,
)
from ._lstsq import _solve, fit_periodic

MAX_DIVISOR = 8  # candidate fundamentals f_p/1 .. f_p/8
ID_HARMONICS = 4  # candidates f_p/k keep their harmonics up to this many times f_p
# Nested periods (see _new_period_at): line m >= SHAPE_MIN_DIVISOR of a harmonic series that stands
# LONE_DOMINANCE times above both neighbours, or PEAK_DOMINANCE times with line 2m doing the same
# (a comb), and LINE_SIGNIFICANCE standard errors above zero, starts a period of its own. Below 5 a
# dominant line is the period doubling or tripling of one shape (eclipsing and ellipsoidal
# variables, double-humped light curves), whose odd lines are weak by nature: one component.
SHAPE_MIN_DIVISOR = 5
PEAK_DOMINANCE = 2.0
LONE_DOMINANCE = 4.0
LINE_SIGNIFICANCE = 5.0
BIC_MARGIN = 10.0  # "very strong" evidence (Kass & Raftery 1995) before a subharmonic replaces a peak
# A subharmonic f_p/k must also be shown by the data (choose_fundamental): at least this many of
# its cycles in the record (fewer cannot tell a pattern that repeats every k cycles from the
# cycle-to-cycle wandering of a quasi-periodic signal: a population or solar cycle); at least
# MIN_OWN_LINES of its own lines (not at multiples of k) significant (one line alone is as much an
# independent tone); and those lines holding still over the record (the drift test of
# coherence_p_value not below COHERENCE_P)
MIN_SUBHARMONIC_CYCLES = 3.0
MIN_OWN_LINES = 2
# an own line is significant at p <= LINE_P against the spectrum around it (line_p_values): on
# white noise an amplitude 4 standard errors above zero (a Rayleigh tail exp(-4^2/2)), over at
# most ~30 own lines
LINE_P = math.exp(-8.0)
PROBE_REACH = 16.0  # line_p_values reads the spectrum this many resolution elements around a line
COHERENCE_P = 1e-3


def select_n_harmonics(
    tau, y, dy, frequency: float, h_max: int, *, degree: int = 0, t_scale: float | None = None,
    return_gram: bool = False,
):
    """The number of harmonics (1..h_max) of ``frequency`` with the smallest BIC, and the BIC of
    each, at fixed frequency (and the Gram matrix, to start :func:`fit_periodic` from, with
    ``return_gram``). ``y`` should already have other components removed."""
    t_scale = float(np.max(np.abs(tau))) if t_scale is None else t_scale
    sw = None if dy is None else 1.0 / dy
    h_max = max(1, min(int(h_max), _harmonics_affordable(y.size, degree)))
    while True:
        g = gram(tau, y, sw, [frequency], [h_max], degree, t_scale)
        rss = _rss_path(g)
        if rss is not None or h_max == 1:
            break
        h_max = max(1, h_max // 2)  # nearly collinear harmonics: fall back to fewer
    if rss is None:
        return (1, np.zeros(1), None) if return_gram else (1, np.zeros(1))
    n_poly = degree + 1
    hs = np.arange(1, h_max + 1)
    rss_h = rss[n_poly + 2 * hs]
    # parameters: polynomial, 2 per harmonic, and the frequency
    bic = _bic(rss_h, n_poly + 2 * hs + 1, y.size, _floor(y, sw), dy is not None)
    best = int(hs[np.argmin(bic)])
    return (best, bic, g) if return_gram else (best, bic)


def _line_amplitudes(g: np.ndarray, n_poly: int, h: int, n: int) -> tuple[np.ndarray, float]:
    """Amplitudes of harmonics 1..h from a natural-order :func:`gram` (polynomial first), and the
    standard error of one amplitude, ``s sqrt(2/n)`` with ``s^2`` the residual variance (white
    noise, near-orthogonal columns: enough to tell a line from nothing)."""
    p = g.shape[0] - 1
    coef = _solve(g[:p, :p], g[:p, p])
    rss = max(float(g[p, p] - coef @ g[:p, p]), 0.0)
    ab = coef[n_poly : n_poly + 2 * h]
    return np.hypot(ab[0::2], ab[1::2]), math.sqrt(rss / max(n - p, 1)) * math.sqrt(2.0 / n)


def _new_period_at(lines: tuple[np.ndarray, float], m: int) -> bool:
    """Whether line ``m`` (1-based) of a harmonic series is the fundamental of another period.

    Two periods P and P/m in one signal (a daily cycle in a weekly one: m = 7) make one harmonic
    series at 1/P in which every m-th line is raised: a comb. Line ``m`` starts such a comb when
    ``m >= SHAPE_MIN_DIVISOR``, it is significant (:data:`LINE_SIGNIFICANCE` standard errors)
    and stands :data:`LONE_DOMINANCE` times above both neighbours (a sinusoidal fast cycle: one
    line), or :data:`PEAK_DOMINANCE` times with line ``2m`` raised as well (a shaped fast cycle),
    and no line ``d`` dividing ``m`` does the same (then the comb started at ``d``: the even lines
    of a double-humped shape raise lines 2, 4, 6, ...). A single shape has a smooth envelope
    (sawtooth ``1/h``, a pulse train's sinc, a staircase's), so neighbouring lines are
    comparable; a day-of-week pattern (constant over each day) has no lines at multiples of 7 at
    all, so a daily cycle in it stands out.
    """
    amp, err = lines

    def rise(j: int) -> float:  # line j over the larger of its neighbours (0: not a line)
        if j > amp.size or amp[j - 1] < LINE_SIGNIFICANCE * err:
            return 0.0
        nb = max(amp[i - 1] for i in (j - 1, j + 1) if 1 <= i <= amp.size)
        return float(amp[j - 1] / max(nb, 1e-300))

    def raised(j: int) -> bool:
        # a lone raised line must stand out clearly; a comb (line j and line 2j) less so
        return rise(j) > LONE_DOMINANCE or (rise(j) > PEAK_DOMINANCE and rise(2 * j) > PEAK_DOMINANCE)

    if m < SHAPE_MIN_DIVISOR or not raised(m):
        return False
    return not any(raised(d) for d in range(2, m) if m % d == 0)


def first_new_period(lines: tuple[np.ndarray, float]) -> int | None:
    """The first line of a harmonic series that starts another period (:func:`_new_period_at`),
    or None."""
    for m in range(SHAPE_MIN_DIVISOR, lines[0].size + 1):
        if _new_period_at(lines, m):
            return m
    return None


def collision_limit(frequency: float, earlier: list[float], earlier_harmonics: list[int],
                    width: float) -> int | None:
    """The last harmonic of ``frequency`` below the first one within ``width`` of a harmonic of an
    earlier component (their columns would be the same: a weekly cycle's 7th harmonic is the daily
    cycle found before it), or None when none collides."""
    first = None
    for f_e, h_e in zip(earlier, earlier_harmonics, strict=True):
        lines = f_e * np.arange(1, h_e + 1)
        j = np.rint(lines / frequency)
        hit = (j >= 1) & (np.abs(lines - j * frequency) < width)
        if np.any(hit):
            c = int(np.min(j[hit]))
            first = c if first is None else min(first, c)
    return None if first is None else max(first - 1, 1)


@dataclass(frozen=True)
class FundamentalChoice:
    """Which ``f_p/k`` was taken for the fundamental behind a peak at ``f_p``, and why.

    ``reason`` says it out loud: ``"peak"`` when the peak is its own fundamental and no
    subharmonic was in question; ``"f/2, lines 1, 3, 5 significant"`` when the subharmonic
    ``f_p/2`` was accepted (the lines listed are its own: those not at multiples of ``k``);
    ``"peak; f/4 rejected: 2.9 cycles in the record"`` when the best subharmonic by BIC failed
    one of the tests of :func:`choose_fundamental`. ``lines``: the significant own lines of the
    accepted subharmonic (empty for the peak).
    """

    divisor: int
    bic: np.ndarray
    n_harmonics_peak: int  # harmonics of f_p itself with the smallest BIC (1 if none was fitted)
    reason: str = "peak"
    lines: tuple[int, ...] = ()


def _own_lines(k: int, h: int) -> list[int]:
    """Lines 1..h of the subharmonic ``f_p/k`` that are not harmonics of ``f_p`` itself."""
    return [j for j in range(1, h + 1) if j % k]


def _line_list(lines, of: int | None = None) -> str:
    """``1, 2, 3, 5`` -> ``"1-3, 5"``; past 8 items the list is cut: ``"1, 3, ..., 15 (8 of 12)"``."""
    runs: list[list[int]] = []
    for j in lines:
        if runs and j == runs[-1][-1] + 1:
            runs[-1].append(j)
        else:
            runs.append([j])
    items = [f"{r[0]}-{r[-1]}" if len(r) >= 3 else ", ".join(map(str, r)) for r in runs]
    items = ", ".join(items).split(", ")
    if len(items) > 8:
        items = items[:7] + ["...", items[-1]]
    text = ", ".join(items)
    if of is not None and len(lines) < of and len(runs) > 1:
        text += f" ({len(lines)} of {of})"
    return text


def coherence_p_value(tau, y, dy, frequency: float, n_harmonics: int, lines, *, degree: int = 0,
                      t_scale: float | None = None, coefficients: np.ndarray | None = None) -> float:
    """Do ``lines`` of the harmonic series at ``frequency`` hold still over the record, with the
    rest of the shape?

    A nested-model test: the series (``n_harmonics`` lines at fixed multiples of ``frequency``
    plus the polynomial, and two columns ``u s(tau)``, ``u s'(tau)`` that let the whole fitted
    shape ``s`` grow and slide in phase linearly in ``u = tau / t_scale``) against the same with,
    for each tested line ``j``, two more columns ``u sin(2 pi j f tau)``, ``u cos(2 pi j f tau)``:
    a line whose amplitude or phase drifts on its own (an independent tone near ``j f``, whose
    phase slides against the comb; the sidebands of a quasi-periodic cycle, whose power sits near
    the comb but is no line) gains from them, a harmonic of one shape does not, even when the
    shape's amplitude follows the level (multiplicative seasonality). The F test with the
    variance of the larger model (``dy`` as relative weights). Returns the p-value (1.0 when
    nothing is tested). ``coefficients`` as for :func:`line_p_values`.
    """
    lines = [int(j) for j in lines]
    if not lines:
        return 1.0
    from scipy import stats

    t_scale = float(np.max(np.abs(tau))) if t_scale is None else float(t_scale)
    sw = None if dy is None else 1.0 / np.asarray(dy, dtype=np.float64)
    n_poly = degree + 1
    p_a = n_poly + 2 * n_harmonics
    q = 2 * len(lines)
    cols = np.array([n_poly + 2 * (j - 1) + i for j in lines for i in (0, 1)])
    coef = coefficients
    if coef is None:
        g0 = gram(tau, y, sw, [frequency], [n_harmonics], degree, t_scale)
        coef = _solve(g0[:p_a, :p_a], g0[:p_a, p_a])
    ab = coef[n_poly:]
    hs = np.repeat(np.arange(1, n_harmonics + 1), 2)
    # d/dphase of a sin + b cos is a cos - b sin: in the interleaved (sin, cos) columns, (-b, a)
    turn = np.empty_like(ab)
    turn[0::2], turn[1::2] = -ab[1::2], ab[0::2]
    g = np.zeros((p_a + 2 + q + 1, p_a + 2 + q + 1))
    for sl in _chunks(tau.size):
        u = tau[sl] / t_scale
        x = _linear_design(tau[sl], u, [frequency], [n_harmonics], degree)
        harm = x[:, n_poly:]
        # the whole shape may grow or shrink and slide in phase over the record (multiplicative
        # seasonality, a period a little off): two columns shared by every line, in both models
        shared = np.column_stack([u * (harm @ ab), u * (harm @ (hs * turn))])
        xy = np.concatenate([x, shared, x[:, cols] * u[:, None], y[sl, None]], axis=1)
        if sw is not None:
            xy *= sw[sl, None]
        g += xy.T @ xy
    p_a += 2
    (rss_a, rank_a), (rss_b, rank_b) = _rss_rank(g, p_a), _rss_rank(g, g.shape[0] - 1)
    q = rank_b - rank_a  # the shared columns lie in the lines' own span when every line is tested
    floor = _floor(y, sw)
    if q <= 0 or rss_a <= floor:
        return 1.0  # nothing to test, or the series alone is exact to round-off
    gain = max(rss_a - max(rss_b, 0.0), 0.0)
    # the F test also with dy: it takes the errors as relative weights, so errors quoted too
    # small (radial-velocity jitter, red noise) do not turn a stable shape into a drifting one
    dof = y.size - (rank_b + 1)  # the frequency counts as a parameter
    if dof <= 0:
        return 1.0
    f_stat = (gain / q) / max(rss_b / dof, floor / dof)
    return float(stats.f.sf(f_stat, q, dof))


def _rss_rank(g: np.ndarray, m: int) -> tuple[float, int]:
    """Residual sum of squares and rank of the first ``m`` columns of a ``[X y]^T [X y]`` Gram
    matrix (pseudo-inverse: collinear columns count once)."""
    a, b = g[:m, :m], g[:m, -1]
    d = np.sqrt(np.clip(np.diag(a), 1e-300, None))
    w, v = np.linalg.eigh(a / d[:, None] / d[None, :])
    keep = w > 1e-10 * max(float(w.max(initial=0.0)), 1e-300)
    proj = v[:, keep].T @ (b / d)
    return float(g[-1, -1] - np.sum(proj**2 / w[keep])), int(keep.sum())


def line_p_values(tau, y, dy, frequency: float, n_harmonics: int, lines, *, degree: int = 0,
                  t_scale: float | None = None, span: float | None = None,
                  nyquist: float | None = None, coefficients: np.ndarray | None = None) -> np.ndarray:
    """How surely each of ``lines`` of the harmonic series at ``frequency`` is a line, not a
    sample of the spectrum around it.

    The series (``n_harmonics`` lines, the polynomial) is fitted; each line's amplitude squared
    ``A_j^2`` is compared with the mean amplitude squared ``C_j`` the residual gives to single
    sinusoids at frequencies off the comb (more than one resolution element ``1/span`` from every
    line) within ``max(3, min(f span, PROBE_REACH)) / span`` of it, one resolution element apart:
    ``m_j`` about independent frequencies.
    On white noise ``C_j`` estimates ``A_j``'s noise and this is the usual amplitude test; on
    red noise or beside a quasi-periodic cycle, whose cycle-to-cycle wandering spreads power
    around every harmonic, it is the local level that a line must stand above. Under "no line"
    ``A_j^2 / C_j`` is about F(2, 2 m_j): p-value ``(1 + R/m)^-m``. Returns the p-values in
    the order of ``lines`` (1.0 where no off-comb frequency was available). ``coefficients``:
    the series' linear coefficients at ``frequency`` (polynomial, then sin, cos of each line),
    when already fitted.
    """
    lines = [int(j) for j in lines]
    t_scale = float(np.max(np.abs(tau))) if t_scale is None else float(t_scale)
    span = float(np.ptp(tau)) if span is None else float(span)
    sw = None if dy is None else 1.0 / np.asarray(dy, dtype=np.float64)
    n_poly = degree + 1
    res = 1.0 / span
    coef = coefficients
    if coef is None:
        g = gram(tau, y, sw, [frequency], [n_harmonics], degree, t_scale)
        p = g.shape[0] - 1
        coef = _solve(g[:p, :p], g[:p, p])
    amp2 = coef[n_poly::2] ** 2 + coef[n_poly + 1::2] ** 2
    resid = np.empty(tau.size)
    for sl in _chunks(tau.size):
        resid[sl] = y[sl] - _linear_design(tau[sl], tau[sl] / t_scale, [frequency], [n_harmonics],
                                           degree) @ coef
    # off-comb probe frequencies around each line, one resolution element apart (about
    # independent: m_j is their count)
    half = max(3.0, min(frequency * span, PROBE_REACH)) * res
    offsets = np.arange(-half, half + 0.5 * res, res)
    top = math.inf if nyquist is None else nyquist
    nu = np.array(lines, dtype=np.float64)[:, None] * frequency + offsets[None, :]  # (line, offset)
    near = np.abs(nu / frequency - np.rint(nu / frequency)) * frequency  # to the nearest line
    keep = (near > res) & (nu > res) & (nu < top - res)
    out = np.ones(len(lines))
    if not np.any(keep):
        return out
    w = np.ones(tau.size) if sw is None else sw * sw
    wr = w * resid
    # single-sinusoid least squares at each probe frequency: 2 x 2 normal equations from
    # sum w, sum w e^(2i th) and sum w r e^(i th). Along the offsets, e^(i th) steps by
    # e^(2 pi i tau / span) (angle addition: a few ulp per step; a probe needs no more, nor an
    # error-free product: 1e-8 of a cycle at 1e4 cycles is plenty)
    total = float(np.sum(w))
    e2 = np.zeros(nu.shape, dtype=np.complex128)
    er = np.zeros(nu.shape, dtype=np.complex128)
    for sl in _chunks(tau.size):
        e = np.exp((1j * TWO_PI) * np.mod(tau[sl, None] * nu[None, :, 0], 1.0))
        step = np.exp((1j * TWO_PI * res) * tau[sl])[:, None]
        for m in range(offsets.size):
            if m:
                e *= step
            er[:, m] += wr[sl] @ e
            e2[:, m] += w[sl] @ (e * e)
    e2, er, owner = e2[keep], er[keep], np.nonzero(keep)[0]
    ss, cc, sc = 0.5 * (total - e2.real), 0.5 * (total + e2.real), 0.5 * e2.imag
    sr, cr = er.imag, er.real
    det = np.maximum(ss * cc - sc * sc, 1e-300)
    a = (cc * sr - sc * cr) / det
    b = (ss * cr - sc * sr) / det
    probe_amp2 = a * a + b * b
    floor = 1e-300 + RSS_FLOOR * float(np.max(amp2, initial=0.0))
    for i, j in enumerate(lines):
        mine = owner == i
        if not np.any(mine):
            continue
        m = float(mine.sum())
        ratio = amp2[j - 1] / max(float(np.mean(probe_amp2[mine])), floor)
        out[i] = math.exp(-m * math.log1p(ratio / m))
    return out


def choose_fundamental(
    tau,
    y,
    dy,
    peak_frequency: float,
    *,
    nyquist: float | None = None,
    min_frequency: float = 0.0,
    span: float | None = None,
    max_divisor: int = MAX_DIVISOR,
    n_harmonics: int = ID_HARMONICS,
    degree: int = 0,
    t_scale: float | None = None,
) -> FundamentalChoice:
    """Which ``f_p/k`` is the fundamental behind the peak at ``f_p``, and why.

    Each candidate ``f_p/k`` (``k = 1..max_divisor``) is fitted (at fixed frequency) with its
    harmonics up to ``n_harmonics * f_p`` (and below ``nyquist``); the multi-harmonic model of
    Schwarzenberg-Czerny (1996, ApJ 460, L107) compared across fundamentals by the Bayesian
    information criterion (Schwarz 1978). Candidates ``k > 1`` are nested: they hold every line
    of ``k = 1`` plus their *own* lines (those not at multiples of ``k``), and a subharmonic is
    taken only when the data show it (:func:`_subharmonic_verdict`, in order of BIC):

    1. its BIC beats ``k = 1`` by :data:`BIC_MARGIN`, and its fundamental (line 1) earns a BIC
       improvement of the same margin on its own;
    2. the record holds at least :data:`MIN_SUBHARMONIC_CYCLES` of its cycles;
    3. at least :data:`MIN_OWN_LINES` own lines stand out (p at most :data:`LINE_P`) above
       the spectrum around them (:func:`line_p_values`; on white noise, zero): one line alone
       is an independent tone as much as a harmonic, and a stronger tone is never made a weaker
       one's harmonic;
    4. its significant own lines hold still (:func:`coherence_p_value` at least
       :data:`COHERENCE_P`): independent tones or the sidebands of a quasi-periodic cycle put
       power near the comb, but not on it for the whole record.

    Otherwise the peak is its own fundamental: a quasi-periodic cycle reports its dominant line.
    Candidates below ``min_frequency`` are skipped; ``span`` defaults to ``ptp(tau)``. ``f_p``
    should be refined first: the harmonics multiply its error.
    """
    tau = np.asarray(tau, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    t_scale = float(np.max(np.abs(tau))) if t_scale is None else t_scale
    span = float(np.ptp(tau)) if span is None else float(span)
    sw = None if dy is None else 1.0 / dy
    floor = _floor(y, sw)
    n_poly = degree + 1
    bic = np.full(max_divisor, np.inf)
    supported = np.zeros(max_divisor, dtype=bool)
    supported[0] = True
    candidates = []
    harmonics_of = {}
    h_own = 1
    for k in range(1, max_divisor + 1):
        f = peak_frequency / k
        if f < min_frequency:
            break
        h = min(harmonic_limit(f, nyquist, k * n_harmonics), _harmonics_affordable(y.size, degree))
        if h < k:
            break  # the candidate's harmonics would not even reach the peak: too few samples
        candidates.append((k, h))
    # every candidate's harmonics are multiples of f_p / lcm(k): one set of trigonometric sums at
    # that base frequency serves them all (_GramSums), instead of one N x 2H design per candidate
    base = math.lcm(*(k for k, _ in candidates)) if candidates else 1
    m_max = max((2 * h * (base // k) for k, h in candidates), default=0)
    shared = None
    if y.size >= _design.NUFFT_GRAM_MIN_N and m_max <= MAX_SHARED_MODES:
        shared = _GramSums(tau, y, sw, peak_frequency / base, m_max, degree, t_scale)
    for k, h in candidates:
        f = peak_frequency / k
        if shared is not None:
            g = shared.gram(h, stride=base // k)
        else:
            g = gram(tau, y, sw, [f], [h], degree, t_scale)
        if k >= SHAPE_MIN_DIVISOR and _new_period_at(_line_amplitudes(g, n_poly, h, y.size), k):
            continue  # the peak is a period of its own beside a slower one (see _new_period_at)
        harmonics_of[k] = h
        if k > 1:
            # put the fundamental's two columns last: the path then also gives the residual
            # without them, so the fundamental itself must earn its place. Otherwise two
            # independent tones at a ratio j/k (0.5 and 1.7 = 5 and 17 times 0.1) would pass as
            # harmonics of a fundamental that is not in the data.
            p = g.shape[0] - 1
            order = list(range(n_poly)) + list(range(n_poly + 2, p)) + [n_poly, n_poly + 1, p]
            g = g[np.ix_(order, order)]
        rss = _rss_path(g)
        if rss is None:
            continue
        if k == 1:  # the columns in natural order: every count of harmonics of f_p on one path
            hs = np.arange(1, h + 1)
            h_own = int(hs[np.argmin(_bic(rss[n_poly + 2 * hs], n_poly + 2 * hs + 1, y.size, floor,
                                          dy is not None))])
        bic[k - 1] = _bic(rss[-1], n_poly + 2 * h + 1, y.size, floor, dy is not None)
        if k > 1:
            without = _bic(rss[-3], n_poly + 2 * h - 1, y.size, floor, dy is not None)
            supported[k - 1] = without > bic[k - 1] + BIC_MARGIN
    bic = np.where(supported, bic, np.inf)
    # subharmonics that beat the peak by BIC, best first; the first that the data show wins
    better = [k for k in np.argsort(bic, kind="stable") + 1
              if k > 1 and bic[k - 1] < bic[0] - BIC_MARGIN]
    first_rejection = None
    for k in better:
        why, lines = _subharmonic_verdict(tau, y, dy, peak_frequency, k, harmonics_of[k], span=span,
                                          degree=degree, t_scale=t_scale, nyquist=nyquist)
        if why is None:
            said = _line_list(lines, len(_own_lines(k, harmonics_of[k])))
            return FundamentalChoice(int(k), bic, h_own, f"f/{k}, lines {said} significant",
                                     tuple(lines))
        if first_rejection is None:
            first_rejection = f"peak; f/{k} rejected: {why}"
    return FundamentalChoice(1, bic, h_own, first_rejection or "peak")


def _subharmonic_verdict(tau, y, dy, peak_frequency, k, h, *, span, degree, t_scale, nyquist):
    """Tests 2-4 of :func:`choose_fundamental` for the subharmonic ``f_p/k`` with ``h`` lines:
    (None, significant own lines) when it passes, else (why, [])."""
    f0 = peak_frequency / k
    cycles = f0 * span
    if cycles < MIN_SUBHARMONIC_CYCLES:
        return f"{cycles:.2g} cycles in the record", []
    # the comb at its own best frequency: the peak's (one sinusoid) is biased by the other lines,
    # and a frequency error is a drift of every line
    fit = fit_periodic(tau, y, dy, [f0], [h], degree=degree, t_scale=t_scale,
                       max_shift=1.0 / (k * span))
    f0 = float(fit.frequency[0])
    coef = np.concatenate([fit.poly, np.ravel(np.column_stack([fit.a[0], fit.b[0]]))])
    own = _own_lines(k, h)
    p_lines = line_p_values(tau, y, dy, f0, h, own, degree=degree, t_scale=t_scale, span=span,
                            nyquist=nyquist, coefficients=coef)
    lines = [j for j, p in zip(own, p_lines, strict=True) if p <= LINE_P]
    if len(lines) < MIN_OWN_LINES:
        said = f"only line {lines[0]}" if lines else "no line of its own"
        return f"{said} significant", []
    p = coherence_p_value(tau, y, dy, f0, h, lines, degree=degree, t_scale=t_scale,
                          coefficients=coef)
    if p < COHERENCE_P:
        return f"its lines drift over the record (p={p:.2g})", []
    return None, lines


def identify_fundamental(
    tau,
    y,
    dy,
    peak_frequency: float,
    *,
    nyquist: float | None = None,
    min_frequency: float = 0.0,
    max_divisor: int = MAX_DIVISOR,
    n_harmonics: int = ID_HARMONICS,
    degree: int = 0,
    t_scale: float | None = None,
    return_harmonics: bool = False,
):
    """Which ``f_p/k`` is the fundamental behind the peak at ``f_p``: :func:`choose_fundamental`
    (which also says why), as a divisor.

    Returns
    -------
    (k, bic) : the divisor and the BIC of every candidate (inf where skipped or not supported);
    with ``return_harmonics``, also the number of harmonics of ``f_p`` itself (1 to its
    candidate's count) with the smallest BIC, read from the same factorisation (1 if none was
    fitted)
    """
    c = choose_fundamental(tau, y, dy, peak_frequency, nyquist=nyquist, min_frequency=min_frequency,
                           max_divisor=max_divisor, n_harmonics=n_harmonics, degree=degree,
                           t_scale=t_scale)
    return (c.divisor, c.bic, c.n_harmonics_peak) if return_harmonics else (c.divisor, c.bic)
