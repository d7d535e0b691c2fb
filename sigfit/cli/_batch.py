"""Batch mode of ``sigfit estimate``: many files, a folder or glob, or a long table (``--series``),
estimated on Dask by :func:`sigfit.estimate_many`, one row per (series, component).

``estimate`` hands over to :func:`run` when :func:`wants_batch` says so: several FILE arguments, a
folder, a glob pattern, ``--series``, ``-o``, or any of the Dask options. Rows go to ``-o`` (CSV,
TSV or Parquet) as tasks complete, or as CSV to stdout; ``--json`` prints one summary document.
"""

from __future__ import annotations

import glob
import json
import os
import sys

import click

from ._options import compose, estimate_kwargs

BATCH_SUFFIXES = (".csv", ".tsv", ".parquet")


def _check_output(ctx, param, value):
    if value is None:
        return value
    suffix = os.path.splitext(value)[1].lower()
    if suffix not in BATCH_SUFFIXES and suffix != ".pq":
        raise click.BadParameter(
            f"unknown format {suffix or '(no suffix)'!r} for batch results; use "
            f"{', '.join(BATCH_SUFFIXES)}"
        )
    directory = os.path.dirname(os.path.abspath(value))
    if not os.path.isdir(directory):
        raise click.BadParameter(f"directory {directory} does not exist")
    return value


batch_options = compose(
    click.option(
        "--series",
        "series_column",
        metavar="COLUMN",
        help="Long table: COLUMN names the series of each row (one row per sample); every "
        "series is estimated on its own. Batch mode.",
    ),
    click.option(
        "-o",
        "--output",
        "batch_output",
        metavar="FILE",
        callback=_check_output,
        help="Batch results, one row per (series, component), written as they complete: .csv, "
        ".tsv or .parquet (a folder of part files). Batch mode.",
    ),
    click.option(
        "--resume",
        is_flag=True,
        help="Continue an interrupted -o FILE: series already in it are skipped, series whose "
        "task failed (a worker died) run again. The options must be the file's.",
    ),
    click.option(
        "--retry-failed",
        is_flag=True,
        help="With --resume: run every failed series again, not only those whose task failed.",
    ),
    click.option(
        "--workers",
        type=click.IntRange(min=1),
        help="Workers of the local Dask cluster (default: one per core). Batch mode.",
    ),
    click.option(
        "--scheduler",
        metavar="ADDRESS",
        help="Run on an existing Dask cluster (e.g. tcp://host:8786); workers need sigfit and "
        "must see the files. Batch mode.",
    ),
    click.option(
        "--chunk-size",
        type=click.IntRange(min=1),
        help="Series per Dask task (default: about 8 tasks per worker, at most 256).",
    ),
)

BATCH_KEYS = ("series_column", "batch_output", "resume", "retry_failed", "workers", "scheduler",
              "chunk_size")


def wants_batch(files: tuple[str, ...], options: dict) -> bool:
    """True for several files, a folder, a glob pattern, or any batch option."""
    if len(files) != 1 or any(options.get(k) for k in BATCH_KEYS):
        return True
    f = files[0]
    return f != "-" and (os.path.isdir(f) or (not os.path.exists(f) and glob.has_magic(f)))


def run(files, time_column, value_columns, as_json, plot, options) -> None:
    """Estimate every series of ``files`` on Dask; see the module docstring."""
    from ..batch import estimate_many
    from ..errors import InputError

    if plot:
        raise click.UsageError("--plot draws one file's series; it is not available in batch mode")
    if options.get("resume") and not options.get("batch_output"):
        raise click.UsageError("--resume needs -o FILE: the output to continue")
    if options.get("retry_failed") and not options.get("resume"):
        raise click.UsageError("--retry-failed needs --resume (and -o FILE)")
    if options.get("workers") and options.get("scheduler"):
        raise click.UsageError("give --workers (local cluster) or --scheduler, not both")
    series = options.get("series_column")
    if series and len(value_columns) > 1:
        raise click.UsageError("with --series give at most one -y/--value column")
    if "-" in files and not series:
        raise click.UsageError("stdin (-) holds one table: use it with --series, or name files")

    output = options.get("batch_output")
    kwargs = estimate_kwargs(options)
    common = dict(
        **kwargs,
        series=series,
        time=time_column,
        value=value_columns[0] if (series and value_columns) else None,
        read_options=None if series else {"time": time_column, "values": list(value_columns)},
        output=output,
        resume=bool(options.get("resume")),
        retry_errors=bool(options.get("retry_failed")),
        scheduler=options.get("scheduler"),
        workers=options.get("workers"),
        chunk_size=options.get("chunk_size"),
        progress=sys.stderr.isatty(),  # a bar on a terminal; no carriage-return stream in logs
    )
    source = list(files)
    if output is not None:
        try:
            summary = estimate_many(source, **common)
        except KeyboardInterrupt:
            # rows of finished chunks are in the output; the workers are stopped. One line, and
            # no click "Aborted." after it
            from . import terminated

            click.echo(f"{'terminated' if terminated() else 'interrupted'}: the series finished "
                       f"so far are in {output}; rerun with --resume to continue", err=True)
            click.get_current_context().exit(143 if terminated() else 130)
        n_series, n_errors = summary.n_series, summary.n_errors
        doc = summary.to_dict()
        for note in summary.notes:
            click.echo(f"warning: {note}", err=True)
        if summary.discarded:
            raise InputError(
                f"every one of the {n_series} series failed, so nothing was written to {output} "
                f"(first: {summary.first_error})"
            )
        click.echo(
            f"{summary.n_series} series estimated ({summary.n_errors} failed, "
            f"{summary.n_skipped} already done), {summary.n_rows} rows written to {output} "
            f"in {summary.seconds:.1f} s",
            err=True,
        )
    else:
        doc = _rows_to_stdout(estimate_many(source, **common), as_json)
        n_series, n_errors = doc["n_series"], doc["n_errors"]
    if n_errors:
        click.echo(f"warning: {n_errors} of {n_series} series failed: see the error column",
                   err=True)
    if as_json:
        click.echo(json.dumps(doc, indent=2, allow_nan=False, default=_jsonable))
    if n_series and n_errors == n_series:
        raise InputError(f"every one of the {n_series} series failed: see the error column")


def _rows_to_stdout(rows_in, as_json: bool) -> dict:
    """The rows of a batch without ``-o``: written to stdout as CSV as they come, or kept for
    the JSON document; its counts. A series' rows come together (run_chunk), so series are
    counted where the id changes, as the file writer counts them, not kept in a set (~85 bytes
    an id on a long stream)."""
    from ..batch import COLUMNS

    rows, n_errors, n_series, last = [], 0, 0, object()
    writer = None
    if not as_json:
        import csv

        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow(COLUMNS)
    for row in rows_in:
        if row["series"] != last:
            last = row["series"]
            n_series += 1
        n_errors += bool(row["error"])
        if writer is not None:
            writer.writerow(["" if row[c] is None else _cell(row[c]) for c in COLUMNS])
            sys.stdout.flush()
        else:
            rows.append(row)
    return {"output": None, "n_series": n_series, "n_errors": n_errors, "rows": rows}


def _cell(v):
    if isinstance(v, (list, tuple)):
        return json.dumps(list(v))
    if isinstance(v, float):
        return repr(v)
    return v


def _jsonable(v):
    import numpy as np

    if isinstance(v, np.generic):
        return v.item()
    raise TypeError(f"{type(v).__name__} is not JSON serialisable")
