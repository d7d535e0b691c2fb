"""Input checks: one pytest.raises(InputError, match=...) per bad input, and the repairs."""

import warnings

import numpy as np
import pytest

from sigfit import InputError, SigfitWarning, estimate
from sigfit._validate import parse_detrend, validate_series

RNG = np.random.default_rng(7)
T = np.sort(RNG.uniform(0, 50, 60))
Y = np.sin(2 * np.pi * 0.3 * T) + RNG.normal(0, 0.1, T.size)


def test_text_values():
    with pytest.raises(InputError, match="must be numeric"):
        estimate(T, np.array(["a"] * T.size))


def test_object_with_non_number():
    y = list(Y)
    y[3] = "oops"
    with pytest.raises(InputError, match=r"y\[3\] = 'oops' is not a number"):
        estimate(T, np.array(y, dtype=object))


def test_datetimes_are_seconds():
    # issue 13: datetimes in t are accepted (seconds since the Unix epoch); in y they get a hint
    hours = np.arange(T.size)
    t = np.datetime64("2024-01-01") + hours.astype("timedelta64[h]")
    seconds = (t - np.datetime64("1970-01-01")).astype("timedelta64[s]").astype(np.int64)
    a, b = estimate(t, Y), estimate(seconds, Y)
    assert a.time_unit == "s" and b.time_unit is None
    assert a.components[0].frequency == b.components[0].frequency
    with pytest.raises(InputError, match="timedelta64"):
        estimate(hours, t)


def test_complex():
    with pytest.raises(InputError, match="complex"):
        estimate(T, Y + 1j)


def test_empty():
    with pytest.raises(InputError, match="empty"):
        estimate([], [])


def test_all_nan():
    with pytest.raises(InputError, match="every sample has a NaN"):
        estimate(T, np.full(T.size, np.nan))


def test_mismatched_lengths():
    with pytest.raises(InputError, match="same length"):
        estimate(T, Y[:-1])


def test_two_dimensional():
    with pytest.raises(InputError, match="must be 1-D"):
        estimate(np.ones((3, 4)), np.ones((3, 4)))


def test_too_few_samples():
    with pytest.raises(InputError, match="needs at least 5"):
        estimate(T[:4], Y[:4])


def test_too_few_for_components_and_trend():
    with pytest.raises(InputError, match="fewer components or a lower detrend"):
        estimate(T[:9], Y[:9], n_components=2, detrend=2)


def test_constant_signal():
    with pytest.raises(InputError, match="constant"):
        estimate(T, np.full(T.size, 3.0))


def test_single_time_stamp():
    with pytest.raises(InputError, match="every time stamp is the same"):
        estimate(np.zeros(T.size), Y)


def test_negative_dy():
    with pytest.raises(InputError, match="dy must be positive"):
        estimate(T, Y, dy=-np.ones(T.size))


def test_dy_wrong_length():
    with pytest.raises(InputError, match="dy must be a scalar or have one entry per sample"):
        estimate(T, Y, dy=np.ones(3))


def test_unknown_method():
    with pytest.raises(InputError, match="choose one of auto, fft, lombscargle, wavelet"):
        estimate(T, Y, method="bogus")


def test_fft_on_irregular_samples():
    with pytest.raises(InputError, match="evenly spaced"):
        estimate(T, Y, method="fft")


def test_bad_oversampling():
    with pytest.raises(InputError, match="oversampling"):
        estimate(T, Y, oversampling=0.5)


def test_bad_band():
    with pytest.raises(InputError, match="must be below fmax"):
        estimate(T, Y, fmin=2.0, fmax=1.0)


def test_bad_components():
    with pytest.raises(InputError, match="n_components"):
        estimate(T, Y, n_components=0)


def test_bad_detrend():
    with pytest.raises(InputError, match="detrend must be"):
        estimate(T, Y, detrend="wiggly")


def test_grid_too_large():
    # fmax=1e9 (5e10 bins) is now searched coarse-to-fine (sigfit.search); 1e11 is beyond even that
    with pytest.raises(InputError, match="pass a lower fmax"):
        estimate(T, Y, fmax=1e11)


def test_nan_rows_dropped_with_warning():
    y = Y.copy()
    y[[2, 5]] = np.nan
    with pytest.warns(SigfitWarning, match="dropped 2 of 60"):
        r = estimate(T, y, fmax=2.0)
    assert r.n_samples == 58
    assert any("dropped" in w for w in r.warnings)


def test_unsorted_times_are_sorted():
    order = RNG.permutation(T.size)
    a = estimate(T, Y, fmax=2.0)
    b = estimate(T[order], Y[order], fmax=2.0)
    assert b.components[0].frequency == pytest.approx(a.components[0].frequency, rel=1e-12)


def test_duplicate_times_are_fine_for_lombscargle():
    t = np.concatenate([T, T[:10]])
    y = np.concatenate([Y, Y[:10] + 0.01])
    r = estimate(t, y, fmax=2.0)
    assert r.method == "lombscargle"
    assert r.components[0].frequency == pytest.approx(0.3, rel=1e-3)


def test_int64_times_centred_exactly():
    # nanosecond stamps near 2024: beyond float64's 53-bit mantissa, but their differences fit
    t0 = 1_700_000_000_000_000_000
    ti = t0 + np.sort(RNG.integers(0, 10**12, 200))
    s = validate_series(ti, RNG.normal(size=200))
    exact = np.diff(ti).astype(float)  # differences of int64 are exact
    naive = np.diff(ti.astype(float))  # converting first rounds each stamp to 256 ns
    assert np.max(np.abs(naive - exact)) > 1
    assert np.max(np.abs(np.diff(s.tau) - exact)) < 1e-3


def test_precision_audit_float32_times():
    t = np.linspace(1e5, 2e5, 400).astype(np.float32)
    y = np.sin(2 * np.pi * 0.01 * t.astype(float)).astype(np.float32)
    with pytest.warns(SigfitWarning, match="resolution"):
        estimate(t, y, method="lombscargle", fmax=0.5)


def test_integer_stamps_exact_and_silent():
    ti = np.arange(0, 400, dtype=np.int64)
    y = np.sin(2 * np.pi * 0.123 * ti)
    with warnings.catch_warnings():
        warnings.simplefilter("error", SigfitWarning)
        r = estimate(ti, y)
    assert r.method == "fft"
    assert r.components[0].frequency == pytest.approx(0.123, rel=1e-9)
    gapped = (np.array([0, 1, 5, 6, 7, 12, 13, 20])[None, :] + np.arange(0, 400, 25)[:, None]).ravel()
    assert estimate(gapped, np.sin(2 * np.pi * 0.123 * gapped)).method == "lombscargle"


def test_integer_stamps_warn_past_their_nyquist():
    ti = np.arange(0, 400, dtype=np.int64)
    with pytest.warns(SigfitWarning, match="cannot tell a frequency f from f \\+ 1"):
        estimate(ti, np.sin(2 * np.pi * 0.123 * ti), fmax=0.8)


def test_precision_audit_silent_on_float64():
    with warnings.catch_warnings():
        warnings.simplefilter("error", SigfitWarning)
        estimate(T, Y, fmax=2.0)


@pytest.mark.parametrize(
    ("given", "degree"), [(None, 0), ("none", 0), ("linear", 1), (2, 2), ("3", 3)]
)
def test_parse_detrend(given, degree):
    assert parse_detrend(given) == degree
