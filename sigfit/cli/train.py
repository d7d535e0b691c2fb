"""``sigfit train``: train a torch baseline on the sine or clock task. torch is imported only when
the command runs (never at ``import sigfit.cli``)."""

from __future__ import annotations

import os
import sys

import click

from ..errors import InputError, SigfitError
from ..samples import parse_bases
from ._extras import require_torch
from ._options import FINITE, Finite

# Written here because listing them from baselines.MODELS would import torch at `sigfit --help`;
# tests/test_baselines_cli.py checks both lists against the dispatch tables.
MODEL_NAMES = ("sin", "siren", "gelu", "snake", "fourier", "nerf", "fan", "hayes")
TASK_NAMES = ("sine", "clock")
OUTPUT_FILES = ("config.json", "log.jsonl", "summary.json")
SINE_ONLY = ("omega", "range_", "phase", "noise")
CLOCK_ONLY = ("years", "bases", "head")


def _given(ctx: click.Context, name: str) -> bool:
    src = ctx.get_parameter_source(name)
    return src is not None and src.name not in ("DEFAULT", "DEFAULT_MAP")


def prepare_out_dir(path: str, overwrite: bool, files=OUTPUT_FILES, param="--out") -> None:
    """Create ``path``; refuse an existing one unless ``overwrite`` (then only our files go)."""
    if os.path.exists(path):
        if not os.path.isdir(path):
            raise click.BadParameter(f"{path} exists and is not a folder", param_hint=param)
        if not overwrite:
            raise click.BadParameter(
                f"{path} already exists; pass --overwrite to replace its results, or choose a new folder",
                param_hint=param)
        for name in files:
            p = os.path.join(path, name)
            if os.path.exists(p):
                os.unlink(p)
    else:
        os.makedirs(path)


@click.command("train")
@click.argument("task", type=click.Choice(TASK_NAMES))
@click.option("--model", required=True, type=click.Choice(MODEL_NAMES),
              help="sin (the seed's one-parameter module), siren, gelu, snake, fourier (Fourier features), "
                   "nerf (positional encoding), fan (Fourier analysis network) or hayes (surrogate oscillators).")
@click.option("--steps", type=click.IntRange(min=1), default=None,
              help="Optimiser steps (default 1000 when no --budget).")
@click.option("--budget", type=Finite(min=0, min_open=True), default=None,
              help="Wall-clock seconds; with --steps, whichever comes first.")
@click.option("--lr", type=Finite(min=0, min_open=True), default=None,
              help="Learning rate (default: 1e-4 for sin, the seed's; 1e-3 for the MLPs).")
@click.option("--batch", type=click.IntRange(min=1), default=None,
              help="Batch size (default: 32 on sine, 256 on clock).")
@click.option("--optimizer", type=click.Choice(["sgd", "adam"]), default=None,
              help="Default: sgd for sin (the seed), adam for the MLPs.")
@click.option("--seed", type=int, default=0, show_default=True,
              help="Seeds both the initialisation and the training data stream.")
@click.option("--dtype", type=click.Choice(["float32", "float64"]), default="float32", show_default=True,
              help="Model precision; time is normalised in float64 before the cast.")
@click.option("--device", type=click.Choice(["cpu", "cuda", "auto"]), default="auto", show_default=True,
              help="Where to train: auto uses CUDA when torch sees a GPU, else the CPU.")
@click.option("--omega", type=FINITE, default=31.0, show_default=True, help="sine: target angular frequency, rad per unit of x.")
@click.option("--range", "range_", type=Finite(min=0, min_open=True), default=1000.0,
              show_default=True, help="sine: x ~ U(-R, R).")
@click.option("--phase", type=FINITE, default=0.0, show_default=True, help="sine: target phase (radians).")
@click.option("--noise", type=Finite(min=0), default=0.0, show_default=True,
              help="sine: std of noise on the training targets.")
@click.option("--years", type=Finite(min=0, min_open=True), default=120.0, show_default=True,
              help="clock: span of the instants, from T0 (t = 0).")
@click.option("--bases", default="60,60,24", show_default=True,
              help="clock: digit bases, least significant first (60,60,24 is h:m:s).")
@click.option("--head", type=click.Choice(["classify", "regress"]), default="classify", show_default=True,
              help="clock: one softmax per digit (default) or one regressed value per digit.")
@click.option("--hidden", type=click.IntRange(min=1), default=128, show_default=True, help="MLP width.")
@click.option("--depth", type=click.IntRange(min=1), default=3, show_default=True, help="MLP hidden layers.")
@click.option("--w0", type=Finite(min=0, min_open=True), default=30.0, show_default=True, help="siren: frequency scale.")
@click.option("--sigma", type=Finite(min=0, min_open=True), default=10.0, show_default=True,
              help="fourier: B ~ N(0, sigma^2), cycles per unit of normalised time.")
@click.option("--features", type=click.IntRange(min=1), default=128, show_default=True,
              help="fourier: number of random frequencies; hayes: number of oscillators.")
@click.option("--levels", type=click.IntRange(min=1), default=10, show_default=True,
              help="nerf: encoding frequencies 2^k pi, k < levels.")
@click.option("--fan-scale", type=Finite(min=0, min_open=True), default=1.0, show_default=True,
              help="fan: first-layer W_p = default draw x this.")
@click.option("--hayes-samples", type=click.IntRange(min=2), default=2048, show_default=True,
              help="hayes: samples the record spans (angles up to pi per sample).")
@click.option("--log-every", type=click.IntRange(min=1), default=100, show_default=True,
              help="Steps between log.jsonl lines.")
@click.option("--eval-every", type=click.IntRange(min=0), default=1000, show_default=True,
              help="Steps between held-out evaluations (0: only at the end).")
@click.option("--eval-size", type=click.IntRange(min=1), default=None,
              help="Held-out set size (default: 10,000 sine points, 100,000 clock instants).")
@click.option("--out", "out", required=True, type=click.Path(file_okay=True, dir_okay=True),
              help="Output folder: config.json, log.jsonl, summary.json.")
@click.option("--overwrite", is_flag=True, help="Replace the results in an existing --out folder.")
@click.option("--json", "as_json", is_flag=True, help="Print summary.json on stdout.")
@click.pass_context
def train(ctx, task, model, steps, budget, lr, batch, optimizer, seed, dtype, device, omega, range_,
          phase, noise, years, bases, head, hidden, depth, w0, sigma, features, levels, fan_scale,
          hayes_samples, log_every, eval_every, eval_size, out, overwrite, as_json):
    """Train a torch baseline on TASK (sine or clock) by gradient descent.

    Writes config.json, log.jsonl and summary.json to --out. The sine task is the seed's
    y = sin(31 x), x ~ U(-1000, 1000); the clock's inputs are integer seconds since T0 (the
    instant t = 0 of the generated data) over --years, its targets the digits a clock shows.

    \b
    Examples:
      sigfit train sine --model sin --steps 1000 --out runs/sin       # the seed, verbatim
      sigfit train clock --model fourier --budget 120 --out runs/clock
    """
    for name in SINE_ONLY if task == "clock" else CLOCK_ONLY:
        if _given(ctx, name):
            flag = "--" + name.rstrip("_").replace("_", "-")
            raise click.UsageError(f"{flag} applies to the {'sine' if task == 'clock' else 'clock'} task only")
    if task == "clock" and model == "sin":
        raise click.BadParameter("the Sin model has one output and fits only the sine task; "
                                 "use any other family", param_hint="--model")
    if steps is None and budget is None:
        steps = 1000
    try:
        bases = parse_bases(bases)
    except InputError as e:
        raise click.BadParameter(str(e), param_hint="--bases") from None

    check_training_size(model=model, task=task, hidden=hidden, depth=depth, features=features,
                        batch=batch, eval_size=eval_size, bases=bases, head=head, dtype=dtype)

    baselines = require_torch("train")  # torch from here on

    defaults = baselines.default_hyperparameters(task, model)
    optimizer = optimizer or defaults["optimizer"]
    lr = lr if lr is not None else defaults["lr"]
    batch = batch or defaults["batch"]
    task_kwargs = {} if eval_size is None else {"eval_size": eval_size}
    if task == "sine":
        the_task = baselines.SineTask(omega=omega, range_=range_, phase=phase, noise=noise, **task_kwargs)
    else:
        the_task = baselines.ClockTask(years=years, bases=bases, head=head, **task_kwargs)
    model_cfg = baselines.ModelConfig(name=model, dtype=dtype, seed=seed, hidden=hidden, depth=depth,
                                      w0=w0, sigma=sigma, n_features=features, levels=levels,
                                      fan_scale=fan_scale, hayes_samples=hayes_samples)
    train_cfg = baselines.TrainerConfig(optimizer=optimizer, lr=lr, batch=batch, steps=steps,
                                        budget=budget, seed=seed, device=device, log_every=log_every,
                                        eval_every=eval_every, progress=sys.stderr.isatty())
    the_model = baselines.build_model(model_cfg, the_task)
    trainer = baselines.Trainer(the_model, the_task, train_cfg)

    prepare_out_dir(out, overwrite)  # a refused --out first: nothing else is said then
    if model == "sin" and optimizer == "sgd":
        limit = baselines.stable_lr(range_, batch=batch)
        if lr > limit:
            click.echo(f"warning: lr {lr:g} is above the SGD stability limit {limit:.3g} for Sin at "
                       f"R={range_:g}, batch {batch} (curvature R^2/3): even the optimum is unstable",
                       err=True)
    baselines.write_json_atomic(os.path.join(out, "config.json"), trainer.config_dict())
    result = trainer.run(log_path=os.path.join(out, "log.jsonl"))
    summary = result.to_dict()
    baselines.write_json_atomic(os.path.join(out, "summary.json"), summary)

    if as_json:
        import json

        click.echo(json.dumps(summary, indent=2))
    else:
        _print_summary(result, the_task, out)
    if result.status == "diverged":
        raise SigfitError(f"{result.message}; the log so far is in {os.path.join(out, 'log.jsonl')}")
    if result.status == "interrupted":
        click.echo(f"interrupted after {result.steps} steps; log and summary kept in {out}", err=True)
        from . import terminated

        ctx.exit(143 if terminated() else 130)


# What one training run may hold in memory (parameters with their gradients and Adam moments,
# plus a batch's activations forward and backward); SIGFIT_MAX_TRAIN_BYTES raises it.
MAX_TRAIN_BYTES = 4 << 30


def check_training_size(*, model, task, hidden, depth, features, batch, eval_size, bases, head,
                        dtype) -> None:
    """Refuse, before torch allocates anything, a model or batch too big for memory (``--hidden
    100000`` or ``--features 10000000`` would be killed by the OS, ``--batch 100000000`` too)."""
    limit = MAX_TRAIN_BYTES
    raw = os.environ.get("SIGFIT_MAX_TRAIN_BYTES")
    if raw:
        try:
            limit = int(float(raw))
        except ValueError:
            raise InputError(f"SIGFIT_MAX_TRAIN_BYTES={raw!r} is not a number of bytes") from None
    itemsize = 8 if dtype == "float64" else 4
    n_out = 1 if task == "sine" else (sum(bases) if head == "classify" else len(bases))
    if model == "sin":
        params, width, layers = 1, 1, 1
    else:
        first = 2 * features if model == "fourier" else 1
        params = first * hidden + (depth - 1) * hidden * hidden + hidden * n_out
        params += (features if model == "fourier" else 0) + depth * hidden + n_out
        width = max(hidden, 2 * features if model == "fourier" else 0, n_out)
        layers = depth + 2
    batch_rows = batch or 256
    # parameters: value, gradient, two Adam moments; activations: kept for backward, and grads
    need = itemsize * (4 * params + 3 * batch_rows * width * layers)
    need += 8 * (eval_size or 100_000) * (2 + len(bases))  # the held-out set, float64
    if need > limit:
        given = [f"--{k} {v:,}" for k, v in (("hidden", hidden), ("features", features),
                                               ("depth", depth), ("batch", batch),
                                               ("eval-size", eval_size))
                 if v is not None]
        raise InputError(
            f"this {model} model needs about {_gib(need)} to train ({params:,} parameters, "
            f"batches of {batch_rows:,} x {width:,} activations), over the limit of {_gib(limit)}: "
            f"use a smaller --hidden, --features, --batch or --eval-size ({', '.join(given)}), "
            "or raise "
            "SIGFIT_MAX_TRAIN_BYTES"
        )


def _gib(n: float) -> str:
    return f"{n / 2**30:.3g} GiB"


def _print_summary(result, task, out) -> None:
    loss = "n/a" if result.final_loss is None else f"{result.final_loss:.6g}"
    click.echo(f"{result.status}: {result.steps} steps in {result.wall_s:.1f} s, "
               f"held-out loss {loss}")
    if result.accuracy:
        chance = task.chance
        for name, acc in result.accuracy.items():
            click.echo(f"  {name:>8} accuracy {100 * acc:7.3f}%   (chance {100 * chance[name]:.3f}%)")
    click.echo(f"results in {out}", err=True)
    sys.stdout.flush()
