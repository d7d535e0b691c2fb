"""Nonlinear least squares for sums of sinusoids plus a polynomial trend.

Model, on centred time ``tau = t - t_ref`` and ``u = tau / t_scale`` (``t_scale = max|tau|``)::

    y = sum_j c_j u^j  +  sum_k [a_k sin(2 pi nu_k u) + b_k cos(2 pi nu_k u)]

with ``nu_k = f_k * t_scale`` (cycles per ``t_scale``). Sine/cosine amplitudes keep the problem
free of phase wrapping and nearly linear; ``u`` in [-1, 1] keeps the Jacobian columns of similar
size. Angles are reduced in cycles (``mod(nu*u, 1)``) before multiplying by 2*pi, so the
argument of ``sin`` keeps its digits at any span.

Solved by ``scipy.optimize.least_squares`` with the analytic Jacobian. For white Gaussian noise
this is the maximum-likelihood estimate, whose frequency error reaches the Cramer-Rao bound
(Rife & Boorstyn 1974, IEEE Trans. Inf. Theory 20, 591). Standard errors come from the
covariance ``(J^T W J)^-1 * s^2`` with ``s^2 = chi2/(N - P)`` (no ``dy``) or ``s^2 = 1`` (``dy``
are one-sigma errors, like ``curve_fit(absolute_sigma=True)``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .._numerics import TWO_PI


@dataclass
class Fit:
    """A fitted model. Parameter order: ``c_0..c_d``, then ``(nu_k, a_k, b_k)`` per tone."""

    nu: np.ndarray  # (K,) cycles per t_scale
    a: np.ndarray  # (K,) sine coefficients
    b: np.ndarray  # (K,) cosine coefficients
    poly: np.ndarray  # (d+1,) c_0..c_d in powers of u
    covariance: np.ndarray  # (P, P)
    residual: np.ndarray  # y - model (unweighted)
    chi2: float  # weighted sum of squared residuals
    t_scale: float

    @property
    def degree(self) -> int:
        return self.poly.size - 1

    @property
    def frequency(self) -> np.ndarray:
        return self.nu / self.t_scale

    @property
    def n_params(self) -> int:
        return self.poly.size + 3 * self.nu.size

    def tone_slice(self, k: int) -> slice:
        """Where ``(nu_k, a_k, b_k)`` sit in the parameter vector."""
        start = self.poly.size + 3 * k
        return slice(start, start + 3)


def n_params(n_components: int, degree: int) -> int:
    """Parameters of a model with ``n_components`` tones and a trend of ``degree``."""
    return degree + 1 + 3 * n_components


def _angles(u: np.ndarray, nu: float) -> np.ndarray:
    x = nu * u
    return TWO_PI * (x - np.floor(x))  # cycles reduced to [0, 1) first; floor is 4x faster than mod


def design_matrix(u: np.ndarray, nus, degree: int) -> np.ndarray:
    """Columns ``u^0..u^d`` then ``sin, cos`` per frequency: N x (d+1+2K), K small."""
    cols = [np.ones_like(u)]
    for _ in range(degree):
        cols.append(cols[-1] * u)
    for nu in nus:
        th = _angles(u, nu)
        cols.append(np.sin(th))
        cols.append(np.cos(th))
    return np.column_stack(cols)


def linear_fit(u, y, sw, nus, degree: int) -> tuple[np.ndarray, float]:
    """Weighted linear least squares at fixed frequencies: (coefficients, chi2).

    Normal equations on equilibrated columns (P small, columns of comparable size since
    ``|u| <= 1``), O(N P^2) in single-threaded ``einsum``: multithreaded BLAS on an N x 3 matrix
    costs more in thread start-up than in arithmetic. Falls back to ``lstsq`` if singular."""
    a = design_matrix(u, nus, degree)
    aw, yw = (a, y) if sw is None else (a * sw[:, None], y * sw)
    norms = np.sqrt(np.einsum("ij,ij->j", aw, aw))
    norms[norms == 0] = 1.0
    gram = np.einsum("ij,ik->jk", aw, aw) / np.outer(norms, norms)
    rhs = np.einsum("ij,i->j", aw, yw) / norms
    try:
        coef = np.linalg.solve(gram, rhs) / norms
    except np.linalg.LinAlgError:
        coef, *_ = np.linalg.lstsq(aw, yw, rcond=None)
    r = yw - np.einsum("ij,j->i", aw, coef)
    return coef, float(np.dot(r, r))


def fit_trend(tau, y, dy, degree: int, t_scale: float) -> np.ndarray:
    """The polynomial (offset included) alone, ``c_0..c_d``: what the periodogram sees removed."""
    sw = None if dy is None else 1.0 / dy
    coef, _ = linear_fit(tau / t_scale, y, sw, (), degree)
    return coef


def evaluate(u, poly, nu, a, b) -> np.ndarray:
    """The model at scaled times ``u``."""
    out = np.polynomial.polynomial.polyval(u, poly)
    for nk, ak, bk in zip(nu, a, b, strict=True):
        th = _angles(u, nk)
        out = out + ak * np.sin(th) + bk * np.cos(th)
    return out


def refine(
    tau: np.ndarray,
    y: np.ndarray,
    dy: np.ndarray | None,
    frequencies,
    degree: int,
    *,
    max_shift: float,
    t_scale: float | None = None,
) -> Fit:
    """Jointly refine tones starting at ``frequencies`` (cycles per unit of t).

    Parameters
    ----------
    tau : ndarray
        Centred times (float64).
    y, dy : ndarray
        Values and optional one-sigma uncertainties.
    frequencies : sequence of float
        Starting frequencies, e.g. periodogram peaks.
    degree : int
        Polynomial trend degree (0: offset only), fitted jointly with the tones.
    max_shift : float
        Each frequency stays within ``max_shift`` of its start (about one peak width), so the fit
        cannot wander to another peak.
    t_scale : float, optional
        Time scale of ``u``; default ``max|tau|``.

    Returns
    -------
    Fit
    """
    from scipy.optimize import least_squares

    t_scale = float(np.max(np.abs(tau))) if t_scale is None else float(t_scale)
    u = tau / t_scale
    sw = None if dy is None else 1.0 / dy
    nu0 = np.asarray(frequencies, dtype=np.float64) * t_scale
    k = nu0.size
    n_poly = degree + 1
    coef0, _ = linear_fit(u, y, sw, nu0, degree)
    x0 = np.empty(n_poly + 3 * k)
    x0[:n_poly] = coef0[:n_poly]
    x0[n_poly::3] = nu0
    x0[n_poly + 1 :: 3] = coef0[n_poly::2]
    x0[n_poly + 2 :: 3] = coef0[n_poly + 1 :: 2]
    upowers = design_matrix(u, (), degree)  # N x (d+1), fixed

    # sin/cos of every tone at the last x: MINPACK asks for the Jacobian at the point whose
    # residual it has just computed, so caching halves the trigonometry (the dominant cost).
    cache: dict[str, np.ndarray] = {}

    def trig(x):
        key = x[n_poly::3]
        if "nu" not in cache or not np.array_equal(cache["nu"], key):
            th = [_angles(u, nu) for nu in key]
            cache["nu"] = key.copy()
            cache["sin"] = [np.sin(t) for t in th]
            cache["cos"] = [np.cos(t) for t in th]
        return cache["sin"], cache["cos"]

    def residual(x):
        sins, coss = trig(x)
        r = np.einsum("ij,j->i", upowers, x[:n_poly]) - y
        for j in range(k):
            a, b = x[n_poly + 3 * j + 1 : n_poly + 3 * j + 3]
            r += a * sins[j] + b * coss[j]
        return r if sw is None else r * sw

    def jacobian(x):
        sins, coss = trig(x)
        jac = np.empty((u.size, x.size))
        jac[:, :n_poly] = upowers
        for j in range(k):
            i = n_poly + 3 * j
            a, b = x[i + 1 : i + 3]
            s, c = sins[j], coss[j]
            jac[:, i] = TWO_PI * u * (a * c - b * s)
            jac[:, i + 1] = s
            jac[:, i + 2] = c
        return jac if sw is None else jac * sw[:, None]

    # Levenberg-Marquardt (MINPACK) from the periodogram peak; if a frequency leaves its peak
    # (more than max_shift away), solve again with it held inside by bounds (trust region).
    options = dict(jac=jacobian, x_scale="jac", ftol=1e-12, xtol=1e-12, gtol=1e-12)
    res = least_squares(residual, x0, method="lm", max_nfev=100 * x0.size, **options)
    shift = max_shift * t_scale
    if not res.success or np.any(np.abs(res.x[n_poly::3] - nu0) > shift):
        lower = np.full(x0.size, -np.inf)
        upper = np.full(x0.size, np.inf)
        lower[n_poly::3] = nu0 - shift
        upper[n_poly::3] = nu0 + shift
        res = least_squares(residual, x0, method="trf", bounds=(lower, upper), max_nfev=200, **options)
    x = res.x
    r_w = residual(x)
    chi2 = float(r_w @ r_w)
    dof = u.size - x.size
    cov = covariance(jacobian(x))
    if dy is None:
        cov *= chi2 / max(dof, 1)
    resid = -r_w if sw is None else -r_w / sw
    return Fit(
        nu=x[n_poly::3].copy(),
        a=x[n_poly + 1 :: 3].copy(),
        b=x[n_poly + 2 :: 3].copy(),
        poly=x[:n_poly].copy(),
        covariance=cov,
        residual=resid,
        chi2=chi2,
        t_scale=t_scale,
    )


def covariance(jac: np.ndarray) -> np.ndarray:
    """``(J^T J)^-1`` from the P x P normal matrix (P small), equilibrated by column norms and
    inverted by eigendecomposition so that a degenerate direction gets zero, not infinity."""
    norms = np.sqrt(np.einsum("ij,ij->j", jac, jac))
    norms[norms == 0] = 1.0
    evals, evecs = np.linalg.eigh(np.einsum("ij,ik->jk", jac, jac) / np.outer(norms, norms))
    inv = np.where(evals > evals[-1] * 1e-14, 1.0 / np.where(evals > 0, evals, 1.0), 0.0)
    return (evecs * inv) @ evecs.T / np.outer(norms, norms)


def tone_powers(tau, y, dy, fit: Fit) -> np.ndarray:
    """Standard-normalised power of each tone given the rest of the model:
    ``(chi2_without_k - chi2) / chi2_without_k``, the others' frequencies held fixed. For one
    tone and no trend this is the Lomb-Scargle power at the refined frequency."""
    u = tau / fit.t_scale
    sw = None if dy is None else 1.0 / dy
    out = np.empty(fit.nu.size)
    for k in range(fit.nu.size):
        others = np.delete(fit.nu, k)
        _, chi2_without = linear_fit(u, y, sw, others, fit.degree)
        out[k] = (chi2_without - fit.chi2) / chi2_without if chi2_without > 0 else 0.0
    return np.clip(out, 0.0, 1.0)


def amplitude_phase(fit: Fit, k: int, t_ref: float) -> tuple[float, float, float, float, float, float]:
    """Tone ``k`` as ``amplitude*sin(2 pi f t + phase)`` with the phase at t = 0 of the caller's
    axis, and the standard errors ``(f, f_err, amplitude, amplitude_err, phase, phase_err)``
    propagated from the covariance to first order."""
    nu, a, b = float(fit.nu[k]), float(fit.a[k]), float(fit.b[k])
    f = nu / fit.t_scale
    amp = math.hypot(a, b)
    phase_c = math.atan2(b, a)  # a sin + b cos = amp sin(theta + phase_c)
    # back to t = 0: theta(t) = 2 pi f (t - t_ref); subtract the cycles f*t_ref, reduced mod 1
    phase0 = phase_c - TWO_PI * math.fmod(f * t_ref, 1.0)
    phase0 = (phase0 + math.pi) % TWO_PI - math.pi
    # Jacobian of (f, amp, phase0) wrt (nu, a, b)
    amp2 = max(amp * amp, 1e-300)
    g = np.array(
        [
            [1.0 / fit.t_scale, 0.0, 0.0],
            [0.0, a / max(amp, 1e-300), b / max(amp, 1e-300)],
            [-TWO_PI * t_ref / fit.t_scale, -b / amp2, a / amp2],
        ]
    )
    sl = fit.tone_slice(k)
    c = g @ fit.covariance[sl, sl] @ g.T
    err = np.sqrt(np.clip(np.diag(c), 0.0, None))
    return f, float(err[0]), amp, float(err[1]), phase0, float(err[2])
