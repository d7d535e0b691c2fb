"""Tables in, results out: the file formats and text renderings the command line uses.

In: CSV/TSV text with a header (delimiter sniffed), ``.npy`` (2-D, first column time, or a
structured array), ``.npz`` (named 1-D arrays), or the same bytes on stdin. The format is taken
from the content (NumPy and zip magic numbers), not trusted from the suffix. Times may be numbers
or ISO-8601 date-times; date-times become seconds since the earliest one, computed from integer
seconds plus integer nanoseconds so float64 loses nothing it could hold (never float32).

Out: :func:`write_columns` (samples, written whole or not at all), :func:`format_result` (the
human table) and :func:`signal_record` (the JSON record of one signal).

Every problem with the input raises :class:`sigfit.errors.InputError` naming the file, line and
column, so the CLI prints one line; dropped rows are reported as :class:`SigfitWarning`.
"""

from __future__ import annotations

import csv
import io as _io
import math
import os
import re
import sys
import warnings
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from ._columns import _INT_RE, _MISSING, Table, TimeAxis, _numeric, _time_axis
from ._files import atomic_write, new_file_mode  # noqa: F401  (sigfit.io.atomic_write: public)
from .errors import InputError, SigfitWarning

# rendering lives in sigfit.render; these names stay importable from here, where they were public
from .render import (  # noqa: E402, F401
    FAP_FLOOR,
    display_unit,
    duration_unit,
    fap_text,
    format_duration,
    format_result,
    format_value_error,
    signal_record,
)

__all__ = [
    "DataSet",
    "Series",
    "Signal",
    "TimeAxis",
    "format_duration",
    "format_result",
    "format_value_error",
    "load",
    "read_table",
    "signal_record",
    "write_columns",
]

STDIN = "-"
_NPY_MAGIC = b"\x93NUMPY"
_ZIP_MAGICS = (b"PK\x03\x04", b"PK\x05\x06")
_DELIMITERS = (",", "\t", ";", "|")


# ---------------------------------------------------------------------------------------------
# reading


@dataclass(frozen=True)
class Signal:
    """One signal: its finite rows only (rows with NaN/inf time or value are dropped)."""

    name: str
    t: np.ndarray
    y: np.ndarray
    n_dropped: int = 0
    warnings: list[str] = field(default_factory=list)


Series = Signal  # its name before issue 11 (public: sigfit.io.Series)


@dataclass(frozen=True)
class DataSet:
    """What :func:`load` returns: the time axis and the value columns chosen from one file."""

    source: str
    time: TimeAxis
    value_names: list[str]
    _values: dict[str, np.ndarray]

    def series(self, name: str) -> Signal:
        """The finite rows of value column ``name``; warns (SigfitWarning) when rows are dropped.

        Raises InputError when no finite row is left."""
        y = self._values[name]
        keep = self.time.valid & np.isfinite(y)
        n_bad = int(keep.size - np.count_nonzero(keep))
        if not keep.any():
            raise InputError(
                f"{self.source}: column {name!r} has no finite values (all empty, NaN or inf)"
            )
        notes = []
        if n_bad:
            notes.append(
                f"{self.source}: column {name!r}: dropped {n_bad} of {keep.size} rows with a "
                "missing, NaN or inf time or value"
            )
            warnings.warn(notes[-1], SigfitWarning, stacklevel=2)
        return Signal(
            name=name, t=self.time.values[keep], y=y[keep], n_dropped=n_bad, warnings=notes
        )


# Inputs are read whole: a limit checked before reading (file size) or while reading (a stream,
# a device such as /dev/zero) keeps memory bounded. Text tables cost about 25x their size while
# they are parsed (cells as Python strings; measured 15x); arrays cost what they hold.
MAX_INPUT_BYTES = 1 << 30  # files and streams, and the arrays a .npy/.npz unpacks to
MAX_TEXT_BYTES = 128 << 20  # CSV/TSV text (about 2 GiB while parsed)
_LIMIT_ENV = "SIGFIT_MAX_INPUT_BYTES"
_READ_BLOCK = 1 << 20


def input_limit() -> int:
    """The input size limit in bytes: :data:`MAX_INPUT_BYTES`, or the environment variable
    ``SIGFIT_MAX_INPUT_BYTES`` when set (a larger machine may allow more)."""
    raw = os.environ.get(_LIMIT_ENV)
    if raw:
        try:
            return max(1, int(float(raw)))
        except ValueError:
            raise InputError(f"{_LIMIT_ENV}={raw!r} is not a number of bytes") from None
    return MAX_INPUT_BYTES


def text_limit() -> int:
    """The largest CSV/TSV text accepted (a quarter of :func:`input_limit` by default)."""
    return MAX_TEXT_BYTES if not os.environ.get(_LIMIT_ENV) else max(1, input_limit() // 4)


def _too_big(name: str, size: str, limit: int, what: str = "input") -> InputError:
    return InputError(
        f"{name} is {size}, over the {what} limit of {_bytes_text(limit)}: split it into smaller "
        f"files (sigfit estimate reads several files in batch mode) or raise the limit with "
        f"{_LIMIT_ENV}=BYTES"
    )


def _bytes_text(n: float) -> str:
    for unit in ("bytes", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"):
        if n < 1024 or unit == "EiB":
            return f"{n:.0f} {unit}" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n} bytes"  # pragma: no cover


def _read_limited(name: str, stream, limit: int) -> bytes:
    """Read ``stream`` to its end, refusing it past ``limit`` bytes; a first block full of NUL
    bytes that is not a NumPy/zip file is refused at once (/dev/zero, a disk image)."""
    chunks, total = [], 0
    while True:
        block = stream.read(_READ_BLOCK)
        if not block:
            break
        if isinstance(block, str):
            block = block.encode()
        if not chunks and b"\x00" in block[:65536] and not block.startswith(
            (_NPY_MAGIC, *_ZIP_MAGICS, b"\xff\xfe", b"\xfe\xff")
        ):
            raise _binary(name)
        chunks.append(block)
        total += len(block)
        if total > limit:
            raise _too_big(name, f"more than {_bytes_text(limit)}", limit)
    return b"".join(chunks)


def _binary(name: str) -> InputError:
    return InputError(
        f"{name} is not a text table, .npy or .npz file (it looks binary); give CSV/TSV with a "
        "header, a .npy array or a .npz archive"
    )


def _read_bytes(source: str | os.PathLike, stdin=None) -> tuple[str, bytes, str]:
    """(display name, content, lower-case suffix). File-system errors become InputError."""
    limit = input_limit()
    if isinstance(source, str) and source == STDIN:
        if stdin is None:
            if sys.stdin is None:
                raise InputError("stdin is closed: pipe a table into sigfit, or give a file name")
            stdin = getattr(sys.stdin, "buffer", sys.stdin)
        try:
            data = _read_limited("<stdin>", stdin, limit)
        except InputError:
            raise
        except (OSError, ValueError) as e:  # a closed or unreadable descriptor
            raise InputError(f"cannot read stdin ({e}): pipe a table into sigfit, or give a file name") from None
        return "<stdin>", data, ""
    path = os.fspath(source)
    name = path
    if os.path.isdir(path):
        raise InputError(
            f"{name} is a directory; give a data file (CSV/TSV, .npy, .npz) or - for stdin"
        )
    try:
        with open(path, "rb") as fh:
            st = os.fstat(fh.fileno())
            if st.st_size > limit:
                raise _too_big(name, _bytes_text(st.st_size), limit)
            data = _read_limited(name, fh, limit)
    except FileNotFoundError:
        raise InputError(f"{name}: no such file") from None
    except PermissionError:
        raise InputError(f"cannot read {name}: permission denied") from None
    except IsADirectoryError:
        raise InputError(f"{name} is a directory; give a data file") from None
    except OSError as e:
        raise InputError(f"cannot read {name}: {e.strerror or e}") from None
    return name, data, os.path.splitext(path)[1].lower()


def read_table(source: str | os.PathLike, *, stdin=None) -> Table:
    """Read a table from a path, or from stdin when ``source`` is ``"-"``.

    Parameters
    ----------
    source : str or path-like
        CSV/TSV file, ``.npy``, ``.npz``, or ``"-"`` for stdin (any of those formats).
    stdin : binary file-like, optional
        Stream to read for ``"-"`` (default ``sys.stdin.buffer``).

    Returns
    -------
    Table
        Columns in file order, uninterpreted.

    Raises
    ------
    InputError
        Missing, unreadable, empty, binary or malformed input; the message says which.
    """
    name, data, suffix = _read_bytes(source, stdin)
    if not data.strip():
        raise InputError(f"{name} is empty: expected a header line and rows of data")
    if data.startswith(_NPY_MAGIC):
        return _read_npy(name, data)
    if data.startswith(_ZIP_MAGICS):
        return _read_npz(name, data)
    if suffix in (".npy", ".npz"):
        raise InputError(f"{name} is not a valid {suffix} file (no NumPy/zip header)")
    if len(data) > text_limit():
        raise _too_big(name, _bytes_text(len(data)), text_limit(), "text table")
    return _read_text(name, _decode(name, data))


def _decode(name: str, data: bytes) -> str:
    for bom, codec in (
        (b"\xef\xbb\xbf", "utf-8-sig"),
        (b"\xff\xfe", "utf-16"),
        (b"\xfe\xff", "utf-16"),
    ):
        if data.startswith(bom):
            try:
                return data.decode(codec)
            except UnicodeDecodeError:
                break
    garbage = _binary(name)
    if b"\x00" in data[:65536]:
        raise garbage
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    # legacy 8-bit text (a latin-1 degree sign in a header) is fine; mostly control bytes is not
    head = data[:65536]
    controls = sum(1 for b in head if b < 32 and b not in (9, 10, 13))
    high = sum(1 for b in head if b >= 128)
    if controls > 0.01 * len(head) or high > 0.3 * len(head):
        raise garbage
    return data.decode("latin-1")


def _split_line(line: str, delimiter: str | None) -> list[str]:
    if delimiter is None:
        return line.split()
    return next(csv.reader([line], delimiter=delimiter))


def _sniff_delimiter(lines: Sequence[str]) -> str | None:
    """The delimiter that splits the first lines into equal counts (>1 field); None means runs of
    whitespace. Prefers , then tab ; |. A header alone is judged by its own split."""
    sample = lines[:20]
    best, best_fields = None, 1
    for d in _DELIMITERS:
        counts = {len(_split_line(s, d)) for s in sample}
        if len(counts) == 1 and counts.pop() > 1:
            return d
        n = len(_split_line(sample[0], d))
        if n > best_fields:
            best, best_fields = d, n
    if best is not None:
        return best  # inconsistent counts: the ragged-row check below will name the line
    if len(sample[0].split()) > 1:
        return None
    return ","  # one column


def _is_number(cell: str) -> bool:
    s = cell.strip()
    if s.lower() in _MISSING:
        return False
    try:
        float(s)
    except ValueError:
        return False
    return True


def _read_text(name: str, text: str) -> Table:
    raw = text.splitlines()
    del text
    # line numbers and lines kept apart (no tuple per line): a big table is parsed in about half
    # the memory
    numbers = [i for i, s in enumerate(raw) if s.strip() and not s.lstrip().startswith("#")]
    if not numbers:
        raise InputError(f"{name} has no header and no data, only comments or blank lines")
    comments = [(i + 1, raw[i]) for i in range(numbers[0]) if raw[i].lstrip().startswith("#")]
    delimiter = _sniff_delimiter([raw[i] for i in numbers[:20]])
    first = [c.strip() for c in _split_line(raw[numbers[0]], delimiter)]
    header_line = numbers[0] + 1
    if all(_is_number(c) for c in first):
        # no header line: numpy.savetxt writes it as the last comment ("# t,y") above the data
        above = [s for i, s in comments if i < header_line]
        guess = [c.strip() for c in _split_line(above[-1].lstrip()[1:], delimiter)] if above else []
        if len(guess) == len(first) and not any(_is_number(c) for c in guess):
            names = guess
        else:
            names = [f"col{k}" for k in range(len(first))]
        body = numbers
    else:
        names = first
        body = numbers[1:]
    unnamed = {f"col{k}" for k, n in enumerate(names) if not n}
    names = [n if n else f"col{k}" for k, n in enumerate(names)]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise InputError(f"{name}: duplicate column names {dupes}; give every column its own name")
    if not body:
        raise InputError(f"{name} has a header ({', '.join(names)}) but no data rows")
    columns = _split_cells(name, raw, body, names, delimiter)
    del raw
    for n in unnamed:
        if not any(c.strip() for c in columns[n]):
            del columns[n]  # a trailing delimiter on every line: no column at all
    for n, col in columns.items():
        columns[n] = _separators(name, n, col, delimiter)
    return Table(source=name, columns=columns, lines=np.asarray(body, dtype=np.int64) + 1)


SPLIT_LINES = 1 << 14  # lines of a table split at once by _split_cells


def _split_cells(name: str, raw: list[str], body: list[int], names: list[str],
                 delimiter: str | None) -> dict[str, np.ndarray]:
    """The body's cells, one string array per column. Lines without a quote character split on
    the delimiter as :mod:`csv` would split them, so they go through ``str.split``,
    :data:`SPLIT_LINES` at a time (the memory of their cells as str objects bounded by that); a
    quoted line, or a row with a wrong number of fields (named by its line), goes the
    ``csv.reader`` way."""
    n_fields = len(names)
    lines = [raw[i] for i in body]
    if delimiter is not None and len(delimiter) == 1:
        want = n_fields - 1
        if not any(s.count(delimiter) != want for s in lines) and \
                not any('"' in s for s in lines):
            parts: list[list[np.ndarray]] = [[] for _ in range(n_fields)]
            for lo in range(0, len(lines), SPLIT_LINES):  # (the cells as str objects: a chunk's)
                cells = delimiter.join(lines[lo:lo + SPLIT_LINES]).split(delimiter)
                for k in range(n_fields):  # each column as wide as its own longest cell
                    parts[k].append(np.array(cells[k::n_fields], dtype=str))
                del cells
            columns = {}
            for n in names:
                columns[n] = np.concatenate(parts[0])
                del parts[0]
            return columns
    reader = csv.reader(lines, delimiter=delimiter) if delimiter else (s.split() for s in lines)
    cells: list[list[str]] = [[] for _ in range(n_fields)]
    for k, row in enumerate(reader):
        if len(row) != n_fields:
            raise InputError(
                f"{name}, line {body[k] + 1}: {len(row)} fields, but the header has {n_fields} "
                f"({', '.join(names)}); every row needs one value per column (empty for missing)"
            )
        for col, cell in zip(cells, row):  # noqa: B905 (lengths checked above)
            col.append(cell)
    columns = {}
    for n in names:
        columns[n] = np.array(cells[0], dtype=str)
        del cells[0]
    return columns


_DECIMAL_COMMA_RE = re.compile(r"\s*[+-]?\d*,\d+(?:[eE][+-]?\d+)?\s*\Z")
# 1,506 and 12,345,678.5: groups of three digits after a leading group of one to three
_THOUSANDS_RE = re.compile(r"\s*[+-]?[1-9]\d{0,2}(?:,\d{3})+(?:\.\d+)?\s*\Z")


def _separators(source: str, column: str, col: np.ndarray, delimiter: str | None) -> np.ndarray:
    """Commas inside numbers, read right or refused, never guessed.

    Thousands separators (``1,506``, ``12,345,678.5``) are removed when the column says so: a
    cell with several groups or with a decimal point, or commas only on numbers of 1,000 and more
    while the cells without one stay below 1,000. Decimal commas (``12,5``; European spreadsheets,
    whose delimiter is then ``;`` or a tab) become decimal points when every cell reads that way and
    some cell cannot be a thousands group. A column whose every comma could be either (``1,506``
    beside ``2000``, or only ``1,506``-like cells) is refused. Other text is left alone."""
    if col.size == 0 or not np.char.count(col, ",").any():
        return col
    present = [c for c in col if c.strip().lower() not in _MISSING]
    with_comma = [c for c in present if "," in c]
    plain = [c for c in present if "," not in c]
    if not all(_is_number(c) for c in plain):
        return col  # a text column (labels with commas): not numbers at all
    grouped = all(_THOUSANDS_RE.match(c) for c in with_comma)
    if grouped:
        decisive = any(c.count(",") > 1 or "." in c for c in with_comma) or any(
            "." in c for c in plain)
        small = bool(plain) and all(abs(float(c)) < 1000 for c in plain)
        if decisive or small:
            return np.char.replace(col, ",", "")
    decimal = all(_DECIMAL_COMMA_RE.match(c) for c in with_comma) and all(
        _INT_RE.match(c) for c in plain)
    if delimiter == "," or not decimal:
        return col  # quoted text in a CSV, or mixed shapes: reported as not a number later
    if grouped:
        example = with_comma[0].strip()
        raise InputError(
            f"{source}: column {column!r} holds {example!r}, which may be "
            f"{example.replace(',', '')} (thousands separator) or {example.replace(',', '.')} "
            "(decimal comma), and the column does not tell which; sigfit will not guess: write "
            "the numbers without thousands separators, or with decimal points"
        )
    return np.char.replace(col, ",", ".")


def _npy_bytes(name: str, fh) -> int:
    """The bytes the .npy array at ``fh`` unpacks to, read from its header alone."""
    try:
        version = np.lib.format.read_magic(fh)
        if version == (1, 0):
            shape, _, dtype = np.lib.format.read_array_header_1_0(fh)
        else:
            shape, _, dtype = np.lib.format.read_array_header_2_0(fh)
    except (ValueError, OSError, EOFError, SyntaxError, TypeError) as e:
        raise InputError(f"{name} is not a readable .npy file ({e})") from None
    if dtype.hasobject:
        raise InputError(f"{name} holds Python objects (pickles), which sigfit never loads; "
                         "save numeric arrays")
    return math.prod(shape) * dtype.itemsize


def _read_npy(name: str, data: bytes) -> Table:
    limit = input_limit()
    size = _npy_bytes(name, _io.BytesIO(data))
    if size > limit:
        raise _too_big(name, f"an array of {_bytes_text(size)}", limit, "array")
    try:
        arr = np.load(_io.BytesIO(data), allow_pickle=False)
    except (ValueError, OSError, EOFError) as e:
        raise InputError(f"{name} is not a readable .npy file ({e})") from None
    if arr.dtype.names:  # structured array: the fields are the columns
        if arr.ndim != 1:
            raise InputError(f"{name}: structured array must be 1-D, got shape {arr.shape}")
        return _check_table(name, {f: np.asarray(arr[f]) for f in arr.dtype.names})
    if arr.ndim != 2 or arr.shape[1] < 2:
        raise InputError(
            f"{name}: a .npy input must be a 2-D array with time in the first column and values "
            f"in the others, got shape {arr.shape}; save np.column_stack([t, y])"
        )
    return _check_table(name, {f"col{k}": arr[:, k] for k in range(arr.shape[1])})


def _check_npz_members(name: str, data: bytes) -> None:
    """Refuse zips that are not .npz archives (an Excel workbook renamed .csv) and archives that
    would unpack past the limit (a zip bomb), before anything is decompressed."""
    limit = input_limit()
    try:
        with zipfile.ZipFile(_io.BytesIO(data)) as zf:
            infos = [i for i in zf.infolist() if not i.is_dir()]
            others = [i.filename for i in infos if not i.filename.endswith(".npy")]
            if others or not infos:
                hint = " (an Excel or OpenDocument file?)" if any(
                    o.endswith(".xml") for o in others) else ""
                raise InputError(
                    f"{name} is a zip archive, not a .npz of NumPy arrays{hint}: it holds "
                    f"{', '.join(repr(o) for o in others[:3]) or 'nothing'}; export the data as "
                    "CSV, or save it with np.savez"
                )
            declared = sum(i.file_size for i in infos)
            if declared > limit:
                raise _too_big(name, f"an archive that unpacks to {_bytes_text(declared)}",
                               limit, "array")
            total = 0
            for info in infos:
                with zf.open(info) as fh:
                    total += _npy_bytes(f"{name}: {info.filename}", fh)
                if total > limit:
                    raise _too_big(name, f"arrays of more than {_bytes_text(total)}", limit,
                                   "array")
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, EOFError,
            OSError) as e:
        raise InputError(f"{name} is not a readable .npz file ({e})") from None


def _read_npz(name: str, data: bytes) -> Table:
    _check_npz_members(name, data)
    try:
        with np.load(_io.BytesIO(data), allow_pickle=False) as npz:
            columns = {k: np.asarray(npz[k]) for k in npz.files}
    except (ValueError, OSError, EOFError, zipfile.BadZipFile, KeyError) as e:
        raise InputError(f"{name} is not a readable .npz file ({e})") from None
    for k, a in columns.items():
        if a.ndim == 2 and 1 in a.shape:
            columns[k] = a.reshape(-1)
        elif a.ndim != 1:
            raise InputError(
                f"{name}: array {k!r} has shape {a.shape}; store one 1-D array per column "
                "(np.savez(file, t=t, y=y))"
            )
    return _check_table(name, columns)


def _check_table(name: str, columns: dict[str, np.ndarray]) -> Table:
    if not columns:
        raise InputError(f"{name} holds no arrays")
    lengths = {k: len(a) for k, a in columns.items()}
    if len(set(lengths.values())) > 1:
        raise InputError(
            f"{name}: arrays have different lengths {lengths}; every column needs one value per row"
        )
    if next(iter(lengths.values())) == 0:
        raise InputError(f"{name} has columns ({', '.join(columns)}) but no data rows")
    for k, a in columns.items():
        if a.dtype.kind == "c":
            raise InputError(
                f"{name}: column {k!r} is complex; give real values (e.g. .real and .imag as two columns)"
            )
    return Table(source=name, columns=columns)


# ---------------------------------------------------------------------------------------------
# interpreting columns


def _resolve(table: Table, wanted: str, role: str) -> str:
    if wanted in table.columns:
        return wanted
    if wanted.isdigit() and int(wanted) < len(table.columns):
        return table.names[int(wanted)]  # a 0-based column index
    raise InputError(
        f"{table.source}: no {role} column {wanted!r}; available columns: {', '.join(table.names)}"
    )


def load(
    source: str | os.PathLike,
    time: str | None = None,
    values: Sequence[str] | None = None,
    *,
    stdin=None,
) -> DataSet:
    """Read ``source`` and pick the time and value columns.

    Parameters
    ----------
    source : str or path-like
        See :func:`read_table`.
    time : str, optional
        Time column name (or 0-based index); default the first column.
    values : sequence of str, optional
        Value columns; default every other column holding numbers (text columns are skipped
        with a warning).

    Returns
    -------
    DataSet

    Raises
    ------
    InputError
        Unknown columns (the message lists the available ones), non-numeric values, no value
        column, and every problem :func:`read_table` reports.
    """
    table = read_table(source, stdin=stdin)
    t_name = _resolve(table, time, "time") if time is not None else table.names[0]
    if values:
        v_names = []
        for v in values:
            v = _resolve(table, v, "value")
            if v == t_name:
                raise InputError(
                    f"{table.source}: column {v!r} is the time column; choose another with -y"
                )
            if v not in v_names:
                v_names.append(v)
    else:
        v_names = [n for n in table.names if n != t_name]
    if not v_names:
        raise InputError(
            f"{table.source} has only the time column {t_name!r}; it needs at least one value column"
        )
    axis = _time_axis(table, t_name)
    columns = {}
    for v in v_names:
        y = _numeric(table, v)
        if y is None:
            if values:
                raise InputError(f"{table.source}: column {v!r} holds no numbers")
            warnings.warn(
                f"{table.source}: skipping non-numeric column {v!r}", SigfitWarning, stacklevel=2
            )
            continue
        columns[v] = y
    if not columns:
        raise InputError(
            f"{table.source}: no numeric value column (besides time column {t_name!r}); "
            f"columns: {', '.join(table.names)}"
        )
    return DataSet(source=table.source, time=axis, value_names=list(columns), _values=columns)


# ---------------------------------------------------------------------------------------------
# writing


def _csv_text(columns: dict[str, np.ndarray], delimiter: str) -> str:
    # repr of a Python float is the shortest string that reads back bit-identical
    cols = [np.asarray(c).tolist() for c in columns.values()]
    lines = [delimiter.join(columns)]
    lines.extend(delimiter.join(map(repr, row)) for row in zip(*cols, strict=True))
    return "\n".join(lines) + "\n"


OUTPUT_FORMATS = (".csv", ".tsv", ".npy", ".npz")


def write_columns(path: str | os.PathLike, columns: dict[str, np.ndarray], *, stdout=None) -> None:
    """Write named 1-D columns of equal length, format by suffix, whole or not at all.

    ``.csv`` / ``.tsv``: header line and exact decimal values; ``.npy``: one 2-D array, columns
    in order (int64 when every column is integer, else float64); ``.npz``: one named array per
    column. ``"-"`` writes CSV to ``stdout``."""
    if isinstance(path, str) and path == STDIN:
        (stdout or sys.stdout).write(_csv_text(columns, ","))
        return
    suffix = os.path.splitext(os.fspath(path))[1].lower()
    if suffix in (".csv", ".tsv", ".txt"):
        text = _csv_text(columns, "\t" if suffix == ".tsv" else ",")

        def write(tmp):
            with open(tmp, "w", encoding="utf-8", newline="") as fh:
                fh.write(text)
    elif suffix == ".npy":
        arrays = [np.asarray(c) for c in columns.values()]
        dtype = np.int64 if all(a.dtype.kind in "iu" for a in arrays) else np.float64
        stacked = np.column_stack([a.astype(dtype) for a in arrays])

        def write(tmp):
            with open(tmp, "wb") as fh:
                np.save(fh, stacked)
    elif suffix == ".npz":

        def write(tmp):
            with open(tmp, "wb") as fh:
                np.savez(fh, **{k: np.asarray(v) for k, v in columns.items()})
    else:
        raise InputError(
            f"cannot write {os.fspath(path)}: unknown format {suffix or '(no suffix)'!r}; "
            f"use one of {', '.join(OUTPUT_FORMATS)}"
        )
    atomic_write(path, write)
