"""``sigfit estimate`` in batch mode: several files, folders, globs, a long table (--series),
CSV/Parquet outputs, --resume; Dask through --scheduler (an in-process cluster) or --workers."""

from __future__ import annotations

import json

import numpy as np
import pytest
from click.testing import CliRunner

pd = pytest.importorskip("pandas")
pytest.importorskip("distributed")
pytest.importorskip("pyarrow")

import sigfit  # noqa: E402
from sigfit import io as sio  # noqa: E402
from sigfit.batch import COLUMNS, read_rows  # noqa: E402
from sigfit.cli import main  # noqa: E402


@pytest.fixture(scope="module")
def scheduler():
    from distributed import LocalCluster

    with LocalCluster(n_workers=1, threads_per_worker=2, processes=False,
                      dashboard_address="127.0.0.1:0") as cluster:
        yield cluster.scheduler_address


def run(*args):
    with CliRunner().isolation() as (out, err, _):
        try:
            main(list(map(str, args)))
            code = 0
        except SystemExit as e:
            code = e.code
    return code, out.getvalue().decode(), err.getvalue().decode()


def _curve(seed, n=150):
    rng = np.random.default_rng(seed)
    t = np.sort(rng.uniform(0, 50, n))
    f = rng.uniform(0.1, 0.8)
    return t, 2 + np.sin(2 * np.pi * f * t) + rng.normal(0, 0.2, n)


def test_several_files_folder_and_glob(tmp_path, scheduler):
    d = tmp_path / "curves"
    d.mkdir()
    truth = {}
    for k in range(3):
        t, y = _curve(k)
        sio.write_columns(d / f"c{k}.csv", {"t": t, "y": y})
        truth[str(d / f"c{k}.csv")] = sigfit.estimate(t, y).components[0].frequency
    t, y = _curve(9)
    sio.write_columns(d / "two.csv", {"t": t, "a": y, "b": -y})  # two value columns: two series
    out = tmp_path / "res.csv"
    code, _, err = run("estimate", d / "c0.csv", str(d / "c[12].csv"), d / "two.csv",
                       "-o", out, "--scheduler", scheduler)
    assert code == 0, err
    df = read_rows(out)
    assert sorted(df["series"]) == sorted([*truth, f"{d}/two.csv:a", f"{d}/two.csv:b"])
    for sid, f in truth.items():
        assert df.set_index("series").loc[sid, "frequency"] == pytest.approx(f, rel=1e-12)
    # a folder gives the same series; rows stream to stdout as CSV without -o
    code, stdout, err = run("estimate", d, "--scheduler", scheduler)
    assert code == 0, err
    lines = stdout.splitlines()
    assert lines[0].split(",") == list(COLUMNS) and len(lines) == 1 + 5


def test_long_table_with_series_column_to_parquet(tmp_path, scheduler):
    parts, truth = [], {}
    for k in range(4):
        t, y = _curve(k)
        parts.append(pd.DataFrame({"mjd": t, "star": f"star{k}", "mag": y}))
        truth[f"star{k}"] = sigfit.estimate(t, y, n_components=2).components
    table = tmp_path / "survey.csv"
    pd.concat(parts).sample(frac=1, random_state=0).to_csv(table, index=False)
    out = tmp_path / "res.parquet"
    code, stdout, err = run("estimate", table, "--series", "star", "-t", "mjd", "-y", "mag",
                            "-k", "2", "-o", out, "--scheduler", scheduler, "--json")
    assert code == 0, err
    summary = json.loads(stdout)
    assert summary["n_series"] == 4 and summary["n_rows"] == 8 and summary["n_errors"] == 0
    df = read_rows(out).sort_values(["series", "component"])
    for sid, comps in truth.items():
        got = df[df.series == sid]
        assert np.allclose(got["frequency"], [c.frequency for c in comps], rtol=1e-9)
    # resume: nothing left to do, the output is unchanged
    code, stdout, err = run("estimate", table, "--series", "star", "-t", "mjd", "-y", "mag",
                            "-k", "2", "-o", out, "--resume", "--scheduler", scheduler, "--json")
    assert code == 0, err
    assert json.loads(stdout)["n_skipped"] == 4 and json.loads(stdout)["n_series"] == 0
    assert len(read_rows(out)) == 8
    # without -o the rows come back on stdout, two a series, and the series are still counted once
    code, stdout, err = run("estimate", table, "--series", "star", "-t", "mjd", "-y", "mag",
                            "-k", "2", "--scheduler", scheduler, "--json")
    assert code == 0, err
    doc = json.loads(stdout)
    assert doc["n_series"] == 4 and len(doc["rows"]) == 8
    assert sorted({r["series"] for r in doc["rows"]}) == sorted(truth)


def test_local_cluster_and_error_rows(tmp_path):
    good = tmp_path / "good.csv"
    sio.write_columns(good, dict(zip(("t", "y"), _curve(1), strict=True)))
    bad = tmp_path / "bad.csv"
    bad.write_text("t,y\n1,2\n")  # too few samples for any period
    out = tmp_path / "res.tsv"
    code, _, err = run("estimate", good, bad, "-o", out, "--workers", "1")
    assert code == 0, err
    assert "1 of 2 series failed" in err
    df = read_rows(out).set_index("series")
    assert pd.isna(df.loc[str(good), "error"]) and df.loc[str(bad), "error"]


@pytest.mark.parametrize("args, phrase", [
    (["--plot", "x.png"], "not available in batch mode"),
    (["--resume"], "needs -o"),
    (["-o", "res.xlsx"], "unknown format"),
    (["--workers", "1", "--scheduler", "tcp://127.0.0.1:1"], "not both"),
])
def test_bad_batch_flags_exit_2(tmp_path, args, phrase):
    f = tmp_path / "a.csv"
    sio.write_columns(f, dict(zip(("t", "y"), _curve(1), strict=True)))
    code, _, err = run("estimate", f, f, *args)
    assert code == 2 and phrase in err and "Traceback" not in err


def test_missing_file_and_unknown_series_column_one_line(tmp_path, scheduler):
    code, _, err = run("estimate", tmp_path / "nope*.csv", "--scheduler", scheduler)
    assert code == 1 and "no file matches" in err and "Traceback" not in err
    f = tmp_path / "a.csv"
    sio.write_columns(f, dict(zip(("t", "y"), _curve(1), strict=True)))
    code, _, err = run("estimate", f, "--series", "star", "--scheduler", scheduler)
    assert code == 1 and "star" in err and "Traceback" not in err


def test_long_table_rows_with_nan_are_dropped_and_reported(tmp_path, scheduler):
    t, y = _curve(2)
    y[5] = np.nan
    df = pd.concat([pd.DataFrame({"id": "a", "t": t, "y": y}),
                    pd.DataFrame({"id": "gone", "t": t[:3], "y": np.nan})])
    f = tmp_path / "long.csv"
    df.to_csv(f, index=False)
    out = tmp_path / "res.csv"
    code, _, err = run("estimate", f, "--series", "id", "-o", out, "--scheduler", scheduler)
    assert code == 0, err
    res = read_rows(out).set_index("series")
    assert "dropped 1 rows" in res.loc["a", "warnings"] and pd.isna(res.loc["a", "error"])
    assert res.loc["a", "n_samples"] == len(t) - 1
    assert res.loc["gone", "error"]  # every row dropped: an error row, not a silent gap


def test_warnings_go_to_the_rows_not_across_the_progress_bar(tmp_path, scheduler):
    # a trend read as a period warns; in a batch the warning belongs to its row, and stderr
    # carries no raw Python warning text
    t = np.sort(np.random.default_rng(3).uniform(0, 50, 300))
    sio.write_columns(tmp_path / "trend.csv", {"t": t, "a": 2.0 * t + np.sin(2 * np.pi * t),
                                               "b": 3.0 * t + np.sin(2 * np.pi * t)})
    out = tmp_path / "res.csv"
    code, _, err = run("estimate", tmp_path / "trend.csv", "-o", out, "--scheduler", scheduler)
    assert code == 0, err
    assert "longer than the record" not in err and "SigfitWarning" not in err
    rows = read_rows(out)
    assert len(rows) == 2
    assert rows["warnings"].str.contains("longer than the record").all()
