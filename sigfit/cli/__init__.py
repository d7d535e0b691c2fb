"""The ``sigfit`` command line. A thin layer: parse, call the library, print.

Subcommands live in their own modules and are imported only when invoked (``LazyGroup``), so
``sigfit estimate`` never pays for torch or matplotlib. Every :class:`sigfit.errors.SigfitError`
becomes one line on stderr and exit status 1; bad flags exit 2 (click's usage errors).
"""

from __future__ import annotations

import importlib
import sys
import warnings

import click

from ..errors import SigfitError, SigfitWarning

# name -> "module:attribute". One line per command; each module imports heavy things lazily.
COMMANDS: dict[str, str] = {
    "estimate": ".estimate:estimate",
    "sample": ".sample:sample",
    "scalogram": ".scalogram:scalogram",
    "landscape": ".landscape:landscape",
    "train": ".train:train",
    "compare": ".compare:compare",
}


class LazyGroup(click.Group):
    """A group whose subcommands are imported on first use (the pattern from click's docs)."""

    def list_commands(self, ctx):
        return sorted(COMMANDS)

    def get_command(self, ctx, name):
        target = COMMANDS.get(name)
        if target is None:
            return None
        module, attr = target.split(":")
        return getattr(importlib.import_module(module, __name__), attr)

    def format_commands(self, ctx, formatter):
        """Each command's whole first sentence (click cuts summaries at the terminal's width
        with "..."), wrapped instead; the commands that need an extra say which."""
        from ._extras import TORCH_COMMANDS

        rows = []
        for name in self.list_commands(ctx):
            cmd = self.get_command(ctx, name)
            if cmd is None or cmd.hidden:
                continue
            text = cmd.get_short_help_str(limit=1000)
            if name in TORCH_COMMANDS:
                text += " [needs torch: pip install 'sigfit[torch]']"
            rows.append((name, text))
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)


def _show_warning(message, category, filename, lineno, file=None, line=None):
    # one line per warning, no source echo: users see "warning: ...", not a traceback-ish dump
    click.echo(f"warning: {message}", err=True)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="sigfit")
def cli():
    """Find periods, phases and amplitudes in sampled data.

    Every number comes with its standard error, and every period with its false-alarm
    probability (FAP). Run 'sigfit COMMAND --help' for a command's options and examples.

    \b
    Examples:
      sigfit sample sine --noise 0.1 -o sine.csv   # sin(31 x) + noise
      sigfit estimate sine.csv                     # period, phase, amplitude, FAP
      sigfit estimate sine.csv --plot sine.png     # ... and the figure
      sigfit scalogram drift.csv -o drift.png      # a period that drifts
    """
    warnings.showwarning = _show_warning


def main(argv=None):
    """Console entry point: SigfitError -> one line on stderr, exit 1; Ctrl-C -> exit 130."""
    try:
        # without standalone mode click returns ctx.exit(code)'s code instead of exiting
        code = cli.main(args=argv, prog_name="sigfit", standalone_mode=False)
    except click.exceptions.Exit as e:
        sys.exit(e.exit_code)
    except click.UsageError as e:
        # one line, like every other error: the message and where the help is
        where = e.ctx.command_path if e.ctx is not None else "sigfit"
        click.echo(f"error: {e.format_message()} (see '{where} --help')", err=True)
        sys.exit(e.exit_code)
    except click.ClickException as e:
        e.show()
        sys.exit(e.exit_code)
    except click.Abort:
        click.echo("Aborted.", err=True)
        sys.exit(130)
    except KeyboardInterrupt:
        click.echo("Interrupted.", err=True)
        sys.exit(130)
    except SigfitError as e:
        click.echo(f"error: {e}", err=True)
        sys.exit(1)
    except (OSError, MemoryError) as e:
        click.echo(f"error: {e}", err=True)
        sys.exit(1)
    sys.exit(code if isinstance(code, int) else 0)


__all__ = ["cli", "main", "COMMANDS", "SigfitWarning"]
