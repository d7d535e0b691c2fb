"""Periodogram backends: golden values against astropy, fft vs lombscargle, the method list."""

import re
from typing import get_args

import numpy as np
import pytest

import sigfit
from sigfit.grid import FrequencyGrid, default_fmax, make_grid
from sigfit.periodograms import (
    METHOD_CHOICES,
    METHODS,
    MethodName,
    compute,
    resolve_method,
    uniform_step,
)
from sigfit.periodograms.fft import fft_grid


def _irregular(seed, n=300, span=100.0):
    rng = np.random.default_rng(seed)
    t = np.sort(rng.uniform(0, span, n))
    y = 0.7 * np.sin(2 * np.pi * 0.37 * t + 0.4) + rng.normal(0, 1.0, n)
    dy = rng.uniform(0.5, 2.0, n)
    for a in (t, y, dy):
        a.setflags(write=False)
    return t, y, dy


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("seed", [0, 1])
def test_lombscargle_matches_astropy(seed, weighted):
    astropy_ls = pytest.importorskip("astropy.timeseries").LombScargle
    t, y, dy = _irregular(seed)
    dy = dy if weighted else None
    grid = make_grid(t[-1] - t[0], fmin=None, fmax=5.0, oversampling=5)
    power = compute("lombscargle", t - t.mean(), y, dy, grid)
    # "cython" is astropy's direct O(N*M) sum: the exact reference
    ref = astropy_ls(t, y, dy, fit_mean=True, center_data=True, normalization="standard").power(
        grid.frequency(), method="cython"
    )
    np.testing.assert_allclose(power, ref, rtol=1e-8, atol=0)


def test_fft_equals_lombscargle_at_fourier_frequencies():
    rng = np.random.default_rng(3)
    n, dt = 400, 0.25
    tau = (np.arange(n) - (n - 1) / 2) * dt
    y = np.sin(2 * np.pi * 0.77 * tau) + rng.normal(0, 0.5, n)
    grid = fft_grid(n, dt, fmin=None, fmax=None, oversampling=5)
    p_fft = compute("fft", tau, y, None, grid)
    p_ls = compute("lombscargle", tau, y, None, grid)
    # every 5th lattice point is a Fourier frequency k/(n*dt) when n_fft = 5n
    n_fft = round(1 / (grid.step * dt))
    assert n_fft % n == 0
    stride = n_fft // n
    idx = np.arange(stride - 1, grid.size - 1, stride)  # grid starts at k = 1
    np.testing.assert_allclose(p_fft[idx], p_ls[idx], rtol=1e-9, atol=1e-12)
    # elsewhere they differ by O(1/N) leakage terms only, and share the peak
    assert np.max(np.abs(p_fft - p_ls)) < 0.05
    assert abs(np.argmax(p_fft) - np.argmax(p_ls)) <= 1


def test_fft_and_lombscargle_estimates_agree_on_even_samples():
    rng = np.random.default_rng(4)
    t = 10.0 + 0.1 * np.arange(500)
    y = 2.0 + 1.5 * np.sin(2 * np.pi * 1.37 * t + 2.0) + rng.normal(0, 0.2, t.size)
    a = sigfit.estimate(t, y, method="fft")
    b = sigfit.estimate(t, y, method="lombscargle")
    assert sigfit.estimate(t, y).method == "fft"
    ca, cb = a.components[0], b.components[0]
    assert ca.frequency == pytest.approx(cb.frequency, rel=1e-9)
    assert ca.phase == pytest.approx(cb.phase, abs=1e-6)
    assert ca.amplitude == pytest.approx(cb.amplitude, rel=1e-8)
    assert ca.false_alarm_probability == pytest.approx(cb.false_alarm_probability, abs=1e-12)


def test_method_list_written_once():
    assert set(METHODS) == set(get_args(MethodName))
    assert set(METHOD_CHOICES) == set(METHODS) | {"auto", "wavelet"}  # wavelet: sigfit.wavelet
    m = re.search(r"method : \{([^}]*)\}", sigfit.estimate.__doc__)
    documented = {s.strip().strip("'") for s in m.group(1).split(",")}
    assert documented == set(METHOD_CHOICES)


def test_auto_resolution():
    assert resolve_method("auto", uniform=True, weighted=False) == "fft"
    assert resolve_method("auto", uniform=False, weighted=False) == "lombscargle"
    assert resolve_method("auto", uniform=True, weighted=True) == "lombscargle"
    assert resolve_method("auto", uniform=True, weighted=False, fmax=2.0, nyquist=1.0) == "lombscargle"


def test_uniform_step_detects_lattices_with_rounding_only():
    t = 1e6 + 0.01 * np.arange(1000)  # t0 + k*dt carries rounding of one ulp at 1e6
    assert uniform_step(t - t.mean(), float(np.spacing(1e6))) == pytest.approx(0.01, rel=1e-9)
    jittered = t + np.random.default_rng(0).normal(0, 1e-5, t.size)
    assert uniform_step(jittered - t.mean()) is None
    assert uniform_step(np.array([0.0, 1.0, 1.0, 2.0])) is None


def test_grid_rules():
    t = np.arange(100) * 0.5
    assert default_fmax(t, 0.5) == 1.0  # Nyquist
    gapped = np.array([0.0, 1.0, 3.0, 4.0, 8.0, 9.0]) * 0.25  # hourly-like lattice with gaps
    assert default_fmax(gapped) == pytest.approx(2.0)  # Eyer & Bartholdi: 1/(2p)
    coprime = np.array([0.0, 2.0, 5.0, 7.0, 10.0])  # gaps 2 and 3: quantum 1
    assert default_fmax(coprime) == pytest.approx(0.5)
    irregular = np.array([0.0, 0.3037, 1.0, 1.0512, 2.0, 2.1311, 3.0, 3.3171])
    # no quantum; 7 gaps, so k = 7: the largest gap 0.9488 over 7 * (1/7 + ... + 1/1)
    h = sum(1 / j for j in range(1, 8))
    assert default_fmax(irregular) == pytest.approx(0.5 * 7 * h / 0.9488)
    # Poisson-like stamps: the band sits near N^2/(2T) with small scatter
    rng = np.random.default_rng(0)
    bands = [default_fmax(np.sort(rng.uniform(0, 2000, 256))) for _ in range(50)]
    assert 0.5 < np.min(bands) / (256**2 / 4000) and np.max(bands) / (256**2 / 4000) < 2.5
    g = make_grid(10.0, fmin=None, fmax=3.0, oversampling=4)
    assert isinstance(g, FrequencyGrid)
    assert g.step <= 1 / 40 and g.stop == pytest.approx(3.0) and g.start == pytest.approx(1 / 40)


@pytest.mark.parametrize("weighted", [False, True])
def test_baluev_fap_matches_astropy(weighted):
    # astropy's formula itself (LombScargle.false_alarm_probability snaps fmax to its own grid)
    stats = pytest.importorskip("astropy.timeseries.periodograms.lombscargle._statistics")
    from sigfit.significance import effective_baseline, false_alarm_probability

    t, y, dy = _irregular(5, n=120)
    dy = dy if weighted else None
    w = None if dy is None else 1 / dy**2
    for z in (0.05, 0.15, 0.3):
        ref = stats.fap_baluev(z, 3.0, t, y, dy, normalization="standard")
        ours = false_alarm_probability(z, t.size, 3.0, effective_baseline(t, w))
        assert ours == pytest.approx(float(ref), rel=1e-10, abs=1e-300)


def test_public_periodogram_matches_astropy_and_refuses_oversized_grids():
    from astropy.timeseries import LombScargle

    import sigfit
    from sigfit.errors import InputError

    rng = np.random.default_rng(8)
    t = rng.uniform(0, 100, 400)
    y = np.sin(2 * np.pi * 0.3 * t) + rng.normal(0, 1, t.size)
    dy = rng.uniform(0.5, 2.0, t.size)
    p = sigfit.periodogram(t, y, dy=dy, fmax=2.0)
    ref = LombScargle(t, y, dy).power(p.frequency, method="slow")
    np.testing.assert_allclose(p.power, ref, rtol=1e-8, atol=1e-12)
    assert p.method == "lombscargle"
    assert abs(p.frequency[np.argmax(p.power)] - 0.3) < 1.0 / np.ptp(t)
    even = sigfit.periodogram(np.arange(256.0), np.sin(2 * np.pi * 0.1 * np.arange(256.0)))
    assert even.method == "fft" and even.frequency[-1] <= 0.5 + 1e-12
    with pytest.raises(InputError, match="narrower"):
        sigfit.periodogram(t, y, fmax=1e6, max_grid_size=1000)


def test_grid_split_same_powers_on_any_thread_budget_and_one_core_in_a_worker():
    # a whole grid above GRID_SPLIT_MIN is cut in equal parts run side by side where threads are
    # allowed; under an OpenMP limit of one (a Dask worker, single_threaded) they run one after
    # another on one core, with the same powers bit for bit and two finufft plans in all (issue
    # 18: nifty-ls made two per part)
    import threading

    import finufft

    from sigfit._numerics import single_threaded, thread_budget
    from sigfit.grid import FrequencyGrid
    from sigfit.periodograms import lombscargle

    rng = np.random.default_rng(3)
    tau = np.sort(rng.uniform(-50, 50, 300))
    y = np.sin(2 * np.pi * 3.3 * tau) + rng.normal(0, 1, tau.size)
    grid = FrequencyGrid(start=0.01, step=0.002, size=lombscargle.GRID_SPLIT_MIN + 7)
    seen = []
    original = finufft.Plan

    def spy(*a, **k):
        seen.append(threading.current_thread().name)
        return original(*a, **k)

    finufft.Plan = spy
    try:
        free = lombscargle.power(tau, y, None, grid, accuracy="grid")
        with single_threaded():
            assert thread_budget() == 1
            lombscargle._PLANS.__dict__.clear()  # this thread's kept plans
            seen.clear()
            one = lombscargle.power(tau, y, None, grid, accuracy="grid")
            assert seen == [threading.current_thread().name] * 2
            seen.clear()  # a second grid of the same size: the kept plans, none new
            lombscargle.power(tau, -y, None, grid, accuracy="grid")
            assert seen == []
    finally:
        finufft.Plan = original
    np.testing.assert_array_equal(free, one)
    assert free.shape == (grid.size,)
    # nifty-ls's one uncut call on the same grid: the same powers to its finufft accuracy
    np.testing.assert_allclose(free, _nifty(tau, y, None, grid), rtol=0, atol=1e-8)
    # several series at once (a batch's shared stamps): each row as on its own
    rows = np.stack([y, np.cos(2 * np.pi * 7.1 * tau) + rng.normal(0, 1, tau.size)])
    both = lombscargle.power(tau, rows, None, grid, accuracy="grid")
    assert both.shape == (2, grid.size)
    np.testing.assert_allclose(both[0], free, rtol=0, atol=1e-12)
    np.testing.assert_allclose(both[1], lombscargle.power(tau, rows[1], None, grid, accuracy="grid"),
                               rtol=0, atol=1e-12)


def test_single_threaded_limits_the_nufft_runtimes_in_a_fresh_process():
    # single_threaded's first use made its threadpool controller before finufft's OpenMP runtime
    # was loaded, and that controller never limited it: a fresh process ran its NUFFTs on every
    # core inside the "single-threaded" block
    import subprocess
    import sys

    code = ("from sigfit._numerics import single_threaded, thread_budget\n"
            "with single_threaded():\n    print(thread_budget())\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["1"]


def _nifty(tau, y, dy, grid):
    from sigfit.periodograms import lombscargle

    return lombscargle.nifty_power(tau, y, dy, fmin=grid.start, fmax=grid.stop, size=grid.size,
                                   nthreads=1, center_data=True, fit_mean=True,
                                   normalization="standard", assume_sorted_t=True, backend="finufft",
                                   finufft_kwargs=dict(lombscargle.GRID_SEARCH_OPTIONS))


@pytest.mark.parametrize("weights", ["none", "shared", "rows"])
@pytest.mark.parametrize("size", [64, 1000, 300_001])
def test_grid_power_is_nifty_ls_on_every_row(weights, size):
    """issue 18: grid_power (plans made once, the weights' transforms once per row of weights,
    the power written without its time offset) gives nifty-ls's powers, rows and weights alike."""
    from sigfit.grid import FrequencyGrid
    from sigfit.periodograms import lombscargle

    rng = np.random.default_rng(size)
    n = 150
    tau = np.sort(rng.uniform(-30, 30, n))
    rows = np.sin(2 * np.pi * rng.uniform(0.1, 3, (3, 1)) * tau) + rng.normal(0, 1, (3, n))
    dy = {"none": None, "shared": np.broadcast_to(rng.uniform(0.5, 2, n), rows.shape),
          "rows": rng.uniform(0.5, 2, rows.shape)}[weights]
    grid = FrequencyGrid(start=0.004, step=1 / (5 * 60.0), size=size)
    got = lombscargle.grid_power(tau, rows, dy, grid)
    assert got.shape == (3, size)
    for k in range(3):
        one = None if dy is None else np.ascontiguousarray(dy[k])
        # one uncut nifty-ls call: its finufft accuracy apart (the parts have other fine grids)
        np.testing.assert_allclose(got[k], _nifty(tau, rows[k], one, grid), rtol=0, atol=1e-8)
        np.testing.assert_allclose(lombscargle.grid_power(tau, rows[k], one, grid), got[k], rtol=0, atol=1e-12)


def test_kept_plans_give_the_powers_of_new_ones():
    # issue 18: a small grid's finufft plans are kept per thread and reused with other stamps,
    # other sizes of the same rounded mode count, other rows: the powers are those of new plans
    from sigfit.grid import FrequencyGrid
    from sigfit.periodograms import lombscargle

    rng = np.random.default_rng(8)
    cases = []
    for n, size in ((120, 2480), (300, 2490), (50, 700), (120, 2480)):
        tau = np.sort(rng.uniform(-40, 40, n))
        cases.append((tau, rng.normal(size=(2, n)), FrequencyGrid(0.01, 1 / 400.0, size)))
    kept = [lombscargle.grid_power(t, y, None, g) for t, y, g in cases]
    for (t, y, g), p in zip(cases, kept, strict=True):
        lombscargle._PLANS.__dict__.clear()
        np.testing.assert_array_equal(lombscargle.grid_power(t, y, None, g), p)


def test_weights_transforms_kept_by_content_give_the_same_powers(monkeypatch):
    """issue 18: a small grid's weight transforms are kept by the stamps' and weights' bytes;
    a second series on the same stamps (a table's next column, the model's residual) costs one
    transform, with the same powers bit for bit; new stamps or new weights are new entries, and
    the store is bounded."""
    import finufft

    from sigfit.grid import FrequencyGrid
    from sigfit.periodograms import lombscargle

    monkeypatch.setattr(lombscargle, "_WEIGHTS", type(lombscargle._WEIGHTS)(lombscargle.WEIGHTS_CACHE_SIZE))
    rng = np.random.default_rng(8)
    tau = np.sort(rng.uniform(-50, 50, 2000))
    grid = FrequencyGrid(start=0.01, step=0.002, size=3000)
    y1, y2 = rng.normal(size=(2, tau.size))
    dy = rng.uniform(0.5, 2.0, tau.size)
    executed = []
    original = finufft.Plan.execute
    monkeypatch.setattr(finufft.Plan, "execute",
                        lambda self, c, *a, **k: executed.append(np.shape(c)) or original(self, c, *a, **k))
    for weights in (None, dy):
        cold = lombscargle.grid_power(tau, y2, weights, grid, options=lombscargle.SEARCH_OPTIONS)
        lombscargle._WEIGHTS.clear()
        lombscargle.grid_power(tau, y1, weights, grid, options=lombscargle.SEARCH_OPTIONS)
        executed.clear()
        warm = lombscargle.grid_power(tau, y2, weights, grid, options=lombscargle.SEARCH_OPTIONS)
        assert executed == [(1, tau.size)]  # one vector: the weighted values alone
        np.testing.assert_array_equal(warm, cold)
    moved = tau.copy()
    moved[7] += 1e-3  # other stamps: computed afresh, and right
    executed.clear()
    fresh = lombscargle.grid_power(moved, y2, None, grid, options=lombscargle.SEARCH_OPTIONS)
    assert len(executed) == 2
    np.testing.assert_allclose(fresh, _nifty(moved, y2, None, grid), rtol=0, atol=1e-5)
    for k in range(lombscargle.WEIGHTS_CACHE_SIZE + 3):
        lombscargle.grid_power(tau + k, y2, None, grid, options=lombscargle.SEARCH_OPTIONS)
    assert len(lombscargle._WEIGHTS) == lombscargle.WEIGHTS_CACHE_SIZE
    big = FrequencyGrid(start=0.01, step=1e-4, size=lombscargle.WEIGHTS_CACHE_MAX + 1)
    lombscargle._WEIGHTS.clear()
    lombscargle.grid_power(tau, y2, None, big, options=lombscargle.SEARCH_OPTIONS)
    assert len(lombscargle._WEIGHTS) == 0
    # rows with their own weights share the bound: 3 rows x 30,000 frequencies keep nothing
    rows_dy = rng.uniform(0.5, 2.0, (3, tau.size))
    mid = FrequencyGrid(start=0.01, step=1e-3, size=30000)
    lombscargle.grid_power(tau, np.stack([y1, y2, y1]), rows_dy, mid, options=lombscargle.SEARCH_OPTIONS)
    assert len(lombscargle._WEIGHTS) == 0


def test_grid_frequencies_kept_read_only_and_known_ascending():
    """issue 18: FrequencyGrid.frequency gives the last grid's array again (an estimate asked
    twice, each series of a shared-stamps batch once more), read-only so that no caller can
    change it under another, with the same values as start + step * k."""
    from sigfit import _numerics
    from sigfit.grid import FREQUENCY_KEEP_MAX, FrequencyGrid

    g = FrequencyGrid(start=0.02, step=0.002, size=1000)
    f = g.frequency()
    np.testing.assert_array_equal(f, 0.02 + 0.002 * np.arange(1000))
    assert FrequencyGrid(start=0.02, step=0.002, size=1000).frequency() is f
    assert not f.flags.writeable
    with pytest.raises(ValueError):
        f[0] = 1.0
    assert _numerics._ascending(f) and _numerics._KNOWN_ASCENDING == [f]
    copy = f.copy()  # not the kept array: checked on its values
    copy[5] = -1.0
    assert not _numerics._ascending(copy)
    other = FrequencyGrid(start=0.02, step=0.003, size=1000).frequency()
    assert other is not f and other[1] == pytest.approx(0.023)
    assert len(_numerics._KNOWN_ASCENDING) == 1 and _numerics._KNOWN_ASCENDING[0] is other
    falling = FrequencyGrid(start=1.0, step=-0.001, size=10).frequency()  # kept, never ascending
    assert _numerics._KNOWN_ASCENDING == [] and not _numerics._ascending(falling)
    big = FrequencyGrid(start=0.0, step=1.0, size=FREQUENCY_KEEP_MAX + 1).frequency()
    assert big.flags.writeable and FrequencyGrid(0.0, 1.0, FREQUENCY_KEEP_MAX + 1).frequency() is not big


def test_periodogram_peak_index_is_numpy_argmax_found_once():
    from sigfit.results import Periodogram

    rng = np.random.default_rng(9)
    for power in (rng.random(1000), np.array([0.1, 0.5, 0.5, 0.2]), np.array([0.3, np.nan, 0.9])):
        pg = Periodogram(np.arange(power.size, dtype=float), power)
        assert "peak_index" not in pg.__dict__  # found on first use
        assert pg.peak_index == int(np.argmax(power))
        assert pg.__dict__["peak_index"] == int(np.argmax(power))  # then kept
        np.testing.assert_equal(pg.max_power, np.max(power))
        assert pg == Periodogram(pg.frequency, pg.power)  # equality reads the fields only


def test_grid_parts_of_exactly_2_16_modes_where_little_is_wasted_s():
    """issue 18: a grid cut into parts of 2^16 modes is cut into exactly that many when at most
    FAST_PART_WASTE more modes are computed than it has (one plan for every such series, a
    fine grid FFTW runs fast on); other grids keep equal parts; the powers are the uncut
    call's to the grid accuracy either way."""
    from sigfit.grid import FrequencyGrid
    from sigfit.periodograms import lombscargle as L

    assert L._part_modes(48 * 65536 - 1000, 1000) == (65536, 65536)
    assert L._part_modes(3 * 65536 + 10, 1000)[0] < 65536  # 4 parts of 2^16 would waste 33%
    assert L._part_modes(100_000, 1000) == (50_000, 50_176)  # 2 parts of 2^16 would waste 31%
    assert L._part_modes(2 * 10**6, 20_000)[0] > 65536  # 8 modes per sample: as it was
    rng = np.random.default_rng(5)
    t = np.sort(rng.uniform(0, 300, 200))
    y = np.sin(2 * np.pi * 0.37 * t) + rng.normal(size=t.size)
    tau = t - t.mean()
    grid = FrequencyGrid(0.01, 1 / 1500, 20 * 65536 - 77)
    assert L._part_modes(grid.size, t.size) == (65536, 65536)
    got = L.grid_power(tau, y, None, grid)
    one = L.nifty_power(tau, y, None, fmin=grid.start, fmax=grid.stop, size=grid.size, nthreads=1,
                        center_data=True, fit_mean=True, normalization="standard",
                        assume_sorted_t=True, backend="finufft",
                        finufft_kwargs=dict(L.NUFFT_OPTIONS))
    np.testing.assert_allclose(got, one, rtol=0, atol=1e-7)


def test_kept_plans_stay_within_their_byte_budget(monkeypatch):
    # issue 18: plans of any size are kept per thread within PLAN_CACHE_BYTES (an estimate of 1e5
    # samples with fmax=10 made four new plans of 1e5 modes before); a plan of more than half the
    # budget is made new each time, and the oldest go first
    from sigfit.periodograms import lombscargle

    monkeypatch.setattr(lombscargle, "PLAN_CACHE_BYTES", 1 << 20)
    lombscargle._PLANS.__dict__.clear()
    opts = dict(lombscargle.GRID_SEARCH_OPTIONS, fftw=64)
    a = lombscargle._plan(8192, 2, opts)  # 8192 * (2 * 20 + 8) bytes: 0.39 MB
    assert lombscargle._plan(8192, 2, opts) is a
    big = lombscargle._plan(40000, 1, opts)  # 40000 * 28 bytes: 1.1 MB, over half the budget
    assert lombscargle._plan(40000, 1, opts) is not big
    b = lombscargle._plan(8448, 2, opts)
    c = lombscargle._plan(8704, 2, opts)  # a, b and c: 1.2 MB, so a goes
    kept = lombscargle._PLANS.cache
    assert sum(bytes_ for _, bytes_ in kept.values()) <= lombscargle.PLAN_CACHE_BYTES
    assert [k[0] for k in kept] == [8448, 8704]
    assert lombscargle._plan(8448, 2, opts) is b and lombscargle._plan(8704, 2, opts) is c
    lombscargle._PLANS.__dict__.clear()
