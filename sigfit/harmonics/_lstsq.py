"""Least squares of harmonic models: the joint Gauss-Newton fit of several fundamentals with
their harmonics and a polynomial, on chunked normal equations, with the sandwich covariance
(White 1980) when no ``dy`` is given."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._numerics import (
    TWO_PI,
)
from ._design import _chunks, _harmonic_cols, _poly_cols, gram

FREQUENCY_ERR_FLOOR = 4 * np.finfo(np.float64).eps  # relative: float64 cannot say more


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


# Gauss-Newton stops when the next step would move every parameter by less than this fraction of
# its standard error: stopping there adds at most (1e-2)^2 = 1e-4 to the estimate's variance
CONVERGED = 1e-2
KEEP_JACOBIAN_MAX = 1 << 22  # Jacobians up to this many entries (32 MB) are kept for the last step


def _accumulate(tau, y, sw, params, n_harm, degree, t_scale, *, meat: bool = False,
                keep_jacobian: bool = False):
    """Normal equations of the Gauss-Newton step at ``params``: (J^T W J, J^T W r, chi2, B, r, J)
    with B = sum (w r)^2 J J^T for the sandwich covariance (None unless ``meat``), r the residual
    in the data's units and J the unweighted Jacobian's chunks, transposed (``(P, rows)``; None
    unless ``keep_jacobian``).

    The Jacobian is built transposed, one contiguous row per parameter: the harmonics' rows are
    written in place by :func:`_harmonic_cols`, the model is a product with the parameters whose
    frequencies are zeroed (no masked copy), and ``J^T W J`` is ``A A^T`` (1e5 samples with 47
    harmonics, the clock's hours: each pass copied the 97 columns twice more before)."""
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
    linear = params.copy()
    linear[starts] = 0.0  # the model is linear in the rest: J's linear rows times these
    for sl in _chunks(tau.size):
        tc = tau[sl]
        u = tc / t_scale
        jac = np.empty((p, tc.size))
        jac[:n_poly] = _poly_cols(u, degree).T
        for st, h in zip(starts, n_harm, strict=True):
            rows = jac[st + 1 : st + 1 + 2 * h]
            _harmonic_cols(tc, params[st] / t_scale, h, out=rows)
            a = params[st + 1 : st + 1 + 2 * h : 2]
            b = params[st + 2 : st + 2 + 2 * h : 2]
            hh = np.arange(1, h + 1, dtype=np.float64)
            # d/dnu [a sin(2 pi h nu u) + b cos(...)] = 2 pi h u (a cos - b sin)
            np.multiply(TWO_PI * u, (hh * a) @ rows[1::2] - (hh * b) @ rows[0::2], out=jac[st])
        r = y[sl] - linear @ jac
        resid[sl] = r
        if jacs is not None:
            jacs.append(jac if sw is None else jac.copy())
        if sw is not None:
            r = r * sw[sl]
            jac *= sw[sl]
        jtj += jac @ jac.T
        jtr += jac @ r
        chi2 += float(r @ r)
        if meat:
            jr = jac * r
            bmat += jr @ jr.T
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

    x, nu_idx = _starting_point(tau, y, sw, freqs, n_harm, degree, t_scale, initial_gram)
    shift = None if max_shift is None else max_shift * t_scale
    x, jtj, chi2, meat, resid, it = _gauss_newton(tau, y, sw, x, nu_idx, n_harm, degree, t_scale,
                                                  shift=shift, max_iter=max_iter, robust=robust)
    if freqs and chi2 > 0:
        x, resid, chi2 = _exact_linear_part(tau, y, sw, x, nu_idx, n_harm, degree, t_scale)

    cov = _covariance(jtj, meat, chi2, y.size, x.size, robust=robust, has_dy=dy is not None)
    a_list, b_list = [], []
    for st, h in zip(nu_idx, n_harm, strict=True):
        a_list.append(x[st + 1 : st + 1 + 2 * h : 2].copy())
        b_list.append(x[st + 2 : st + 2 + 2 * h : 2].copy())
    return PeriodicFit(
        nu=x[nu_idx].copy(), n_harmonics=n_harm, poly=x[:n_poly].copy(), a=a_list, b=b_list,
        covariance=cov, residual=resid, chi2=chi2, t_scale=t_scale, iterations=it,
    )


def _starting_point(tau, y, sw, freqs, n_harm, degree, t_scale, initial_gram):
    """The parameter vector (:class:`PeriodicFit` order) of the linear least squares at the
    given frequencies, and where each component's ``nu`` sits in it.

    A polynomial alone is linear: the first Gauss-Newton step solves it from zero."""
    n_poly = degree + 1
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
    return x, np.asarray(nu_idx, dtype=np.int64)


def _gauss_newton(tau, y, sw, x, nu_idx, n_harm, degree, t_scale, *, shift, max_iter, robust):
    """Gauss-Newton from ``x``: ``(x, J^T W J, chi2, meat, residual, iterations)``.

    Converged when the next step would move every parameter by under CONVERGED of its standard
    error (or the fit is exact). The sandwich's meat (``robust``) is wanted only where the fit
    stops, and costs as much as ``J^T W J`` again (twice at the clock's 97 parameters), so a pass
    gathers it only when it may be the last: with the Jacobian kept (small fits) it is made at
    the end from the kept chunks; without, a pass gathers it when the step it follows is
    predicted to be the last but one (the same second-order bound as below), and a stop that
    comes unforeseen gets one more pass for it. ``shift`` (in cycles per ``t_scale``, or None)
    bounds how far each ``nu`` may move from its start."""
    nu0 = x[nu_idx].copy()
    it = 0
    keep = y.size * x.size <= KEEP_JACOBIAN_MAX
    h_arr = np.asarray(n_harm, dtype=np.float64)
    jtj, jtr, chi2, meat, resid, jacs = _accumulate(tau, y, sw, x, n_harm, degree, t_scale,
                                                    meat=robust and not keep, keep_jacobian=keep)
    done = False  # the meat (when robust) already stands at the final x
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
        last_but_one = eps * float(np.max(z)) <= CONVERGED
        final = jacs is not None and last_but_one and (
            shift is None or np.all(np.abs(x[nu_idx] + delta[nu_idx] - nu0) <= shift))
        if final and chi2 > 0:
            x = x + delta
            meat, chi2 = _last_step(tau, sw, delta, jacs, resid, jtj, robust=robust, meat=meat)
            done = True
        if final or chi2 == 0 or np.all(z <= CONVERGED):
            break
        step = _step_within_shift(x, delta, nu_idx, nu0, shift)
        gather = robust and not keep and last_but_one
        while True:
            xn = x + step * delta
            acc = _accumulate(tau, y, sw, xn, n_harm, degree, t_scale, meat=gather, keep_jacobian=keep)
            if acc[2] <= chi2 * (1 + 1e-12) or step < 1e-4:
                break
            step *= 0.25
        if acc[2] > chi2 * (1 + 1e-12):
            break  # no descent: x is the minimum to round-off
        x = xn
        jtj, jtr, chi2, meat, resid, jacs = acc
    if robust and not done:
        if jacs is not None:
            meat = _meat(sw, jacs, resid)
        elif meat is None:  # a stop the prediction missed: one more pass
            meat = _accumulate(tau, y, sw, x, n_harm, degree, t_scale, meat=True)[3]
    return x, jtj, chi2, meat, resid, it


def _meat(sw, jacs, resid) -> np.ndarray:
    """The sandwich's meat ``sum (w r)^2 J J^T`` from the kept (unweighted, transposed) Jacobian
    chunks and the residual in the data's units."""
    meat = np.zeros((jacs[0].shape[0],) * 2)
    for sl, jac in zip(_chunks(resid.size), jacs, strict=True):
        jr = jac * (resid[sl] if sw is None else resid[sl] * sw[sl] ** 2)
        meat += jr @ jr.T
    return meat


def _last_step(tau, sw, delta, jacs, resid, jtj, *, robust, meat):
    """Take the converged step ``delta`` linearly: ``resid`` is updated in place from the kept
    Jacobian; returns the sandwich's meat at the new residual (the Jacobian stands; ``meat``
    unchanged unless ``robust``) and the new chi2."""
    for sl, jac in zip(_chunks(tau.size), jacs, strict=True):  # (transposed chunks)
        resid[sl] -= delta @ jac
    if robust:
        meat = _meat(sw, jacs, resid)
    rw = resid if sw is None else resid * sw
    return meat, float(rw @ rw)


def _step_within_shift(x, delta, nu_idx, nu0, shift) -> float:
    """The fraction of ``delta`` (at most 1) that keeps every ``nu`` within ``shift`` of its
    start ``nu0`` (1 when ``shift`` is None or the full step respects it)."""
    step = 1.0
    if shift is not None:
        room = shift - np.abs(x[nu_idx] + delta[nu_idx] - nu0)
        over = room < 0
        if np.any(over):
            step = float(np.min((shift - np.abs(x[nu_idx] - nu0) + 1e-300)[over]
                                / np.abs(delta[nu_idx])[over]))
            step = max(min(step, 1.0), 0.0)
    return step


def _exact_linear_part(tau, y, sw, x, nu_idx, n_harm, degree, t_scale):
    """``(x, residual, chi2)`` with the linear parameters replaced by the exact least squares at
    ``x``'s frequencies.

    The last Gauss-Newton step stops within CONVERGED standard errors; this way the model at a
    given frequency matches a linear fit to rounding (issue 13)."""
    n_poly = degree + 1
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
    return x, resid, float(rw @ rw)


def _covariance(jtj, meat, chi2, n, p, *, robust, has_dy) -> np.ndarray:
    """The parameters' covariance: the sandwich (HC1) when ``robust``, else ``s^2 (J^T W J)^-1``
    with ``s^2 = chi2/(N-P)`` (no ``dy``) or 1 (``dy`` are one-sigma errors)."""
    inv = _inverse(jtj)
    dof = max(n - p, 1)
    if robust:
        return inv @ meat @ inv * (n / dof)  # HC1 small-sample factor
    if not has_dy:
        return inv * chi2 / dof
    return inv


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
