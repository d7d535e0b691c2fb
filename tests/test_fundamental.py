"""The fundamental behind a peak (sigfit.harmonics.choose_fundamental, issue 12): a subharmonic
f/k is taken only when the data show it, a quasi-periodic cycle reports its dominant line, a
stronger tone is never folded into a weaker one's harmonics, and every component says why."""

from __future__ import annotations

import json

import numpy as np
import pytest

import sigfit
from sigfit.batch import result_rows
from sigfit.harmonics import (
    MIN_SUBHARMONIC_CYCLES,
    choose_fundamental,
    coherence_p_value,
    line_p_values,
)
from sigfit.io import format_result

WEAK_PERIOD = 7.3
STRONG_PERIODS = np.round(np.arange(0.7, 3.01, 0.1), 2)


def strong_beside_weak(period, seed, n=300, span=60.0, noise=0.05):
    """0.3 sin at ``period`` beside 0.1 sin at 7.3 (days), random times (issue 12, class 4)."""
    rng = np.random.default_rng([seed, int(period * 1000)])
    t = np.sort(rng.uniform(0, span, n))
    y = (0.3 * np.sin(2 * np.pi * t / period + rng.uniform(0, 2 * np.pi))
         + 0.1 * np.sin(2 * np.pi * t / WEAK_PERIOD + rng.uniform(0, 2 * np.pi))
         + rng.normal(0, noise, n))
    return t, y


@pytest.mark.parametrize("seed", [0, 1])
def test_a_strong_tone_beside_a_weak_slow_one_keeps_its_period_and_amplitude(seed):
    # before: 5 of the 24 strong periods per seed came back as the weak tone's k-th subharmonic
    # fold (7.60 d with 4 harmonics at P = 1.9, amplitude 0.02-0.15), the strong tone lost
    for period in STRONG_PERIODS:
        t, y = strong_beside_weak(period, seed)
        r = sigfit.estimate(t, y, n_components=2, fmax=5.0)
        c = r.components[0]
        assert abs(c.period - period) < 4 * c.period_err + 1e-3 * period, (period, c.period)
        assert abs(c.amplitude - 0.3) < max(4 * c.amplitude_err, 0.03), (period, c.amplitude)
        assert c.fundamental.startswith("peak"), (period, c.fundamental)
        # and the weak tone is found on its own, as the second component
        weak = r.components[1]
        assert weak.significant and abs(weak.period - WEAK_PERIOD) < 0.05 * WEAK_PERIOD, period


def test_a_stronger_tone_at_an_exact_ratio_is_not_made_a_harmonic():
    # 0.3 sin at P/3 and 0.1 sin at P exactly: one shape or two tones, the data cannot tell; the
    # strong tone keeps its own period and amplitude, and the table says why
    rng = np.random.default_rng(3)
    t = np.sort(rng.uniform(0, 100, 400))
    y = 0.3 * np.sin(2 * np.pi * 3 * t / 7.3) + 0.1 * np.sin(2 * np.pi * t / 7.3 + 1) + rng.normal(0, 0.05, t.size)
    r = sigfit.estimate(t, y, fmax=5.0)
    c = r.components[0]
    assert c.period == pytest.approx(7.3 / 3, rel=1e-3)
    assert c.amplitude == pytest.approx(0.3, abs=4 * c.amplitude_err + 0.01)
    assert c.fundamental == "peak; f/3 rejected: only line 1 significant"


def quasi_periodic(rng, n, step, period, shape, jitter=0.1, noise=0.2):
    """Cycles whose lengths are ``period * (1 + jitter * N(0, 1))`` and amplitudes
    ``|1 + 0.3 N(0, 1)|``: a population or solar cycle. Sampled every ``step``."""
    n_cycles = int(n * step / period * 2) + 10
    edges = np.concatenate([[0.0], np.cumsum(period * (1 + jitter * rng.standard_normal(n_cycles)))])
    edges -= rng.uniform(0, period)
    t = np.arange(n) * step
    i = np.searchsorted(edges, t, side="right") - 1
    phase = (t - edges[i]) / (edges[i + 1] - edges[i])
    amp = np.abs(1 + 0.3 * rng.standard_normal(edges.size))
    wave = {"sine": np.sin(2 * np.pi * phase), "spike": np.exp(3 * np.sin(2 * np.pi * phase)),
            "sawtooth": phase}[shape]
    y = amp[i] * wave
    return t, y + noise * np.std(y) * rng.standard_normal(n)


@pytest.mark.parametrize("shape", ["sine", "spike", "sawtooth"])
def test_a_quasi_periodic_cycle_gives_its_mean_period_not_a_multiple(shape):
    # 250 years of monthly values of an 11-year cycle (a solar-cycle analogue): before, 2P..8P in
    # 11 of these 18 draws (k chosen by BIC, the sidebands of the wandering cycle read as lines)
    for seed in range(6):
        rng = np.random.default_rng(seed)
        t, y = quasi_periodic(rng, 3000, 1 / 12, 11.0, shape)
        c = sigfit.estimate(t, y).components[0]
        assert c.significant
        assert abs(c.period / 11.0 - 1) < 0.1, (shape, seed, c.period, c.fundamental)
        assert c.fundamental.startswith("peak"), (shape, seed, c.fundamental)


def eclipsing_binary(rng, n=1500, span=2000.0, period=37.3, secondary=0.6, noise=0.05):
    """Two narrow eclipses per orbit of unequal depth: the periodogram's highest peak is 2/P."""
    t = np.sort(rng.uniform(0, span, n))
    ph = np.mod(t / period, 1.0)
    dip = np.exp(-0.5 * (ph - 0.25) ** 2 / 0.03**2) + secondary * np.exp(-0.5 * (ph - 0.75) ** 2 / 0.03**2)
    return t, 1.0 - dip + rng.normal(0, noise, n)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_a_genuine_subharmonic_is_still_found_and_said(seed):
    rng = np.random.default_rng(seed)
    t, y = eclipsing_binary(rng)
    r = sigfit.estimate(t, y, fmax=1.0)
    c = r.components[0]
    assert c.period == pytest.approx(37.3, rel=1e-4)
    assert abs(c.period - 37.3) < 5 * c.period_err
    assert c.fundamental.startswith("f/2, lines 1, 3")
    assert "#1 fundamental: f/2, lines 1, 3" in format_result("y", r)
    assert json.loads(json.dumps(r.to_dict()))["components"][0]["fundamental"] == c.fundamental
    assert result_rows("eb", r)[0]["fundamental"] == c.fundamental


def test_equal_eclipses_are_half_the_period():
    # equal depths: the odd lines vanish, nothing shows the doubling; the peak is the period
    t, y = eclipsing_binary(np.random.default_rng(4), secondary=1.0)
    c = sigfit.estimate(t, y, fmax=1.0).components[0]
    assert c.period == pytest.approx(37.3 / 2, rel=1e-4)
    assert c.fundamental.startswith("peak")


def test_a_subharmonic_needs_cycles_in_the_record():
    # the same binary over 2.5 orbits: its odd lines are there, but 2.5 cycles cannot show a
    # pattern that repeats every orbit
    rng = np.random.default_rng(5)
    t, y = eclipsing_binary(rng, n=1500, span=2.5 * 37.3)
    choice = choose_fundamental(t - t.mean(), y, None, 2 / 37.3, min_frequency=1 / np.ptp(t))
    assert choice.divisor == 1
    assert choice.reason == "peak; f/2 rejected: 2.5 cycles in the record"
    assert MIN_SUBHARMONIC_CYCLES > 2.5


def test_peak_reason_for_a_sine_and_for_pure_sinusoids():
    from sigfit import samples

    x, y = samples.sine(n=256, noise=0.1, seed=1)
    for harmonics in ("auto", 1):
        r = sigfit.estimate(x, y, harmonics=harmonics)
        assert r.components[0].fundamental == "peak"
        assert "fundamental" not in format_result("y", r)


def test_coherence_p_value_is_calibrated_and_sees_a_drifting_line():
    # a stable two-line shape: p roughly uniform (none below 1e-3 in 40 draws; about 4 below 0.1);
    # its second line replaced by a tone 0.4 resolution elements away: p below 1e-6
    span, f0, small = 100.0, 0.137, []
    for seed in range(40):
        rng = np.random.default_rng(seed)
        tau = np.sort(rng.uniform(-span / 2, span / 2, 400))
        y = np.sin(2 * np.pi * f0 * tau) + 0.5 * np.sin(4 * np.pi * f0 * tau + 1) + rng.normal(0, 0.3, tau.size)
        small.append(coherence_p_value(tau, y, None, f0, 2, [1, 2]))
    small = np.array(small)
    assert small.min() > 1e-3 and 1 <= np.sum(small < 0.1) <= 10
    rng = np.random.default_rng(99)
    tau = np.sort(rng.uniform(-span / 2, span / 2, 400))
    y = np.sin(2 * np.pi * f0 * tau) + 0.5 * np.sin(2 * np.pi * (2 * f0 + 0.4 / span) * tau) + rng.normal(0, 0.3, tau.size)
    assert coherence_p_value(tau, y, None, f0, 2, [1, 2]) < 1e-6


def test_line_p_values_judge_a_line_against_the_spectrum_around_it():
    rng = np.random.default_rng(7)
    n = 2000
    tau = np.arange(n) - n / 2.0
    f0 = 0.01
    white = rng.normal(0, 1, n)
    red = np.cumsum(rng.normal(0, 1, n))  # a random walk: power falls as 1/f^2
    red -= np.polynomial.polynomial.polyval(tau, np.polynomial.polynomial.polyfit(tau, red, 1))
    line = 0.3 * np.sin(2 * np.pi * 3 * f0 * tau)
    p_white = line_p_values(tau, white + line, None, f0, 4, [1, 2, 3, 4])
    assert p_white[2] < 1e-6 and np.all(p_white[[0, 1, 3]] > 1e-4)
    # on red noise, the random walk's own power at f0 and 2 f0 is no line
    p_red = line_p_values(tau, red, None, f0, 4, [1, 2, 3, 4])
    assert np.all(p_red > 1e-4)
