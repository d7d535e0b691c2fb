"""The documentation cannot rot: every example in README.md and docs/guide/*.md runs, and the
site builds with warnings as errors.

The convention, for every engineer who writes a page (also in docs/guide/README, "Writing a
page"):

- a ```` ```pycon ```` block is doctest text: ``>>> `` and ``... `` prompts, the expected output
  below (ELLIPSIS and NORMALIZE_WHITESPACE on);
- a ```` ```console ```` block holds commands: a line starting with ``$ `` is a command (a
  trailing backslash continues it; a here-document ``<<'EOF'`` runs to its ``EOF``), run by bash
  with the environment's ``bin`` first on PATH; the lines up to the next ``$ `` are its expected
  output, stdout and stderr together as a terminal shows them (``...`` matches anything). No
  expected output: only the exit status is checked. The exit status must be 0, unless the
  expected output has a line starting with ``error:`` (sigfit's one-line errors): then it must
  not be 0;
- the blocks of one page run in order, in one fresh temporary folder, the pycon blocks sharing
  their names; other blocks (```` ```python ````, ```` ```text ````, ...) are not run.
"""

from __future__ import annotations

import doctest
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# the guide's index holds the toctree and the convention's prose, no examples
PAGES = [ROOT / "README.md",
         *sorted(p for p in (ROOT / "docs" / "guide").glob("*.md") if p.name != "index.md")]
FLAGS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
FENCE = re.compile(r"^(?P<indent> *)(?P<fence>`{3,}|~{3,})(?P<info>[^\n`]*)$")


@dataclass
class Block:
    kind: str  # "pycon" or "console"
    text: str
    line: int  # 1-based line of the first line inside the fence


def blocks(text: str) -> list[Block]:
    """The ```pycon and ```console blocks of a Markdown page, in order (others are skipped, and
    a fence inside another fence is text)."""
    out, lines, i = [], text.splitlines(), 0
    while i < len(lines):
        m = FENCE.match(lines[i])
        if not m:
            i += 1
            continue
        fence, info, indent = m["fence"], m["info"].strip().split(" ")[0], len(m["indent"])
        body, j = [], i + 1
        while j < len(lines):
            close = FENCE.match(lines[j])
            if close and close["fence"].startswith(fence) and not close["info"].strip():
                break
            body.append(lines[j][indent:] if lines[j][:indent].strip() == "" else lines[j])
            j += 1
        if info in ("pycon", "console"):
            out.append(Block(info, "\n".join(body) + "\n", i + 2))
        i = j + 1
    return out


@dataclass
class Command:
    command: str
    expected: str
    line: int


def commands(block: Block) -> list[Command]:
    """Split a console block into commands and their expected output."""
    out: list[Command] = []
    lines = block.text.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        if not line.startswith("$ "):
            if out:
                out[-1].expected += line + "\n"
            elif line.strip():
                raise ValueError(f"line {block.line + i}: console text before the first '$ '")
            i += 1
            continue
        start = i
        cmd = [line[2:]]
        while cmd[-1].endswith("\\") and i + 1 < len(lines):
            i += 1
            cmd.append(lines[i])
        heredoc = re.search(r"<<-?\s*'?\"?(\w+)'?\"?", " ".join(cmd))
        if heredoc:
            word = heredoc.group(1)
            while i + 1 < len(lines):
                i += 1
                cmd.append(lines[i])
                if lines[i].strip() == word:
                    break
        out.append(Command("\n".join(cmd), "", block.line + start))
        i += 1
    return out


def _environment() -> dict[str, str]:
    env = dict(os.environ)
    bin_dir = os.path.dirname(sys.executable)
    env["PATH"] = bin_dir + os.pathsep + env.get("PATH", "")
    env["PYTHONUNBUFFERED"] = "1"  # stdout and stderr interleave as on a terminal
    env["MPLBACKEND"] = "Agg"
    env["COLUMNS"] = "100"
    env.pop("PYTHONPATH", None)
    return env


def _matches(expected: str, got: str) -> bool:
    return doctest.OutputChecker().check_output(expected, got, FLAGS)


def run_console(block: Block, cwd: Path, page: str) -> None:
    env = _environment()
    for c in commands(block):
        proc = subprocess.run(
            ["bash", "-o", "pipefail", "-c", c.command],
            cwd=cwd,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            timeout=240,
        )
        where = f"{page}:{c.line}: $ {c.command}"
        wants_error = any(line.startswith("error:") for line in c.expected.splitlines())
        if wants_error:
            assert proc.returncode != 0, f"{where}\nexpected a failure, got exit 0:\n{proc.stdout}"
        else:
            assert proc.returncode == 0, f"{where}\nexit {proc.returncode}:\n{proc.stdout}"
        if c.expected.strip():
            assert _matches(c.expected, proc.stdout), (
                f"{where}\n--- expected\n{c.expected}--- got\n{proc.stdout}"
            )


def run_pycon(block: Block, globs: dict, page: str) -> None:
    parser = doctest.DocTestParser()
    test = parser.get_doctest(block.text, globs, page, page, block.line - 1)
    runner = doctest.DocTestRunner(optionflags=FLAGS)
    report: list[str] = []
    runner.run(test, out=report.append, clear_globs=False)
    globs.update(test.globs)  # DocTest runs on a copy: the page's next block sees these names
    failed = runner.summarize(verbose=False).failed
    assert not failed, f"{page}:{block.line}: pycon block failed\n" + "".join(report)


def test_convention_parser():
    """The splitter itself: fences, continuation lines, here-documents, expected output."""
    page = (
        "text\n```console\n$ echo a \\\n  b\na b\n$ cat > f.py <<'EOF'\nprint(1)\nEOF\n"
        "$ true\n```\n```python\n$ not run\n```\n````md\n```pycon\n>>> 1\n```\n````\n"
        "```pycon\n>>> 1 + 1\n2\n```\n"
    )
    bs = blocks(page)
    assert [b.kind for b in bs] == ["console", "pycon"]
    cs = commands(bs[0])
    assert [c.command for c in cs] == ["echo a \\\n  b", "cat > f.py <<'EOF'\nprint(1)\nEOF", "true"]
    assert cs[0].expected == "a b\n" and cs[1].expected == "" and cs[0].line == 3
    assert not _matches("a c\n", "a b\n") and _matches("a ...\n", "a b c\n")


def test_console_checks_output_and_exit_status(tmp_path):
    """A wrong output, a failing command, and a failure the page does not announce all fail;
    an announced ``error:`` must come with a non-zero exit."""
    ok = Block("console", "$ echo a\na\n$ sh -c 'echo \"error: bad\" >&2; exit 1'\nerror: bad\n", 1)
    run_console(ok, tmp_path, "page")
    for text in ("$ echo a\nb\n", "$ false\n", "$ sh -c 'echo error: no; exit 0'\nerror: no\n"):
        with pytest.raises(AssertionError):
            run_console(Block("console", text, 1), tmp_path, "page")


@pytest.mark.parametrize("page", PAGES, ids=[str(p.relative_to(ROOT)) for p in PAGES])
def test_page_examples_run(page: Path, tmp_path: Path, monkeypatch):
    """Every pycon and console block of the page runs in order in a fresh folder and prints what
    the page shows."""
    found = blocks(page.read_text(encoding="utf-8"))
    if not found:
        pytest.skip(f"{page.name} has no pycon or console blocks")
    name = str(page.relative_to(ROOT))
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MPLBACKEND", "Agg")
    globs: dict = {"__name__": "__main__"}
    for b in found:
        if b.kind == "console":
            run_console(b, tmp_path, name)
        else:
            run_pycon(b, globs, name)


def test_docs_build_without_warnings(tmp_path: Path):
    """The site builds with warnings as errors: a broken cross-reference, a docstring numpydoc
    cannot parse or a gallery example that fails stops the build."""
    for module in ("sphinx", "pydata_sphinx_theme", "numpydoc", "sphinx_gallery", "myst_parser"):
        pytest.importorskip(module, reason=f"the docs extra is not installed ({module} missing): "
                            "pip install -e '.[docs]'")
    out = tmp_path / "html"
    doctrees = tmp_path / "doctrees"
    proc = subprocess.run(
        [sys.executable, "-m", "sphinx", "-j", "auto", "-W", "--keep-going", "-q", "-b", "html",
         "-d", str(doctrees), str(ROOT / "docs"), str(out)],
        cwd=ROOT, env=_environment(),
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=280,
    )
    assert proc.returncode == 0, f"sphinx-build -W failed:\n{proc.stdout[-6000:]}"
    for page in ("index.html", "guide/quickstart.html", "api/index.html",
                 "auto_examples/index.html"):
        assert (out / page).is_file(), f"{page} was not built"
    # the API reference lists every public name of sigfit
    import sigfit

    api = (out / "api" / "sigfit.html").read_text(encoding="utf-8")
    for name in sigfit.__all__:
        assert f"sigfit.{name}" in api, f"sigfit.{name} missing from the API reference"
    # the gallery ran: its pages hold the figures the examples drew
    images = list((out / "_images").glob("sphx_glr_plot_*"))
    assert images, "the gallery drew no figure"
    shutil.rmtree(out, ignore_errors=True)
