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
import math
import os
import sys
import time
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np

# the output files live in sigfit._batch_files and the row schema in sigfit.render; the names
# that were public here stay importable
from ._batch_files import OutputLock, is_transient, open_writer, options_text, read_rows
from ._batch_inputs import (  # noqa: F401  (public here)
    FileRef,
    Series,
    SeriesItem,
    _as_array,
    _Group,
    _group_series,
    _items,
    _unique_ids,
    expand_paths,
    read_long_table,
)
from ._batch_shared import _first_powers, _shared_batches
from .errors import InputError, SigfitError, SigfitWarning
from .render import COLUMNS, COMPONENT_COLUMNS, SERIES_COLUMNS, error_row, result_rows  # noqa: F401


def _reason(exc: BaseException) -> str:
    # SigfitErrors already say how to fix the call; anything else is a bug or a crash: name its type
    msg = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    if isinstance(exc, SigfitError):
        return msg or type(exc).__name__
    return f"{type(exc).__name__}: {msg}" if msg else type(exc).__name__


# ---------------------------------------------------------------------------------------------
# Sources -> stream of work items: sigfit._batch_inputs


# ---------------------------------------------------------------------------------------------
# The work done inside one Dask task


def _estimate_series(s: SeriesItem, options: dict[str, Any],
                     first_power: np.ndarray | None = None) -> list[dict[str, Any]]:
    from .estimate import _estimate_with_first_power, estimate

    try:
        t = _as_array(s.t, "t", s.id)
        y = _as_array(s.y, "y", s.id)
        dy = None if s.dy is None else np.asarray(s.dy)
        with warnings.catch_warnings():
            # every warning is in the result, hence in the row's warnings column; printed from a
            # worker it would land in the middle of the progress bar
            warnings.simplefilter("ignore", SigfitWarning)
            try:
                res = (estimate(t, y, dy=dy, **options) if first_power is None
                       else _estimate_with_first_power(t, y, first_power, dy=dy, **options))
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


def _estimate_group(group: _Group, options: dict[str, Any]) -> list[dict[str, Any]]:
    """Estimate the members of a group; those that take the Lomb-Scargle path share one batched
    periodogram per (grid, weighted or not) and sub-batch (:data:`BATCH_POWER_BUDGET`), then each
    is refined and tested on its own."""
    subs = _shared_batches(group, options) if len(group.members) > 1 else []
    waiting = {i: k for k, (_, _, members) in enumerate(subs) for i, _ in members}
    first: dict[int, np.ndarray] = {}
    rows: list[dict[str, Any]] = []
    for i, s in enumerate(group.members):
        k = waiting.pop(i, None)
        if k is not None and i not in first:
            first.update(_first_powers(*subs[k]))
            subs[k] = None
        rows.extend(_estimate_series(s, options, first.pop(i, None)))
    return rows


def _read_file_series(ref: FileRef) -> Iterator[SeriesItem | tuple[str, str]]:
    """Each value column of a file as a SeriesItem (id ``path``, or ``path:column`` when the file has
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
            yield SeriesItem(sid, s.t, s.y, None, tuple(s.warnings), data.time.unit, data.time.epoch)


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


def _chunks(items: Iterator[SeriesItem | FileRef], chunk_size: int,
            window: int) -> Iterator[tuple[list[_Group | FileRef], list[Any]]]:
    """Cut the stream into chunks of about ``chunk_size`` series.

    Series are buffered ``window`` at a time and grouped by their time stamps, so that series sharing
    time stamps land in the same chunk (one batched periodogram) even when the source interleaves
    them. Yields ``(chunk, ids)``; a file counts as one series (its id is its path).
    """
    buf: list[SeriesItem] = []

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


# The default chunk size holds for all but the last TAIL_ROUNDS rounds of tasks of a run of known
# length; there the chunks shrink (guided self-scheduling: a piece is the remaining series over
# 2 x the worker threads, at least one), so that the workers finish together instead of one of
# them running a last whole chunk alone
TAIL_ROUNDS = 2


def _tail_pieces(chunk: list[_Group | FileRef], ids: list[Any], remaining: int | None,
                 n_threads: int) -> Iterator[tuple[list[_Group | FileRef], list[Any]]]:
    """``(chunk, ids)`` as it is, or cut into smaller pieces when ``remaining`` (the series not yet
    submitted, this chunk's included) is within :data:`TAIL_ROUNDS` rounds of chunks of the end.
    A group's members stay one group per piece (one batched periodogram each)."""
    if remaining is None or remaining > TAIL_ROUNDS * max(1, n_threads) * len(ids):
        yield chunk, ids
        return
    entries = [(item, m) for item in chunk
               for m in (item.members if isinstance(item, _Group) else [item])]
    start = 0
    while start < len(entries):
        left = max(remaining, len(entries) - start)  # a count that fell short is no reason for 1s
        k = min(len(entries) - start, max(1, math.ceil(left / (2 * max(1, n_threads)))))
        piece: list[_Group | FileRef] = []
        for item, m in entries[start:start + k]:
            if not isinstance(item, _Group):
                piece.append(m)
            elif piece and isinstance(piece[-1], _Group) and piece[-1].t is item.t:
                piece[-1].members.append(m)
            else:
                piece.append(_Group(item.t, [m]))
        yield piece, ids[start:start + k]
        start += k
        remaining -= k


# ---------------------------------------------------------------------------------------------
# Dask (the output files: sigfit._batch_files)


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
    import dask

    # the client's own link to the scheduler keeps its recent messages too (the chunks it sent)
    with dask.config.set(own_cluster_config()):
        cluster = local_cluster(n, processes=processes)
        c = Client(cluster)

    def close():
        c.close()
        cluster.close()

    return c, close


# Dask keeps the last `distributed.admin.low-level-log-length` (default 1000) messages of every
# link for debugging, payloads included when under 1 MB: the scheduler's link to each worker held
# the last thousand chunks of series it sent (64 series of 100 samples: ~100 KB each), so the
# client process of a streamed run grew by ~6.8 KB per series up to ~100 MB per worker, and more
# with longer series (benchmarks/bench_stream.py). The clusters and clients estimate_many starts
# keep this many; a client or scheduler you pass keeps its own setting.
MESSAGE_LOG_LENGTH = 16
# Dask's housekeeping on the clusters and clients estimate_many starts, as distributed's own test
# clusters set it: the event-loop tick every 500 ms instead of every 20 ms, and no statistical
# profiler sampling the worker threads every 10 ms. Idle, a 2-worker LocalCluster's processes
# used 0.15 core for these and the rest of their upkeep; at work the ticks and samples also take
# the GIL from the estimates (benchmarks/RESULTS.md). A client or scheduler you pass keeps its own.
QUIET_DASK = {"distributed.admin.tick.interval": "500ms",
              "distributed.worker.profile.enabled": False}


def own_cluster_config() -> dict[str, Any]:
    """The Dask configuration of the clusters and clients estimate_many starts: short message
    logs (:data:`MESSAGE_LOG_LENGTH`) and quiet housekeeping (:data:`QUIET_DASK`)."""
    return {**QUIET_DASK, "distributed.admin.low-level-log-length": MESSAGE_LOG_LENGTH}


def _dask_environ(config: dict[str, Any]) -> dict[str, str]:
    """``config`` as the DASK_* environment variables a spawned worker process reads."""
    return {"DASK_" + k.upper().replace(".", "__").replace("-", "_"): str(v) for k, v in config.items()}


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
    # and their message and state-machine logs stay short (MESSAGE_LOG_LENGTH)
    quiet = own_cluster_config()
    environ.update(_dask_environ(quiet))
    config = {"distributed.nanny.pre-spawn-environ": environ, **quiet}
    with dask.config.set(config), _workers_ignore_sigint():
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
        Series per Dask task (default: about 8 tasks per worker thread, at most 256; then the
        last tasks of a run of known length are smaller, :data:`TAIL_ROUNDS`).
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
    _check_batch_options(dy, estimate_options, chunk_size=chunk_size, output=output,
                         resume=resume, retry_errors=retry_errors)
    options = dict(method=method, n_components=n_components, fmin=fmin, fmax=fmax,
                   oversampling=oversampling, detrend=detrend, fap_threshold=fap_threshold,
                   harmonics=harmonics, **estimate_options)
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
    return _write_all(writer, lock, run, output=output, n_done=len(done))


def _check_batch_options(dy, estimate_options, *, chunk_size, output, resume, retry_errors) -> None:
    """The options :func:`estimate_many` refuses before anything is read."""
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
    if chunk_size is not None and chunk_size < 1:
        raise InputError(f"chunk_size must be >= 1, got {chunk_size}")
    if output is None and resume:
        raise InputError("resume needs an output file to resume")
    if retry_errors and not resume:
        raise InputError("retry_errors (--retry-failed) needs resume=True (--resume)")


_NO_SERIES = object()


def _write_all(writer, lock, run: dict, *, output, n_done: int) -> BatchSummary:
    """Every row of ``run`` written to ``writer`` as tasks complete, the output discarded when
    every series failed, the lock released; the :class:`BatchSummary`."""
    t0 = _now()
    n_rows = 0
    # ids are unique (_unique_ids) and a series' rows come together (run_chunk): series are
    # counted where the id changes, not kept in a set (a million ids would cost ~100 MB)
    n_seen = n_failed = 0
    last: Any = _NO_SERIES
    first_error = None
    discarded = False
    try:
        for row in _generate(writer=writer, **run):
            n_rows += 1
            if row["series"] != last:
                last = row["series"]
                n_seen += 1
                if row["error"]:  # a failed series has its one error row
                    n_failed += 1
                    if first_error is None:
                        sid, err = str(row["series"]), str(row["error"])
                        first_error = err if err.startswith(sid) else f"{sid}: {err}"
        writer.close()
        if n_seen and n_failed == n_seen and writer.created:
            writer.discard()  # every series failed: a file of errors would only block the retry
            discarded = True
    finally:
        writer.close()
        lock.release()
    return BatchSummary(os.fspath(output), n_seen, n_failed, n_done, n_rows,
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

        # a run of known length with the default size: its last chunks shrink (_tail_pieces)
        remaining = n_items if chunk_size is None else None
        for whole, whole_ids in _chunks(items, size, window=size * max(1, n_threads) * 4):
            for chunk, ids in _tail_pieces(whole, whole_ids, remaining, n_threads):
                while ac.count() >= max_in_flight:
                    yield from collect(next(ac))
                fut = c.submit(run_chunk, chunk, options, pure=False)
                ids_of[fut.key] = ids
                ac.add(fut)
                if remaining is not None:
                    remaining -= len(ids)
        for fut in ac:
            yield from collect(fut)
        bar.close()
    finally:
        close()


__all__ = [
    "COLUMNS",
    "BatchSummary",
    "FileRef",
    "OutputLock",
    "SeriesItem",
    "error_row",
    "estimate_many",
    "expand_paths",
    "is_transient",
    "local_cluster",
    "open_writer",
    "options_text",
    "read_long_table",
    "read_rows",
    "result_rows",
    "run_chunk",
]
