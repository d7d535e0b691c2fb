"""Issue 14, fuzzing: whatever the file or the arrays, sigfit answers or raises a SigfitError
with a message; the command line answers or says one ``error:`` line and exits non-zero, never
a traceback."""

from __future__ import annotations

import io as _io
import warnings

import numpy as np
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from sigfit import estimate
from sigfit import io as sio
from sigfit.cli import main
from sigfit.errors import SigfitError, SigfitWarning

SETTINGS = dict(deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                      HealthCheck.data_too_large])

CELLS = st.one_of(
    st.integers(-10**20, 10**20).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.sampled_from(["", "nan", "NA", "inf", "-inf", "1e308", "-1e308", "1e-320", "5e-324",
                     "1,506", "12,5", "1.234,5", "0,001", "1,234,567", "x", "  7 ", '"3"',
                     "2024-01-01", "2024-02-30", "2024-01-01T24:00", "2024-01-01T24:59",
                     "2024-01-01T12:00+25:99", "2024-01-01T23:59:60Z", "1600-05-01",
                     "2300-01-01T00:00:00.5", "2024-13", "--", "#", "1e", "0x10"]),
)


@st.composite
def tables(draw):
    n_cols = draw(st.integers(1, 4))
    delim = draw(st.sampled_from([",", "\t", ";", "|", " "]))
    header = draw(st.lists(st.sampled_from(["t", "y", "v", "", "a b", "t"]), min_size=n_cols,
                           max_size=n_cols))
    n_rows = draw(st.integers(0, 30))
    # mostly well-formed columns of one kind, sometimes anything
    kinds = draw(st.lists(st.sampled_from(["float", "int", "date", "any"]), min_size=n_cols,
                          max_size=n_cols))
    rows = []
    for _ in range(n_rows):
        row = []
        for kind in kinds:
            if kind == "float":
                row.append(repr(draw(st.floats(-1e6, 1e6))))
            elif kind == "int":
                row.append(str(draw(st.integers(-10**6, 10**6))))
            elif kind == "date":
                row.append(f"2024-01-{draw(st.integers(1, 28)):02d}T{draw(st.integers(0, 23)):02d}:00")
            else:
                row.append(draw(CELLS))
        if draw(st.integers(0, 20)) == 0:
            row = row[:-1]  # a ragged row now and then
        rows.append(delim.join(row))
    text = "\n".join([delim.join(header), *rows]) + draw(st.sampled_from(["\n", "", "\r\n"]))
    encoded = text.encode(draw(st.sampled_from(["utf-8", "utf-16", "latin-1"])), errors="replace")
    if draw(st.integers(0, 15)) == 0:
        encoded = draw(st.binary(max_size=200))
    return encoded


def _estimate_all(data):
    for name in data.value_names:
        try:
            s = data.series(name)
            estimate(s.t, s.y, harmonics=1)
        except SigfitError as e:
            assert str(e).strip(), type(e)


@settings(max_examples=60, **SETTINGS)
@given(raw=tables())
def test_any_text_file_reads_or_says_why(raw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SigfitWarning)
        try:
            data = sio.load("-", stdin=_io.BytesIO(raw))
        except SigfitError as e:
            assert str(e).strip()
            return
        _estimate_all(data)


ARRAY_DTYPES = st.sampled_from([np.float64, np.float32, np.int64, np.int32, np.uint8, np.bool_,
                                np.complex128, np.float16])


@settings(max_examples=40, **SETTINGS)
@given(arr=hnp.arrays(ARRAY_DTYPES, hnp.array_shapes(min_dims=1, max_dims=3, max_side=12)),
       kind=st.sampled_from(["npy", "npz", "npz-named"]))
def test_any_array_file_reads_or_says_why(tmp_path_factory, arr, kind):
    buf = _io.BytesIO()
    if kind == "npy":
        np.save(buf, arr)
    else:
        flat = arr.reshape(-1)
        np.savez(buf, **({"t": flat, "y": flat[::-1]} if kind == "npz-named" else {"a": arr}))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SigfitWarning)
        try:
            data = sio.load("-", stdin=_io.BytesIO(buf.getvalue()))
        except SigfitError as e:
            assert str(e).strip()
            return
        _estimate_all(data)


FLOATS = st.floats(allow_nan=True, allow_infinity=True, width=64)
WILD = st.one_of(FLOATS, st.sampled_from([1e308, -1e308, 1e-308, 5e-324, 1e300, 1e-170, 0.0]))


@st.composite
def samples(draw):
    n = draw(st.integers(0, 40))
    t_kind = draw(st.sampled_from(["float", "int", "wild", "scaled"]))
    if t_kind == "int":
        t = np.array(draw(st.lists(st.integers(-2**62, 2**62), min_size=n, max_size=n)), dtype=np.int64)
    elif t_kind == "wild":
        t = np.array(draw(st.lists(WILD, min_size=n, max_size=n)))
    else:
        t = np.sort(np.random.default_rng(draw(st.integers(0, 99))).uniform(0, 100, n))
        if t_kind == "scaled":
            t = t * draw(st.sampled_from([1e-300, 1e-150, 1e150, 1e298, 1.0]))
    y = np.array(draw(st.lists(WILD, min_size=n, max_size=n)))
    if draw(st.booleans()) and n:
        y = np.sin(np.arange(n) / 2.0) * draw(st.sampled_from([1e-300, 1e-171, 1.0, 1e200, 1e307]))
    dy = draw(st.one_of(st.none(), WILD, st.just(np.abs(y) + 1e-3)))
    if draw(st.booleans()):
        mask = np.array(draw(st.lists(st.booleans(), min_size=n, max_size=n)), dtype=bool)
        y = np.ma.masked_array(y, mask)
    return t, y, dy


@settings(max_examples=80, **SETTINGS)
@given(data=samples(), method=st.sampled_from(["auto", "lombscargle", "fft"]),
       harmonics=st.sampled_from([1, "auto"]))
def test_any_arrays_estimate_or_say_why(data, method, harmonics):
    t, y, dy = data
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SigfitWarning)
        warnings.simplefilter("error", RuntimeWarning)  # numpy noise must not leak either
        try:
            r = estimate(t, y, dy=dy, method=method, harmonics=harmonics)
        except SigfitError as e:
            assert str(e).strip()
            return
    d = r.to_dict()  # the record is always writable
    assert d["n_samples"] >= 2


@settings(max_examples=25, **SETTINGS)
@given(raw=tables(), json_out=st.booleans())
def test_cli_answers_or_says_one_line(raw, json_out):
    with CliRunner().isolation(input=raw) as (out, err, _):
        try:
            main(["estimate", "-", "-y", "1", *(["--json"] if json_out else [])])
            code = 0
        except SystemExit as e:
            code = e.code
        text = err.getvalue().decode(errors="replace")
    assert "Traceback" not in text
    if code:
        assert code in (1, 2), code
        assert len([s for s in text.splitlines() if s.startswith("error:")]) == 1, text
