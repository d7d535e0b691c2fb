"""The clock (issue #4): a clock's digit periods from random integer seconds over 120 years, with
default options, for the seed's bases and for non-round ones. Nothing in sigfit knows the bases;
only these tests (and the sampler's defaults) do."""

from __future__ import annotations

import json

import numpy as np
import pytest
from click.testing import CliRunner

from sigfit import samples
from sigfit.estimate import estimate

BASES = [(60, 60, 24), (7, 13, 5), (61, 37, 23)]


def digit_periods(bases):
    """Period of each digit, most significant first (the sampler's column order)."""
    return list(np.cumprod(bases)[::-1])


@pytest.fixture(scope="module", params=BASES, ids=lambda b: ",".join(map(str, b)))
def clock_estimates(request):
    s = samples.clock(n=20_000, years=120, bases=request.param, seed=11)
    results = [estimate(s.t, s.digits[:, j]) for j in range(len(request.param))]
    return request.param, s, results


def test_periods_with_default_options(clock_estimates):
    bases, s, results = clock_estimates
    for period, r in zip(digit_periods(bases), results, strict=True):
        c = r.components[0]
        assert c.significant and c.false_alarm_probability < 1e-10
        assert abs(c.period - period) / period < 1e-8, (bases, period, c.period)
        # an honest error: the truth within 5 reported standard errors
        assert abs(c.period - period) <= 5 * c.period_err, (bases, period, c.period, c.period_err)
        assert c.n_harmonics > 1 and len(c.harmonic_amplitudes) == c.n_harmonics


def test_harmonics_stop_below_the_stamps_nyquist(clock_estimates):
    """Integer seconds carry nothing above 0.5 Hz: the fastest digit (a sawtooth of period b)
    keeps its harmonics below 0.5 Hz. For odd b those (b-1)/2 harmonics and the offset describe
    all b values exactly; for even b the Nyquist term (-1)^t is left over."""
    bases, s, results = clock_estimates
    b = bases[0]
    c = results[-1].components[0]
    assert c.n_harmonics == (b - 1) // 2
    if b % 2:
        assert results[-1].residual_std < 1e-6
    else:
        # sum_n n (-1)^n / b over one period = -1/2: that alias of 0.5 Hz stays in the residual
        assert results[-1].residual_std == pytest.approx(0.5, rel=0.02)
        assert any("Nyquist" in w for w in results[-1].warnings)


def test_prediction_reads_the_clock(clock_estimates):
    """The fitted model, evaluated at the stamps (phases referred to t = 0, t ~ 4e9), reads the
    slowest digit back within a fraction of a step (its 5-24 steps are resolved by the harmonics;
    a wrong phase or period would put it off by whole steps)."""
    bases, s, results = clock_estimates
    r = results[0]  # the most significant digit: a staircase of bases[-1] steps
    err = r.predict(s.t) - s.digits[:, 0]
    assert np.median(np.abs(err)) < 0.2


def test_same_answer_as_the_full_grid_where_both_fit():
    """A short clock whose full grid fits: the coarse-to-fine search (forced by a small
    max_grid_size) gives the same periods and harmonics as the full grid."""
    s = samples.clock(n=3000, years=0.02, bases=(60, 60, 24), seed=2)
    for j, period in enumerate(digit_periods((60, 60, 24))):
        full = estimate(s.t, s.digits[:, j])
        coarse = estimate(s.t, s.digits[:, j], max_grid_size=2**15)
        assert "coarse-to-fine" in coarse.periodogram.method
        assert "coarse-to-fine" not in full.periodogram.method
        a, b = full.components[0], coarse.components[0]
        assert a.n_harmonics == b.n_harmonics
        assert abs(a.period - period) <= 5 * a.period_err
        assert abs(b.period - a.period) <= 1e-3 * a.period_err + 1e-12 * period


def test_noisy_digit_still_found_with_honest_error():
    """Noise voids the step bracket (no exact levels); the harmonic fit stands, its error honest."""
    rng = np.random.default_rng(3)
    s = samples.clock(n=20_000, years=120, bases=(61, 37, 23), seed=3)
    y = s.digits[:, 1] + rng.normal(0, 2.0, s.t.size)
    c = estimate(s.t, y).components[0]
    assert abs(c.period - 61 * 37) <= 5 * c.period_err
    assert c.period_err / (61 * 37) < 1e-8


def test_cli_json_reports_periods_and_harmonics(tmp_path):
    from sigfit.cli import cli

    out = tmp_path / "clock.csv"
    runner = CliRunner()
    res = runner.invoke(cli, ["sample", "clock", "--n", "5000", "--years", "120", "--bases",
                              "61,37,23", "-o", str(out)])
    assert res.exit_code == 0, res.output
    res = runner.invoke(cli, ["estimate", str(out), "--json"])
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    got = {s["name"]: s["components"][0] for s in doc["signals"]}
    for name, period in zip(["hours", "minutes", "seconds"], digit_periods((61, 37, 23)), strict=True):
        c = got[name]
        assert abs(c["period"] - period) / period < 1e-7
        assert c["n_harmonics"] > 1 and len(c["harmonic_amplitudes"]) == c["n_harmonics"]
        assert c["period_err"] > 0 and c["false_alarm_probability"] < 1e-10


@pytest.mark.slow
def test_acceptance_size(tmp_path):
    """The issue's acceptance run (timed with memory in benchmarks/bench_clock.py)."""
    s = samples.clock(n=100_000, years=120, seed=0)
    for j, (period, tol) in enumerate(zip(digit_periods((60, 60, 24)), (1e-8, 1e-9, 1e-9), strict=True)):
        c = estimate(s.t.astype(np.float64), s.digits[:, j]).components[0]
        assert abs(c.period - period) / period <= tol


def test_cli_harmonics_option(tmp_path):
    from sigfit.cli import cli

    out = tmp_path / "clock.csv"
    runner = CliRunner()
    assert runner.invoke(cli, ["sample", "clock", "--n", "3000", "--years", "1", "--bases", "7,13,5",
                               "-o", str(out)]).exit_code == 0
    res = runner.invoke(cli, ["estimate", str(out), "-y", "minutes", "--harmonics", "1", "--json"])
    assert res.exit_code == 0, res.output
    c = json.loads(res.stdout)["signals"][0]["components"][0]
    assert c["n_harmonics"] == 1 and "harmonic_amplitudes" not in c
    assert abs(c["period"] - 91) < 1e-3
    res = runner.invoke(cli, ["estimate", str(out), "--harmonics", "0"])
    assert res.exit_code == 2 and "harmonics must be >= 1" in res.output
