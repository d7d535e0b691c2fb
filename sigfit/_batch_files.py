"""The files :func:`sigfit.estimate_many` writes: whole rows only, appended as chunks complete,
to a CSV file or a folder of Parquet parts, each written atomically (``sigfit._files``), with a
lock against a second run and the bookkeeping ``--resume`` needs (which series are done, which
failed for reasons worth retrying, with which options). The rows themselves are
``sigfit.render``'s."""

from __future__ import annotations

import csv
import io
import json
import math
import os
import time
import uuid
import warnings
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from ._files import atomic_write, atomic_write_text, fsync_dir
from .errors import InputError, SigfitWarning
from .render import (  # the row schema
    _LIST_COLUMNS,
    COLUMNS,
    _column_kind,
)


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
