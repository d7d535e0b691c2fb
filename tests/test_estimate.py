"""Accuracy and invariances of sigfit.estimate."""

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import sigfit
from sigfit import estimate
from sigfit.samples import sine


def _wrap(x):
    return (x + math.pi) % (2 * math.pi) - math.pi


def test_seed_case_with_defaults():
    # noise-free sin(31x), 256 random x in [-1000, 1000]: astropy's autopower band stops at
    # 0.32 cycles/unit and returns 0.65 rad/unit; the default grid here reaches the tone.
    x, y = sine(n=256, omega=31.0, range_=1000.0, seed=0)
    r = estimate(x, y)
    c = r.components[0]
    assert abs(c.angular_frequency - 31.0) / 31.0 < 1e-9
    assert c.amplitude == pytest.approx(1.0, rel=1e-9)
    assert abs(_wrap(c.phase)) < 1e-6
    assert c.significant and c.false_alarm_probability < 1e-10
    assert r.method == "lombscargle"


@pytest.mark.parametrize("seed", range(6))
def test_truth_within_four_standard_errors(seed):
    x, y = sine(n=256, omega=31.0, range_=1000.0, noise=0.1, phase=0.8, amplitude=1.3, seed=seed)
    c = estimate(x, y).components[0]
    assert abs(c.angular_frequency - 31.0) < 4 * c.angular_frequency_err
    assert abs(_wrap(c.phase - 0.8)) < 4 * c.phase_err
    assert abs(c.amplitude - 1.3) < 4 * c.amplitude_err
    # and the errors have the Cramer-Rao size (Fisher information of w: N A^2 Var(t) / (2 sigma^2))
    crlb_omega = math.sqrt(2.0 / 256) * 0.1 / (1.3 * np.std(x))
    assert c.angular_frequency_err == pytest.approx(crlb_omega, rel=0.25)


@pytest.mark.parametrize("seed", range(3))
def test_pure_noise_is_not_significant(seed):
    rng = np.random.default_rng(100 + seed)
    t = rng.uniform(0, 100, 200)
    r = estimate(t, rng.normal(size=t.size))
    assert r.components[0].false_alarm_probability > 0.01
    assert not r.significant


def test_weights_and_errors():
    rng = np.random.default_rng(5)
    t = np.sort(rng.uniform(0, 200, 400))
    dy = rng.uniform(0.05, 0.5, t.size)
    y = 1.0 + 0.8 * np.sin(2 * np.pi * 0.123 * t + 1.1) + rng.normal(0, dy)
    c = estimate(t, y, dy=dy).components[0]
    assert abs(c.frequency - 0.123) < 4 * c.frequency_err
    assert abs(_wrap(c.phase - 1.1)) < 4 * c.phase_err


def test_two_components_and_a_trend():
    rng = np.random.default_rng(6)
    t = np.sort(rng.uniform(0, 100, 600))
    y = (
        3.0
        + 0.02 * t
        + 1.0 * np.sin(2 * np.pi * 0.5 * t + 0.3)
        + 0.4 * np.sin(2 * np.pi * 1.7 * t - 1.0)
        + rng.normal(0, 0.1, t.size)
    )
    r = estimate(t, y, n_components=3, detrend="linear", fmax=5.0)
    strong = [c for c in r.components if c.significant]
    assert [round(c.frequency, 3) for c in strong] == [0.5, 1.7]
    assert strong[0].amplitude > strong[1].amplitude
    assert len(r.components) == 3 and not r.components[2].significant
    np.testing.assert_allclose(r.predict(t), y, atol=0.5)
    assert np.std(r.predict(t) - y) == pytest.approx(0.1, rel=0.15)
    d = r.to_dict()
    assert d["detrend"] == "linear" and len(d["components"]) == 3


def test_large_time_origin_keeps_phase_digits():
    # stamps near 1.7e9 s (Unix time): phases referenced at t = 0 still match the model
    rng = np.random.default_rng(8)
    t = 1.7e9 + np.sort(rng.uniform(0, 86400 * 30, 500))
    f, ph = 1 / 86400, 0.5
    y = np.sin(2 * np.pi * np.mod(f * t, 1.0) + ph)
    c = estimate(t, y, fmax=1e-4).components[0]
    assert c.frequency == pytest.approx(f, rel=1e-9)
    assert abs(_wrap(c.phase - ph)) < 1e-5


# ---- hypothesis properties: small problems, explicit band, so each example is fast ----
_PROPS = settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _data(seed):
    rng = np.random.default_rng(seed)
    t = rng.uniform(0, 40, 80)
    y = 0.5 + 1.2 * np.sin(2 * np.pi * 0.9 * t + 0.6) + rng.normal(0, 0.2, t.size)
    return t, y


@_PROPS
@given(seed=st.integers(0, 2**16), d=st.floats(-1000, 1000))
def test_shifting_t_changes_only_the_phase(seed, d):
    t, y = _data(seed)
    a = estimate(t, y, fmax=3.0).components[0]
    b = estimate(t + d, y, fmax=3.0).components[0]
    assert abs(b.frequency - a.frequency) < 1e-6 * a.frequency_err
    assert abs(b.amplitude - a.amplitude) < 1e-6 * a.amplitude_err
    # y = A sin(w (t' - d) + phase): the phase moves by -w*d (mod 2 pi); use b's w, so the
    # optimiser's 1e-7-sigma stopping difference in w is not multiplied by d
    assert abs(_wrap(b.phase - (a.phase - b.angular_frequency * d))) < 1e-5 * a.phase_err


@_PROPS
@given(seed=st.integers(0, 2**16), perm_seed=st.integers(0, 2**16))
def test_permuting_samples_changes_nothing(seed, perm_seed):
    t, y = _data(seed)
    p = np.random.default_rng(perm_seed).permutation(t.size)
    a = estimate(t, y, fmax=3.0)
    b = estimate(t[p], y[p], fmax=3.0)
    ca, cb = a.components[0], b.components[0]
    assert abs(cb.frequency - ca.frequency) < 1e-6 * ca.frequency_err
    assert abs(cb.phase - ca.phase) < 1e-6 * ca.phase_err
    assert abs(b.offset - a.offset) < 1e-6 * a.offset_err


@_PROPS
@given(seed=st.integers(0, 2**16), scale=st.floats(1e-3, 1e3))
def test_scaling_t_scales_the_frequency(seed, scale):
    t, y = _data(seed)
    a = estimate(t, y, fmax=3.0).components[0]
    b = estimate(t * scale, y, fmax=3.0 / scale).components[0]
    assert abs(b.frequency * scale - a.frequency) < 1e-6 * a.frequency_err
    assert b.frequency_err == pytest.approx(a.frequency_err / scale, rel=1e-6)
    assert abs(_wrap(b.phase - a.phase)) < 1e-6 * a.phase_err


@_PROPS
@given(seed=st.integers(0, 2**16), c=st.floats(1e-3, 1e3))
def test_scaling_y_scales_the_amplitude(seed, c):
    t, y = _data(seed)
    a = estimate(t, y, fmax=3.0)
    b = estimate(t, c * y, fmax=3.0)
    ca, cb = a.components[0], b.components[0]
    # equal up to the optimiser's stopping point: a millionth of a standard error
    assert abs(cb.amplitude - c * ca.amplitude) < 1e-6 * c * ca.amplitude_err
    assert abs(cb.frequency - ca.frequency) < 1e-6 * ca.frequency_err
    assert cb.frequency_err == pytest.approx(ca.frequency_err, rel=1e-6)
    assert abs(b.offset - c * a.offset) < 1e-6 * c * a.offset_err


def test_result_round_trip():
    t, y = _data(1)
    r = estimate(t, y, fmax=3.0)
    d = r.to_dict(include_periodogram=True)
    assert d["method"] == "lombscargle" and d["n_samples"] == 80
    assert set(d["components"][0]) >= {"frequency", "phase", "amplitude", "frequency_err", "false_alarm_probability"}
    assert len(d["periodogram"]["frequency"]) == len(r.periodogram.power)
    np.testing.assert_allclose(r.predict(t), y, atol=1.0)
    assert sigfit.estimate is estimate


def test_docstring_examples_run():
    import doctest
    import importlib

    module = importlib.import_module("sigfit.estimate")  # the module, not the function
    assert doctest.testmod(module).failed == 0


def _thirty_two(seed):
    rng = np.random.default_rng(20_000 + seed)
    x = rng.uniform(-1000, 1000, 32)
    return x, np.sin(31 * x) + rng.normal(0, 0.1, x.size)


def test_right_peak_from_32_samples_pure_sinusoid():
    # the benchmark's small-N case: the band is given, the peak must be the tone's, not a noise peak
    for seed in range(20):
        x, y = _thirty_two(seed)
        c = estimate(x, y, fmax=10.0, harmonics=1).components[0]
        assert abs(c.angular_frequency - 31.0) < 2 * math.pi / np.ptp(x)


def test_right_peak_from_32_samples_with_default_harmonics():
    hits = 0
    for seed in range(20):
        x, y = _thirty_two(seed)
        c = estimate(x, y, fmax=10.0).components[0]
        hits += abs(c.angular_frequency - 31.0) < 2 * math.pi / np.ptp(x)
    assert hits >= 19


def test_large_n_search_on_a_subset_only_when_its_peak_is_decisive():
    # N >= 65,536: a strong lone tone is found on an even subset (the periodogram says so), and the
    # answer is the full-data least squares; two tones of nearly equal power are not decided on a
    # subset: the full periodogram is computed
    from sigfit._numerics import SUBSET_MIN_N as SEARCH_SUBSET_MIN_N

    rng = np.random.default_rng(21)
    n = SEARCH_SUBSET_MIN_N + 1000
    t = rng.uniform(-1000.0, 1000.0, n)
    y = np.sin(31.0 * t) + rng.normal(0.0, 0.1, n)
    r = sigfit.estimate(t, y, fmax=10.0)
    c = r.components[0]
    assert "one sample in" in r.periodogram.method
    assert abs(c.angular_frequency - 31.0) < 4 * c.angular_frequency_err
    assert c.angular_frequency_err < 1.2 * math.sqrt(12.0 / n) * 0.1 / 1000.0  # all samples' CRLB
    y2 = np.sin(31.0 * t) + 0.999 * np.sin(17.0 * t + 1.0) + rng.normal(0.0, 1.0, n)
    r2 = sigfit.estimate(t, y2, fmax=10.0, n_components=2, harmonics=1)
    assert r2.periodogram.method == "lombscargle"
    assert sorted(round(k.angular_frequency) for k in r2.components) == [17, 31]


def test_subset_decisiveness_rule():
    from sigfit.estimate import subset_peak_is_decisive

    f = np.linspace(0.001, 1.0, 1000)
    p = np.full(f.size, 1e-4)
    p[500] = 0.3
    assert subset_peak_is_decisive(f, p, 16384, 1000.0)
    assert not subset_peak_is_decisive(f, p, 100, 1000.0)  # not overwhelming with few samples
    p[200] = 0.299  # a rival of nearly the same power far from the peak
    assert not subset_peak_is_decisive(f, p, 16384, 1000.0)
    p[200] = 1e-4
    p[501] = 0.29  # inside the main lobe: part of the same peak
    assert subset_peak_is_decisive(f, p, 16384, 1000.0)


def test_a_trend_is_not_reported_as_a_period_without_a_warning():
    # a strong linear trend and a yearly cycle: by default (detrend="auto", fmin two cycles in the
    # record) the trend is fitted as a trend and the cycle found; asking for no trend and a band
    # reaching below one cycle gives the trend as a "period", which the result says (issue #12)
    rng = np.random.default_rng(31)
    t = np.sort(rng.uniform(0, 50.0, 600))
    y = 2.0 * t + 3 * np.sin(2 * np.pi * t) + rng.normal(0, 0.3, t.size)
    r = sigfit.estimate(t, y)
    assert r.components[0].period == pytest.approx(1.0, rel=1e-3)
    assert r.detrend_choice.degree >= 1 and "BIC" in r.detrend_choice.rule
    assert not any("cycles in the" in w for w in r.warnings)
    with pytest.warns(sigfit.SigfitWarning) as record:
        n = sigfit.estimate(t, y, detrend="none", fmin=0.1 / np.ptp(t))
    assert n.components[0].period > np.ptp(t)
    # the trend as a "period" is never a silent answer: either it is not significant (its
    # amplitude error exceeds its amplitude, issue #14) or a warning says it completes too few
    # cycles to tell from a trend
    said = any("completes only" in str(w.message) for w in record)
    assert said or not n.components[0].significant
    d = sigfit.estimate(t, y, detrend="linear")
    assert d.components[0].period == pytest.approx(1.0, rel=1e-3)
    assert d.detrend_choice.degree == 1
