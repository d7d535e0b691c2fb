"""sigfit.wavelet: normalisation, scale-to-frequency, cone of influence, significance, ridges.

Signals are built here (tests may know their answers); the library only sees samples.
"""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sigfit import wavelet, wwz
from sigfit.errors import InputError

TWO_PI = 2 * math.pi


def chirp(t, f0, k):
    """sin of the phase 2 pi (f0 t + k t^2 / 2): instantaneous frequency f0 + k t."""
    return np.sin(TWO_PI * (f0 * t + 0.5 * k * t * t))


def away_from_edges(ridge, t0, t1, n_efold=2.0, bandwidth=2.0, center=1.0):
    """Ridge points at least ``n_efold`` wavelet e-folding times from both ends."""
    d = np.minimum(ridge.time - t0, t1 - ridge.time)
    return d >= n_efold * math.sqrt(bandwidth) * center / ridge.frequency


# ------------------------------------------------------------------------------------------
# normalisation and scales


@pytest.mark.parametrize("f0", [0.03, 0.5, 2.5, 3.5])
def test_unit_sinusoid_has_unit_amplitude_at_every_scale(f0):
    # dt = 0.1: f0 = 3.5 is 0.35 of the sampling rate, where pywt's sample integration alone
    # would lose 19% of the amplitude (sinc(0.35))
    t = np.arange(4096) * 0.1
    sc = wavelet.scalogram(t, 2.0 + np.sin(TWO_PI * f0 * t + 0.3), fmin=0.02, fmax=5.0, progress=False)
    (r,) = wavelet.ridges(sc)
    inner = away_from_edges(r, t[0], t[-1])
    assert np.allclose(r.amplitude[inner], 1.0, atol=3e-3)
    assert np.allclose(r.frequency[inner], f0, rtol=1e-3)
    # the phasor convention: sin(x) = cos(x - pi/2)
    j = sc.time.size // 2
    k = np.argmin(abs(sc.frequency - f0))
    expected = TWO_PI * sc.frequency[k] * 0 + (TWO_PI * f0 * sc.time[j] + 0.3 - math.pi / 2)
    assert abs(np.angle(sc.coefficients[k, j] * np.exp(-1j * expected))) < 0.02


def test_wwz_unit_sinusoid_on_irregular_samples():
    rng = np.random.default_rng(1)
    t = np.sort(rng.uniform(0, 300, 1500))
    sc = wavelet.scalogram(t, np.sin(TWO_PI * 0.4 * t), fmin=0.1, fmax=1.5, progress=False)
    assert sc.method == "wwz"
    r = wavelet.ridges(sc)[0]
    inner = away_from_edges(r, t[0], t[-1])
    # irregular times cost the local fit a few percent (its response across scales is distorted)
    assert np.allclose(r.amplitude[inner], 1.0, atol=0.03)
    err = abs(r.frequency[inner] / 0.4 - 1)
    assert np.median(err) < 3e-3 and np.max(err) < 0.015


def test_scale_to_frequency_matches_pywt_where_pywt_is_exact():
    pywt = pytest.importorskip("pywt")
    dt = 0.25
    freq = wavelet.frequency_grid(np.arange(1000) * dt, 0.05, 2.0, 2.0, 1.0, 12, dt)
    scales = 1.0 / (freq * dt)
    assert np.allclose(pywt.scale2frequency("cmor2.0-1.0", scales) / dt, freq, rtol=1e-12)
    # pywt rounds the centre frequency to a multiple of 1/16: C = 0.85 comes back as 0.875
    assert pywt.scale2frequency("cmor2.0-0.85", 1.0) == pytest.approx(0.875)


def test_centre_frequency_off_pywt_grid_still_peaks_at_the_tone():
    t = np.arange(3000) * 0.1
    sc = wavelet.scalogram(t, np.sin(TWO_PI * 0.7 * t), center_frequency=0.85, fmin=0.2, fmax=3, progress=False)
    r = wavelet.ridges(sc)[0]
    inner = away_from_edges(r, t[0], t[-1], center=0.85)
    assert np.allclose(r.frequency[inner], 0.7, rtol=1e-3)


def test_frequency_grid_is_log_spaced_with_the_requested_voices():
    f = wavelet.frequency_grid(np.arange(100.0), 0.05, 0.4, 2.0, 1.0, 8, 1.0)
    assert f[0] == pytest.approx(0.05) and f[-1] == pytest.approx(0.4)
    assert f.size == 8 * 3 + 1
    assert np.allclose(np.diff(np.log2(f)), 1 / 8)


# ------------------------------------------------------------------------------------------
# cone of influence and significance


def test_cone_of_influence_is_the_e_folding_time_of_an_edge_spike():
    # Torrence & Compo sec. 3g: the power of a spike falls by e^-2 one e-folding time away.
    # Measured by a parabola fitted to log power within two e-folding times, which averages out
    # pywt's kernel, tabulated on a grid (each tap can be off by a few percent).
    n, j0 = 4001, 2000
    y = np.zeros(n)
    y[j0] = 1.0
    t = np.arange(n, dtype=float)
    sc = wavelet.scalogram(t, y, fmin=0.01, fmax=0.2, background="white", n_times=n, progress=False)
    for k in range(0, sc.frequency.size, 4):
        d = sc.e_folding_time(sc.frequency[k])
        near = np.abs(sc.time - j0) <= 2 * d
        curvature = np.polyfit(sc.time[near] - j0, np.log(sc.power[k, near]), 2)[0]
        assert math.sqrt(-2 / curvature) == pytest.approx(d, rel=0.02)
    # and coi(t) is the frequency whose e-folding time is the distance to the nearer end
    d = np.minimum(sc.time - t[0], t[-1] - sc.time)
    inner = d > 0
    assert np.allclose(sc.e_folding_time(sc.coi[inner]), d[inner])


@pytest.mark.parametrize("method", ["cwt", "wwz"])
def test_white_noise_exceeds_the_95_percent_level_5_percent_of_the_time(method):
    rng = np.random.default_rng(7)
    hits, total = 0, 0
    for _ in range(2):
        t = np.arange(1024.0)
        sc = wavelet.scalogram(t, rng.normal(size=t.size), background="white", method=method, fmin=0.02, fmax=0.45, n_times=256, progress=False)
        inside = ~sc.in_coi
        hits += np.count_nonzero(sc.significance[inside] >= 1)
        total += np.count_nonzero(inside)
    assert 0.035 < hits / total < 0.065


def ar1_noise(rng, n, a):
    e = rng.normal(size=n)
    x = np.empty(n)
    x[0] = e[0]
    for i in range(1, n):
        x[i] = a * x[i - 1] + e[i]
    return x


@pytest.mark.parametrize("white", [0.0, 1.0])
def test_red_background_is_fitted_and_holds_its_level(white):
    # AR(1) noise, alone or under white noise of equal variance: against a white background its
    # low frequencies look significant; against the fitted red one they exceed the 95% level
    # about 5% of the time
    rng = np.random.default_rng(3)
    a, n = 0.8, 8192
    x = ar1_noise(rng, n, a)
    x = x / x.std() + white * rng.normal(size=n)
    t = np.arange(n, dtype=float)
    red = wavelet.scalogram(t, x, background="red", fmin=0.005, fmax=0.5, progress=False)
    plain = wavelet.scalogram(t, x, background="white", fmin=0.005, fmax=0.5, progress=False)
    assert red.ar1 == pytest.approx(a, abs=0.03)
    assert red.red_fraction == pytest.approx(1 / (1 + white**2), abs=0.05)
    inside = ~red.in_coi
    assert 0.03 < np.mean(red.significance[inside] >= 1) < 0.07
    assert np.mean(plain.significance[inside] >= 1) > 0.1


def test_smooth_signal_under_measurement_noise_gets_a_white_floor():
    # T&C's bare lag-1 AR(1) would take alpha ~ 1 here and call the white noise at high
    # frequencies significant: dozens of short ridges
    rng = np.random.default_rng(9)
    t = np.arange(0, 960.0)
    y = np.sin(TWO_PI * t / 24.0) + 0.3 * rng.normal(size=t.size)
    sc = wavelet.scalogram(t, y, progress=False)
    # the white part of the fitted background is the measurement noise's share of the variance
    assert 1 - sc.red_fraction == pytest.approx(0.3**2 / np.var(y), abs=0.03)
    r, *others = wavelet.ridges(sc)
    assert r.mean_frequency == pytest.approx(1 / 24.0, rel=0.01)
    # what noise leaves at the 95% level (pure white noise does as much): a few short ridges
    assert len(others) <= 6 and all(o.energy < 0.05 * r.energy for o in others)


# ------------------------------------------------------------------------------------------
# the two transforms agree; WWZ memory blocks change nothing


def test_cwt_and_wwz_agree_on_uniform_samples():
    rng = np.random.default_rng(2)
    t = np.arange(1201) * 0.1
    y = chirp(t, 0.3, 0.01) + 0.2 * rng.normal(size=t.size)
    kw = dict(fmin=0.15, fmax=2.0, n_times=201, background="white", progress=False)  # every 6th sample
    a = wavelet.scalogram(t, y, method="cwt", **kw)
    b = wavelet.scalogram(t, y, method="wwz", **kw)
    # two e-folding times from the ends: there the CWT sees zero padding, the WWZ a one-sided fit
    inner = a.frequency[:, None] >= 2 * a.coi[None, :]
    assert np.allclose(a.time, b.time)
    # same resolution, same normalisation: the maps differ by a few percent of the peak
    assert np.max(abs(a.amplitude - b.amplitude)[inner]) < 0.05
    assert np.allclose(a.noise_power[inner], b.noise_power[inner], rtol=0.05)


def test_wwz_blocks_do_not_change_the_result():
    rng = np.random.default_rng(4)
    t = np.sort(rng.uniform(-50, 50, 400))
    y = np.sin(TWO_PI * 0.3 * t) + rng.normal(size=t.size)
    f = np.geomspace(0.1, 1.0, 20)
    tau = np.linspace(-50, 50, 64)
    c = wwz.decay_constant(2.0, 1.0)
    big = wwz.transform(t, y, f, tau, decay=c, progress=False)
    small = wwz.transform(t, y, f, tau, decay=c, max_elements=500, progress=False)
    assert np.allclose(big[0], small[0], equal_nan=True, rtol=1e-8, atol=1e-10)
    assert np.allclose(big[1], small[1], rtol=1e-8)


def test_wwz_matches_a_direct_weighted_fit():
    # Foster (1996) eq. 4-4: weighted least squares on 1, cos w(t - tau), sin w(t - tau)
    rng = np.random.default_rng(6)
    t = np.sort(rng.uniform(-20, 20, 150))
    y = rng.normal(size=t.size) + np.cos(TWO_PI * 0.5 * t)
    f, tau0 = 0.5, 3.3
    c = wwz.decay_constant(2.0, 1.0)
    coef, _ = wwz.transform(t, y, np.array([f]), np.array([tau0]), decay=c, progress=False)
    w = np.exp(-c * (TWO_PI * f * (t - tau0)) ** 2)
    basis = np.stack([np.ones_like(t), np.cos(TWO_PI * f * (t - tau0)), np.sin(TWO_PI * f * (t - tau0))], axis=1)
    beta = np.linalg.lstsq(basis * np.sqrt(w)[:, None], y * np.sqrt(w), rcond=None)[0]
    assert coef[0, 0] == pytest.approx(beta[1] - 1j * beta[2], rel=1e-8)


# ------------------------------------------------------------------------------------------
# ridges: drift, turns, modulation, irregular sampling


def test_linear_chirp_ridge_within_2_percent_away_from_the_edges():
    rng = np.random.default_rng(0)
    t = np.arange(0, 100, 0.05)
    f0, k = 0.5, 0.02  # 0.5 -> 2.5 cycles per unit
    sc = wavelet.scalogram(t, chirp(t, f0, k) + 0.1 * rng.normal(size=t.size), progress=False)
    r = wavelet.ridges(sc)[0]
    inner = away_from_edges(r, t[0], t[-1])
    assert inner.sum() > 0.8 * sc.time.size
    err = r.frequency[inner] / (f0 + k * r.time[inner]) - 1
    assert np.max(abs(err)) < 0.02
    assert np.median(abs(err)) < 0.005


@pytest.mark.parametrize("irregular", [False, True])
def test_two_tones_taking_turns_are_both_found_with_their_spans(irregular):
    rng = np.random.default_rng(11)
    f1, f2, switch = 0.3, 1.0, 100.0
    t = np.sort(rng.uniform(0, 200, 1500)) if irregular else np.arange(0, 200, 0.1)
    y = np.where(t < switch, np.sin(TWO_PI * f1 * t), np.sin(TWO_PI * f2 * t)) + 0.2 * rng.normal(size=t.size)
    sc = wavelet.scalogram(t, y, progress=False)
    assert sc.method == ("wwz" if irregular else "cwt")
    found = {}
    for r in wavelet.ridges(sc)[:2]:
        f = r.mean_frequency
        name = "f1" if abs(f / f1 - 1) < 0.02 else "f2" if abs(f / f2 - 1) < 0.02 else None
        assert name is not None, f
        found[name] = r
    assert set(found) == {"f1", "f2"}
    # spans to within one e-folding time of the tone (the ridges end at half amplitude)
    tol1, tol2 = (sc.e_folding_time(f) for f in (f1, f2))
    assert found["f1"].start < t[0] + tol1 and abs(found["f1"].stop - switch) < tol1
    assert abs(found["f2"].start - switch) < tol2 and found["f2"].stop > t[-1] - tol2


def test_amplitude_modulated_tone_keeps_its_frequency_and_tracks_the_envelope():
    rng = np.random.default_rng(12)
    t = np.arange(0, 200, 0.1)
    envelope = 1 + 0.5 * np.cos(TWO_PI * 0.02 * t)
    sc = wavelet.scalogram(t, envelope * np.sin(TWO_PI * 0.8 * t) + 0.1 * rng.normal(size=t.size), progress=False)
    rs = wavelet.ridges(sc)
    assert len(rs) == 1
    r = rs[0].reliable()
    env = np.interp(r.time, t, envelope)
    assert np.max(abs(r.frequency / 0.8 - 1)) < 0.02
    assert np.max(abs(r.amplitude - env)) < 0.15
    assert np.corrcoef(r.amplitude, env)[0, 1] > 0.99


def test_irregularly_sampled_chirp():
    rng = np.random.default_rng(13)
    t = np.sort(rng.uniform(0, 200, 1000))
    f0, k = 0.1, 0.002  # 0.1 -> 0.5 cycles per unit
    sc = wavelet.scalogram(t, chirp(t, f0, k) + 0.1 * rng.normal(size=t.size), progress=False)
    assert sc.method == "wwz"
    r = wavelet.ridges(sc)[0]
    inner = away_from_edges(r, t[0], t[-1])
    assert inner.sum() > 0.7 * sc.time.size
    err = r.frequency[inner] / (f0 + k * r.time[inner]) - 1
    assert np.median(abs(err)) < 0.01
    assert np.max(abs(err)) < 0.03


# ------------------------------------------------------------------------------------------
# invariances (hypothesis)


@settings(max_examples=8, deadline=None)
@given(shift=st.floats(-1e6, 1e6), gain=st.floats(0.01, 100))
def test_shifting_time_and_scaling_values(shift, gain):
    rng = np.random.default_rng(0)
    t = np.arange(256) * 0.5
    y = chirp(t, 0.1, 0.002) + 0.3 * rng.normal(size=t.size)
    ref = wavelet.scalogram(t, y, fmin=0.05, fmax=0.8, progress=False)
    moved = wavelet.scalogram(t + shift, gain * y, fmin=0.05, fmax=0.8, progress=False)
    assert np.allclose(moved.time, ref.time + shift)
    assert np.allclose(moved.amplitude, gain * ref.amplitude, rtol=1e-6, atol=1e-9 * gain)
    assert np.allclose(moved.significance, ref.significance, rtol=1e-6, atol=1e-9)


def test_unsorted_samples_give_the_same_map():
    rng = np.random.default_rng(8)
    t = np.sort(rng.uniform(0, 100, 300))
    y = np.sin(TWO_PI * 0.2 * t) + rng.normal(size=t.size)
    p = rng.permutation(t.size)
    a = wavelet.scalogram(t, y, progress=False)
    b = wavelet.scalogram(t[p], y[p], progress=False)
    assert np.allclose(a.amplitude, b.amplitude, equal_nan=True)


# ------------------------------------------------------------------------------------------
# bad input


def test_record_too_short_for_the_lowest_frequency():
    t = np.arange(100.0)
    with pytest.raises(InputError, match="record too short for fmin"):
        wavelet.scalogram(t, np.sin(t), fmin=0.01)


def test_fmax_above_nyquist():
    with pytest.raises(InputError, match="above the Nyquist"):
        wavelet.scalogram(np.arange(100.0), np.sin(np.arange(100.0)), fmax=0.6)


def test_fmin_not_below_fmax():
    with pytest.raises(InputError, match="must be below fmax"):
        wavelet.scalogram(np.arange(100.0), np.sin(np.arange(100.0)), fmin=0.3, fmax=0.2)


def test_cwt_refuses_irregular_samples():
    t = np.sort(np.random.default_rng(0).uniform(0, 100, 200))
    with pytest.raises(InputError, match="use method='wwz'"):
        wavelet.scalogram(t, np.sin(t), method="cwt")


def test_unknown_method_and_background():
    t = np.arange(100.0)
    with pytest.raises(InputError, match="choose one of auto, cwt, wwz"):
        wavelet.scalogram(t, np.sin(t), method="fft")
    with pytest.raises(InputError, match="choose one of red, white"):
        wavelet.scalogram(t, np.sin(t), background="pink")


def test_too_few_samples_constant_and_mismatched():
    with pytest.raises(InputError, match="at least 8"):
        wavelet.scalogram(np.arange(5.0), np.arange(5.0))
    with pytest.raises(InputError, match="constant"):
        wavelet.scalogram(np.arange(100.0), np.ones(100))
    with pytest.raises(InputError, match="equal length"):
        wavelet.scalogram(np.arange(100.0), np.ones(99))


@pytest.mark.parametrize("bandwidth", [0, -1, float("nan")])
def test_bad_wavelet_parameters(bandwidth):
    with pytest.raises(InputError, match="bandwidth must be a positive number"):
        wavelet.scalogram(np.arange(100.0), np.sin(np.arange(100.0)), bandwidth=bandwidth)
