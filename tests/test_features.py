"""Issue #16: sigfit.features.PeriodicFeatures, a scikit-learn transformer that imports numpy only.
Only these tests know the answers (the generators' periods)."""

from __future__ import annotations

import math
import pickle
import warnings
from fractions import Fraction

import numpy as np
import pytest

from sigfit import InputError, SigfitWarning
from sigfit.features import PeriodicFeatures, cycles

sklearn = pytest.importorskip("sklearn")

from sklearn.base import clone  # noqa: E402
from sklearn.linear_model import LinearRegression, Ridge  # noqa: E402
from sklearn.metrics import r2_score  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402

HOUR, DAY, WEEK = 3600, 86400, 7 * 86400


def hourly_series(seed: int, weeks: int = 12, noise: float = 0.3):
    """Hourly int64 stamps (seconds since the epoch, late 2023) with daily and weekly cycles of
    two harmonics each, a linear trend, gaps and noise; the training part and the two weeks
    after it."""
    rng = np.random.default_rng(seed)
    t0 = 1_700_000_000 + HOUR * int(rng.integers(0, 5000))
    n = 24 * 7 * weeks
    t = t0 + HOUR * np.arange(n + 24 * 14, dtype=np.int64)
    day = 2 * np.pi * (t % DAY) / DAY
    week = 2 * np.pi * ((t - 4 * DAY) % WEEK) / WEEK  # 0 on Mondays (1970-01-01 was a Thursday)
    y = (5.0 + rng.uniform(0.3, 1.0) * (t - t0) / WEEK / weeks * 3
         + 2.0 * np.sin(day + rng.uniform(0, 2 * np.pi)) + 0.7 * np.sin(2 * day + 1.0)
         + 1.5 * np.sin(week + rng.uniform(0, 2 * np.pi)) + 0.6 * np.cos(2 * week)
         + rng.normal(0, noise, t.size))
    keep = np.ones(t.size, bool)
    for _ in range(5):  # outages of 5 h to 3 days
        a = int(rng.integers(0, n - 72))
        keep[a : a + int(rng.integers(5, 72))] = False
    keep &= rng.random(t.size) > 0.1  # and single missing hours
    train = np.arange(t.size) < n
    return t[train & keep], y[train & keep], t[~train], y[~train]


@pytest.mark.parametrize("kind", ["int64", "datetime64", "float64"])
def test_ridge_on_periodic_features_forecasts_two_weeks_ahead(kind):
    t, y, t_next, y_next = hourly_series(0)
    if kind == "datetime64":
        t, t_next = t.astype("datetime64[s]"), t_next.astype("datetime64[s]")
    elif kind == "float64":
        t, t_next = t.astype(np.float64), t_next.astype(np.float64)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SigfitWarning)
        model = make_pipeline(PeriodicFeatures(n_components=2), Ridge()).fit(t, y)
    periods = sorted(c.period for c in model[0].estimate_.components if c.significant)
    assert periods == [pytest.approx(DAY, rel=1e-3), pytest.approx(WEEK, rel=1e-2)]
    assert r2_score(y_next, model.predict(t_next)) >= 0.95


@pytest.mark.parametrize("seed", [1, 2])
def test_ridge_forecast_other_series(seed):
    t, y, t_next, y_next = hourly_series(seed, weeks=8)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SigfitWarning)
        model = make_pipeline(PeriodicFeatures(n_components=2), Ridge()).fit(t.reshape(-1, 1), y)
    assert r2_score(y_next, model.predict(t_next.reshape(-1, 1))) >= 0.95


def test_int64_datetime_and_float_times_give_the_same_features():
    t, y, t_next, _ = hourly_series(3, weeks=6)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SigfitWarning)
        a = PeriodicFeatures(n_components=2).fit(t, y)
        b = PeriodicFeatures(n_components=2).fit(t.astype("datetime64[s]"), y)
        c = PeriodicFeatures(n_components=2).fit(t.astype("datetime64[s]").astype("datetime64[ns]"), y)
    assert b.time_kind_ == c.time_kind_ == "datetime64" and a.time_kind_ == "number"
    np.testing.assert_allclose(b.transform(t_next.astype("datetime64[s]")), a.transform(t_next), atol=1e-12)
    np.testing.assert_allclose(c.transform(t_next.astype("datetime64[s]").astype("datetime64[ms]")),
                               a.transform(t_next), atol=1e-12)
    with pytest.raises(InputError, match="fitted on datetime64 times but given number"):
        b.transform(t_next)


def test_a_linear_fit_on_the_features_is_the_estimate():
    # the columns span the estimate's own model: least squares on them (plus an intercept)
    # reproduces result.predict at the estimated frequencies
    rng = np.random.default_rng(5)
    t = np.sort(rng.uniform(0, 500, 3000))
    y = (1.0 + 0.01 * t + 2 * np.sin(2 * np.pi * t / 23.0) + 0.8 * np.sign(np.sin(2 * np.pi * t / 61.0))
         + rng.normal(0, 0.2, t.size))
    pf = PeriodicFeatures(n_components=2).fit(t, y)
    assert any(c.n_harmonics > 1 for c in pf.estimate_.components)  # the square wave's harmonics
    X = pf.transform(t)
    assert X.shape == (t.size, pf.n_features_out_) and X.dtype == np.float64
    assert pf.get_feature_names_out()[-1] == "trend1"
    lin = LinearRegression().fit(X, y)
    # (to the nonlinear fit's convergence: its amplitude errors are ~1e-2)
    np.testing.assert_allclose(lin.predict(X), pf.estimate_.predict(t), atol=1e-4)
    # and the sine columns carry the tones' amplitudes, the cosines nothing
    names = list(pf.get_feature_names_out())
    for tn, k in zip(pf.tones_, range(0, 2 * len(pf.tones_), 2), strict=True):
        assert lin.coef_[k] == pytest.approx(tn.amplitude, abs=1e-4), names[k]
        assert abs(lin.coef_[k + 1]) < 1e-4


def test_phases_are_exact_far_from_zero():
    # t ~ 1.7e9 s as int64, float64 and datetime64[ns] (1.7e18: beyond float64's integers)
    rng = np.random.default_rng(0)
    t = 1_700_000_000 + np.sort(rng.integers(0, DAY, 2000))
    y = np.sin(2 * np.pi * t / 61.7 + 0.4) + rng.normal(0, 0.1, t.size)
    pf = PeriodicFeatures(detrend=None).fit(t, y)
    tone = pf.tones_[0]
    probe = np.array([1_700_000_000 + 123_457, 1_750_000_001, 4_000_000_003], dtype=np.int64)

    def exact_sin(ti):  # exact rational reduction of f * t, then the sine
        frac = (Fraction(tone.frequency) * ti) % 1
        return math.sin(2 * math.pi * float(frac) + tone.phase)

    want = np.array([exact_sin(int(ti)) for ti in probe])
    np.testing.assert_allclose(pf.transform(probe)[:, 0], want, atol=1e-12)
    np.testing.assert_allclose(pf.transform(probe.astype(np.float64))[:, 0], want, atol=1e-12)
    # a plain float64 product (f t ~ 3e7 cycles) loses ~1e-8: the reduction keeps the digits
    naive = np.sin(2 * np.pi * np.mod(tone.frequency * probe.astype(np.float64), 1.0) + tone.phase)
    assert np.abs(naive - want).max() > 1e-10
    ns = 10**18 + 7  # int64 nanoseconds: t itself is not a float64
    exact = float((Fraction(tone.frequency) * ns) % 1)
    assert float(np.mod(cycles(tone.frequency, np.array([ns])), 1.0)[0]) == pytest.approx(exact, abs=1e-15)


def test_clone_get_params_set_params_and_pickle():
    pf = PeriodicFeatures(n_components=2, harmonics=1, fmax=0.01, detrend=None)
    assert pf.get_params() == {"n_components": 2, "harmonics": 1, "fmax": 0.01, "detrend": None}
    cl = clone(pf)
    assert cl is not pf and cl.get_params() == pf.get_params()
    cl.set_params(n_components=3, oversampling=10)
    assert cl.get_params()["oversampling"] == 10 and cl.n_components == 3
    assert pf.get_params()["n_components"] == 2  # the original is untouched
    with pytest.raises(ValueError, match="invalid parameter 'bogus'"):
        cl.set_params(bogus=1)
    assert repr(pf) == "PeriodicFeatures(n_components=2, harmonics=1, fmax=0.01, detrend=None)"
    t, y, t_next, _ = hourly_series(4, weeks=4)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SigfitWarning)
        fitted = PeriodicFeatures(n_components=2).fit(t, y)
    assert not hasattr(clone(fitted), "estimate_")
    again = pickle.loads(pickle.dumps(fitted))
    np.testing.assert_array_equal(again.transform(t_next), fitted.transform(t_next))


def test_grid_search_over_an_estimate_option():
    from sklearn.model_selection import GridSearchCV, TimeSeriesSplit

    t, y, _, _ = hourly_series(6, weeks=6)
    pipe = make_pipeline(PeriodicFeatures(), Ridge())
    search = GridSearchCV(pipe, {"periodicfeatures__n_components": [1, 2]}, cv=TimeSeriesSplit(2))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SigfitWarning)
        search.fit(t, y)
    assert search.best_params_ == {"periodicfeatures__n_components": 2}


def test_feature_names_and_pandas_output():
    pd = pytest.importorskip("pandas")
    t, y, t_next, _ = hourly_series(7, weeks=4)
    frame = pd.DataFrame({"time": t.astype("datetime64[s]")})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SigfitWarning)
        pf = PeriodicFeatures(n_components=2).fit(frame, y)
    names = pf.get_feature_names_out()
    assert list(pf.feature_names_in_) == ["time"] and names[0] == "time_tone0_sin" and names[1] == "time_tone0_cos"
    assert len(names) == pf.n_features_out_ == len(set(names))
    out = pf.set_output(transform="pandas").transform(pd.DataFrame({"time": t_next.astype("datetime64[s]")}))
    assert list(out.columns) == list(names)


def test_bad_input_is_one_clear_error():
    pf = PeriodicFeatures()
    t = np.arange(100.0)
    y = np.sin(t)
    with pytest.raises(InputError, match=r"one column of times .* got shape \(100, 2\)"):
        pf.fit(np.column_stack([t, t]), y)
    with pytest.raises(InputError, match="requires y to be passed"):
        pf.fit(t, None)
    with pytest.raises(InputError, match="NaT"):
        pf.fit(np.array(["2024-01-01", "NaT"] + ["2024-01-02"] * 98, dtype="datetime64[s]"), y)
    with pytest.raises(InputError, match="unknown estimate option"):
        PeriodicFeatures(bogus=3).fit(t, y)
    with pytest.raises(sklearn.exceptions.NotFittedError):
        pf.transform(t)


def test_pure_noise_still_gives_features_with_a_warning():
    rng = np.random.default_rng(0)
    t = np.arange(500.0)
    with pytest.warns(SigfitWarning, match="no significant period"):
        pf = PeriodicFeatures().fit(t, rng.normal(size=t.size))
    assert not pf.estimate_.significant and pf.transform(t).shape == (t.size, pf.n_features_out_)


# scikit-learn's own conformance checks. Those that feed several feature columns cannot apply to
# a transformer of one time column; they are listed with that reason and expected to fail.
MULTI_COLUMN = "feeds several feature columns: PeriodicFeatures takes one column of times"
NOT_APPLICABLE = {
    name: MULTI_COLUMN for name in (
        "check_fit_score_takes_y", "check_estimators_overwrite_params", "check_dont_overwrite_parameters",
        "check_estimators_fit_returns_self", "check_readonly_memmap_input", "check_n_features_in_after_fitting",
        "check_positive_only_tag_during_fit", "check_estimators_dtypes", "check_dtype_object",
        "check_pipeline_consistency", "check_estimators_nan_inf", "check_estimators_pickle",
        "check_f_contiguous_array_estimator", "check_transformer_data_not_an_array", "check_transformer_general",
        "check_transformer_preserve_dtypes", "check_methods_sample_order_invariance",
        "check_methods_subset_invariance", "check_fit2d_1sample", "check_dict_unchanged", "check_fit_idempotent",
        "check_fit_check_is_fitted", "check_n_features_in", "check_fit2d_predict1d")
}
NOT_APPLICABLE["check_fit1d"] = "a 1-D array of times is accepted on purpose (one series)"


def _sklearn_checks():
    from sklearn.utils.estimator_checks import parametrize_with_checks

    try:
        return parametrize_with_checks([PeriodicFeatures()], expected_failed_checks=lambda est: NOT_APPLICABLE)
    except TypeError:  # scikit-learn < 1.6 has no expected_failed_checks
        return pytest.mark.skip(reason="scikit-learn >= 1.6 needed for expected_failed_checks")


@_sklearn_checks()
@pytest.mark.filterwarnings("ignore::sigfit.SigfitWarning")
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)


def test_one_column_versions_of_the_data_checks():
    # what the multi-column checks above assert, on one column of times: fit returns self and is
    # idempotent, transform is invariant to sample order and subsets, float64 out, parameters
    # untouched by fit, n_features_in_ checked
    rng = np.random.default_rng(1)
    t = rng.uniform(0, 300, 800)
    y = np.sin(2 * np.pi * t / 17.0) + rng.normal(0, 0.3, t.size)
    pf = PeriodicFeatures(oversampling=5)
    params = pf.get_params()
    assert pf.fit(t, y) is pf and pf.get_params() == params
    a = pf.transform(t)
    np.testing.assert_array_equal(PeriodicFeatures(oversampling=5).fit(t, y).transform(t), a)
    perm = rng.permutation(t.size)
    np.testing.assert_array_equal(pf.transform(t[perm]), a[perm])
    np.testing.assert_array_equal(pf.transform(t[:10]), a[:10])
    assert a.dtype == np.float64 and pf.n_features_in_ == 1
    t_ro = t.copy()
    t_ro.setflags(write=False)
    np.testing.assert_array_equal(PeriodicFeatures(oversampling=5).fit(t_ro, y).transform(t_ro), a)
