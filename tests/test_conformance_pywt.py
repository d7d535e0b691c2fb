"""Continuous wavelets beyond the Morlet (issue 13): Torrence & Compo's Paul and DOG, checked
against their defining properties and against PyWavelets' own ``mexh`` (DOG 2) and ``gaus2``
(cases in the spirit of pywt/tests/test_cwt_wavelets.py; MIT, credit to the PyWavelets
developers)."""

import numpy as np
import pytest

from sigfit.errors import InputError
from sigfit.wavelet import FAMILIES, resolve_wavelet, scalogram

pywt = pytest.importorskip("pywt")

N = 1024
T = np.arange(N) * 0.5
CASES = [("morlet", None), ("paul", 4), ("paul", 6), ("dog", 2), ("dog", 3), ("dog", 6)]


@pytest.mark.parametrize("wavelet, order", CASES)
def test_ridge_at_the_tone_with_its_amplitude(wavelet, order):
    sc = scalogram(T, 2 * np.cos(2 * np.pi * 0.2 * T + 0.4), wavelet=wavelet, order=order, fmin=0.05,
                   fmax=0.6, background="white", voices_per_octave=48)
    inner = sc.amplitude[:, 300:700]
    ridge = sc.frequency[np.argmax(inner, axis=0)]
    assert np.median(ridge) == pytest.approx(0.2, rel=0.015)  # within a voice (1.5%)
    assert inner.max() == pytest.approx(2.0, rel=0.03)
    assert sc.wavelet == ("cmor2.0-1.0" if wavelet == "morlet" else f"{wavelet}{order}")
    assert sc.dof == (2 if FAMILIES[wavelet]["complex"] else 1)


@pytest.mark.parametrize("wavelet, order", CASES)
def test_noise_exceeds_the_95_percent_threshold_5_percent_of_the_time(wavelet, order):
    z = np.random.default_rng(0).standard_normal(N)
    sc = scalogram(T, z, wavelet=wavelet, order=order, fmin=0.05, fmax=0.6, background="white")
    inside = ~sc.in_coi
    assert np.mean(sc.significance[inside] > 1) == pytest.approx(0.05, abs=0.02)


@pytest.mark.parametrize("name", ["mexh", "gaus2"])
def test_dog2_is_pywt_mexican_hat_up_to_scale_and_sign(name):
    rng = np.random.default_rng(1)
    freqs = np.linspace(0.005, 0.08, 15)  # within the band: pywt's sample integration barely acts
    y = sum(rng.standard_normal() * np.cos(2 * np.pi * f * T + rng.uniform(0, 6)) for f in freqs)
    dt = T[1] - T[0]
    a = 12.0  # pywt scale in samples
    coef = pywt.cwt(y, [a], name, sampling_period=dt, method="fft")[0][0]
    # the scale's frequency: spectrum peak at x = sqrt(2) for DOG 2 (s = a dt; gaus2 is in e^-t^2)
    s = a * dt / (np.sqrt(2) if name == "gaus2" else 1.0)
    f = np.sqrt(2) / (2 * np.pi * s)
    sc = scalogram(T, y, wavelet=name, fmin=f, fmax=2 * f, n_times=N, background="white")
    ours = sc.coefficients[0].real
    # pywt's output lags by half a sample (it integrates the wavelet over each sample)
    k = np.fft.rfftfreq(N)
    ours = np.fft.irfft(np.fft.rfft(ours) * np.exp(-1j * np.pi * k), N)
    inner = slice(200, -200)
    r = np.corrcoef(ours[inner], coef[inner])[0, 1]
    assert abs(r) > 0.99999


def test_families_listed_once_in_the_docstring():
    from sigfit.wavelet import scalogram as fn

    for name in FAMILIES:
        assert f"'{name}'" in fn.__doc__


def test_names_and_refusals():
    assert resolve_wavelet("mexh", None) == ("dog", 2)
    assert resolve_wavelet("gaus5", None) == ("dog", 5)
    assert resolve_wavelet("cmor", None) == ("morlet", None)
    assert resolve_wavelet("paul", None) == ("paul", 4)
    for bad in ("shan", "morl", "fbsp", "cgau1"):
        with pytest.raises(InputError, match="not supported"):
            scalogram(T, np.cos(T), wavelet=bad)
    with pytest.raises(InputError, match="order"):
        scalogram(T, np.cos(T), wavelet="paul", order=0)
    irregular = np.sort(np.random.default_rng(0).uniform(0, 100, 300))
    with pytest.raises(InputError, match="evenly spaced"):
        scalogram(irregular, np.cos(irregular), wavelet="dog")
