"""``sigfit scalogram``: the wavelet time-frequency map of one or more columns, as a figure.

Time runs across, period (or frequency) up a log axis; the cone of influence is hatched, the
regions significant against the noise background are outlined and the ridges drawn on top. The
ridges are also printed (a table, or ``--json``). Defaults come from
:func:`sigfit.wavelet.scalogram`'s signature.
"""

from __future__ import annotations

import json
import math

import click

from .. import wavelet
from ..io import load
from ..render import format_duration
from ._options import _check_plot, columns_options, default_of, json_option


@click.command()
@click.argument("file", metavar="FILE")
@columns_options
@click.option(
    "-o",
    "--output",
    required=True,
    metavar="FIGURE",
    callback=_check_plot,
    help="Where to draw the map (.png, .svg or .pdf by suffix). Written whole or not at all.",
)
@click.option("--fmin", type=click.FloatRange(min=0, min_open=True), help="Lowest frequency, cycles per unit of t (default: a quarter of the record per wavelet e-folding time).")
@click.option("--fmax", type=click.FloatRange(min=0, min_open=True), help="Highest frequency (default: Nyquist, or 1/(2 mean spacing) for irregular samples).")
@click.option(
    "--method",
    type=click.Choice(wavelet.METHODS),
    default=default_of(wavelet.scalogram, "method"),
    show_default=True,
    help="cwt (uniform samples), wwz (any sampling, Foster 1996) or auto.",
)
@click.option(
    "--bandwidth",
    type=click.FloatRange(min=0, min_open=True),
    default=default_of(wavelet.scalogram, "bandwidth"),
    show_default=True,
    help="Morlet bandwidth B (larger: sharper in frequency, blurrier in time).",
)
@click.option(
    "--center-frequency",
    type=click.FloatRange(min=0, min_open=True),
    default=default_of(wavelet.scalogram, "center_frequency"),
    show_default=True,
    help="Morlet centre frequency C.",
)
@click.option(
    "--voices",
    type=click.IntRange(min=1),
    default=default_of(wavelet.scalogram, "voices_per_octave"),
    show_default=True,
    help="Frequencies per octave.",
)
@click.option(
    "--background",
    type=click.Choice(wavelet.BACKGROUNDS),
    default=default_of(wavelet.scalogram, "background"),
    show_default=True,
    help="Noise model of the significance contours: AR(1) red noise or white.",
)
@click.option(
    "--level",
    type=click.FloatRange(min=0, max=1, min_open=True, max_open=True),
    default=default_of(wavelet.scalogram, "significance_level"),
    show_default=True,
    help="Confidence of the significance contours.",
)
@click.option(
    "--axis",
    type=click.Choice(["period", "frequency"]),
    default="period",
    show_default=True,
    help="What the vertical axis shows.",
)
@json_option
def scalogram(file, time_column, value_columns, output, fmin, fmax, method, bandwidth,
              center_frequency, voices, background, level, axis, as_json):
    """Draw the wavelet scalogram of FILE and list its ridges: which period, from when to when.

    FILE is CSV/TSV with a header, a 2-D .npy, a .npz of named arrays, or - for stdin. Evenly
    spaced samples get the continuous wavelet transform (complex Morlet), irregular ones the
    weighted wavelet Z-transform; nothing is resampled.

    \b
    Examples:
      sigfit scalogram drift.csv -o drift.png
      sigfit scalogram drift.csv -o drift.svg --axis frequency --background white
      sigfit scalogram stars.csv -t mjd -y mag --fmin 0.01 --fmax 5 -o star.png --json
    """
    from ..plot import save_figure, scalogram_figure

    data = load(file, time_column, list(value_columns) or None)
    panels, records = [], []
    for name in data.value_names:
        s = data.series(name)
        sc = wavelet.scalogram(
            s.t, s.y, fmin=fmin, fmax=fmax, method=method, bandwidth=bandwidth,
            center_frequency=center_frequency, voices_per_octave=voices,
            background=background, significance_level=level,
        )
        rdg = wavelet.ridges(sc)
        panels.append((name, s.t, s.y, sc, rdg))
        records.append(_record(name, sc, rdg, s.warnings))
    fig = scalogram_figure(panels, axis=axis, time_unit=data.time.unit, epoch=data.time.epoch)
    save_figure(fig, output)
    if as_json:
        click.echo(json.dumps({"figure": output, "signals": records}, allow_nan=False))
    else:
        for rec in records:
            click.echo(_table(rec, data.time.is_datetime))
        click.echo(f"figure written to {output}", err=True)


def _record(name, sc, rdg, notes) -> dict:
    d = {"name": name, **sc.to_dict()}
    d["ridges"] = [
        {
            "start": r.start,
            "stop": r.stop,
            "mean_frequency": r.mean_frequency,
            "mean_period": 1.0 / r.mean_frequency,
            # the ends' frequencies from the points outside the cone of influence
            "start_frequency": float(r.reliable().frequency[0]),
            "stop_frequency": float(r.reliable().frequency[-1]),
            "mean_amplitude": float(r.amplitude.mean()),
            "energy": r.energy,
        }
        for r in rdg
    ]
    d["warnings"] = list(notes)
    return d


def _table(rec, is_dt: bool) -> str:
    lines = [
        f"{rec['name']}: {rec['n_samples']} samples, {rec['method']} with {rec['wavelet']}, "
        f"{rec['background']} noise (AR1 {rec['ar1']:.3f})"
    ]
    if not rec["ridges"]:
        lines.append(f"  no ridge above the {100 * rec['significance_level']:g}% noise level")
        return "\n".join(lines)

    def when(x):
        return format_duration(x) if is_dt else f"{x:.6g}"

    # period and frequency: power-weighted means; start -> stop: the frequency at each end
    header = ["#", "period", "frequency", "start -> stop", "from", "to", "amplitude"]
    rows = []
    for k, r in enumerate(rec["ridges"], start=1):
        period = r["mean_period"]
        rows.append([
            str(k),
            format_duration(period) if is_dt else f"{period:.6g}",
            f"{r['mean_frequency']:.6g}",
            f"{r['start_frequency']:.4g} -> {r['stop_frequency']:.4g}",
            when(r["start"]),
            when(r["stop"]),
            f"{r['mean_amplitude']:.3g}" if math.isfinite(r["mean_amplitude"]) else "nan",
        ])
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    for r in [header, *rows]:
        lines.append("  " + "  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip())
    return "\n".join(lines)
