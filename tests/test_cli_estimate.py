"""``sigfit estimate``: tables, JSON, date-times, stdin, arrays, figures, and the bad-input matrix
(one clear ``error:`` line, non-zero exit, never a traceback)."""

import json
import math
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from sigfit import io as sio
from sigfit import samples
from sigfit.cli import main

COMPONENT_KEYS = {
    "frequency", "angular_frequency", "period", "phase", "amplitude", "frequency_err",
    "angular_frequency_err", "period_err", "phase_err", "amplitude_err", "power",
    "false_alarm_probability",
}  # fmt: skip
SIGNAL_KEYS = {"name", "n_samples", "method", "offset", "components"}


@dataclass
class Run:
    code: int
    out: str
    err: str

    @property
    def json(self):
        return json.loads(self.out)  # exactly one document, or this raises


def run(*args, input=None) -> Run:
    """``sigfit ARGS`` through the real entry point (SigfitError -> "error:" line, exit codes)."""
    with CliRunner().isolation(input=input) as (out, err, _):
        try:
            main(list(map(str, args)))
            code = 0
        except SystemExit as e:
            code = e.code
    return Run(code, out.getvalue().decode(), err.getvalue().decode())


def sine_csv(path: Path, n=256, noise=0.1, seed=0) -> Path:
    x, y = samples.sine(n, noise=noise, seed=seed)  # the seed's task, defaults from the generator
    sio.write_columns(path, {"x": x, "y": y})
    return path


def assert_one_error_line(r: Run, *phrases):
    assert r.code == 1, (r.code, r.out, r.err)
    assert "Traceback" not in r.err
    lines = [line for line in r.err.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), r.err
    for p in phrases:
        assert p in lines[0], (p, lines[0])
    assert r.out == ""


# ----------------------------------------------------------------------------- bad input


def test_missing_file(tmp_path):
    assert_one_error_line(run("estimate", tmp_path / "nope.csv"), "nope.csv: no such file")


def test_unreadable_file(tmp_path, monkeypatch):
    path = sine_csv(tmp_path / "s.csv")

    def denied(*args, **kwargs):  # chmod 000 does not stop root, so refuse the open itself
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(sio, "open", denied, raising=False)
    assert_one_error_line(run("estimate", path), "cannot read", "permission denied")


def test_empty_file(tmp_path):
    (tmp_path / "e.csv").write_text("")
    assert_one_error_line(run("estimate", tmp_path / "e.csv"), "is empty")


def test_header_only(tmp_path):
    (tmp_path / "h.csv").write_text("t,y\n")
    assert_one_error_line(run("estimate", tmp_path / "h.csv"), "header (t, y) but no data rows")


def test_unknown_column_names_the_available_ones(tmp_path):
    path = sine_csv(tmp_path / "s.csv")
    assert_one_error_line(
        run("estimate", path, "-y", "flux"), "no value column 'flux'", "available columns: x, y"
    )
    assert_one_error_line(run("estimate", path, "-t", "time"), "no time column 'time'")


def test_non_numeric_value(tmp_path):
    (tmp_path / "n.csv").write_text("t,y\n1,0.5\n2,abc\n3,0.1\n")
    assert_one_error_line(run("estimate", tmp_path / "n.csv"), "line 3", "'abc'", "not a number")


def test_all_nan(tmp_path):
    (tmp_path / "a.csv").write_text("t,y\n1,nan\n2,\n3,NaN\n")
    assert_one_error_line(run("estimate", tmp_path / "a.csv"), "column 'y' has no finite values")


def test_fewer_samples_than_parameters(tmp_path):
    (tmp_path / "f.csv").write_text("t,y\n1,0.5\n2,-0.1\n3,0.7\n")
    assert_one_error_line(
        run("estimate", tmp_path / "f.csv", "--components", 2), "column 'y'", "parameters"
    )


def test_constant_signal(tmp_path):
    (tmp_path / "c.csv").write_text("t,y\n" + "".join(f"{k},2.5\n" for k in range(50)))
    assert_one_error_line(run("estimate", tmp_path / "c.csv"), "column 'y'", "constant")


def test_ragged_rows(tmp_path):
    (tmp_path / "r.csv").write_text("t,y\n1,2\n2\n3,4\n")
    assert_one_error_line(run("estimate", tmp_path / "r.csv"), "line 3", "1 fields", "header has 2")


def test_binary_garbage(tmp_path):
    (tmp_path / "g.csv").write_bytes(np.random.default_rng(0).bytes(4096))
    assert_one_error_line(run("estimate", tmp_path / "g.csv"), "looks binary")


def test_directory_instead_of_file(tmp_path):
    assert_one_error_line(run("estimate", tmp_path), "is a directory")


@pytest.mark.parametrize(
    "flags",
    [("--method", "magic"), ("--detrend", "wiggly"), ("--components", "0"), ("--plot", "f.gif")],
)
def test_bad_flags_exit_2(tmp_path, flags):
    r = run("estimate", sine_csv(tmp_path / "s.csv"), *flags)
    assert r.code == 2 and "Traceback" not in r.err and r.out == ""


def test_python_m_sigfit_prints_no_traceback(tmp_path):
    (tmp_path / "bad.csv").write_bytes(b"t,y\n1,2\n\x00\xff\xfe garbage")
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    for target in (tmp_path / "bad.csv", tmp_path / "missing.csv"):
        p = subprocess.run(
            [sys.executable, "-m", "sigfit", "estimate", str(target)],
            capture_output=True, text=True, env=env, timeout=60,
        )  # fmt: skip
        assert p.returncode == 1
        assert "Traceback" not in p.stderr and p.stderr.startswith("error: "), p.stderr


# ----------------------------------------------------------------------------- output


def test_table_output_for_the_seed_sine(tmp_path):
    r = run("estimate", sine_csv(tmp_path / "s.csv"))
    assert r.code == 0, r.err
    for word in ("y: 256 samples", "frequency [cycles/unit of t]", "period", "angular frequency",
                 "amplitude", "phase [rad]", "FAP", " ± ", "offset"):  # fmt: skip
        assert word in r.out, word
    # row 1: frequency, period, angular frequency (the seed's 31 within its error), ...
    row = next(line for line in r.out.splitlines() if line.strip().startswith("1 "))
    values = [(float(v), float(e)) for v, e in re.findall(r"(\S+) ± (\S+)", row)]
    omega, omega_err = values[2]
    assert abs(omega - 31) < 4 * omega_err
    assert math.isclose(values[1][0], 2 * math.pi / omega, rel_tol=1e-6)


def test_json_schema_and_accuracy(tmp_path):
    r = run("estimate", sine_csv(tmp_path / "s.csv"), "--json")
    assert r.code == 0, r.err
    doc = r.json
    assert set(doc) >= {"signals"}
    (sig,) = doc["signals"]
    assert SIGNAL_KEYS <= set(sig) and sig["name"] == "y" and sig["n_samples"] == 256
    comp = sig["components"][0]
    assert COMPONENT_KEYS <= set(comp)
    assert abs(comp["angular_frequency"] - 31.0) < 4 * comp["angular_frequency_err"]
    assert math.isclose(comp["period"], 2 * math.pi / comp["angular_frequency"], rel_tol=1e-12)
    assert comp["false_alarm_probability"] < 1e-6


def test_pure_noise_says_no_significant_period(tmp_path):
    rng = np.random.default_rng(3)
    sio.write_columns(
        tmp_path / "n.csv", {"t": np.sort(rng.uniform(0, 100, 200)), "y": rng.normal(size=200)}
    )
    r = run("estimate", tmp_path / "n.csv")
    assert r.code == 0, r.err
    assert "no significant period (best FAP=" in r.out


def test_nan_rows_are_dropped_with_a_warning_on_stderr(tmp_path):
    x, y = samples.sine(200, noise=0.1, seed=1)
    y[[3, 50]] = np.nan
    y[7] = np.inf
    sio.write_columns(tmp_path / "s.csv", {"x": x, "y": y})
    r = run("estimate", tmp_path / "s.csv", "--json")
    assert r.code == 0, r.err
    assert "warning:" in r.err and "dropped 3 of 200 rows" in r.err
    sig = r.json["signals"][0]
    assert sig["n_samples"] == 197 and any("dropped 3" in w for w in sig["warnings"])


def test_iso_hourly_times_with_a_daily_cycle(tmp_path):
    rng = np.random.default_rng(5)
    hours = np.arange(24 * 21)  # three weeks, hourly
    stamps = np.datetime64("2023-06-01T00:00:00") + hours.astype("timedelta64[h]")
    temp = 15 + 4 * np.sin(2 * np.pi * hours / 24 + 0.3) + rng.normal(0, 0.5, hours.size)
    lines = ["time,temperature"] + [f"{s}Z,{v:.3f}" for s, v in zip(stamps, temp, strict=True)]
    (tmp_path / "temp.csv").write_text("\n".join(lines) + "\n")
    r = run("estimate", tmp_path / "temp.csv", "--json")
    assert r.code == 0, r.err
    sig = r.json["signals"][0]
    assert sig["time_unit"] == "s" and sig["epoch"] == "2023-06-01T00:00:00Z"
    period, err = sig["components"][0]["period"], sig["components"][0]["period_err"]
    assert abs(period - 86400) < max(5 * err, 1e-4 * 86400)
    table = run("estimate", tmp_path / "temp.csv").out
    # the table uses the figure's human unit (days for a three-week record), not s and Hz
    assert "(24.0 h)" in table and "frequency [cycles/d]" in table and "period [d]" in table
    assert "t in d since 2023-06-01T00:00:00Z" in table
    row = next(line for line in table.splitlines() if line.strip().startswith("1 "))
    freq_per_day = float(row.split()[1])
    assert abs(freq_per_day - 1.0) < 1e-3


def test_stdin(tmp_path):
    text = sine_csv(tmp_path / "s.csv").read_text()
    r = run("estimate", "-", "--json", input=text)
    assert r.code == 0, r.err
    assert abs(r.json["signals"][0]["components"][0]["angular_frequency"] - 31) < 1e-3


@pytest.mark.parametrize("suffix", [".npy", ".npz"])
def test_arrays(tmp_path, suffix):
    x, y = samples.sine(256, noise=0.1, seed=2)
    path = tmp_path / f"s{suffix}"
    sio.write_columns(path, {"x": x, "flux": y, "flux2": 2 * y})
    r = run("estimate", path, "--json")
    assert r.code == 0, r.err
    sigs = r.json["signals"]
    assert len(sigs) == 2  # every value column, each on its own
    a1, a2 = (s["components"][0]["amplitude"] for s in sigs)
    assert math.isclose(a2, 2 * a1, rel_tol=1e-6)


def test_value_columns_are_chosen_and_one_failure_does_not_hide_the_rest(tmp_path):
    x, y = samples.sine(128, noise=0.1, seed=3)
    sio.write_columns(tmp_path / "m.csv", {"x": x, "a": y, "flat": np.ones_like(y), "b": -y})
    r = run("estimate", tmp_path / "m.csv", "-y", "b", "--json")
    assert r.code == 0 and [s["name"] for s in r.json["signals"]] == ["b"]
    r = run("estimate", tmp_path / "m.csv", "--json")
    assert r.code == 1
    names = [s["name"] for s in r.json["signals"]]
    assert names == ["a", "b", "flat"] and "error" in r.json["signals"][2]
    assert "error:" in r.err and "'flat'" in r.err and "Traceback" not in r.err


def test_sample_then_estimate_round_trip(tmp_path):
    path = tmp_path / "sine.npz"
    assert run("sample", "sine", "--noise", 0.1, "--seed", 7, "-o", path).code == 0
    comp = run("estimate", path, "--json").json["signals"][0]["components"][0]
    assert abs(comp["angular_frequency"] - 31) < 4 * comp["angular_frequency_err"]


def test_plot_writes_a_png(tmp_path):
    r = run("estimate", sine_csv(tmp_path / "s.csv"), "--plot", tmp_path / "fit.png")
    assert r.code == 0, r.err
    assert (tmp_path / "fit.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert sorted(os.listdir(tmp_path)) == ["fit.png", "s.csv"]  # no temporary left behind


def test_plot_svg_of_date_times(tmp_path):
    stamps = np.datetime64("2024-01-01") + np.arange(200).astype("timedelta64[h]")
    y = np.sin(2 * np.pi * np.arange(200) / 24)
    np.savez(tmp_path / "d.npz", when=stamps, y=y)
    r = run("estimate", tmp_path / "d.npz", "--plot", tmp_path / "d.svg")
    assert r.code == 0, r.err
    assert b"<svg" in (tmp_path / "d.svg").read_bytes()[:500]
