"""Many series at once: :func:`estimate_many` spreads :func:`sigfit.estimate` over a Dask cluster.

The client turns a source (pairs of arrays, a dict, a long table, files) into *chunks* of series,
submits one Dask task per chunk, and collects rows as tasks complete (``as_completed``), writing them
to CSV or Parquet whole chunk by whole chunk. Inside a task, series that share their time stamps go
through one batched periodogram (nifty-ls takes a 2-D ``y``, one NUFFT plan for all of them); every
series is then refined and tested on its own, exactly as :func:`sigfit.estimate` does.

Dask, distributed, pandas and pyarrow are optional (extra ``dask``) and imported only here, inside the
functions that need them: ``import sigfit`` never imports them.
"""

from __future__ import annotations

import contextlib
import csv
import glob
import hashlib
import io
import json
import math
import os
import sys
import time
import uuid
import warnings
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ._files import atomic_write, atomic_write_text, fsync_dir
from .errors import InputError, SigfitError, SigfitWarning
from .results import Component, EstimateResult

# ---------------------------------------------------------------------------------------------
# Row schema: one row per (series, component); a series with no component or an error gets one row.
# Component columns come from Component.to_dict() so that a field added there reaches the files.

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


def _reason(exc: BaseException) -> str:
    # SigfitErrors already say how to fix the call; anything else is a bug or a crash: name its type
    msg = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    if isinstance(exc, SigfitError):
        return msg or type(exc).__name__
    return f"{type(exc).__name__}: {msg}" if msg else type(exc).__name__


# ---------------------------------------------------------------------------------------------
# Work items. A Series travels with its arrays; a FileRef travels as a path and is read on the
# worker (the cluster must see the same filesystem), so the client ships bytes only for in-memory
# sources.


@dataclass
class Series:
    id: Any
    t: np.ndarray
    y: np.ndarray
    dy: np.ndarray | None = None
    notes: tuple[str, ...] = ()  # warnings from reading (dropped rows), carried to the row
    time_unit: str | None = None  # "s" for date-times read from files, else None
    epoch: str | None = None  # the date-time of t = 0, for date-times read from files


@dataclass
class FileRef:
    path: str
    read_options: dict[str, Any] = field(default_factory=dict)
    skip: frozenset[str] = frozenset()  # ids already in the output (--resume)


@dataclass
class _Group:
    """Series of one chunk that share their time stamps. Every member holds the same ``t`` object,
    and pickle memoises objects, so ``t`` is shipped to the worker once per chunk."""

    t: np.ndarray
    members: list[Series]


def _time_key(t: np.ndarray) -> bytes:
    # Identical time stamps <=> identical bytes (same dtype, same order). blake2b runs at ~1 GB/s,
    # so keying 10,000 x 1,000 float64 stamps costs ~0.1 s on the client.
    return hashlib.blake2b(np.ascontiguousarray(t).view(np.uint8), digest_size=16).digest() + \
        str(t.dtype).encode()


# ---------------------------------------------------------------------------------------------
# Sources -> stream of work items


def _as_array(x: Any, what: str, series_id: Any) -> np.ndarray:
    a = np.asarray(x)
    if a.ndim != 1:
        raise InputError(f"series {series_id!r}: {what} must be 1-D, got shape {a.shape}")
    return a


def _series_from_tuple(item: Any) -> Series:
    if isinstance(item, Series):
        return item
    if not isinstance(item, (tuple, list)) or len(item) not in (3, 4):
        raise InputError(
            "each series must be a tuple (id, t, y) or (id, t, y, dy); "
            f"got {type(item).__name__}{'' if not isinstance(item, (tuple, list)) else f' of length {len(item)}'}"
        )
    sid, t, y, *rest = item
    dy = rest[0] if rest else None
    return Series(sid, t, y, dy)


def _iter_mapping(src: Mapping) -> Iterator[Series]:
    for sid, val in src.items():
        if isinstance(val, (tuple, list)) and len(val) in (2, 3):
            yield Series(sid, *val)
        else:
            raise InputError(
                f"series {sid!r}: a dict source maps each id to (t, y) or (t, y, dy); "
                f"got {type(val).__name__}"
            )


def _is_dataframe(obj: Any) -> bool:
    mod = type(obj).__module__
    return mod.startswith("pandas") and type(obj).__name__ == "DataFrame"


def _iter_long_table(df: Any, series: str | None, time: str | None, value: str | None,
                     dy: str | None) -> Iterator[Series]:
    """Checks the columns now, then yields the series lazily."""
    time, value = _long_table_columns(df, series, time, value, dy)
    return _split_long_table(df, series, time, value, dy)


def _long_table_columns(df: Any, series: str | None, time: str | None, value: str | None,
                        dy: str | None) -> tuple[str, str]:
    if series is None:
        raise InputError("a table source needs series=COLUMN: the column that names each series")
    cols = list(df.columns)
    for role, name in (("series", series), ("time", time), ("value", value), ("dy", dy)):
        if name is not None and name not in cols:
            raise InputError(f"{role} column {name!r} not in the table; columns are {cols}")
    others = [c for c in cols if c not in (series, dy)]
    if time is None:
        if not others:
            raise InputError("the table has no time column besides the series column")
        time = others[0]
    if value is None:
        rest = [c for c in others if c != time]
        if len(rest) != 1:
            raise InputError(
                f"say which column holds the values (value=COLUMN); candidates are {rest}"
            )
        value = rest[0]
    return time, value


def _split_long_table(df: Any, series: str, time: str, value: str,
                      dy: str | None) -> Iterator[Series]:
    # sort=False keeps the order of first appearance: rows come out in the user's order
    for sid, g in df.groupby(series, sort=False):
        yield Series(
            sid,
            g[time].to_numpy(),
            g[value].to_numpy(),
            None if dy is None else g[dy].to_numpy(),
        )


def expand_paths(paths: Iterable[str | os.PathLike]) -> list[str]:
    """Files named by ``paths``: files as given, folders by their files (sorted, hidden ones
    skipped), glob patterns by their matches. Raises InputError when a name matches nothing."""
    out: list[str] = []
    for p in paths:
        p = os.fspath(p)
        if p == "-":
            out.append(p)  # stdin: one table, read on the client
        elif os.path.isdir(p):
            found = sorted(
                os.path.join(p, f) for f in os.listdir(p)
                if not f.startswith(".") and os.path.isfile(os.path.join(p, f))
            )
            if not found:
                raise InputError(
                    f"{p} is a directory with no files in it: give data files (CSV/TSV, .npy, "
                    ".npz) or a folder that holds them"
                )
            out.extend(found)
        elif os.path.exists(p):
            out.append(p)
        elif glob.has_magic(p):
            found = sorted(f for f in glob.glob(p, recursive=True) if os.path.isfile(f))
            if not found:
                raise InputError(f"no file matches {p!r}")
            out.extend(found)
        else:
            raise InputError(f"no such file or folder: {p!r}")
    return out


def _looks_like_paths(src: Any) -> bool:
    if isinstance(src, (str, os.PathLike)):
        return True
    if isinstance(src, (list, tuple)) and src and all(isinstance(s, (str, os.PathLike)) for s in src):
        return True
    return False


# ---------------------------------------------------------------------------------------------
# The work done inside one Dask task


def _estimate_series(s: Series, options: dict[str, Any],
                     first_power: np.ndarray | None = None) -> list[dict[str, Any]]:
    from .estimate import estimate

    try:
        t = _as_array(s.t, "t", s.id)
        y = _as_array(s.y, "y", s.id)
        dy = None if s.dy is None else np.asarray(s.dy)
        with warnings.catch_warnings():
            # every warning is in the result, hence in the row's warnings column; printed from a
            # worker it would land in the middle of the progress bar
            warnings.simplefilter("ignore", SigfitWarning)
            try:
                res = estimate(t, y, dy=dy, first_power=first_power, **options)
            except Exception:
                if first_power is None:
                    raise
                # the batched shortcut must never cost a series: redo it the plain way
                res = estimate(t, y, dy=dy, **options)
    except Exception as exc:  # one bad series never stops the others: it becomes an error row
        n = int(np.size(s.y)) if s.y is not None else None
        row = error_row(s.id, _reason(exc), n)
        row.update(time_unit=s.time_unit, epoch=s.epoch)
        return [row]
    rows = result_rows(s.id, res)
    for r in rows:
        r.update(time_unit=s.time_unit, epoch=s.epoch)
    if s.notes:
        for r in rows:
            r["warnings"] = "; ".join([*s.notes, *([r["warnings"]] if r["warnings"] else [])])
    return rows


def _batched_periodogram(tau: np.ndarray, values: np.ndarray, dy: np.ndarray | None,
                         grid) -> np.ndarray:
    """Lomb-Scargle power of every row of ``values`` (n_series, n_samples) on one grid: core's
    NUFFT backend, called once with a 2-D ``y`` (nifty-ls transforms all rows with one plan and
    one spreading of ``tau``). Returns (n_series, grid.size)."""
    from .periodograms import lombscargle

    power = lombscargle.power(tau, values, dy, grid)
    return np.asarray(power, dtype=np.float64).reshape(values.shape[0], grid.size)


def _search_inputs(s: Series, options: dict[str, Any]):
    """(plan, tau, detrended values, dy) of the first periodogram :func:`sigfit.estimate` computes
    for ``s``, or None when ``s`` does not take the Lomb-Scargle path with all its rows. With
    ``detrend="auto"`` the values are less their mean only: degree 0's periodogram, which
    :func:`sigfit.estimate.choose_degree` takes as ``first_power``."""
    from ._validate import validate_options, validate_series
    from .estimate import _selection_grid, auto_degrees, plan_search, selection_values
    from .grid import MAX_GRID_SIZE
    from .harmonics import fit_trend, n_params

    n_components, oversampling, fmin, fmax, degree = validate_options(
        n_components=options["n_components"], oversampling=options["oversampling"],
        fmin=options["fmin"], fmax=options["fmax"], detrend=options["detrend"],
        fap_threshold=options["fap_threshold"],
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # estimate() itself reports them, once
        series = validate_series(s.t, s.y, s.dy, n_params=n_params(n_components, degree or 0))
    if series.n != np.size(s.t):
        return None  # rows were dropped: this series no longer shares the group's time stamps
    plan = plan_search(series, options["method"], fmin=fmin, fmax=fmax,
                       oversampling=oversampling,
                       max_grid_size=options.get("max_grid_size", MAX_GRID_SIZE))
    if plan.method != "lombscargle" or plan.coarse:
        return None  # the FFT path is cheap on its own; a coarse-to-fine search has no one grid
    if degree is None:
        d_max = auto_degrees(series.n, n_components)
        grid, sub = _selection_grid(series, plan)
        if d_max == 0 or grid is not plan.grid or sub != slice(None):
            return None  # estimate() chooses the degree on a subset or sub-band of its own
        # choose_degree() takes degree 0's periodogram (the values less their mean) from here
        return plan, series.tau, selection_values(series, 0)[0], series.dy
    # as in estimate(): the periodogram sees the values with the trend (and offset) removed
    t_scale = float(np.max(np.abs(series.tau)))
    trend = fit_trend(series.tau, series.y, series.dy, degree, t_scale)
    work = series.y - np.polynomial.polynomial.polyval(series.tau / t_scale, trend)
    return plan, series.tau, work, series.dy


def _estimate_group(group: _Group, options: dict[str, Any]) -> list[dict[str, Any]]:
    """Estimate the members of a group; those that take the Lomb-Scargle path share one batched
    periodogram per (grid, weighted or not), then each is refined and tested on its own."""
    first: dict[int, np.ndarray] = {}
    if len(group.members) > 1:
        batches: dict[tuple, list[tuple[int, Any]]] = {}
        for i, s in enumerate(group.members):
            try:
                inputs = _search_inputs(s, options)
            except Exception:
                inputs = None  # estimate() on its own will raise the same error: an error row
            if inputs is not None:
                plan = inputs[0]
                batches.setdefault((plan.grid, inputs[3] is None), []).append((i, inputs))
        for (grid, _), members in batches.items():
            if len(members) < 2:
                continue
            # Equal stamps sort alike, but each series is centred on its own (weighted) mean time,
            # so the taus differ by a constant. The floating-mean power does not change when time
            # is shifted (the shift moves only the phase: Zechmeister & Kuerster 2009, eq. 5-20),
            # so one tau serves the batch; anything but a constant shift is not batched.
            tau = members[0][1][1]
            tol = 1e-12 * max(float(np.max(np.abs(tau))), 1.0)
            if not all(np.ptp(m[1][1] - tau) <= tol for m in members):
                continue
            if len({np.shape(m[1][2]) for m in members}) > 1:
                continue  # detrend="auto" compared different numbers of degrees
            values = np.stack([m[1][2] for m in members])  # (series[, degree], sample)
            rows = values.shape[:-1]
            values = values.reshape(-1, values.shape[-1])
            dy = None
            if members[0][1][3] is not None:
                dy = np.stack([np.broadcast_to(m[1][3], np.shape(m[1][2])) for m in members])
                dy = dy.reshape(values.shape)
            power = _batched_periodogram(tau, values, dy, grid).reshape(*rows, grid.size)
            for row, (i, _) in enumerate(members):
                first[i] = power[row]
    rows: list[dict[str, Any]] = []
    for i, s in enumerate(group.members):
        rows.extend(_estimate_series(s, options, first.get(i)))
    return rows


def _read_file_series(ref: FileRef) -> Iterator[Series | tuple[str, str]]:
    """Each value column of a file as a Series (id ``path``, or ``path:column`` when the file has
    several); a column that cannot be used comes out as ``(id, reason)``."""
    from . import io as sio
    from .errors import SigfitWarning

    opts = ref.read_options
    with warnings.catch_warnings():
        # dropped rows are reported in the row's ``warnings`` column, not on a worker's stderr
        warnings.simplefilter("ignore", SigfitWarning)
        data = sio.load(ref.path, opts.get("time"), opts.get("values") or None)
        several = len(data.value_names) > 1
        for name in data.value_names:
            sid = f"{ref.path}:{name}" if several else ref.path
            try:
                s = data.series(name)
            except SigfitError as exc:
                yield sid, _reason(exc)
                continue
            yield Series(sid, s.t, s.y, None, tuple(s.warnings), data.time.unit, data.time.epoch)


def run_chunk(chunk: list[_Group | FileRef], options: dict[str, Any]) -> list[dict[str, Any]]:
    """Estimate every series of one chunk; the function each Dask task runs.

    Never raises for a bad series: its failure is an error row. Rows of one series are adjacent.
    """
    rows: list[dict[str, Any]] = []
    for item in chunk:
        if isinstance(item, _Group):
            rows.extend(_estimate_group(item, options))
            continue
        try:
            series = list(_read_file_series(item))
        except Exception as exc:
            rows.append(error_row(item.path, _reason(exc)))
            continue
        good = []
        for s in series:
            if isinstance(s, tuple):
                if s[0] not in item.skip:
                    rows.append(error_row(*s))
            elif s.id not in item.skip:
                good.append(s)
        # a file's value columns usually share the file's time column: batch them like any group
        for group in _group_series(good):
            rows.extend(_estimate_group(group, options))
    return rows


# ---------------------------------------------------------------------------------------------
# Client side: chunking


def _group_series(series: list[Series]) -> list[_Group]:
    """Series with identical time stamps (and no per-series problem with them) in one group."""
    groups: dict[bytes, _Group] = {}
    order: list[_Group] = []
    for s in series:
        try:
            t = _as_array(s.t, "t", s.id)
        except InputError:
            g = _Group(np.asarray(s.t), [s])  # estimate() will say what is wrong
            order.append(g)
            continue
        try:
            key = _time_key(t)
        except (TypeError, ValueError):  # e.g. an object array: estimate() will judge it alone
            order.append(_Group(t, [s]))
            continue
        g = groups.get(key)
        if g is None:
            g = groups[key] = _Group(t, [])
            order.append(g)
        g.members.append(Series(s.id, g.t, s.y, s.dy, s.notes, s.time_unit, s.epoch))
    return order


def _chunks(items: Iterator[Series | FileRef], chunk_size: int,
            window: int) -> Iterator[tuple[list[_Group | FileRef], list[Any]]]:
    """Cut the stream into chunks of about ``chunk_size`` series.

    Series are buffered ``window`` at a time and grouped by their time stamps, so that series sharing
    time stamps land in the same chunk (one batched periodogram) even when the source interleaves
    them. Yields ``(chunk, ids)``; a file counts as one series (its id is its path).
    """
    buf: list[Series] = []

    def flush() -> Iterator[tuple[list[_Group | FileRef], list[Any]]]:
        chunk: list[_Group | FileRef] = []
        ids: list[Any] = []
        for g in _group_series(buf):
            # a group bigger than a chunk is split; each piece is still one batched call
            for start in range(0, len(g.members), chunk_size):
                part = _Group(g.t, g.members[start:start + chunk_size])
                if ids and len(ids) + len(part.members) > chunk_size:
                    yield chunk, ids
                    chunk, ids = [], []
                chunk.append(part)
                ids.extend(m.id for m in part.members)
        if chunk:
            yield chunk, ids
        buf.clear()

    files: list[FileRef] = []
    for item in items:
        if isinstance(item, FileRef):
            files.append(item)
            if len(files) >= chunk_size:
                yield list(files), [f.path for f in files]
                files.clear()
            continue
        buf.append(item)
        if len(buf) >= window:
            yield from flush()
    if buf:
        yield from flush()
    if files:
        yield list(files), [f.path for f in files]


# ---------------------------------------------------------------------------------------------
# Output files: whole rows only, appended as chunks complete


def _format_csv_value(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, (list, tuple)):
        return json.dumps(list(v))
    if isinstance(v, float):
        return repr(v) if math.isfinite(v) else ""
    return str(v)


# Failures that say nothing about the series: the worker died, the network or the machine
# failed. --resume always runs such series again; the others (the series itself cannot be
# estimated) only with retry_errors=True (--retry-failed).
_TRANSIENT_TYPES = ("MemoryError", "OSError", "TimeoutError", "KilledWorker", "CommClosedError",
                    "CancelledError", "ConnectionError", "BrokenProcessPool", "FutureCancelledError")


def is_transient(error: str | None) -> bool:
    """True for the ``error`` text of a row whose failure came from the run, not the series."""
    if not error:
        return False
    text = error[len("task failed: "):] if error.startswith("task failed: ") else error
    return error.startswith("task failed: ") or text.split(":", 1)[0].strip() in _TRANSIENT_TYPES


def options_text(options: Mapping[str, Any]) -> str:
    """The canonical JSON of a run's options (sorted keys, plain types): equal options, equal
    text, so a resume can compare them."""
    def plain(v):
        if isinstance(v, np.generic):
            return v.item()
        if isinstance(v, (list, tuple)):
            return [plain(x) for x in v]
        if isinstance(v, Mapping):
            return {str(k): plain(x) for k, x in v.items()}
        return v

    return json.dumps({k: plain(v) for k, v in options.items()}, sort_keys=True,
                      separators=(",", ":"), default=str)


def _options_differ(path: str, found: set[str], wanted: str) -> InputError:
    try:
        theirs = json.loads(sorted(found)[0])
        ours = json.loads(wanted)
        keys = sorted(k for k in set(theirs) | set(ours) if theirs.get(k) != ours.get(k))
        diff = ", ".join(f"{k}: {theirs.get(k)!r} there, {ours.get(k)!r} now" for k in keys)
    except (ValueError, AttributeError):
        diff = "its options column is not sigfit's"
    more = " (and it already mixes several option sets)" if len(found) > 1 else ""
    return InputError(
        f"cannot resume {path!r}: it was written with other options{more} ({diff}); resume with "
        "the same options, or write to a new output"
    )


class OutputLock:
    """An exclusive lock on an output (``.NAME.lock`` beside it, flock'ed): a second run on the
    same output, resume or not, is refused instead of duplicating rows. The OS drops the lock if
    the process dies; the file is removed on release."""

    def __init__(self, path: str):
        d, base = os.path.split(os.path.abspath(path))
        self.path = os.path.join(d, f".{base}.lock")
        self.fd: int | None = None
        try:
            import fcntl
        except ImportError:  # pragma: no cover - no flock (Windows): no locking
            return
        for _ in range(10):
            try:
                fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
            except OSError as e:
                raise InputError(f"cannot lock {path!r}: {e.strerror or e}") from None
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                pid = os.pread(fd, 32, 0).decode(errors="replace").strip()
                os.close(fd)
                raise InputError(
                    f"output {path!r} is being written by another sigfit run"
                    f"{f' (pid {pid})' if pid else ''}: wait for it to finish, or choose another "
                    "output"
                ) from None
            try:  # the file may have been removed by its previous holder meanwhile: lock anew
                same = os.stat(self.path).st_ino == os.fstat(fd).st_ino
            except FileNotFoundError:
                same = False
            if same:
                os.ftruncate(fd, 0)
                os.pwrite(fd, str(os.getpid()).encode(), 0)
                self.fd = fd
                return
            os.close(fd)
        raise InputError(f"cannot lock {path!r}: its lock file keeps changing")  # pragma: no cover

    def release(self) -> None:
        if self.fd is not None:
            try:
                os.unlink(self.path)
            except FileNotFoundError:
                pass
            os.close(self.fd)
            self.fd = None


class _CsvWriter:
    """Appends whole chunks of rows with one write + flush + fsync each.

    Nothing is created before the first row: a run that fails to start leaves no file. A crash
    can only cut the last write; on ``resume`` the cut tail, any series whose rows are not all
    there and the series to retry are dropped (the file is rewritten atomically), and those
    series run again.
    """

    def __init__(self, path: str, resume: bool, delimiter: str = ",", options: str = "{}",
                 retry_errors: bool = False):
        self.path = path
        self.delimiter = delimiter
        self.options = options
        self.retry_errors = retry_errors
        self.done: set[str] = set()
        self.created = False
        self.f = None
        if os.path.exists(path) and resume:
            self.done = self._repair()
        elif os.path.exists(path):
            raise InputError(
                f"output {path!r} exists: pass --resume (resume=True) to continue it, or remove it"
            )

    def _line(self, values: Iterable[Any]) -> str:
        buf = io.StringIO()
        csv.writer(buf, delimiter=self.delimiter, lineterminator="\n").writerow(
            [_format_csv_value(v) for v in values]
        )
        return buf.getvalue()

    def _repair(self) -> set[str]:
        with open(self.path, encoding="utf-8", newline="") as f:
            text = f.read()
        if not text:
            os.unlink(self.path)  # an empty file (an older version's failed start): start anew
            return set()
        whole = text if text.endswith("\n") else text[: text.rfind("\n") + 1]
        records = list(csv.reader(io.StringIO(whole), delimiter=self.delimiter))
        if not records or tuple(records[0]) != COLUMNS:
            raise InputError(
                f"cannot resume {self.path!r}: its header is not the one estimate_many writes "
                "(another program or version wrote it); choose another output file"
            )
        i_series, i_n = COLUMNS.index("series"), COLUMNS.index("n_components")
        i_err, i_opt = COLUMNS.index("error"), COLUMNS.index("options")
        body = [r for r in records[1:] if len(r) == len(COLUMNS)]
        found = {r[i_opt] for r in body}
        if found and found != {self.options}:
            raise _options_differ(self.path, found, self.options)
        counts: dict[str, int] = {}
        expected: dict[str, int] = {}
        retry: set[str] = set()
        for r in body:
            counts[r[i_series]] = counts.get(r[i_series], 0) + 1
            try:
                expected[r[i_series]] = max(1, int(r[i_n] or 0))
            except ValueError:
                expected[r[i_series]] = -1
            if r[i_err] and (self.retry_errors or is_transient(r[i_err])):
                retry.add(r[i_series])
        done = {s for s, n in counts.items() if n == expected[s]} - retry
        keep = [r for r in body if r[i_series] in done]
        if not keep:
            os.unlink(self.path)  # nothing worth keeping: created again with the first row
            return set()
        if whole != text or len(keep) != len(records) - 1:
            # rewrite without the cut tail, the incomplete series and the ones to retry
            atomic_write_text(self.path, "".join(self._line(r) for r in [COLUMNS, *keep]),
                              durable=True)
        return done

    def _open(self) -> None:
        if self.f is None:
            if not os.path.exists(self.path):
                atomic_write_text(self.path, self._line(COLUMNS), durable=True)
                self.created = True
            self.f = open(self.path, "a", newline="", encoding="utf-8")

    def write(self, rows: list[dict[str, Any]]) -> None:
        if not rows:
            return
        self._open()
        self.f.write("".join(self._line(r[c] for c in COLUMNS) for r in rows))
        self.f.flush()
        os.fsync(self.f.fileno())

    def close(self) -> None:
        if self.f is not None:
            self.f.close()

    def discard(self) -> None:
        """Remove what this run created (every row failed: nothing worth keeping)."""
        if self.created and os.path.exists(self.path):
            os.unlink(self.path)


def _arrow_schema():
    import pyarrow as pa

    types = {"int": pa.int64(), "bool": pa.bool_(), "str": pa.string(), "float": pa.float64()}
    return pa.schema([(c, types[_column_kind(c)]) for c in COLUMNS])


class _ParquetWriter:
    """A Parquet *dataset*: a folder of part files, each written whole (temp file, fsync,
    os.replace, fsync of the folder).

    ``pandas.read_parquet(folder)`` reads them as one table. Rows are buffered and a part is written
    every ``flush_rows`` rows or ``flush_seconds``, whichever comes first, and at the end; a crash
    loses at most the unwritten buffer, never a part of a row. The folder is created with the
    first part. On resume, a part that cannot be read (cut by a crash before it reached the disk)
    is set aside as ``.corrupt-NAME`` and its series run again.
    """

    def __init__(self, path: str, resume: bool, flush_rows: int = 20_000,
                 flush_seconds: float = 30.0, options: str = "{}", retry_errors: bool = False):
        self.path = path
        self.flush_rows = flush_rows
        self.flush_seconds = flush_seconds
        self.options = options
        self.retry_errors = retry_errors
        self.done: set[str] = set()
        self.created = False
        self.notes: list[str] = []
        if os.path.exists(path) and not os.path.isdir(path):
            raise InputError(
                f"output {path!r} is a file: Parquet output is a folder of part files; "
                "choose a new name"
            )
        if os.path.isdir(path):
            parts = self._parts()
            if parts and not resume:
                raise InputError(
                    f"output {path!r} exists: pass --resume (resume=True) to continue it, "
                    "or remove it"
                )
            for f in os.listdir(path):  # temp files of a run that crashed while writing a part
                if f.startswith(".part-"):
                    os.remove(os.path.join(path, f))
            self.done = self._repair(parts)
        # unique per run: two runs in one second (or one process) must never reuse a part name
        self.token = f"{time.strftime('%Y%m%dT%H%M%S')}-{uuid.uuid4().hex[:12]}"
        self.seq = 0
        self.buf: list[dict[str, Any]] = []
        self.last = time.monotonic()
        self.written: list[str] = []

    def _parts(self) -> list[str]:
        return sorted(
            os.path.join(self.path, f) for f in os.listdir(self.path)
            if f.endswith(".parquet") and not f.startswith((".", "_"))
        )

    def _repair(self, parts: list[str]) -> set[str]:
        import pyarrow.parquet as pq

        tables = {}
        for p in parts:
            try:
                tables[p] = pq.read_table(p)
            except Exception as exc:  # pyarrow.ArrowInvalid and friends: a cut or damaged part
                aside = os.path.join(self.path, ".corrupt-" + os.path.basename(p))
                os.replace(p, aside)
                self.notes.append(
                    f"{p} could not be read ({type(exc).__name__}); set aside as {aside}, its "
                    "series run again"
                )
                warnings.warn(self.notes[-1], SigfitWarning, stacklevel=4)
        found: set[str] = set()
        for tbl in tables.values():
            if "options" not in tbl.column_names or "error" not in tbl.column_names:
                raise InputError(
                    f"cannot resume {self.path!r}: its parts lack the columns estimate_many "
                    "writes (another program or version wrote them); choose another output"
                )
            found.update(v for v in tbl.column("options").to_pylist() if v is not None)
        if found and found != {self.options}:
            raise _options_differ(self.path, found, self.options)
        done: set[str] = set()
        retry: set[str] = set()
        for tbl in tables.values():
            for sid, err in zip(tbl.column("series").to_pylist(), tbl.column("error").to_pylist(),
                                strict=True):
                done.add(sid)
                if err and (self.retry_errors or is_transient(err)):
                    retry.add(sid)
        if retry:
            import pyarrow.compute as pc

            for p, tbl in tables.items():
                drop = pc.is_in(tbl.column("series"), value_set=_pa_strings(retry))
                if not pc.any(drop).as_py():
                    continue
                kept = tbl.filter(pc.invert(drop))
                if kept.num_rows:
                    self._write_part(kept, os.path.basename(p))
                else:
                    os.remove(p)
            fsync_dir(self.path)
        return done - retry

    def write(self, rows: list[dict[str, Any]]) -> None:
        self.buf.extend(rows)
        if len(self.buf) >= self.flush_rows or time.monotonic() - self.last >= self.flush_seconds:
            self.flush()

    def _write_part(self, table, name: str) -> None:
        import pyarrow.parquet as pq

        # a crashed run's ".part-*" temporary files are removed on resume (see __init__)
        atomic_write(os.path.join(self.path, name), lambda tmp: pq.write_table(table, tmp),
                     durable=True, prefix="." + name + ".", suffix=".tmp")

    def flush(self) -> None:
        import pyarrow as pa

        if not self.buf:
            return
        schema = _arrow_schema()
        cols = {}
        for c in COLUMNS:
            vals = [r[c] for r in self.buf]
            kind = _column_kind(c)
            if c in _LIST_COLUMNS:
                vals = [None if v is None else json.dumps(list(v)) for v in vals]
            elif c == "series":
                vals = [str(v) for v in vals]
            elif kind == "float":
                vals = [None if v is None else float(v) for v in vals]
            cols[c] = pa.array(vals, type=schema.field(c).type)
        table = pa.table(cols, schema=schema)
        if not os.path.isdir(self.path):
            os.makedirs(self.path)
            self.created = True
        name = f"part-{self.token}-{self.seq:05d}.parquet"
        self._write_part(table, name)
        fsync_dir(self.path)
        self.written.append(os.path.join(self.path, name))
        self.seq += 1
        self.buf.clear()
        self.last = time.monotonic()

    def close(self) -> None:
        self.flush()

    def discard(self) -> None:
        """Remove what this run created (every row failed: nothing worth keeping)."""
        import shutil

        if self.created and os.path.isdir(self.path):
            shutil.rmtree(self.path)
        else:
            for p in self.written:
                if os.path.exists(p):
                    os.remove(p)


def _pa_strings(values: Iterable[str]):
    import pyarrow as pa

    return pa.array(sorted(values), type=pa.string())


def open_writer(path: str | os.PathLike, resume: bool = False, *, options: str = "{}",
                retry_errors: bool = False):
    """The writer for ``path``: ``.csv``/``.tsv`` (one file, appended) or ``.parquet``/``.pq``
    (a folder of part files). ``options`` (see :func:`options_text`) is what the rows were
    estimated with: a resume with other options is refused. With ``resume``, rows of series that
    failed for a transient reason (a worker died) are dropped so the series run again; with
    ``retry_errors`` every failed series runs again."""
    path = os.fspath(path)
    suffix = Path(path).suffix.lower()
    kw = dict(options=options, retry_errors=retry_errors)
    if suffix in (".csv", ".tsv", ".txt"):
        return _CsvWriter(path, resume, delimiter="\t" if suffix == ".tsv" else ",", **kw)
    if suffix in (".parquet", ".pq"):
        try:
            import pyarrow  # noqa: F401
        except ImportError as exc:
            raise InputError("Parquet output needs pyarrow: pip install 'sigfit[dask]'") from exc
        return _ParquetWriter(path, resume, **kw)
    raise InputError(
        f"cannot tell the output format of {path!r}: name it *.csv, *.tsv or *.parquet"
    )


def read_rows(path: str | os.PathLike):
    """Read what :func:`estimate_many` wrote to ``path`` (CSV/TSV or Parquet) as a pandas DataFrame,
    with the column types restored (``series`` is text in files)."""
    import pandas as pd

    path = os.fspath(path)
    suffix = Path(path).suffix.lower()
    if suffix in (".parquet", ".pq"):
        return pd.read_parquet(path)
    sep = "\t" if suffix == ".tsv" else ","
    dtypes = {c: ("Int64" if _column_kind(c) == "int" else "boolean" if _column_kind(c) == "bool"
                  else "string" if _column_kind(c) == "str" else "float64") for c in COLUMNS}
    return pd.read_csv(path, sep=sep, dtype=dtypes, keep_default_na=False,
                       na_values={c: [""] for c in COLUMNS})


# ---------------------------------------------------------------------------------------------
# Dask


@dataclass
class BatchSummary:
    """What :func:`estimate_many` returns when it writes to a file."""

    output: str
    n_series: int  # series estimated in this run (errors included)
    n_errors: int
    n_skipped: int  # already in the output (resume)
    n_rows: int
    seconds: float
    first_error: str | None = None  # "series: reason" of the first failure
    discarded: bool = False  # every series failed: the output this run created was removed
    notes: list[str] = field(default_factory=list)  # e.g. damaged parts set aside on resume

    def to_dict(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in
                ("output", "n_series", "n_errors", "n_skipped", "n_rows", "seconds",
                 "first_error", "discarded", "notes")}


def _open_client(client: Any, scheduler: str | None, workers: int | None, processes: bool):
    """(client, closer). An existing client is used as is; otherwise connect to ``scheduler`` or
    start a LocalCluster on loopback sized to the machine (one single-threaded worker per core:
    refinement is Python-heavy and holds the GIL)."""
    try:
        from distributed import Client
    except ImportError as exc:
        raise InputError(
            "estimate_many needs dask.distributed: pip install 'sigfit[dask]'"
        ) from exc
    if client is not None:
        return client, lambda: None
    if scheduler is not None:
        try:
            c = Client(scheduler, timeout="10s")
        except Exception as exc:  # OSError, TimeoutError, ValueError for a bad address, ...
            reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise InputError(
                f"cannot reach the Dask scheduler at {scheduler!r}: {reason}; give an address "
                "like tcp://host:8786"
            ) from None
        return c, c.close
    n = workers if workers is not None else (os.cpu_count() or 1)
    if n < 1:
        raise InputError(f"workers must be >= 1, got {n}")
    cluster = local_cluster(n, processes=processes)
    c = Client(cluster)

    def close():
        c.close()
        cluster.close()

    return c, close


def local_cluster(n_workers: int, *, processes: bool = True):
    """The LocalCluster :func:`estimate_many` starts: ``n_workers`` single-threaded workers on
    loopback (refinement is Python-heavy and holds the GIL; OpenMP/BLAS at one thread each, as
    Dask sets them), and no HTTP server on the network."""
    import logging

    import dask
    from distributed import LocalCluster

    kw: dict[str, Any] = dict(n_workers=n_workers, threads_per_worker=1, processes=processes,
                              dashboard_address="127.0.0.1:0")
    if processes:
        kw["host"] = "127.0.0.1"  # loopback only: a local run opens no port to the network
    # the local cluster's own chatter (worker start/stop) is not the user's business
    logging.getLogger("distributed").setLevel(logging.ERROR)
    # Dask's workers return freed memory to the OS eagerly (MALLOC_TRIM_THRESHOLD_=65536); an
    # estimate allocates and frees many small arrays, and the extra trimming cost 20% more CPU
    # per series here (benchmarks/RESULTS.md). Keep the other settings (one OpenMP/BLAS thread).
    environ = {k: v for k, v in dask.config.get("distributed.nanny.pre-spawn-environ", {}).items()
               if k != "MALLOC_TRIM_THRESHOLD_"}
    # the workers' own log lines (start, stop, "event loop unresponsive") stay out of stderr
    environ["DASK_LOGGING__DISTRIBUTED"] = "error"
    with dask.config.set({"distributed.nanny.pre-spawn-environ": environ}), _workers_ignore_sigint():
        return LocalCluster(**kw)


@contextlib.contextmanager
def _workers_ignore_sigint():
    """Ctrl-C reaches every process of the terminal's group: worker processes would each print
    a traceback. Started with SIGINT ignored (kept across exec, and Python then leaves it so),
    they leave the interruption to the client, which stops them in order."""
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def _items(source: Any, *, series: str | None, time: str | None, value: str | None,
           dy: str | None, read_options: dict[str, Any] | None,
           done: set[str]) -> tuple[Iterator[Series | FileRef], int | None]:
    """(stream of work items without the ``done`` ones, number of items or None)."""
    done_counted = False
    if _is_dataframe(source):
        it: Iterator[Series | FileRef] = _iter_long_table(source, series, time, value, dy)
        ids = source[series].unique()  # _iter_long_table has checked the column
        n = sum(str(i) not in done for i in ids) if done else len(ids)
        done_counted = True
    elif isinstance(source, Mapping):
        n = sum(str(i) not in done for i in source) if done else len(source)
        done_counted = True
        it = _iter_mapping(source)
    elif _looks_like_paths(source):
        paths = expand_paths([source] if isinstance(source, (str, os.PathLike)) else source)
        ropts = dict(read_options or {})
        if series is not None:
            # one long table per file: read on the client, then spread its series like a DataFrame
            return _items_from_long_files(paths, series, time, value, dy, ropts, done)
        n = len(paths)
        done_counted = True  # files are counted whole; their done columns are skipped on workers
        it = (FileRef(p, ropts, frozenset(d for d in done if d == p or d.startswith(p + ":")))
              for p in paths)
    elif isinstance(source, Iterable):
        n = len(source) if hasattr(source, "__len__") else None
        it = (_series_from_tuple(x) for x in source)
    else:
        raise InputError(
            "source must be an iterable of (id, t, y[, dy]), a dict {id: (t, y[, dy])}, a pandas "
            f"DataFrame with series=COLUMN, or file names; got {type(source).__name__}"
        )
    if done:
        it = (s for s in it if isinstance(s, FileRef) or str(s.id) not in done)
        if not done_counted:
            n = None  # unknown until the source is read
    return it, n


def _items_from_long_files(paths, series, time, value, dy, ropts, done):
    def gen():
        for p in paths:
            for s in read_long_table(p, series=series, time=time, value=value, dy=dy):
                if str(s.id) not in done:
                    yield s

    return gen(), None


def read_long_table(path: str, *, series: str, time: str | None = None,
                    value: str | None = None, dy: str | None = None) -> Iterator[Series]:
    """The series of a long table file (one row per sample, column ``series`` names the series),
    read with :mod:`sigfit.io` (CSV/TSV/npy/npz; ISO-8601 times become seconds since the earliest
    one in the file). Rows with a missing time or value are dropped; ids are text."""
    from . import io as sio

    table = sio.read_table(path)
    s_col = sio._resolve(table, series, "series")
    rest = [c for c in table.names if c != s_col and c != dy]
    t_col = sio._resolve(table, time, "time") if time is not None else rest[0] if rest else None
    if t_col is None:
        raise InputError(f"{path}: no time column besides the series column {s_col!r}")
    if value is None:
        cands = [c for c in rest if c != t_col]
        if len(cands) != 1:
            raise InputError(
                f"{path}: say which column holds the values (-y COLUMN); candidates: "
                f"{', '.join(cands) or 'none'}"
            )
        v_col = cands[0]
    else:
        v_col = sio._resolve(table, value, "value")
    axis = sio._time_axis(table, t_col)
    y = sio._numeric(table, v_col, role="value ")
    if y is None:
        raise InputError(f"{path}: value column {v_col!r} holds no numbers")
    e = None
    if dy is not None:
        e = sio._numeric(table, sio._resolve(table, dy, "dy"), role="dy ")
        if e is None:
            raise InputError(f"{path}: dy column {dy!r} holds no numbers")
    # ids as written: " 007" and "007" are two series, never merged by trimming
    ids = np.asarray(table.columns[s_col]).astype(str)
    keep = axis.valid & np.isfinite(y)
    if e is not None:
        keep &= np.isfinite(e)
    bad_ids, bad_counts = np.unique(ids[~keep], return_counts=True)
    dropped = dict(zip(bad_ids.tolist(), bad_counts.tolist(), strict=True))
    ids, t, y = ids[keep], axis.values[keep], y[keep]
    e = None if e is None else e[keep]
    order = np.argsort(ids, kind="stable")  # stable: each series keeps its rows' file order
    names, starts, counts = np.unique(ids[order], return_index=True, return_counts=True)
    _, first_row = np.unique(ids, return_index=True)  # same sorted names as above
    # series come out in the order they first appear in the file
    for j in np.argsort(first_row, kind="stable"):
        rows = order[starts[j]:starts[j] + counts[j]]
        name = str(names[j])
        notes = (f"dropped {dropped[name]} rows with a missing, NaN or inf time or value",) \
            if name in dropped else ()
        yield Series(name, t[rows], y[rows], None if e is None else e[rows], notes, axis.unit,
                     axis.epoch)
    for name in sorted(set(dropped) - set(names.tolist())):
        # every row dropped: an empty series, so that it gets an error row instead of vanishing
        yield Series(name, t[:0], y[:0], None if e is None else e[:0],
                     time_unit=axis.unit, epoch=axis.epoch, notes=                     (f"dropped all {dropped[name]} rows (missing, NaN or inf time or value)",))


def _default_chunk_size(n_items: int | None, n_threads: int) -> int:
    # ~8 tasks per worker thread balances the load; at least 4 series per task keeps the
    # per-task overhead (~3 ms measured, a series costs about as much: benchmarks/RESULTS.md)
    # small; at most 256 keeps a chunk's arrays (~2 MB at 1,000 samples) cheap to ship
    if n_items is None:
        return 64
    return int(min(256, max(4, math.ceil(n_items / (8 * max(1, n_threads))))))


def estimate_many(
    source: Any,
    *,
    method: str = "auto",
    n_components: int = 1,
    fmin: float | None = None,
    fmax: float | None = None,
    oversampling: float = 5,
    detrend: str | int | None = "auto",
    fap_threshold: float = 0.01,
    harmonics: int | str = "auto",
    series: str | None = None,
    time: str | None = None,
    value: str | None = None,
    dy: str | None = None,
    read_options: dict[str, Any] | None = None,
    output: str | os.PathLike | None = None,
    resume: bool = False,
    retry_errors: bool = False,
    client: Any = None,
    scheduler: str | None = None,
    workers: int | None = None,
    processes: bool = True,
    chunk_size: int | None = None,
    progress: bool | None = None,
    on_rows: Callable[[list[dict[str, Any]]], None] | None = None,
    **estimate_options: Any,
) -> Iterator[dict[str, Any]] | BatchSummary:
    """Estimate many series in parallel on Dask: one row per (series, component).

    Parameters
    ----------
    source : iterable, dict, DataFrame, str or list of str
        The series: an iterable of ``(id, t, y)`` or ``(id, t, y, dy)``; a dict
        ``{id: (t, y[, dy])}``; a long pandas DataFrame with one row per sample and a column naming
        the series (``series=``); or file names, folders and glob patterns (each file read with
        :mod:`sigfit.io` on a worker; each value column of a file is a series with id ``path`` or
        ``path:column``; with ``series=`` each file is a long table instead).
    method, n_components, fmin, fmax, oversampling, detrend, fap_threshold, harmonics
        As for :func:`sigfit.estimate`, applied to every series.
    series, time, value, dy : str, optional
        Column names for long tables. ``time`` defaults to the first other column; ``value`` to the
        only remaining one; ``dy`` (per-sample uncertainties) to none.
    read_options : dict, optional
        Keyword arguments for the file reader (e.g. ``time=``, ``value=`` columns).
    output : path, optional
        ``*.csv``/``*.tsv`` (one file) or ``*.parquet`` (a folder of part files). Rows are written
        as tasks complete, in whole chunks; the call returns a :class:`BatchSummary`. Without it the
        call returns an iterator that yields the rows as tasks complete.
    resume : bool
        Continue an existing ``output``: series already in it are skipped; rows cut by a crash are
        dropped first, and series that failed for a transient reason (``task failed: ...``, a
        worker killed, out of memory) run again. The output records the options of its rows
        (column ``options``): a resume with other options is refused. Without ``resume`` an
        existing output is an error. One run at a time holds an output (a lock beside it).
    retry_errors : bool
        With ``resume``: run every failed series again, not only the transient failures.
    client, scheduler, workers, processes
        Where the work runs: an existing ``distributed.Client``; or the address of a running
        scheduler (``"tcp://host:8786"``); or a LocalCluster on loopback with ``workers``
        single-threaded workers (default: one per core), in processes unless ``processes=False``.
    chunk_size : int, optional
        Series per Dask task (default: about 8 tasks per worker thread, at most 256).
    progress : bool, optional
        Show a tqdm bar over series on stderr; None (default): only when stderr is a terminal.
    on_rows : callable, optional
        Called with the rows of each completed chunk (after they are written).
    **estimate_options
        Any other keyword of :func:`sigfit.estimate` (e.g. ``max_harmonics``,
        ``max_grid_size``), passed to it for every series.

    Returns
    -------
    iterator of dict, or BatchSummary
        Rows have the columns :data:`COLUMNS`: ``series``, ``component`` (0 = strongest), every field
        of :meth:`sigfit.Component.to_dict`, ``offset``, ``offset_err``, ``residual_std``,
        ``n_samples``, ``method``, ``n_components``, ``warnings``, ``error`` (the reason a series
        failed; its other fields are empty, and the other series carry on), ``time_unit`` and
        ``epoch`` (what t is: seconds since ``epoch`` for date-times read from files, else empty)
        and ``options`` (the options as canonical JSON). Nothing is written before the first
        row; when every series fails, the output this run created is removed again.

    Raises
    ------
    InputError
        The source, the options or the output cannot be used.
    """
    if dy is not None and not isinstance(dy, str):
        raise InputError(
            "dy= names the uncertainty column of a table; give each series' uncertainties in "
            "its (id, t, y, dy) tuple instead"
        )
    per_series = {"t", "y", "first_power"} & set(estimate_options)
    if per_series:
        raise InputError(
            f"{', '.join(sorted(per_series))} cannot be given for all series at once: pass "
            "(id, t, y, dy) tuples, or dy=COLUMN for a table"
        )
    options = dict(method=method, n_components=n_components, fmin=fmin, fmax=fmax,
                   oversampling=oversampling, detrend=detrend, fap_threshold=fap_threshold,
                   harmonics=harmonics, **estimate_options)
    if chunk_size is not None and chunk_size < 1:
        raise InputError(f"chunk_size must be >= 1, got {chunk_size}")
    if output is None and resume:
        raise InputError("resume needs an output file to resume")
    if retry_errors and not resume:
        raise InputError("retry_errors (--retry-failed) needs resume=True (--resume)")
    # what the rows depend on: the estimation options and how the source is read
    recorded = dict(options)
    recorded.update(series=series, time=time, value=value, dy=dy,
                    read_options=dict(read_options or {}))
    recorded["detrend"] = _degree(recorded.get("detrend"))
    opts_text = options_text(recorded)
    lock = None if output is None else OutputLock(os.fspath(output))
    try:
        writer = None if output is None else open_writer(output, resume=resume, options=opts_text,
                                                         retry_errors=retry_errors)
        done = writer.done if writer is not None else set()
        items, n_items = _items(source, series=series, time=time, value=value, dy=dy,
                                read_options=read_options, done=done)
    except BaseException:
        if lock is not None:
            lock.release()
        raise
    run = dict(items=_unique_ids(items), n_items=n_items, options=options, client=client,
               scheduler=scheduler, workers=workers, processes=processes,
               chunk_size=chunk_size, progress=progress, on_rows=on_rows, options_text=opts_text)
    if writer is None:
        return _generate(writer=None, **run)
    t0 = _now()
    n_rows = 0
    seen: set[Any] = set()
    failed: set[Any] = set()
    first_error = None
    discarded = False
    try:
        for row in _generate(writer=writer, **run):
            n_rows += 1
            seen.add(row["series"])
            if row["error"]:
                failed.add(row["series"])
                if first_error is None:
                    sid, err = str(row["series"]), str(row["error"])
                    first_error = err if err.startswith(sid) else f"{sid}: {err}"
        writer.close()
        if seen and failed == seen and writer.created:
            writer.discard()  # every series failed: a file of errors would only block the retry
            discarded = True
    finally:
        writer.close()
        lock.release()
    return BatchSummary(os.fspath(output), len(seen), len(failed), len(done), n_rows,
                        _now() - t0, first_error=first_error, discarded=discarded,
                        notes=list(getattr(writer, "notes", [])))


def _degree(detrend: Any) -> Any:
    from ._validate import parse_detrend

    try:
        return parse_detrend(detrend)
    except SigfitError:
        return detrend  # estimate() will say what is wrong, in every row


def _now() -> float:
    return time.perf_counter()


def _generate(*, items, n_items, options, client, scheduler, workers, processes, chunk_size,
              progress, writer, on_rows, options_text: str | None = None) -> Iterator[dict]:
    from tqdm.auto import tqdm

    c, close = _open_client(client, scheduler, workers, processes)
    try:
        from distributed import as_completed

        n_threads = sum(c.nthreads().values()) or 1
        size = chunk_size or _default_chunk_size(n_items, n_threads)
        # bounded submission: a generator source of a million series is never held whole
        max_in_flight = 4 * n_threads + 2
        bar = tqdm(total=n_items, unit="series", file=sys.stderr,
                   disable=None if progress is None else not progress,
                   dynamic_ncols=True, desc="estimate")
        ac = as_completed()
        ids_of: dict[Any, list[Any]] = {}

        def collect(fut) -> list[dict[str, Any]]:
            ids = ids_of.pop(fut.key)
            if fut.status == "error":
                exc = fut.exception()
                rows = [error_row(i, f"task failed: {_reason(exc)}") for i in ids]
            else:
                rows = fut.result()
            fut.release()
            for r in rows:
                r["options"] = options_text
            if writer is not None:
                writer.write(rows)
            if on_rows is not None:
                on_rows(rows)
            bar.update(len(ids))
            return rows

        for chunk, ids in _chunks(items, size, window=size * max(1, n_threads) * 4):
            while ac.count() >= max_in_flight:
                yield from collect(next(ac))
            fut = c.submit(run_chunk, chunk, options, pure=False)
            ids_of[fut.key] = ids
            ac.add(fut)
        for fut in ac:
            yield from collect(fut)
        bar.close()
    finally:
        close()


def _unique_ids(items: Iterator[Series | FileRef]) -> Iterator[Series | FileRef]:
    # ids key the output and --resume: a repeated id would be skipped or merged silently
    seen: set[str] = set()
    for s in items:
        key = s.path if isinstance(s, FileRef) else str(s.id)
        if key in seen:
            raise InputError(f"series id {key!r} appears twice: ids must be unique")
        seen.add(key)
        yield s
