"""Columns as read (:class:`Table`) and what they mean: numbers, ISO-8601 date-times (seconds
since the earliest one, from integer seconds plus integer nanoseconds, so float64 loses nothing
it could hold), leap seconds, and the time axis (:class:`TimeAxis`). :mod:`sigfit.io` reads the
files and calls these; every problem raises :class:`sigfit.errors.InputError` naming the file,
line and column."""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass

import numpy as np

from .errors import InputError, SigfitWarning

# cells that mean "no value": dropped with the rest of their row, like NaN
_MISSING = frozenset({"", "nan", "na", "n/a", "null", "none", "-nan", "+nan"})
_INT_RE = re.compile(r"\s*[+-]?\d+\s*\Z")
# ISO-8601 calendar date (or a calendar month, YYYY-MM: its first day, as monthly series are
# stamped), optional time (hh:mm[:ss[.fff]]) and UTC offset. Basic (no dash) forms are not
# accepted: "20240101" is a number.
_ISO_RE = re.compile(
    r"\s*(\d{4}-\d{2}(?:-\d{2})?)"
    r"(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?)?"
    r"\s*(Z|[+-]\d{2}(?::?\d{2})?)?\s*\Z",
    re.IGNORECASE,
)


@dataclass
class Table:
    """Columns as read, before interpretation: numpy arrays of str (text files) or numbers.

    ``lines`` holds, for text files, the 1-based file line of each row (for error messages)."""

    source: str
    columns: dict[str, np.ndarray]
    lines: np.ndarray | None = None

    @property
    def names(self) -> list[str]:
        return list(self.columns)

    @property
    def n_rows(self) -> int:
        return len(next(iter(self.columns.values()))) if self.columns else 0

    def where(self, row: int) -> str:
        """'file, line 7' for text, 'file, row 6' for arrays: where a bad cell sits."""
        if self.lines is not None:
            return f"{self.source}, line {int(self.lines[row])}"
        return f"{self.source}, row {row}"


@dataclass(frozen=True)
class TimeAxis:
    """The time column, ready for :func:`sigfit.estimate`.

    ``values`` are int64 (integer times, or whole-second date-times) or float64; ``valid`` marks
    rows with a usable time. For ISO-8601 input ``unit`` is ``"s"`` and ``epoch`` the date-time of
    t = 0 (the earliest one); for plain numbers both are None (the user's own unit)."""

    name: str
    values: np.ndarray
    valid: np.ndarray
    unit: str | None = None
    epoch: str | None = None

    @property
    def is_datetime(self) -> bool:
        return self.epoch is not None


def _numeric(
    table: Table, name: str, *, keep_int: bool = False, role: str = ""
) -> np.ndarray | None:
    """Column ``name`` as numbers (missing cells -> NaN); None when it holds no numbers at all.

    Raises InputError naming the first bad cell when numbers and text are mixed. With
    ``keep_int`` an all-integer text column comes back int64 (exact beyond 2**53)."""
    col = table.columns[name]
    if col.dtype.kind in "iub":
        return col.astype(np.int64) if keep_int else col.astype(np.float64)
    if col.dtype.kind == "f":
        # keep float32 as it is: the estimator's precision audit needs to see it
        return col if col.dtype in (np.float32, np.float64) else col.astype(np.float64)
    if col.dtype.kind not in "US":
        return None
    if keep_int:
        # numpy reads a cell as an integer where Python's int() does: _INT_RE's cells and those
        # with digit-separating underscores ("1_000"), which are not integers here. So one
        # conversion (~5 ms for 1e5 cells) and a search for "_" stand for the pattern matched
        # cell by cell (~50 ms)
        try:
            ints = col.astype(np.int64)
        except (ValueError, OverflowError):
            ints = None  # not all integers, or beyond int64: float64 below
        if ints is not None and not np.any(np.char.find(col, "_") >= 0):
            return ints
    try:
        return col.astype(np.float64)
    except ValueError:
        pass
    out = np.empty(col.size, dtype=np.float64)
    first_bad = None
    n_numbers = 0
    for k, cell in enumerate(col):
        s = cell.strip()
        if s.lower() in _MISSING:
            out[k] = np.nan
            continue
        try:
            out[k] = float(s)
            n_numbers += 1
        except ValueError:
            out[k] = np.nan
            if first_bad is None:
                first_bad = k
    if first_bad is None:
        return out
    if n_numbers == 0:
        return None
    raise InputError(
        f"{table.where(first_bad)}: {role}column {name!r} holds {col[first_bad].strip()!r}, which is "
        "not a number; fix it or leave the cell empty to drop the row"
    )


def _datetime_column(table: Table, name: str) -> TimeAxis:
    """ISO-8601 date-times -> seconds since the earliest.

    Seconds and nanoseconds are kept as separate int64 so nothing is rounded before the final
    float64 (and whole-second stamps stay int64, which tells the estimator their resolution)."""
    col = table.columns[name]
    if col.dtype.kind == "M":
        valid = ~np.isnat(col)
        sec, frac = _datetime64_seconds(col)
        return _seconds_axis(name, np.where(valid, sec, 0), np.where(valid, frac, 0), valid,
                             aware=False)
    n = col.size
    dates = ["NaT"] * n
    hms = np.zeros(n, dtype=np.int64)
    frac = np.zeros(n, dtype=np.int64)
    valid = np.ones(n, dtype=bool)
    aware = set()
    leap: list[int] = []
    for k, cell in enumerate(col):
        if cell.strip().lower() in _MISSING:
            valid[k] = False
            continue
        m = _ISO_RE.match(cell)
        if m is None:
            raise InputError(
                f"{table.where(k)}: time column {name!r} holds {cell.strip()!r}, which is not an "
                "ISO-8601 date-time like the rows above (YYYY-MM-DD[Thh:mm[:ss[.f]]][Z|+hh:mm])"
            )
        date, hh, mm, ss, ff, tz = m.groups()
        if len(date) == 7 and (hh or tz):
            raise InputError(f"{table.where(k)}: {cell.strip()!r} gives a time of day without a day")
        dates[k] = date
        h, mi, s = int(hh or 0), int(mm or 0), int(ss or 0)
        if h > 24 or mi > 59 or s > 60 or (h == 24 and (mi or s or int(ff or 0))):
            raise InputError(
                f"{table.where(k)}: {cell.strip()!r} is not a valid time of day (hours 00-23, "
                "or 24:00:00 for the end of a day; minutes 00-59; seconds 00-59, 60 for a leap "
                "second)"
            )
        if s == 60:
            if mi != 59:
                raise InputError(
                    f"{table.where(k)}: {cell.strip()!r} has second 60 outside the last minute "
                    "of an hour: a leap second is hh:59:60"
                )
            leap.append(k)
        off = 0
        aware.add(bool(tz))
        if tz and tz.upper() != "Z":
            digits = tz[1:].replace(":", "")
            oh, om = int(digits[:2]), (int(digits[2:4]) if len(digits) > 2 else 0)
            if om > 59 or oh * 60 + om > _MAX_OFFSET_MINUTES:
                raise InputError(
                    f"{table.where(k)}: {cell.strip()!r} has the UTC offset {tz!r}, which is not "
                    "an offset (hours up to 18, minutes 00-59, e.g. +05:30)"
                )
            off = oh * 3600 + om * 60
            off = off if tz[0] == "+" else -off
        hms[k] = h * 3600 + mi * 60 + s - off  # UTC
        if ff:
            if len(ff) > 9:
                raise InputError(f"{table.where(k)}: {cell.strip()!r} is finer than nanoseconds")
            frac[k] = int(ff.ljust(9, "0"))
    if len(aware) > 1:
        raise InputError(
            f"{table.source}: time column {name!r} mixes date-times with and without a UTC offset; "
            "give an offset (or Z) on all of them or on none"
        )
    try:
        days = np.array(dates, dtype="datetime64[D]")
    except ValueError:
        for k, d in enumerate(dates):
            try:
                np.datetime64(d, "D")
            except ValueError:
                raise InputError(
                    f"{table.where(k)}: {col[k].strip()!r} is not a valid date"
                ) from None
        raise
    sec = np.where(valid, days.astype(np.int64), 0) * 86400 + hms
    if leap:
        _report_leap_seconds(table, name, leap, sec, frac, valid)
    return _seconds_axis(name, sec, frac, valid, aware=aware == {True})


# ISO 8601 allows any offset; the ones in use lie within +-14:00, and +-18:00 is the bound most
# libraries enforce (java.time.ZoneOffset): beyond it a stamp is a typo, not a place
_MAX_OFFSET_MINUTES = 18 * 60


def _report_leap_seconds(table: Table, name: str, leap: list[int], sec, frac, valid) -> None:
    """Seconds here are POSIX-like (a day has 86400): hh:59:60 lands on the next minute's first
    second. Say so, and say when that instant is also stamped on another row."""
    for k in leap:
        same = np.flatnonzero(valid & (sec == sec[k]) & (frac == frac[k]))
        other = [int(j) for j in same if j != k]
        where = table.where(k)
        if other:
            message = (
                f"{where}: the leap second {table.columns[name][k].strip()!r} is counted as the "
                f"next second, which {table.where(other[0])} also stamps "
                f"({table.columns[name][other[0]].strip()!r}): two samples at one instant"
            )
        else:
            message = (
                f"{where}: the leap second {table.columns[name][k].strip()!r} is counted as the "
                "next second (sigfit's seconds have 86400 to a day, like POSIX time)"
            )
        warnings.warn(message, SigfitWarning, stacklevel=4)


def _datetime64_seconds(col: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(int64 seconds, int64 nanoseconds) of a datetime64 array in its own unit: no detour
    through datetime64[ns], whose int64 holds only 1678-2262. NaT gives garbage (masked by the
    caller)."""
    unit, count = np.datetime_data(col.dtype)
    v = col.view(np.int64)
    per_second = {"s": 1, "ms": 1000, "us": 1_000_000, "ns": 1_000_000_000,
                  "ps": 10**12, "fs": 10**15, "as": 10**18}
    if unit in per_second:
        per = per_second[unit]
        if count != 1:
            if per % count == 0:
                per //= count
            else:
                raise InputError(f"datetime64 unit {count}{unit} is not supported; use ns, us or s")
        sec, rem = np.divmod(v, per)
        frac = rem * (10**9 // per) if per <= 10**9 else rem // (per // 10**9)
        return sec.astype(np.int64), frac.astype(np.int64)
    # minutes, hours, days, weeks, months, years: whole seconds
    nat = np.isnat(col)
    secs = np.where(nat, np.datetime64(0, "s"), col).astype("datetime64[s]").view(np.int64)
    return secs, np.zeros(col.shape, dtype=np.int64)


def _seconds_axis(name, sec, frac, valid, *, aware) -> TimeAxis:
    # earliest instant: smallest (seconds, nanoseconds) pair among the valid rows
    idx = np.flatnonzero(valid)
    i0 = idx[np.lexsort((frac[idx], sec[idx]))[0]]
    s0, f0 = int(sec[i0]), int(frac[i0])
    # seconds and nanoseconds written apart: datetime64[ns] would overflow outside 1678-2262
    text = str(np.datetime64(s0, "s"))
    if f0:
        text += f".{f0:09d}"
    if aware:
        text += "Z"
    dsec = np.where(valid, sec - s0, 0)
    if not frac[idx].any():
        values = dsec  # whole seconds: exact int64
    else:
        # exact integer seconds + nanoseconds / 1e9: one rounding, to float64's own precision
        values = np.where(valid, dsec.astype(np.float64) + (frac - f0) / 1e9, np.nan)
    return TimeAxis(name=name, values=values, valid=valid, unit="s", epoch=text)


def _time_axis(table: Table, name: str) -> TimeAxis:
    col = table.columns[name]
    if col.dtype.kind in "US":
        present = [c for c in col[:1000] if c.strip().lower() not in _MISSING]
        if not present and not any(c.strip().lower() not in _MISSING for c in col):
            raise InputError(f"{table.source}: time column {name!r} has no values")
        if present and _ISO_RE.match(present[0]):
            return _datetime_column(table, name)
    elif col.dtype.kind == "M":
        if np.isnat(col).all():
            raise InputError(f"{table.source}: time column {name!r} has no values")
        return _datetime_column(table, name)
    values = _numeric(table, name, keep_int=True, role="time ")
    if values is None:
        raise InputError(
            f"{table.source}: time column {name!r} holds neither numbers nor ISO-8601 date-times; "
            "choose the time column with -t/--time"
        )
    valid = np.isfinite(values) if values.dtype.kind == "f" else np.ones(values.size, dtype=bool)
    if not valid.any():
        raise InputError(f"{table.source}: time column {name!r} has no finite values")
    return TimeAxis(name=name, values=values, valid=valid)
