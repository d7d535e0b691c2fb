"""Input checks and preparation of the wavelet transform's samples."""

from __future__ import annotations

import math

import numpy as np

from ..errors import InputError


def _prepare(t, y):
    if np.iscomplexobj(y):
        # as estimate: numpy would drop the imaginary part with only a ComplexWarning (issue 13)
        raise InputError("y is complex: pass the real part (or analyse real and imaginary parts separately)")
    masks = []
    if isinstance(t, np.ma.MaskedArray) or isinstance(y, np.ma.MaskedArray):
        masks = [np.ma.getmaskarray(a).ravel() for a in (t, y) if isinstance(a, np.ma.MaskedArray)]
        t, y = np.ma.getdata(t), np.ma.getdata(y)  # masked samples are dropped below, never read
    try:
        t = np.asarray(t, dtype=np.float64)
        y = np.asarray(y, dtype=np.float64)
    except (TypeError, ValueError):
        raise InputError("t and y must be numeric 1-D arrays") from None
    if t.ndim != 1 or y.ndim != 1 or t.size != y.size:
        raise InputError(f"t and y must be 1-D arrays of equal length, got shapes {t.shape} and {y.shape}")
    good = np.isfinite(t) & np.isfinite(y)
    for m in masks:
        good &= ~m
    _check_magnitudes(t[good], y[good])
    t, y = t[good], y[good]
    if t.size < 8:
        raise InputError(f"a scalogram needs at least 8 finite samples, got {t.size}")
    order = np.argsort(t, kind="stable")
    t, y = t[order], y[order]
    if not t[-1] > t[0]:
        raise InputError("all samples are at the same time: the record has no span")
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
    if detrend in (None, "none", 0):
        return y - y.mean()
    if detrend == "linear":
        degree = 1
    else:
        try:
            degree = int(detrend)
        except (TypeError, ValueError):
            raise InputError(f"detrend must be None, 'linear' or a polynomial degree, got {detrend!r}") from None
        if degree < 0:
            raise InputError(f"detrend degree must be >= 0, got {degree}")
    x = tc / max(float(np.max(np.abs(tc))), np.finfo(float).tiny)
    coef = np.polynomial.polynomial.polyfit(x, y, degree)
    return y - np.polynomial.polynomial.polyval(x, coef)
