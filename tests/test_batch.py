"""estimate_many on a LocalCluster (in-process, loopback): same answers as estimate(), batched or
not; bad series become error rows; outputs stay whole across crashes and --resume."""

from __future__ import annotations

import math
import os

import numpy as np
import pytest

pd = pytest.importorskip("pandas")
pytest.importorskip("distributed")
pytest.importorskip("pyarrow")

import sigfit  # noqa: E402
from sigfit import _batch_shared, batch  # noqa: E402
from sigfit.batch import COLUMNS, estimate_many, read_rows  # noqa: E402

FIELDS = ("frequency", "phase", "amplitude", "frequency_err", "phase_err", "amplitude_err",
          "power", "false_alarm_probability")


@pytest.fixture(scope="module")
def client():
    from distributed import Client, LocalCluster

    # threads in this process: starts in ~0.1 s, and monkeypatches reach the tasks
    with LocalCluster(n_workers=1, threads_per_worker=2, processes=False,
                      dashboard_address="127.0.0.1:0") as cluster, Client(cluster) as c:
        yield c


def _series(n_series, n=200, shared=False, seed=0):
    rng = np.random.default_rng(seed)
    t_shared = np.sort(rng.uniform(0, 100, n))
    out = []
    for k in range(n_series):
        t = t_shared if shared else np.sort(rng.uniform(0, 100, n + 7 * k))
        f = rng.uniform(0.05, 0.4)
        y = 1.0 + rng.uniform(0.5, 2) * np.sin(2 * np.pi * f * t + rng.uniform(-3, 3))
        out.append((f"s{k}", t, y + rng.normal(0, 0.3, t.size)))
    return out


def _close(a, b, rtol):
    if a is None or b is None or (isinstance(a, float) and math.isnan(a)):
        return (a is None or (isinstance(a, float) and math.isnan(a))) and (
            b is None or (isinstance(b, float) and math.isnan(b)))
    return math.isclose(a, b, rel_tol=rtol, abs_tol=1e-300)


def _check_against_estimate(rows, series, rtol, **options):
    by_id = {}
    for r in rows:
        by_id.setdefault(r["series"], []).append(r)
    assert set(by_id) == {s[0] for s in series}
    for sid, t, y, *dy in series:
        ref = sigfit.estimate(t, y, dy=dy[0] if dy else None, **options).to_dict()
        got = sorted(by_id[sid], key=lambda r: r["component"])
        assert len(got) == len(ref["components"])
        for r, c in zip(got, ref["components"], strict=True):
            assert r["error"] is None
            assert r["n_samples"] == ref["n_samples"] and r["method"] == ref["method"]
            assert _close(r["offset"], ref["offset"], rtol)
            for k in FIELDS:
                assert _close(r[k], c[k], rtol), (sid, k, r[k], c[k])


def test_rows_match_estimate_one_by_one(client):
    series = _series(14, n=100)
    # one series per task: more tasks than the client keeps in flight (4 per thread + 2)
    rows = list(estimate_many(series, client=client, progress=False, chunk_size=1))
    assert all(set(r) == set(COLUMNS) for r in rows)
    _check_against_estimate(rows, series, rtol=1e-12)


def test_two_components_and_dict_source(client):
    series = _series(3, n=300)
    src = {sid: (t, y + 0.7 * np.sin(2 * np.pi * 0.31 * t)) for sid, t, y in series}
    rows = list(estimate_many(src, n_components=2, client=client, progress=False))
    assert len(rows) == 6
    _check_against_estimate(rows, [(k, *v) for k, v in src.items()], rtol=1e-12, n_components=2)


@pytest.mark.parametrize("options", [{}, {"detrend": "linear", "n_components": 2}])
def test_shared_time_stamps_are_batched_and_match_unbatched(client, monkeypatch, options):
    series = _series(6, shared=True)
    calls = []
    real = _batch_shared._batched_periodogram

    def spy(t, Y, *args, **kwargs):
        calls.append(np.shape(Y))
        return real(t, Y, *args, **kwargs)

    monkeypatch.setattr(_batch_shared, "_batched_periodogram", spy)
    rows = list(estimate_many(series, client=client, progress=False, chunk_size=6, **options))
    assert calls == [(6, 200)]  # one NUFFT call for all six series
    # batched power differs from the 1-D call by NUFFT rounding only; refinement then agrees
    _check_against_estimate(rows, series, rtol=1e-7, **options)


def test_shared_time_stamps_with_weights_are_batched(client, monkeypatch):
    rng = np.random.default_rng(3)
    series = [(sid, t, y, rng.uniform(0.2, 0.5, t.size)) for sid, t, y in _series(4, shared=True)]
    calls = []
    real = _batch_shared._batched_periodogram

    def spy(t, Y, dy, grid):
        calls.append((np.shape(Y), np.shape(dy)))
        return real(t, Y, dy, grid)

    monkeypatch.setattr(_batch_shared, "_batched_periodogram", spy)
    rows = list(estimate_many(series, client=client, progress=False, chunk_size=4))
    assert calls == [((4, 200), (4, 200))]
    _check_against_estimate(rows, series, rtol=1e-7)


def test_a_failed_task_gives_error_rows(client, monkeypatch):
    def boom(chunk, options):
        raise RuntimeError("worker lost")

    monkeypatch.setattr(batch, "run_chunk", boom)
    rows = list(estimate_many(_series(3), client=client, progress=False))
    assert sorted(r["series"] for r in rows) == ["s0", "s1", "s2"]
    assert all(r["error"] == "task failed: RuntimeError: worker lost" for r in rows)


def test_interrupted_run_leaves_whole_rows_and_resumes(client, tmp_path):
    series = _series(8)
    out = tmp_path / "res.csv"

    class Interrupt(Exception):
        pass

    def stop_after_first(rows):
        raise Interrupt  # as Ctrl-C right after the first chunk was written

    with pytest.raises(Interrupt):
        estimate_many(series, output=out, client=client, progress=False, chunk_size=2,
                      on_rows=stop_after_first)
    first = read_rows(out)
    assert len(first) == 2 and not first["frequency"].isna().any()
    estimate_many(series, output=out, resume=True, client=client, progress=False)
    df = read_rows(out)
    assert sorted(df["series"]) == [f"s{k}" for k in range(8)]
    _check_against_estimate(
        [{k: (None if pd.isna(v) else v) for k, v in r.items()} for r in df.to_dict("records")],
        series, rtol=1e-15)


def test_bad_series_become_error_rows_and_others_carry_on(client):
    good = _series(3)
    t = np.linspace(0, 10, 50)
    bad = [
        ("few", t[:2], np.sin(t[:2])),
        ("nan", t, np.full_like(t, np.nan)),
        ("const", t, np.ones_like(t)),
        ("ragged", t, np.sin(t[:-3])),
    ]
    rows = list(estimate_many(good[:2] + bad + good[2:], client=client, progress=False,
                              chunk_size=3))
    by_id = {r["series"]: r for r in rows}
    for sid, *_ in bad:
        assert by_id[sid]["error"], sid
        assert by_id[sid]["frequency"] is None
    _check_against_estimate([r for r in rows if r["series"].startswith("s")], good, rtol=1e-12)


def test_long_table_source(client):
    series = _series(4)
    df = pd.concat([pd.DataFrame({"star": sid, "mjd": t, "mag": y}) for sid, t, y in series])
    df = df.sample(frac=1.0, random_state=1)  # rows of all stars interleaved
    rows = list(estimate_many(df, series="star", time="mjd", value="mag", client=client,
                              progress=False))
    _check_against_estimate(rows, series, rtol=1e-9)


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_outputs_hold_the_rows(client, tmp_path, suffix):
    series = _series(4)
    rows = list(estimate_many(series, client=client, progress=False))
    out = tmp_path / f"res{suffix}"
    summary = estimate_many(series, output=out, client=client, progress=False)
    assert summary.n_series == 4 and summary.n_errors == 0 and summary.n_rows == 4
    df = read_rows(out)
    assert list(df.columns) == list(COLUMNS)
    want = {r["series"]: r for r in rows}
    for rec in df.to_dict("records"):
        assert rec["frequency"] == pytest.approx(want[rec["series"]]["frequency"], rel=1e-15)
        assert rec["n_samples"] == want[rec["series"]]["n_samples"]
    with pytest.raises(sigfit.InputError, match="resume"):
        estimate_many(series, output=out, client=client, progress=False)


def test_csv_resume_after_crash_keeps_file_whole(client, tmp_path):
    series = _series(6)
    out = tmp_path / "res.csv"
    estimate_many(series[:4], output=out, n_components=2, client=client, progress=False)
    # simulate a crash in the middle of a write: the last row is cut in half
    text = out.read_text()
    cut = text.splitlines()[-1].split(",")[0]
    out.write_text(text[: len(text) - 25])
    estimated = []
    summary = estimate_many(series, output=out, n_components=2, resume=True, client=client,
                            progress=False, on_rows=lambda rows: estimated.extend(rows))
    # the whole series were skipped; the cut one was dropped and run again
    assert sorted({r["series"] for r in estimated}) == sorted([cut, "s4", "s5"])
    assert summary.n_skipped == 3
    df = read_rows(out)
    assert df.groupby("series").size().to_dict() == {f"s{k}": 2 for k in range(6)}
    assert not df[list(FIELDS)].isna().any().any()


def test_parquet_resume_skips_done_series(client, tmp_path):
    series = _series(5)
    out = tmp_path / "res.parquet"
    estimate_many(series[:2], output=out, client=client, progress=False)
    (out / ".part-crashed.parquet.tmp").write_bytes(b"half a part")  # a crash while writing
    estimated = []
    estimate_many(series, output=out, resume=True, client=client, progress=False,
                  on_rows=lambda rows: estimated.extend(rows))
    assert sorted(r["series"] for r in estimated) == ["s2", "s3", "s4"]
    df = read_rows(out)
    assert sorted(df["series"]) == [f"s{k}" for k in range(5)]
    assert not any(f.startswith(".") for f in os.listdir(out))


def test_bad_sources_say_how_to_fix(client):
    with pytest.raises(sigfit.InputError, match=r"\(id, t, y\)"):
        list(estimate_many([(1, 2)], client=client, progress=False))
    with pytest.raises(sigfit.InputError, match="series=COLUMN"):
        estimate_many(pd.DataFrame({"a": [1.0]}), client=client)
    with pytest.raises(sigfit.InputError, match="appears twice"):
        s = _series(1)
        list(estimate_many(s + s, client=client, progress=False))
    with pytest.raises(sigfit.InputError, match="output format"):
        estimate_many(_series(1), output="res.xlsx", client=client)


def test_import_sigfit_does_not_import_dask():
    import subprocess
    import sys

    # sigfit.batch loads on first use of estimate_many; neither it nor sigfit loads Dask
    code = "import sys, sigfit; sigfit.estimate_many; print(' '.join(sorted(sys.modules)))"
    mods = set(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                              check=True).stdout.split())
    assert "sigfit.batch" in mods
    assert not mods & {"dask", "distributed", "pandas", "pyarrow", "tqdm"}


def test_first_power_hook_checks_its_grid():
    # issue 11: the hook left estimate()'s public signature; batches reach it internally
    from sigfit.estimate import _estimate_with_first_power

    t, y = _series(1)[0][1:]
    with pytest.raises(sigfit.InputError, match="first_power"):
        _estimate_with_first_power(t, y, np.zeros(3))


def test_other_estimate_keywords_pass_through(client):
    series = _series(2)
    rows = list(estimate_many(series, harmonics=1, client=client, progress=False))
    _check_against_estimate(rows, series, rtol=1e-12, harmonics=1)
    with pytest.raises(sigfit.InputError, match="tuple"):
        estimate_many(series, dy=np.ones(3), client=client)
    with pytest.raises(sigfit.InputError, match="first_power"):
        estimate_many(series, first_power=np.ones(3), client=client)


def test_own_cluster_ticks_slowly_and_does_not_profile():
    # the housekeeping of the cluster and client estimate_many starts (QUIET_DASK) reaches the
    # scheduler, the client and the spawned worker processes; the caller's config is untouched
    import dask

    c, close = batch._open_client(None, None, 1, True)
    try:
        tick = batch.QUIET_DASK["distributed.admin.tick.interval"]
        assert set(c.run(lambda: dask.config.get("distributed.admin.tick.interval")).values()) == {tick}
        assert set(c.run(lambda: dask.config.get("distributed.worker.profile.enabled")).values()) == {False}
        assert set(c.run(lambda dask_worker: dask_worker._tick_interval).values()) == {0.5}
        assert c.cluster.scheduler._tick_interval == 0.5
        rows = list(estimate_many(_series(2), client=c, fmax=1.0, harmonics=1, progress=False))
        assert sorted(r["series"] for r in rows if r["component"] == 0) == ["s0", "s1"]
    finally:
        close()
    assert dask.config.get("distributed.admin.tick.interval") != batch.QUIET_DASK["distributed.admin.tick.interval"]


def test_own_cluster_keeps_short_message_logs():
    # Dask keeps the last 1000 messages of each link, payloads under 1 MB included: a streamed run
    # held its last thousand chunks of series in the client process. The cluster and client that
    # estimate_many starts keep MESSAGE_LOG_LENGTH, on the scheduler's links, the client's and
    # in the workers; a run through them still gives every series its row.
    import dask

    c, close = batch._open_client(None, None, 1, False)
    try:
        scheduler = c.cluster.scheduler
        assert scheduler.stream_comms
        for comm in scheduler.stream_comms.values():
            assert comm.recent_message_log.maxlen == batch.MESSAGE_LOG_LENGTH
        assert c.scheduler_comm.recent_message_log.maxlen == batch.MESSAGE_LOG_LENGTH
        rows = list(estimate_many(_series(3), client=c, fmax=1.0, harmonics=1, progress=False))
        assert sorted(r["series"] for r in rows if r["component"] == 0) == ["s0", "s1", "s2"]
    finally:
        close()
    # the caller's own configuration is left as it was
    assert dask.config.get("distributed.admin.low-level-log-length") != batch.MESSAGE_LOG_LENGTH


def test_last_chunks_shrink_and_keep_every_series_once():
    # guided self-scheduling at the end of a run of known length: the pieces shrink to one
    # series, keep the order, and members sharing their stamps stay one group per piece
    from sigfit._batch_inputs import SeriesItem, _Group

    t1, t2 = np.arange(10.0), np.arange(5.0)
    chunk = [_Group(t1, [SeriesItem(f"a{i}", t1, t1) for i in range(6)]),
             _Group(t2, [SeriesItem(f"b{i}", t2, t2) for i in range(4)])]
    ids = [m.id for g in chunk for m in g.members]
    assert list(batch._tail_pieces(chunk, ids, None, 2)) == [(chunk, ids)]
    assert list(batch._tail_pieces(chunk, ids, 41, 2)) == [(chunk, ids)]
    for remaining in (20, 10, 3):  # 3: a count that fell short still cuts sensibly
        pieces = list(batch._tail_pieces(chunk, ids, remaining, 2))
        sizes = [len(i) for _, i in pieces]
        assert sizes == sorted(sizes, reverse=True) and sizes[-1] == 1 and len(pieces) > 1
        assert [x for _, i in pieces for x in i] == ids
        assert [m.id for c, _ in pieces for g in c for m in g.members] == ids
        for c, _ in pieces:
            assert all(m.t is g.t for g in c for m in g.members)
            assert len({id(g.t) for g in c}) == len(c)  # one group per set of stamps


def test_id_set_remembers_old_ids_by_digest(monkeypatch):
    # the duplicate-id check keeps recent ids exactly and older ones as 16-byte digests: every
    # id is still found after the recent ones are folded away, and no new one is mistaken
    from sigfit._batch_inputs import IdSet, _unique_ids

    monkeypatch.setattr(IdSet, "RECENT", 7)
    monkeypatch.setattr(IdSet, "RUN", 21)  # three folds to a closed run of digests
    seen = IdSet()
    keys = [f"s{i}" for i in range(100)] + ["", "ünï", "a\udcff"]
    for j, k in enumerate(keys):
        assert k not in seen
        seen.add(k)
        assert all(old in seen for old in keys[:j + 1])  # also just after a run is closed
    assert len(seen._runs) == 4
    assert len(seen) == len(keys)
    assert all(k in seen for k in keys)
    assert not any(f"t{i}" in seen for i in range(1000))
    items = [batch.SeriesItem(f"s{i}", None, None) for i in range(50)] + [batch.SeriesItem("s3", None, None)]
    with pytest.raises(sigfit.InputError, match="'s3' appears twice"):
        list(_unique_ids(iter(items)))


def test_shared_stamps_are_batched_within_the_memory_budget(client, monkeypatch):
    # issue 18: a group's batched first periodogram is cut into sub-batches of at most
    # BATCH_POWER_BUDGET bytes, each computed at its first member's turn (256 series sharing
    # their stamps at the defaults held 15 GB in one array before)
    series = _series(7, shared=True)
    calls = []
    real = _batch_shared._batched_periodogram

    def spy(t, Y, *args, **kwargs):
        calls.append(np.shape(Y)[0])
        out = real(t, Y, *args, **kwargs)
        budget_rows = max(2, _batch_shared.BATCH_POWER_BUDGET // (out.shape[-1] * _batch_shared.BATCH_BYTES_PER_POWER))
        assert np.shape(Y)[0] <= budget_rows
        return out

    monkeypatch.setattr(_batch_shared, "_batched_periodogram", spy)
    # three series' worth of budget on this grid: sub-batches of 3, 3 and a lone one
    from sigfit._validate import validate_series
    from sigfit.plan import plan_search

    t, y = series[0][1], series[0][2]
    size = plan_search(validate_series(t, y, None), "auto", fmin=None, fmax=None, oversampling=5).grid.size
    monkeypatch.setattr(_batch_shared, "BATCH_POWER_BUDGET", 3 * size * _batch_shared.BATCH_BYTES_PER_POWER)
    rows = list(estimate_many(series, client=client, progress=False, chunk_size=7))
    assert calls == [3, 3]
    _check_against_estimate(rows, series, rtol=1e-7)
