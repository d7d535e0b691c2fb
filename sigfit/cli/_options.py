"""Options several commands share, defined once (the click tools' habit: datasette, black).

Use them as decorators: ``@output_option``, ``@seed_option``, ``@json_option``,
``@plot_option``, ``@columns_options`` (-t/-y) and ``@estimation_options`` (the knobs of
:func:`sigfit.estimate`; :func:`estimate_kwargs` turns the parsed values back into its keywords).
"""

from __future__ import annotations

import inspect
import math
import os

import click

from ..io import OUTPUT_FORMATS

PLOT_FORMATS = (".png", ".svg", ".pdf")


def default_of(func, name: str):
    """The default of parameter ``name`` of ``func``: CLI defaults come from the library's
    signature, so they cannot drift from it (and no number is written twice)."""
    return inspect.signature(func).parameters[name].default


def compose(*decorators):
    """Apply several option decorators as one (first listed = first in --help)."""

    def apply(f):
        for d in reversed(decorators):
            f = d(f)
        return f

    return apply


def _check_output(ctx, param, value):
    if value is None or value == "-":
        return value
    suffix = os.path.splitext(value)[1].lower()
    if suffix not in OUTPUT_FORMATS:
        raise click.BadParameter(
            f"unknown format {suffix or '(no suffix)'!r}; use {', '.join(OUTPUT_FORMATS)} or - for stdout"
        )
    return value


def _check_plot(ctx, param, value):
    if value is None:
        return value
    suffix = os.path.splitext(value)[1].lower()
    if suffix not in PLOT_FORMATS:
        raise click.BadParameter(
            f"unknown figure format {suffix or '(no suffix)'!r}; use {', '.join(PLOT_FORMATS)}"
        )
    directory = os.path.dirname(os.path.abspath(value))
    if not os.path.isdir(directory):
        raise click.BadParameter(f"directory {directory} does not exist")
    return value


class Finite(click.FloatRange):
    """A float that must be finite (click's FLOAT and FloatRange let nan and inf through:
    ``nan < 0`` is False), optionally within a range."""

    name = "float"

    def convert(self, value, param, ctx):
        x = super().convert(value, param, ctx)
        if not math.isfinite(x):
            self.fail(f"{value!r} is not a finite number", param, ctx)
        return x


FINITE = Finite()


output_option = click.option(
    "-o",
    "--output",
    required=True,
    metavar="FILE",
    callback=_check_output,
    help=f"Where to write ({', '.join(OUTPUT_FORMATS)} by suffix; - for CSV on stdout). "
    "Written whole or not at all.",
)

seed_option = click.option(
    "--seed", type=int, default=0, show_default=True, help="Random seed (same seed, same data)."
)

json_option = click.option(
    "--json", "as_json", is_flag=True, help="Print one JSON document on stdout instead of a table."
)

plot_option = click.option(
    "--plot",
    metavar="FILE",
    callback=_check_plot,
    help=f"Also draw a figure ({', '.join(PLOT_FORMATS)} by suffix).",
)

columns_options = compose(
    click.option(
        "-t",
        "--time",
        "time_column",
        metavar="COLUMN",
        help="Time column: name or 0-based index (default: the first column). Numbers, or "
        "ISO-8601 date-times (then seconds since the earliest).",
    ),
    click.option(
        "-y",
        "--value",
        "value_columns",
        metavar="COLUMN",
        multiple=True,
        help="Value column; repeat for several (default: every other numeric column). Each is "
        "estimated on its own.",
    ),
)


class Detrend(click.ParamType):
    """``auto``, ``none``, ``linear`` or a polynomial degree N >= 0."""

    name = "auto|none|linear|N"

    def convert(self, value, param, ctx):
        if value is None or isinstance(value, int):
            return value
        text = str(value).strip().lower()
        if text in ("auto", "none", "linear"):
            return text
        try:
            degree = int(text)
        except ValueError:
            self.fail(f"{value!r} is not auto, none, linear or a polynomial degree", param, ctx)
        if degree < 0:
            self.fail(f"degree must be >= 0, got {degree}", param, ctx)
        return degree


class Harmonics(click.ParamType):
    """``auto`` or a number of harmonics N >= 1 (1: pure sinusoids)."""

    name = "auto|N"

    def convert(self, value, param, ctx):
        if value is None or isinstance(value, int):
            return value
        text = str(value).strip().lower()
        if text == "auto":
            return text
        try:
            n = int(text)
        except ValueError:
            self.fail(f"{value!r} is not auto or a number of harmonics", param, ctx)
        if n < 1:
            self.fail(f"the number of harmonics must be >= 1, got {n}", param, ctx)
        return n


def _estimate_function():
    from ..estimate import estimate

    return estimate


def method_names() -> list[str]:
    """The methods :func:`sigfit.estimate` accepts, read from the library's own dispatch table
    (never pasted here, so the CLI cannot drift from it)."""
    from ..periodograms import METHOD_CHOICES

    return list(METHOD_CHOICES)


def estimation_options(f):
    """The knobs of :func:`sigfit.estimate`, with its defaults (read from its signature)."""
    fit = _estimate_function()
    return compose(
        click.option(
            "--method",
            type=click.Choice(method_names()),
            default=default_of(fit, "method"),
            show_default=True,
            help="How peaks are found: fft (evenly spaced samples), lombscargle (any "
            "sampling), wavelet (the time-averaged wavelet spectrum; also reports the strongest "
            "ridge and whether the frequency drifts), or auto (fft or lombscargle, from the "
            "sampling). The peaks are then refined by least squares in every case.",
        ),
        click.option(
            "-k",
            "--components",
            "n_components",
            type=click.IntRange(min=1),
            default=default_of(fit, "n_components"),
            show_default=True,
            help="Number of periodic components to fit (strongest first).",
        ),
        click.option(
            "--fmin",
            type=Finite(min=0),
            help="Lowest frequency searched, cycles per unit of time (Hz for date-times).",
        ),
        click.option(
            "--fmax",
            type=Finite(min=0, min_open=True),
            help="Highest frequency searched, cycles per unit of time (default: automatic).",
        ),
        click.option(
            "--oversampling",
            type=Finite(min=1),
            default=default_of(fit, "oversampling"),
            show_default=True,
            help="Frequency grid points per 1/span.",
        ),
        click.option(
            "--fap-threshold",
            type=Finite(min=0, max=1, min_open=True, max_open=True),
            default=default_of(fit, "fap_threshold"),
            show_default=True,
            help="A period is significant when its false-alarm probability is at most this.",
        ),
        click.option(
            "--harmonics",
            type=Harmonics(),
            default=default_of(fit, "harmonics"),
            show_default=True,
            help="Harmonics per periodic component: auto (fundamental identified, count by BIC), "
            "1 (pure sinusoids) or N.",
        ),
        click.option(
            "--detrend",
            type=Detrend(),
            default="auto",
            show_default=True,
            help="Trend fitted with the periodic model: auto (degree 0-3 chosen by BIC with the "
            "periodic model, reported), none, linear or a polynomial degree N.",
        ),
    )(f)


ESTIMATE_KEYWORDS = (
    "method",
    "n_components",
    "fmin",
    "fmax",
    "oversampling",
    "fap_threshold",
    "detrend",
    "harmonics",
)


def estimate_kwargs(options: dict) -> dict:
    """The keyword arguments of :func:`sigfit.estimate` among the parsed ``options`` (None means
    "the library's default" and is left out)."""
    return {k: options[k] for k in ESTIMATE_KEYWORDS if options.get(k) is not None}
