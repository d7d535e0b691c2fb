"""Components found one after another (prewhitening): each peak's fundamental and harmonics
chosen, all components refitted jointly, and the result turned into ``Component`` records."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .._numerics import (
    SUBSET_MIN_N,
    TWO_PI,
    frac_cycles,
    overwhelming,
    single_threaded,
    subset_step,
)
from ._choice import (
    ID_HARMONICS,
    SHAPE_MIN_DIVISOR,
    _line_amplitudes,
    choose_fundamental,
    collision_limit,
    first_new_period,
    select_n_harmonics,
)
from ._design import (
    MAX_HARMONICS,
    _explicit_harmonics,
    _harmonics_affordable,
    fit_trend,
    gram,
    harmonic_limit,
)
from ._lstsq import FREQUENCY_ERR_FLOOR, PeriodicFit, _solve, fit_periodic
from ._steps import StepBracket, step_bracket, with_frequency


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


# Model selection on a subset at large N: identifying the fundamental and choosing the number of
# harmonics costs O(N H^2) for every candidate, while their answer (a divisor, a count) needs far
# fewer samples than the N that sharpen the final fit. Above SUBSET_MIN_N samples both run on every
# m-th time-sorted sample (sigfit._numerics' subset rule) when the peak is overwhelming there, and
# the joint fit then refines on all samples from the subset's model.
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


@dataclass(frozen=True)
class _Search:
    """What every step of one :func:`find_components` call shares."""

    tau: np.ndarray
    y: np.ndarray
    dy: np.ndarray | None
    degree: int
    t_scale: float
    nyquist: float | None
    min_frequency: float
    max_shift: float
    auto: bool  # harmonics="auto": chosen by BIC
    h_fixed: int | None  # the harmonics asked for, or None when "auto"
    max_harmonics: int
    lone_step: bool  # one component, no trend, harmonics allowed: a step bracket may sharpen it
    span: float


def _find_components(tau, y, dy, find_peak, *, n_components, degree, t_scale, nyquist,
                     min_frequency, max_shift, harmonics, max_harmonics, stop):
    tau = np.asarray(tau, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    t_scale = float(np.max(np.abs(tau))) if t_scale is None else float(t_scale)
    auto = harmonics == "auto"
    h_fixed = None if auto else int(harmonics)
    if h_fixed is not None and h_fixed < 1:
        raise ValueError("harmonics must be 'auto' or a positive integer")
    ctx = _Search(tau=tau, y=y, dy=dy, degree=degree, t_scale=t_scale, nyquist=nyquist,
                  min_frequency=min_frequency, max_shift=max_shift, auto=auto, h_fixed=h_fixed,
                  max_harmonics=max_harmonics,
                  lone_step=n_components == 1 and degree == 0 and h_fixed != 1,
                  span=float(np.ptp(tau)))
    freqs: list[float] = []
    n_harm: list[int] = []
    infos: list[ComponentInfo] = []
    fit: PeriodicFit | None = None
    # the residual of the polynomial alone is what the first periodogram sees
    resid = y - np.polynomial.polynomial.polyval(tau / t_scale, fit_trend(tau, y, dy, degree, t_scale))
    for _ in range(n_components):
        fp, power = find_peak(resid)
        n_null = degree + 1 + sum(1 + 2 * h for h in n_harm)
        # large N with an overwhelming peak: the model (refined peak, divisor, harmonics) is chosen
        # on a subset; the joint fit below refines it on all samples (its frequency error from the
        # subset, ~(N/n)^1.5 of the final one, is far inside the fit's basin)
        sub = _selection_subset(y.size, power)
        sel = slice(None) if sub is None else sub
        one, power = _refined_peak(ctx, resid, fp, power, sel, on_all=sub is None)
        if h_fixed == 1:
            f0, h, k, why, bracket, g0 = float(one.frequency[0]), 1, 1, "peak", None, None
        else:
            f0, h, k, why, bracket, g0 = _choose_model(ctx, resid, sel, one, freqs, n_harm, n_null)
        fit, bracket = _joint_fit(ctx, freqs, n_harm, f0, h, bracket, g0)
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


def _refined_peak(ctx: _Search, resid, fp, power, sel, *, on_all: bool):
    """The one-tone fit that refines the peak ``fp`` on the samples ``sel`` of the residual, and
    the peak's power: on all samples (``on_all``), that of the refined peak, not of the grid
    point next to it (issue 13)."""
    dy_sel = None if ctx.dy is None else ctx.dy[sel]
    one = fit_periodic(ctx.tau[sel], resid[sel], dy_sel, [fp], [1], degree=ctx.degree,
                       t_scale=ctx.t_scale, max_shift=ctx.max_shift)
    if on_all:
        fp_ref = float(one.frequency[0])
        sw = None if ctx.dy is None else 1.0 / ctx.dy
        chi2_null = _linear_chi2(ctx.tau, resid, sw, [], [], ctx.degree, ctx.t_scale)
        if chi2_null > 0:
            chi2_one = _linear_chi2(ctx.tau, resid, sw, [fp_ref], [1], ctx.degree, ctx.t_scale)
            power = max(float(power), (chi2_null - chi2_one) / chi2_null)
    return one, power


def _choose_model(ctx: _Search, resid, sel, one: PeriodicFit, freqs, n_harm, n_null):
    """The new component's model from its refined peak ``one``: ``(f0, h, k, why, bracket, g0)``:
    the fundamental ``f0`` (the peak over the divisor ``k``, for the reason ``why``), its
    harmonics ``h``, a step bracket (or None) and the Gram matrix that may start the joint fit
    (or None)."""
    tau, y, degree, t_scale = ctx.tau, ctx.y, ctx.degree, ctx.t_scale
    dy_sel = None if ctx.dy is None else ctx.dy[sel]
    fp_ref = float(one.frequency[0])
    bracket = None
    g0 = None
    choice = choose_fundamental(tau[sel], resid[sel], dy_sel, fp_ref, nyquist=ctx.nyquist,
                                min_frequency=ctx.min_frequency, span=ctx.span, degree=degree,
                                t_scale=t_scale)
    k, h_own, why = choice.divisor, choice.n_harmonics_peak, choice.reason
    f0 = fp_ref / k
    if ctx.auto:
        cap = min(harmonic_limit(f0, ctx.nyquist, ctx.max_harmonics),
                  _harmonics_affordable(y.size, degree))
    else:
        # an explicit request is honoured, or refused (issue 13): the cap on samples per
        # parameter is for the automatic choice only
        cap = _explicit_harmonics(ctx.h_fixed, f0, ctx.nyquist, y.size, n_null)
    clash = collision_limit(f0, freqs, n_harm, 1.0 / float(np.ptp(tau))) if freqs else None
    if clash is not None:
        cap = min(cap, clash)  # harmonics stop below an earlier component's line
    # a few harmonics first: harmonic h multiplies the frequency error by h (none when the
    # peak is its own fundamental and BIC wants none of its harmonics: that fit is `one`)
    mid = min(cap, ID_HARMONICS * k)
    mid_fit = one if (k == 1 and h_own == 1) else fit_periodic(
        tau[sel], resid[sel], dy_sel, [f0], [mid], degree=degree, t_scale=t_scale,
        max_shift=ctx.max_shift / k)
    f0 = float(mid_fit.frequency[0])
    f_err = math.sqrt(max(mid_fit.covariance[degree + 1, degree + 1], 0.0)) / t_scale
    if ctx.lone_step:
        # digits, states: folding brackets the frequency far below a harmonic series' error
        bracket = step_bracket(tau, y, f0, f_err)
        if bracket is not None:
            f0 = bracket.frequency
    if ctx.auto:
        h, g0 = _auto_harmonics(ctx, resid, sel, f0, cap, first=not freqs)
    else:
        h = cap
    return f0, h, k, why, bracket, g0


def _auto_harmonics(ctx: _Search, resid, sel, f0, cap, *, first: bool):
    """The number of harmonics BIC chooses for the fundamental ``f0`` (at most ``cap``), and the
    Gram matrix that starts the joint fit (None unless the component is the ``first``)."""
    degree = ctx.degree
    dy_sel = None if ctx.dy is None else ctx.dy[sel]
    # alone, the component is selected on y itself (same path: the polynomial is in
    # the design), so its Gram matrix also starts the final fit
    h, _, g0 = select_n_harmonics(ctx.tau[sel], (ctx.y if first else resid)[sel], dy_sel, f0,
                                  cap, degree=degree, t_scale=ctx.t_scale, return_gram=True)
    if g0 is not None and h >= SHAPE_MIN_DIVISOR:
        keep = list(range(degree + 1 + 2 * h)) + [g0.shape[0] - 1]
        m = first_new_period(_line_amplitudes(g0[np.ix_(keep, keep)], degree + 1, h,
                                              ctx.y[sel].size))
        if m is not None:
            h = m - 1  # lines m, 2m, ... are another period's: found next, on its own
    if not first:
        g0 = None  # selected on the residual: not the Gram matrix of the joint fit
    # (a subset's Gram matrix still gives the fit on all samples its starting point)
    return h, g0


def _joint_fit(ctx: _Search, freqs, n_harm, f0, h, bracket, g0):
    """All components refitted jointly on all samples with the new one ``(f0, h)``: ``(fit,
    bracket)``, the bracket kept only where it is sharper than the harmonic series."""
    tau, y, dy, degree, t_scale = ctx.tau, ctx.y, ctx.dy, ctx.degree, ctx.t_scale
    if bracket is None:
        fit = fit_periodic(tau, y, dy, [*freqs, f0], [*n_harm, h], degree=degree, t_scale=t_scale,
                           max_shift=ctx.max_shift, initial_gram=g0 if not freqs else None)
        if ctx.lone_step and ctx.h_fixed != 1:
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
                               max_shift=ctx.max_shift)
    return fit, bracket


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
    from ..results import Component

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
