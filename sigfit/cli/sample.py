"""``sigfit sample``: write the seed's task data (the sine and the clock) to a file.

Defaults come from :mod:`sigfit.samples` (the only module that knows the tasks' true periods).
"""

from __future__ import annotations

import click

from .. import samples
from ..io import write_columns
from ._options import default_of, output_option, seed_option


@click.group()
def sample():
    """Write the seed's task data to a file (CSV, TSV, .npy or .npz)."""


@sample.command()
@click.option(
    "--n",
    "n",
    type=click.IntRange(min=1),
    default=default_of(samples.sine, "n"),
    show_default=True,
    help="Number of samples.",
)
@click.option(
    "--omega",
    type=float,
    default=default_of(samples.sine, "omega"),
    show_default=True,
    help="Angular frequency, rad per unit of x.",
)
@click.option(
    "--range",
    "range_",
    type=click.FloatRange(min=0, min_open=True),
    default=default_of(samples.sine, "range_"),
    show_default=True,
    help="x is drawn uniformly from [-RANGE, RANGE].",
)
@click.option(
    "--amplitude", type=float, default=default_of(samples.sine, "amplitude"), show_default=True
)
@click.option(
    "--phase",
    type=float,
    default=default_of(samples.sine, "phase"),
    show_default=True,
    help="Phase in radians: y = amplitude*sin(omega*x + phase).",
)
@click.option(
    "--noise",
    type=click.FloatRange(min=0),
    default=default_of(samples.sine, "noise"),
    show_default=True,
    help="Standard deviation of the Gaussian noise added to y.",
)
@seed_option
@output_option
def sine(n, omega, range_, amplitude, phase, noise, seed, output):
    """The seed's sine task: columns x, y with x uniform in [-RANGE, RANGE] and
    y = AMPLITUDE*sin(OMEGA*x + PHASE) + N(0, NOISE^2)."""
    x, y = samples.sine(n, omega, range_, amplitude=amplitude, phase=phase, noise=noise, seed=seed)
    write_columns(output, {"x": x, "y": y})
    if output != "-":
        click.echo(f"wrote {n} samples (x, y) to {output}", err=True)


def _bases(ctx, param, value):
    try:
        return samples.parse_bases(value)
    except ValueError as e:
        raise click.BadParameter(str(e)) from None


@sample.command()
@click.option(
    "--n",
    "n",
    type=click.IntRange(min=1),
    default=default_of(samples.clock, "n"),
    show_default=True,
    help="Number of random instants.",
)
@click.option(
    "--years",
    type=click.FloatRange(min=0, min_open=True),
    default=default_of(samples.clock, "years"),
    show_default=True,
    help="Instants are drawn from [0, YEARS x 365.25 days) in whole seconds.",
)
@click.option(
    "--bases",
    default=",".join(map(str, samples.CLOCK_BASES)),
    show_default=True,
    callback=_bases,
    help="Digit bases, least significant first (seconds, minutes, hours for three digits).",
)
@seed_option
@output_option
def clock(n, years, bases, seed, output):
    """The seed's clock task: column t (int64 seconds since T0) and the digits a clock with
    these bases shows at t (hours, minutes, seconds for three bases; d2, d1, d0, ... otherwise)."""
    s = samples.clock(n, years, bases, seed=seed)
    columns = {"t": s.t}
    columns.update({name: s.digits[:, k] for k, name in enumerate(s.names)})
    write_columns(output, columns)
    if output != "-":
        click.echo(f"wrote {n} instants ({', '.join(columns)}) to {output}", err=True)
