"""Periodic signals that are not sinusoids: the fundamental, its harmonics, several periods.

A sawtooth, a staircase or a pulse train of period ``P`` puts power at every harmonic ``h/P``.
The strongest periodogram peak need not be the fundamental (a narrow pulse train has harmonics
of nearly equal power), and a single sinusoid at ``1/P`` leaves most of the shape in the
residual, which is what limits the period's precision. This module:

* identifies the fundamental behind a peak ``f_p``: each candidate ``f_p/k`` (``k = 1..8``) is
  fitted with its harmonics up to the same highest frequency, and the Bayesian information
  criterion (Schwarz 1978) ranks ``k`` (the multi-harmonic periodogram of Schwarzenberg-Czerny
  1996, ApJ 460, L107, compared across candidate fundamentals); a subharmonic is then taken only
  when the data show it: enough of its cycles in the record, its own lines significant against
  the spectrum around them, and holding still over the record (:func:`choose_fundamental`).
  Each component records why (``Component.fundamental``);
* chooses the number of harmonics ``H`` by the same criterion, read for every ``H`` at once from
  one Cholesky factor of the Gram matrix (the residual after the first ``m`` columns of a QR
  factorisation is ``|y|^2 - sum_{i<m} R_iy^2``);
* fits ``y = poly(u) + sum_k sum_h [a_kh sin(2 pi h f_k tau) + b_kh cos(2 pi h f_k tau)]`` for
  several independent fundamentals ``f_k`` jointly by Gauss-Newton on chunked normal equations
  (memory ``O(P^2 + chunk*P)``, never ``N x P`` at once), with standard errors from the
  heteroscedasticity-robust sandwich covariance (White 1980) when no ``dy`` is given: the
  residual of a truncated harmonic series is a function of phase, not white noise, and the
  sandwich stays honest for it.

Harmonics stop below the time stamps' own Nyquist frequency ``1/(2q)``: on a time grid of step
``q`` harmonic ``h f`` is the same sinusoid as ``1/q - h f``, so a sawtooth of period ``P`` sampled
at integer times is fully described by its first ``P/2`` harmonics, and the rest alias onto them.

Phases are computed from ``frac(f*tau)`` with an error-free product (:func:`sigfit.search.frac_cycles`)
and referred back to ``t = 0`` the same way, so they keep their digits at ``t ~ 4e9``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ._numerics import (
    SUBSET_MIN_N,
    TWO_PI,
    centred_cycles,
    frac_cycles,
    overwhelming,
    single_threaded,
    subset_step,
)
from .refine import fit_trend

MAX_HARMONICS = 48  # default cap: cost grows as N*(2H)^2 per Gauss-Newton step
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
ROWS = 8192  # rows of the design matrix held at once
SAMPLES_PER_PARAM = 5  # harmonic models keep at least this many samples per parameter
NYQUIST_MARGIN = 1e-6  # a harmonic this close (relative) to the stamps' Nyquist counts as on it
FREQUENCY_ERR_FLOOR = 4 * np.finfo(np.float64).eps  # relative: float64 cannot say more
# residual sums of squares below this fraction of the total are round-off of the Gram-matrix path
# (|y|^2 - sum R_iy^2 cancels to ~1e-14 of |y|^2), not signal: BIC compares them as equal
RSS_FLOOR = 1e-10
# Model selection on a subset at large N: identifying the fundamental and choosing the number of
# harmonics costs O(N H^2) for every candidate, while their answer (a divisor, a count) needs far
# fewer samples than the N that sharpen the final fit. Above SUBSET_MIN_N samples both run on every
# m-th time-sorted sample (sigfit._numerics' subset rule) when the peak is overwhelming there, and
# the joint fit then refines on all samples from the subset's model.


@dataclass
class PeriodicFit:
    """A fitted sum of periodic components with harmonics plus a polynomial.

    Parameter order: ``poly`` (``c_0..c_d`` in powers of ``u = tau/t_scale``), then per component
    ``nu_k`` (cycles per ``t_scale``) followed by ``a_k1, b_k1, ..., a_kH, b_kH``
    (``a`` multiplies sin, ``b`` cos).
    """

    nu: np.ndarray
    n_harmonics: tuple[int, ...]
    poly: np.ndarray
    a: list[np.ndarray]
    b: list[np.ndarray]
    covariance: np.ndarray
    residual: np.ndarray
    chi2: float
    t_scale: float
    iterations: int = 0

    @property
    def frequency(self) -> np.ndarray:
        return self.nu / self.t_scale

    @property
    def n_params(self) -> int:
        return self.poly.size + sum(1 + 2 * h for h in self.n_harmonics)

    def component_slice(self, k: int) -> slice:
        start = self.poly.size + sum(1 + 2 * h for h in self.n_harmonics[:k])
        return slice(start, start + 1 + 2 * self.n_harmonics[k])

    def params(self) -> np.ndarray:
        out = [self.poly]
        for nu, a, b in zip(self.nu, self.a, self.b, strict=True):
            ab = np.empty(2 * a.size)
            ab[0::2], ab[1::2] = a, b
            out += [np.array([nu]), ab]
        return np.concatenate(out)


def harmonic_limit(frequency: float, nyquist: float | None, max_harmonics: int = MAX_HARMONICS) -> int:
    """How many harmonics of ``frequency`` stay strictly below ``nyquist`` (the time stamps'
    ``1/(2q)``; None: no limit), capped at ``max_harmonics``; at least 1.

    Examples
    --------
    >>> harmonic_limit(1 / 40, 0.5), harmonic_limit(1 / 41, 0.5), harmonic_limit(1e-5, None, 48)
    (19, 20, 48)
    """
    if nyquist is None or not math.isfinite(nyquist):
        return max(1, int(max_harmonics))
    h = int(math.floor(nyquist / frequency))
    if h * frequency >= nyquist * (1.0 - NYQUIST_MARGIN):
        h -= 1  # harmonic at Nyquist (to within the estimate's error): its sine column vanishes
    return max(1, min(h, int(max_harmonics)))


def _harmonics_affordable(n: int, degree: int) -> int:
    """Most harmonics a component may have with ``n`` samples: a model with nearly as many
    parameters as samples interpolates the noise, and BIC, an asymptotic criterion, then
    prefers it (32 samples would be "explained" by 16 harmonics of a quarter of the tone)."""
    return max(1, (n // SAMPLES_PER_PARAM - (degree + 1) - 1) // 2)


def _explicit_harmonics(h: int, frequency: float, nyquist: float | None, n: int, n_null: int) -> int:
    """``harmonics=h`` as asked: InputError when the samples cannot hold the model; fewer, with a
    SigfitWarning, only where harmonic ``h`` would pass the stamps' Nyquist frequency (it aliases)."""
    import warnings

    from .errors import InputError, SigfitWarning

    if n_null + 1 + 2 * h >= n:
        raise InputError(
            f"harmonics={h} needs {n_null + 1 + 2 * h} parameters with the rest of the model, but there "
            f"are {n} samples: pass fewer harmonics, or harmonics='auto'"
        )
    limit = harmonic_limit(frequency, nyquist, h)
    if limit < h:
        warnings.warn(
            f"harmonics={h}: harmonic {limit + 1} of the tone at {frequency:.6g} reaches the time stamps' "
            f"Nyquist frequency {nyquist:.6g}, where it aliases; fitted {limit} harmonics",
            SigfitWarning, stacklevel=4,
        )
    return limit


def _poly_cols(u: np.ndarray, degree: int) -> np.ndarray:
    cols = np.empty((u.size, degree + 1))
    cols[:, 0] = 1.0
    for j in range(1, degree + 1):
        cols[:, j] = cols[:, j - 1] * u
    return cols


REANCHOR = 16  # harmonics between exact evaluations in the angle-addition recurrence


def _harmonic_cols(tau: np.ndarray, frequency: float, n_harmonics: int) -> np.ndarray:
    """sin, cos of ``2 pi h f tau`` for h = 1..H, interleaved. The fundamental's angle is reduced
    in cycles with an error-free product; harmonics follow by angle addition (a few ulp per
    step), re-anchored on exact values every :data:`REANCHOR` harmonics."""
    cyc = centred_cycles(frequency, tau)
    out = np.empty((tau.size, 2 * n_harmonics))
    s1 = np.sin(TWO_PI * cyc)
    c1 = np.cos(TWO_PI * cyc)
    out[:, 0], out[:, 1] = s1, c1
    for h in range(2, n_harmonics + 1):
        j = 2 * (h - 1)
        if (h - 1) % REANCHOR == 0:
            th = TWO_PI * np.mod(h * cyc, 1.0)
            out[:, j] = np.sin(th)
            out[:, j + 1] = np.cos(th)
        else:
            sp, cp = out[:, j - 2], out[:, j - 1]
            out[:, j] = sp * c1 + cp * s1
            out[:, j + 1] = cp * c1 - sp * s1
    return out


def _linear_design(tau, u, freqs, n_harm, degree) -> np.ndarray:
    blocks = [_poly_cols(u, degree)]
    for f, h in zip(freqs, n_harm, strict=True):
        blocks.append(_harmonic_cols(tau, f, h))
    return np.concatenate(blocks, axis=1)


def _chunks(n: int, rows: int = ROWS):
    for s in range(0, n, rows):
        yield slice(s, min(n, s + rows))


# one component with harmonics: the Gram matrix from trigonometric sums by NUFFT (below) at or above
# this many samples; the explicit X^T W X costs O(N H^2), the sums O(N + H log H)
NUFFT_GRAM_MIN_N = 2048
NUFFT_GRAM_MIN_H = 4  # below this many harmonics the explicit product is cheaper
NUFFT_GRAM_EPS = 1e-14  # finufft's accuracy: the sums then match the explicit ones to ~1e-16 N
MAX_SHARED_MODES = 1 << 20  # candidate fundamentals share one transform up to this many modes
# Gauss-Newton stops when the next step would move every parameter by less than this fraction of
# its standard error: stopping there adds at most (1e-2)^2 = 1e-4 to the estimate's variance
CONVERGED = 1e-2
KEEP_JACOBIAN_MAX = 1 << 22  # Jacobians up to this many entries (32 MB) are kept for the last step


def gram(tau, y, sw, freqs, n_harm, degree: int, t_scale: float) -> np.ndarray:
    """``[X y]^T W [X y]`` for the linear design at fixed frequencies, accumulated in chunks.
    One component on many samples goes through :func:`_gram_nufft` (same matrix, O(N + H))."""
    if len(freqs) == 1 and tau.size >= NUFFT_GRAM_MIN_N and n_harm[0] >= NUFFT_GRAM_MIN_H:
        return _gram_nufft(tau, y, sw, float(freqs[0]), int(n_harm[0]), degree, t_scale)
    p = degree + 1 + 2 * sum(n_harm)
    g = np.zeros((p + 1, p + 1))
    for sl in _chunks(tau.size):
        x = _linear_design(tau[sl], tau[sl] / t_scale, freqs, n_harm, degree)
        xy = np.concatenate([x, y[sl, None]], axis=1)
        if sw is not None:
            xy *= sw[sl, None]
        g += xy.T @ xy
    return g


def _trig_sums(tau, u, w, y, frequency: float, m_max: int, degree: int):
    """``T[i, m] = sum w u^i e^(i m th)`` (rows ``i = 0..degree``) and, last row,
    ``sum w y e^(i m th)``, for ``m = 0..m_max``, with
    ``th = 2 pi f tau``: one type-1 non-uniform FFT at the points ``th mod 2 pi`` (finufft;
    ``th`` reduced with the error-free product of :func:`frac_cycles`)."""
    import finufft

    n_poly = degree + 1
    strengths = np.empty((n_poly + 1, u.size), dtype=np.complex128)
    strengths[0] = w
    for i in range(1, n_poly):
        strengths[i] = strengths[i - 1].real * u
    strengths[n_poly] = w * y
    x = TWO_PI * frac_cycles(frequency, tau)
    # modes -m_max..m_max: out[:, m_max + m] = sum_j c_j e^(+i m x_j)
    out = finufft.nufft1d1(x, strengths, 2 * m_max + 1, eps=NUFFT_GRAM_EPS, isign=1, upsampfac=2.0,
                           nthreads=1)  # small transforms: threads only add overhead
    return out[:, m_max:]


class _GramSums:
    """Everything :func:`gram` needs for one component, from trigonometric sums.

    With ``th = 2 pi f tau`` and weights ``w``, every entry of ``[X y]^T W [X y]`` is a sum
    ``T_i(m) = sum w u^i e^(i m th)`` or ``Y(m) = sum w y e^(i m th)``:
    ``sin(a th) sin(b th) = (cos((a-b) th) - cos((a+b) th))/2``, ``cos cos = (cos(a-b) + cos(a+b))/2``,
    ``sin(a th) cos(b th) = (sin(a+b) + sin(a-b))/2``. The sums for every ``m`` up to ``m_max`` come
    from one type-1 non-uniform FFT, whose cost does not grow with the number of harmonics beyond
    ``m log m``; :meth:`gram` then reads candidate fundamentals ``s f`` (every ``s``-th mode) from
    the same sums. Accuracy :data:`NUFFT_GRAM_EPS` relative to ``sum |w|``, the round-off of the
    explicit sum itself.
    """

    def __init__(self, tau, y, sw, frequency: float, m_max: int, degree: int, t_scale: float):
        u = tau / t_scale
        w = np.ones(tau.size) if sw is None else sw * sw
        self.degree = degree
        self.sums = _trig_sums(tau, u, w, y, frequency, m_max, degree)
        wy = w * y
        self.upow = [float(np.sum(w))]
        ui = w
        for _ in range(2 * degree):
            ui = ui * u
            self.upow.append(float(np.sum(ui)))
        self.ypoly = [float(np.sum(wy))]
        yi = wy
        for _ in range(degree):
            yi = yi * u
            self.ypoly.append(float(np.sum(yi)))
        self.yy = float(wy @ y)

    def gram(self, n_harmonics: int, stride: int = 1) -> np.ndarray:
        """:func:`gram` at the fundamental ``stride * frequency`` with ``n_harmonics`` harmonics."""
        h = int(n_harmonics)
        n_poly = self.degree + 1
        tm = self.sums[:, : 2 * h * stride + 1 : stride]  # m = 0..2H of the candidate
        cs, sn = tm[0].real, tm[0].imag  # sum w cos(m th), sum w sin(m th)
        p = n_poly + 2 * h
        g = np.zeros((p + 1, p + 1))
        for i in range(n_poly):  # polynomial x polynomial: sum w u^(i+j)
            for j in range(n_poly):
                g[i, j] = self.upow[i + j]
        for i in range(n_poly):  # polynomial x harmonics (sin in even, cos in odd design columns)
            g[i, n_poly:p:2] = tm[i, 1 : h + 1].imag
            g[i, n_poly + 1 : p : 2] = tm[i, 1 : h + 1].real
        g[n_poly:p, :n_poly] = g[:n_poly, n_poly:p].T
        hs = np.arange(1, h + 1)
        a, b = hs[:, None], hs[None, :]
        dif, tot = np.abs(a - b), a + b
        g[n_poly:p:2, n_poly:p:2] = 0.5 * (cs[dif] - cs[tot])
        g[n_poly + 1 : p : 2, n_poly + 1 : p : 2] = 0.5 * (cs[dif] + cs[tot])
        sc = 0.5 * (sn[tot] + np.sign(a - b) * sn[dif])  # sum w sin(a th) cos(b th)
        g[n_poly:p:2, n_poly + 1 : p : 2] = sc
        g[n_poly + 1 : p : 2, n_poly:p:2] = sc.T
        g[:n_poly, p] = self.ypoly  # the values' column
        g[n_poly:p:2, p] = tm[n_poly, 1 : h + 1].imag
        g[n_poly + 1 : p : 2, p] = tm[n_poly, 1 : h + 1].real
        g[p, :p] = g[:p, p]
        g[p, p] = self.yy
        return g


def _gram_nufft(tau, y, sw, frequency: float, n_harmonics: int, degree: int, t_scale: float) -> np.ndarray:
    """:func:`gram` for one fundamental with ``H`` harmonics and a polynomial of ``degree``, from
    trigonometric sums instead of the ``N x (2H + d + 2)`` design (:class:`_GramSums`)."""
    return _GramSums(tau, y, sw, frequency, 2 * int(n_harmonics), degree, t_scale).gram(n_harmonics)


def _rss_path(g: np.ndarray) -> np.ndarray | None:
    """Residual sum of squares after the first m columns, m = 0..p, from one Cholesky factor of
    the Gram matrix (the QR identity in the module docstring). None if the design is singular."""
    from scipy.linalg import LinAlgError, cholesky

    p = g.shape[0] - 1
    try:
        r = cholesky(g[:p, :p], lower=False)
    except LinAlgError:
        return None
    from scipy.linalg import solve_triangular

    ry = solve_triangular(r, g[:p, p], trans="T", lower=False)
    return g[p, p] - np.concatenate([[0.0], np.cumsum(ry**2)])


def _bic(rss: np.ndarray | float, n_params, n: int, floor: float, weighted: bool):
    rss = np.maximum(rss, floor)
    if weighted:  # chi2 with known errors
        return rss + np.asarray(n_params) * math.log(n)
    return n * np.log(rss / n) + np.asarray(n_params) * math.log(n)


def _floor(y, sw) -> float:
    yy = y if sw is None else y * sw
    return RSS_FLOOR * y.size * float(np.var(yy)) + 1e-300


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
    if y.size >= NUFFT_GRAM_MIN_N and m_max <= MAX_SHARED_MODES:
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


def _accumulate(tau, y, sw, params, n_harm, degree, t_scale, *, meat: bool = False,
                keep_jacobian: bool = False):
    """Normal equations of the Gauss-Newton step at ``params``: (J^T W J, J^T W r, chi2, B, r, J)
    with B = sum (w r)^2 J J^T for the sandwich covariance (None unless ``meat``), r the residual
    in the data's units and J the unweighted Jacobian's chunks (None unless ``keep_jacobian``)."""
    n_poly = degree + 1
    p = params.size
    jtj = np.zeros((p, p))
    jtr = np.zeros(p)
    bmat = np.zeros((p, p)) if meat else None
    resid = np.empty(tau.size)
    jacs = [] if keep_jacobian else None
    chi2 = 0.0
    # where each component's parameters sit
    starts = []
    s = n_poly
    for h in n_harm:
        starts.append(s)
        s += 1 + 2 * h
    for sl in _chunks(tau.size):
        tc = tau[sl]
        u = tc / t_scale
        jac = np.empty((tc.size, p))
        jac[:, :n_poly] = _poly_cols(u, degree)
        for st, h in zip(starts, n_harm, strict=True):
            nu = params[st]
            cols = _harmonic_cols(tc, nu / t_scale, h)
            jac[:, st + 1 : st + 1 + 2 * h] = cols
            a = params[st + 1 : st + 1 + 2 * h : 2]
            b = params[st + 2 : st + 2 + 2 * h : 2]
            hh = np.arange(1, h + 1, dtype=np.float64)
            # d/dnu [a sin(2 pi h nu u) + b cos(...)] = 2 pi h u (a cos - b sin)
            jac[:, st] = TWO_PI * u * (cols[:, 1::2] @ (hh * a) - cols[:, 0::2] @ (hh * b))
        model = np.zeros(tc.size)
        lin = np.ones(p, dtype=bool)
        lin[starts] = False
        model = jac[:, lin] @ params[lin]
        r = y[sl] - model
        resid[sl] = r
        if jacs is not None:
            jacs.append(jac if sw is None else jac.copy())
        if sw is not None:
            r = r * sw[sl]
            jac *= sw[sl, None]
        jtj += jac.T @ jac
        jtr += jac.T @ r
        chi2 += float(r @ r)
        if meat:
            jr = jac * r[:, None]
            bmat += jr.T @ jr
    return jtj, jtr, chi2, bmat, resid, jacs


def _solve(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    # scale to unit diagonal: the frequency column is ~N larger than the others
    d = np.sqrt(np.clip(np.diag(a), 1e-300, None))
    x, *_ = np.linalg.lstsq(a / d[:, None] / d[None, :], b / d, rcond=1e-13)
    return x / d


def _inverse(a: np.ndarray) -> np.ndarray:
    d = np.sqrt(np.clip(np.diag(a), 1e-300, None))
    return np.linalg.pinv(a / d[:, None] / d[None, :], rcond=1e-13) / d[:, None] / d[None, :]


def fit_periodic(
    tau,
    y,
    dy,
    frequencies,
    n_harmonics,
    *,
    degree: int = 0,
    t_scale: float | None = None,
    max_shift: float | None = None,
    max_iter: int = 30,
    robust: bool | None = None,
    initial_gram: np.ndarray | None = None,
) -> PeriodicFit:
    """Jointly fit components with fundamentals ``frequencies`` (cycles per unit of t) and
    ``n_harmonics`` harmonics each, plus a polynomial of ``degree``, by Gauss-Newton.

    Parameters
    ----------
    tau : ndarray
        Centred times (float64, exact differences from the caller's reference).
    y, dy : ndarray
        Values and optional one-sigma errors.
    frequencies, n_harmonics : sequence
        Starting fundamentals and their harmonic counts.
    max_shift : float, optional
        Frequencies may not move farther than this from their start (one peak width keeps
        the fit on its peak); steps are shortened to respect it.
    robust : bool, optional
        Sandwich covariance (default: when ``dy`` is None); otherwise ``s^2 (J^T W J)^-1`` with
        ``s^2 = chi2/(N-P)`` (no ``dy``) or 1 (``dy`` are one-sigma errors).
    initial_gram : ndarray, optional
        :func:`gram` of one component at ``frequencies[0]`` with at least ``n_harmonics[0]``
        harmonics (e.g. from :func:`select_n_harmonics`), possibly of a subset of the samples:
        its linear solution is the starting point, sparing one pass over the data.

    Returns
    -------
    PeriodicFit
    """
    tau = np.asarray(tau, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    t_scale = float(np.max(np.abs(tau))) if t_scale is None else float(t_scale)
    sw = None if dy is None else 1.0 / np.asarray(dy, dtype=np.float64)
    robust = (dy is None) if robust is None else robust
    freqs = [float(f) for f in frequencies]
    n_harm = tuple(int(h) for h in n_harmonics)
    n_poly = degree + 1

    # start: linear least squares at the given frequencies (a polynomial alone is linear: the
    # first Gauss-Newton step below solves it from zero)
    if not freqs:
        g = np.zeros((n_poly + 1, n_poly + 1))
        g[np.arange(n_poly), np.arange(n_poly)] = 1.0
    elif initial_gram is not None and len(freqs) == 1:
        keep = list(range(n_poly + 2 * n_harm[0])) + [initial_gram.shape[0] - 1]
        g = initial_gram[np.ix_(keep, keep)]
    else:
        g = gram(tau, y, sw, freqs, n_harm, degree, t_scale)
    p_lin = g.shape[0] - 1
    coef = _solve(g[:p_lin, :p_lin], g[:p_lin, p_lin])
    params = [coef[:n_poly]]
    c = n_poly
    for f, h in zip(freqs, n_harm, strict=True):
        params += [np.array([f * t_scale]), coef[c : c + 2 * h]]
        c += 2 * h
    x = np.concatenate(params)
    nu_idx = []
    s = n_poly
    for h in n_harm:
        nu_idx.append(s)
        s += 1 + 2 * h
    nu_idx = np.asarray(nu_idx, dtype=np.int64)
    nu0 = x[nu_idx].copy()
    shift = None if max_shift is None else max_shift * t_scale

    # Gauss-Newton from the linear solution. Converged when the next step would move every
    # parameter by under CONVERGED of its standard error (or the fit is exact); each pass also gathers
    # the sandwich's meat and the residual, so the last one serves the covariance as it stands.
    it = 0
    keep = y.size * x.size <= KEEP_JACOBIAN_MAX
    h_arr = np.asarray(n_harm, dtype=np.float64)
    jtj, jtr, chi2, meat, resid, jacs = _accumulate(tau, y, sw, x, n_harm, degree, t_scale,
                                                    meat=robust, keep_jacobian=keep)
    for it in range(1, max_iter + 1):  # noqa: B007 (reported as iterations)
        delta = _solve(jtj, jtr)
        cov_diag = np.diag(_inverse(jtj)) * chi2 / max(y.size - x.size, 1)
        z = np.abs(delta) / np.sqrt(np.maximum(cov_diag, 1e-300))  # the step in standard errors
        # Over the step the highest harmonic's phase moves by at most eps = 2 pi h |d nu| (|u| <= 1):
        # the Jacobian changes by that fraction, so the step lands within eps * z standard errors
        # of the minimum (Gauss-Newton's second-order remainder). When that is below CONVERGED
        # the step is the last one: the residual follows linearly from the kept Jacobian, and
        # J^T W J stands (a polynomial alone, eps = 0, is solved this way in one pass).
        eps = float(np.max(TWO_PI * h_arr * np.abs(delta[nu_idx]), initial=0.0))
        final = jacs is not None and eps * float(np.max(z)) <= CONVERGED and (
            shift is None or np.all(np.abs(x[nu_idx] + delta[nu_idx] - nu0) <= shift))
        if final and chi2 > 0:
            x = x + delta
            if robust:
                meat = np.zeros_like(jtj)
            for sl, jac in zip(_chunks(tau.size), jacs, strict=True):
                resid[sl] -= jac @ delta
                if robust:  # the sandwich's meat at the new residual (the Jacobian stands)
                    jr = jac * (resid[sl] if sw is None else resid[sl] * sw[sl] ** 2)[:, None]
                    meat += jr.T @ jr
            rw = resid if sw is None else resid * sw
            chi2 = float(rw @ rw)
        if final or chi2 == 0 or np.all(z <= CONVERGED):
            break
        step = 1.0
        if shift is not None:
            room = shift - np.abs(x[nu_idx] + delta[nu_idx] - nu0)
            over = room < 0
            if np.any(over):
                step = float(np.min((shift - np.abs(x[nu_idx] - nu0) + 1e-300)[over]
                                    / np.abs(delta[nu_idx])[over]))
                step = max(min(step, 1.0), 0.0)
        while True:
            xn = x + step * delta
            acc = _accumulate(tau, y, sw, xn, n_harm, degree, t_scale, meat=robust, keep_jacobian=keep)
            if acc[2] <= chi2 * (1 + 1e-12) or step < 1e-4:
                break
            step *= 0.25
        if acc[2] > chi2 * (1 + 1e-12):
            break  # no descent: x is the minimum to round-off
        x = xn
        jtj, jtr, chi2, meat, resid, jacs = acc

    if freqs and chi2 > 0:
        # at the final frequencies the linear parameters are exact least squares, not the last
        # Gauss-Newton step's (which stops within CONVERGED standard errors): the model at a
        # given frequency matches a linear fit to rounding (issue 13)
        final_freqs = [float(v) / t_scale for v in x[nu_idx]]
        g = gram(tau, y, sw, final_freqs, n_harm, degree, t_scale)
        p_lin = g.shape[0] - 1
        coef = _solve(g[:p_lin, :p_lin], g[:p_lin, p_lin])
        x = x.copy()
        x[:n_poly] = coef[:n_poly]
        c = n_poly
        for st, h in zip(nu_idx, n_harm, strict=True):
            x[st + 1 : st + 1 + 2 * h] = coef[c : c + 2 * h]
            c += 2 * h
        resid = np.empty_like(y)
        for sl in _chunks(tau.size):  # bounded memory (ROWS samples at a time)
            resid[sl] = y[sl] - evaluate_centred(tau[sl], x, n_harm, degree, t_scale)
        rw = resid if sw is None else resid * sw
        chi2 = float(rw @ rw)

    inv = _inverse(jtj)
    dof = max(y.size - x.size, 1)
    if robust:
        cov = inv @ meat @ inv * (y.size / dof)  # HC1 small-sample factor
    elif dy is None:
        cov = inv * chi2 / dof
    else:
        cov = inv
    a_list, b_list = [], []
    for st, h in zip(nu_idx, n_harm, strict=True):
        a_list.append(x[st + 1 : st + 1 + 2 * h : 2].copy())
        b_list.append(x[st + 2 : st + 2 + 2 * h : 2].copy())
    return PeriodicFit(
        nu=x[nu_idx].copy(), n_harmonics=n_harm, poly=x[:n_poly].copy(), a=a_list, b=b_list,
        covariance=cov, residual=resid, chi2=chi2, t_scale=t_scale, iterations=it,
    )


def evaluate_centred(tau, params, n_harm, degree, t_scale) -> np.ndarray:
    """The model at centred times for a parameter vector in :class:`PeriodicFit` order."""
    n_poly = degree + 1
    out = _poly_cols(tau / t_scale, degree) @ params[:n_poly]
    st = n_poly
    for h in n_harm:
        cols = _harmonic_cols(tau, params[st] / t_scale, h)
        coef = params[st + 1 : st + 1 + 2 * h]
        out = out + cols @ coef
        st += 1 + 2 * h
    return out


MAX_LEVELS = 256  # at most this many distinct values for a signal to count as step-shaped


@dataclass(frozen=True)
class StepBracket:
    """Frequencies at which the folded data are exactly consistent with a step function of phase:
    ``[low, high]`` contains the truth when the signal is a noise-free step function."""

    low: float
    high: float
    n_edges: int

    @property
    def frequency(self) -> float:
        return 0.5 * (self.low + self.high)

    @property
    def frequency_err(self) -> float:
        return (self.high - self.low) / math.sqrt(12.0)  # uniform over the bracket


def step_bracket(
    tau, y, frequency: float, frequency_err: float, *, max_levels: int = MAX_LEVELS, width: float = 8.0
) -> StepBracket | None:
    """Bracket the frequency of a step-shaped signal (digits, states: few distinct values) by
    phase folding.

    Folded at the true frequency, a noise-free step signal is constant between edges at fixed
    phases ``psi_e``: every sample just before edge ``e`` (level ``A``) has phase below ``psi_e``,
    every sample just after it (level ``B``) at or above. Writing the phase at ``f + d`` as
    ``c_i + d*tau_i`` (``c_i`` the exact fold at ``f``), edge ``e`` is consistent iff
    ``D_e(d) = max_A(c_i + d tau_i) - min_B(c_j + d tau_j) <= 0``. Each ``D_e`` is convex and
    piecewise linear in ``d``, so the frequencies consistent with all edges form one interval,
    found by bisection. This is the zero-dispersion limit of phase dispersion minimisation
    (Stellingwerf 1978, ApJ 224, 953): its width is set by the samples nearest each edge, about
    ``1/(N f T)`` relative, far below a truncated harmonic series, whose Gibbs residual at the
    edges limits it to ``~H^-1/2``.

    Parameters
    ----------
    tau, y : ndarray
        Centred times and values.
    frequency, frequency_err : float
        A fundamental from a harmonic fit and its standard error: edges are located in the fold
        at ``frequency``, and the bracket is sought within ``width`` standard errors.

    Returns
    -------
    StepBracket, or None when the data are not step-shaped (more than ``max_levels`` distinct
    values), no edge is resolved, or no frequency folds them consistently (noise, a wrong
    fundamental): then the harmonic fit stands.
    """
    y = np.asarray(y)
    if y.size > 4 * max_levels and np.unique(y[: 4 * max_levels]).size > max_levels:
        return None  # already more levels in a prefix than a step signal may have (cheap check)
    levels = np.unique(y)
    if levels.size < 2 or levels.size > max_levels or y.size < 20 * levels.size:
        return None
    if not (frequency_err > 0 and math.isfinite(frequency_err)):
        return None
    reach = width * frequency_err
    tmax = float(np.max(np.abs(tau)))
    drift = reach * tmax  # the most any sample's phase moves within the bracket's search range
    zone = 3.0 * frequency_err * tmax  # where transitions sit in the fold at ``frequency``
    if drift >= 0.05:
        return None  # edges would smear across plateaus: the fold cannot resolve them
    cyc = frac_cycles(frequency, tau)
    order = np.argsort(cyc, kind="stable")
    ph, lab = cyc[order], y[order]
    change = np.flatnonzero(lab[1:] != lab[:-1])  # transitions between neighbours in phase
    if change.size == 0:
        return None
    # edges: clusters of transitions, separated by plateaus wider than the samples can drift
    cph = 0.5 * (ph[change] + ph[change + 1])
    gaps = np.diff(np.concatenate([cph, [cph[0] + 1.0]]))
    if gaps.max() <= 2 * (drift + zone):
        return None
    # rotate the fold so phase 0 sits mid-plateau, in the widest gap between edge zones
    g = int(np.argmax(gaps))
    origin = cph[g] + 0.5 * gaps[g]
    c = np.mod(cyc - origin, 1.0)  # no sample crosses 0 or 1 within the search range
    order = np.argsort(c, kind="stable")
    cs, ls, ts = c[order], y[order], tau[order]
    change = np.flatnonzero(ls[1:] != ls[:-1])
    mids = 0.5 * (cs[change] + cs[change + 1])
    split = np.flatnonzero(np.diff(mids) > 2 * zone) + 1
    zones = np.split(np.arange(change.size), split)
    pre_t, pre_c, post_t, post_c = [], [], [], []
    for z in zones:
        first, last = change[z[0]], change[z[-1]] + 1  # samples first..last span the zone
        a_level, b_level = ls[first], ls[last]
        if a_level == b_level:
            return None  # a blip, not an edge: not a clean step function
        # every sample that could cross this edge within the search range
        lo = np.searchsorted(cs, cs[first] - drift, side="left")
        hi = np.searchsorted(cs, cs[last] + drift, side="right")
        zl, zc, zt = ls[lo:hi], cs[lo:hi], ts[lo:hi]
        is_a, is_b = zl == a_level, zl == b_level
        if not np.all(is_a | is_b):
            return None  # a third level inside an edge zone: not resolved as one edge
        if not (is_a.any() and is_b.any()):
            return None
        pre_t.append(zt[is_a])
        pre_c.append(zc[is_a])
        post_t.append(zt[is_b])
        post_c.append(zc[is_b])

    def excess(d: float) -> float:
        return max(float(np.max(pc + d * pt) - np.min(qc + d * qt))
                   for pt, pc, qt, qc in zip(pre_t, pre_c, post_t, post_c, strict=True))

    # minimise the convex excess by golden section, then bisect for its two zero crossings
    lo_d, hi_d = -reach, reach
    invphi = (math.sqrt(5) - 1) / 2
    a_, b_ = lo_d, hi_d
    for _ in range(200):
        m1 = b_ - invphi * (b_ - a_)
        m2 = a_ + invphi * (b_ - a_)
        if excess(m1) <= excess(m2):
            b_ = m2
        else:
            a_ = m1
        if b_ - a_ <= 1e-6 * reach * 1e-6:
            break
    d0 = 0.5 * (a_ + b_)
    if excess(d0) > 0:
        return None
    if excess(lo_d) <= 0 or excess(hi_d) <= 0:
        return None  # the bracket is not closed within the search range
    edges = []
    for outer in (lo_d, hi_d):
        a_, b_ = outer, d0  # excess(a_) > 0 >= excess(b_)
        for _ in range(200):
            m = 0.5 * (a_ + b_)
            if excess(m) > 0:
                a_ = m
            else:
                b_ = m
            if abs(b_ - a_) <= 1e-15 * abs(frequency) + 1e-300:
                break
        edges.append(b_)
    return StepBracket(low=frequency + edges[0], high=frequency + edges[1], n_edges=len(zones))


def _rescale_frequency_variance(fit: PeriodicFit, k: int, frequency_err: float) -> np.ndarray:
    cov = fit.covariance.copy()
    i = fit.component_slice(k).start
    v = cov[i, i]
    v_new = (frequency_err * fit.t_scale) ** 2
    if v > 0:
        col = cov[:, i].copy()
        cov -= np.outer(col, col) / v * (1.0 - v_new / v)
        cov[i, :] = col * (v_new / v)
        cov[:, i] = col * (v_new / v)
        cov[i, i] = v_new
    return cov


def with_frequency(fit: PeriodicFit, tau, y, dy, k: int, frequency: float, frequency_err: float,
                   *, degree: int = 0) -> PeriodicFit:
    """``fit`` with component ``k``'s frequency set to ``frequency`` (standard error
    ``frequency_err``, e.g. from :func:`step_bracket`), the linear coefficients re-solved there,
    and the covariance rescaled along the frequency: the other parameters keep their regression
    on the frequency, ``C'_ll = C_l|f + C_lf C_fl v'/v^2``, ``C'_lf = C_lf v'/v``."""
    freqs = list(fit.frequency)
    same = freqs[k] == frequency
    freqs[k] = frequency
    sw = None if dy is None else 1.0 / dy
    if same:  # only the uncertainty changes: keep the coefficients
        cov = _rescale_frequency_variance(fit, k, frequency_err)
        return PeriodicFit(nu=fit.nu.copy(), n_harmonics=fit.n_harmonics, poly=fit.poly, a=fit.a, b=fit.b,
                           covariance=cov, residual=fit.residual, chi2=fit.chi2, t_scale=fit.t_scale,
                           iterations=fit.iterations)
    g = gram(tau, y, sw, freqs, fit.n_harmonics, degree, fit.t_scale)
    p = g.shape[0] - 1
    coef = _solve(g[:p, :p], g[:p, p])
    n_poly = degree + 1
    poly = coef[:n_poly]
    a_list, b_list = [], []
    c = n_poly
    for h in fit.n_harmonics:
        a_list.append(coef[c : c + 2 * h : 2].copy())
        b_list.append(coef[c + 1 : c + 2 * h : 2].copy())
        c += 2 * h
    nu = np.asarray(freqs) * fit.t_scale
    cov = _rescale_frequency_variance(fit, k, frequency_err)
    params = np.concatenate([poly] + [np.concatenate([[n], np.ravel(np.column_stack([a, b]))])
                                      for n, a, b in zip(nu, a_list, b_list, strict=True)])
    model = np.empty(tau.size)
    for sl in _chunks(tau.size):
        model[sl] = evaluate_centred(tau[sl], params, fit.n_harmonics, degree, fit.t_scale)
    r = y - model
    chi2 = float(r @ r) if sw is None else float((r * sw) @ (r * sw))
    return PeriodicFit(nu=nu, n_harmonics=fit.n_harmonics, poly=poly, a=a_list, b=b_list,
                       covariance=cov, residual=r, chi2=chi2, t_scale=fit.t_scale,
                       iterations=fit.iterations)


@dataclass(frozen=True)
class ComponentInfo:
    """How a component was found: the periodogram peak that revealed it (on the residual of the
    components before it), the divisor ``k`` that took that peak to the fundamental, the linear
    parameters of the null model the peak was tested against, and the step bracket if one
    sharpened the frequency."""

    detection_frequency: float
    detection_power: float
    divisor: int
    n_null: int
    bracket: StepBracket | None = None
    fundamental: str = "peak"  # why the fundamental was taken (FundamentalChoice.reason)


def _linear_chi2(tau, y, sw, freqs, n_harm, degree, t_scale) -> float:
    g = gram(tau, y, sw, freqs, n_harm, degree, t_scale)
    p = g.shape[0] - 1
    coef = _solve(g[:p, :p], g[:p, p])
    return float(max(g[p, p] - coef @ g[:p, p], 0.0))


def component_powers(tau, y, dy, fit: PeriodicFit, degree: int = 0) -> np.ndarray:
    """Each component's standard-normalised power given the rest of the model:
    ``(chi2_without_k - chi2) / chi2_without_k``, the others' frequencies held fixed. For one
    single-harmonic component this is the Lomb-Scargle power at the fitted frequency."""
    sw = None if dy is None else 1.0 / dy
    out = np.empty(fit.nu.size)
    freqs = list(fit.frequency)
    for k in range(fit.nu.size):
        keep = [i for i in range(fit.nu.size) if i != k]
        chi2_without = _linear_chi2(tau, y, sw, [freqs[i] for i in keep],
                                    [fit.n_harmonics[i] for i in keep], degree, fit.t_scale)
        out[k] = (chi2_without - fit.chi2) / chi2_without if chi2_without > 0 else 0.0
    return np.clip(out, 0.0, 1.0)


def find_components(
    tau,
    y,
    dy,
    find_peak,
    *,
    n_components: int = 1,
    degree: int = 0,
    t_scale: float | None = None,
    nyquist: float | None = None,
    min_frequency: float = 0.0,
    max_shift: float,
    harmonics: int | str = "auto",
    max_harmonics: int = MAX_HARMONICS,
    stop=None,
) -> tuple[PeriodicFit, list[ComponentInfo]]:
    """Find up to ``n_components`` independent periodic components, each with its harmonics, by
    prewhitening: find the highest peak of the residual, identify its fundamental, choose its
    harmonics, refit everything jointly, repeat.

    Parameters
    ----------
    tau, y, dy : ndarray
        Centred times, values, optional one-sigma errors.
    find_peak : callable
        ``find_peak(residual) -> (frequency, power)``: the highest periodogram peak of a residual
        (the caller's full grid or :func:`sigfit.search.search`).
    degree : int
        Polynomial trend fitted jointly.
    nyquist : float, optional
        The time stamps' own Nyquist frequency ``1/(2q)``: harmonics stay below it.
    min_frequency : float
        Lowest fundamental considered when dividing a peak (one cycle over the span).
    max_shift : float
        How far a fit may move a frequency from its peak (about one peak width).
    harmonics : "auto" or int
        ``"auto"``: the fundamental is identified and its number of harmonics chosen by BIC up to
        ``max_harmonics``; ``1``: pure sinusoids (no identification); ``H > 1``: identified, with
        ``H`` harmonics (fewer below ``nyquist``).
    stop : callable, optional
        ``stop(power, n_null) -> bool`` after each new component: True ends the search (the
        component is kept, e.g. to be reported as not significant).

    Returns
    -------
    (PeriodicFit, list of ComponentInfo), components in the order found
    """
    with single_threaded():
        return _find_components(tau, y, dy, find_peak, n_components=n_components, degree=degree,
                                t_scale=t_scale, nyquist=nyquist, min_frequency=min_frequency,
                                max_shift=max_shift, harmonics=harmonics,
                                max_harmonics=max_harmonics, stop=stop)


def _selection_subset(n: int, power: float) -> slice | None:
    """Every m-th sample (times are sorted: an even cover of the span) for model selection, or
    None when ``n`` is small or the standard power ``power`` of the peak would not be
    overwhelming in the subset (then the selection runs on all samples, as below the threshold)."""
    if n < SUBSET_MIN_N:
        return None
    step = subset_step(n)
    n_sub = -(-n // step)
    if not overwhelming(power, n_sub):
        return None
    return slice(0, n, step)


def _find_components(tau, y, dy, find_peak, *, n_components, degree, t_scale, nyquist,
                     min_frequency, max_shift, harmonics, max_harmonics, stop):
    tau = np.asarray(tau, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    t_scale = float(np.max(np.abs(tau))) if t_scale is None else float(t_scale)
    auto = harmonics == "auto"
    h_fixed = None if auto else int(harmonics)
    if h_fixed is not None and h_fixed < 1:
        raise ValueError("harmonics must be 'auto' or a positive integer")
    freqs: list[float] = []
    n_harm: list[int] = []
    infos: list[ComponentInfo] = []
    fit: PeriodicFit | None = None
    # the residual of the polynomial alone is what the first periodogram sees
    resid = y - np.polynomial.polynomial.polyval(tau / t_scale, fit_trend(tau, y, dy, degree, t_scale))
    lone_step = n_components == 1 and degree == 0 and h_fixed != 1
    span = float(np.ptp(tau))
    for _ in range(n_components):
        fp, power = find_peak(resid)
        n_null = degree + 1 + sum(1 + 2 * h for h in n_harm)
        # large N with an overwhelming peak: the model (refined peak, divisor, harmonics) is chosen
        # on a subset; the joint fit below refines it on all samples (its frequency error from the
        # subset, ~(N/n)^1.5 of the final one, is far inside the fit's basin)
        sub = _selection_subset(y.size, power)
        sel = slice(None) if sub is None else sub
        dy_sel = None if dy is None else dy[sel]
        one = fit_periodic(tau[sel], resid[sel], dy_sel, [fp], [1], degree=degree, t_scale=t_scale,
                           max_shift=max_shift)
        fp_ref = float(one.frequency[0])
        if sub is None:
            # the significance of the refined peak, not of the grid point next to it (issue 13)
            sw = None if dy is None else 1.0 / dy
            chi2_null = _linear_chi2(tau, resid, sw, [], [], degree, t_scale)
            if chi2_null > 0:
                chi2_one = _linear_chi2(tau, resid, sw, [fp_ref], [1], degree, t_scale)
                power = max(float(power), (chi2_null - chi2_one) / chi2_null)
        bracket = None
        g0 = None
        why = "peak"
        if h_fixed == 1:
            f0, h, k = fp_ref, 1, 1
            fit = None
        else:
            choice = choose_fundamental(tau[sel], resid[sel], dy_sel, fp_ref, nyquist=nyquist,
                                        min_frequency=min_frequency, span=span, degree=degree,
                                        t_scale=t_scale)
            k, h_own, why = choice.divisor, choice.n_harmonics_peak, choice.reason
            f0 = fp_ref / k
            if auto:
                cap = min(harmonic_limit(f0, nyquist, max_harmonics), _harmonics_affordable(y.size, degree))
            else:
                # an explicit request is honoured, or refused (issue 13): the cap on samples per
                # parameter is for the automatic choice only
                cap = _explicit_harmonics(h_fixed, f0, nyquist, y.size, n_null)
            clash = collision_limit(f0, freqs, n_harm, 1.0 / float(np.ptp(tau))) if freqs else None
            if clash is not None:
                cap = min(cap, clash)  # harmonics stop below an earlier component's line
            # a few harmonics first: harmonic h multiplies the frequency error by h (none when the
            # peak is its own fundamental and BIC wants none of its harmonics: that fit is `one`)
            mid = min(cap, ID_HARMONICS * k)
            mid_fit = one if (k == 1 and h_own == 1) else fit_periodic(
                tau[sel], resid[sel], dy_sel, [f0], [mid], degree=degree, t_scale=t_scale,
                max_shift=max_shift / k)
            f0 = float(mid_fit.frequency[0])
            f_err = math.sqrt(max(mid_fit.covariance[degree + 1, degree + 1], 0.0)) / t_scale
            if lone_step:
                # digits, states: folding brackets the frequency far below a harmonic series' error
                bracket = step_bracket(tau, y, f0, f_err)
                if bracket is not None:
                    f0 = bracket.frequency
            if auto:
                # alone, the component is selected on y itself (same path: the polynomial is in
                # the design), so its Gram matrix also starts the final fit
                h, _, g0 = select_n_harmonics(tau[sel], (y if not freqs else resid)[sel], dy_sel, f0,
                                              cap, degree=degree, t_scale=t_scale,
                                              return_gram=True)
                if g0 is not None and h >= SHAPE_MIN_DIVISOR:
                    keep = list(range(degree + 1 + 2 * h)) + [g0.shape[0] - 1]
                    m = first_new_period(_line_amplitudes(g0[np.ix_(keep, keep)], degree + 1, h,
                                                          y[sel].size))
                    if m is not None:
                        h = m - 1  # lines m, 2m, ... are another period's: found next, on its own
                if freqs:
                    g0 = None  # selected on the residual: not the Gram matrix of the joint fit
                # (a subset's Gram matrix still gives the fit on all samples its starting point)
            else:
                h = cap
        if bracket is None:
            fit = fit_periodic(tau, y, dy, [*freqs, f0], [*n_harm, h], degree=degree, t_scale=t_scale,
                               max_shift=max_shift, initial_gram=g0 if not freqs else None)
            if lone_step and h_fixed != 1:
                # the many-harmonic fit may resolve the edges where the first fit could not
                f_err = math.sqrt(max(fit.covariance[degree + 1, degree + 1], 0.0)) / t_scale
                bracket = step_bracket(tau, y, float(fit.frequency[0]), f_err)
                if bracket is not None and bracket.frequency_err < f_err:
                    fit = with_frequency(fit, tau, y, dy, 0, bracket.frequency, bracket.frequency_err,
                                         degree=degree)
                else:
                    bracket = None
        else:
            fit = fit_periodic(tau, y, dy, [f0], [h], degree=degree, t_scale=t_scale, max_iter=0,
                               initial_gram=g0)
            sl = fit.component_slice(0)
            f_err_fit = math.sqrt(max(fit.covariance[sl.start, sl.start], 0.0)) / t_scale
            if bracket.frequency_err < f_err_fit:
                fit = with_frequency(fit, tau, y, dy, 0, bracket.frequency, bracket.frequency_err,
                                     degree=degree)
            else:  # the harmonic series is the sharper estimate (e.g. a sampled sawtooth)
                bracket = None
                fit = fit_periodic(tau, y, dy, [f0], [h], degree=degree, t_scale=t_scale,
                                   max_shift=max_shift)
        freqs = [float(f) for f in fit.frequency]
        n_harm.append(h)
        infos.append(ComponentInfo(detection_frequency=float(fp), detection_power=float(power),
                                   divisor=int(k), n_null=int(n_null), bracket=bracket,
                                   fundamental=why))
        resid = fit.residual
        if stop is not None and stop(power, n_null):
            break
    assert fit is not None
    return fit, infos


def component_summary(fit: PeriodicFit, k: int, t_ref: float) -> dict:
    """Component ``k`` in the package's convention: frequency, each harmonic's amplitude and
    phase at ``t = 0`` of the caller's axis (``t = tau + t_ref``), and first-order standard
    errors from the covariance.

    ``a sin(th) + b cos(th) = A sin(th + phi)`` with ``A = hypot(a, b)``, ``phi = atan2(b, a)``;
    moving the origin from ``t_ref`` to 0 subtracts ``2 pi frac(h f t_ref)``, computed with the
    error-free product so the phase keeps its digits when ``t_ref ~ 4e9``.
    """
    sl = fit.component_slice(k)
    cov = fit.covariance[sl, sl]
    nu = fit.nu[k]
    f = nu / fit.t_scale
    a, b = fit.a[k], fit.b[k]
    h_count = a.size
    amp = np.hypot(a, b)
    phase_c = np.arctan2(b, a)
    cyc_ref = float(frac_cycles(f, np.array([t_ref]))[0])
    hs = np.arange(1, h_count + 1)
    phase0 = phase_c - TWO_PI * np.mod(hs * cyc_ref, 1.0)
    phase0 = (phase0 + math.pi) % TWO_PI - math.pi
    # Jacobian of (f, A_1, phi_1, ..., A_H, phi_H) wrt (nu, a_1, b_1, ..., a_H, b_H)
    m = 1 + 2 * h_count
    jm = np.zeros((m, m))
    jm[0, 0] = 1.0 / fit.t_scale
    amp_safe = np.maximum(amp, 1e-300)
    for i in range(h_count):
        ia, ib = 1 + 2 * i, 2 + 2 * i
        jm[ia, ia] = a[i] / amp_safe[i]
        jm[ia, ib] = b[i] / amp_safe[i]
        jm[ib, ia] = -b[i] / amp_safe[i] ** 2
        jm[ib, ib] = a[i] / amp_safe[i] ** 2
        jm[ib, 0] = -TWO_PI * (i + 1) * t_ref / fit.t_scale
    c = jm @ cov @ jm.T
    err = np.sqrt(np.clip(np.diag(c), 0.0, None))
    # an exact fit (a digit's shape is often fully described by its harmonics on integer stamps)
    # leaves round-off only: never claim more than float64 can represent
    err[0] = max(err[0], FREQUENCY_ERR_FLOOR * abs(f))
    return {
        "frequency": float(f),
        "frequency_err": float(err[0]),
        "amplitudes": amp,
        "amplitude_errs": err[1::2],
        "phases": phase0,
        "phase_errs": err[2::2],
    }


def to_components(fit: PeriodicFit, infos, tau, y, dy, t_ref: float, *, fap, fap_threshold: float,
                  degree: int = 0, nyquist: float | None = None, max_harmonics: int = MAX_HARMONICS):
    """The fitted components as :class:`sigfit.results.Component` (fundamental amplitude and
    phase, every harmonic's, errors), with each component's false-alarm probability
    ``fap(detection_power, n_null)`` of the peak that revealed it, and notes on what limited the
    harmonics. Returns ``(components, notes)``."""
    from .results import Component

    powers = component_powers(tau, y, dy, fit, degree)
    out, notes = [], []
    for k, info in enumerate(infos):
        s = component_summary(fit, k, t_ref)
        at_ref = component_summary(fit, k, 0.0)
        p_fa = float(fap(info.detection_power, info.n_null))
        h = fit.n_harmonics[k]
        out.append(Component(
            frequency=s["frequency"], frequency_err=s["frequency_err"],
            phase=float(s["phases"][0]), phase_err=float(s["phase_errs"][0]),
            amplitude=float(s["amplitudes"][0]), amplitude_err=float(s["amplitude_errs"][0]),
            power=float(powers[k]), false_alarm_probability=p_fa,
            significant=bool(p_fa <= fap_threshold), n_harmonics=int(h),
            harmonic_amplitudes=tuple(float(a) for a in s["amplitudes"]) if h > 1 else (),
            harmonic_phases=tuple(float(p) for p in s["phases"]) if h > 1 else (),
            # the fundamental's phase at t = t_ref (inside the data), with its own error
            reference_time=float(t_ref), reference_phase=float(at_ref["phases"][0]),
            reference_phase_err=float(at_ref["phase_errs"][0]),
            fundamental=info.fundamental,
        ))
        if h > 1 and nyquist is not None and h == harmonic_limit(s["frequency"], nyquist, 10**9) \
                and h < max_harmonics:
            notes.append(
                f"period {1 / s['frequency']:.10g}: {h} harmonics, all below the time stamps' "
                f"Nyquist frequency {nyquist:g}; higher harmonics of its shape alias onto these"
            )
    return out, notes


__all__ = [
    "ComponentInfo",
    "FundamentalChoice",
    "PeriodicFit",
    "StepBracket",
    "component_powers",
    "component_summary",
    "find_components",
    "evaluate_centred",
    "choose_fundamental",
    "coherence_p_value",
    "fit_periodic",
    "harmonic_limit",
    "identify_fundamental",
    "select_n_harmonics",
    "single_threaded",
    "step_bracket",
    "to_components",
    "with_frequency",
]
