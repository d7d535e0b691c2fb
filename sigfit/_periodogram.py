"""``sigfit.periodogram``: the periodogram :func:`sigfit.estimate` searches, on the same plan and
band, in the normalisation asked for."""

from __future__ import annotations

import math

import numpy as np

from . import periodograms as _pg
from ._validate import (
    scale_series,
    validate_options,
    validate_series,
)
from .errors import InputError
from .grid import (
    MAX_GRID_SIZE,
)
from .plan import plan_search
from .results import Periodogram
from .sampling import describe

# scipy.signal.periodogram's scalings, from the "psd" power: one-sided density (units of y^2 per
# unit of frequency) and spectrum (units of y^2); both need the sampling rate
SCIPY_SCALINGS = ("density", "spectrum")


def periodogram(
    t,
    y=None,
    *,
    method: str = "auto",
    fmin: float | None = None,
    fmax: float | None = None,
    oversampling: float = 5,
    dy=None,
    max_grid_size: int = MAX_GRID_SIZE,
    frequency=None,
    fs: float | None = None,
    normalization: str = "standard",
    fit_mean: bool = True,
    center_data: bool = True,
    nterms: int = 1,
) -> Periodogram:
    """The periodogram of ``y(t)``: on :func:`estimate`'s automatic grid, at the ``frequency`` the
    caller gives, or (scipy style) of evenly spaced values at sampling rate ``fs``.

    The whole grid on every sample, as astropy's ``LombScargle(t, y, dy).power(frequency)``
    (floating mean, ``standard`` normalisation by default) or, on evenly spaced samples, by FFT; the
    same method choice and band rules as :func:`estimate` (see :mod:`sigfit.grid`). Use it for the
    full picture where :func:`estimate` reported the periodogram of the subset it searched
    (``Periodogram.method`` says so) or a coarse-to-fine search. Windowed or averaged spectra
    (Welch, Bartlett, tapers) are ``scipy.signal``'s job: ``scipy.signal.welch``.

    Parameters
    ----------
    t : array_like
        Sample times; with ``fs`` (and no ``y``), the values themselves, sampled at ``fs``.
    y : array_like, optional
        Sample values.
    dy, method, fmin, fmax, oversampling
        As for :func:`estimate` (``method`` ``'wavelet'`` is not a periodogram: see
        :func:`sigfit.wavelet.scalogram`).
    max_grid_size : int
        Largest grid allowed (memory bound); a larger one raises InputError asking for a
        narrower band.
    frequency : array_like, optional
        Frequencies (cycles per unit of t; 1-D, any values, 0 included) at which to evaluate the
        power instead of the automatic grid, by NUFFT (:class:`sigfit.LombScargle`).
    fs : float, optional
        Sampling rate of evenly spaced values ``t`` (scipy's ``periodogram(x, fs)``): times
        ``arange(N)/fs`` and, without ``frequency``, scipy's grid ``rfftfreq(N, 1/fs)`` from 0 to
        Nyquist.
    normalization : {'standard', 'model', 'log', 'psd', 'density', 'spectrum'}
        astropy's normalizations, or scipy's one-sided scalings of evenly spaced samples
        (``density``: ``2 psd / fs``, units of y^2 per unit of frequency; ``spectrum``:
        ``2 psd / N``, units of y^2), equal to ``scipy.signal.periodogram`` with its default
        boxcar window and constant detrend at the Fourier frequencies.
    fit_mean, center_data, nterms
        As :class:`sigfit.LombScargle` (the floating mean, centring, harmonics in the model).

    Returns
    -------
    Periodogram
        ``frequency`` (cycles per unit of t) and ``power`` in ``normalization``.

    Examples
    --------
    >>> import numpy as np
    >>> t = np.random.default_rng(1).uniform(0, 100, 300)
    >>> p = periodogram(t, np.sin(2 * np.pi * 0.25 * t), fmax=1.0)
    >>> round(float(p.frequency[np.argmax(p.power)]), 2), p.method
    (0.25, 'lombscargle')
    >>> x = np.zeros(16); x[0] = 1
    >>> periodogram(x, fs=1.0, normalization="density").power[-3:]  # scipy.signal.periodogram(x)
    array([0.125 , 0.125 , 0.0625])
    """
    t, y = _values(t, y, method=method, normalization=normalization, fs=fs)
    _, oversampling, fmin, fmax, _ = validate_options(
        n_components=1, oversampling=oversampling, fmin=fmin, fmax=fmax, detrend=None, fap_threshold=0.01,
    )
    series = validate_series(t, y, dy, n_params=1)
    series, scale = scale_series(series)
    fmin, fmax = scale.frequency(fmin), scale.frequency(fmax)
    explicit = frequency is not None or fs is not None
    model_default = fit_mean is True and center_data is True and nterms == 1
    band = dict(fmin=fmin, fmax=fmax, oversampling=oversampling, max_grid_size=max_grid_size)
    if explicit or not model_default:
        freq, power, label = _nufft_power(series, method, frequency, fs, band, normalization,
                                          fit_mean=fit_mean, center_data=center_data, nterms=nterms)
    else:
        freq, power, label = _planned_power(series, method, band, normalization)
    if normalization in SCIPY_SCALINGS:
        power = _scipy_scaling(power, series, normalization, fs)
    return scale.restore(Periodogram(freq, power, normalization=normalization, method=label))


def _values(t, y, *, method, normalization, fs):
    """``(t, y)`` after the call's choices are checked; values at sampling rate ``fs`` get their
    times ``arange(N)/fs``."""
    from .periodograms import generalized

    if method == "wavelet":
        raise InputError("method 'wavelet' has no periodogram: use sigfit.wavelet.scalogram")
    if normalization not in (*generalized.NORMALIZATIONS, *SCIPY_SCALINGS):
        raise InputError(
            f"normalization {normalization!r} is not recognized: choose one of "
            f"{', '.join((*generalized.NORMALIZATIONS, *SCIPY_SCALINGS))}"
        )
    if fs is not None:
        if y is not None:
            raise InputError("pass either times t with values y, or values with a sampling rate fs, not both")
        if isinstance(fs, bool) or not (isinstance(fs, (int, float, np.number)) and math.isfinite(fs) and fs > 0):
            raise InputError(f"fs must be a positive sampling rate (samples per unit of time), got {fs!r}")
        y = t
        t = np.arange(np.size(y)) / float(fs)
    elif y is None:
        raise InputError("y is missing: pass periodogram(t, y), or periodogram(x, fs=rate) for evenly spaced values")
    return t, y


def _nufft_power(series, method, frequency, fs, band, normalization, *, fit_mean, center_data,
                 nterms):
    """``(frequency, power, label)`` by NUFFT (:mod:`sigfit.periodograms.generalized`): at the
    caller's frequencies, scipy's grid for ``fs``, or the automatic grid with another model."""
    from .periodograms import generalized

    if method not in ("auto", "lombscargle"):
        raise InputError(
            f"method {method!r} computes the automatic grid's floating-mean sinusoid only: "
            "use method='auto' (NUFFT) with frequency=, fs=, nterms, fit_mean or center_data"
        )
    if frequency is None and fs is not None:
        freq = np.fft.rfftfreq(series.n, 1.0 / float(fs))
    elif frequency is None:
        plan = plan_search(series, "lombscargle", **band)
        freq = plan.grid.frequency()
    else:
        freq = np.asarray(frequency, dtype=np.float64)
        if freq.ndim != 1 or freq.size == 0:
            raise InputError(f"frequency must be a non-empty 1-D array, got shape {freq.shape}")
    base = "psd" if normalization in SCIPY_SCALINGS else normalization
    power = generalized.lombscargle(series.tau, series.y, series.dy, freq, fit_mean=fit_mean,
                                    center_data=center_data, nterms=nterms, normalization=base)
    return freq, power, "lombscargle (nufft)"


def _planned_power(series, method, band, normalization):
    """``(frequency, power, label)`` on :func:`estimate`'s plan (its method, its whole grid),
    converted from the standard power to ``normalization``."""
    from .periodograms import generalized

    fmin, fmax, max_grid_size = band["fmin"], band["fmax"], band["max_grid_size"]
    plan = plan_search(series, method, **band)
    if plan.coarse:
        lo = f"{plan.grid.start:.6g}" + ("" if fmin is not None else " (automatic fmin)")
        hi = f"{plan.grid.stop:.6g}" + ("" if fmax is not None else " (automatic fmax)")
        raise InputError(
            f"the grid from {lo} to {hi} has {plan.grid.size:,} frequencies, over "
            f"max_grid_size={max_grid_size:,}: pass a narrower fmin/fmax or a lower "
            "oversampling (sigfit.estimate searches such bands coarse-to-fine)"
        )
    dy_search = series.dy if plan.method == "lombscargle" else None
    freq = plan.grid.frequency()
    power = _pg.compute(plan.method, series.tau, series.y, dy_search, plan.grid)
    base = "psd" if normalization in SCIPY_SCALINGS else normalization
    if base != "standard":
        _, _, chi2_ref = generalized.prepare(series.y, dy_search, fit_mean=True, center_data=True)
        power = generalized.convert_normalization(power, series.n, "standard", base, chi2_ref=chi2_ref)
    return freq, power, plan.method


def _scipy_scaling(power, series, normalization, fs):
    """scipy's one-sided ``density`` or ``spectrum`` from the ``psd`` power: needs the rate."""
    rate = fs
    if rate is None:
        step = describe(series).uniform_step
        if step is None:
            raise InputError(
                f"normalization {normalization!r} is scipy's scaling of evenly spaced samples: these are "
                "not evenly spaced; use 'psd' (or scipy.signal.lombscargle)"
            )
        rate = 1.0 / step
    return 2.0 * power / (float(rate) if normalization == "density" else series.n)
