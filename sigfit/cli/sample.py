"""``sigfit sample``: write the seed's task data (the sine and the clock) to a file.

Defaults come from :mod:`sigfit.samples` (the only module that knows the tasks' true periods).
"""

from __future__ import annotations

import click

from .. import samples
from ..errors import InputError
from ..io import input_limit, write_columns
from ._options import FINITE, Finite, default_of, output_option, seed_option

force_option = click.option(
    "--force", is_flag=True, help="Replace -o FILE if it exists (by default an existing file is kept)."
)


def _check_target(output: str, force: bool, n: int, n_columns: int) -> None:
    """Refuse, before drawing anything, to replace an existing file without --force, or to make
    more samples than memory allows."""
    import os

    if output != "-" and os.path.exists(output) and not force:
        raise InputError(f"{output} exists: pass --force to replace it, or choose another name")
    need = 8 * n * (n_columns + 2)  # float64/int64 columns, and the draws behind them
    if need > input_limit():
        raise InputError(
            f"--n {n:,} makes {need / 2**30:.3g} GiB of samples, over the limit of "
            f"{input_limit() / 2**30:.3g} GiB: ask for fewer samples, or raise "
            "SIGFIT_MAX_INPUT_BYTES"
        )


@click.group()
def sample():
    """Write the seed's task data (the sine or the clock) to a file.

    The file is CSV, TSV, .npy or .npz by the suffix of -o, or CSV on stdout for -o -.

    \b
    Examples:
      sigfit sample sine --noise 0.1 -o sine.csv       # x, y = sin(31 x) + N(0, 0.1^2)
      sigfit sample sine --n 1000 --omega 5 -o s.npz
      sigfit sample clock --n 100000 -o clock.csv      # t, hours, minutes, seconds
      sigfit sample clock --bases 7,13,5 -o - | head
    """


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
    type=FINITE,
    default=default_of(samples.sine, "omega"),
    show_default=True,
    help="Angular frequency, rad per unit of x.",
)
@click.option(
    "--range",
    "range_",
    type=Finite(min=0, min_open=True),
    default=default_of(samples.sine, "range_"),
    show_default=True,
    help="x is drawn uniformly from [-RANGE, RANGE].",
)
@click.option(
    "--amplitude",
    type=FINITE,
    default=default_of(samples.sine, "amplitude"),
    show_default=True,
    help="Amplitude of the sine: y = amplitude*sin(omega*x + phase).",
)
@click.option(
    "--phase",
    type=FINITE,
    default=default_of(samples.sine, "phase"),
    show_default=True,
    help="Phase in radians: y = amplitude*sin(omega*x + phase).",
)
@click.option(
    "--noise",
    type=Finite(min=0),
    default=default_of(samples.sine, "noise"),
    show_default=True,
    help="Standard deviation of the Gaussian noise added to y.",
)
@seed_option
@output_option
@force_option
def sine(n, omega, range_, amplitude, phase, noise, seed, output, force):
    """The seed's sine task: columns x and y = AMPLITUDE*sin(OMEGA*x + PHASE) + noise.

    x is drawn uniformly from [-RANGE, RANGE]; the noise is N(0, NOISE^2).

    \b
    Examples:
      sigfit sample sine --noise 0.1 -o sine.csv
      sigfit sample sine --n 1000 --omega 5 --phase 0.5 -o - | sigfit estimate -
    """
    _check_target(output, force, n, 2)
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
    type=Finite(min=0, min_open=True),
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
@force_option
def clock(n, years, bases, seed, output, force):
    """The seed's clock task: integer seconds t and the digits a clock shows at t.

    Column t holds int64 seconds since T0, the clock's zero (00:00:00 at t = 0), drawn
    uniformly over YEARS; the other columns are the digits a clock with these bases shows at t
    (hours, minutes, seconds for three bases; d2, d1, d0, ... otherwise).

    \b
    Examples:
      sigfit sample clock -o clock.csv                   # 100,000 instants over 120 years
      sigfit sample clock --bases 7,13,5 --n 5000 -o clock7.npz
    """
    _check_target(output, force, n, 1 + len(bases))
    s = samples.clock(n, years, bases, seed=seed)
    columns = {"t": s.t}
    columns.update({name: s.digits[:, k] for k, name in enumerate(s.names)})
    write_columns(output, columns)
    if output != "-":
        click.echo(f"wrote {n} instants ({', '.join(columns)}) to {output}", err=True)
