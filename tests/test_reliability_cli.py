"""Issue 14, the command line: every listed crash is one line on stderr and a non-zero exit;
closed stdin/stdout, SIGTERM, sample's overwrite and nan options, train's memory bounds."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import zipfile
from dataclasses import dataclass

import numpy as np
import pytest
from click.testing import CliRunner

from sigfit.cli import main

SIGFIT = [sys.executable, "-m", "sigfit"]


@dataclass
class Run:
    code: int
    out: str
    err: str


def run(*args) -> Run:
    """``sigfit ARGS`` through the real entry point, in this process."""
    with CliRunner().isolation() as (out, err, _):
        try:
            main(list(map(str, args)))
            code = 0
        except SystemExit as e:
            code = e.code
    return Run(code, out.getvalue().decode(), err.getvalue().decode())


def one_error_line(r: Run, code: int = 1, match: str = "") -> None:
    assert r.code == code, (r.code, r.err)
    assert "Traceback" not in r.err
    lines = [s for s in r.err.splitlines() if s.startswith("error:")]
    assert len(lines) == 1, r.err
    assert match in lines[0], lines[0]


def spawn(args, **kw) -> subprocess.CompletedProcess:
    return subprocess.run([*SIGFIT, *map(str, args)], capture_output=True, timeout=120, **kw)


@pytest.fixture
def sine_csv(tmp_path):
    t = np.arange(200.0)
    path = tmp_path / "s.csv"
    path.write_text("t,y\n" + "".join(f"{a!r},{b!r}\n" for a, b in zip(t.tolist(), np.sin(t / 3).tolist(), strict=True)))
    return path


@pytest.fixture
def huge_csv(tmp_path):
    t = np.arange(200.0)
    y = np.sin(t / 3)
    y[5] = 1e308
    path = tmp_path / "huge.csv"
    path.write_text("t,y\n" + "".join(f"{a!r},{b!r}\n" for a, b in zip(t.tolist(), y.tolist(), strict=True)))
    return path


# --- 7: LAPACK never corrupts stdout -------------------------------------------------------------

def test_json_on_stdout_stays_one_document_with_a_huge_value(huge_csv):
    p = spawn(["estimate", huge_csv, "--json"])
    assert p.returncode == 0, p.stderr
    doc = json.loads(p.stdout)  # nothing from C libraries mixed in
    assert doc["signals"][0]["n_samples"] == 200
    assert b"DLASCL" not in p.stdout


def test_c_level_writes_to_stdout_go_to_stderr(tmp_path, sine_csv):
    # what LAPACK does: write(1, ...) from C. The CLI keeps fd 1 for its own output
    code = (
        "import functools, os, sys, importlib\n"
        "from sigfit.cli import main\n"
        "se = importlib.import_module('sigfit.estimate')\n"
        "orig = se.estimate\n"
        "@functools.wraps(orig)\n"
        "def noisy(*a, **k):\n"
        "    os.write(1, b' ** On entry to DLASCL parameter number  4 had an illegal value\\n')\n"
        "    return orig(*a, **k)\n"
        "se.estimate = noisy\n"
        f"main(['estimate', {str(sine_csv)!r}, '--json'])\n"
    )
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, timeout=120)
    assert p.returncode == 0, p.stderr
    json.loads(p.stdout)
    assert b"DLASCL" in p.stderr


# --- 8: the listed tracebacks ---------------------------------------------------------------------

def test_closed_stdin_is_one_line():
    p = subprocess.run([*SIGFIT, "estimate", "-"], capture_output=True, timeout=120,
                       preexec_fn=lambda: os.close(0))
    assert p.returncode == 1 and b"Traceback" not in p.stderr
    assert p.stderr.decode().strip() == "error: stdin is closed: pipe a table into sigfit, or give a file name"


def test_closed_stdout_exits_non_zero(tmp_path, sine_csv):
    p = subprocess.run([*SIGFIT, "estimate", str(sine_csv)], capture_output=False,
                       stderr=subprocess.PIPE, timeout=120, preexec_fn=lambda: os.close(1))
    assert p.returncode != 0 and b"Traceback" not in p.stderr
    assert b"stdout is closed" in p.stderr
    # a command that writes only files does not need stdout
    p = subprocess.run([*SIGFIT, "sample", "sine", "-o", str(tmp_path / "x.csv")],
                       stderr=subprocess.PIPE, timeout=120, preexec_fn=lambda: os.close(1))
    assert p.returncode == 0, p.stderr


@pytest.mark.parametrize("args, match", [
    (["train", "sine", "--model", "fourier", "--batch", "100000000"], "--batch 100,000,000"),
    (["train", "sine", "--model", "gelu", "--hidden", "100000"], "--hidden 100,000"),
    (["train", "sine", "--model", "fourier", "--features", "10000000"], "--features 10,000,000"),
    (["train", "clock", "--model", "gelu", "--eval-size", "10000000000"], "--eval-size"),
])
def test_train_refuses_what_memory_cannot_hold(tmp_path, args, match):
    r = run(*args, "--out", tmp_path / "run", "--steps", "1")
    one_error_line(r, 1, match)
    assert "GiB" in r.err and "SIGFIT_MAX_TRAIN_BYTES" in r.err
    assert not (tmp_path / "run").exists()


@pytest.mark.parametrize("args, code, match", [
    (["train", "sine", "--model", "siren", "--w0", "nan"], 2, "not a finite number"),
    (["train", "sine", "--model", "siren", "--w0", "0"], 2, "--w0"),
    (["train", "sine", "--model", "sin", "--omega", "inf"], 2, "not a finite number"),
    (["sample", "sine", "--omega", "nan"], 2, "not a finite number"),
    (["sample", "sine", "--amplitude", "inf"], 2, "not a finite number"),
    (["sample", "sine", "--noise", "nan"], 2, "not a finite number"),
    (["sample", "clock", "--years", "1e12"], 1, "years must be below"),
    (["sample", "sine", "--n", "1000000000000"], 1, "over the limit"),
])
def test_bad_numbers_are_one_line(tmp_path, args, code, match):
    out = tmp_path / ("run" if args[0] == "train" else "x.csv")
    r = run(*args, "--out" if args[0] == "train" else "-o", out)
    one_error_line(r, code, match)
    assert not out.exists()


def test_scalogram_on_1e308_is_one_line(tmp_path, huge_csv):
    r = run("scalogram", huge_csv, "-o", tmp_path / "s.png")
    one_error_line(r, 1, "y reaches 1e+308")
    assert not (tmp_path / "s.png").exists()


def test_excel_renamed_csv_is_one_line(tmp_path):
    path = tmp_path / "book.csv"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
    one_error_line(run("estimate", path), 1, "zip archive, not a .npz")


@pytest.mark.parametrize("stamp, match", [("+25:99", "UTC offset"), ("24:59", "time of day")])
def test_bad_stamps_are_one_line(tmp_path, stamp, match):
    path = tmp_path / "d.csv"
    tz = "+00:00" if stamp.startswith("+") else ""
    second = f"2020-01-02T00:00{stamp}" if stamp.startswith("+") else f"2020-01-02T{stamp}"
    path.write_text(f"t,y\n2020-01-01T00:00{tz},1\n{second},2\n2020-01-03T00:00{tz},3\n")
    one_error_line(run("estimate", path), 1, match)


def test_unexpected_exceptions_are_one_line(monkeypatch, sine_csv):
    import functools
    import importlib

    se = importlib.import_module("sigfit.estimate")

    @functools.wraps(se.estimate)
    def bug(*a, **k):
        raise ZeroDivisionError("float division by zero")

    monkeypatch.setattr(se, "estimate", bug)
    one_error_line(run("estimate", sine_csv), 1, "internal error (ZeroDivisionError")


# --- 14: sample keeps existing files -------------------------------------------------------------

def test_sample_does_not_overwrite_without_force(tmp_path):
    out = tmp_path / "s.csv"
    assert run("sample", "sine", "-o", out).code == 0
    before = out.read_bytes()
    one_error_line(run("sample", "sine", "--seed", "3", "-o", out), 1, "pass --force")
    assert out.read_bytes() == before
    assert run("sample", "sine", "--seed", "3", "-o", out, "--force").code == 0
    assert out.read_bytes() != before


# --- 14: SIGTERM during train writes the summary --------------------------------------------------

@pytest.mark.slow
def test_sigterm_during_train_writes_summary(tmp_path):
    out = tmp_path / "run"
    p = subprocess.Popen([*SIGFIT, "train", "sine", "--model", "gelu", "--steps", "100000000",
                          "--log-every", "1", "--out", str(out)],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.time() + 90
    while time.time() < deadline and not (out / "log.jsonl").exists():
        time.sleep(0.2)
    while time.time() < deadline and (out / "log.jsonl").stat().st_size < 200:
        time.sleep(0.2)
    p.send_signal(signal.SIGTERM)
    _, err = p.communicate(timeout=90)
    assert p.returncode == 143, err
    summary = json.loads((out / "summary.json").read_text())
    assert summary["status"] == "interrupted" and summary["steps"] > 0
    assert b"Traceback" not in err
