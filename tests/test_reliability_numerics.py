"""Issue 14, the library: masked arrays honoured; extreme magnitudes scaled before the numerics
(and back), or refused in one line; no numpy RuntimeWarning leaks."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sigfit import estimate
from sigfit.errors import InputError, SigfitWarning
from sigfit.estimate import periodogram

RNG = np.random.default_rng(14)
T = np.sort(RNG.uniform(0, 100, 300))
Y = 0.7 * np.sin(2 * np.pi * T / 7.0 + 0.4) + 0.1 * RNG.normal(size=T.size)


@pytest.fixture(autouse=True)
def _no_sigfit_warnings():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SigfitWarning)
        yield


def _quiet(*args, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SigfitWarning)
        warnings.simplefilter("error", RuntimeWarning)  # none may leak
        kw.setdefault("harmonics", 1)  # sinusoids: the scaling is what is tested, fast
        return estimate(*args, **kw)


# --- 5: masked arrays ----------------------------------------------------------------------------

def test_masked_values_are_never_used():
    mask = RNG.random(T.size) < 0.2
    garbage = np.where(mask, 1e9, Y)
    ref = _quiet(T[~mask], Y[~mask])
    for t, y in [(T, np.ma.masked_array(garbage, mask)),
                 (np.ma.masked_array(T, mask), garbage),
                 (np.ma.masked_array(T, mask), np.ma.masked_array(garbage, mask))]:
        r = _quiet(t, y)
        assert r.n_samples == ref.n_samples == int((~mask).sum())
        assert r.components[0].amplitude == pytest.approx(ref.components[0].amplitude, rel=1e-12)
        assert any("mask" in w for w in r.warnings)


def test_masked_dy_and_nan_under_the_mask():
    mask = np.zeros(T.size, bool)
    mask[::10] = True
    dy = np.ma.masked_array(np.where(mask, np.nan, 0.1), mask)
    r = _quiet(T, np.ma.masked_array(np.where(mask, np.inf, Y), mask), dy=dy)
    assert r.n_samples == T.size - mask.sum()
    with pytest.raises(InputError, match="every sample is masked"):
        estimate(T, np.ma.masked_array(Y, np.ones(T.size, bool)))


def test_scalogram_honours_the_mask():
    from sigfit.wavelet import scalogram

    t = np.arange(256.0)
    y = np.sin(2 * np.pi * t / 16)
    mask = np.zeros(t.size, bool)
    mask[100:110] = True
    sc = scalogram(t, np.ma.masked_array(np.where(mask, 1e9, y), mask))
    assert sc.n_samples == t.size - 10


# --- 7: extreme magnitudes -------------------------------------------------------------------------

@pytest.mark.parametrize("scale", [1e-300, 1e-171, 1e-120, 1e120, 1e250, 1e300])
def test_values_scaled_far_from_one_give_scaled_amplitudes(scale):
    ref = _quiet(T, Y)
    r = _quiet(T, Y * scale)
    c, c0 = r.components[0], ref.components[0]
    assert c.significant and c.frequency == pytest.approx(c0.frequency, rel=1e-9)
    assert c.amplitude / scale == pytest.approx(c0.amplitude, rel=1e-9)
    assert c.phase == pytest.approx(c0.phase, abs=1e-9)
    assert c.false_alarm_probability == pytest.approx(c0.false_alarm_probability, rel=1e-6)
    assert r.residual_std / scale == pytest.approx(ref.residual_std, rel=1e-9)


@pytest.mark.parametrize("scale", [2.0**-700, 2.0**600, 1e298])
def test_time_scaled_far_from_one_gives_scaled_frequencies(scale):
    ref = _quiet(T, Y)
    r = _quiet(T * scale, Y)
    c, c0 = r.components[0], ref.components[0]
    assert c.frequency * scale == pytest.approx(c0.frequency, rel=1e-9)
    assert c.amplitude == pytest.approx(c0.amplitude, rel=1e-9)
    assert c.phase == pytest.approx(c0.phase, abs=1e-7)
    d = r.to_dict()["components"][0]
    assert math.isfinite(d["period_err"]) and d["period_err"] > 0
    assert d["period_err"] / scale == pytest.approx(c0.period_err, rel=1e-6)
    p, p0 = periodogram(T * scale, Y), periodogram(T, Y)
    np.testing.assert_allclose(p.frequency * scale, p0.frequency, rtol=1e-12)
    np.testing.assert_allclose(p.power, p0.power, rtol=1e-6, atol=1e-9)


def test_t_near_the_float64_limit_is_estimated():
    t = np.arange(200.0) * 8e305  # up to 1.6e308
    r = _quiet(t, np.sin(t / 8e305 / 3))
    assert r.components[0].angular_frequency * 8e305 == pytest.approx(1 / 3, rel=1e-9)


def test_one_huge_value_is_no_crash_and_no_lapack_noise(capfd):
    y = np.sin(T)
    y[5] = 1e308
    r = _quiet(T, y)
    assert r.n_samples == T.size
    out, err = capfd.readouterr()
    assert "DLASCL" not in out + err


@pytest.mark.parametrize("dy, match", [(1e200, r"dy \(smallest 1e\+200\)"), (1e-160, r"dy \(smallest 1e-160\)")])
def test_dy_too_far_from_y_is_refused_in_one_line(dy, match):
    with pytest.raises(InputError, match=match) as info:
        estimate(T, Y, dy=dy)
    assert "\n" not in str(info.value) and "units of y" in str(info.value)


def test_dy_and_y_scaled_together_are_fine():
    r = _quiet(T, Y * 1e-200, dy=0.1e-200)
    ref = _quiet(T, Y, dy=0.1)
    assert r.components[0].amplitude_err == pytest.approx(ref.components[0].amplitude_err * 1e-200,
                                                          rel=1e-9)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(k=st.integers(-1000, 1000), j=st.integers(-900, 900))
def test_power_of_two_scalings_change_nothing_but_units(k, j):
    # hypothesis: y * 2**k and t * 2**j scale amplitude and frequency exactly as they should
    a, b = math.ldexp(1.0, k), math.ldexp(1.0, j)
    t, y = T[:120], Y[:120]
    ref = _quiet(t, y)
    r = _quiet(t * b, y * a)
    c, c0 = r.components[0], ref.components[0]
    assert c.frequency * b == pytest.approx(c0.frequency, rel=1e-9)
    assert c.amplitude / a == pytest.approx(c0.amplitude, rel=1e-9)
    assert c.significant == c0.significant


@pytest.mark.parametrize("k", [-300, -256, 256, 330])
def test_errors_survive_magnitudes_whose_fourth_power_leaves_float64(k):
    # found by the property above: |y| ~ 1e77 overflowed the sandwich covariance's sum of
    # (J r)^2 (errors NaN) and ~1e-90 underflowed it (errors 10x too small), inside the first
    # scale-free range; the errors scale with y like the amplitude
    a = math.ldexp(1.0, k)
    t, y = T[:120], Y[:120]
    c0, c = _quiet(t, y).components[0], _quiet(t, y * a).components[0]
    assert c.frequency_err == pytest.approx(c0.frequency_err, rel=1e-9)
    assert c.amplitude_err / a == pytest.approx(c0.amplitude_err, rel=1e-9)
    assert c.significant == c0.significant


# --- 14: errors never quote an automatic fmin/fmax as the user's --------------------------------

def test_band_errors_say_which_end_is_automatic():
    from sigfit.wavelet import scalogram

    t = np.arange(100.0)
    with pytest.raises(InputError, match=r"fmax = 1e-05 is not above the lowest frequency searched by default"):
        estimate(t + RNG.uniform(0, 0.3, t.size), np.sin(t), fmax=1e-5)
    with pytest.raises(InputError, match=r"\[10, automatic\]"):
        estimate(t, np.sin(t), fmin=10)
    with pytest.raises(InputError, match=r"fmin=0.6 must be below the automatic fmax \(0.5"):
        scalogram(np.arange(256.0), np.sin(np.arange(256.0)), fmin=0.6)
    with pytest.raises(InputError, match=r"the automatic fmin \(.*\) must be below fmax=0.01"):
        scalogram(np.arange(256.0), np.sin(np.arange(256.0)), fmax=0.01)


def test_content_digest_keys_by_bytes_with_either_hash(monkeypatch):
    # the kept results' keys: equal bytes give equal digests, any changed byte, dtype view or
    # order another, whichever hash this machine finds faster (both are tried)
    import hashlib

    from sigfit import _numerics

    x = np.linspace(0.0, 1.0, 1001)
    for make in (hashlib.sha256, lambda: hashlib.blake2b(digest_size=16)):
        monkeypatch.setattr(_numerics, "_HASHER", [make])
        d = _numerics.content_digest(x)
        assert len(d) == 16
        assert _numerics.content_digest(x.copy()) == d
        y = x.copy()
        y[500] = np.nextafter(y[500], 2.0)
        assert _numerics.content_digest(y) != d
        assert _numerics.content_digest(x[::-1]) != d
        assert _numerics.content_digest(x, x) != d
    monkeypatch.setattr(_numerics, "_HASHER", [])
    assert _numerics.hasher().digest_size >= 16  # the timed choice itself
