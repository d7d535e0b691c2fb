"""The real-data corpus: its manifest, its loaders, and the one rule for "is this answer right".

Shared by ``tests/test_realdata.py`` and ``benchmarks/bench_realdata.py`` so the pass criterion
cannot drift between them. Imports only numpy and the standard library (sigfit is called by the
callers, as a user would call it).

The rule
--------
An answer is *right* when its period lies inside one of the series' accepted ranges
(``low``..``high`` in MANIFEST.csv, in ``period_unit``). sigfit *passes* a series when its
reported main period (the first component of ``sigfit estimate --json``) is right **and**
reported significant: a right number that sigfit itself calls noise is not an answer a user
gets. astropy's ``autopower`` reports no significance, so its argmax only has to be right.
"""

from __future__ import annotations

import csv
import pathlib
from dataclasses import dataclass

import numpy as np

HERE = pathlib.Path(__file__).resolve().parent
MANIFEST = HERE / "MANIFEST.csv"

#: Seconds in each unit used by the manifest (time_unit and period_unit). sigfit reports the
#: periods of a date/time column in seconds (``time_unit: "s"`` in its JSON); the short names
#: are there so a later sigfit that reports dates in another unit is still judged right.
SECONDS = {
    "s": 1.0,
    "minute": 60.0,
    "half-hour": 1800.0,
    "hour": 3600.0,
    "day": 86400.0,
    "year": 365.2425 * 86400.0,
    "ns": 1e-9,
    "us": 1e-6,
    "ms": 1e-3,
    "min": 60.0,
    "h": 3600.0,
    "d": 86400.0,
}


@dataclass(frozen=True)
class Series:
    """One row of MANIFEST.csv."""

    name: str
    file: str
    kind: str  # the "class" column: yearly, monthly, ..., radial velocity
    time_column: str
    value_column: str
    time_kind: str  # "iso" (dates/datetimes) or "numeric"
    time_unit: str  # unit of a numeric time column; "" for ISO
    periods: tuple[float, ...]
    lows: tuple[float, ...]
    highs: tuple[float, ...]
    period_unit: str
    row: dict

    @property
    def path(self) -> pathlib.Path:
        return HERE / self.file

    def accepted_text(self) -> str:
        """The accepted period(s) as a short string, in the manifest's unit."""
        return " or ".join(
            f"{p:.4g} ({lo:.4g}-{hi:.4g}) {self.period_unit}"
            for p, lo, hi in zip(self.periods, self.lows, self.highs, strict=True)
        )


def _floats(text: str) -> tuple[float, ...]:
    return tuple(float(x) for x in text.split(";"))


def load_manifest() -> list[Series]:
    """Every series of the corpus, checked for internal consistency."""
    out = []
    with open(MANIFEST, newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            s = Series(
                name=row["name"],
                file=row["file"],
                kind=row["class"],
                time_column=row["time_column"],
                value_column=row["value_column"],
                time_kind=row["time_kind"],
                time_unit=row["time_unit"],
                periods=_floats(row["period"]),
                lows=_floats(row["low"]),
                highs=_floats(row["high"]),
                period_unit=row["period_unit"],
                row=row,
            )
            if not (len(s.periods) == len(s.lows) == len(s.highs)):
                raise ValueError(f"{s.name}: period, low and high need as many entries")
            if any(not lo <= p <= hi for p, lo, hi in zip(s.periods, s.lows, s.highs, strict=True)):
                raise ValueError(f"{s.name}: accepted period outside its own range")
            if s.time_kind not in ("iso", "numeric") or s.period_unit not in SECONDS:
                raise ValueError(f"{s.name}: unknown time kind or period unit")
            if s.time_kind == "numeric" and s.time_unit not in SECONDS:
                raise ValueError(f"{s.name}: a numeric time column needs a known time_unit")
            out.append(s)
    return out


def load_columns(series: Series) -> tuple[np.ndarray, np.ndarray]:
    """The raw (time text, value) columns of a series' CSV, as written."""
    with open(series.path, newline="", encoding="utf-8") as fh:
        reader = csv.reader(fh)
        header = next(reader)
        rows = list(reader)
    it, iv = header.index(series.time_column), header.index(series.value_column)
    times = np.array([r[it] for r in rows])
    values = np.array([float(r[iv]) for r in rows])
    return times, values


def times_in(series: Series, unit: str) -> tuple[np.ndarray, np.ndarray]:
    """``(t, y)`` with t as float64 in ``unit`` (ISO stamps: since the first stamp).

    This is how a user would feed astropy: parse the dates, express them in one unit.
    """
    text, y = load_columns(series)
    if series.time_kind == "iso":
        stamps = np.array([s.rstrip("Z") for s in text], dtype="datetime64[s]")
        seconds = (stamps - stamps[0]).astype(np.int64).astype(np.float64)
    else:
        seconds = text.astype(np.float64) * SECONDS[series.time_unit]
    return seconds / SECONDS[unit], y


def is_right(series: Series, period: float | None, unit: str) -> bool:
    """Whether ``period`` (in ``unit``) lies in one of the series' accepted ranges."""
    if period is None or not np.isfinite(period):
        return False
    p = period * SECONDS[unit] / SECONDS[series.period_unit]
    return any(lo <= p <= hi for lo, hi in zip(series.lows, series.highs, strict=True))


def record_unit(series: Series, record: dict) -> str:
    """The unit of the periods in one signal record of ``sigfit estimate --json``."""
    unit = record.get("time_unit")
    if unit:
        if unit not in SECONDS:
            raise ValueError(f"{series.name}: sigfit reported an unknown time unit {unit!r}")
        return unit
    # a numeric time column: sigfit reports periods in the column's own unit
    return series.time_unit


@dataclass(frozen=True)
class Verdict:
    period: float | None  # in the series' period_unit
    significant: bool
    right: bool
    n_harmonics: int | None

    @property
    def passed(self) -> bool:
        return self.right and self.significant


def judge_sigfit(series: Series, record: dict) -> Verdict:
    """Judge one signal record of ``sigfit estimate --json`` (the first component)."""
    components = record.get("components") or []
    if not components:
        return Verdict(None, False, False, None)
    main = components[0]
    unit = record_unit(series, record)
    period = main.get("period")
    significant = bool(record.get("significant", True)) and bool(main.get("significant", False))
    right = is_right(series, period, unit)
    converted = None if period is None else period * SECONDS[unit] / SECONDS[series.period_unit]
    return Verdict(converted, significant, right, main.get("n_harmonics"))


def judge_period(series: Series, period: float, unit: str) -> Verdict:
    """Judge a bare period (astropy's argmax), which carries no significance."""
    right = is_right(series, period, unit)
    return Verdict(period * SECONDS[unit] / SECONDS[series.period_unit], False, right, None)


def astropy_argmax(series: Series) -> float:
    """astropy's default answer: ``LombScargle(t, y).autopower()`` argmax, in period_unit."""
    from astropy.timeseries import LombScargle

    t, y = times_in(series, series.period_unit)
    frequency, power = LombScargle(t, y).autopower()
    return 1.0 / frequency[np.argmax(power)]
