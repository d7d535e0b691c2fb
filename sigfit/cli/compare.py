"""``sigfit compare``: random vs spectral initialisation of the torch baselines, and the task's
replacement, over several seeds. torch is imported only when the command runs."""

from __future__ import annotations

import os

import click

from ..errors import InputError
from ..samples import parse_bases
from ._extras import require_torch
from .train import MODEL_NAMES, TASK_NAMES, prepare_out_dir

OUTPUT_FILES = ("results.json", "loss_vs_step.png", "accuracy_vs_step.png", "periodogram.png",
                "landscape_periodogram.png")


@click.command("compare")
@click.argument("task", type=click.Choice(TASK_NAMES))
@click.option("--models", default=None,
              help="Comma-separated model families (default: all of "
                   f"{','.join(MODEL_NAMES)}; sin only on the sine). The replacement and the harmonic "
                   "regression always run.")
@click.option("--seeds", type=click.IntRange(min=1), default=3, show_default=True,
              help="Seeds 0..N-1: each seeds the init, the training stream and the estimate batch.")
@click.option("--steps", type=click.IntRange(min=1), default=100, show_default=True,
              help="Optimiser steps per run: the unit of every table.")
@click.option("--budget", type=click.FloatRange(min=0, min_open=True), default=None,
              help="Cap in wall-clock seconds per run (the steps run are reported, and the wall time beside).")
@click.option("--estimate-samples", type=click.IntRange(min=16), default=None,
              help="Training samples the estimate is made from (default 1024 sine, 4096 clock).")
@click.option("--bases", default=None, help="clock: digit bases, least significant first (default 60,60,24).")
@click.option("--years", type=click.FloatRange(min=0, min_open=True), default=None,
              help="clock: span of the instants (default 120).")
@click.option("--eval-size", type=click.IntRange(min=1), default=None,
              help="Held-out set size (default 10,000 sine points, 100,000 clock instants).")
@click.option("--dtype", type=click.Choice(["float32", "float64"]), default="float64", show_default=True,
              help="Model precision (float64: a float32 Sin cannot represent MSE 1e-10 at R = 1000).")
@click.option("--batch", type=click.IntRange(min=1), default=None, help="Batch size (default: the task's).")
@click.option("--sweep", is_flag=True,
              help="Train at lr x 0.1, 1, 10 and (random init) each value of the family's bandwidth knob "
                   "(SIREN w0, Fourier sigma, Snake a, NeRF levels, FAN W_p scale, Hayes samples); pick the "
                   "best on a validation split, report it on the held-out set.")
@click.option("--hidden", type=click.IntRange(min=1), default=128, show_default=True, help="MLP width.")
@click.option("--depth", type=click.IntRange(min=1), default=3, show_default=True, help="MLP depth.")
@click.option("--features", type=click.IntRange(min=1), default=128, show_default=True,
              help="Fourier features / Hayes oscillators.")
@click.option("--threshold", type=float, default=None,
              help="steps_to_threshold: held-out MSE below (sine, default 1e-10) or accuracy at least "
                   "(clock, default 0.999).")
@click.option("--out", "out", required=True, type=click.Path(), help="Output folder.")
@click.option("--overwrite", is_flag=True, help="Replace the results in an existing --out folder.")
@click.option("--no-plots", is_flag=True, help="Skip the figures.")
@click.pass_context
def compare(ctx, task, models, seeds, steps, budget, estimate_samples, bases, years, eval_size, dtype,
            batch, sweep, hidden, depth, features, threshold, out, overwrite, no_plots):
    """Compare random and spectral initialisation (and the replacement) on TASK.

    TASK is the seed's sine, y = sin(31 x), or its clock (integer seconds since T0, the clock's
    zero, to the digits h:m:s). Prints a table (final and best values, medians over seeds)
    and writes results.json and the figures to --out.

    \b
    Examples:
      sigfit compare sine --seeds 10 --steps 100 --sweep --out runs/cmp-sine
      sigfit compare clock --models fourier --seeds 3 --steps 1000 --out runs/cmp-clock
    """
    if models is None:
        names = MODEL_NAMES if task == "sine" else tuple(m for m in MODEL_NAMES if m != "sin")
    else:
        names = tuple(m.strip() for m in models.split(",") if m.strip())
        bad = [m for m in names if m not in MODEL_NAMES]
        if bad or not names:
            raise click.BadParameter(f"unknown model(s) {', '.join(bad) or '(none)'}; choose from "
                                     f"{', '.join(MODEL_NAMES)}", param_hint="--models")
        if task == "clock" and "sin" in names:
            raise click.BadParameter("sin fits only the sine task", param_hint="--models")
    if task == "sine" and (bases is not None or years is not None):
        raise click.UsageError("--bases and --years apply to the clock task only")
    kwargs = {}
    if task == "clock":
        try:
            kwargs["bases"] = parse_bases(bases or "60,60,24")
        except InputError as e:
            raise click.BadParameter(str(e), param_hint="--bases") from None
        if years is not None:
            kwargs["years"] = years

    bc = require_torch("compare", "compare")
    CompareConfig, format_table, make_compare_task, plot_comparison, run_comparison = (
        bc.CompareConfig, bc.format_table, bc.make_compare_task, bc.plot_comparison,
        bc.run_comparison)

    the_task = make_compare_task(task, eval_size=eval_size, **kwargs)
    cfg = CompareConfig(task=task, models=names, seeds=seeds, steps=steps, budget=budget,
                        estimate_samples=estimate_samples, dtype=dtype, batch=batch, sweep=sweep,
                        threshold=threshold, hidden=hidden, depth=depth, n_features=features)
    prepare_out_dir(out, overwrite, files=OUTPUT_FILES)
    cmp = run_comparison(cfg, the_task, out, log=lambda s: click.echo(s, err=True))
    click.echo(format_table(cmp))
    if not no_plots and cmp.runs:
        for p in plot_comparison(cmp, out):
            click.echo(f"figure written to {p}", err=True)
    click.echo(f"results in {os.path.join(out, 'results.json')}", err=True)
    if cmp.status == "interrupted":
        click.echo(f"interrupted; the {len(cmp.runs)} finished runs are kept", err=True)
        ctx.exit(130)
