"""sigfit with default options vs astropy's defaults on the real-data corpus (issue 12).

For every series in ``tests/data/realdata/MANIFEST.csv`` (real public series shipped inside
Python packages, each with its published or accepted period):

- sigfit as a new user runs it: ``sigfit estimate FILE --json``, no options (the CLI, in a
  subprocess; the file's first column is the time, the second the value);
- astropy as a new user runs it: ``LombScargle(t, y).autopower()`` and the argmax period, with
  t in the manifest's period unit (ISO stamps: days since the first stamp).

Both are judged by the one rule in ``tests/data/realdata/corpus.py`` (also used by
``tests/test_realdata.py``): the period must lie in the accepted range; sigfit must also call it
significant. Prints a Markdown table and the pass counts (``--out`` also writes them to a file).

Run: ``python benchmarks/bench_realdata.py`` (about a minute on 2 cores).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
import warnings
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "data" / "realdata"))

import corpus  # noqa: E402  (the shared manifest and pass rule)


def sigfit_command() -> list[str]:
    """``sigfit`` next to this interpreter when installed there, else ``python -m sigfit``."""
    exe = Path(sys.executable).with_name("sigfit")
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "sigfit"]


def run_sigfit(series: corpus.Series) -> tuple[corpus.Verdict | None, str, float]:
    """(verdict, error line or '', wall seconds) of ``sigfit estimate FILE --json``."""
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    t0 = time.perf_counter()
    proc = subprocess.run(
        [*sigfit_command(), "estimate", str(series.path), "--json"],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
    )
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        lines = proc.stderr.strip().splitlines() or [f"exit {proc.returncode}"]
        return None, lines[-1][:120], wall
    record = json.loads(proc.stdout)["signals"][0]
    return corpus.judge_sigfit(series, record), "", wall


def _fmt(p: float | None) -> str:
    return "-" if p is None else f"{p:.4g}"


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--only", nargs="+", help="series names (default: all)")
    p.add_argument("--out", type=Path, help="also write the Markdown to this file")
    a = p.parse_args(argv)
    entries = corpus.load_manifest()
    if a.only:
        entries = [s for s in entries if s.name in a.only]
    head = (
        "| series | class | N | accepted period | sigfit period | significant | harmonics "
        "| sigfit right | astropy argmax | astropy right | sigfit s |\n"
        "|---|---|---:|---|---:|---|---:|---|---:|---|---:|"
    )
    lines = [head]
    n_pass = n_right = n_astropy = 0
    by_class: Counter = Counter()
    passed_by_class: Counter = Counter()
    errors = []
    for s in entries:
        verdict, error, wall = run_sigfit(s)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ap = corpus.astropy_argmax(s)
        av = corpus.judge_period(s, ap, s.period_unit)
        n_rows = len(corpus.load_columns(s)[1])
        by_class[s.kind] += 1
        if verdict is None:
            errors.append(f"{s.name}: {error}")
            cells = ["error", "-", "-", "no"]
        else:
            n_pass += verdict.passed
            n_right += verdict.right
            passed_by_class[s.kind] += verdict.passed
            cells = [
                _fmt(verdict.period),
                "yes" if verdict.significant else "no",
                str(verdict.n_harmonics or "-"),
                "**yes**"
                if verdict.passed
                else ("yes, not significant" if verdict.right else "no"),
            ]
        n_astropy += av.right
        lines.append(
            f"| {s.name} | {s.kind} | {n_rows} | {s.accepted_text()} | "
            + " | ".join(cells)
            + f" | {_fmt(av.period)} | {'yes' if av.right else 'no'} | {wall:.2f} |"
        )
        print(lines[-1], file=sys.stderr, flush=True)
    n = len(entries)
    lines += [
        "",
        f"**sigfit, default options: {n_pass} of {n}** right and significant "
        f"({n_right} of {n} right ignoring significance); "
        f"**astropy `autopower` argmax: {n_astropy} of {n}**.",
        "",
        "By class (sigfit passes / series): "
        + ", ".join(f"{k} {passed_by_class[k]}/{v}" for k, v in by_class.items())
        + ".",
    ]
    if errors:
        lines += ["", "sigfit errors:", *[f"- {e}" for e in errors]]
    text = "\n".join(lines)
    print(text)
    if a.out:
        a.out.write_text(text + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
