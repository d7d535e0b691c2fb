"""``sigfit sample sine|clock``: the seed's task data, written whole, read back exactly."""

from dataclasses import dataclass

import numpy as np
import pytest
from click.testing import CliRunner

from sigfit import io as sio
from sigfit import samples
from sigfit.cli import main


@dataclass
class Run:
    code: int
    out: str
    err: str


def run(*args, input=None) -> Run:
    """``sigfit ARGS`` through the real entry point (SigfitError -> "error:" line, exit codes)."""
    with CliRunner().isolation(input=input) as (out, err, _):
        try:
            main(list(map(str, args)))
            code = 0
        except SystemExit as e:
            code = e.code
    return Run(code, out.getvalue().decode(), err.getvalue().decode())


@pytest.mark.parametrize("suffix", [".csv", ".tsv", ".npy", ".npz"])
def test_sine_round_trip(tmp_path, suffix):
    path = tmp_path / f"sine{suffix}"
    r = run(
        "sample",
        "sine",
        "--n",
        50,
        "--omega",
        3,
        "--range",
        10,
        "--noise",
        0.1,
        "--seed",
        4,
        "--amplitude",
        2,
        "--phase",
        0.5,
        "-o",
        path,
    )
    assert r.code == 0, r.err
    x, y = samples.sine(50, 3.0, 10.0, amplitude=2.0, phase=0.5, noise=0.1, seed=4)
    d = sio.load(path)
    np.testing.assert_array_equal(d.time.values, x)
    np.testing.assert_array_equal(d.series(d.value_names[0]).y, y)
    if suffix in (".csv", ".tsv"):
        assert path.read_text().splitlines()[0] == ("x,y" if suffix == ".csv" else "x\ty")


def test_sine_defaults_are_the_seed_task():
    r = run("sample", "sine", "-o", "-")
    assert r.code == 0, r.err
    x, y = samples.sine()
    rows = np.array([line.split(",") for line in r.out.splitlines()[1:]], dtype=float)
    np.testing.assert_array_equal(rows, np.column_stack([x, y]))


def test_clock_round_trip(tmp_path):
    path = tmp_path / "clock.csv"
    r = run("sample", "clock", "--n", 1000, "--years", 120, "--seed", 2, "-o", path)
    assert r.code == 0, r.err
    d = sio.load(path)
    assert (d.time.name, d.value_names) == ("t", ["hours", "minutes", "seconds"])
    t = d.time.values
    assert t.dtype == np.int64 and t.max() > 3e9  # int64 seconds over 120 years
    s = samples.clock(1000, 120, seed=2)
    np.testing.assert_array_equal(t, s.t)
    h, m, sec = (d.series(n).y for n in ("hours", "minutes", "seconds"))
    np.testing.assert_array_equal(h * 3600 + m * 60 + sec, t % 86400)


def test_clock_other_bases_names_digits(tmp_path):
    path = tmp_path / "clock.npz"
    r = run("sample", "clock", "--n", 200, "--years", 1, "--bases", "7,13,5,3", "-o", path)
    assert r.code == 0, r.err
    with np.load(path) as z:
        assert z.files == ["t", "d3", "d2", "d1", "d0"]
        assert z["t"].dtype == np.int64
        np.testing.assert_array_equal(
            z["d0"] + 7 * z["d1"] + 91 * z["d2"] + 455 * z["d3"], z["t"] % (7 * 13 * 5 * 3)
        )


@pytest.mark.parametrize(
    "args",
    [
        ("clock", "--bases", "1,x", "-o", "c.csv"),
        ("clock", "--bases", "60,1", "-o", "c.csv"),
        ("sine", "--n", "0", "-o", "s.csv"),
        ("sine", "--noise", "-1", "-o", "s.csv"),
        ("sine", "-o", "s.xlsx"),
        ("sine",),
    ],
)
def test_bad_flags_exit_2(tmp_path, monkeypatch, args):
    monkeypatch.chdir(tmp_path)
    r = run("sample", *args)
    assert r.code == 2
    assert "Traceback" not in r.err
    assert list(tmp_path.iterdir()) == []


def test_missing_output_directory_is_one_error_line(tmp_path):
    r = run("sample", "sine", "-o", tmp_path / "nope" / "s.csv")
    assert r.code == 1
    assert r.err.startswith("error: cannot write") and r.err.count("\n") == 1
