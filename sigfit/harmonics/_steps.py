"""Step-shaped signals (a clock's digits, a staircase): the bracket of frequencies consistent
with every step edge, and the fit's frequency replaced by a better-determined one."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .._numerics import (
    frac_cycles,
)
from ._design import _chunks, gram
from ._lstsq import PeriodicFit, _solve, evaluate_centred

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
    edges = _edge_samples(frac_cycles(frequency, tau), y, tau, drift=drift, zone=zone)
    if edges is None:
        return None
    pre_t, pre_c, post_t, post_c = edges
    # every edge's samples side by side (each edge has some on both sides): one pass per offset
    pre_starts = np.cumsum([0] + [a.size for a in pre_t[:-1]])
    post_starts = np.cumsum([0] + [a.size for a in post_t[:-1]])
    pt, pc = np.concatenate(pre_t), np.concatenate(pre_c)
    qt, qc = np.concatenate(post_t), np.concatenate(post_c)

    def excess(d: float) -> float:
        """The largest overlap of an edge's two sides at ``frequency + d`` (<= 0: consistent)."""
        top = np.maximum.reduceat(pc + d * pt, pre_starts)
        bottom = np.minimum.reduceat(qc + d * qt, post_starts)
        return float(np.max(top - bottom))

    interval = _consistent_interval(excess, reach, frequency)
    if interval is None:
        return None
    return StepBracket(low=frequency + interval[0], high=frequency + interval[1],
                       n_edges=len(pre_t))


def _edge_samples(cyc, y, tau, *, drift: float, zone: float):
    """The samples on each side of each edge in the fold ``cyc`` (phases in cycles at the trial
    frequency): ``(pre_t, pre_c, post_t, post_c)``, per edge the times and phases of the samples
    just before it (one level) and just after it (the other), every sample that could cross it
    within the phase ``drift``. None when the fold does not resolve clean edges."""
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
    return pre_t, pre_c, post_t, post_c


def _consistent_interval(excess, reach: float, frequency: float):
    """The offsets ``(d_low, d_high)`` within ``[-reach, reach]`` where the convex ``excess`` is
    <= 0: its minimum by golden section, then its two zero crossings by bisection. None when
    no offset is consistent or the interval is not closed within the range."""
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
    return edges[0], edges[1]


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
