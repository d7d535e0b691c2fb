"""Inputs as people hold them: astropy ``Time``/``TimeDelta``/``Quantity``, pandas ``Series``/
``DatetimeIndex``, numpy ``datetime64``/``timedelta64``, turned into plain float64/int64 arrays.

Nothing here imports astropy or pandas: objects are recognised by their type's module, and the
libraries are imported only when the caller has passed one of their objects (so they are
installed). Times become numbers in a stated unit:

- ``datetime64``/``timedelta64`` (numpy, pandas ``Series``/``DatetimeIndex``/``TimedeltaIndex``)
  -> seconds: int64 when every stamp is a whole second (exact), else float64 seconds; absolute
  datetimes count from the Unix epoch;
- astropy ``Time`` -> MJD days (``TimeDelta`` -> days); :class:`sigfit.LombScargle` counts from
  the first element, as astropy's ``LombScargle`` does;
- astropy ``Quantity`` -> its value, the unit kept beside it.
"""

from __future__ import annotations

import numpy as np

from .errors import InputError


def _module(obj) -> str:
    return type(obj).__module__ or ""


def is_astropy_time(obj) -> bool:
    """An astropy ``Time`` (absolute) object, without importing astropy unless it is one."""
    if not _module(obj).startswith("astropy"):
        return False
    from astropy.time import Time, TimeDelta

    return isinstance(obj, Time) and not isinstance(obj, TimeDelta)


def is_astropy_timedelta(obj) -> bool:
    if not _module(obj).startswith("astropy"):
        return False
    from astropy.time import TimeDelta

    return isinstance(obj, TimeDelta)


def unit_of(obj):
    """The astropy unit of a ``Quantity`` (or None for anything else)."""
    if _module(obj).startswith("astropy") and hasattr(obj, "unit") and hasattr(obj, "to_value"):
        return obj.unit
    return None


def _pandas_values(obj):
    """The numpy values of a pandas Series/Index (datetimes keep their dtype), else ``obj``."""
    if _module(obj).startswith("pandas") and hasattr(obj, "to_numpy"):
        dtype = getattr(obj, "dtype", None)
        if getattr(dtype, "kind", None) in "Mm":
            if getattr(dtype, "tz", None) is not None:
                # timezone-aware: the instants in UTC
                obj = obj.dt.tz_convert("UTC").dt.tz_localize(None) if hasattr(obj, "dt") \
                    else obj.tz_convert("UTC").tz_localize(None)
            return obj.to_numpy(dtype="datetime64[ns]" if dtype.kind == "M" else "timedelta64[ns]")
        return obj.to_numpy()
    return obj


def datetimes_to_seconds(a: np.ndarray) -> np.ndarray:
    """``datetime64``/``timedelta64`` -> seconds (since the Unix epoch for datetimes): int64 when
    every value is a whole second, float64 otherwise. NaT becomes NaN (dropped later)."""
    kind = a.dtype.kind
    base = np.datetime64(0, "s") if kind == "M" else np.timedelta64(0, "s")
    nat = np.isnat(a)
    ns = (a - base.astype(a.dtype)).astype("timedelta64[ns]").astype(np.int64)
    per = 1_000_000_000
    if not nat.any() and np.all(ns % per == 0):
        return ns // per
    whole, frac = np.divmod(ns, per)
    out = whole.astype(np.float64) + frac / per
    out[nat] = np.nan
    return out


def as_numeric_time(t):
    """``t`` as a plain numeric array (or ``t`` itself when it is already plain), and the unit
    the numbers are in (a string, or an astropy unit; None when ``t`` had none).

    An absolute astropy ``Time`` becomes its MJD (days, float64: ~1 microsecond of resolution
    today); :class:`sigfit.LombScargle` instead counts from the first element, as astropy does.
    """
    if is_astropy_time(t):
        return np.asarray(t.mjd, dtype=np.float64), "d"
    if is_astropy_timedelta(t):
        return np.asarray(t.to_value("day"), dtype=np.float64), "d"
    unit = unit_of(t)
    if unit is not None:
        return np.asarray(t.value), unit
    values = _pandas_values(t)
    if isinstance(values, np.ndarray) and values.dtype.kind in "Mm":
        return datetimes_to_seconds(values), "s"
    if values is not t:
        return values, None
    if isinstance(t, (list, tuple)) and t and isinstance(t[0], (np.datetime64, np.timedelta64)):
        a = np.asarray(t)
        if a.dtype.kind in "Mm":
            return datetimes_to_seconds(a), "s"
    if isinstance(t, np.ndarray) and t.dtype.kind in "Mm":
        return datetimes_to_seconds(t), "s"
    return t, None


def as_numeric_values(y):
    """``y`` without its container: a Quantity's value (and its unit), a pandas Series' numbers."""
    unit = unit_of(y)
    if unit is not None:
        return np.asarray(y.value), unit
    return _pandas_values(y), None


def plain_series(t, y, dy):
    """``(t, y, dy, time_unit, value_unit)`` with every container above turned into plain arrays;
    ``dy`` in the unit of ``y``. Units are strings (``'s'`` for datetimes), None when absent."""
    t, time_unit = as_numeric_time(t)
    y, value_unit = as_numeric_values(y)
    if dy is not None:
        dy_unit = unit_of(dy)
        if dy_unit is not None:
            if value_unit is None:
                raise InputError("dy has units but y has none: give both units, or neither")
            try:
                dy = np.asarray(dy.to_value(value_unit))
            except Exception:
                raise InputError(f"Units of dy not equivalent to units of y ({dy_unit} vs {value_unit})") from None
        else:
            dy = _pandas_values(dy)
    return t, y, dy, (None if time_unit is None else str(time_unit)), (
        None if value_unit is None else str(value_unit))
