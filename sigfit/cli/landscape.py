"""``sigfit landscape``: the seed's plots of the Sin loss and its gradient, with the theory."""

from __future__ import annotations

import json
import sys

import click

from ._extras import require_torch
from ._options import _check_plot


@click.command("landscape")
@click.option("--omega", type=click.FloatRange(min=0, min_open=True), default=31.0, show_default=True,
              help="Target angular frequency, rad per unit of x (the seed's sin(31 x)).")
@click.option("--range", "range_", type=click.FloatRange(min=0, min_open=True), default=1000.0,
              show_default=True, help="x ~ U(-R, R).")
@click.option("--batch", type=click.IntRange(min=1), default=100_000, show_default=True,
              help="Points in the one batch the landscape is measured on.")
@click.option("--seed", type=int, default=0, show_default=True,
              help="Random seed of the batch's x (same seed, same landscape).")
@click.option("--points", type=click.IntRange(min=3), default=2001, show_default=True,
              help="Values of freq (rad per unit of x) on [0, 2*omega].")
@click.option("--zoom-points", type=click.IntRange(min=3), default=801, show_default=True,
              help="Values of freq (rad per unit of x) on omega +- 20/R.")
@click.option("-o", "--output", "output", required=True, type=click.Path(dir_okay=False),
              callback=_check_plot, help="Figure file (.png, .svg or .pdf).")
@click.option("--json", "as_json", is_flag=True, help="Print the measured basin as JSON on stdout.")
def landscape(omega, range_, batch, seed, points, zoom_points, output, as_json):
    """Plot the seed's loss landscape: why gradient descent cannot find sin(31 x).

    Draws the MSE loss of the one-parameter model Sin, y = sin(freq*x), and d(loss)/d(freq) on
    one large batch, for freq (rad per unit of x) over [0, 2*omega] and zoomed to omega +- 20/R,
    with the exact expectation and the seed's 1 - sin(dR)/(dR) overlaid, and prints the basin
    half-width measured from the gradient's sign changes (theory: 4.4934/R) and the SGD
    stability limit.

    \b
    Examples:
      sigfit landscape -o landscape.png                    # omega 31, R 1000
      sigfit landscape --omega 5 --range 100 -o l.svg --json
    """
    ls = require_torch("landscape", "landscape")

    result = ls.sin_landscape(omega, range_, batch=batch, seed=seed, points=points,
                          zoom_points=zoom_points, progress=sys.stderr.isatty())
    ls.plot_landscape(result, output)
    if as_json:
        click.echo(json.dumps({**result.to_dict(), "figure": output}, indent=2))
        return
    click.echo(f"basin half-width: measured {result.half_width:.6g} = {result.half_width * range_:.4f}/R "
               f"(left {result.half_width_left:.6g}, right {result.half_width_right:.6g}); "
               f"theory {ls.BASIN_ROOT:.4f}/R = {result.theory_half_width:.6g}")
    click.echo(f"SGD stability limit at the optimum: lr < {ls.stable_lr(range_):.3g} "
               f"(full batch, 6/R^2), {ls.stable_lr(range_, batch=32):.3g} at batch 32")
    click.echo(f"figure written to {output}", err=True)
