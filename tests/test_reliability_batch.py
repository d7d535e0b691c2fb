"""Issue 14, batches: a failed start leaves nothing; --resume retries failures and refuses other
options; one run per output (lock); rows say their epoch and time unit; ids are kept as written;
damaged Parquet parts are set aside; Ctrl-C and killed workers lose nothing (slow, real
processes)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
from click.testing import CliRunner

pd = pytest.importorskip("pandas")
pytest.importorskip("distributed")
pytest.importorskip("pyarrow")

import sigfit  # noqa: E402
from sigfit import batch  # noqa: E402
from sigfit import io as sio  # noqa: E402
from sigfit.batch import OutputLock, estimate_many, is_transient, read_rows  # noqa: E402
from sigfit.cli import main  # noqa: E402


@pytest.fixture(scope="module")
def client():
    from distributed import Client, LocalCluster

    with LocalCluster(n_workers=1, threads_per_worker=2, processes=False,
                      dashboard_address="127.0.0.1:0") as cluster, Client(cluster) as c:
        yield c


def _series(n_series, n=120, seed=0):
    rng = np.random.default_rng(seed)
    out = []
    for k in range(n_series):
        t = np.sort(rng.uniform(0, 100, n))
        y = np.sin(2 * np.pi * rng.uniform(0.05, 0.4) * t) + rng.normal(0, 0.3, n)
        out.append((f"s{k}", t, y))
    return out


def run(*args):
    with CliRunner().isolation() as (out, err, _):
        try:
            main(list(map(str, args)))
            code = 0
        except SystemExit as e:
            code = e.code
    return code, out.getvalue().decode(), err.getvalue().decode()


def _left(tmp_path):
    return sorted(os.listdir(tmp_path))


# --- 12: a failed start leaves no output ------------------------------------------------------

def test_failed_starts_leave_nothing(client, tmp_path):
    df = pd.DataFrame({"star": ["a"] * 5, "t": np.arange(5.0), "y": np.arange(5.0)})
    with pytest.raises(sigfit.InputError, match="series column 'nope'"):
        estimate_many(df, series="nope", output=tmp_path / "o.csv", client=client, progress=False)
    with pytest.raises(sigfit.InputError, match="Dask scheduler"):
        estimate_many(_series(2), output=tmp_path / "o.parquet", scheduler="garbage://??",
                      progress=False)
    assert _left(tmp_path) == []


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_every_series_failing_leaves_nothing_and_the_retry_runs(client, tmp_path, suffix):
    d = tmp_path / "in"
    d.mkdir()
    for k in range(3):
        sio.write_columns(d / f"c{k}.csv", {"t": np.arange(50.0), "y": np.sin(np.arange(50.0) + k)})
    out = tmp_path / f"o{suffix}"
    summary = estimate_many([str(d)], read_options={"values": ["nope"]}, output=out,
                            client=client, progress=False)
    assert summary.discarded and summary.n_errors == 3 and "no value column 'nope'" in summary.first_error
    assert _left(tmp_path) == ["in"]
    summary = estimate_many([str(d)], output=out, client=client, progress=False)  # corrected
    assert summary.n_series == 3 and summary.n_errors == 0


def test_cli_failed_starts_leave_nothing(tmp_path):
    long = tmp_path / "long.csv"
    long.write_text("star,t,y\n" + "".join(f"a,{k},{np.sin(k)!r}\n" for k in range(30)))
    for args in (["--series", "nope"], ["--series", "star", "--scheduler", "garbage://??"],
                 ["--series", "star", "-y", "nope"]):
        code, _, err = run("estimate", long, *args, "-o", tmp_path / "o.csv")
        assert code == 1 and err.count("error:") == 1 and "Traceback" not in err, err
    code, _, err = run("estimate", long, "--series", "star", "-o", tmp_path / "nodir" / "o.csv")
    assert code == 2 and "does not exist" in err
    assert _left(tmp_path) == ["long.csv"]


# --- 10: resume retries failures, refuses other options -----------------------------------------

def test_resume_retries_transient_failures(client, tmp_path, monkeypatch):
    series = _series(6)
    out = tmp_path / "o.csv"
    real = batch.run_chunk

    def flaky(chunk, options):
        ids = [m.id for g in chunk for m in g.members]
        if "s2" in ids:
            raise RuntimeError("KilledWorker: worker lost")
        return real(chunk, options)

    monkeypatch.setattr(batch, "run_chunk", flaky)
    first = estimate_many(series, output=out, client=client, progress=False, chunk_size=2)
    assert first.n_errors == 2
    df = read_rows(out)
    assert df["error"].str.startswith("task failed:").sum() == 2
    monkeypatch.setattr(batch, "run_chunk", real)
    redone = []
    summary = estimate_many(series, output=out, resume=True, client=client, progress=False,
                            on_rows=redone.extend)
    assert sorted(r["series"] for r in redone) == ["s2", "s3"] and summary.n_skipped == 4
    df = read_rows(out)
    assert sorted(df["series"]) == [f"s{k}" for k in range(6)] and not df["error"].notna().any()


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_retry_errors_reruns_every_failure(client, tmp_path, suffix):
    t = np.linspace(0, 10, 50)
    series = [*_series(2), ("const", t, np.ones_like(t))]
    out = tmp_path / f"o{suffix}"
    estimate_many(series, output=out, client=client, progress=False)
    redone = []
    estimate_many(series, output=out, resume=True, client=client, progress=False,
                  on_rows=redone.extend)
    assert redone == []  # "y is constant" is the series' own fault: kept
    estimate_many(series, output=out, resume=True, retry_errors=True, client=client,
                  progress=False, on_rows=redone.extend)
    assert [r["series"] for r in redone] == ["const"]
    df = read_rows(out)
    assert sorted(df["series"]) == ["const", "s0", "s1"]  # no duplicate error row


def test_transient_errors_are_told_apart():
    assert is_transient("task failed: KilledWorker: Attempted to run task ... 3 times")
    assert is_transient("MemoryError: Unable to allocate 8.0 GiB")
    assert not is_transient("y is constant (every value is 1.0): there is no period to find")
    assert not is_transient("ZeroDivisionError: float division by zero")
    assert not is_transient(None)


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_resume_with_other_options_is_refused(client, tmp_path, suffix):
    series = _series(3)
    out = tmp_path / f"o{suffix}"
    estimate_many(series[:2], output=out, client=client, progress=False)
    with pytest.raises(sigfit.InputError, match=r"other options \(method: 'auto' there, 'fft' now\)"):
        estimate_many(series, output=out, resume=True, method="fft", client=client, progress=False)
    with pytest.raises(sigfit.InputError, match="n_components: 1 there, 2 now"):
        estimate_many(series, output=out, resume=True, n_components=2, client=client,
                      progress=False)
    # the same options spelled differently are the same options (the default detrend is "auto")
    estimate_many(series, output=out, resume=True, detrend="auto", client=client, progress=False)
    df = read_rows(out)
    assert df["options"].nunique() == 1 and '"method":"auto"' in df["options"].iloc[0]


# --- 11: one run per output --------------------------------------------------------------------

def test_concurrent_runs_on_one_output_are_refused(client, tmp_path):
    out = tmp_path / "o.csv"
    lock = OutputLock(str(out))  # another run holds it
    try:
        with pytest.raises(sigfit.InputError, match=f"being written by another sigfit run \\(pid {os.getpid()}\\)"):
            estimate_many(_series(2), output=out, resume=True, client=client, progress=False)
    finally:
        lock.release()
    estimate_many(_series(2), output=out, client=client, progress=False)
    assert _left(tmp_path) == ["o.csv"]  # the lock goes with the run


# --- 13: epoch, time unit, ids, fsync ---------------------------------------------------------

def test_rows_carry_epoch_and_time_unit(client, tmp_path):
    stamps = np.datetime64("1850-01-01T00:00:00") + np.arange(60) * np.timedelta64(7, "h")
    y = np.sin(np.arange(60) / 3)
    path = tmp_path / "d.csv"
    path.write_text("when,v\n" + "".join(f"{s},{v!r}\n" for s, v in zip(stamps, y.tolist(), strict=True)))
    (row,) = [r for r in estimate_many([str(path)], client=client, progress=False)]
    assert (row["time_unit"], row["epoch"]) == ("s", "1850-01-01T00:00:00")
    long = tmp_path / "long.csv"
    long.write_text("id,when,v\n" + "".join(f"a,{s},{v!r}\n" for s, v in zip(stamps, y.tolist(), strict=True)))
    (row,) = list(estimate_many([str(long)], series="id", client=client, progress=False))
    assert (row["time_unit"], row["epoch"]) == ("s", "1850-01-01T00:00:00")
    (row,) = list(estimate_many(_series(1), client=client, progress=False))
    assert row["time_unit"] is None and row["epoch"] is None


def test_series_ids_are_not_trimmed(client, tmp_path):
    long = tmp_path / "long.csv"
    t = np.arange(40.0)
    long.write_text("id,t,v\n" + "".join(f'"{sid}",{k!r},{float(np.sin(k + len(sid)))!r}\n'
                                         for sid in (" 007", "007") for k in t.tolist()))
    rows = list(estimate_many([str(long)], series="id", client=client, progress=False))
    assert sorted(r["series"] for r in rows) == [" 007", "007"]
    assert all(r["n_samples"] == 40 for r in rows)


def test_parquet_parts_are_fsynced(client, tmp_path, monkeypatch):
    synced = []
    real = os.fsync
    monkeypatch.setattr(os, "fsync", lambda fd: (synced.append(fd), real(fd))[1])
    estimate_many(_series(2), output=tmp_path / "o.parquet", client=client, progress=False)
    assert len(synced) >= 2  # the part, then its folder


def test_truncated_parquet_part_is_set_aside_and_rerun(client, tmp_path):
    series = _series(4)
    out = tmp_path / "o.parquet"
    estimate_many(series[:2], output=out, client=client, progress=False)
    estimate_many(series[:4], output=out, resume=True, client=client, progress=False)
    parts = sorted(p for p in os.listdir(out) if p.endswith(".parquet"))
    assert len(parts) == 2
    victim = out / parts[1]
    victim.write_bytes(victim.read_bytes()[:100])  # cut: not fsynced before a power cut
    with pytest.warns(sigfit.SigfitWarning, match="could not be read"):
        summary = estimate_many(series, output=out, resume=True, client=client, progress=False)
    assert summary.n_series == 2 and summary.n_skipped == 2
    df = read_rows(out)
    assert sorted(df["series"]) == [f"s{k}" for k in range(4)]
    assert any(p.startswith(".corrupt-") for p in os.listdir(out))


# --- 9, 10: real processes: Ctrl-C, killed workers ----------------------------------------------

def _long_table(path, n_series, n=150):
    rng = np.random.default_rng(5)
    lines = ["star,t,mag"]
    for s in range(n_series):
        t = np.sort(rng.uniform(0, 100, n))
        y = np.sin(2 * np.pi * t / (3 + s % 5)) + 0.3 * rng.normal(size=n)
        lines += [f"{s:04d},{a!r},{b!r}" for a, b in zip(t.tolist(), y.tolist(), strict=True)]
    path.write_text("\n".join(lines) + "\n")


def _rows(path):
    return sum(1 for _ in open(path)) - 1 if os.path.exists(path) else 0


def _start(src, out, *extra, env=None):
    return subprocess.Popen(
        [sys.executable, "-m", "sigfit", "estimate", str(src), "--series", "star", "-o", str(out),
         "--workers", "2", "--chunk-size", "2", *extra],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True,
        env={**os.environ, **(env or {})})


def _wait_rows(out, n, timeout=120):
    deadline = time.time() + timeout
    while time.time() < deadline and _rows(out) < n:
        time.sleep(0.2)
    assert _rows(out) >= n


@pytest.mark.slow
def test_ctrl_c_on_a_batch_is_one_line_and_resume_completes(tmp_path):
    src, out = tmp_path / "long.csv", tmp_path / "o.csv"
    _long_table(src, 120)
    p = _start(src, out)
    _wait_rows(out, 10)
    os.killpg(p.pid, signal.SIGINT)  # the terminal sends it to the whole group, workers too
    _, err = p.communicate(timeout=120)
    text = err.decode()
    assert p.returncode == 130, text
    assert "Traceback" not in text and len(text.strip().splitlines()) == 1, text
    assert "rerun with --resume" in text
    p = _start(src, out, "--resume")
    _, err = p.communicate(timeout=300)
    assert p.returncode == 0, err
    df = read_rows(out)
    assert len(df) == 120 and df["series"].nunique() == 120


@pytest.mark.slow
def test_killed_workers_are_retried_on_resume(tmp_path):
    psutil = pytest.importorskip("psutil")
    src, out = tmp_path / "long.csv", tmp_path / "o.csv"
    _long_table(src, 120)
    # one death is a failure (KilledWorker) instead of a silent retry elsewhere
    p = _start(src, out, env={"DASK_DISTRIBUTED__SCHEDULER__ALLOWED_FAILURES": "0"})
    _wait_rows(out, 6)
    # the worker processes (not multiprocessing's resource tracker), each busy with a chunk
    workers = [c for c in psutil.Process(p.pid).children(recursive=True)
               if "spawn_main" in " ".join(c.cmdline())]
    assert len(workers) == 2
    for w in workers:
        w.kill()
    _, err = p.communicate(timeout=300)
    df = read_rows(out)
    failed = df[df["error"].notna()]
    assert len(failed) and failed["error"].str.startswith("task failed:").all(), df["error"].unique()
    assert df["series"].nunique() == len(df) == 120
    p = _start(src, out, "--resume")
    _, err = p.communicate(timeout=300)
    assert p.returncode == 0, err
    assert f"{len(failed)} series estimated" in err.decode()
    df = read_rows(out)
    assert len(df) == 120 and df["series"].nunique() == 120 and not df["error"].notna().any()
