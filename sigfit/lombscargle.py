"""``sigfit.LombScargle``: astropy's ``LombScargle`` interface on sigfit's NUFFT periodograms.

The class is thin (the pattern of astropy): it checks the inputs, strips and restores units, and
calls the backends of :mod:`sigfit.periodograms.generalized` (power at any frequencies, any
``nterms``) and :mod:`sigfit.statistics` (false-alarm probabilities and levels). Code written for
``astropy.timeseries.LombScargle`` runs unchanged with ``sigfit.LombScargle``; astropy itself is
imported only when the caller passes its ``Time``/``Quantity`` objects.
"""

from __future__ import annotations

import numpy as np

from . import statistics as _stats
from ._inputs import is_astropy_time, is_astropy_timedelta, unit_of
from ._numerics import centred_cycles
from .errors import InputError
from .grid import autofrequency  # noqa: F401  (astropy's name, in its astropy-shaped home)
from .periodograms import generalized as _gen


class TimeKindError(InputError, TypeError):
    """Absolute times where the periodogram holds relative ones, or the reverse."""


class NotSupportedError(InputError, NotImplementedError):
    """A combination of options the mathematics does not cover (e.g. the false-alarm
    probability of a multi-term periodogram)."""


class LombScargle:
    """The Lomb-Scargle periodogram, with astropy's interface.

    The model at frequency ``f``: ``y = [theta_0] + sum_{n=1}^{nterms} theta_{2n-1} sin(2 pi n f t)
    + theta_{2n} cos(2 pi n f t)``, fitted by weighted least squares; its power in one of
    :data:`sigfit.periodograms.generalized.NORMALIZATIONS` (see that module's table), at any
    frequencies, by non-uniform FFT.

    Parameters
    ----------
    t : array_like, astropy Quantity, Time or TimeDelta, pandas or numpy datetimes
        Sample times. ``Time`` counts in days from its first element (as astropy); datetimes in
        seconds (``sigfit._inputs``).
    y : array_like or Quantity
        Values.
    dy : float, array_like or Quantity, optional
        One-sigma uncertainties (weights ``1/dy^2``), in the units of ``y``.
    fit_mean : bool
        Fit a constant with the sinusoids at every frequency (the floating mean).
    center_data : bool
        Subtract the weighted mean first.
    nterms : int
        Harmonics in the model (0 with ``fit_mean`` fits the mean alone).
    normalization : {'standard', 'model', 'log', 'psd'}
        Normalization of the power.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(42)
    >>> t = 100 * rng.random(100)
    >>> y = np.sin(2 * np.pi * t) + rng.standard_normal(100)
    >>> frequency, power = LombScargle(t, y).autopower()
    >>> round(float(frequency[np.argmax(power)]), 3)
    1.001
    """

    available_methods = _gen.available_methods()

    def __init__(self, t, y, dy=None, fit_mean=True, center_data=True, nterms=1,
                 normalization="standard"):
        self.t = t
        self._tstart = None
        self._time_unit = None
        if is_astropy_timedelta(t):
            t = t.to("day")
        if is_astropy_time(t):
            import astropy.units as u

            self._tstart = t[0]
            trel = (t - self._tstart).to(u.day)
        else:
            trel = t
        self.fit_mean = bool(fit_mean)
        self.center_data = bool(center_data)
        self.nterms = _gen.check_nterms(nterms, True)
        self.normalization = _gen.check_normalization(normalization)
        self._trel, self.y, self.dy = trel, y, dy
        self._t, self._time_unit = self._plain_times(trel)
        self._y, self._y_unit = _plain(y, "y")
        if dy is None:
            self._dy = None
        else:
            self._dy = self._plain_dy(dy)
        if self._t.shape != self._y.shape:
            try:
                self._t, self._y = np.broadcast_arrays(self._t, self._y)
            except ValueError:
                raise InputError(
                    f"t and y must have the same length, got {self._t.size} and {self._y.size}"
                ) from None
        if self._t.ndim != 1:
            raise InputError(f"inputs (t, y, dy) must be 1-dimensional, got shape {self._t.shape}")
        if self._dy is not None:
            try:
                self._dy = np.broadcast_to(self._dy, self._y.shape)
            except ValueError:
                raise InputError(
                    f"dy must be a scalar or have one entry per sample ({self._y.size}), got {self._dy.size}"
                ) from None
        if self._t.size < 2:
            raise InputError("a periodogram needs at least 2 samples")
        bad = ~(np.isfinite(self._t) & np.isfinite(self._y))
        if self._dy is not None:
            bad |= ~np.isfinite(self._dy)
        if bad.any():
            raise InputError(
                f"{int(bad.sum())} samples have NaN or inf in t, y or dy: drop them first "
                "(e.g. ok = np.isfinite(y); LombScargle(t[ok], y[ok]))"
            )
        if self._dy is not None and np.any(self._dy <= 0):
            raise InputError("dy must be positive (one-sigma uncertainties of y)")

    # -- units ---------------------------------------------------------------------------------
    def _plain_times(self, trel):
        unit = unit_of(trel)
        if unit is not None:
            return np.asarray(trel.value, dtype=np.float64), unit
        from ._inputs import as_numeric_time

        values, _ = as_numeric_time(trel)
        return _numeric(values, "t"), None

    def _plain_dy(self, dy):
        if self._y_unit is None and unit_of(dy) is None:
            return _numeric(np.asarray(dy), "dy")
        if unit_of(dy) is None or self._y_unit is None:
            raise InputError("Units of dy not equivalent to units of y: give both units, or neither")
        try:
            return np.asarray(dy.to_value(self._y_unit), dtype=np.float64)
        except Exception:
            raise InputError(f"Units of dy not equivalent to units of y ({dy.unit} vs {self._y_unit})") from None

    def _frequency_value(self, frequency, name="frequency"):
        """Frequencies as plain numbers in 1/(unit of t)."""
        if self._time_unit is None:
            if unit_of(frequency) is not None:
                raise InputError(f"{name} has units while 1/t doesn't: pass plain numbers")
            return np.asarray(frequency, dtype=np.float64)
        target = 1.0 / self._time_unit
        if unit_of(frequency) is None:
            raise InputError(
                f"Units of {name} not equivalent to units of 1/t: pass a Quantity in 1/{self._time_unit}"
            )
        try:
            return np.asarray(frequency.to_value(target), dtype=np.float64)
        except Exception:
            raise InputError(
                f"Units of {name} not equivalent to units of 1/t ({frequency.unit} vs {target})"
            ) from None

    def _with_frequency_unit(self, values):
        return values if self._time_unit is None else values / self._time_unit

    def _power_unit(self, normalization):
        if self._y_unit is None:
            return None
        if self._dy is None and normalization == "psd":
            return self._y_unit**2
        import astropy.units as u

        return u.dimensionless_unscaled

    def _relative_times(self, name, times):
        """Plain relative times (in the unit of ``self._trel``) for ``times`` given to a method."""
        if is_astropy_timedelta(times):
            times = times.to("day")
        if self._tstart is None:
            if is_astropy_time(times):
                raise TimeKindError(
                    f"{name} was provided as an absolute time but the LombScargle class was "
                    "initialized with relative times."
                )
        else:
            if not is_astropy_time(times):
                raise TimeKindError(
                    f"{name} was provided as a relative time but the LombScargle class was "
                    "initialized with absolute times."
                )
            import astropy.units as u

            times = (times - self._tstart).to(u.day)
        if self._time_unit is None:
            if unit_of(times) is not None:
                raise InputError(f"Units of {name} not equivalent to units of input self.t (which has none)")
            from ._inputs import as_numeric_time

            return _numeric(as_numeric_time(times)[0], name, allow_scalar=True)
        if unit_of(times) is None:
            raise InputError(f"Units of {name} not equivalent to units of input self.t ({self._time_unit})")
        try:
            return np.asarray(times.to_value(self._time_unit), dtype=np.float64)
        except Exception:
            raise InputError(
                f"Units of {name} not equivalent to units of input self.t ({times.unit} vs {self._time_unit})"
            ) from None

    # -- periodogram ---------------------------------------------------------------------------
    def autofrequency(self, samples_per_peak=5, nyquist_factor=5, minimum_frequency=None,
                      maximum_frequency=None, return_freq_limits=False):
        """astropy's automatic frequency grid (:func:`autofrequency`), in 1/(unit of t).

        Parameters
        ----------
        samples_per_peak, nyquist_factor, minimum_frequency, maximum_frequency, return_freq_limits
            As :func:`autofrequency`; the limits may be Quantities when ``t`` is.

        Returns
        -------
        ndarray, Quantity or tuple
            The frequencies, or their limits.
        """
        lo = None if minimum_frequency is None else float(self._frequency_value(minimum_frequency, "minimum_frequency"))
        hi = None if maximum_frequency is None else float(self._frequency_value(maximum_frequency, "maximum_frequency"))
        out = autofrequency(self._t, samples_per_peak, nyquist_factor, lo, hi, return_freq_limits)
        if return_freq_limits:
            return tuple(self._with_frequency_unit(v) for v in out)
        return self._with_frequency_unit(out)

    def power(self, frequency, normalization=None, method="auto", assume_regular_frequency=False,
              method_kwds=None):
        """The power at ``frequency`` (cycles per unit of t, any shape, ``f = 0`` included).

        Parameters
        ----------
        frequency : array_like or Quantity
            Frequencies, not angular frequencies; any array (regular grids are fastest).
        normalization : {'standard', 'model', 'log', 'psd'}, optional
            Instead of the instance's.
        method : str
            ``'auto'`` or a name of :data:`sigfit.periodograms.generalized.METHODS`
            (``LombScargle.available_methods``).
        assume_regular_frequency : bool
            Accepted for astropy's signature; regular grids are detected.
        method_kwds : dict, optional
            The method's keywords (``fast``: ``use_fft``, ``eps``).

        Returns
        -------
        ndarray or Quantity
            The power, shaped like ``frequency`` (a Quantity when ``y`` is: ``y.unit**2`` for
            ``psd`` without ``dy``, else dimensionless).
        """
        normalization = self.normalization if normalization is None else normalization
        f = self._frequency_value(frequency)
        p = _gen.lombscargle(self._t, self._y, self._dy, f, method=method, method_kwds=method_kwds,
                             fit_mean=self.fit_mean, center_data=self.center_data,
                             nterms=self.nterms, normalization=normalization)
        unit = self._power_unit(normalization)
        return p if unit is None else p * unit

    def autopower(self, method="auto", method_kwds=None, normalization=None, samples_per_peak=5,
                  nyquist_factor=5, minimum_frequency=None, maximum_frequency=None):
        """``frequency, power`` on :meth:`autofrequency`'s grid (parameters as those two)."""
        frequency = self.autofrequency(samples_per_peak=samples_per_peak, nyquist_factor=nyquist_factor,
                                       minimum_frequency=minimum_frequency,
                                       maximum_frequency=maximum_frequency)
        return frequency, self.power(frequency, normalization=normalization, method=method,
                                     method_kwds=method_kwds, assume_regular_frequency=True)

    # -- the model at one frequency ------------------------------------------------------------
    def _scalar_frequency(self, frequency) -> float:
        f = self._frequency_value(frequency)
        if f.ndim != 0:
            raise InputError(f"frequency must be a scalar here, got shape {f.shape}")
        if not np.isfinite(f):
            raise InputError("frequency must be finite")
        return float(f)

    def _fit(self, frequency: float):
        """Weighted linear least squares at ``frequency`` in centred time: parameters for the
        design at ``t - t_mid``, the offset removed first, and ``t_mid``."""
        t_mid = 0.5 * (float(self._t.max()) + float(self._t.min()))
        y = self._y - self._offset_value()
        x = _gen.design(self._t - t_mid, frequency, fit_mean=self.fit_mean, nterms=self.nterms)
        sw = np.ones_like(y) if self._dy is None else 1.0 / self._dy
        theta, *_ = np.linalg.lstsq(x * sw[:, None], y * sw, rcond=None)
        return theta, t_mid

    def _offset_value(self) -> float:
        if not self.center_data:
            return 0.0
        w = np.ones_like(self._y) if self._dy is None else self._dy**-2.0
        return float(np.dot(w, self._y) / w.sum())

    def offset(self):
        """The offset of the model: the weighted mean of ``y`` with ``center_data`` (else 0).

        Returns
        -------
        float or Quantity
        """
        v = self._offset_value()
        return v if self._y_unit is None else v * self._y_unit

    def model_parameters(self, frequency, units=True):
        """Best-fit parameters ``theta`` at ``frequency`` (time origin that of ``t``).

        Parameters
        ----------
        frequency : float or Quantity
            The frequency.
        units : bool
            Give them the units of ``y``.

        Returns
        -------
        ndarray
            ``[theta_0,] theta_1 .. theta_{2 nterms}`` (sin, cos per harmonic), fitted to
            ``y - offset()``.
        """
        f = self._scalar_frequency(frequency)
        theta, t_mid = self._fit(f)
        out = theta.copy()
        b = int(self.fit_mean)
        for h in range(1, self.nterms + 1):
            # a sin(h w (t - m)) + c cos(h w (t - m)) in terms of sin(h w t), cos(h w t)
            phi = 2 * np.pi * float(centred_cycles(h * f, np.asarray(t_mid)))
            a, c = theta[b + 2 * h - 2], theta[b + 2 * h - 1]
            out[b + 2 * h - 2] = a * np.cos(phi) + c * np.sin(phi)
            out[b + 2 * h - 1] = -a * np.sin(phi) + c * np.cos(phi)
        return out * self._y_unit if (units and self._y_unit is not None) else out

    def design_matrix(self, frequency, t=None):
        """The design matrix at ``frequency``: columns ``[1,] sin(2 pi f t), cos(2 pi f t), ...``.

        Parameters
        ----------
        frequency : float or Quantity
            The frequency.
        t : array_like, Quantity or Time, optional
            Times; by default the data's, rows then divided by ``dy`` (as astropy).

        Returns
        -------
        ndarray
            Shape ``(len(t), fit_mean + 2*nterms)``.
        """
        f = self._scalar_frequency(frequency)
        if t is None:
            return _gen.design(self._t, f, fit_mean=self.fit_mean, nterms=self.nterms, dy=self._dy)
        tt = np.atleast_1d(self._relative_times("t", t))
        return _gen.design(tt, f, fit_mean=self.fit_mean, nterms=self.nterms)

    def model(self, t, frequency):
        """The fitted model at times ``t``: ``offset() + design_matrix(frequency, t) @ theta``,
        the weighted linear least-squares fit at ``frequency`` (exact to rounding).

        Parameters
        ----------
        t : array_like, Quantity or Time
            Times at which to evaluate it.
        frequency : float or Quantity
            The frequency.

        Returns
        -------
        ndarray or Quantity
            The model, in the units of ``y``.
        """
        f = self._scalar_frequency(frequency)
        tt = self._relative_times("t", t)
        theta, t_mid = self._fit(f)
        x = _gen.design(np.atleast_1d(tt) - t_mid, f, fit_mean=self.fit_mean, nterms=self.nterms)
        y = np.reshape(self._offset_value() + x @ theta, np.shape(tt))
        return y if self._y_unit is None else y * self._y_unit

    # -- statistics ----------------------------------------------------------------------------
    def _power_value(self, power):
        if unit_of(power) is None:
            return np.asarray(power, dtype=np.float64)
        unit = self._power_unit(self.normalization)
        return np.asarray(power.to_value(unit), dtype=np.float64)

    def distribution(self, power, cumulative=False):
        """Density (or ``cumulative`` distribution) of the power at one frequency under the null
        hypothesis (:func:`sigfit.statistics.pdf_single`); not that of the highest peak.

        Parameters
        ----------
        power : array_like
            Powers in the instance's normalization.
        cumulative : bool
            The cumulative distribution instead of the density.

        Returns
        -------
        ndarray
        """
        dh = 1 if (self.fit_mean or self.center_data) else 0
        dk = dh + 2 * self.nterms
        if self.nterms != 1:
            raise NotSupportedError("the distribution is known for nterms=1 only (2 more parameters than the null)")
        dist = _stats.cdf_single if cumulative else _stats.pdf_single
        return dist(self._power_value(power), self._t.size, self.normalization, dH=dh, dK=dk)

    def _fmax(self, samples_per_peak, nyquist_factor, minimum_frequency, maximum_frequency):
        if self.nterms != 1:
            raise NotSupportedError(
                "false alarm probability is not implemented for multiterm periodograms: use nterms=1"
            )
        if not (self.fit_mean or self.center_data):
            raise NotSupportedError(
                "false alarm probability is implemented only for periodograms of centered data: "
                "pass fit_mean=True or center_data=True"
            )
        lo = None if minimum_frequency is None else float(self._frequency_value(minimum_frequency, "minimum_frequency"))
        hi = None if maximum_frequency is None else float(self._frequency_value(maximum_frequency, "maximum_frequency"))
        return autofrequency(self._t, samples_per_peak, nyquist_factor, lo, hi, return_freq_limits=True)[1]

    def false_alarm_probability(self, power, method="baluev", samples_per_peak=5, nyquist_factor=5,
                                minimum_frequency=None, maximum_frequency=None, method_kwds=None):
        """False-alarm probability of a highest peak ``power`` (null: a constant and white noise).

        Parameters
        ----------
        power : array_like
            Peak power(s) in the instance's normalization.
        method : str
            A name of :data:`sigfit.statistics.METHODS` (``baluev`` by default).
        samples_per_peak, nyquist_factor, minimum_frequency, maximum_frequency
            The searched band, as :meth:`autofrequency`.
        method_kwds : dict, optional
            ``bootstrap``: ``n_bootstraps``, ``random_seed``.

        Returns
        -------
        ndarray
            Probabilities, shaped like ``power``.
        """
        fmax = self._fmax(samples_per_peak, nyquist_factor, minimum_frequency, maximum_frequency)
        return _stats.false_alarm_probability(self._power_value(power), fmax, self._t, self._y, self._dy,
                                              self.normalization, method=method, method_kwds=method_kwds)

    def false_alarm_level(self, false_alarm_probability, method="baluev", samples_per_peak=5,
                          nyquist_factor=5, minimum_frequency=None, maximum_frequency=None,
                          method_kwds=None):
        """The power a highest peak needs for ``false_alarm_probability`` (the inverse of
        :meth:`false_alarm_probability`; same parameters).

        Returns
        -------
        ndarray or Quantity
            Powers in the instance's normalization.
        """
        fmax = self._fmax(samples_per_peak, nyquist_factor, minimum_frequency, maximum_frequency)
        p = np.asarray(false_alarm_probability, dtype=np.float64)
        z = _stats.false_alarm_level(p, fmax, self._t, self._y, self._dy, self.normalization,
                                     method=method, method_kwds=method_kwds)
        unit = self._power_unit(self.normalization)
        return z if unit is None else z * unit


def _numeric(a, name, allow_scalar=False) -> np.ndarray:
    a = np.asarray(a)
    if a.dtype.kind == "O":
        try:
            a = a.astype(np.float64)
        except (TypeError, ValueError):
            raise InputError(f"{name} must be numeric") from None
    if a.dtype.kind == "c":
        raise InputError(f"{name} is complex: pass the real part (or its real and imaginary parts separately)")
    if a.dtype.kind not in "iufb":
        raise InputError(f"{name} must be numeric, got dtype {a.dtype}")
    return a.astype(np.float64)


def _plain(y, name):
    from ._inputs import as_numeric_values

    values, unit = as_numeric_values(y)
    return _numeric(values, name), unit


def periodic_fit(t, y, dy, frequency, t_fit, center_data=True, fit_mean=True, nterms=1) -> np.ndarray:
    """astropy's ``periodic_fit``: the weighted least-squares model at ``frequency``, evaluated at
    ``t_fit`` (times centred internally; the same fit as :meth:`sigfit.LombScargle.model`)."""
    return LombScargle(t, y, dy, fit_mean=fit_mean, center_data=center_data, nterms=nterms).model(
        np.asarray(t_fit, dtype=np.float64), float(frequency))
