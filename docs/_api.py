"""Write the API reference's pages from the packages themselves, before Sphinx reads the sources.

One page per public module: its ``__all__`` (or, for a module without one, the functions and
classes it defines whose names do not start with ``_``), as an autosummary table whose entries
get their own pages from the numpydoc docstrings. Names exported by ``sigfit`` itself are shown
on the ``sigfit`` page only. A module that cannot be imported here (``baselines`` without torch)
is listed with the reason instead of failing the build. Nothing is pasted by hand, so a new
public name appears at the next build and a removed one disappears.
"""

from __future__ import annotations

import importlib
import inspect
import os
import pkgutil

# Packages documented, in this order. Private modules (a leading "_") and the CLI (documented by
# its --help, on the command-line page) are left out.
PACKAGES = ("sigfit", "baselines")
SKIP = ("sigfit.cli", "sigfit.__main__")
# modules whose public names are all exported by sigfit itself (and whose name, sigfit.estimate,
# is also the function's): documented on the sigfit page
SKIP_EXACT = ("sigfit.estimate", "sigfit.results", "sigfit.errors")


def public_names(module) -> list[str]:
    """``module.__all__``, else the functions and classes it defines (not those it imports)."""
    names = getattr(module, "__all__", None)
    if names is None:
        names = [
            n
            for n, obj in vars(module).items()
            if not n.startswith("_")
            and (inspect.isfunction(obj) or inspect.isclass(obj))
            and getattr(obj, "__module__", None) == module.__name__
        ]
    out = []
    for n in names:
        obj = getattr(module, n, None)
        if obj is None or inspect.ismodule(obj):
            continue
        if not (callable(obj) or inspect.isclass(obj)):
            continue  # constants are described in their module's docstring
        if inspect.isclass(obj) and obj.__name__ != n:
            continue  # an old name kept as an alias (sigfit.io.Series): documented under its own
        out.append(n)
    return sorted(out, key=lambda n: (not inspect.isclass(getattr(module, n)), n.lower()))


def _modules(package: str):
    """(name, module or None, reason) for the package and its public submodules."""
    try:
        pkg = importlib.import_module(package)
    except ImportError as e:  # e.g. baselines without torch
        yield package, None, f"not importable here ({e}); install the extra it needs"
        return
    yield package, pkg, ""
    if package != "sigfit":
        return  # baselines re-exports its submodules' names: one page
    for info in pkgutil.walk_packages(pkg.__path__, prefix=package + "."):
        name = info.name
        if any(part.startswith("_") for part in name.split(".")) or name.startswith(SKIP) \
                or name in SKIP_EXACT:
            continue
        try:
            yield name, importlib.import_module(name), ""
        except ImportError as e:
            yield name, None, f"not importable here ({e}); install the extra it needs"


def _private(module_name: str) -> bool:
    return any(part.startswith("_") for part in module_name.split("."))


def _title(text: str, char: str = "=") -> str:
    return f"{text}\n{char * len(text)}\n"


def _page(name: str, module, reason: str, exclude: set[str]) -> str | None:
    if module is None:
        return _title(f"``{name}``") + f"\n{reason}.\n"
    names = [n for n in public_names(module) if f"{module.__name__}.{n}" not in exclude]
    if name != "sigfit":
        # a name defined elsewhere and re-exported here is documented where it is defined,
        # or on the sigfit page
        # (a name defined in a private module, sigfit._columns or sigfit.harmonics._design, is
        # documented where a public module re-exports it)
        names = [
            n
            for n in names
            if getattr(getattr(module, n), "__module__", name) in (name, None)
            or _private(str(getattr(getattr(module, n), "__module__", "")))
            or not str(getattr(getattr(module, n), "__module__", "")).startswith("sigfit")
        ]
        names = [n for n in names if f"sigfit.{n}" not in exclude]
    if not names and name != "sigfit":
        return None
    lines = [_title(f"``{name}``"), f".. automodule:: {name}", "   :no-members:", ""]
    if names:
        lines += [
            f".. currentmodule:: {name}",
            "",
            ".. autosummary::",
            "   :toctree: generated/",
            "   :nosignatures:",
            "",
        ]
        lines += [f"   {n}" for n in names]
        exclude.update(f"{name}.{n}" for n in names)
        exclude.update(f"sigfit.{n}" for n in names if name == "sigfit")
    return "\n".join(lines) + "\n"


def write_reference(folder: str) -> list[str]:
    """Write ``folder/index.rst`` and one ``folder/<module>.rst`` per documented module; files
    are rewritten only when their text changes (Sphinx then keeps its cache). Returns the
    module names documented."""
    os.makedirs(folder, exist_ok=True)
    exclude: set[str] = set()
    documented = []
    for package in PACKAGES:
        for name, module, reason in _modules(package):
            text = _page(name, module, reason, exclude)
            if text is None:
                continue
            _write_if_changed(os.path.join(folder, f"{name}.rst"), text)
            documented.append(name)
    index = [
        _title("API reference"),
        "Generated from the numpydoc docstrings of every public module (its ``__all__``).",
        "``import sigfit`` gives the names on the first page; the others are imported from",
        "their modules (``from sigfit import wavelet``). ``baselines`` is the torch side and",
        "needs the ``torch`` extra.",
        "",
        ".. toctree::",
        "   :maxdepth: 1",
        "",
    ]
    index += [f"   {name}" for name in documented]
    _write_if_changed(os.path.join(folder, "index.rst"), "\n".join(index) + "\n")
    _write_if_changed(os.path.join(folder, "cli.rst"), cli_reference())
    for stale in os.listdir(folder):
        if stale.endswith(".rst") and stale[:-4] not in documented \
                and stale not in ("index.rst", "cli.rst"):
            os.unlink(os.path.join(folder, stale))
    generated = os.path.join(folder, "generated")  # autosummary's stubs of names since moved
    for stale in os.listdir(generated) if os.path.isdir(generated) else ():
        if stale.endswith(".rst") and stale[:-4] not in exclude:
            os.unlink(os.path.join(generated, stale))
    return documented


def cli_reference() -> str:
    """The command-line page: ``sigfit --help`` and every command's help, as click prints them
    (so the page is the help, never a copy of it)."""
    import click

    from sigfit.cli import cli

    lines = [_title("Command line"),
             "Every command's ``--help``, as printed at the time the site was built. Each of",
             "them prints one ``error: ...`` line on stderr and exits non-zero on bad input;",
             "``--json`` prints exactly one JSON document on stdout.", ""]

    def walk(command, path):
        with click.Context(command, info_name=path, terminal_width=92, help_option_names=["-h", "--help"],
                           max_content_width=92) as ctx:
            text = command.get_help(ctx)
        lines.extend([_title(f"``{path}``", "-"), ".. code-block:: text", ""])
        lines.extend(("   " + t).rstrip() for t in text.splitlines())
        lines.append("")
        if isinstance(command, click.Group):
            with click.Context(command, info_name=path) as ctx:
                names = command.list_commands(ctx)
                for name in names:
                    walk(command.get_command(ctx, name), f"{path} {name}")

    walk(cli, "sigfit")
    return "\n".join(lines) + "\n"


def _write_if_changed(path: str, text: str) -> None:
    if os.path.exists(path):
        with open(path, encoding="utf-8") as f:
            if f.read() == text:
                return
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)
