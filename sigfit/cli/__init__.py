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


class Terminated(KeyboardInterrupt):
    """SIGTERM (schedulers, ``timeout``, ``docker stop``), handled like Ctrl-C: a training run
    writes its summary, a batch keeps the rows it finished."""


_SIGNALS: list[int] = []


def _on_sigterm(signum, frame):
    import signal

    _SIGNALS.append(signum)
    # the clean-up (a summary written, a cluster closed) is not itself cut by a second SIGTERM;
    # SIGKILL still ends everything
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    raise Terminated()


def terminated() -> bool:
    """True once this process has received SIGTERM (commands that stop cleanly on it, as on
    Ctrl-C, exit 143 instead of 130)."""
    return bool(_SIGNALS)


class _ClosedStdout:
    """Stands for a closed stdout (``sigfit ... >&-``): writing to it is an error, not silence."""

    encoding = "utf-8"
    errors = "strict"

    def write(self, text):
        raise BrokenPipeError("stdout is closed")

    def flush(self):
        pass

    def isatty(self):
        return False

    def fileno(self):
        raise OSError("stdout is closed")


def _separate_stdout() -> None:
    """Keep stdout for sigfit's own output: C libraries (LAPACK's ``** On entry to DLASCL``,
    OpenMP, finufft) write to file descriptor 1, which would corrupt ``--json`` and CSV on
    stdout. Descriptor 1 is pointed at stderr and ``sys.stdout`` writes to a copy of the old one."""
    import io
    import os

    if sys.stdout is None:
        sys.stdout = _ClosedStdout()
        return
    try:
        if sys.stdout.fileno() != 1:
            return
        sys.stdout.flush()
        saved = os.dup(1)
        os.dup2(2, 1)
    except (OSError, ValueError, AttributeError, io.UnsupportedOperation):
        return  # no descriptors (embedded), or stderr closed: leave things as they are
    tty = os.isatty(saved)
    sys.stdout = io.TextIOWrapper(
        os.fdopen(saved, "wb", buffering=0 if tty else -1),
        encoding=sys.stdout.encoding or "utf-8",
        errors=getattr(sys.stdout, "errors", None) or "strict",
        line_buffering=tty,
        write_through=tty,
    )


def _stdout_lost() -> None:
    import os

    # nothing more can be written to stdout; keep the interpreter's final flush quiet
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):
        sys.stdout = None
    click.echo("error: cannot write the output: stdout is closed", err=True)
    sys.exit(1)


def main(argv=None):
    """Console entry point: SigfitError -> one line on stderr, exit 1; Ctrl-C -> exit 130,
    SIGTERM -> 143 (after the same clean-up as Ctrl-C); anything unexpected -> one line, exit 1
    (``SIGFIT_DEBUG=1`` shows the traceback)."""
    import signal

    _separate_stdout()
    try:
        previous = signal.signal(signal.SIGTERM, _on_sigterm)
    except (ValueError, OSError):  # not the main thread
        previous = None
    try:
        _main(argv)
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


def _main(argv):
    import os

    try:
        # without standalone mode click returns ctx.exit(code)'s code instead of exiting
        code = cli.main(args=argv, prog_name="sigfit", standalone_mode=False)
        sys.stdout.flush()
    except click.exceptions.Exit as e:
        _flush_or_fail()
        sys.exit(e.exit_code)
    except click.UsageError as e:
        # one line, like every other error: the message and where the help is
        where = e.ctx.command_path if e.ctx is not None else "sigfit"
        click.echo(f"error: {e.format_message()} (see '{where} --help')", err=True)
        sys.exit(e.exit_code)
    except click.ClickException as e:
        e.show()
        sys.exit(e.exit_code)
    except click.Abort as e:
        if isinstance(e.__cause__, Terminated):  # click turns KeyboardInterrupt into Abort
            click.echo("Terminated.", err=True)
            sys.exit(143)
        click.echo("Interrupted." if isinstance(e.__cause__, KeyboardInterrupt) else "Aborted.",
                   err=True)
        sys.exit(130)
    except Terminated:
        click.echo("Terminated.", err=True)
        sys.exit(143)
    except KeyboardInterrupt:
        click.echo("Interrupted.", err=True)
        sys.exit(130)
    except SigfitError as e:
        click.echo(f"error: {e}", err=True)
        sys.exit(1)
    except BrokenPipeError:
        _stdout_lost()
    except MemoryError:
        click.echo("error: out of memory: give a smaller input (or fewer samples per series)",
                   err=True)
        sys.exit(1)
    except OSError as e:
        click.echo(f"error: {e}", err=True)
        sys.exit(1)
    except Exception as e:  # a bug: one line all the same, the traceback on request
        if os.environ.get("SIGFIT_DEBUG"):
            raise
        text = str(e).strip().splitlines()[0] if str(e).strip() else ""
        click.echo(
            f"error: internal error ({type(e).__name__}{': ' + text if text else ''}); "
            "please report it with the command line (SIGFIT_DEBUG=1 shows the traceback)",
            err=True,
        )
        sys.exit(1)
    sys.exit(code if isinstance(code, int) else 0)


def _flush_or_fail() -> None:
    try:
        sys.stdout.flush()
    except BrokenPipeError:
        _stdout_lost()


__all__ = ["cli", "main", "COMMANDS", "SigfitWarning"]
