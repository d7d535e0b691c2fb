"""sigfit.io: tables in (CSV/TSV/npy/npz, ISO-8601 times), results out (tables, JSON records)."""

import io as _io
import json
import math
import os
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sigfit import Component, EstimateResult, InputError, Periodogram, SigfitWarning
from sigfit import io as sio


def load_text(text, **kw):
    return sio.load("-", stdin=_io.BytesIO(text.encode()), **kw)


# ----------------------------------------------------------------------------- tables in


@pytest.mark.parametrize(
    "text",
    [
        "t,a,b\n1,2,3\n2,4,6\n",
        "t\ta\tb\n1\t2\t3\n2\t4\t6\n",
        "t;a;b\n1;2;3\n2;4;6\n",
        "t a b\n1 2 3\n2   4 6\n",
        '"t","a","b"\n1,2,3\n2,4,6\n',
        "# comment\n\nt,a,b\n1,2,3\n# inline comment\n2,4,6\n\n",
    ],
    ids=["comma", "tab", "semicolon", "whitespace", "quoted", "comments"],
)
def test_delimiters_are_sniffed(text):
    d = load_text(text)
    assert d.time.name == "t" and d.value_names == ["a", "b"]
    np.testing.assert_array_equal(d.series("b").y, [3.0, 6.0])
    assert d.time.values.dtype == np.int64  # integer stamps stay exact


def test_savetxt_header_comment_is_the_header():
    buf = _io.StringIO()
    np.savetxt(buf, np.column_stack([[0.5, 1.5], [1.0, 2.0]]), delimiter=",", header="time,flux")
    d = load_text(buf.getvalue())
    assert (d.time.name, d.value_names) == ("time", ["flux"])


def test_headerless_numbers_get_positional_names():
    d = load_text("1,2\n2,3\n")
    assert (d.time.name, d.value_names) == ("col0", ["col1"])


def test_columns_by_name_or_index_and_text_columns_skipped():
    with pytest.warns(SigfitWarning, match="skipping non-numeric column 'label'"):
        d = load_text("a,label,t,y\n1,x,10,5\n2,y,20,6\n", time="t")
    assert d.value_names == ["a", "y"]
    d = load_text("a,label,t,y\n1,x,10,5\n2,y,20,6\n", time="2", values=["3"])
    assert (d.time.name, d.value_names) == ("t", ["y"])


def test_missing_cells_are_dropped_with_a_warning():
    d = load_text("t,y\n1,1\n2,\n3,nan\n4,inf\n,5\n6,6\n")
    with pytest.warns(SigfitWarning, match="dropped 4 of 6 rows"):
        s = d.series("y")
    np.testing.assert_array_equal(s.t, [1, 6])
    np.testing.assert_array_equal(s.y, [1.0, 6.0])


def test_huge_integer_stamps_stay_exact():
    # nanosecond stamps exceed 2**53: float64 would merge neighbours
    t0 = 1_700_000_000_000_000_000
    d = load_text(f"t,y\n{t0},1\n{t0 + 1},2\n{t0 + 3},3\n")
    assert d.time.values.dtype == np.int64
    np.testing.assert_array_equal(np.diff(d.time.values), [1, 2])


def test_iso_times_become_seconds_since_the_earliest():
    start = np.datetime64("2024-03-01T00:00:00")
    stamps = start + np.arange(48) * np.timedelta64(1, "h")
    text = "when,v\n" + "".join(f"{s},{k}\n" for k, s in enumerate(stamps[::-1]))
    d = load_text(text)
    assert d.time.unit == "s" and d.time.epoch == "2024-03-01T00:00:00"
    assert d.time.values.dtype == np.int64  # whole seconds: exact
    np.testing.assert_array_equal(np.sort(d.time.values), np.arange(48) * 3600)


def test_decimal_commas_and_trailing_delimiters():
    # a European spreadsheet's export: ';' between fields, ',' in numbers, a ';' closing each line
    d = load_text("t;y;\n0,5;1,25;\n1,5;-2,5e-1;\n2,5;;\n3;4,0;\n")
    assert d.value_names == ["y"]
    np.testing.assert_allclose(d.time.values, [0.5, 1.5, 2.5, 3.0])
    np.testing.assert_allclose(d._values["y"], [1.25, -0.25, np.nan, 4.0])
    # text with commas stays text (and is skipped as non-numeric, with a warning)
    with pytest.warns(SigfitWarning, match="non-numeric"):
        assert load_text("t;label;v\n1;a,b;1\n2;c,d;2\n3;e,f;3\n").value_names == ["v"]


def test_calendar_months_are_their_first_day():
    # monthly series are often stamped YYYY-MM (ISO 8601 reduced precision)
    text = "month,v\n2023-11,1\n2023-12,2\n2024-01,3\n2024-03,4\n"
    d = load_text(text)
    assert d.time.epoch == "2023-11-01T00:00:00"
    np.testing.assert_array_equal(d.time.values, np.array([0, 30, 61, 121]) * 86400)
    with pytest.raises(InputError, match="time of day without a day"):
        load_text("month,v\n2023-11,1\n2023-12T10:00,2\n2024-01,3\n")


def test_iso_times_with_offsets_are_utc_and_fractions_exact():
    d = load_text(
        "t,y\n"
        "2024-01-01T01:00:00+01:00,1\n"  # = 00:00:00Z
        "2024-01-01T00:00:00.123456789Z,2\n"
        "2024-01-01 00:00:02.5Z,3\n"
    )
    assert d.time.epoch == "2024-01-01T00:00:00Z"
    assert d.time.values.tolist() == [0.0, 0.123456789, 2.5]


def test_iso_times_far_apart_do_not_overflow():
    # 500 years in nanoseconds overflows int64; seconds + nanoseconds do not
    d = load_text("t,y\n1700-01-01T00:00:00.5,1\n2200-01-01T00:00:00.5,2\n")
    days = (np.datetime64("2200-01-01") - np.datetime64("1700-01-01")).astype(int)
    assert d.time.values[1] == days * 86400.0


def test_date_only_and_minute_times():
    d = load_text("t,y\n2024-01-01,1\n2024-01-08,2\n2024-01-08T12:30,3\n")
    assert d.time.values.tolist() == [0, 7 * 86400, 7 * 86400 + 12 * 3600 + 1800]


@pytest.mark.parametrize(
    "text, match",
    [
        ("t,y\n2024-01-01T00:00Z,1\n2024-01-02T00:00,2\n", "mixes date-times with and without"),
        ("t,y\n2024-01-01,1\n5,2\n", "line 3.*not an ISO-8601"),
        ("t,y\n2024-02-30,1\n2024-03-01,2\n", "line 2.*not a valid date"),
        ("t,y\n2024-01-01T25:00,1\n2024-01-02,2\n", "not a valid time of day"),
    ],
)
def test_bad_iso_times(text, match):
    with pytest.raises(InputError, match=match):
        load_text(text)


def test_npy_2d_and_structured(tmp_path):
    t = np.arange(5.0)
    np.save(tmp_path / "a.npy", np.column_stack([t, 2 * t, 3 * t]))
    d = sio.load(tmp_path / "a.npy")
    assert (d.time.name, d.value_names) == ("col0", ["col1", "col2"])
    np.testing.assert_array_equal(d.series("col2").y, 3 * t)
    rec = np.zeros(5, dtype=[("time", "i8"), ("flux", "f4")])
    rec["time"], rec["flux"] = np.arange(5), np.arange(5) * 0.5
    np.save(tmp_path / "b.npy", rec)
    d = sio.load(tmp_path / "b.npy")
    assert (d.time.name, d.value_names) == ("time", ["flux"])
    assert d.series("flux").y.dtype == np.float32  # kept for the precision audit


def test_npz_named_arrays_and_datetimes(tmp_path):
    stamps = np.datetime64("2020-01-01T00:00") + np.arange(4) * np.timedelta64(30, "m")
    np.savez(tmp_path / "a.npz", when=stamps, y=np.arange(4.0), z=np.ones(4))
    d = sio.load(tmp_path / "a.npz", values=["y"])
    assert d.time.epoch == "2020-01-01T00:00:00"
    assert d.time.values.tolist() == [0, 1800, 3600, 5400]
    assert d.value_names == ["y"]


def test_format_is_read_from_content_not_suffix(tmp_path):
    np.save(tmp_path / "x.dat", np.column_stack([np.arange(3.0), np.arange(3.0)]))
    assert sio.load(tmp_path / "x.dat.npy").value_names == ["col1"]
    (tmp_path / "fake.npy").write_text("t,y\n1,2\n")
    with pytest.raises(InputError, match="not a valid .npy"):
        sio.load(tmp_path / "fake.npy")


@pytest.mark.parametrize(
    "make, match",
    [
        (lambda p: np.save(p, np.arange(5.0)), "2-D array"),
        (lambda p: np.save(p, np.ones((3, 3), dtype=complex)), "complex"),
        (lambda p: np.savez(p, t=np.arange(3), y=np.arange(4)), "different lengths"),
        (lambda p: np.savez(p, t=np.arange(3), y=np.ones((3, 2))), "one 1-D array per column"),
        (lambda p: np.savez(p, t=np.arange(0), y=np.arange(0)), "no data rows"),
    ],
    ids=["npy-1d", "complex", "npz-ragged", "npz-2d", "npz-empty"],
)
def test_bad_arrays(tmp_path, make, match):
    path = tmp_path / "bad.npz"
    make(path)
    path = path if path.exists() else tmp_path / "bad.npz.npy"
    with pytest.raises(InputError, match=match):
        sio.load(path)


def test_latin1_text_is_read_but_binary_is_refused():
    d = sio.load("-", stdin=_io.BytesIO("t,temp \xb0C\n1,2\n2,3\n".encode("latin-1")))
    assert d.value_names == ["temp \xb0C"]
    with pytest.raises(InputError, match="looks binary"):
        sio.load("-", stdin=_io.BytesIO(bytes(range(256)) * 4))


# ----------------------------------------------------------------------------- writing


@settings(max_examples=25, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.floats(allow_nan=False, allow_infinity=False, width=64),
            st.floats(allow_nan=False, allow_infinity=False),
        ),
        min_size=1,
        max_size=30,
    ),
    st.sampled_from([".csv", ".tsv", ".npy", ".npz"]),
)
def test_written_columns_read_back_bit_identical(tmp_path_factory, rows, suffix):
    x, y = (np.array(c, dtype=np.float64) for c in zip(*rows, strict=True))
    path = tmp_path_factory.mktemp("w") / f"data{suffix}"
    sio.write_columns(path, {"x": x, "y": y})
    d = sio.load(path)
    np.testing.assert_array_equal(d.time.values.astype(np.float64), x)
    np.testing.assert_array_equal(d.series(d.value_names[0]).y, y)  # .npy has no names


def test_int64_columns_stay_integers(tmp_path):
    t = np.array([0, 3_786_825_599], dtype=np.int64)
    for suffix in (".csv", ".npy"):
        sio.write_columns(tmp_path / f"c{suffix}", {"t": t, "d": t % 7})
        d = sio.load(tmp_path / f"c{suffix}")
        assert d.time.values.dtype == np.int64
        np.testing.assert_array_equal(d.time.values, t)
    assert (tmp_path / "c.csv").read_text().splitlines()[2] == "3786825599,4"


def test_write_is_whole_or_nothing(tmp_path, monkeypatch):
    path = tmp_path / "keep.npy"
    sio.write_columns(path, {"a": np.arange(3), "b": np.arange(3)})
    before = path.read_bytes()

    def broken_save(fh, arr):
        fh.write(b"partial")
        raise OSError("disk full")

    monkeypatch.setattr(np, "save", broken_save)
    with pytest.raises(OSError, match="disk full"):
        sio.write_columns(path, {"a": np.arange(9), "b": np.arange(9)})
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["keep.npy"]  # no temporary file left behind


def test_written_files_get_the_usual_permissions(tmp_path):
    sio.write_columns(tmp_path / "a.csv", {"a": np.arange(2)})
    assert (tmp_path / "a.csv").stat().st_mode & 0o777 == sio.new_file_mode()  # not mkstemp's 0o600


def test_write_refuses_unknown_suffix_and_missing_directory(tmp_path):
    with pytest.raises(InputError, match="unknown format"):
        sio.write_columns(tmp_path / "a.xlsx", {"a": np.arange(2)})
    with pytest.raises(InputError, match="does not exist"):
        sio.write_columns(tmp_path / "nope" / "a.csv", {"a": np.arange(2)})


# ----------------------------------------------------------------------------- results out


@pytest.mark.parametrize(
    "seconds, text",
    [
        (60, "60.0 s"),
        (3600, "60.0 min"),
        (86400, "24.0 h"),
        (7 * 86400, "7.00 d"),
        (2.5 * 86400, "2.50 d"),
        (0.25, "250 ms"),
        (10 * 365.25 * 86400, "10.0 yr"),
        (1.5, "1.50 s"),
        (90, "90.0 s"),
    ],
)
def test_format_duration(seconds, text):
    assert sio.format_duration(seconds) == text


def test_format_value_error_keeps_digits_down_to_the_error():
    assert sio.format_value_error(31.0000000012, 3.1e-9) == "31.0000000012 ± 3.1e-09"
    assert sio.format_value_error(0.0023, 0.017) == "0.002 ± 0.017"
    assert sio.format_value_error(605512.0, 1103.0) == "605500 ± 1100"
    assert sio.format_value_error(3.0, 0.026) == "3.000 ± 0.026"
    assert sio.format_value_error(1.15751e-05, 2e-09) == "1.15751e-05 ± 2.0e-09"
    assert sio.format_value_error(86400.00012, 0.0031) == "86400.0001 ± 0.0031"


def _result(frequency, fap, significant=True):
    comp = Component(
        frequency=frequency,
        frequency_err=frequency * 1e-7,
        phase=0.25,
        phase_err=0.01,
        amplitude=2.0,
        amplitude_err=0.02,
        power=0.9,
        false_alarm_probability=fap,
        significant=significant,
    )
    pg = Periodogram(frequency=np.linspace(0, 3 * frequency, 50), power=np.linspace(0, 1, 50))
    return EstimateResult(
        components=[comp],
        offset=1.0,
        offset_err=0.01,
        residual_std=0.1,
        n_samples=100,
        method="lombscargle",
        periodogram=pg,
    )


def test_table_shows_every_quantity_with_errors_and_human_period():
    axis = sio.TimeAxis("t", np.arange(3), np.ones(3, bool), unit="s", epoch="2024-01-01T00:00:00")
    text = sio.format_result("temp", _result(1 / 86400, 1e-12), axis)
    for word in (
        "frequency [Hz]",
        "period [s]",
        "angular frequency",
        "amplitude",
        "phase [rad]",
        "FAP",
        "(24.0 h)",
        "2.000 ± 0.020",
        "1e-12",
        "since 2024-01-01T00:00:00",
    ):
        assert word in text, word


def test_table_says_no_significant_period():
    text = sio.format_result("noise", _result(0.1, 0.43, significant=False))
    assert "no significant period (best FAP=0.43)" in text
    assert "frequency [" not in text


def test_signal_record_has_the_schema_and_is_strict_json():
    rec = sio.signal_record("y", _result(0.5, 0.0), extra_warnings=["dropped 1 rows"])
    doc = json.loads(json.dumps({"signals": [rec]}, allow_nan=False))
    sig = doc["signals"][0]
    assert {"name", "n_samples", "method", "offset", "components", "time_unit", "epoch"} <= set(sig)
    assert set(sig["components"][0]) >= {
        "frequency",
        "angular_frequency",
        "period",
        "phase",
        "amplitude",
        "frequency_err",
        "angular_frequency_err",
        "period_err",
        "phase_err",
        "amplitude_err",
        "power",
        "false_alarm_probability",
    }
    assert math.isclose(sig["components"][0]["angular_frequency"], math.pi)
    assert sig["warnings"] == ["dropped 1 rows"]


def test_estimate_figure_is_a_png(tmp_path):
    from sigfit.plot import estimate_figure, save_figure

    rng = np.random.default_rng(0)
    t = np.sort(rng.uniform(0, 100, 300))
    res = _result(0.5, 1e-9)
    y = res.predict(t) + rng.normal(0, 0.1, t.size)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no matplotlib complaints either
        save_figure(estimate_figure([("y", t, y, res), ("y2", t, y, res)]), tmp_path / "f.png")
    assert (tmp_path / "f.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


_CELL = st.text(alphabet=st.characters(blacklist_characters=',;\t|"\r\n\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029',
                                       blacklist_categories=("Cs",)), max_size=6)


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 4).flatmap(lambda k: st.tuples(
    st.lists(st.lists(_CELL, min_size=k, max_size=k), min_size=1, max_size=40),
    st.sampled_from([",", ";", "\t", "|"]))))
def test_split_cells_reads_what_csv_reads(case):
    # the str.split road (unquoted lines) gives csv.reader's cells, column by column, chunked or not
    import csv

    rows, delimiter = case
    rows = [r for r in rows if delimiter.join(r).strip() and not delimiter.join(r).lstrip().startswith("#")]
    if not rows:
        return
    names = [f"c{k}" for k in range(len(rows[0]))]
    raw = [delimiter.join(r) for r in rows]
    want = list(zip(*csv.reader(raw, delimiter=delimiter), strict=True))
    for lines in (sio.SPLIT_LINES, 3):
        old, sio.SPLIT_LINES = sio.SPLIT_LINES, lines
        try:
            got = sio._split_cells("t.csv", raw, list(range(len(raw))), names, delimiter)
        finally:
            sio.SPLIT_LINES = old
        assert list(got) == names
        for k, n in enumerate(names):
            assert got[n].tolist() == list(np.array(want[k], dtype=str))
