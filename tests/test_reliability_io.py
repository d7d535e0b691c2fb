"""Issue 14, reading: thousands separators, dates outside 1678-2262, offsets and times of day,
leap seconds, and memory bounded before anything is allocated (bombs, devices, huge tables)."""

from __future__ import annotations

import io as _io
import os
import sys
import zipfile

import numpy as np
import pytest

from sigfit import io as sio
from sigfit.errors import InputError, SigfitWarning


def load_text(text: str, **kw):
    return sio.load("-", stdin=_io.BytesIO(text.encode()), **kw)


# --- 3: thousands separators -------------------------------------------------------------------

def test_thousands_separators_beside_small_numbers_are_read_as_thousands():
    # the case: "1,506" beside "987" in a TSV (truth 1506 and 987, never 1.506)
    d = load_text("t\ty\n1\t1,506\n2\t987\n3\t1,200\n4\t800\n5\t12,345\n")
    np.testing.assert_array_equal(d._values["y"], [1506, 987, 1200, 800, 12345])


@pytest.mark.parametrize("text, want", [
    ("t;y\n1;1,234,567\n2;5\n3;2,000\n", [1234567, 5, 2000]),  # several groups
    ("t;y\n1;1,506.25\n2;2500.5\n3;7\n", [1506.25, 2500.5, 7]),  # comma and point
    ('t,y\n1,"1,506"\n2,987\n3,"2,001"\n', [1506, 987, 2001]),  # quoted in a CSV
])
def test_unambiguous_thousands_are_read(text, want):
    np.testing.assert_array_equal(load_text(text)._values["y"], want)


@pytest.mark.parametrize("text", [
    "t\ty\n1\t1,506\n2\t2000\n3\t1,200\n",  # 2000 ungrouped beside 1,506: grouping or decimals?
    "t;y\n1;1,506\n2;2,250\n3;3,125\n",  # every cell could be either
])
def test_ambiguous_commas_are_refused_not_guessed(text):
    with pytest.raises(InputError, match=r"1,506.*1506 \(thousands separator\) or 1\.506 \(decimal comma\)"):
        load_text(text)


def test_decimal_commas_still_read():
    d = load_text("t;y\n0,5;1,25\n1,5;-2,5\n2;0,506\n")
    np.testing.assert_allclose(d._values["y"], [1.25, -2.5, 0.506])
    np.testing.assert_allclose(d.time.values, [0.5, 1.5, 2.0])


# --- 4: dates outside datetime64[ns] -----------------------------------------------------------

@pytest.mark.parametrize("year", [1066, 1600, 2300, 9000])
def test_dates_outside_1678_2262_keep_their_epoch(year):
    d = load_text(f"t,y\n{year}-03-01T00:00:00,1\n{year}-03-01T00:00:10.25,2\n{year}-03-02,3\n")
    assert d.time.epoch == f"{year}-03-01T00:00:00"
    np.testing.assert_array_equal(d.time.values, [0, 10.25, 86400])


def test_fractional_epoch_far_from_1970():
    d = load_text("t,y\n1600-01-01T00:00:00.5,1\n1600-01-01T00:00:01,2\n")
    assert d.time.epoch == "1600-01-01T00:00:00.500000000"
    assert d.time.values.tolist() == [0.0, 0.5]


@pytest.mark.parametrize("unit", ["s", "ms", "us", "D"])
def test_datetime64_arrays_of_any_unit_far_from_1970(tmp_path, unit):
    t = np.array(["1600-01-01", "1600-01-02", "1600-01-04"], dtype=f"datetime64[{unit}]")
    np.savez(tmp_path / "d.npz", t=t, y=np.array([1.0, 2.0, 3.0]))
    d = sio.load(tmp_path / "d.npz")
    assert d.time.epoch == "1600-01-01T00:00:00"
    np.testing.assert_array_equal(d.time.values, [0, 86400, 3 * 86400])


# --- 14: offsets, times of day, leap seconds ----------------------------------------------------

@pytest.mark.parametrize("stamp, match", [
    ("2020-01-01T00:00+25:99", "UTC offset"),
    ("2020-01-01T00:00+19:00", "UTC offset"),
    ("2020-01-01T00:00-05:60", "UTC offset"),
    ("2020-01-01T24:59", "not a valid time of day"),
    ("2020-01-01T24:00:01", "not a valid time of day"),
    ("2020-01-01T12:30:60", "leap second is hh:59:60"),
])
def test_impossible_offsets_and_times_are_refused(stamp, match):
    first = "2020-01-01T00:00+00:00" if len(stamp) > 16 and stamp[16] in "+-" else "2020-01-01T00:00"
    with pytest.raises(InputError, match=match):
        load_text(f"t,y\n{first},1\n{stamp},2\n")


def test_end_of_day_and_real_offsets_are_fine():
    d = load_text("t,y\n2020-01-01T24:00+14:00,1\n2020-01-02T00:00-12:00,2\n")
    assert d.time.values.tolist() == [0, 26 * 3600]


def test_leap_second_collision_is_reported():
    text = ("t,y\n2016-12-31T23:59:59Z,1\n2016-12-31T23:59:60Z,2\n"
            "2017-01-01T00:00:00Z,3\n2017-01-01T00:00:01Z,4\n")
    with pytest.warns(SigfitWarning, match=r"line 3: the leap second .* line 4 also stamps"):
        d = load_text(text)
    assert d.time.values.tolist() == [0, 1, 1, 2]
    with pytest.warns(SigfitWarning, match="counted as the next second"):
        load_text("t,y\n2016-12-31T23:59:59Z,1\n2016-12-31T23:59:60Z,2\n2017-01-01T00:00:01Z,3\n")


# --- 8: bounded memory ------------------------------------------------------------------------

@pytest.fixture
def small_limit(monkeypatch):
    monkeypatch.setenv("SIGFIT_MAX_INPUT_BYTES", str(4 << 20))  # 4 MiB; text: 1 MiB


def test_npz_bomb_is_refused_before_it_is_unpacked(tmp_path, small_limit):
    path = tmp_path / "bomb.npz"
    np.savez_compressed(path, t=np.zeros(2_000_000), y=np.zeros(2_000_000))  # 32 MB -> ~30 KB
    assert path.stat().st_size < 200_000
    with pytest.raises(InputError, match=r"unpacks to 30\.5 MiB, over the array limit of 4\.0 MiB"):
        sio.load(path)


def test_npy_whose_header_claims_a_huge_array_is_refused(tmp_path, small_limit):
    path = tmp_path / "liar.npy"
    buf = _io.BytesIO()
    np.lib.format.write_array_header_1_0(
        buf, {"descr": "<f8", "fortran_order": False, "shape": (10**9, 2)})
    path.write_bytes(buf.getvalue() + b"\0" * 64)
    with pytest.raises(InputError, match="over the array limit"):
        sio.load(path)


def test_big_files_and_text_are_refused_with_the_limit(tmp_path, small_limit):
    big = tmp_path / "big.csv"
    big.write_bytes(b"t,y\n" + b"1,2\n" * 300_000)  # 1.2 MB of text, over 1 MiB
    with pytest.raises(InputError, match=r"over the text table limit of 1\.0 MiB.*SIGFIT_MAX_INPUT_BYTES"):
        sio.load(big)
    huge = tmp_path / "huge.csv"
    with open(huge, "wb") as fh:
        fh.truncate(5 << 20)  # sparse: 5 MiB of NULs
    with pytest.raises(InputError, match="over the input limit of 4.0 MiB"):
        sio.load(huge)
    with pytest.raises(InputError, match=r"^<stdin> is more than 4.0 MiB, over the input limit"):
        sio.load("-", stdin=_io.BytesIO(b"t,y\n" + b"1,2\n" * 1_200_000))
    with pytest.raises(InputError, match=r"^<stdin> is not a text table"):
        sio.load("-", stdin=_io.BytesIO(b"\0" * 100_000))


@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="no /dev/zero")
def test_dev_zero_is_refused_at_once():
    with pytest.raises(InputError, match="looks binary"):
        sio.load("/dev/zero")


def test_excel_workbook_renamed_csv_is_named_as_such(tmp_path):
    path = tmp_path / "book.csv"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr("xl/workbook.xml", "<workbook/>")
    with pytest.raises(InputError, match=r"zip archive, not a \.npz.*Excel.*export the data as CSV"):
        sio.load(path)


def test_closed_stdin_is_one_error(monkeypatch):
    monkeypatch.setattr(sys, "stdin", None)
    with pytest.raises(InputError, match="stdin is closed"):
        sio.load("-")


def test_text_parse_memory_is_bounded():
    # the parser keeps no per-line tuples or per-row lists: about 15x the file, not 35x
    import tracemalloc

    rows = 100_000
    text = ("t,y\n" + "".join(f"{k},{k * 0.001:.6f}\n" for k in range(rows))).encode()
    tracemalloc.start()
    try:
        d = sio.load("-", stdin=_io.BytesIO(text))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert d.series("y").y.size == rows
    assert peak < 20 * len(text), peak / len(text)
