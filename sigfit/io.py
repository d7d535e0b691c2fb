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

from ._files import atomic_write, new_file_mode  # noqa: F401  (sigfit.io.atomic_write: public)
from .errors import InputError, SigfitWarning

__all__ = [
    "DataSet",
    "Series",
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
# cells that mean "no value": dropped with the rest of their row, like NaN
_MISSING = frozenset({"", "nan", "na", "n/a", "null", "none", "-nan", "+nan"})
_DELIMITERS = (",", "\t", ";", "|")
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


# ---------------------------------------------------------------------------------------------
# reading


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


@dataclass(frozen=True)
class Series:
    """One signal: its finite rows only (rows with NaN/inf time or value are dropped)."""

    name: str
    t: np.ndarray
    y: np.ndarray
    n_dropped: int = 0
    warnings: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class DataSet:
    """What :func:`load` returns: the time axis and the value columns chosen from one file."""

    source: str
    time: TimeAxis
    value_names: list[str]
    _values: dict[str, np.ndarray]

    def series(self, name: str) -> Series:
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
        return Series(
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
    n_fields = len(names)
    lines = (raw[i] for i in body)
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
    del raw
    columns = {}
    for n in names:
        columns[n] = np.array(cells[0], dtype=str)
        del cells[0]
    for n in unnamed:
        if not any(c.strip() for c in columns[n]):
            del columns[n]  # a trailing delimiter on every line: no column at all
    for n, col in columns.items():
        columns[n] = _separators(name, n, col, delimiter)
    return Table(source=name, columns=columns, lines=np.asarray(body, dtype=np.int64) + 1)


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
    if keep_int and all(_INT_RE.match(c) for c in col):
        try:
            return col.astype(np.int64)
        except (ValueError, OverflowError):
            pass  # beyond int64: float64 below
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


# ---------------------------------------------------------------------------------------------
# rendering results

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
        drifting = _drifting(result)
        for k, c in enumerate(comps, start=1):
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
            rows.append(
                [
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
            )
            if drifting(c, k):
                # a drifting tone has no single frequency: its mean, without a stationary ±
                rows[-1][1] = f"~{c.frequency * scale:.5g} (drifts)"
                rows[-1][2] = f"~{c.period / scale:.5g}" + (
                    f" ({format_duration(c.period)})" if is_dt else "")
                rows[-1][3] = f"~{c.angular_frequency * scale:.5g} (drifts)"
                notes.append(
                    f"  {k}: its frequency drifts over the record (the ridge below): ~ marks the "
                    "constant tone fitted to it, which has no meaningful ± and is not shown one"
                )
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
    lines += notes
    tail = f"  offset {format_value_error(result.offset, result.offset_err)}"
    tail += f", residual std {result.residual_std:.4g}"
    noise = getattr(result, "noise", None)
    if noise is not None:
        # the background significance was judged against, fitted to the data (sigfit.background)
        tail += ", noise white" if noise.model == "white" else \
            f", noise AR(1) {noise.coefficient:.3g} per step {noise.step:.4g}"
    if result.trend:
        tail += f", trend: {result.detrend}"
    lines.append(tail)
    lines += _choice_lines(result, "Hz" if t_unit == "s" else f"cycles/{t_unit}", scale)
    lines += _drift_lines(result, is_dt, t_unit, scale)
    return "\n".join(lines)


def _choice_lines(result, freq_unit: str, scale: float = 1.0) -> list[str]:
    """The automatic choices, said out loud: the band searched and the trend degree, and why."""
    out = []
    band = getattr(result, "band", None)
    if band is not None:
        out.append(f"  band {band.fmin * scale:.4g} to {band.fmax * scale:.4g} {freq_unit}: {band.rule}")
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
