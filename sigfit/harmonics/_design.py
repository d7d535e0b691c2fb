"""Design columns and Gram matrices of harmonic models: the polynomial and ``sin, cos(2 pi h f
tau)`` columns, ``[X y]^T W [X y]`` in chunks or from trigonometric sums by one non-uniform FFT,
the residual path of one Cholesky factor, and the BIC; how many harmonics a frequency and a
sample count allow; the polynomial trend alone (:func:`fit_trend`)."""

from __future__ import annotations

import math

import numpy as np

from .._numerics import (
    TWO_PI,
    centred_cycles,
    frac_cycles,
    normal_lstsq,
)

MAX_HARMONICS = 48  # default cap: cost grows as N*(2H)^2 per Gauss-Newton step
ROWS = 8192  # rows of the design matrix held at once
SAMPLES_PER_PARAM = 5  # harmonic models keep at least this many samples per parameter
NYQUIST_MARGIN = 1e-6  # a harmonic this close (relative) to the stamps' Nyquist counts as on it
# residual sums of squares below this fraction of the total are round-off of the Gram-matrix path
# (|y|^2 - sum R_iy^2 cancels to ~1e-14 of |y|^2), not signal: BIC compares them as equal
RSS_FLOOR = 1e-10


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

    from ..errors import InputError, SigfitWarning

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


def n_params(n_components: int, degree: int) -> int:
    """Parameters of a model with ``n_components`` sinusoids and a trend of ``degree``."""
    return degree + 1 + 3 * n_components


def fit_trend(tau, y, dy, degree: int, t_scale: float) -> np.ndarray:
    """The polynomial (offset included) alone, ``c_0..c_d`` in powers of ``u = tau/t_scale``:
    what the periodogram sees removed (weighted, :func:`sigfit._numerics.normal_lstsq`; ``|u| <= 1``
    keeps the columns of comparable size)."""
    aw = _poly_cols(tau / t_scale, degree)
    if dy is None:
        return normal_lstsq(aw, y)
    sw = 1.0 / dy
    return normal_lstsq(aw * sw[:, None], y * sw)


REANCHOR = 16  # harmonics between exact evaluations in the angle-addition recurrence


def _harmonic_cols(tau: np.ndarray, frequency: float, n_harmonics: int,
                   out: np.ndarray | None = None) -> np.ndarray:
    """sin, cos of ``2 pi h f tau`` for h = 1..H, interleaved. The fundamental's angle is reduced
    in cycles with an error-free product; harmonics follow by angle addition (a few ulp per
    step), re-anchored on exact values every :data:`REANCHOR` harmonics.

    Built one contiguous row per column and returned as the transposed view (N, 2H), Fortran
    order: the recurrence then walks contiguous memory (2-4x faster at 29-48 harmonics than on
    the columns of a C-ordered array, the same numbers bit for bit)."""
    cyc = centred_cycles(frequency, tau)
    if out is None:  # else a C-ordered (2H, N) array to fill (the Jacobian's rows)
        out = np.empty((2 * n_harmonics, tau.size))
    s1 = np.sin(TWO_PI * cyc)
    c1 = np.cos(TWO_PI * cyc)
    out[0], out[1] = s1, c1
    for h in range(2, n_harmonics + 1):
        j = 2 * (h - 1)
        if (h - 1) % REANCHOR == 0:
            th = TWO_PI * np.mod(h * cyc, 1.0)
            out[j] = np.sin(th)
            out[j + 1] = np.cos(th)
        else:
            sp, cp = out[j - 2], out[j - 1]
            np.multiply(sp, c1, out=out[j])
            out[j] += cp * s1
            np.multiply(cp, c1, out=out[j + 1])
            out[j + 1] -= sp * s1
    return out.T


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
    p = g.shape[0] - 1
    try:
        low = np.linalg.cholesky(g[:p, :p])  # R^T (p <= ~60: numpy's LAPACK, no scipy import)
    except np.linalg.LinAlgError:
        return None
    ry = np.linalg.solve(low, g[:p, p])  # R^-T g_y: the projections onto the orthonormal columns
    return g[p, p] - np.concatenate([[0.0], np.cumsum(ry**2)])


def _bic(rss: np.ndarray | float, n_params, n: int, floor: float, weighted: bool):
    rss = np.maximum(rss, floor)
    if weighted:  # chi2 with known errors
        return rss + np.asarray(n_params) * math.log(n)
    return n * np.log(rss / n) + np.asarray(n_params) * math.log(n)


def _floor(y, sw) -> float:
    yy = y if sw is None else y * sw
    return RSS_FLOOR * y.size * float(np.var(yy)) + 1e-300
