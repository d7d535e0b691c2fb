"""The generalised (multi-term, floating-mean) Lomb-Scargle periodogram at any frequencies.

The model at frequency ``f`` is ``y = [theta_0] + sum_{n=1}^{nterms} theta_{2n-1} sin(2 pi n f t)
+ theta_{2n} cos(2 pi n f t)`` fitted by weighted least squares (weights ``1/dy^2``; the bias
``theta_0`` only with ``fit_mean``), as astropy's ``LombScargle`` (VanderPlas & Ivezic 2015, ApJ
812, 18; Zechmeister & Kuerster 2009, A&A 496, 577). The power is built from the explained chi-square
``p(f) = chi2_ref - chi2(f)``, with ``chi2_ref`` that of the (weighted) mean, or of zero when the data
are neither centred nor fitted with a mean:

========== ==================================== ==================
name       power                                range
========== ==================================== ==================
standard   ``p / chi2_ref``                     [0, 1]
model      ``p / (chi2_ref - p)``               [0, inf)
log        ``-log(1 - p / chi2_ref)``           [0, inf)
psd        ``p / 2`` (units of y^2 without dy)  [0, inf)
========== ==================================== ==================

Backends share one signature ``power(t, y, dy, frequency, *, fit_mean, center_data, nterms,
normalization, **kwds)`` over float64 arrays (``frequency`` 1-D) and sit in :data:`METHODS`:

- ``fast``: the normal equations from trigonometric sums by non-uniform FFT
  (:mod:`sigfit.periodograms.trig`), O(N + M log M) for any ``nterms``; ``use_fft=False`` sums
  directly instead.
- ``slow``: the same normal equations from direct sums (O(N*M), memory bounded).
- ``chi2``: an explicit weighted least-squares fit at every frequency (the definition; O(N*M)).

``auto`` resolves to ``fast`` (:func:`validate_method`). Where the design is singular (``f = 0``,
where the sines vanish; evenly spaced samples at Nyquist) the vanishing columns are dropped, so the
power stays defined: the fit of what is left.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .._numerics import TWO_PI, centred_cycles
from ..errors import InputError
from . import trig

NORMALIZATIONS = ("standard", "model", "log", "psd")
# A column whose weighted mean square is below this fraction of the weights' sum is round-off of
# zero (the NUFFT sums carry ~1e-13 of sum |w|): sin(2 pi f t) at f = 0, or at Nyquist on a lattice
ZERO_COLUMN = 1e-10
# A pivot of the standardised normal matrix (unit diagonal) below this is a column collinear with
# the earlier ones to round-off: it is left out (the fit of the others)
RCOND = 1e-11


def check_normalization(normalization: str) -> str:
    """``normalization`` itself, or InputError naming the choices."""
    if normalization not in NORMALIZATIONS:
        raise InputError(
            f"normalization {normalization!r} is not recognized: choose one of {', '.join(NORMALIZATIONS)}"
        )
    return normalization


def check_nterms(nterms, fit_mean: bool) -> int:
    """``nterms`` as an int >= 0, or InputError (``nterms=0`` needs the mean)."""
    if isinstance(nterms, bool) or not isinstance(nterms, (int, np.integer)) or nterms < 0:
        raise InputError(f"nterms must be an integer >= 0, got {nterms!r}")
    if nterms == 0 and not fit_mean:
        raise InputError("nterms=0 with fit_mean=False leaves no model to fit: pass nterms >= 1 or fit_mean=True")
    return int(nterms)


def prepare(y: np.ndarray, dy: np.ndarray | None, *, fit_mean: bool, center_data: bool):
    """Weights ``w = 1/dy^2``, the values the fits see (centred by the weighted mean when
    ``center_data`` or ``fit_mean``: the fit with a mean is the same either way) and ``chi2_ref``."""
    w = np.ones_like(y) if dy is None else 1.0 / np.broadcast_to(dy, y.shape) ** 2
    yc = y - np.dot(w, y) / w.sum() if (center_data or fit_mean) else y
    return w, yc, float(np.dot(w, yc * yc))


def normalize(p: np.ndarray, chi2_ref: float, normalization: str) -> np.ndarray:
    """The explained chi-square ``p`` in ``normalization`` (see the module's table)."""
    if normalization == "psd":
        return 0.5 * p
    if normalization == "standard":
        return p / chi2_ref
    if normalization == "model":
        return p / (chi2_ref - p)
    if normalization == "log":
        return -np.log1p(-p / chi2_ref)
    raise InputError(f"normalization {normalization!r} is not recognized")


def convert_normalization(power, n_samples: int, from_normalization: str, to_normalization: str,
                          chi2_ref: float | None = None) -> np.ndarray:
    """Power in one normalization expressed in another (astropy's ``convert_normalization``).

    Parameters
    ----------
    power : array_like
        The periodogram in ``from_normalization``.
    n_samples : int
        Number of samples (kept for astropy's signature; the conversions do not need it).
    from_normalization, to_normalization : {'standard', 'model', 'log', 'psd'}
        The normalizations.
    chi2_ref : float, optional
        The reference chi-square (:func:`prepare`), needed to or from ``psd``.

    Returns
    -------
    ndarray
        The same periodogram in ``to_normalization``.

    Examples
    --------
    >>> float(convert_normalization(0.5, 100, "standard", "model"))
    1.0
    """
    z = np.asarray(power, dtype=np.float64)
    check_normalization(from_normalization)
    check_normalization(to_normalization)
    if from_normalization == to_normalization:
        return z
    if "psd" in (from_normalization, to_normalization) and chi2_ref is None:
        raise InputError("converting to or from 'psd' needs chi2_ref, the reference chi-square of the data")
    # to the explained fraction s = p / chi2_ref, then out
    if from_normalization == "standard":
        s = z
    elif from_normalization == "model":
        s = z / (1.0 + z)
    elif from_normalization == "log":
        s = -np.expm1(-z)
    else:
        s = 2.0 * z / chi2_ref
    if to_normalization == "standard":
        return s
    if to_normalization == "model":
        return s / (1.0 - s)
    if to_normalization == "log":
        return -np.log1p(-s)
    return 0.5 * chi2_ref * s


def _normal_equations(sw: np.ndarray, sy: np.ndarray, y0: float, fit_mean: bool, nterms: int):
    """``X^T W X`` (M, p, p) and ``X^T W y`` (M, p) from the sums ``sw[m] = sum w e^(i m th)``,
    ``m = 0..2*nterms``, and ``sy[h] = sum w y e^(i h th)``, ``h = 1..nterms`` (``th = 2 pi f t``);
    ``y0 = sum w y``. Columns: [1,] sin(th), cos(th), sin(2 th), ..."""
    m = sw.shape[1]
    c, s = sw.real, sw.imag
    b = int(fit_mean)
    p = b + 2 * nterms
    xtx = np.empty((m, p, p))
    xty = np.empty((m, p))
    if fit_mean:
        xtx[:, 0, 0] = c[0]
        xty[:, 0] = y0
    hs = np.arange(1, nterms + 1)
    if nterms:
        si, ci = b + 2 * (hs - 1), b + 2 * (hs - 1) + 1
        if fit_mean:
            xtx[:, 0, si] = s[hs].T
            xtx[:, 0, ci] = c[hs].T
            xtx[:, si, 0] = s[hs].T
            xtx[:, ci, 0] = c[hs].T
        a, bb = hs[:, None], hs[None, :]
        dif, tot = np.abs(a - bb), a + bb
        sgn = np.sign(a - bb)
        ss = 0.5 * (c[dif] - c[tot])  # (H, H, M)
        cc = 0.5 * (c[dif] + c[tot])
        sc = 0.5 * (s[tot] + sgn[:, :, None] * s[dif])  # sum w sin(a th) cos(b th)
        xtx[:, si[:, None], si[None, :]] = np.moveaxis(ss, -1, 0)
        xtx[:, ci[:, None], ci[None, :]] = np.moveaxis(cc, -1, 0)
        xtx[:, si[:, None], ci[None, :]] = np.moveaxis(sc, -1, 0)
        xtx[:, ci[:, None], si[None, :]] = np.moveaxis(np.swapaxes(sc, 0, 1), -1, 0)
        xty[:, si] = sy.imag.T
        xty[:, ci] = sy.real.T
    return xtx, xty


def explained(xtx: np.ndarray, xty: np.ndarray, wsum: float) -> np.ndarray:
    """``xty^T xtx^+ xty`` per frequency: columns at round-off of zero dropped
    (:data:`ZERO_COLUMN`), the rest standardised and factored ``L D L^T`` across all frequencies at
    once (vector operations of length M; p is small); a pivot below :data:`RCOND` marks a column
    in the span of the earlier ones, which is then left out (the least-squares fit of the rest)."""
    m, p = xty.shape
    diag = np.einsum("mii->mi", xtx)
    keep = diag > ZERO_COLUMN * wsum
    d = np.where(keep, np.sqrt(np.where(keep, diag, 1.0)), 1.0)
    a = xtx / (d[:, :, None] * d[:, None, :])
    b = np.where(keep, xty / d, 0.0)
    low = np.zeros((m, p, p))
    piv = np.zeros((m, p))
    z = np.zeros((m, p))
    total = np.zeros(m)
    for j in range(p):
        dj = a[:, j, j] - np.sum(low[:, j, :j] ** 2 * piv[:, :j], axis=1)
        ok = keep[:, j] & (dj > RCOND)
        safe = np.where(ok, dj, 1.0)
        for i in range(j + 1, p):
            lij = (a[:, i, j] - np.sum(low[:, i, :j] * low[:, j, :j] * piv[:, :j], axis=1)) / safe
            low[:, i, j] = np.where(ok, lij, 0.0)
        piv[:, j] = np.where(ok, dj, 0.0)
        zj = b[:, j] - np.sum(low[:, j, :j] * z[:, :j], axis=1)
        z[:, j] = np.where(ok, zj, 0.0)
        total += np.where(ok, zj * zj / safe, 0.0)
    return total


def explained_one_term(sw: np.ndarray, sy: np.ndarray, y0: float) -> np.ndarray:
    """:func:`explained` for the floating-mean sinusoid (``fit_mean=True, nterms=1``) in closed
    form: the mean eliminated (a Schur complement), then the 2 x 2 system of sine and cosine solved
    directly; vector operations over the frequencies instead of a factorisation loop. Frequencies
    where that system is singular to :data:`RCOND` (``f = 0``; Nyquist on a lattice) go to
    :func:`explained`, which drops the vanishing column. ``sw`` is ``(3, M)`` (the weights' sums
    at 0, f, 2f), ``sy`` ``(M,)`` (the weighted values' sums at f)."""
    return explained_one_term_sums(sw[0].real, sw[1], sw[2], sy, y0)


def explained_one_term_sums(c0, w1: np.ndarray, w2: np.ndarray, sy: np.ndarray, y0: float) -> np.ndarray:
    """:func:`explained_one_term` with the weights' sums apart: ``c0`` at 0 (an array or, the
    same at every frequency, a number), ``w1`` and ``w2`` at f and 2f. The zoom windows of a
    coarse-to-fine search (2.7e6 frequencies at 1e5 samples) then need no (3, M) stack."""
    c, s = w1.real, w1.imag
    c2, s2 = w2.real, w2.imag
    a11 = 0.5 * (c0 - c2) - s * s / c0  # sin-sin, less the mean's share
    a22 = 0.5 * (c0 + c2) - c * c / c0  # cos-cos
    a12 = 0.5 * s2 - s * c / c0
    b1 = sy.imag - s * y0 / c0
    b2 = sy.real - c * y0 / c0
    det = a11 * a22 - a12 * a12
    ok = (a11 > ZERO_COLUMN * c0) & (a22 > ZERO_COLUMN * c0) & (det > RCOND * a11 * a22)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = (a22 * b1 * b1 - 2.0 * a12 * b1 * b2 + a11 * b2 * b2) / det + y0 * y0 / c0
    if not ok.all():
        bad = ~ok
        c0_bad = np.broadcast_to(np.asarray(c0, dtype=np.float64), w1.shape)[bad]
        sw = np.stack([c0_bad.astype(np.complex128), w1[bad], w2[bad]])
        xtx, xty = _normal_equations(sw, sy[None, bad], y0, True, 1)
        p[bad] = explained(xtx, xty, float(c0_bad[0]))
    return p


def _from_sums(t, y, dy, frequency, *, fit_mean, center_data, nterms, normalization, sums):
    w, yc, chi2_ref = prepare(y, dy, fit_mean=fit_mean, center_data=center_data)
    if nterms == 0:
        # the mean alone explains nothing of data centred on it (fit_mean centres them)
        p = np.zeros(frequency.shape)
        return normalize(p, chi2_ref, normalization)
    tc = t - 0.5 * (t.max() + t.min())  # the power does not depend on the time origin
    strengths = np.vstack([w, w * yc]).astype(np.complex128)
    harmonics = list(range(0, 2 * nterms + 1))
    out = sums(tc, strengths, frequency, harmonics)  # (2, 2*nterms + 1, M)
    xtx, xty = _normal_equations(out[0], out[1, 1 : nterms + 1], float(np.dot(w, yc)), fit_mean, nterms)
    p = explained(xtx, xty, float(w.sum()))
    return normalize(np.clip(p, 0.0, chi2_ref), chi2_ref, normalization)


def power_fast(t, y, dy, frequency, *, fit_mean=True, center_data=True, nterms=1,
               normalization="standard", use_fft=True, eps=trig.NUFFT_EPS):
    """Power from trigonometric sums by non-uniform FFT (``use_fft=False``: direct sums)."""
    if use_fft:
        def sums(tc, c, f, hs):
            return trig.nufft_sums(tc, c, f, hs, eps=eps)
    else:
        sums = trig.direct_sums
    return _from_sums(t, y, dy, frequency, fit_mean=fit_mean, center_data=center_data,
                      nterms=nterms, normalization=normalization, sums=sums)


def power_slow(t, y, dy, frequency, *, fit_mean=True, center_data=True, nterms=1,
               normalization="standard"):
    """Power from direct trigonometric sums (the reference for ``fast``)."""
    return _from_sums(t, y, dy, frequency, fit_mean=fit_mean, center_data=center_data,
                      nterms=nterms, normalization=normalization, sums=trig.direct_sums)


def design(t: np.ndarray, frequency: float, *, fit_mean: bool, nterms: int,
           dy: np.ndarray | None = None) -> np.ndarray:
    """The design matrix ``[1,] sin(2 pi f t), cos(2 pi f t), ..., sin(2 pi n f t), cos(...)``
    (rows divided by ``dy`` when given), phases by an error-free product."""
    cols = [np.ones_like(t)] if fit_mean else []
    for h in range(1, nterms + 1):
        ph = TWO_PI * centred_cycles(h * frequency, t)
        cols += [np.sin(ph), np.cos(ph)]
    x = np.stack(cols, axis=1) if cols else np.empty((t.size, 0))
    if dy is not None:
        x = x / np.broadcast_to(dy, t.shape)[:, None]
    return x


def power_chi2(t, y, dy, frequency, *, fit_mean=True, center_data=True, nterms=1,
               normalization="standard"):
    """Power by an explicit weighted least-squares fit at every frequency (the definition)."""
    w, yc, chi2_ref = prepare(y, dy, fit_mean=fit_mean, center_data=center_data)
    if nterms == 0:
        return normalize(np.zeros(frequency.shape), chi2_ref, normalization)  # as _from_sums
    sw = np.sqrt(w)
    tc = t - 0.5 * (t.max() + t.min())
    p = np.empty(frequency.size)
    for k, f in enumerate(frequency):
        x = design(tc, float(f), fit_mean=fit_mean, nterms=nterms) * sw[:, None]
        theta, *_ = np.linalg.lstsq(x, yc * sw, rcond=None)
        r = yc * sw - x @ theta
        p[k] = chi2_ref - float(r @ r)
    return normalize(np.clip(p, 0.0, chi2_ref), chi2_ref, normalization)


PowerFunction = Callable[..., np.ndarray]
# The one list of periodogram methods of sigfit.LombScargle; docstrings are checked against it.
METHODS: dict[str, PowerFunction] = {
    "fast": power_fast,
    "slow": power_slow,
    "chi2": power_chi2,
}
METHOD_KWDS: dict[str, tuple[str, ...]] = {"fast": ("use_fft", "eps"), "slow": (), "chi2": ()}


def available_methods() -> list[str]:
    """``'auto'`` and every name of :data:`METHODS`."""
    return ["auto", *METHODS]


def validate_method(method: str) -> str:
    """A concrete method name for ``method`` (``auto`` -> ``fast``), or InputError naming them."""
    if method == "auto":
        return "fast"
    if method not in METHODS:
        raise InputError(f"invalid method {method!r}: choose one of {', '.join(available_methods())}")
    return method


def lombscargle(t, y, dy, frequency, *, method="auto", method_kwds=None, fit_mean=True,
                center_data=True, nterms=1, normalization="standard") -> np.ndarray:
    """The periodogram of plain arrays at ``frequency`` (any shape) by ``method``.

    Parameters
    ----------
    t, y : ndarray
        Times and values (float64, 1-D).
    dy : ndarray, float or None
        One-sigma uncertainties.
    frequency : ndarray
        Frequencies (cycles per unit of t), any shape; the result has the same shape.
    method : str
        ``'auto'`` or a name of :data:`METHODS`.
    method_kwds : dict, optional
        Keywords of the method (:data:`METHOD_KWDS`).
    fit_mean, center_data, nterms, normalization
        As :class:`sigfit.LombScargle`.

    Returns
    -------
    ndarray
        The power, shaped like ``frequency``.
    """
    name = validate_method(method)
    kwds = dict(method_kwds or {})
    unknown = sorted(set(kwds) - set(METHOD_KWDS[name]))
    if unknown:
        allowed = ", ".join(METHOD_KWDS[name]) or "none"
        raise InputError(f"method {name!r} takes no keyword {', '.join(unknown)}: its keywords are {allowed}")
    check_normalization(normalization)
    nterms = check_nterms(nterms, fit_mean)
    f = np.asarray(frequency, dtype=np.float64)
    if not np.all(np.isfinite(f)):
        raise InputError("frequency holds NaN or inf: pass finite frequencies (cycles per unit of t)")
    flat = np.ascontiguousarray(f.ravel())
    p = METHODS[name](np.asarray(t, dtype=np.float64), np.asarray(y, dtype=np.float64),
                      None if dy is None else np.asarray(dy, dtype=np.float64), flat,
                      fit_mean=fit_mean, center_data=center_data, nterms=nterms,
                      normalization=normalization, **kwds)
    return np.reshape(p, f.shape)


def design_matrix(t, frequency, dy=None, bias=True, nterms=1) -> np.ndarray:
    """astropy's ``design_matrix``: columns ``[1,] sin(2 pi n f t), cos(2 pi n f t)`` for
    ``n = 1..nterms``, rows divided by ``dy`` when given.

    Examples
    --------
    >>> design_matrix(np.array([0.0, 0.25]), 1.0).round(12)
    array([[1., 0., 1.],
           [1., 1., 0.]])
    """
    t = np.asarray(t, dtype=np.float64)
    if t.ndim != 1:
        raise InputError("t should be one dimensional")
    if np.ndim(frequency) != 0:
        raise InputError("frequency must be a scalar")
    if nterms == 0 and not bias:
        raise InputError("cannot have nterms=0 and no bias: pass nterms >= 1 or bias=True")
    return design(t, float(frequency), fit_mean=bool(bias), nterms=int(nterms),
                  dy=None if dy is None else np.asarray(dy, dtype=np.float64))
