"""``sigfit estimate FILE``: periods, phases and amplitudes of every value column in a table.

A thin layer over :func:`sigfit.estimate`: read (``sigfit.io``), estimate each column on its own,
print a table or one JSON document, optionally draw the figure (``sigfit.plot``).
"""

from __future__ import annotations

import json
import sys
import warnings

import click

from ..errors import InputError, SigfitWarning
from ..io import load
from ..render import format_result, signal_record
from ._batch import batch_options
from ._options import columns_options, estimate_kwargs, estimation_options, json_option, plot_option


@click.command()
@click.argument("files", metavar="FILE...", nargs=-1, required=True)
@columns_options
@estimation_options
@json_option
@plot_option
@batch_options
def estimate(files, time_column, value_columns, as_json, plot, **options):
    """Find the periods, phases and amplitudes in FILE.

    FILE is CSV/TSV with a header (delimiter sniffed), a 2-D .npy (time in the first column), a
    .npz of named 1-D arrays, or - for stdin. Rows with a missing, NaN or inf time or value are
    dropped with a warning. Frequencies are in cycles per unit of time (Hz for date-times).

    \b
    Examples:
      sigfit sample sine --noise 0.1 -o sine.csv
      sigfit estimate sine.csv
      sigfit estimate temperatures.csv -t date -y station1 --detrend linear --json
      sigfit estimate data.npz --components 2 --plot fit.png

    Several files, a folder, a glob, --series or -o switch to batch mode (on Dask): one row per
    (series, component), to -o FILE (.csv/.tsv/.parquet) or as CSV on stdout.

    \b
      sigfit estimate curves/ -o periods.parquet --workers 8
      sigfit estimate survey.csv --series star -t mjd -y mag -o periods.csv --resume
    """
    from . import _batch

    if _batch.wants_batch(files, options):
        return _batch.run(files, time_column, value_columns, as_json, plot, options)
    file = files[0]
    from ..estimate import estimate as estimate_series  # the library entry point

    kwargs = estimate_kwargs(options)
    with warnings.catch_warnings():
        # every dropped-rows note is shown, not only the first of its kind in this process
        warnings.simplefilter("always", SigfitWarning)
        data = load(file, time_column, value_columns or None)
        names = data.value_names
        records, panels, failures = [], [], []
        for name in _progress(names):
            try:
                series = data.series(name)
            except InputError as e:
                failures.append((name, str(e)))
                continue
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always", SigfitWarning)
                try:
                    result = estimate_series(series.t, series.y, **kwargs)
                except InputError as e:
                    failures.append((name, f"{data.source}: column {name!r}: {e}"))
                    continue
            notes = []
            for w in caught:
                notes.append(str(w.message))
            notes += [w for w in result.warnings if w not in notes]
            for note in notes:
                click.echo(f"warning: {name}: {note}", err=True)
            records.append(
                signal_record(name, result, data.time, extra_warnings=series.warnings + notes)
            )
            panels.append((name, series, result))

    for _name, message in failures:
        if len(failures) > 1 or records:
            click.echo(f"error: {message}", err=True)
    if not records:
        if len(failures) == 1:
            raise InputError(failures[0][1])
        click.get_current_context().exit(1)

    if as_json:
        document = {"source": data.source, "signals": records}
        document["signals"] += [{"name": n, "error": m} for n, m in failures]
        click.echo(json.dumps(document, indent=2, allow_nan=False))
    else:
        click.echo(
            "\n\n".join(format_result(name, result, data.time) for name, _, result in panels)
        )

    if plot:
        from ..plot import estimate_figure, save_figure

        fig = estimate_figure(
            [(name, s.t, s.y, r) for name, s, r in panels],
            time_unit=data.time.unit,
            epoch=data.time.epoch,
        )
        save_figure(fig, plot)
        click.echo(f"figure written to {plot}", err=True)
    if failures:
        click.get_current_context().exit(1)


def _progress(names):
    if len(names) < 2:
        return names
    from tqdm import tqdm

    return tqdm(names, desc="signals", unit="signal", file=sys.stderr, disable=None, leave=False)
