"""Regression tests for the bugs listed in issue 13 (each cites its number there)."""

import warnings

import numpy as np
import pytest

import sigfit
from sigfit.errors import InputError
from sigfit.periodograms import fft
from sigfit.wavelet import scalogram


def test_bug1_fft_nyquist_bin_is_the_least_squares_power():
    n = 16
    t = np.arange(n, dtype=float)
    impulse = np.zeros(n)
    impulse[0] = 1
    grid = fft.fft_grid(n, 1.0, fmin=None, fmax=None, oversampling=1)
    p = fft.power(t - t.mean(), impulse, None, grid)
    assert grid.frequency()[-1] == pytest.approx(0.5)
    assert p[-1] == pytest.approx(1 / 15, rel=1e-12)  # was 2/15
    alternating = sigfit.periodogram(t, (-1.0) ** t, method="fft")
    assert np.max(alternating.power) <= 1 + 1e-12  # was 1.9998
    # and the FFT equals the least-squares power at every lattice frequency, zero padding included
    y = np.random.default_rng(0).standard_normal(n)
    grid = fft.fft_grid(n, 1.0, fmin=None, fmax=None, oversampling=5)
    exact = sigfit.LombScargle(t, y).power(grid.frequency(), method="slow")
    np.testing.assert_allclose(fft.power(t - t.mean(), y, None, grid), exact, atol=1e-13)


def test_bug2_exact_ramp_after_linear_detrend_is_refused():
    t = np.linspace(0, 100, 200)
    for harmonics in ("auto", 1):
        with pytest.raises(InputError, match="polynomial of degree 1 to round-off"):
            sigfit.estimate(t, 3 + 0.5 * t, detrend="linear", harmonics=harmonics)
    # a tiny real tone on the ramp is still found
    r = sigfit.estimate(t, 3 + 0.5 * t + 1e-6 * np.sin(2 * np.pi * 0.15 * t), detrend="linear")
    assert r.significant and r.components[0].frequency == pytest.approx(0.15, rel=1e-4)


def test_bug3_fap_taken_at_the_refined_power():
    rng = np.random.default_rng(11)
    for _ in range(6):
        t = np.sort(rng.uniform(0, 50, 80))
        y = 0.5 * np.sin(2 * np.pi * 0.37 * t + 1) + rng.standard_normal(80)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            auto = sigfit.estimate(t, y).components[0]
            one = sigfit.estimate(t, y, harmonics=1).components[0]
        if auto.n_harmonics == 1 and auto.frequency == pytest.approx(one.frequency, rel=1e-6):
            # both at the refined peak's power: the same probability (it was up to 29% higher)
            assert auto.false_alarm_probability == pytest.approx(one.false_alarm_probability, rel=2e-2)


def test_bug4_explicit_harmonics_are_honoured_or_refused():
    rng = np.random.default_rng(3)
    t = np.sort(rng.uniform(0, 10, 30))
    y = np.sign(np.sin(2 * np.pi * 0.7 * t)) + 0.05 * rng.standard_normal(30)
    assert sigfit.estimate(t, y, harmonics=3).components[0].n_harmonics == 3  # was 2
    with pytest.raises(InputError, match="harmonics=5 needs 12 parameters"):
        sigfit.estimate(t[:10], y[:10], harmonics=5)


def test_bug5_scalogram_refuses_complex_input():
    t = np.arange(64.0)
    with pytest.raises(InputError, match="complex"):
        scalogram(t, np.exp(0.3j * t))


def test_bug6_scalogram_amplitude_in_a_narrow_band_of_small_scales():
    t = np.arange(2048.0)
    f0 = 0.3
    sc = scalogram(t, np.cos(2 * np.pi * f0 * t + 0.3), fmin=f0 / 2, fmax=1.19 * f0, background="white",
                   voices_per_octave=64)
    ridge = sc.amplitude.max(axis=0)[200:-200]
    assert np.max(np.abs(ridge - 1)) < 1e-3  # was 3.4e-3


def test_bug7_fit_at_its_frequency_is_linear_least_squares():
    astropy_ls = pytest.importorskip("astropy.timeseries").LombScargle
    rng = np.random.default_rng(5)
    for _ in range(3):
        t = np.sort(rng.uniform(0, 30, 200))
        y = np.sin(2 * np.pi * 0.4 * t) + 0.4 * np.sin(4 * np.pi * 0.4 * t + 1) + 0.3 * rng.standard_normal(200)
        r = sigfit.estimate(t, y, harmonics=2)
        model = astropy_ls(t, y, nterms=2).model(t, r.components[0].frequency)
        # was 4e-5 to 1e-4 relative
        assert np.max(np.abs(r.predict(t) - model)) < 1e-10 * np.ptp(model)


@pytest.mark.parametrize("harmonics", ["auto", 1])
def test_bug1_estimate_of_a_tone_at_nyquist(harmonics):
    # was amplitude 2.4e13 (auto) / 1.5e16 (harmonics=1), predict off by 1.9
    n = 64
    t = np.arange(n) * 1.0 + 1000
    noise = 0.01 * np.random.default_rng(0).standard_normal(n)
    y = 1.5 * np.cos(np.pi * t + 0.3) + 2 + noise
    with pytest.warns(sigfit.SigfitWarning, match="Nyquist"):
        r = sigfit.estimate(t, y, harmonics=harmonics)
    c = r.components[0]
    assert c.frequency == 0.5
    # only the projection on (-1)^n is measurable: 1.5 cos(0.3)
    assert c.amplitude == pytest.approx(1.5 * np.cos(0.3), abs=4 * c.amplitude_err)
    assert np.isinf(c.phase_err)
    assert np.max(np.abs(r.predict(t) - y)) < 5 * 0.01
