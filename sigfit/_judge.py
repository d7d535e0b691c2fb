"""The test stage of :func:`sigfit.estimate`: each peak against the noise background fitted to
the data (:mod:`sigfit.background`) and its band's false-alarm probability (nested bands pay
for their number; the formula is chosen by ``fap_method``, :mod:`sigfit.statistics`), and the
notes that qualify a detection (a strong sampling alias, too few cycles in the record, a
component at the stamps' Nyquist frequency)."""

from __future__ import annotations

import dataclasses
import math

import numpy as np

from . import periodograms as _pg
from ._numerics import argmax_away, centred_cycles, nearest_index
from ._peaks import (
    pick_peak,
)
from ._trend import (
    ALIAS_MARGIN_SIGMA,
    ALIAS_WINDOW,
)
from ._validate import (
    Samples,
)
from .background import (
    fit_noise,
    fitted_lines,
    whitened_power,
)
from .grid import (
    MIN_CYCLES,
    window_power,
)
from .harmonics import (
    fit_periodic,
)
from .plan import SearchPlan
from .results import Component, Periodogram
from .significance import false_alarm_probability


def too_few_cycles(components, span: float, degree: int) -> list[str]:
    """Notes for significant components that complete fewer than :data:`MIN_CYCLES` cycles in
    the record (only a band the caller widened below the default reaches them): so few cycles
    cannot tell a period from a trend or a slower cycle than the data cover."""
    notes = []
    for c in components:
        if c.significant and c.frequency * span < MIN_CYCLES:
            notes.append(
                f"period {1 / c.frequency:.6g} completes only {c.frequency * span:.2g} cycles in the "
                f"record ({span:.6g}): that few cycles cannot tell a period from a trend or a slower "
                f"cycle; by default (fmin unset, detrend='auto') such variation is fitted as a "
                f"trend (trend degree here: {degree})"
            )
    return notes


def nested_fap(power: float, n: int, bandwidth: float, baseline: float, n_null: int,
               plan: SearchPlan, *, span: float | None = None, method: str = "baluev") -> float:
    """The false-alarm probability of a peak judged in a band of width ``bandwidth``; with
    nested bands it is multiplied by their number (Bonferroni: the most significant of ``L``
    bands was taken, so noise gets ``L`` tries; conservative, as nested bands overlap)."""
    _pg.check_fap_applies(plan.method)  # the formulas below are the standard power's
    if method == "baluev" or span is None:
        p = false_alarm_probability(power, n, bandwidth, baseline, n_null=n_null)
    else:  # sigfit.statistics: the other methods of estimate's table (loaded when asked for)
        from .statistics import peak_false_alarm_probability as peak_fap

        p = peak_fap(power, n, bandwidth, baseline, span, n_null=n_null, method=method)
    return float(min(1.0, len(plan.levels) * p))


def alias_warning(pgram: Periodogram, f0: float, z0: float, tau: np.ndarray, n: int) -> list[str]:
    """A note when the detected peak has a rival of near-equal power at an alias of it: the
    rival sits at ``|f0 +- f_w|`` for a frequency ``f_w`` where the sampling's spectral window
    is strong (:func:`sigfit.grid.window_power` at least :data:`ALIAS_WINDOW`), and the two
    peaks' chi-square reductions differ by less than :data:`ALIAS_MARGIN_SIGMA` standard
    deviations of their difference (so another noise draw could swap them)."""
    span = float(tau[-1] - tau[0])
    freq, power = np.asarray(pgram.frequency), np.asarray(pgram.power)
    i = argmax_away(freq, power, f0, 1.5 / span) if n > 3 else -1
    if i < 0:
        return []
    f2, z2 = float(freq[i]), float(power[i])
    z1 = min(max(z0, pgram.max_power), 1.0 - 1e-16)
    z2 = min(max(z2, 0.0), 1.0 - 1e-16)
    q1, q2 = (n - 3) * z1 / (1 - z1), (n - 3) * z2 / (1 - z2)
    sd = 2.0 * (math.sqrt(q1 + 1.0) + math.sqrt(q2 + 1.0))
    if q1 - q2 > ALIAS_MARGIN_SIGMA * sd:
        return []
    w = max(window_power(tau, abs(f0 - f2)), window_power(tau, f0 + f2))
    if w < ALIAS_WINDOW:
        return []
    return [
        f"the peak at period {1 / f0:.6g} has a near-equal alias at period {1 / f2:.6g} (power "
        f"{z1:.3g} vs {z2:.3g}; the sampling's spectral window is {w:.2f} at their separation): "
        f"either may be the period; more samples, other sampling or fmin/fmax around the expected "
        "period decide"
    ]


def at_nyquist(components, series: Samples, plan: SearchPlan, degree: int, t_scale: float):
    """Components at the Nyquist frequency of evenly spaced samples, refitted there.

    At ``f = 1/(2 dt)`` the sampled sine vanishes: ``A sin(pi n + phi) = A sin(phi) (-1)^n``, so only
    the projection ``c = A sin(phi)`` on the alternating pattern is measurable, and a free fit near
    there trades an unbounded sine amplitude against the cosine (issue 13: amplitude 1e13). A
    component within its own standard error (or one part in 1e9) of Nyquist is refitted with the
    frequency fixed there and the cosine alone, jointly with the trend and the other components
    (held at their frequencies): amplitude ``|c|`` (a lower bound of ``A``), phase ``+-pi/2`` of the
    cosine, phase error infinite. Returns ``(components, offset, offset_err, trend_poly, notes)``
    or None when no component is at Nyquist."""
    if plan.nyquist is None:
        return None
    fn = plan.nyquist
    hit = [i for i, c in enumerate(components)
           if abs(c.frequency - fn) <= max(c.frequency_err, 1e-9 * fn)]
    if not hit:
        return None

    tau = series.tau
    u = tau / t_scale
    cols = [u**d for d in range(degree + 1)]
    spans = []
    for i, c in enumerate(components):
        start = len(cols)
        if i in hit:
            # on the sampling lattice (from the first sample): (-1)^n exactly
            cols.append(np.cos(2 * np.pi * centred_cycles(fn, tau - tau[0])))
        else:
            for h in range(1, c.n_harmonics + 1):
                ph = 2 * np.pi * centred_cycles(h * c.frequency, tau)
                cols += [np.sin(ph), np.cos(ph)]
        spans.append((start, len(cols)))
    x = np.stack(cols, axis=1)
    sw = np.ones(series.n) if series.dy is None else 1.0 / series.dy
    xw = x * sw[:, None]
    coef, *_ = np.linalg.lstsq(xw, series.y * sw, rcond=None)
    resid = (series.y - x @ coef) * sw
    dof = max(series.n - x.shape[1], 1)
    scale2 = 1.0 if series.dy is not None else float(resid @ resid) / dof
    cov = np.linalg.pinv(xw.T @ xw) * scale2
    out, notes = list(components), []
    for i in hit:
        j = spans[i][0]
        cval, err = float(coef[j]), float(math.sqrt(max(cov[j, j], 0.0)))
        # c cos(2 pi fn (t - t0)) = |c| sin(2 pi fn t - 2 pi fn t0 + sign(c) pi/2), t0 the first sample
        t0 = series.t_ref + float(tau[0])
        phase = math.copysign(math.pi / 2, cval) - 2 * math.pi * math.fmod(fn * t0, 1.0)
        phase = (phase + math.pi) % (2 * math.pi) - math.pi
        old = components[i]
        out[i] = Component(
            frequency=fn, frequency_err=old.frequency_err, phase=phase, phase_err=math.inf,
            amplitude=abs(cval), amplitude_err=err, power=old.power,
            false_alarm_probability=old.false_alarm_probability, significant=old.significant,
        )
        notes.append(
            f"a tone at the Nyquist frequency {fn:.6g}: evenly spaced samples see only its projection "
            f"on the alternating pattern, amplitude {abs(cval):.6g} (a lower bound), no phase"
        )
    for i, (a, _b) in enumerate(spans):  # the other components' linear parameters at the refit
        if i in hit:
            continue
        c = out[i]
        amps, phases = [], []
        for h in range(1, c.n_harmonics + 1):
            sa, ca = float(coef[a + 2 * h - 2]), float(coef[a + 2 * h - 1])
            amps.append(math.hypot(sa, ca))
            ph = math.atan2(ca, sa) - 2 * math.pi * math.fmod(h * c.frequency * series.t_ref, 1.0)
            phases.append((ph + math.pi) % (2 * math.pi) - math.pi)
        out[i] = dataclasses.replace(
            c, amplitude=amps[0], phase=phases[0],
            harmonic_amplitudes=tuple(amps) if c.harmonic_amplitudes else (),
            harmonic_phases=tuple(phases) if c.harmonic_phases else ())
    poly = coef[: degree + 1]
    return out, float(poly[0]), float(math.sqrt(max(cov[0, 0], 0.0))), poly, notes


def background_of(series: Samples, plan: SearchPlan, values, degree: int, lines=(), pgram=None):
    """The noise background of ``values`` over the plan's band (:func:`sigfit.background.fit_noise`):
    on evenly spaced stamps or a lattice of step ``q`` (gaps allowed) the AR(1) spectrum of step
    ``q`` with its aliases, else the Lorentzian."""
    dt = None if plan.harmonic_nyquist is None else 0.5 / plan.harmonic_nyquist
    if pgram is None and plan.method == "fft":
        # evenly spaced: the FFT periodogram costs far less than a NUFFT on fewer frequencies
        pgram = Periodogram(plan.grid.frequency(), _pg.compute("fft", series.tau, values, None, plan.grid),
                            method=plan.method)
    # only the plan's own periodogram of every sample (not a subset's, not coarse pieces)
    own = pgram is not None and not plan.coarse and pgram.method == plan.method
    spectrum = (pgram.frequency, pgram.power) if own else None
    return fit_noise(series.tau, values, series.dy, fmin=plan.grid.start, fmax=plan.grid.stop,
                     uniform_step=dt, lines=lines, degree=degree, spectrum=spectrum,
                     data_variance=float(np.var(series.y)))


def periodic_background(series: Samples, plan: SearchPlan, fit, infos, degree: int, t_scale: float):
    """The background periodic components are judged against. White when the residual of the
    whole model is white (a clean sine, a sawtooth, the clock keep Baluev's statistics). Else
    it is fitted to the residual of the detected lines alone (one sinusoid per component, those
    lines left out): the model's harmonics have fitted away the red ordinates around them, and
    what is left between them would underrate the red level there; lines that are real and
    strong stand far above the background and are clipped (:func:`sigfit.background.fit_noise`)."""
    lines = fitted_lines(fit.frequency, fit.n_harmonics)
    noise = background_of(series, plan, fit.residual, degree, lines)
    if noise.model == "white" or all(h == 1 for h in fit.n_harmonics):
        return noise
    detected = [info.detection_frequency for info in infos]
    minimal = fit_periodic(series.tau, series.y, series.dy, detected, [1] * len(detected), degree=degree,
                           t_scale=t_scale, max_shift=1.0 / series.span)
    return background_of(series, plan, minimal.residual, degree, detected)


def against_background(pgram: Periodogram, f0: float, noise, significant) -> tuple[float, float]:
    """The peak to fit, and its standard power: the highest one ``f0`` unless the background is
    red and ``f0`` is not ``significant`` against it (a red wander); then the highest peak
    judged against the background. A significant highest peak stays (a strong tone's harmonics
    or leakage must not outrank it)."""
    freq, power = np.asarray(pgram.frequency), np.asarray(pgram.power)
    i = nearest_index(freq, f0)
    if noise.model == "white" or significant(noise.whiten(float(power[i]), f0)):
        return f0, pgram.max_power
    f1 = pick_peak(freq, whitened_power(freq, power, noise))
    return f1, float(power[nearest_index(freq, f1)])
