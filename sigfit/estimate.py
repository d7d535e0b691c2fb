"""The one entry point: :func:`estimate` (periodogram -> peak -> least squares -> significance)."""

from __future__ import annotations

import math
import warnings
from dataclasses import replace

import numpy as np

from ._judge import (  # noqa: F401  (documented here before)
    against_background,
    alias_warning,
    at_nyquist,
    background_of,
    nested_fap,
    periodic_background,
    too_few_cycles,
)
from ._peaks import (  # noqa: F401  (tests read subset_peak_is_decisive here)
    SELECTION_MAX_BINS,
    _finite_power,
    find_peak,
    nested_peak,
    peak_finder,
    pick_peak,
    subset_peak_is_decisive,  # noqa: F401  (documented here)
)
from ._periodogram import periodogram  # noqa: F401  (sigfit.periodogram)
from ._trend import (  # noqa: F401  (sigfit.batch and the docs read them here)
    ALIAS_MARGIN_SIGMA,
    ALIAS_WINDOW,
    _selection_grid,
    auto_degrees,
    choose_degree,
    refuse_exact_trend,
    selection_values,
)
from ._validate import (
    Samples,
    audit_time_precision,
    audit_value_precision,
    scale_series,
    validate_options,
    validate_series,
    warn,
)
from .background import (
    harmonics_against_background,
    judge,
    noise_warning,
)
from .errors import InputError
from .grid import (
    MAX_GRID_SIZE,
    outlying_stamps,
)
from .harmonics import (
    MAX_HARMONICS,
    find_components,
    fit_periodic,
    n_params,
    to_components,
)
from .plan import AUTO_ZOOM_BINS, SearchPlan, plan_search  # noqa: F401  (AUTO_ZOOM_BINS: documented here)
from .results import EstimateResult, Periodogram, TrendChoice
from .search import audit_frequency_precision, audit_time_lattice
from .significance import effective_baseline
from .statistics import ESTIMATE_METHODS as ESTIMATE_FAP_METHODS


def estimate(
    t,
    y,
    *,
    method: str = "auto",
    n_components: int = 1,
    fmin: float | None = None,
    fmax: float | None = None,
    oversampling: float = 5,
    detrend: str | int | None = "auto",
    dy=None,
    fap_threshold: float = 0.01,
    max_grid_size: int = MAX_GRID_SIZE,
    harmonics: int | str = "auto",
    max_harmonics: int = MAX_HARMONICS,
    fap_method: str = "baluev",
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
        Search band in cycles per unit of t. Defaults (:func:`sigfit.grid.default_band`, reported
        in ``result.band``): ``fmin`` two cycles in the record (slower variation is trend);
        ``fmax`` the Nyquist frequency of the typical step for (nearly) uniform sampling (calendar
        months, weeks, business days, hourly with gaps), and for random stamps nested bands from
        the mean Nyquist frequency up to the stamps' lattice or close-pair scale, each peak judged
        by the false-alarm probability of its own band.
    oversampling : float
        Grid points per peak width: the grid steps by ``1/(oversampling*span)``.
    detrend : {'auto', 'none', 'linear'} or int
        Polynomial trend degree. ``'auto'`` (default): chosen from the data jointly with the
        periodic model by BIC over degrees 0..3 (:func:`choose_degree`), reported in
        ``result.detrend_choice``. The periodogram sees the data with the trend removed first; the
        final least squares fits trend and tones jointly. ``None`` means ``'none'``.
    dy : array_like or float, optional
        One-sigma uncertainties of ``y``: weights ``1/dy^2`` in the periodogram and the fit, and
        standard errors taken at face value (not rescaled by the residual).
    fap_threshold : float
        A tone is significant when its false-alarm probability is at most this and its
        amplitude exceeds its standard error.
    max_grid_size : int
        Largest automatic grid allowed (memory bound).
    harmonics : "auto" or int
        Harmonics per periodic component (:mod:`sigfit.harmonics`). ``"auto"``: the fundamental
        behind each peak is identified (a subharmonic wins only when the data show it: by BIC,
        with at least 3 of its cycles, two of its own lines significant and holding still; see
        :func:`sigfit.harmonics.choose_fundamental`; ``Component.fundamental`` says why) and
        its number of harmonics chosen by BIC, up to ``max_harmonics`` and
        below the time stamps' own Nyquist frequency; a sinusoid keeps one. ``1``: pure
        sinusoids. ``H``: identified fundamentals with ``H`` harmonics. (``method='wavelet'``
        fits sinusoids.)
    max_harmonics : int
        Most harmonics per component with ``harmonics="auto"``.
    fap_method : {'baluev', 'davies', 'naive'}
        How the false-alarm probability of each peak is approximated
        (:data:`sigfit.statistics.ESTIMATE_METHODS`; Baluev 2008 by default).

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
    With at least :data:`sigfit._numerics.SUBSET_MIN_N` irregular samples the peak search runs first on
    every m-th time-sorted sample (about :data:`sigfit._numerics.SUBSET_N` of them; same span, so the same
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
    return _estimate_checked(t, y, method=method, n_components=n_components, fmin=fmin, fmax=fmax,
                             oversampling=oversampling, detrend=detrend, dy=dy,
                             fap_threshold=fap_threshold, max_grid_size=max_grid_size,
                             harmonics=harmonics, max_harmonics=max_harmonics,
                             fap_method=fap_method, first_power=None)


def _estimate_with_first_power(t, y, first_power: np.ndarray, **options) -> EstimateResult:
    """:func:`estimate` with the first search's periodogram given (internal: not public API).

    ``first_power`` is that periodogram, computed elsewhere on this call's own grid from the
    detrended values (:func:`sigfit.estimate_many` computes it for many series sharing their
    time stamps in one batched NUFFT call). It skips that one periodogram; everything else runs.
    With ``detrend='auto'``: one row per candidate degree (:func:`selection_values`). ``options``
    are :func:`estimate`'s, with its defaults."""
    import inspect

    kw = {name: p.default for name, p in inspect.signature(estimate).parameters.items()
          if p.kind is inspect.Parameter.KEYWORD_ONLY}
    unknown = set(options) - set(kw)
    if unknown:
        raise TypeError(f"estimate() got unexpected keyword arguments {sorted(unknown)}")
    kw.update(options)
    return _estimate_checked(t, y, first_power=first_power, **kw)


def _estimate_checked(t, y, *, method, n_components, fmin, fmax, oversampling, detrend, dy,
                      fap_threshold, max_grid_size, harmonics, max_harmonics, fap_method,
                      first_power) -> EstimateResult:
    """:func:`estimate`: options checked, samples validated and scaled, then :func:`_estimate`."""
    n_components, oversampling, fmin, fmax, degree = validate_options(
        n_components=n_components,
        oversampling=oversampling,
        fmin=fmin,
        fmax=fmax,
        detrend=detrend,
        fap_threshold=fap_threshold,
    )
    with np.errstate(all="ignore"), warnings.catch_warnings():
        # overflow/underflow inside the numerics is handled (scaled inputs, checked results);
        # numpy's RuntimeWarnings would only reach the user's stderr
        warnings.simplefilter("ignore", RuntimeWarning)
        series = validate_series(t, y, dy, n_params=n_params(n_components, 0 if degree is None else degree))
        # extreme magnitudes (|y| ~ 1e308, spans ~ 1e300) are scaled by powers of two, and back
        series, scale = scale_series(series)
        fmin, fmax = scale.frequency(fmin), scale.frequency(fmax)
        return scale.restore(_estimate(
            series, method=method, n_components=n_components, fmin=fmin, fmax=fmax,
            oversampling=oversampling, degree=degree, fap_threshold=fap_threshold,
            max_grid_size=max_grid_size, first_power=first_power, harmonics=harmonics,
            max_harmonics=max_harmonics, fap_method=fap_method))


def _prepare(series, *, method, n_components, fmin, fmax, oversampling, degree, max_grid_size,
             first_power, harmonics, max_harmonics, fap_method):
    """The first stage: options checked, the plan made (:func:`sigfit.plan.plan_search`), the
    stamps audited, the trend degree chosen. Returns ``(plan, degree, trend_choice,
    first_power)``; ``first_power`` becomes the chosen degree's periodogram when the degree was
    chosen here."""
    auto_degree = degree is None
    if degree is not None and degree > 0:
        refuse_exact_trend(series, degree)
    if not (harmonics == "auto" or (isinstance(harmonics, (int, np.integer)) and harmonics >= 1)):
        raise InputError(f"harmonics must be 'auto' or a positive integer, got {harmonics!r}")
    if not (isinstance(max_harmonics, (int, np.integer)) and max_harmonics >= 1):
        raise InputError(f"max_harmonics must be a positive integer, got {max_harmonics!r}")
    outlier = outlying_stamps(series.tau)
    if outlier is not None:
        warn(series.warnings, outlier)
    if fap_method not in ESTIMATE_FAP_METHODS:
        raise InputError(f"fap_method must be one of {', '.join(ESTIMATE_FAP_METHODS)}, got {fap_method!r}")
    plan = plan_search(series, method, fmin=fmin, fmax=fmax, oversampling=oversampling, max_grid_size=max_grid_size)
    if plan.exact_quantum is not None and not (series.time_is_integer and plan.exact_quantum == 1):
        # stamps on an exact grid of step q (float seconds on whole seconds, integers in steps of
        # 60, ...) carry no rounding jitter, but above 1/(2q) frequencies alias
        for message in audit_time_lattice(plan.exact_quantum, plan.grid.stop):
            warn(series.warnings, message)
    else:
        audit_time_precision(series, plan.grid.stop)
    if auto_degree:
        degree, trend_rule, chosen_power = choose_degree(series, plan,
                                                         max_degree=auto_degrees(series.n, n_components),
                                                         first_power=first_power)
        first_power = chosen_power  # that degree's periodogram is the first search's
    else:
        trend_rule = "given (detrend)" if degree else "none (detrend='none')"
    trend_choice = TrendChoice(degree=degree, rule=trend_rule)
    return plan, degree, trend_choice, first_power


def _estimate(series, *, method, n_components, fmin, fmax, oversampling, degree, fap_threshold,
              max_grid_size, first_power, harmonics, max_harmonics,
              fap_method="baluev") -> EstimateResult:
    """:func:`estimate` on validated (and scaled) samples: prepare (:func:`_prepare`), find the
    components one at a time with the plan's peak finder (:func:`sigfit._peaks.peak_finder`),
    fit them (:func:`_estimate_periodic`), test them, build the result."""
    plan, degree, trend_choice, first_power = _prepare(
        series, method=method, n_components=n_components, fmin=fmin, fmax=fmax,
        oversampling=oversampling, degree=degree, max_grid_size=max_grid_size,
        first_power=first_power, harmonics=harmonics, max_harmonics=max_harmonics,
        fap_method=fap_method)
    finder = peak_finder(plan, first_power=first_power, max_grid_size=max_grid_size)
    return _estimate_periodic(
        series, plan, finder, n_components=n_components, degree=degree,
        # the wavelet's spectrum fits sinusoids (the fundamental's identification reads a
        # least-squares periodogram's lines)
        fap_threshold=fap_threshold, harmonics=1 if plan.method == "wavelet" else harmonics,
        max_harmonics=max_harmonics, trend_choice=trend_choice,
        min_frequency=1.0 / series.span if fmin is not None else plan.grid.start,
        fap_method=fap_method,
    )


def _estimate_periodic(
    series: Samples,
    plan: SearchPlan,
    finder,
    *,
    n_components: int,
    degree: int,
    fap_threshold: float,
    harmonics,
    max_harmonics: int,
    trend_choice: TrendChoice | None = None,
    min_frequency: float | None = None,
    fap_method: str = "baluev",
) -> EstimateResult:
    """Find, fit and test: prewhitening on the ``finder``'s peaks (the plan's periodogram, full
    grid, subset or coarse-to-fine, or the wavelet's), each peak taken to its fundamental and its
    harmonics chosen by BIC (``harmonics=1``: pure sinusoids, the one-harmonic case of the same
    loop), everything refit jointly by one Gauss-Newton loop (:func:`sigfit.harmonics.fit_periodic`),
    each component judged against the background of the final residual."""
    tau, yv = series.tau, series.y
    t_scale = float(np.max(np.abs(tau)))
    search = _Prewhitening(series, plan, finder, degree=degree, fap_threshold=fap_threshold,
                           fap_method=fap_method)
    fit, infos = find_components(
        tau, yv, series.dy, search.peak, n_components=n_components, degree=degree, t_scale=t_scale,
        nyquist=plan.harmonic_nyquist,
        min_frequency=1.0 / series.span if min_frequency is None else min_frequency,
        max_shift=1.0 / series.span, harmonics=harmonics, max_harmonics=max_harmonics,
        stop=search.stop,
    )
    fit, infos, noise = _refit_against_background(series, plan, fit, infos, degree, t_scale)
    components, notes = to_components(fit, infos, tau, yv, series.dy, series.t_ref, fap=search.fap,
                                      fap_threshold=fap_threshold, degree=degree,
                                      nyquist=plan.harmonic_nyquist, max_harmonics=max_harmonics)
    components = [judge(c, info.detection_power, info.detection_frequency, info.n_null, noise,
                        search.fap_at(info.detection_frequency), fap_threshold)
                  for c, info in zip(components, infos, strict=True)]
    notes += _periodic_notes(series, plan, components, noise, search.alias_notes, degree)
    for note in notes:
        warn(series.warnings, note)
    components.sort(key=lambda c: -c.amplitude)
    return _result(series, plan, fit, components, degree=degree, t_scale=t_scale,
                   first_periodogram=search.pgrams[0] if search.pgrams else None,
                   trend_choice=trend_choice, noise=noise, finder=finder)


class _Prewhitening:
    """The periodogram side of the prewhitening: each residual's peak (from the plan's peak
    finder; on a standard periodogram also the nested band it wins in and the background's
    choice), the false-alarm probability over that band, and the rule that stops the search."""

    def __init__(self, series: Samples, plan: SearchPlan, finder, *, degree, fap_threshold,
                 fap_method):
        self.series, self.plan, self.finder, self.degree = series, plan, finder, degree
        # the least-squares periodogram and the wavelet weight by dy; the FFT cannot
        self.dy_search = series.dy if plan.method in ("lombscargle", "wavelet") else None
        self.fap_threshold, self.fap_method = fap_threshold, fap_method
        self.bandwidth = plan.grid.stop - plan.grid.start
        self.baseline = effective_baseline(series.tau, series.weights)
        self.pgrams: list[Periodogram] = []
        self.width_of: dict[float, float] = {}  # detection power -> width of the nested band it won in
        self.width_at: dict[float, float] = {}  # detection frequency -> the same
        self.alias_notes: list[str] = []
        self.searched: dict = {}  # the last peak's background, frequency and band width

    def peak(self, values):
        """``(frequency, power)`` of the peak of the residual ``values`` (find_components' find_peak).
        ``power`` is the standard power of the peak, or 0 from a finder whose spectrum is not
        standard (the wavelet's): find_components then takes the refined peak's own."""
        series, plan, degree = self.series, self.plan, self.degree
        f0, pgram = self.finder.find_peak(series, values, self.dy_search, plan)
        standard = self.finder.standard
        z = pgram.max_power
        if standard and (len(plan.levels) > 1 or plan.trend_below):
            # nested bands: the most significant band's peak, not the highest power
            f0, z, self.width_of[z] = nested_peak(pgram.frequency, pgram.power, plan.levels,
                                                  plan.grid.start, series.n, self.baseline,
                                                  degree + 1, interpolate=not plan.coarse,
                                                  trend_below=plan.trend_below)
        if not self.pgrams:
            self.alias_notes.extend(alias_warning(pgram, f0, z, series.tau, series.n))
        self.pgrams.append(pgram)
        # searched and stopped against the background of what is left (red: the highest peak
        # may be a wander, and a weaker tone above the local level the real one)
        self.searched["noise"] = noise = background_of(series, plan, values, degree,
                                                       pgram=pgram if standard else None)
        n_null = degree + 1 + 3 * (len(self.pgrams) - 1)
        width = self.width_of.get(z, self.bandwidth)
        if standard and not plan.coarse:
            f1, power = against_background(
                pgram, f0, noise, lambda zz: self.fap(zz, n_null, width) <= self.fap_threshold)
            if f1 != f0:  # the background's choice, judged over the whole band
                f0, z, width = f1, power, self.bandwidth
        self.searched["frequency"], self.searched["width"] = f0, width
        self.width_at[f0] = width
        return f0, (z if standard else 0.0)

    def fap(self, power, n_null, width=None):
        """The false-alarm probability of ``power`` over the nested band it won in (or ``width``)."""
        w = self.width_of.get(power, self.bandwidth) if width is None else width
        return nested_fap(power, self.series.n, w, self.baseline, n_null, self.plan,
                          span=self.series.span, method=self.fap_method)

    def stop(self, power, n_null) -> bool:
        """find_components' stop: the last peak, whitened by its background, is not significant."""
        searched = self.searched
        return self.fap(searched["noise"].whiten(power, searched["frequency"]), n_null,
                        searched["width"]) > self.fap_threshold

    def fap_at(self, frequency):
        """The false-alarm function over the nested band the peak at ``frequency`` won in."""
        width = self.width_at.get(frequency, self.bandwidth)
        return lambda z, m: self.fap(z, m, width)


def _refit_against_background(series, plan, fit, infos, degree, t_scale):
    """Each component judged against the background (module sigfit.background): against red
    noise, the divisors and harmonics that only fit its wander go, and the model is refit.
    Returns ``(fit, infos, noise)``."""
    noise = periodic_background(series, plan, fit, infos, degree, t_scale)
    if (kept := harmonics_against_background(fit, infos, noise, series.n)) is not None:
        previous = [float(f) for f in fit.frequency]
        fit = fit_periodic(series.tau, series.y, series.dy, [f for f, _ in kept],
                           [h for _, h in kept], degree=degree, t_scale=t_scale,
                           max_shift=1.0 / series.span)
        infos = [replace(info, divisor=1) if abs(f / fit_f - 1) > 1e-3 else info
                 for info, (f, _), fit_f in zip(infos, kept, previous, strict=True)]
        noise = periodic_background(series, plan, fit, infos, degree, t_scale)
    return fit, infos, noise


def _periodic_notes(series, plan, components, noise, alias_notes, degree) -> list[str]:
    """The harmonic path's warnings after judging, in order: the background's, the stamps'
    precision, a rival alias (only beside a detection), too few cycles."""
    notes = []
    if (note := noise_warning(noise)) is not None:
        notes.append(note)
    if plan.exact_quantum is None and not series.time_is_integer:
        # float stamps off any grid were rounded to an ulp: that bounds the reported precision
        for c in components:
            notes += audit_frequency_precision(c.frequency, c.frequency_err,
                                               0.5 * series.time_resolution, series.span, series.n)
    if components and components[0].significant:
        notes += alias_notes  # a significant detection with a rival alias (no detection: no claim)
    notes += too_few_cycles(components, series.span, degree)
    return notes


def _result(series, plan, fit, components, *, degree, t_scale, first_periodogram, trend_choice,
            noise, finder) -> EstimateResult:
    """The one result builder: residual scatter (and its precision audit), the
    offset and trend, components at the stamps' Nyquist frequency folded into the offset
    (:func:`sigfit._judge.at_nyquist`), what the peak finder adds (the wavelet's track and
    stationarity)."""
    dof = series.n - fit.n_params
    residual_std = math.sqrt(float(fit.residual @ fit.residual) / max(dof, 1))
    audit_value_precision(series, residual_std)
    poly, offset_err = fit.poly, float(math.sqrt(max(fit.covariance[0, 0], 0.0)))
    nyq = at_nyquist(components, series, plan, degree, t_scale)
    if nyq is not None:
        components, _, offset_err, poly, notes = nyq
        for note in notes:
            warn(series.warnings, note)
    trend_coef = tuple(float(c) for c in poly[:0:-1]) + (0.0,) if degree > 0 else ()
    extras = finder.finish(series, components, degree)
    return EstimateResult(
        components=components,
        offset=float(poly[0]),
        offset_err=offset_err,
        residual_std=residual_std,
        n_samples=series.n,
        method=plan.method,
        periodogram=first_periodogram,
        t_ref=series.t_ref,
        t_scale=t_scale,
        trend=trend_coef,
        detrend="none" if degree == 0 else ("linear" if degree == 1 else str(degree)),
        warnings=list(series.warnings),
        band=plan.band,
        detrend_choice=trend_choice,
        time_unit=series.time_unit,
        value_unit=series.value_unit,
        noise=noise,
        **extras,
    )
