"""Harmonics (sigfit.harmonics): fundamental identification, harmonic count by BIC, several
independent periods, honest errors, step bracketing, phases at t ~ 4e9."""

from __future__ import annotations

import math

import numpy as np
import pytest

from sigfit.harmonics import (
    component_powers,
    component_summary,
    find_components,
    fit_periodic,
    harmonic_limit,
    identify_fundamental,
    select_n_harmonics,
    step_bracket,
)
from sigfit.search import frac_cycles, search


def sawtooth(cycles):
    return 2.0 * (np.mod(cycles, 1.0) - 0.5)


def centred(t):
    t = np.asarray(t, dtype=np.float64)
    t_ref = 0.5 * (t.min() + t.max())
    return t - t_ref, t_ref


def peak_finder(tau, fmax):
    def find(resid):
        r = search(tau, resid, fmin=1.0 / np.ptp(tau), fmax=fmax)
        return float(r.peak_frequencies[0]), float(r.peak_powers[0])

    return find


def test_harmonic_limit_stops_below_the_stamps_nyquist():
    assert harmonic_limit(1 / 60, 0.5) == 29  # 30/60 sits on Nyquist: its sine column is zero
    assert harmonic_limit(1 / 7, 0.5) == 3
    assert harmonic_limit(0.3, 0.5) == 1
    assert harmonic_limit(1e-6, None, 48) == 48


def test_sawtooth_harmonics_chosen_and_amplitudes_follow_one_over_h():
    rng = np.random.default_rng(0)
    t = np.sort(rng.uniform(0, 5000, 1500))
    f = 1 / 13.7
    y = sawtooth(f * t + 0.2) + rng.normal(0, 0.05, t.size)
    tau, t_ref = centred(t)
    fit, info = find_components(tau, y, None, peak_finder(tau, 2.0), max_shift=1 / np.ptp(tau))
    h = fit.n_harmonics[0]
    assert h >= 8  # BIC keeps many harmonics of a sharp-edged shape
    s = component_summary(fit, 0, t_ref)
    assert abs(s["frequency"] - f) < 4 * s["frequency_err"]
    # sawtooth 2(x - 1/2): harmonic h has amplitude 2/(pi h)
    np.testing.assert_allclose(s["amplitudes"][:5], 2 / (np.pi * np.arange(1, 6)), rtol=0.03)
    assert info[0].divisor == 1


def test_pure_sine_keeps_one_harmonic_and_is_not_halved():
    rng = np.random.default_rng(1)
    t = rng.uniform(-1000, 1000, 256)
    y = np.sin(31 * t) + rng.normal(0, 0.1, t.size)
    tau, _ = centred(t)
    f = 31 / (2 * np.pi)
    k, bic = identify_fundamental(tau, y, None, f, min_frequency=1 / np.ptp(tau))
    assert k == 1
    h, _ = select_n_harmonics(tau, y, None, f, 10)
    assert h == 1


def test_noise_free_sine_not_overfit():
    """Round-off is not signal: a noise-free sine keeps one harmonic (RSS floor)."""
    t = np.random.default_rng(2).uniform(-1000, 1000, 256)
    tau, _ = centred(t)
    h, _ = select_n_harmonics(tau, np.sin(31 * t), None, 31 / (2 * np.pi), 10)
    assert h == 1


def test_fundamental_found_when_its_harmonic_is_stronger():
    """Two pulses per period of unequal height: the periodogram's highest peak is 2/P, the
    fundamental 1/P carries little power; the subharmonic test recovers 1/P."""
    rng = np.random.default_rng(3)
    t = np.sort(rng.uniform(0, 20_000, 4000))
    period = 37.3
    ph = np.mod(t / period, 1.0)
    y = np.exp(-0.5 * (ph - 0.25) ** 2 / 0.02**2) + 0.8 * np.exp(-0.5 * (ph - 0.75) ** 2 / 0.02**2)
    y = y + rng.normal(0, 0.05, t.size)
    tau, t_ref = centred(t)
    r = search(tau, y, fmin=1 / 20_000, fmax=1.0)
    assert abs(r.peak_frequencies[0] - 2 / period) < 1 / 20_000  # the peak is the harmonic
    fit, info = find_components(tau, y, None, peak_finder(tau, 1.0), max_shift=1 / np.ptp(tau))
    assert info[0].divisor == 2
    s = component_summary(fit, 0, t_ref)
    assert abs(1 / s["frequency"] - period) < 1e-3


def test_two_independent_periods_each_with_harmonics():
    rng = np.random.default_rng(4)
    t = np.sort(rng.uniform(0, 30_000, 2500))
    f1, f2 = 1 / 24.0, 1 / (7 * 24.0 * math.sqrt(1.1))  # incommensurate "daily" and "weekly"
    y = sawtooth(f1 * t) + 0.7 * np.sign(np.sin(2 * np.pi * f2 * t)) + rng.normal(0, 0.1, t.size)
    tau, t_ref = centred(t)
    fit, info = find_components(tau, y, None, peak_finder(tau, 0.5), n_components=2,
                                max_shift=1 / np.ptp(tau))
    got = sorted(fit.frequency)
    assert got[0] == pytest.approx(f2, rel=1e-4) and got[1] == pytest.approx(f1, rel=1e-4)
    assert all(h > 2 for h in fit.n_harmonics)
    powers = component_powers(tau, y, None, fit)
    assert np.all(powers > 0.2)


def test_standard_errors_are_honest_for_truncated_harmonics():
    """A staircase's truncated harmonic series leaves a residual concentrated at the steps; the
    sandwich covariance keeps z = error/sigma near unit spread where the classical one is far too
    small."""
    z, z_classical = [], []
    for seed in range(12):
        rng = np.random.default_rng(10 + seed)
        t = np.sort(rng.integers(0, 10**8, 3000)).astype(np.float64)
        period = 5000.0
        y = np.floor(6 * np.mod(t / period, 1.0)) + rng.normal(0, 0.05, t.size)
        tau, _ = centred(t)
        for robust, out in ((True, z), (False, z_classical)):
            fit = fit_periodic(tau, y, None, [1 / period * (1 + 1e-9)], [4], max_shift=1e-8,
                               robust=robust)
            err = math.sqrt(fit.covariance[1, 1]) / fit.t_scale
            out.append((fit.frequency[0] - 1 / period) / err)
    rms = np.sqrt(np.mean(np.square(z)))
    assert 0.4 < rms < 2.0
    assert np.sqrt(np.mean(np.square(z_classical))) > 1.5 * rms  # what the sandwich fixes


def test_step_bracket_contains_truth_and_beats_harmonics():
    rng = np.random.default_rng(5)
    t = np.sort(rng.integers(0, 3 * 10**9, 20_000))
    period = 86_400
    y = np.floor_divide(t, 3600) % 24  # an hours digit
    tau, _ = centred(t)
    fit = fit_periodic(tau, y.astype(float), None, [1 / period * (1 + 3e-8)], [8], max_shift=1e-9)
    err = math.sqrt(fit.covariance[1, 1]) / fit.t_scale
    br = step_bracket(tau, y, float(fit.frequency[0]), err)
    assert br is not None and br.n_edges == 24
    assert br.low <= 1 / period <= br.high
    assert br.frequency_err < err / 10


def test_step_bracket_declines_noisy_or_continuous_data():
    rng = np.random.default_rng(6)
    t = np.sort(rng.integers(0, 10**9, 5000))
    tau, _ = centred(t)
    y = (np.floor_divide(t, 3600) % 24).astype(float)
    noisy = y.copy()
    flip = rng.choice(t.size, 50, replace=False)
    noisy[flip] = rng.integers(0, 24, flip.size)
    assert step_bracket(tau, noisy, 1 / 86_400, 1e-15) is None
    assert step_bracket(tau, y + rng.normal(0, 0.01, t.size), 1 / 86_400, 1e-15) is None


def test_phase_keeps_its_digits_at_giant_times():
    """Phase at t = 0 from samples near t ~ 4e9: the reported (frequency, phase) reproduce the
    data at those times to 1e-9, where reducing f*t_ref naively in float64 loses ~1e-6."""
    rng = np.random.default_rng(7)
    t = np.sort(rng.integers(4 * 10**9, 4 * 10**9 + 10**7, 2000)).astype(np.float64)
    f, phase = 0.4123456789, 0.731
    y = np.sin(2 * np.pi * frac_cycles(f, t) + phase)
    tau, t_ref = centred(t)
    fit = fit_periodic(tau, y, None, [f * (1 + 1e-12)], [1], max_shift=1e-7)
    s = component_summary(fit, 0, t_ref)
    rebuilt = s["amplitudes"][0] * np.sin(2 * np.pi * frac_cycles(s["frequency"], t) + s["phases"][0])
    assert np.max(np.abs(rebuilt - y)) < 1e-9
    # the same with the phase moved to t = 0 by a naive float64 product
    a, b = fit.a[0][0], fit.b[0][0]
    naive = math.atan2(b, a) - 2 * np.pi * math.fmod(s["frequency"] * t_ref, 1.0)
    rebuilt_naive = s["amplitudes"][0] * np.sin(2 * np.pi * frac_cycles(s["frequency"], t) + naive)
    assert np.max(np.abs(rebuilt_naive - y)) > 1e-8


def test_selection_subset_only_at_large_n_with_an_overwhelming_peak():
    from sigfit._numerics import SUBSET_MIN_N, SUBSET_N
    from sigfit.harmonics import _selection_subset

    assert _selection_subset(SUBSET_MIN_N - 1, 0.99) is None  # small N: all samples
    assert _selection_subset(100_000, 1e-4) is None  # weak peak: all samples
    sub = _selection_subset(100_000, 0.5)
    assert isinstance(sub, slice)
    n_sub = len(range(100_000)[sub])
    assert SUBSET_N // 2 <= n_sub <= SUBSET_N


def test_large_n_subset_selection_keeps_the_full_data_fit():
    # a sawtooth-like tone with 3 harmonics at N = 70,000: model chosen on the subset, the fit on
    # all samples reaches the full-data precision (frequency within 5 reported errors)
    rng = np.random.default_rng(3)
    n = 70_000
    t = np.sort(rng.uniform(-500.0, 500.0, n))
    f = 0.731
    y = sum(np.sin(2 * np.pi * h * f * t) / h for h in (1, 2, 3)) + rng.normal(0, 0.3, n)
    import sigfit

    r = sigfit.estimate(t, y, fmax=3.0)
    c = r.components[0]
    assert abs(c.frequency - f) < 5 * c.frequency_err
    assert c.n_harmonics == 3
    # the reported error is the full-data one, not the subset's
    assert c.frequency_err < 1.5 * math.sqrt(6.0 / n) * 0.3 / (np.pi * 1000.0 * 1.0)


@pytest.mark.parametrize("degree", [0, 2])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("giant", [False, True])
def test_nufft_gram_equals_the_explicit_product(degree, weighted, giant):
    # the trigonometric-sum Gram matrix (finufft) is the explicit X^T W X to round-off, at t ~ 2e9
    # (integer seconds, exact product) as at t ~ 1e3
    from sigfit.harmonics import _design as hm

    rng = np.random.default_rng(11)
    n = 3000
    if giant:
        tau = rng.integers(-2_000_000_000, 2_000_000_000, n).astype(np.float64)
        f = 1.0 / 61.0
    else:
        tau = rng.uniform(-1000.0, 1000.0, n)
        f = 31.0 / (2 * np.pi)
    y = rng.standard_normal(n)
    sw = rng.uniform(0.5, 2.0, n) if weighted else None
    t_scale = float(np.max(np.abs(tau)))
    for h in (4, 29):
        fast = hm._gram_nufft(tau, y, sw, f, h, degree, t_scale)
        slow = sum(
            (lambda xy: xy.T @ xy)(np.concatenate([hm._linear_design(tau[sl], tau[sl] / t_scale, [f], [h], degree),
                                                   y[sl, None]], axis=1) * (1.0 if sw is None else sw[sl, None]))
            for sl in hm._chunks(n)
        )
        assert fast.shape == slow.shape
        assert np.max(np.abs(fast - slow)) <= 1e-12 * n * (4.0 if weighted else 1.0)


def test_shared_sums_identify_like_one_gram_per_candidate(monkeypatch):
    # identification reads every candidate f_p/k from one transform at f_p/lcm(k): same divisor,
    # same BIC as one explicit Gram matrix per candidate
    from sigfit.harmonics import _design as hm

    rng = np.random.default_rng(12)
    n = 6000
    tau = np.sort(rng.uniform(-3000.0, 3000.0, n))
    period = 7.3
    y = (np.mod(tau / period, 1.0) < 0.15).astype(float) + rng.normal(0, 0.05, n)  # pulse train
    for fp in (1 / period, 3 / period):
        k_fast, bic_fast = identify_fundamental(tau, y, None, fp, t_scale=3000.0)
        monkeypatch.setattr(hm, "NUFFT_GRAM_MIN_N", 10**9)
        k_slow, bic_slow = identify_fundamental(tau, y, None, fp, t_scale=3000.0)
        monkeypatch.undo()
        assert k_fast == k_slow == round(fp * period)
        finite = np.isfinite(bic_slow)
        assert np.array_equal(finite, np.isfinite(bic_fast))
        np.testing.assert_allclose(bic_fast[finite], bic_slow[finite], rtol=0, atol=1e-6)


def test_gauss_newton_lands_on_the_same_minimum_from_any_start():
    # the final linear step (kept Jacobian) leaves the answer within CONVERGED = 1e-2 standard
    # errors of the minimum whatever the start (here starts 0.3-0.4 standard errors apart)
    rng = np.random.default_rng(13)
    n = 4000
    tau = np.sort(rng.uniform(-500.0, 500.0, n))
    f = 0.4321
    y = 1.0 + 2.0 * np.sin(2 * np.pi * f * tau + 0.3) + rng.normal(0, 0.5, n)
    fits = [fit_periodic(tau, y, None, [f * (1 + d)], [1], t_scale=500.0, max_shift=1e-3)
            for d in (-2e-6, 0.0, 3e-6)]
    err = math.sqrt(fits[0].covariance[1, 1]) / 500.0
    for fit in fits[1:]:
        assert abs(fit.frequency[0] - fits[0].frequency[0]) < 1e-2 * err
        np.testing.assert_allclose(fit.residual, fits[0].residual, rtol=0, atol=1e-3 * 0.5)
    # the residual is the data minus the model at the reported parameters, to the final step's
    # second-order remainder (far below the noise, 0.5)
    model = y - fits[0].residual
    expect = fits[0].poly[0] + fits[0].a[0][0] * np.sin(2 * np.pi * fits[0].frequency[0] * tau) \
        + fits[0].b[0][0] * np.cos(2 * np.pi * fits[0].frequency[0] * tau)
    np.testing.assert_allclose(model, expect, rtol=0, atol=1e-6)


def _day_week(rng, n, weekly):
    t = np.sort(rng.uniform(0, 70 * 86400.0, n))
    day = t / 86400.0
    y = sawtooth(day) + weekly * (np.mod(day, 7.0) >= 5.0) + rng.normal(0, 0.1, n)
    return t, y


@pytest.mark.parametrize("weekly", [0.7, 3.0])
def test_daily_and_weekly_cycles_are_two_periods_each_with_harmonics(weekly):
    # commensurate periods (7 days of 86400 s): a daily sawtooth and a weekend step, the daily
    # cycle stronger (0.7) or the weekly one (3.0). Asked for two components, sigfit reports both,
    # each with its own harmonics, not one weekly shape with the day as its 7th line
    import sigfit

    rng = np.random.default_rng(5)
    t, y = _day_week(rng, 3000, weekly)
    r = sigfit.estimate(t, y, n_components=2)
    periods = sorted(c.period for c in r.components)
    assert periods[0] == pytest.approx(86400.0, rel=1e-4)
    assert periods[1] == pytest.approx(604800.0, rel=5e-3)
    assert all(c.significant and c.n_harmonics > 1 for c in r.components)
    # the weekly component's harmonics stop below the daily line (they would be the same column)
    weekly_c = max(r.components, key=lambda c: c.period)
    assert weekly_c.n_harmonics <= 6


def test_daily_cycle_with_a_weaker_weekly_one_reports_the_day_first():
    import sigfit

    rng = np.random.default_rng(6)
    t = np.arange(24 * 70) * 3600.0
    y = 20 * np.sin(2 * np.pi * t / 86400) + 5 * np.sin(2 * np.pi * t / 604800) + rng.normal(0, 2, t.size)
    one = sigfit.estimate(t, y)
    assert one.components[0].period == pytest.approx(86400.0, rel=1e-4)
    two = sigfit.estimate(t, y, n_components=2)
    assert sorted(round(c.period / 86400.0) for c in two.components) == [1, 7]


def test_one_shape_is_not_split_into_nested_periods():
    # smooth but irregular harmonic envelopes (amplitudes e^(-h/5) jittered by U(0.3, 1.7)): one
    # period; a second significant component in at most 3 of 15 (prewhitening alone: 1 of 30)
    import sigfit

    rng = np.random.default_rng(7)
    period, split = 37.3, 0
    for _ in range(15):
        amps = np.exp(-np.arange(1, 21) / 5.0) * rng.uniform(0.3, 1.7, 20)
        phases = rng.uniform(0, 2 * np.pi, 20)
        t = np.sort(rng.uniform(0, 20_000, 4000))
        y = sum(a * np.sin(2 * np.pi * (j + 1) * t / period + p) for j, (a, p) in enumerate(zip(amps, phases, strict=True)))
        r = sigfit.estimate(t, y + rng.normal(0, 0.05, t.size), fmax=1.0, n_components=2)
        assert r.components[0].period == pytest.approx(period, rel=1e-4)
        split += len(r.components) > 1 and r.components[1].significant
    assert split <= 3


@pytest.mark.parametrize("weighted", [False, True])
def test_gauss_newton_normal_equations_are_the_explicit_jacobian_s(weighted):
    """issue 18: _accumulate builds the Jacobian transposed, in place; its normal equations, the
    sandwich's meat and the residual are those of the Jacobian written out column by column
    (two components with harmonics, a quadratic, chunk edges crossed)."""
    from sigfit.harmonics import _design, _lstsq

    rng = np.random.default_rng(31)
    n = 2 * _design.ROWS + 123
    tau = np.sort(rng.uniform(-3e4, 3e4, n))
    t_scale = float(np.max(np.abs(tau)))
    y = rng.normal(size=n)
    sw = 1.0 / rng.uniform(0.5, 2.0, n) if weighted else None
    hs, degree = (3, 5), 2
    nus = [1.3e-3 * t_scale, 7.7e-4 * t_scale]
    params = np.concatenate([rng.normal(size=degree + 1), [nus[0]], rng.normal(size=6),
                             [nus[1]], rng.normal(size=10)])
    u = tau / t_scale
    cols, model = [u**j for j in range(degree + 1)], params[0] + params[1] * u + params[2] * u**2
    st = degree + 1
    for nu, h in zip(nus, hs, strict=True):
        ab = params[st + 1:st + 1 + 2 * h]
        ph = [2 * np.pi * k * nu * u for k in range(1, h + 1)]
        d_nu = sum(2 * np.pi * k * u * (ab[2 * k - 2] * np.cos(p) - ab[2 * k - 1] * np.sin(p))
                   for k, p in zip(range(1, h + 1), ph, strict=True))
        cols.append(d_nu)
        for k, p in zip(range(1, h + 1), ph, strict=True):
            cols += [np.sin(p), np.cos(p)]
            model = model + ab[2 * k - 2] * np.sin(p) + ab[2 * k - 1] * np.cos(p)
        st += 1 + 2 * h
    jac = np.column_stack(cols)
    r = y - model
    jw, rw = (jac, r) if sw is None else (jac * sw[:, None], r * sw)
    jtj, jtr, chi2, meat, resid, jacs = _lstsq._accumulate(tau, y, sw, params, hs, degree, t_scale,
                                                           meat=True, keep_jacobian=True)
    scale = np.sqrt(np.outer(np.diag(jw.T @ jw), np.diag(jw.T @ jw)))
    np.testing.assert_allclose(jtj, jw.T @ jw, rtol=0, atol=1e-9 * scale.max())
    np.testing.assert_allclose(jtr, jw.T @ rw, rtol=1e-8, atol=1e-9 * np.abs(jw.T @ rw).max())
    np.testing.assert_allclose(resid, r, rtol=0, atol=1e-9)
    assert chi2 == pytest.approx(float(rw @ rw), rel=1e-12)
    jr = jw * rw[:, None]
    np.testing.assert_allclose(meat, jr.T @ jr, rtol=0, atol=1e-9 * np.abs(jr.T @ jr).max())
    np.testing.assert_allclose(np.concatenate(jacs, axis=1), jac.T, rtol=0, atol=1e-9)


@pytest.mark.parametrize("max_iter", [1, 30])
def test_sandwich_meat_made_where_the_fit_stops_s(max_iter, monkeypatch):
    """issue 18: the sandwich's meat is gathered only where Gauss-Newton stops (from the kept
    Jacobian, on a predicted last pass, or one more pass when the stop comes unforeseen, as
    max_iter=1 forces); the covariance is the HC1 sandwich of the explicit Jacobian at the
    returned fit, kept Jacobian or not."""
    from sigfit.harmonics import _lstsq

    rng = np.random.default_rng(32)
    n = 3000
    tau = np.sort(rng.uniform(-500, 500, n))
    y = 1.5 * np.sin(2 * np.pi * 0.0213 * tau + 0.3) + 0.4 * np.cos(4 * np.pi * 0.0213 * tau)
    y = y + rng.standard_t(4, n) * 0.3 * (1 + (tau > 0))  # heteroscedastic: the sandwich matters
    fits = {}
    for kept in (True, False):
        monkeypatch.setattr(_lstsq, "KEEP_JACOBIAN_MAX", 1 << 40 if kept else 0)
        fits[kept] = _lstsq.fit_periodic(tau, y, None, [0.02131], [2], max_iter=max_iter)
    for fit in fits.values():
        # the explicit sandwich at the fit (GN stopped within CONVERGED standard errors of it;
        # with the Jacobian kept the last step is taken linearly, without it by one more pass)
        p = fit.params()
        jtj, _, _, meat, _, _ = _lstsq._accumulate(tau, y, None, p, (2,), 0, fit.t_scale, meat=True)
        inv = np.linalg.inv(jtj)
        expected = inv @ meat @ inv * n / (n - p.size)
        d = np.sqrt(np.diag(expected))
        np.testing.assert_allclose(fit.covariance / np.outer(d, d), expected / np.outer(d, d),
                                   rtol=0, atol=0.05 if max_iter == 1 else 1e-2)
