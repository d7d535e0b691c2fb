"""The one entry point: :func:`estimate` (periodogram -> peak -> least squares -> significance)."""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np

from . import periodograms as _pg
from ._validate import (
    Series,
    audit_time_precision,
    audit_value_precision,
    validate_options,
    validate_series,
    warn,
)
from .background import (
    fit_noise,
    fitted_lines,
    harmonics_against_background,
    judge,
    noise_warning,
    whitened_power,
)
from .errors import InputError
from .grid import MAX_GRID_SIZE, FrequencyGrid, default_fmax, lattice_quantum, make_grid
from .harmonics import MAX_HARMONICS, find_components, fit_periodic, to_components
from .periodograms.fft import fft_grid
from .refine import Fit, amplitude_phase, fit_trend, n_params, refine, tone_powers
from .results import Component, EstimateResult, Periodogram
from .search import audit_frequency_precision, audit_time_lattice, time_resolution
from .significance import effective_baseline, false_alarm_probability


@dataclass(frozen=True)
class SearchPlan:
    """Where and how to look: a resolved backend name and its frequency grid."""

    method: str
    grid: FrequencyGrid
    nyquist: float | None  # for evenly spaced samples, else None
    # the grid is too large to evaluate: search it coarse-to-fine (sigfit.search), same band
    coarse: bool = False
    exact_quantum: float | None = None  # the stamps are integer multiples of this (sigfit.search)
    # the stamps' own Nyquist frequency 1/(2q) (uniform, lattice or exact grid of stamps):
    # harmonics stay below it because above it they alias
    harmonic_nyquist: float | None = None


def plan_search(
    series: Series,
    method: str,
    *,
    fmin: float | None,
    fmax: float | None,
    oversampling: float,
    max_grid_size: int = MAX_GRID_SIZE,
) -> SearchPlan:
    """Resolve ``method`` from the sampling and build the grid (see :mod:`sigfit.grid`)."""
    rounding = 0.0 if series.time_is_integer else series.time_resolution  # integers are exact
    dt = _pg.uniform_step(series.tau, rounding)
    nyquist = None if dt is None else 0.5 / dt
    weighted = series.dy is not None and np.ptp(series.dy) > 0
    name = _pg.resolve_method(method, uniform=dt is not None, weighted=weighted, fmax=fmax, nyquist=nyquist)
    res = time_resolution(series.t)  # exact grid of the stamps (integer seconds: q = 1)
    quantum = lattice_quantum(series.tau) if res is None else res.quantum
    harmonic_nyquist = nyquist if nyquist is not None else (None if quantum is None else 0.5 / quantum)
    coarse = False
    if name == "fft":
        grid = fft_grid(series.n, dt, fmin=fmin, fmax=fmax, oversampling=oversampling, max_size=max_grid_size)
    elif name == "wavelet":
        from .wavelet import band  # the wavelet's own default band (cone of influence, spacing)

        lo, hi = band(series.tau, fmin, fmax, dt)
        grid = make_grid(series.span, fmin=lo, fmax=hi, oversampling=oversampling, max_size=max_grid_size)
    else:
        if fmax is not None:
            top = fmax
        elif dt is None and res is not None:
            # stamps on an exact grid of step q: nothing above 1/(2q) is distinguishable, and
            # everything below is (Eyer & Bartholdi 1999): integer seconds reach 0.5 Hz
            top = res.nyquist
        else:
            top = default_fmax(series.tau, dt)
        try:
            grid = make_grid(series.span, fmin=fmin, fmax=top, oversampling=oversampling, max_size=max_grid_size)
        except InputError:
            # too many bins for one grid: the coarse-to-fine search covers the same band at the
            # same resolution with memory bounded by max_grid_size (sigfit.search)
            grid = make_grid(series.span, fmin=fmin, fmax=top, oversampling=oversampling, max_size=math.inf)
            coarse = True
    return SearchPlan(method=name, grid=grid, nyquist=nyquist, coarse=coarse,
                      harmonic_nyquist=harmonic_nyquist,
                      exact_quantum=None if res is None else res.quantum)


def longer_than_record(components, span: float, degree: int) -> list[str]:
    """Notes for significant components whose period exceeds the record's span: fewer than one
    cycle observed is a trend or a slower cycle than the data cover, not a measured period."""
    notes = []
    for c in components:
        if c.significant and c.frequency * span < 1.0:
            fix = "detrend='linear' (--detrend linear) or a higher degree" if degree == 0 else \
                "a higher detrend degree"
            notes.append(
                f"period {1 / c.frequency:.6g} is longer than the record ({span:.6g}): less than one "
                f"cycle is a trend or a slower cycle than the data cover, not a measured period; "
                f"pass {fix}, or raise fmin above 1/span"
            )
    return notes


def pick_peak(frequency: np.ndarray, power: np.ndarray) -> float:
    """The frequency of the highest peak, refined by a parabola through its three grid points."""
    i = int(np.argmax(power))
    if 0 < i < power.size - 1:
        p0, p1, p2 = power[i - 1], power[i], power[i + 1]
        denom = p0 - 2.0 * p1 + p2
        if denom < 0:
            shift = 0.5 * (p0 - p2) / denom  # in grid steps, within [-0.5, 0.5]
            return float(frequency[i] + shift * (frequency[i + 1] - frequency[i]))
    return float(frequency[i])


def background_of(series: Series, plan: SearchPlan, values, degree: int, lines=(), pgram=None):
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


def periodic_background(series: Series, plan: SearchPlan, fit, infos, degree: int, t_scale: float):
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
    i = int(np.argmin(np.abs(freq - f0)))
    if noise.model == "white" or significant(noise.whiten(float(power[i]), f0)):
        return f0, float(np.max(power))
    f1 = pick_peak(freq, whitened_power(freq, power, noise))
    return f1, float(power[int(np.argmin(np.abs(freq - f1)))])


# Plenty of samples: the peak search first runs on an even subset (every m-th time-sorted sample,
# about SEARCH_SUBSET_N of them, so the span and with it the resolution are the same). Its answer
# stands when the highest peak is overwhelming there and no other peak could overtake it with
# all samples; otherwise the full periodogram decides. The least squares always use every sample.
SEARCH_SUBSET_MIN_N = 65536
SEARCH_SUBSET_N = 16384
# -log of the single-frequency false-alarm probability the subset's peak must reach: e^-50 ~ 2e-22,
# a global false-alarm probability below 1e-10 for up to 1e12 independent frequencies
# (Baluev 2008: FAP <= M (1 - z)^((n - 3) / 2))
SEARCH_SUBSET_MIN_LOG_ODDS = 50.0
# The runner-up (outside the peak's main lobe) must trail by this many standard deviations of the
# two peaks' chi-square reductions, so that all samples could not reverse their order
SEARCH_SUBSET_MARGIN_SIGMA = 6.0


def subset_peak_is_decisive(frequency: np.ndarray, power: np.ndarray, n: int, span: float) -> bool:
    """Whether the highest peak of a periodogram from ``n`` samples is overwhelming and unambiguous.

    The chi-square reduction of a peak of standard power ``z`` is ``q = (n - 3) z / (1 - z)``; for a
    tone it is non-central chi-square with 2 degrees of freedom, standard deviation about
    ``2 sqrt(q + 1)``. The peak must reach :data:`SEARCH_SUBSET_MIN_LOG_ODDS` and beat the highest
    power farther than ``1.5/span`` from it (its main lobe) by :data:`SEARCH_SUBSET_MARGIN_SIGMA`
    standard deviations of the difference.
    """
    i = int(np.argmax(power))
    z1 = min(max(float(power[i]), 0.0), 1.0 - 1e-16)
    if -0.5 * (n - 3) * math.log1p(-z1) < SEARCH_SUBSET_MIN_LOG_ODDS:
        return False
    away = np.abs(frequency - frequency[i]) > 1.5 / span
    if not np.any(away):
        return True
    z2 = min(max(float(np.max(power[away])), 0.0), 1.0 - 1e-16)
    q1, q2 = (n - 3) * z1 / (1 - z1), (n - 3) * z2 / (1 - z2)
    sd = 2.0 * (math.sqrt(q1 + 1.0) + math.sqrt(q2 + 1.0))
    return q1 - q2 > SEARCH_SUBSET_MARGIN_SIGMA * sd


def find_peak(series: Series, values: np.ndarray, dy: np.ndarray | None, plan: SearchPlan,
              max_grid_size: int = MAX_GRID_SIZE):
    """Periodogram of ``values`` on the plan's grid and its highest peak: (frequency, Periodogram).
    A coarse plan returns the coherent pieces the search evaluated (not uniform). With at least
    :data:`SEARCH_SUBSET_MIN_N` irregular samples the periodogram of an even subset answers when
    its peak is decisive (:func:`subset_peak_is_decisive`); ``Periodogram.method`` then says so."""
    if plan.coarse:
        from .search import search

        # the stamps themselves (not tau): an exact grid of stamps makes the lags exact integers
        r = search(series.t, values, dy, fmin=plan.grid.start, fmax=plan.grid.stop,
                   oversampling=1.0 / (plan.grid.step * series.span), max_bins=max_grid_size)
        return float(r.peak_frequencies[0]), Periodogram(
            r.frequency, r.power, normalization="standard", method=plan.method + " (coarse-to-fine)")
    freq = plan.grid.frequency()
    if plan.method == "lombscargle" and series.n >= SEARCH_SUBSET_MIN_N:
        step = -(-series.n // SEARCH_SUBSET_N)
        sub = slice(0, series.n, step)  # tau is sorted: an even cover of the span
        power = _pg.lombscargle.power(series.tau[sub], values[sub], None if dy is None else dy[sub],
                                      plan.grid, search=True)
        n_sub = -(-series.n // step)
        if subset_peak_is_decisive(freq, power, n_sub, series.span):
            return pick_peak(freq, power), Periodogram(
                freq, power, normalization="standard",
                method=f"{plan.method} (one sample in {step}: {n_sub} of {series.n})")
    power = _pg.compute(plan.method, series.tau, values, dy, plan.grid)
    return pick_peak(freq, power), Periodogram(freq, power, normalization="standard", method=plan.method)


def periodogram(
    t,
    y,
    *,
    method: str = "auto",
    fmin: float | None = None,
    fmax: float | None = None,
    oversampling: float = 5,
    dy=None,
    max_grid_size: int = MAX_GRID_SIZE,
) -> Periodogram:
    """The standard-normalised periodogram of ``y(t)`` on :func:`estimate`'s automatic grid.

    The whole grid on every sample, as astropy's ``LombScargle(t, y, dy).power(frequency)``
    (floating mean, ``standard`` normalisation) or, on evenly spaced samples, by FFT; the same
    method choice and band rules as :func:`estimate` (see :mod:`sigfit.grid`). Use it for the full
    picture where :func:`estimate` reported the periodogram of the subset it searched
    (``Periodogram.method`` says so) or a coarse-to-fine search.

    Parameters
    ----------
    t, y, dy, method, fmin, fmax, oversampling
        As for :func:`estimate` (``method`` ``'wavelet'`` is not a periodogram: see
        :func:`sigfit.wavelet.scalogram`).
    max_grid_size : int
        Largest grid allowed (memory bound); a larger one raises InputError asking for a
        narrower band.

    Returns
    -------
    Periodogram
        ``frequency`` (cycles per unit of t) and ``power`` in [0, 1].

    Examples
    --------
    >>> import numpy as np
    >>> t = np.random.default_rng(1).uniform(0, 100, 300)
    >>> p = periodogram(t, np.sin(2 * np.pi * 0.25 * t), fmax=1.0)
    >>> round(float(p.frequency[np.argmax(p.power)]), 2), p.method
    (0.25, 'lombscargle')
    """
    if method == "wavelet":
        raise InputError("method 'wavelet' has no periodogram: use sigfit.wavelet.scalogram")
    _, oversampling, fmin, fmax, _ = validate_options(
        n_components=1, oversampling=oversampling, fmin=fmin, fmax=fmax, detrend=None, fap_threshold=0.01,
    )
    series = validate_series(t, y, dy, n_params=1)
    plan = plan_search(series, method, fmin=fmin, fmax=fmax, oversampling=oversampling,
                       max_grid_size=max_grid_size)
    if plan.coarse:
        raise InputError(
            f"the grid from {plan.grid.start:.6g} to {plan.grid.stop:.6g} has {plan.grid.size:,} "
            f"frequencies, over max_grid_size={max_grid_size:,}: pass a narrower fmin/fmax or a "
            "lower oversampling (sigfit.estimate searches such bands coarse-to-fine)"
        )
    dy_search = series.dy if plan.method == "lombscargle" else None
    power = _pg.compute(plan.method, series.tau, series.y, dy_search, plan.grid)
    return Periodogram(plan.grid.frequency(), power, normalization="standard", method=plan.method)


def estimate(
    t,
    y,
    *,
    method: str = "auto",
    n_components: int = 1,
    fmin: float | None = None,
    fmax: float | None = None,
    oversampling: float = 5,
    detrend: str | int | None = None,
    dy=None,
    fap_threshold: float = 0.01,
    max_grid_size: int = MAX_GRID_SIZE,
    first_power: np.ndarray | None = None,
    harmonics: int | str = "auto",
    max_harmonics: int = MAX_HARMONICS,
) -> EstimateResult:
    """Frequencies, phases and amplitudes of the strongest tones in ``y(t)``, with errors.

    Model: ``y = offset + trend(t) + sum_k amplitude_k * sin(2*pi*frequency_k*t + phase_k)``,
    phases in radians referenced at ``t = 0`` of the caller's time axis.

    Parameters
    ----------
    t : array_like
        Sample times, float or integer (int64 stamps are centred exactly). Unsorted is fine.
    y : array_like
        Sample values, same length. Rows with NaN/inf are dropped with a warning.
    method : {'auto', 'fft', 'lombscargle', 'wavelet'}
        Periodogram used to find the peaks. ``fft``: evenly spaced samples, real FFT with zero
        padding; ``lombscargle``: any sampling, floating mean, ``dy`` weights, by NUFFT
        (nifty-ls); ``auto``: ``fft`` when the samples are evenly spaced, unweighted and the band
        stays below Nyquist, else ``lombscargle``; ``wavelet``: the peak of the time-averaged
        wavelet spectrum (:mod:`sigfit.wavelet`, CWT or WWZ by sampling) seeds the same
        refinement, and the result also carries ``track`` (the strongest ridge) and
        ``stationarity`` (has the frequency changed?). Its default band is the wavelet's
        (:func:`sigfit.wavelet.band`).
    n_components : int
        Number of tones K. Found one at a time (prewhitening: fit, subtract, search the
        residual), then refined jointly. The search stops at the first tone that is not
        significant; it is still reported, with ``significant=False``.
    fmin, fmax : float, optional
        Search band in cycles per unit of t. Defaults (see :mod:`sigfit.grid`): one grid step;
        Nyquist for evenly spaced samples, ``1/(2*min spacing)`` for irregular ones.
    oversampling : float
        Grid points per peak width: the grid steps by ``1/(oversampling*span)``.
    detrend : {None, 'none', 'linear'} or int
        Polynomial trend degree. The periodogram sees the data with the trend removed first; the
        final least squares fits trend and tones jointly.
    dy : array_like or float, optional
        One-sigma uncertainties of ``y``: weights ``1/dy^2`` in the periodogram and the fit, and
        standard errors taken at face value (not rescaled by the residual).
    fap_threshold : float
        A tone is significant when its false-alarm probability is at most this and its
        amplitude exceeds its standard error.
    max_grid_size : int
        Largest automatic grid allowed (memory bound).
    first_power : ndarray, optional
        The first search's periodogram, computed elsewhere on this call's own grid from the
        detrended values (:func:`sigfit.estimate_many` computes it for many series sharing their
        time stamps in one batched NUFFT call). Skips that one periodogram; everything else runs.
    harmonics : "auto" or int
        Harmonics per periodic component (:mod:`sigfit.harmonics`). ``"auto"``: the fundamental
        behind each peak is identified (a subharmonic wins only when its harmonics explain the
        data, by BIC) and its number of harmonics chosen by BIC, up to ``max_harmonics`` and
        below the time stamps' own Nyquist frequency; a sinusoid keeps one. ``1``: pure
        sinusoids. ``H``: identified fundamentals with ``H`` harmonics. (``method='wavelet'``
        fits sinusoids.)
    max_harmonics : int
        Most harmonics per component with ``harmonics="auto"``.

    Returns
    -------
    EstimateResult
        ``components`` strongest (largest amplitude) first, each with frequency, phase,
        amplitude, their standard errors, the periodogram power and Baluev's false-alarm
        probability judged against the noise background fitted to the data (``noise``: white,
        or AR(1) red noise, :mod:`sigfit.background`; against red noise each peak is judged at
        its frequency's level and the errors are those of that level); offset, residual
        standard deviation, the periodogram searched first.

    Raises
    ------
    InputError
        Unusable input or options; the message says how to fix the call.

    Notes
    -----
    With at least :data:`SEARCH_SUBSET_MIN_N` irregular samples the peak search runs first on
    every m-th time-sorted sample (about :data:`SEARCH_SUBSET_N` of them; same span, so the same
    resolution). Its answer stands when that periodogram's highest peak is overwhelming and no
    rival could overtake it with all samples (:func:`subset_peak_is_decisive`); otherwise the
    whole periodogram decides. The least squares always use every sample. ``result.periodogram``
    is then the subset's (its ``method`` says so); :func:`periodogram` computes the whole one.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> t = rng.uniform(-1000, 1000, 256)
    >>> r = estimate(t, np.sin(31 * t))
    >>> round(r.components[0].angular_frequency, 9), r.components[0].significant
    (31.0, True)
    """
    n_components, oversampling, fmin, fmax, degree = validate_options(
        n_components=n_components,
        oversampling=oversampling,
        fmin=fmin,
        fmax=fmax,
        detrend=detrend,
        fap_threshold=fap_threshold,
    )
    series = validate_series(t, y, dy, n_params=n_params(n_components, degree))
    if not (harmonics == "auto" or (isinstance(harmonics, (int, np.integer)) and harmonics >= 1)):
        raise InputError(f"harmonics must be 'auto' or a positive integer, got {harmonics!r}")
    if not (isinstance(max_harmonics, (int, np.integer)) and max_harmonics >= 1):
        raise InputError(f"max_harmonics must be a positive integer, got {max_harmonics!r}")
    plan = plan_search(series, method, fmin=fmin, fmax=fmax, oversampling=oversampling, max_grid_size=max_grid_size)
    if plan.exact_quantum is not None and not (series.time_is_integer and plan.exact_quantum == 1):
        # stamps on an exact grid of step q (float seconds on whole seconds, integers in steps of
        # 60, ...) carry no rounding jitter, but above 1/(2q) frequencies alias
        for message in audit_time_lattice(plan.exact_quantum, plan.grid.stop):
            warn(series.warnings, message)
    else:
        audit_time_precision(series, plan.grid.stop)

    tau, yv = series.tau, series.y
    t_scale = float(np.max(np.abs(tau)))
    dy_search = series.dy if plan.method == "lombscargle" else None
    max_shift = 1.0 / series.span  # one main-lobe half width: the fit stays on its peak
    bandwidth = plan.grid.stop - plan.grid.start
    baseline = effective_baseline(tau, series.weights)

    if plan.method != "wavelet" and (harmonics != 1 or plan.coarse):
        # periodic components with harmonics (sigfit.harmonics); the wavelet keeps its own path
        return _estimate_periodic(
            series, plan, n_components=n_components, degree=degree, dy_search=dy_search,
            fap_threshold=fap_threshold, max_grid_size=max_grid_size, first_power=first_power,
            harmonics=harmonics, max_harmonics=max_harmonics,
        )

    # the periodogram sees the data with the trend (and offset) removed first
    trend = fit_trend(tau, yv, series.dy, degree, t_scale)
    work = yv - np.polynomial.polynomial.polyval(tau / t_scale, trend)
    first_periodogram = None
    freqs: list[float] = []
    fit: Fit | None = None
    search = None
    if plan.method == "wavelet":
        from .wavelet import WaveletSearch

        search = WaveletSearch()
    for k in range(n_components):
        if search is not None:
            f0, pgram = search.find_peak(series, work, series.dy, plan)
        elif k == 0 and first_power is not None:
            if np.shape(first_power) != (plan.grid.size,):
                raise InputError(
                    f"first_power has shape {np.shape(first_power)}, the grid has "
                    f"{plan.grid.size} frequencies: compute it on this call's grid"
                )
            freq = plan.grid.frequency()
            power = np.asarray(first_power, dtype=np.float64)
            f0 = pick_peak(freq, power)
            pgram = Periodogram(freq, power, normalization="standard", method=plan.method)
        else:
            f0, pgram = find_peak(series, work, dy_search, plan)
        if first_periodogram is None:
            first_periodogram = pgram
        n_null = degree + 1 + 3 * k
        # to search and stop against (the wavelet's spectrum is no standard periodogram)
        noise = background_of(series, plan, work, degree, pgram=pgram if search is None else None)
        if search is None:
            f0, _ = against_background(pgram, f0, noise, lambda z, m=n_null: false_alarm_probability(
                z, series.n, bandwidth, baseline, n_null=m) <= fap_threshold)
        fit = refine(tau, yv, series.dy, [*freqs, f0], degree, max_shift=max_shift, t_scale=t_scale)
        freqs = list(fit.frequency)
        new_power = noise.whiten(tone_powers(tau, yv, series.dy, fit)[-1], freqs[-1])
        fap = false_alarm_probability(new_power, series.n, bandwidth, baseline, n_null=n_null)
        if fap > fap_threshold:
            break  # reported, flagged not significant; weaker tones are noise too
        work = fit.residual

    assert fit is not None
    n_tones = fit.nu.size
    powers = tone_powers(tau, yv, series.dy, fit)
    # every tone judged against the background of the final residual, its lines left out
    noise = background_of(series, plan, fit.residual, degree, fitted_lines(fit.frequency))
    components = []
    for k in range(n_tones):
        f, f_err, amp, amp_err, phase, phase_err = amplitude_phase(fit, k, series.t_ref)
        component = Component(frequency=f, frequency_err=f_err, phase=phase, phase_err=phase_err,
                              amplitude=amp, amplitude_err=amp_err, power=float(powers[k]),
                              false_alarm_probability=1.0)
        components.append(judge(
            component, float(powers[k]), f, degree + 1 + 3 * (n_tones - 1), noise,
            lambda z, m: false_alarm_probability(z, series.n, bandwidth, baseline, n_null=m),
            fap_threshold,
        ))
    components.sort(key=lambda c: -c.amplitude)
    if (note := noise_warning(noise)) is not None:
        warn(series.warnings, note)
    for note in longer_than_record(components, series.span, degree):
        warn(series.warnings, note)

    dof = series.n - fit.n_params
    residual_std = math.sqrt(float(fit.residual @ fit.residual) / max(dof, 1))
    audit_value_precision(series, residual_std)
    trend_coef = tuple(float(c) for c in fit.poly[:0:-1]) + (0.0,) if degree > 0 else ()
    extras = {} if search is None else search.finish(series, components, degree)
    return EstimateResult(
        components=components,
        offset=float(fit.poly[0]),
        offset_err=float(math.sqrt(max(fit.covariance[0, 0], 0.0))),
        residual_std=residual_std,
        n_samples=series.n,
        method=plan.method,
        periodogram=first_periodogram,
        t_ref=series.t_ref,
        t_scale=t_scale,
        trend=trend_coef,
        detrend="none" if degree == 0 else ("linear" if degree == 1 else str(degree)),
        warnings=list(series.warnings),
        noise=noise,
        **extras,
    )


def _estimate_periodic(
    series: Series,
    plan: SearchPlan,
    *,
    n_components: int,
    degree: int,
    dy_search,
    fap_threshold: float,
    max_grid_size: int,
    first_power,
    harmonics,
    max_harmonics: int,
) -> EstimateResult:
    """:func:`estimate` with periodic components that may carry harmonics (sigfit.harmonics):
    prewhitening on the plan's periodogram (full grid or coarse-to-fine), each peak taken to its
    fundamental, harmonics chosen by BIC, everything refit jointly."""
    tau, yv = series.tau, series.y
    t_scale = float(np.max(np.abs(tau)))
    bandwidth = plan.grid.stop - plan.grid.start
    baseline = effective_baseline(tau, series.weights)
    pgrams: list[Periodogram] = []

    def peak(values):
        if not pgrams and first_power is not None and not plan.coarse:
            if np.shape(first_power) != (plan.grid.size,):
                raise InputError(
                    f"first_power has shape {np.shape(first_power)}, the grid has "
                    f"{plan.grid.size} frequencies: compute it on this call's grid"
                )
            freq = plan.grid.frequency()
            power = np.asarray(first_power, dtype=np.float64)
            f0, pgram = pick_peak(freq, power), Periodogram(freq, power, "standard", plan.method)
        else:
            f0, pgram = find_peak(series, values, dy_search, plan, max_grid_size)
        pgrams.append(pgram)
        # searched and stopped against the background of what is left (red: the highest peak
        # may be a wander, and a weaker tone above the local level the real one)
        searched["noise"] = noise = background_of(series, plan, values, degree, pgram=pgram)
        n_null = degree + 1 + 3 * (len(pgrams) - 1)
        if plan.coarse:
            power = float(np.max(pgram.power))
        else:
            f0, power = against_background(pgram, f0, noise,
                                           lambda z: fap(z, n_null) <= fap_threshold)
        searched["frequency"] = f0
        return f0, power

    def fap(power, n_null):
        return false_alarm_probability(power, series.n, bandwidth, baseline, n_null=n_null)

    searched: dict = {}
    fit, infos = find_components(
        tau, yv, series.dy, peak, n_components=n_components, degree=degree, t_scale=t_scale,
        nyquist=plan.harmonic_nyquist, min_frequency=1.0 / series.span,
        max_shift=1.0 / series.span, harmonics=harmonics, max_harmonics=max_harmonics,
        stop=lambda power, n_null: fap(searched["noise"].whiten(power, searched["frequency"]),
                                       n_null) > fap_threshold,
    )
    # each component judged against the background (module sigfit.background); against red
    # noise, the divisors and harmonics that only fit its wander go, and the model is refit
    noise = periodic_background(series, plan, fit, infos, degree, t_scale)
    if (kept := harmonics_against_background(fit, infos, noise, series.n)) is not None:
        previous = [float(f) for f in fit.frequency]
        fit = fit_periodic(tau, yv, series.dy, [f for f, _ in kept], [h for _, h in kept],
                           degree=degree, t_scale=t_scale, max_shift=1.0 / series.span)
        infos = [replace(info, divisor=1) if abs(f / fit_f - 1) > 1e-3 else info
                 for info, (f, _), fit_f in zip(infos, kept, previous, strict=True)]
        noise = periodic_background(series, plan, fit, infos, degree, t_scale)
    components, notes = to_components(fit, infos, tau, yv, series.dy, series.t_ref, fap=fap,
                                      fap_threshold=fap_threshold, degree=degree,
                                      nyquist=plan.harmonic_nyquist, max_harmonics=max_harmonics)
    components = [judge(c, info.detection_power, info.detection_frequency, info.n_null, noise, fap,
                        fap_threshold) for c, info in zip(components, infos, strict=True)]
    if (note := noise_warning(noise)) is not None:
        notes.append(note)
    if plan.exact_quantum is None and not series.time_is_integer:
        # float stamps off any grid were rounded to an ulp: that bounds the reported precision
        for c in components:
            notes += audit_frequency_precision(c.frequency, c.frequency_err,
                                               0.5 * series.time_resolution, series.span, series.n)
    notes += longer_than_record(components, series.span, degree)
    for note in notes:
        warn(series.warnings, note)
    components.sort(key=lambda c: -c.amplitude)
    dof = series.n - fit.n_params
    residual_std = math.sqrt(float(fit.residual @ fit.residual) / max(dof, 1))
    audit_value_precision(series, residual_std)
    trend_coef = tuple(float(c) for c in fit.poly[:0:-1]) + (0.0,) if degree > 0 else ()
    return EstimateResult(
        components=components,
        offset=float(fit.poly[0]),
        offset_err=float(math.sqrt(max(fit.covariance[0, 0], 0.0))),
        residual_std=residual_std,
        n_samples=series.n,
        method=plan.method,
        periodogram=pgrams[0] if pgrams else None,
        t_ref=series.t_ref,
        t_scale=t_scale,
        trend=trend_coef,
        detrend="none" if degree == 0 else ("linear" if degree == 1 else str(degree)),
        warnings=list(series.warnings),
        noise=noise,
    )
