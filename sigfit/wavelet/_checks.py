"""Input checks and preparation of the wavelet transform's samples."""

from __future__ import annotations

import math

import numpy as np

from .._validate import parse_detrend, validate_series
from ..errors import InputError
from ..harmonics import fit_trend


def _prepare(t, y):
    """Sorted float64 ``(t, y)``: validated as :func:`sigfit.estimate` validates its samples
    (:func:`sigfit._validate.validate_series`: shapes, numbers, masks, datetimes and astropy
    times, non-finite rows dropped with a warning, constant values refused), then the wavelet's
    own limits: at least 8 samples, and magnitudes whose squares stay inside float64."""
    series = validate_series(t, y, None, n_params=1)
    t, y = series.t, series.y
    _check_magnitudes(t, y)
    if t.size < 8:
        raise InputError(f"a scalogram needs at least 8 finite samples, got {t.size}")
    return t, y


# The transform squares values and frequencies: beyond these magnitudes float64 overflows or
# underflows (issue 14: y = 1e308 crashed deep inside); refused in one line, before any work.
MAGNITUDE_LIMIT = 1e150


def _check_magnitudes(t: np.ndarray, y: np.ndarray) -> None:
    if y.size == 0:
        return
    big = float(np.max(np.abs(y)))
    if big > MAGNITUDE_LIMIT or 0 < big < 1 / MAGNITUDE_LIMIT:
        raise InputError(
            f"y reaches {big:.3g}: wavelet powers (y squared) leave float64's range beyond "
            f"{MAGNITUDE_LIMIT:.0e} (or below {1 / MAGNITUDE_LIMIT:.0e}); rescale y first "
            "(e.g. y / 1e300), or drop the outlying samples"
        )
    span = float(np.ptp(t)) if t.size else 0.0
    if span > MAGNITUDE_LIMIT or 0 < span < 1 / MAGNITUDE_LIMIT or not np.isfinite(span):
        raise InputError(
            f"t spans {span:.3g}: frequencies squared leave float64's range beyond "
            f"{MAGNITUDE_LIMIT:.0e} (or below {1 / MAGNITUDE_LIMIT:.0e}); change the unit of t"
        )


def _check_wavelet(bandwidth, center_frequency):
    for name, v in (("bandwidth", bandwidth), ("center_frequency", center_frequency)):
        if not (isinstance(v, int | float | np.floating | np.integer) and math.isfinite(v) and v > 0):
            raise InputError(f"{name} must be a positive number, got {v!r}")


def _check_n_times(n_times, n):
    n_times = int(n_times)
    if n_times < 2:
        raise InputError(f"n_times must be at least 2, got {n_times}")
    return n_times if n is None else min(n_times, n)


def _remove_trend(tc, y, detrend):
    """``y`` less its polynomial trend of the degree ``detrend`` names (:func:`sigfit._validate.
    parse_detrend`; the wavelet has no automatic choice), fitted as :func:`sigfit.estimate`
    removes it before its periodogram (:func:`sigfit.harmonics.fit_trend`)."""
    degree = parse_detrend(detrend)
    if degree is None:
        raise InputError("the scalogram's detrend must be 'none', 'linear' or a polynomial degree: "
                         "'auto' chooses the degree jointly with a periodic model, as "
                         "sigfit.estimate(t, y, method='wavelet') does")
    t_scale = max(float(np.max(np.abs(tc))), np.finfo(float).tiny)
    return y - np.polynomial.polynomial.polyval(tc / t_scale, fit_trend(tc, y, None, degree, t_scale))
