"""What :func:`sigfit.estimate_many` accepts, turned into work items: ``(id, t, y[, dy])``
tuples, mappings, long tables (pandas or files with a series column), file names, folders and
glob patterns. A :class:`SeriesItem` travels with its arrays; a :class:`FileRef` travels as a
path and is read on the worker (the cluster must see the same filesystem), so the client ships
bytes only for in-memory sources."""

from __future__ import annotations

import glob
import os
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ._columns import _numeric, _time_axis
from ._numerics import content_digest, hasher
from .errors import InputError


@dataclass
class SeriesItem:
    """One series to estimate, with its arrays: a work item of :func:`estimate_many`."""

    id: Any
    t: np.ndarray
    y: np.ndarray
    dy: np.ndarray | None = None
    notes: tuple[str, ...] = ()  # warnings from reading (dropped rows), carried to the row
    time_unit: str | None = None  # "s" for date-times read from files, else None
    epoch: str | None = None  # the date-time of t = 0, for date-times read from files


Series = SeriesItem  # its name before issue 11 (public: sigfit.batch.Series)


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
    members: list[SeriesItem]


def _time_key(t: np.ndarray) -> bytes:
    # Identical time stamps <=> identical bytes (same dtype, same order): content_digest, ~0.05 s
    # on the client for 10,000 x 1,000 float64 stamps.
    return content_digest(t) + str(t.dtype).encode()


def _as_array(x: Any, what: str, series_id: Any) -> np.ndarray:
    a = np.asarray(x)
    if a.ndim != 1:
        raise InputError(f"series {series_id!r}: {what} must be 1-D, got shape {a.shape}")
    return a


def _series_from_tuple(item: Any) -> SeriesItem:
    if isinstance(item, SeriesItem):
        return item
    if not isinstance(item, (tuple, list)) or len(item) not in (3, 4):
        raise InputError(
            "each series must be a tuple (id, t, y) or (id, t, y, dy); "
            f"got {type(item).__name__}{'' if not isinstance(item, (tuple, list)) else f' of length {len(item)}'}"
        )
    sid, t, y, *rest = item
    dy = rest[0] if rest else None
    return SeriesItem(sid, t, y, dy)


def _iter_mapping(src: Mapping) -> Iterator[SeriesItem]:
    for sid, val in src.items():
        if isinstance(val, (tuple, list)) and len(val) in (2, 3):
            yield SeriesItem(sid, *val)
        else:
            raise InputError(
                f"series {sid!r}: a dict source maps each id to (t, y) or (t, y, dy); "
                f"got {type(val).__name__}"
            )


def _is_dataframe(obj: Any) -> bool:
    mod = type(obj).__module__
    return mod.startswith("pandas") and type(obj).__name__ == "DataFrame"


def _iter_long_table(df: Any, series: str | None, time: str | None, value: str | None,
                     dy: str | None) -> Iterator[SeriesItem]:
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
                      dy: str | None) -> Iterator[SeriesItem]:
    # sort=False keeps the order of first appearance: rows come out in the user's order
    for sid, g in df.groupby(series, sort=False):
        yield SeriesItem(
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


def _group_series(series: list[SeriesItem]) -> list[_Group]:
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
        g.members.append(SeriesItem(s.id, g.t, s.y, s.dy, s.notes, s.time_unit, s.epoch))
    return order


def _items(source: Any, *, series: str | None, time: str | None, value: str | None,
           dy: str | None, read_options: dict[str, Any] | None,
           done: set[str]) -> tuple[Iterator[SeriesItem | FileRef], int | None]:
    """(stream of work items without the ``done`` ones, number of items or None)."""
    done_counted = False
    if _is_dataframe(source):
        it: Iterator[SeriesItem | FileRef] = _iter_long_table(source, series, time, value, dy)
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
                    value: str | None = None, dy: str | None = None) -> Iterator[SeriesItem]:
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
    axis = _time_axis(table, t_col)
    y = _numeric(table, v_col, role="value ")
    if y is None:
        raise InputError(f"{path}: value column {v_col!r} holds no numbers")
    e = None
    if dy is not None:
        e = _numeric(table, sio._resolve(table, dy, "dy"), role="dy ")
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
        yield SeriesItem(name, t[rows], y[rows], None if e is None else e[rows], notes, axis.unit,
                     axis.epoch)
    for name in sorted(set(dropped) - set(names.tolist())):
        # every row dropped: an empty series, so that it gets an error row instead of vanishing
        yield SeriesItem(name, t[:0], y[:0], None if e is None else e[:0],
                     time_unit=axis.unit, epoch=axis.epoch, notes=                     (f"dropped all {dropped[name]} rows (missing, NaN or inf time or value)",))


class IdSet:
    """The ids seen so far, in bounded memory per id: the last :attr:`RECENT` exactly (a set of
    strings), the older ones as 128-bit digests (as :func:`sigfit._numerics.content_digest`'s,
    of the id's UTF-8) in pairs of 64-bit words sorted by the first: 16 bytes an id, where a
    Python set of strings takes ~85 (a million ids hold ~17 MB instead of ~85 MB). Recent ids are
    folded into the open run of digests by insertion at their sorted places; a run of
    :attr:`RUN` digests is closed and never copied again, so a fold copies at most one run (32 MB
    at the peak, where a full sort of all the digests had peaked at ~63 bytes an id). A lookup of
    an older id is one ``searchsorted`` per run. Two different ids share a digest with
    probability ~n^2 / 2^129 (1e-27 for a million): only then would a new id be taken for a
    repeat."""

    RECENT = 1 << 16
    RUN = 1 << 20

    def __init__(self) -> None:
        self._recent: set[str] = set()
        self._runs: list[tuple[np.ndarray, np.ndarray]] = []  # closed: (first words, second words)
        self._hi = np.empty(0, dtype=np.uint64)
        self._lo = np.empty(0, dtype=np.uint64)

    def __len__(self) -> int:
        return len(self._recent) + self._hi.size + sum(hi.size for hi, _ in self._runs)

    @staticmethod
    def _digest(key: str) -> bytes:
        # content_digest's, without its array round trip (~2 us an id)
        h = hasher()
        h.update(key.encode("utf-8", "surrogatepass"))
        return h.digest()[:16]

    def __contains__(self, key: str) -> bool:
        if key in self._recent:
            return True
        if not self._hi.size and not self._runs:
            return False
        d = self._digest(key)
        hi, lo = np.uint64(int.from_bytes(d[:8], "little")), np.uint64(int.from_bytes(d[8:], "little"))
        for his, los in (*self._runs, (self._hi, self._lo)):
            i = int(np.searchsorted(his, hi))
            while i < his.size and his[i] == hi:
                if los[i] == lo:
                    return True
                i += 1
        return False

    def add(self, key: str) -> None:
        self._recent.add(key)
        if len(self._recent) >= self.RECENT:
            pairs = np.frombuffer(b"".join(map(self._digest, self._recent)), dtype="<u8").reshape(-1, 2)
            pairs = pairs[np.argsort(pairs[:, 0], kind="stable")]
            at = np.searchsorted(self._hi, pairs[:, 0])
            self._hi = np.insert(self._hi, at, pairs[:, 0])
            self._lo = np.insert(self._lo, at, pairs[:, 1])
            self._recent.clear()
            if self._hi.size >= self.RUN:
                self._runs.append((self._hi, self._lo))
                self._hi = np.empty(0, dtype=np.uint64)
                self._lo = np.empty(0, dtype=np.uint64)


def _unique_ids(items: Iterator[SeriesItem | FileRef]) -> Iterator[SeriesItem | FileRef]:
    # ids key the output and --resume: a repeated id would be skipped or merged silently
    seen = IdSet()
    for s in items:
        key = s.path if isinstance(s, FileRef) else str(s.id)
        if key in seen:
            raise InputError(f"series id {key!r} appears twice: ids must be unique")
        seen.add(key)
        yield s
