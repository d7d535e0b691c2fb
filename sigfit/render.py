"""Results out as text: the human table (:func:`format_result`), the JSON record of one signal
(:func:`signal_record`), and the rows :func:`sigfit.estimate_many` writes (:data:`COLUMNS`,
:func:`result_rows`, :func:`error_row`). Reading lives in :mod:`sigfit.io`; the batch files that
hold the rows in ``sigfit._batch_files``."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np

from .results import Component, EstimateResult

if TYPE_CHECKING:  # annotations only: sigfit.io imports this module
    from .io import TimeAxis


# (seconds, symbol): a duration is shown in the largest unit it spans at least twice (once for
# seconds and below), so a day reads "24.0 h", a week "7.00 d", a minute "60.0 s" and 1.5 s
# "1.50 s". The Julian year matches astropy's.
_DURATION_UNITS = (
    (1e-9, "ns"),
    (1e-6, "us"),
    (1e-3, "ms"),
    (1.0, "s"),
    (60.0, "min"),
    (3600.0, "h"),
    (86400.0, "d"),
    (365.25 * 86400.0, "yr"),
)


def duration_unit(seconds: float) -> tuple[float, str]:
    """(unit length in seconds, symbol) for showing ``seconds`` to a human."""
    if seconds == 0:
        return 1.0, "s"
    chosen = _DURATION_UNITS[0]
    for unit in _DURATION_UNITS:
        # from minutes up, a unit is used from two of it: "24.0 h", not "1.00 d"
        if abs(seconds) >= (2 if unit[0] > 1 else 1) * unit[0]:
            chosen = unit
    return chosen


def format_duration(seconds: float, digits: int = 3) -> str:
    """A duration in seconds for humans: ``86400 -> '24.0 h'``, ``604800 -> '7.00 d'``."""
    if seconds is None or not math.isfinite(seconds):
        return "inf"
    scale, symbol = duration_unit(seconds)
    value = seconds / scale
    decimals = max(0, digits - 1 - int(math.floor(math.log10(abs(value))))) if value else digits - 1
    return f"{value:.{decimals}f} {symbol}"


def format_value_error(value: float | None, error: float | None) -> str:
    """``value ± error``, the value rounded at the error's second significant digit.

    Fixed point where it reads well (``86392 ± 15``, ``3.000 ± 0.026``), scientific for tiny or
    huge values (``1.15751e-05 ± 2.0e-09``); a small error keeps its exponent so the value's
    digits stay countable (``31.0000000012 ± 3.1e-09``)."""
    if value is None or not math.isfinite(value):
        return "nan"
    if error is None or not math.isfinite(error) or error <= 0:
        return f"{value:.6g}" + (" ± ?" if error is None or not math.isfinite(error) else "")
    q = math.floor(math.log10(error)) - 1  # decimal place of the error's second digit
    decimals = max(0, -q)
    if (value == 0 or 1e-3 <= abs(value) < 1e12) and decimals <= 15:
        shown = f"{round(value, -q):.{decimals}f}"
        err = f"{round(error, -q):.{decimals}f}" if error >= 1e-3 else _digits(error, 2)
        return f"{shown} ± {err}"
    lead = math.floor(math.log10(abs(value))) if value else q + 1  # 0 with a tiny error
    sig = int(min(17, max(2, lead - q + 1)))
    return f"{_digits(value, sig)} ± {_digits(error, 2)}"


def _digits(x: float, significant: int) -> str:
    # "#" keeps trailing zeros (3.000 ± 0.026, 2.0e-09), but leaves a bare point on integers
    return f"{x:#.{significant}g}".replace(".e", "e").rstrip(".")


# Below this a false-alarm probability has underflowed float64's normal range: it is not 0.
FAP_FLOOR = 1e-300


def fap_text(fap: float | None) -> str:
    """A false-alarm probability for humans: ``9.8e-162``, ``0.54``; one that underflowed
    (0 or subnormal) is ``<1e-300``, never ``0``; ``?`` when unknown."""
    if fap is None or not math.isfinite(fap):
        return "?"
    return f"<{FAP_FLOOR:g}" if fap < FAP_FLOOR else f"{fap:.2g}"


_fap_text = fap_text


def display_unit(result, time: TimeAxis | None = None) -> tuple[float, str | None]:
    """(seconds per unit, unit) in which tables and figures show a result's times.

    Date-time input: the human unit of the record's span (``d`` for four weeks, ``h`` for two
    days; span read as ``2 * result.t_scale``), so ``sigfit estimate`` prints what its
    ``--plot`` draws. Other input: ``(1.0, None)``, the file's own unit."""
    if time is None or not time.is_datetime:
        return 1.0, None
    return duration_unit(2.0 * float(getattr(result, "t_scale", 1.0) or 1.0))


def _reference_outside(result) -> bool:
    """Whether t = 0 lies outside the record (the data span ``t_ref +- t_scale`` at most), so
    the phase at t = 0 is an extrapolation and the phase at ``t_ref`` is shown beside it."""
    return abs(getattr(result, "t_ref", 0.0)) > getattr(result, "t_scale", 1.0)


def _drifting(result):
    """``(component, k) -> bool``: whether a component of a ``method='wavelet'`` result is a
    tone whose frequency changed (the stationarity test failed): the components inside the
    strongest ridge's frequency range, or the first when there is no ridge."""
    st = getattr(result, "stationarity", None)
    if st is None or st.stationary is not False:
        return lambda c, k: False
    track = getattr(result, "track", None)
    if track is None or len(track.frequency) < 2:
        return lambda c, k: k == 1
    lo, hi = float(np.min(track.frequency)), float(np.max(track.frequency))
    margin = 0.05 * (hi - lo)
    return lambda c, k: lo - margin <= c.frequency <= hi + margin


def format_result(name: str, result, time: TimeAxis | None = None) -> str:
    """The human table for one signal: one row per component, strongest first.

    Columns: frequency, period (with a human duration for date-time input), angular frequency,
    amplitude and phase, each ``± standard error``, then the false-alarm probability (an
    underflowed one reads ``<1e-300``). Date-time input is shown in the unit the figure uses
    (:func:`display_unit`). When t = 0 lies outside the data, the phase at the samples' mean
    time is shown too, each column saying where it is taken. A component with harmonics gets a
    line with its shape's semi-amplitude (``amplitude`` is the fundamental's). When no
    component is significant the table is replaced by ``no significant period (best FAP=...)``.
    Below the rows, one line ``#k fundamental: ...`` for each component whose fundamental is not
    simply the periodogram's peak (``Component.fundamental``)."""
    unit = time.unit if time is not None else None
    is_dt = time is not None and time.is_datetime
    scale, shown = display_unit(result, time)
    t_unit = shown or unit or "unit of t"
    head = f"{name}: {result.n_samples} samples, method {result.method}"
    if is_dt:
        head += f", t in {t_unit} since {time.epoch}"
    lines = [head]
    comps = list(result.components)
    notes = []
    if not any(c.significant for c in comps):
        faps = [c.false_alarm_probability for c in comps if c.false_alarm_probability is not None]
        best = min(faps) if faps else None
        lines.append(f"  no significant period (best FAP={_fap_text(best)})")
    else:
        table, notes = _component_table(result, comps, scale=scale, is_dt=is_dt, t_unit=t_unit)
        lines += table
    lines += notes
    lines.append(_tail_line(result))
    lines += _choice_lines(result, "Hz" if t_unit == "s" else f"cycles/{t_unit}", scale)
    lines += _drift_lines(result, is_dt, t_unit, scale)
    return "\n".join(lines)


def _component_table(result, comps, *, scale, is_dt, t_unit) -> tuple[list[str], list[str]]:
    """The table's lines (header, one row per component, then why a fundamental was taken where
    it is not simply the peak) and the notes that follow them (harmonics, drift)."""
    freq_unit = "Hz" if t_unit == "s" else f"cycles/{t_unit}"
    both = _reference_outside(result) and any(c.reference_phase is not None for c in comps)
    t_ref = getattr(result, "t_ref", 0.0)
    header = [
        "#",
        f"frequency [{freq_unit}]",
        f"period [{t_unit}]",
        f"angular frequency [rad/{t_unit}]",
        "amplitude",
        "phase at t=0 [rad]" if both else "phase [rad]",
        *([f"phase at t={t_ref:.10g} [rad]"] if both else []),
        "FAP",
    ]
    rows = []
    notes: list[str] = []
    drifting = _drifting(result)
    for k, c in enumerate(comps, start=1):
        rows.append(_component_row(c, k, scale=scale, is_dt=is_dt, both=both,
                                   drifts=drifting(c, k), notes=notes))
    lines = []
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    for r in [header, *rows]:
        lines.append(
            "  " + "  ".join(cell.ljust(w) for cell, w in zip(r, widths, strict=True)).rstrip()
        )
    # why a fundamental was taken, where it is not simply the periodogram's peak (a
    # subharmonic the data show, or one they did not: sigfit.harmonics.choose_fundamental)
    for k, c in enumerate(comps, start=1):
        why = getattr(c, "fundamental", "peak")
        if why != "peak":
            lines.append(f"  #{k} fundamental: {why}")
    return lines, notes


def _component_row(c, k, *, scale, is_dt, both, drifts, notes) -> list[str]:
    """Component ``k``'s cells; its notes (harmonics, drift) are appended to ``notes``."""
    period = format_value_error(c.period / scale, c.period_err / scale)
    if is_dt:
        period += f" ({format_duration(c.period)})"
    mark = "" if c.significant else " (not significant)"
    if c.n_harmonics > 1:
        mark += f" [{c.n_harmonics} harmonics]"
        notes.append(
            f"  {k}: amplitude is the fundamental's; the {c.n_harmonics}-harmonic shape's "
            f"semi-amplitude (half its peak-to-peak) is {c.semi_amplitude:.4g}"
        )
    row = [
        str(k),
        format_value_error(c.frequency * scale, c.frequency_err * scale),
        period,
        format_value_error(c.angular_frequency * scale, c.angular_frequency_err * scale),
        format_value_error(c.amplitude, c.amplitude_err),
        format_value_error(c.phase, c.phase_err),
        *(
            [format_value_error(c.reference_phase, c.reference_phase_err)]
            if both
            else []
        ),
        _fap_text(c.false_alarm_probability) + mark,
    ]
    if drifts:
        # a drifting tone has no single frequency: its mean, without a stationary ±
        row[1] = f"~{c.frequency * scale:.5g} (drifts)"
        row[2] = f"~{c.period / scale:.5g}" + (
            f" ({format_duration(c.period)})" if is_dt else "")
        row[3] = f"~{c.angular_frequency * scale:.5g} (drifts)"
        notes.append(
            f"  {k}: its frequency drifts over the record (the ridge below): ~ marks the "
            "constant tone fitted to it, which has no meaningful ± and is not shown one"
        )
    return row


def _tail_line(result) -> str:
    """The line under the table: offset, residual std, the noise background, the trend."""
    tail = f"  offset {format_value_error(result.offset, result.offset_err)}"
    tail += f", residual std {result.residual_std:.4g}"
    noise = getattr(result, "noise", None)
    if noise is not None:
        # the background significance was judged against, fitted to the data (sigfit.background)
        tail += ", noise white" if noise.model == "white" else \
            f", noise AR(1) {noise.coefficient:.3g} per step {noise.step:.4g}"
    if result.trend:
        tail += f", trend: {result.detrend}"
    return tail


def _choice_lines(result, freq_unit: str, scale: float = 1.0) -> list[str]:
    """The automatic choices, said out loud: the band searched and the trend degree, and why."""
    out = []
    band = getattr(result, "band", None)
    if band is not None:
        # the rule's own numbers (span, step, levels) are in the stamps' unit, the seconds of
        # ISO dates, where the table shows another: say so rather than mix units unmarked
        said = band.rule if scale == 1.0 else f"{band.rule} (these in seconds)"
        out.append(f"  band {band.fmin * scale:.4g} to {band.fmax * scale:.4g} {freq_unit}: {said}")
    choice = getattr(result, "detrend_choice", None)
    if choice is not None:
        out.append(f"  trend degree {choice.degree}: {choice.rule}")
    return out


def _drift_lines(result, is_dt: bool, t_unit: str, scale: float = 1.0) -> list[str]:
    """For ``method='wavelet'``: the strongest ridge's span and the stationarity verdict."""
    out = []
    track = getattr(result, "track", None)
    if track is not None and len(track.time) > 1:
        f = np.asarray(track.frequency, dtype=float) * scale
        t = np.asarray(track.time, dtype=float) / scale
        out.append(
            f"  ridge: frequency {f[0]:.4g} at t={t[0]:.4g} -> {f[-1]:.4g} at t={t[-1]:.4g} "
            f"(min {np.min(f):.4g}, max {np.max(f):.4g})"
        )
    st = getattr(result, "stationarity", None)
    if st is not None:
        rate = "Hz/s" if t_unit == "s" else f"cycles/{t_unit} per {t_unit}"
        verdict = "stationary" if st.stationary else "NOT stationary"
        drift = ""
        if st.drift is not None and st.drift_err is not None:
            drift = f", drift {format_value_error(st.drift * scale**2, st.drift_err * scale**2)} {rate}"
        p = _fap_text(st.p_value)
        p = f"p{p}" if p.startswith("<") else f"p={p}"
        out.append(f"  frequency over the record: {verdict} ({p}{drift})")
    return out


def signal_record(name: str, result, time: TimeAxis | None = None, *, extra_warnings=()) -> dict:
    """The JSON record of one signal: ``name`` and the time unit/epoch, then
    ``result.to_dict()`` (n_samples, method, offset, components, ...)."""
    record = {"name": name}
    record["time_column"] = time.name if time is not None else None
    record["time_unit"] = time.unit if time is not None else None
    record["epoch"] = time.epoch if time is not None else None
    record.update(result.to_dict())
    seen = record.setdefault("warnings", [])
    for w in extra_warnings:
        if w not in seen:
            seen.append(w)
    return record


# ---------------------------------------------------------------------------------------------
# Batch rows: one row per (series, component); a series with no component or an error gets one
# row. Component columns come from Component.to_dict() so that a field added there reaches the
# files.

_PROBE = Component(1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, n_harmonics=2,
                   harmonic_amplitudes=(1.0, 0.5), harmonic_phases=(0.0, 0.0))
COMPONENT_COLUMNS: tuple[str, ...] = tuple(_PROBE.to_dict())
SERIES_COLUMNS: tuple[str, ...] = (
    "offset", "offset_err", "residual_std", "n_samples", "method", "n_components", "warnings",
    "error",
    # the automatic choices (issue #12): the band searched and the trend degree, and why
    "band_fmin", "band_fmax", "band_rule", "detrend_degree", "detrend_rule",
    # where t = 0 is and what unit t is in (date-time files: "s" since the earliest stamp), so
    # that phases of series in absolute time can be compared; None for plain numbers
    "time_unit", "epoch",
    # the options the row was estimated with (canonical JSON): --resume refuses other options
    "options",
    # the background significance was judged against (sigfit.background)
    "noise", "noise_coefficient",
)
COLUMNS: tuple[str, ...] = ("series", "component", *COMPONENT_COLUMNS, *SERIES_COLUMNS)
_INT_COLUMNS = {"component", "n_harmonics", "n_samples", "n_components", "detrend_degree"}
_BOOL_COLUMNS = {"significant"}
_STR_COLUMNS = {"series", "method", "warnings", "error", "band_rule", "detrend_rule", "time_unit",
                "epoch", "options", "fundamental",
                "noise"}
_LIST_COLUMNS = {"harmonic_amplitudes", "harmonic_phases"}  # JSON text in files: one schema


def _column_kind(name: str) -> str:
    if name in _INT_COLUMNS:
        return "int"
    if name in _BOOL_COLUMNS:
        return "bool"
    if name in _STR_COLUMNS or name in _LIST_COLUMNS:
        return "str"
    return "float"


def result_rows(series_id: Any, result: EstimateResult) -> list[dict[str, Any]]:
    """The rows :func:`estimate_many` writes for one estimate: one per component, strongest first.

    Every row carries the series fields (offset, n_samples, method, ...); a result without any
    component still gives one row (with empty component fields) so that the series counts as done.
    """
    d = result.to_dict()
    series = {
        "series": series_id,
        "offset": d["offset"],
        "offset_err": d["offset_err"],
        "residual_std": d["residual_std"],
        "n_samples": d["n_samples"],
        "method": d["method"],
        "n_components": len(d["components"]),
        # the background significance was judged against (sigfit.background)
        "noise": (d.get("noise") or {}).get("model"),
        "noise_coefficient": (d.get("noise") or {}).get("coefficient"),
        "warnings": "; ".join(d.get("warnings") or []) or None,
        "error": None,
        "band_fmin": (d.get("band") or {}).get("fmin"),
        "band_fmax": (d.get("band") or {}).get("fmax"),
        "band_rule": (d.get("band") or {}).get("rule"),
        "detrend_degree": (d.get("detrend_choice") or {}).get("degree"),
        "detrend_rule": (d.get("detrend_choice") or {}).get("rule"),
    }
    comps = d["components"] or [None]
    rows = []
    for k, c in enumerate(comps):
        row = dict.fromkeys(COLUMNS)
        row.update(series)
        if c is not None:
            row["component"] = k
            row.update({key: c.get(key) for key in COMPONENT_COLUMNS})
        rows.append(row)
    return rows


def error_row(series_id: Any, reason: str, n_samples: int | None = None) -> dict[str, Any]:
    """The one row written for a series that failed: ``error`` holds the reason."""
    row = dict.fromkeys(COLUMNS)
    row.update(series=series_id, n_components=0, n_samples=n_samples, error=reason)
    return row


__all__ = [
    "COLUMNS",
    "COMPONENT_COLUMNS",
    "FAP_FLOOR",
    "SERIES_COLUMNS",
    "display_unit",
    "duration_unit",
    "error_row",
    "fap_text",
    "format_duration",
    "format_result",
    "format_value_error",
    "result_rows",
    "signal_record",
]
