"""Conformance with scipy.signal's periodogram and lombscargle (issue 13).

Cases from scipy/signal/tests/test_spectral.py (TestPeriodogram, TestLombscargle; BSD-3, credit
to the SciPy developers), rewritten against ``sigfit.periodogram`` and compared with the installed
scipy. Windowed and averaged spectra (TestWelch) are scipy's job: sigfit's docs point there.
"""

import numpy as np
import pytest
from numpy.testing import assert_allclose
from scipy import signal

import sigfit
from sigfit.errors import InputError


def impulse(n, dtype=float):
    x = np.zeros(n, dtype=dtype)
    x[0] = 1
    return x


@pytest.mark.parametrize("dtype", [float, int])
def test_real_onesided_even(dtype):
    p = sigfit.periodogram(impulse(16, dtype), fs=1.0, normalization="density")
    assert_allclose(p.frequency, np.linspace(0, 0.5, 9))
    q = np.ones(9)
    q[0] = 0
    q[-1] /= 2.0  # the Nyquist bin: half the others (issue 13, bug 1)
    q /= 8
    assert_allclose(p.power, q, atol=1e-15)


@pytest.mark.parametrize("dtype", [float, int])
def test_real_onesided_odd(dtype):
    p = sigfit.periodogram(impulse(15, dtype), fs=1.0, normalization="density")
    assert_allclose(p.frequency, np.arange(8.0) / 15.0)
    q = np.ones(8)
    q[0] = 0
    q *= 2.0 / 15.0
    assert_allclose(p.power, q, atol=1e-15)


def test_real_spectrum():
    p = sigfit.periodogram(impulse(16), fs=1.0, normalization="spectrum")
    q = sigfit.periodogram(impulse(16), fs=1.0, normalization="density")
    assert_allclose(p.frequency, np.linspace(0, 0.5, 9))
    assert_allclose(p.power, q.power / 16.0)


@pytest.mark.parametrize("n", [16, 15, 101])
@pytest.mark.parametrize("fs", [1.0, 3.0])
@pytest.mark.parametrize("scaling", ["density", "spectrum"])
def test_matches_scipy_periodogram(n, fs, scaling):
    x = np.random.default_rng(n).standard_normal(n) + 3.0
    f, pxx = signal.periodogram(x, fs=fs, scaling=scaling)
    p = sigfit.periodogram(x, fs=fs, normalization=scaling)
    assert_allclose(p.frequency, f)
    assert_allclose(p.power, pxx, rtol=1e-10, atol=1e-12 * pxx.max())


def test_standard_power_at_nyquist_is_least_squares():
    # issue 13, bug 1: the FFT's Nyquist bin was 2x the least-squares power
    t = np.arange(16.0)
    p = sigfit.periodogram(t, impulse(16), method="fft", oversampling=1)
    assert p.method == "fft"
    assert p.frequency[-1] == pytest.approx(0.5)
    assert p.power[-1] == pytest.approx(1 / 15, rel=1e-12)
    alternating = sigfit.periodogram(t, (-1.0) ** t, method="fft")
    assert np.max(alternating.power) <= 1.0 + 1e-12


def test_fft_equals_nufft_everywhere_on_even_samples():
    n = 64
    t = np.arange(n) * 0.5
    y = np.random.default_rng(2).standard_normal(n)
    fft = sigfit.periodogram(t, y, method="fft")
    exact = sigfit.periodogram(t, y, frequency=fft.frequency)
    assert_allclose(fft.power, exact.power, atol=1e-12)


def scipy_data(nin=100, phi=0.5 * np.pi, func=np.sin, offset=0.0):
    rng = np.random.RandomState(2353425)
    r = rng.rand(nin)
    t = np.linspace(0.01 * np.pi, 10.0 * np.pi, nin)[r >= 0.7]
    return t, 2.0 * func(1.0 * t + phi) + offset


def test_lombscargle_frequency():
    t, y = scipy_data()
    w = np.linspace(0.01, 10.0, 1000)
    p = sigfit.periodogram(t, y, frequency=w / (2 * np.pi))
    assert 1.0 - w[np.argmax(p.power)] < (w[1] - w[0]) / 2


@pytest.mark.parametrize("floating_mean", [False, True])
@pytest.mark.parametrize("normalize", [False, True])
def test_lombscargle_matches_scipy(floating_mean, normalize):
    t, y = scipy_data(nin=300, offset=0.7)
    w = np.linspace(0.01, 10.0, 500)
    ref = signal.lombscargle(t, y, w, normalize=normalize, floating_mean=floating_mean)
    # scipy's "power" is astropy's psd without centring; "normalize" its standard power
    p = sigfit.periodogram(t, y, frequency=w / (2 * np.pi), fit_mean=floating_mean, center_data=False,
                           normalization="standard" if normalize else "psd")
    assert_allclose(p.power, ref, rtol=1e-7, atol=1e-9 * np.max(ref))


def test_lombscargle_amplitude():
    t, y = scipy_data(nin=1000)
    w = np.linspace(0.01, 10.0, 1000)
    p = sigfit.periodogram(t, y, frequency=w / (2 * np.pi), normalization="psd", fit_mean=False,
                           center_data=False)
    assert_allclose(np.sqrt(4.0 * p.power / t.size)[w == 1.0], 2.0, rtol=5e-2)


def test_lombscargle_offset_removal():
    t, y = scipy_data()
    f = np.linspace(0.01, 10.0, 1000) / (2 * np.pi)
    assert_allclose(sigfit.periodogram(t, y, frequency=f).power,
                    sigfit.periodogram(t, y + 2.15, frequency=f).power, atol=1e-12)


def test_lombscargle_zero_frequency():
    t, y = scipy_data(phi=0.12, func=np.cos)
    f = np.linspace(0, 10.0, 1001) / (2 * np.pi)
    p = sigfit.periodogram(t, y, frequency=f)
    assert p.power[0] < 1e-4
    no_mean = sigfit.periodogram(t, y + 2, frequency=f, fit_mean=False, center_data=False)
    assert no_mean.power[0] > 0.5  # the offset alone, fitted by cos(0)


def test_lombscargle_list_input_large_times():
    # scipy issue 8787: stamps ~2e9 in a list
    t = list(1.98201652e09 + 1e3 * np.arange(40))
    y = list(np.sin(2 * np.pi * np.arange(40) / 13.0) * 5e3 + 9e3)
    periods = np.linspace(400, 120, 1000) * 1e3 / 40
    p = sigfit.periodogram(t, y, frequency=1 / periods)
    assert np.all(np.isfinite(p.power)) and np.max(p.power) <= 1


def test_wrong_shapes():
    with pytest.raises(InputError):
        sigfit.periodogram(np.linspace(0, 1, 1), np.linspace(0, 1, 2), frequency=[0.1, 0.2])
    with pytest.raises(InputError):
        sigfit.periodogram(np.ones((2, 2)), np.linspace(0, 1, 2), frequency=[0.1])
    with pytest.raises(InputError, match="1-D"):
        sigfit.periodogram(np.linspace(0, 1, 5), np.arange(5.0), frequency=np.ones((2, 3)))
    with pytest.raises(InputError, match="dy must be positive"):
        sigfit.periodogram(np.linspace(0, 1, 5), np.arange(5.0), dy=-np.ones(5), frequency=[1.0])
    with pytest.raises(InputError, match="not both"):
        sigfit.periodogram(np.arange(5.0), np.arange(5.0), fs=2.0)
    with pytest.raises(InputError, match="sampling rate"):
        sigfit.periodogram(np.arange(5.0), fs=0)
    with pytest.raises(InputError, match="not evenly spaced"):
        sigfit.periodogram(np.r_[0.0, 1.0, 3.0, 4.5], np.arange(4.0) % 2, normalization="density")
