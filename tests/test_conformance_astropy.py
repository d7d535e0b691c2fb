"""Conformance with astropy's LombScargle (issue 13).

The cases, data and tolerances are those of astropy's own tests
(astropy/timeseries/periodograms/lombscargle/tests/test_lombscargle.py, test_statistics.py,
test_utils.py; BSD-3, credit to the astropy developers), rewritten against sigfit's API and
compared with the installed astropy where the values are golden.
"""

import numpy as np
import pytest
from numpy.testing import assert_allclose

import sigfit
from sigfit import LombScargle
from sigfit import statistics as st
from sigfit.errors import InputError
from sigfit.lombscargle import periodic_fit
from sigfit.periodograms import generalized

astropy = pytest.importorskip("astropy")
u = pytest.importorskip("astropy.units")
from astropy.tests.helper import assert_quantity_allclose  # noqa: E402
from astropy.time import Time, TimeDelta  # noqa: E402
from astropy.timeseries import LombScargle as AstropyLS  # noqa: E402

ALL_METHODS = LombScargle.available_methods
ALL_METHODS_NO_AUTO = [m for m in ALL_METHODS if m != "auto"]
NORMALIZATIONS = ["standard", "psd", "log", "model"]


def make(N=100, period=1, theta=(10, 2, 3), dy=1, rseed=0, span=20):
    rng = np.random.default_rng(rseed)
    t = span * period * rng.random(N)
    omega = 2 * np.pi / period
    y = theta[0] + theta[1] * np.sin(omega * t) + theta[2] * np.cos(omega * t)
    dy = dy * (0.5 + rng.random(N))
    y += dy * rng.standard_normal(N)
    return t, y, dy


@pytest.fixture
def data():
    return make()


def pick_errors(dy, errors):
    return {"none": None, "partial": dy[0], "full": dy}[errors]


def test_methods_table_matches_docs():
    assert ALL_METHODS == ["auto", *generalized.METHODS]
    for name in generalized.METHODS:
        assert f"``{name}``" in generalized.__doc__
    for name in st.METHODS:
        assert f"``{name}``" in st.__doc__


@pytest.mark.parametrize("minimum_frequency", [None, 1.0])
@pytest.mark.parametrize("maximum_frequency", [None, 5.0])
@pytest.mark.parametrize("nyquist_factor", [1, 10])
@pytest.mark.parametrize("samples_per_peak", [1, 5])
def test_autofrequency(data, minimum_frequency, maximum_frequency, nyquist_factor, samples_per_peak):
    t, y, dy = data
    baseline = t.max() - t.min()
    freq = LombScargle(t, y, dy).autofrequency(samples_per_peak, nyquist_factor, minimum_frequency,
                                               maximum_frequency)
    df = freq[1] - freq[0]
    assert_allclose(df, 1.0 / baseline / samples_per_peak)
    assert_allclose(freq[0], 0.5 * df if minimum_frequency is None else minimum_frequency)
    top = 0.5 * len(t) / baseline * nyquist_factor if maximum_frequency is None else maximum_frequency
    assert_allclose(freq[-1], top, atol=0.5 * df)
    assert_allclose(freq, AstropyLS(t, y, dy).autofrequency(samples_per_peak, nyquist_factor,
                                                            minimum_frequency, maximum_frequency))


@pytest.mark.parametrize("method", ALL_METHODS_NO_AUTO)
@pytest.mark.parametrize("center_data", [True, False])
@pytest.mark.parametrize("fit_mean", [True, False])
@pytest.mark.parametrize("errors", ["none", "partial", "full"])
@pytest.mark.parametrize("with_units", [True, False])
@pytest.mark.parametrize("normalization", NORMALIZATIONS)
def test_all_methods(data, method, center_data, fit_mean, errors, with_units, normalization):
    t, y, dy = data
    frequency = 0.8 + 0.01 * np.arange(40)
    if with_units:
        t, y, dy, frequency = t * u.day, y * u.mag, dy * u.mag, frequency / u.day
    dy = pick_errors(dy, errors)
    kwds = dict(center_data=center_data, fit_mean=fit_mean, normalization=normalization)
    ls = LombScargle(t, y, dy, **kwds)
    p_default = ls.power(frequency)
    p_method = ls.power(frequency, method=method)
    if with_units:
        expected_unit = y.unit**2 if (normalization == "psd" and errors == "none") else u.dimensionless_unscaled
        assert p_method.unit == expected_unit
    else:
        assert not hasattr(p_method, "unit")
    assert_quantity_allclose(p_default, p_method)
    # golden: astropy's direct implementation
    assert_quantity_allclose(p_method, AstropyLS(t, y, dy, **kwds).power(frequency, method="slow"))


@pytest.mark.parametrize("method", ALL_METHODS_NO_AUTO)
@pytest.mark.parametrize("center_data", [True, False])
@pytest.mark.parametrize("fit_mean", [True, False])
@pytest.mark.parametrize("with_errors", [True, False])
@pytest.mark.parametrize("normalization", NORMALIZATIONS)
def test_integer_inputs(data, method, center_data, fit_mean, with_errors, normalization):
    t, y, dy = data
    t, y, dy = np.floor(100 * t), np.floor(100 * y), np.floor(100 * dy)
    t_int, y_int, dy_int = t.astype(int), y.astype(int), dy.astype("int32")
    frequency = 1e-2 * (0.8 + 0.01 * np.arange(40))
    if not with_errors:
        dy = dy_int = None
    kwds = dict(center_data=center_data, fit_mean=fit_mean, normalization=normalization)
    p_float = LombScargle(t, y, dy, **kwds).power(frequency, method=method)
    p_int = LombScargle(t_int, y_int, dy_int, **kwds).power(frequency, method=method)
    assert_allclose(p_float, p_int)


@pytest.mark.parametrize("method", ALL_METHODS_NO_AUTO)
@pytest.mark.parametrize("center_data", [True, False])
@pytest.mark.parametrize("fit_mean", [True, False])
@pytest.mark.parametrize("errors", ["none", "partial", "full"])
@pytest.mark.parametrize("nterms", [0, 2, 4])
@pytest.mark.parametrize("normalization", NORMALIZATIONS)
def test_nterms_methods(method, center_data, fit_mean, errors, nterms, normalization, data):
    t, y, dy = data
    frequency = 0.8 + 0.01 * np.arange(40)
    dy = pick_errors(dy, errors)
    ls = LombScargle(t, y, dy, center_data=center_data, fit_mean=fit_mean, nterms=nterms,
                     normalization=normalization)
    if nterms == 0 and not fit_mean:
        with pytest.raises(ValueError, match=r"nterms"):
            ls.power(frequency, method=method)
        return
    p_expected = ls.power(frequency)
    p_method = ls.power(frequency, method=method)
    assert_allclose(p_expected, p_method, rtol=1e-7, atol=1e-25)
    if nterms:
        ref = AstropyLS(t, y, dy, center_data=center_data, fit_mean=fit_mean, nterms=nterms,
                        normalization=normalization).power(frequency, method="chi2")
        assert_allclose(p_method, ref, rtol=1e-7)


@pytest.mark.parametrize("center_data", [True, False])
@pytest.mark.parametrize("fit_mean", [True, False])
@pytest.mark.parametrize("errors", ["none", "partial", "full"])
@pytest.mark.parametrize("nterms", [1, 2])
def test_fast_with_and_without_fft(center_data, fit_mean, errors, nterms, data):
    t, y, dy = data
    frequency = 0.8 + 0.01 * np.arange(40)
    ls = LombScargle(t, y, pick_errors(dy, errors), center_data=center_data, fit_mean=fit_mean,
                     nterms=nterms)
    p_fft = ls.power(frequency, method="fast")
    p_sum = ls.power(frequency, method="fast", method_kwds=dict(use_fft=False))
    # exact sums either way: far tighter than astropy's 0.008 for its approximations
    assert_allclose(p_fft, p_sum, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("method", ALL_METHODS)
@pytest.mark.parametrize("shape", [(), (1,), (2,), (3,), (2, 3)])
def test_output_shapes(method, shape, data):
    t, y, dy = data
    freq = np.asarray(np.zeros(shape))
    freq.flat = np.arange(1, freq.size + 1)
    p = LombScargle(t, y, fit_mean=False).power(freq, method=method)
    assert p.shape == shape


@pytest.mark.parametrize("method", ALL_METHODS)
def test_errors_on_unit_mismatch(method, data):
    t, y, dy = data
    t, y = t * u.second, y * u.mag
    frequency = np.linspace(0.5, 1.5, 10)
    with pytest.raises(ValueError, match=r"Units of frequency not equivalent"):
        LombScargle(t, y, fit_mean=False).power(frequency, method=method)
    with pytest.raises(ValueError, match=r"Units of dy not equivalent"):
        LombScargle(t, y, dy, fit_mean=False).power(frequency / t.unit)


@pytest.mark.parametrize("with_error", [True, False])
def test_unit_conversions(data, with_error):
    t, y, dy = data
    t_day = t * u.day
    t_hour = u.Quantity(t_day, "hour")
    y_meter = y * u.meter
    y_millimeter = u.Quantity(y_meter, "millimeter")
    dy = dy * u.meter if with_error else None
    freq_day, p1 = LombScargle(t_day, y_meter, dy).autopower()
    freq_hour, p2 = LombScargle(t_hour, y_millimeter, dy).autopower()
    assert freq_day.unit == 1.0 / u.day
    assert freq_hour.unit == 1.0 / u.hour
    assert_quantity_allclose(freq_day, freq_hour)
    assert_quantity_allclose(p1, p2)
    p3 = LombScargle(t_day, y_meter, dy).power(freq_hour)
    p4 = LombScargle(t_hour, y_meter, dy).power(freq_day)
    assert_quantity_allclose(p3, p4)


@pytest.mark.parametrize("fit_mean", [True, False])
@pytest.mark.parametrize("with_units", [True, False])
@pytest.mark.parametrize("freq", [1.0, 2.0])
def test_model(fit_mean, with_units, freq):
    rand = np.random.default_rng(0)
    t = 10 * rand.random(40)
    params = 10 * rand.random(3)
    y = np.zeros_like(t)
    if fit_mean:
        y += params[0]
    y += params[1] * np.sin(2 * np.pi * freq * (t - params[2]))
    if with_units:
        t, y, freq = t * u.day, y * u.mag, freq / u.day
    ls = LombScargle(t, y, center_data=False, fit_mean=fit_mean)
    assert_quantity_allclose(ls.model(t, freq), y)


@pytest.mark.parametrize("t_unit", [u.second, u.day])
@pytest.mark.parametrize("frequency_unit", [u.Hz, 1.0 / u.second])
@pytest.mark.parametrize("y_unit", [u.mag, u.jansky])
def test_model_units_match(data, t_unit, frequency_unit, y_unit):
    t, y, dy = data
    ls = LombScargle(t * t_unit, y * y_unit, dy * y_unit)
    assert ls.model(t[:5] * t_unit, 1.0 * frequency_unit).unit == y_unit


def test_model_units_mismatch(data):
    t, y, dy = data
    t_fit = t[:5] * u.second
    t, y = t * u.second, y * u.mag
    with pytest.raises(ValueError, match=r"Units of frequency not equivalent"):
        LombScargle(t, y).model(t_fit, frequency=1.0)
    with pytest.raises(ValueError, match=r"Units of t not equivalent"):
        LombScargle(t, y).model([1, 2], 1.0 / u.second)
    with pytest.raises(ValueError, match=r"Units of dy not equivalent"):
        LombScargle(t, y, dy).model(t_fit, 1.0 / u.second)


def test_autopower(data):
    t, y, dy = data
    ls = LombScargle(t, y, dy)
    kwargs = dict(samples_per_peak=6, nyquist_factor=2, minimum_frequency=2, maximum_frequency=None)
    freq1 = ls.autofrequency(**kwargs)
    freq2, power2 = ls.autopower(**kwargs)
    assert_allclose(freq1, freq2)
    assert_allclose(ls.power(freq1), power2)
    # golden, on the whole automatic grid (thousands of frequencies)
    assert_allclose(power2, AstropyLS(t, y, dy).power(freq1, method="cython"), rtol=1e-7, atol=1e-12)


@pytest.mark.parametrize("with_units", [True, False])
@pytest.mark.parametrize("errors", ["none", "partial", "full"])
@pytest.mark.parametrize("center_data", [True, False])
@pytest.mark.parametrize("fit_mean", [True, False])
@pytest.mark.parametrize("nterms", [0, 1, 2])
def test_model_parameters(data, nterms, fit_mean, center_data, errors, with_units):
    if nterms == 0 and not fit_mean:
        return
    t, y, dy = data
    frequency = 1.5
    if with_units:
        t, y, dy, frequency = t * u.day, y * u.mag, dy * u.mag, frequency / u.day
    dy = pick_errors(dy, errors)
    kwds = dict(nterms=nterms, fit_mean=fit_mean, center_data=center_data)
    ls = LombScargle(t, y, dy, **kwds)
    tfit = np.linspace(0, 20, 10)
    if with_units:
        tfit = tfit * u.day
    model = ls.model(tfit, frequency)
    params = ls.model_parameters(frequency)
    design = ls.design_matrix(frequency, t=tfit)
    offset = ls.offset()
    assert len(params) == int(fit_mean) + 2 * nterms
    assert_quantity_allclose(offset + design.dot(params), model)
    ref = AstropyLS(t, y, dy, **kwds)
    scale = np.max(np.abs(getattr(y, "value", y)))
    assert_quantity_allclose(params, ref.model_parameters(frequency), rtol=1e-9, atol=1e-12 * scale * (params.unit if with_units else 1))
    assert_quantity_allclose(model, ref.model(tfit, frequency), rtol=1e-10)
    assert_allclose(ls.design_matrix(frequency), ref.design_matrix(frequency), atol=1e-12)


@pytest.mark.parametrize("timedelta", [False, True])
def test_absolute_times(data, timedelta):
    t, y, dy = data
    t[0] = 0.0
    t, y, dy = t * u.day, y * u.mag, dy * u.mag
    start = Time("2019-05-04T12:34:56")
    trel = TimeDelta(t) if timedelta else t
    t = trel + start
    ls1, ls2 = LombScargle(t, y, dy), LombScargle(trel, y, dy)
    kwargs = dict(samples_per_peak=6, nyquist_factor=2, minimum_frequency=2 / u.day, maximum_frequency=None)
    freq1, freq2 = ls1.autofrequency(**kwargs), ls2.autofrequency(**kwargs)
    assert_quantity_allclose(freq1, freq2)
    assert_quantity_allclose(ls1.power(freq1), ls2.power(freq2))
    freq1, power1 = ls1.autopower(**kwargs)
    freq2, power2 = ls2.autopower(**kwargs)
    assert_quantity_allclose(freq1, freq2)
    assert_quantity_allclose(power1, power2)
    assert_quantity_allclose(ls1.model(t, 2 / u.day), ls2.model(trel, 2 / u.day))
    message = r"t was provided as {} time but the LombScargle class was initialized with {} times."
    with pytest.raises(TypeError, match=message.format("a relative", "absolute")):
        ls1.model(trel, 2 / u.day)
    with pytest.raises(TypeError, match=message.format("an absolute", "relative")):
        ls2.model(t, 2 / u.day)
    assert_quantity_allclose(ls1.design_matrix(2 / u.day, t=t), ls2.design_matrix(2 / u.day, t=trel))
    with pytest.raises(TypeError, match=message.format("a relative", "absolute")):
        ls1.design_matrix(2 / u.day, t=trel)
    with pytest.raises(TypeError, match=message.format("an absolute", "relative")):
        ls2.design_matrix(2 / u.day, t=t)


def test_power_at_zero_frequency(data):
    # f = 0: the sine vanishes; the power of what is left (a constant) is defined
    t, y, dy = data
    ls = LombScargle(t, y, dy, fit_mean=False, center_data=False)
    p = ls.power([0.0, 1.0])
    w = dy**-2
    assert_allclose(p[0], np.dot(w, y) ** 2 / w.sum() / np.dot(w, y * y), rtol=1e-10)
    assert LombScargle(t, y, dy).power(0.0) == pytest.approx(0.0, abs=1e-12)


def test_arbitrary_frequencies_match_astropy(data):
    t, y, dy = data
    rng = np.random.default_rng(3)
    freq = rng.uniform(0.01, 50, 500)  # unsorted, irregular
    for nterms, method in ((1, "cython"), (3, "chi2")):
        got = LombScargle(t, y, dy, nterms=nterms).power(freq)
        assert_allclose(got, AstropyLS(t, y, dy, nterms=nterms).power(freq, method=method), rtol=1e-8, atol=1e-12)


def test_bad_inputs(data):
    t, y, dy = data
    with pytest.raises(InputError, match="normalization"):
        LombScargle(t, y, normalization="bogus")
    with pytest.raises(InputError, match="invalid method"):
        LombScargle(t, y).power([1.0], method="bogus")
    with pytest.raises(InputError, match="takes no keyword"):
        LombScargle(t, y).power([1.0], method="slow", method_kwds={"use_fft": False})
    with pytest.raises(InputError, match="NaN"):
        LombScargle(np.r_[t[:-1], np.nan], y)
    with pytest.raises(InputError, match="unknown false-alarm method"):
        LombScargle(t, y).false_alarm_probability(0.5, method="bogus")
    with pytest.raises(NotImplementedError, match="multiterm"):
        LombScargle(t, y, nterms=2).false_alarm_probability(0.5)


# ---- statistics (astropy test_statistics.py) ----------------------------------------------
METHOD_KWDS = dict(bootstrap={"n_bootstraps": 20, "random_seed": 42})


def make_stat_data(N=100, rseed=0, units=False):
    t, y, dy = make(N=N, rseed=rseed, span=5)
    if units:
        return t * u.day, y * u.mag, dy * u.mag, 5 / u.day
    return t, y, dy, 5


def null_data(N=1000, rseed=0, units=False):
    rng = np.random.default_rng(rseed)
    t = 100 * rng.random(N)
    dy = 0.5 * (1 + rng.random(N))
    y = dy * rng.standard_normal(N)
    if units:
        return t * u.day, y * u.mag, dy * u.mag, 40 / u.day
    return t, y, dy, 40


@pytest.mark.parametrize("normalization", NORMALIZATIONS)
@pytest.mark.parametrize("with_errors", [True, False])
@pytest.mark.parametrize("units", [False, True])
def test_distribution(normalization, with_errors, units):
    t, y, dy, fmax = null_data(units=units)
    if not with_errors:
        dy = None
    ls = LombScargle(t, y, dy, normalization=normalization)
    freq, power = ls.autopower(maximum_frequency=fmax)
    z = np.linspace(0, power.max(), 1000)
    dz = z[1] - z[0]
    z_mid = z[:-1] + 0.5 * dz
    pdf = ls.distribution(z_mid)
    cdf = ls.distribution(z, cumulative=True)
    if isinstance(dz, u.Quantity):
        dz = dz.value
    assert_allclose(pdf, np.diff(cdf) / dz, rtol=1e-5, atol=1e-8)
    if not (normalization == "psd" and not with_errors):
        hist, bins = np.histogram(np.asarray(getattr(power, "value", power)), 30, density=True)
        midpoints = 0.5 * (bins[1:] + bins[:-1])
        pdf = ls.distribution(midpoints)
        assert_allclose(hist, pdf, rtol=0.05, atol=0.05 * pdf[0])


@pytest.mark.parametrize("N", [10, 100, 1000])
@pytest.mark.parametrize("normalization", NORMALIZATIONS)
def test_inverse_single(N, normalization):
    fap = np.linspace(0, 1, 11)
    z = st.inv_fap_single(fap, N, normalization)
    assert_allclose(fap, st.fap_single(z, N, normalization))


@pytest.mark.parametrize("normalization", NORMALIZATIONS)
@pytest.mark.parametrize("use_errs", [True, False])
def test_inverse_bootstrap(normalization, use_errs):
    t, y, dy, fmax = null_data(N=200)
    fmax = 10  # astropy's case with a smaller grid (the same check, in a tenth of the time)
    if not use_errs:
        dy = None
    fap = np.linspace(0, 1, 11)
    ls = LombScargle(t, y, dy, normalization=normalization)
    kw = dict(maximum_frequency=fmax, method="bootstrap", method_kwds=METHOD_KWDS["bootstrap"])
    z = ls.false_alarm_level(fap, **kw)
    assert_allclose(fap, ls.false_alarm_probability(z, **kw), atol=0.05)
    if normalization != "standard":
        return
    # same resamples as astropy's (same seed, same generator): the same maxima
    ref = AstropyLS(t, y, dy, normalization=normalization).false_alarm_level(fap, **kw)
    assert_allclose(z, ref, rtol=1e-7)


@pytest.mark.parametrize("method", sorted(set(st.METHODS) - {"bootstrap"}))
@pytest.mark.parametrize("normalization", NORMALIZATIONS)
@pytest.mark.parametrize("use_errs", [True, False])
@pytest.mark.parametrize("N", [10, 100, 1000])
@pytest.mark.parametrize("units", [False, True])
def test_inverses(method, normalization, use_errs, N, units):
    t, y, dy, fmax = make_stat_data(N, rseed=543, units=units)
    if not use_errs:
        dy = None
    fap = np.logspace(-10, 0, 11)
    ls = LombScargle(t, y, dy, normalization=normalization)
    z = ls.false_alarm_level(fap, maximum_frequency=fmax, method=method)
    assert_allclose(fap, ls.false_alarm_probability(z, maximum_frequency=fmax, method=method))


@pytest.mark.parametrize("method", sorted(st.METHODS))
@pytest.mark.parametrize("normalization", NORMALIZATIONS)
@pytest.mark.parametrize("units", [False, True])
def test_false_alarm_smoketest(method, normalization, units):
    t, y, dy, fmax = make_stat_data(rseed=42, units=units)
    ls = LombScargle(t, y, dy, normalization=normalization)
    freq, power = ls.autopower(maximum_frequency=fmax)
    Z = np.linspace(power.min(), power.max(), 30)
    kw = dict(maximum_frequency=fmax, method=method, method_kwds=METHOD_KWDS.get(method))
    fap = ls.false_alarm_probability(Z, **kw)
    assert len(fap) == len(Z)
    if method != "davies":
        assert np.all(fap <= 1)
        assert np.all(fap[:-1] >= fap[1:])
    ref = AstropyLS(t, y, dy, normalization=normalization).false_alarm_probability(Z, **kw)
    assert_allclose(fap, ref, rtol=1e-7, atol=1e-300)


@pytest.mark.parametrize("method", sorted(st.METHODS))
@pytest.mark.parametrize("use_errs", [True, False])
@pytest.mark.parametrize("normalization", ["log", "model", "standard"])
def test_false_alarm_equivalence(method, normalization, use_errs):
    t, y, dy, fmax = make_stat_data()
    if not use_errs:
        dy = None
    kw = dict(maximum_frequency=fmax, method=method, method_kwds=METHOD_KWDS.get(method))
    ls = LombScargle(t, y, dy, normalization=normalization)
    freq, power = ls.autopower(maximum_frequency=fmax)
    Z = np.linspace(power.min(), power.max(), 30)
    fap = ls.false_alarm_probability(Z, **kw)
    _, _, chi2_ref = generalized.prepare(y, dy, fit_mean=True, center_data=True)
    z_std = generalized.convert_normalization(Z, len(t), normalization, "standard", chi2_ref=chi2_ref)
    fap_std = LombScargle(t, y, dy).false_alarm_probability(z_std, **kw)
    assert_allclose(fap, fap_std, rtol=0.1)


# ---- utils (astropy test_utils.py) --------------------------------------------------------
@pytest.mark.parametrize("norm_in", NORMALIZATIONS)
@pytest.mark.parametrize("norm_out", NORMALIZATIONS)
def test_convert_normalization(norm_in, norm_out):
    t, y, dy = make(span=5)
    _, power_in = LombScargle(t, y, dy).autopower(maximum_frequency=5, normalization=norm_in)
    _, power_out = LombScargle(t, y, dy).autopower(maximum_frequency=5, normalization=norm_out)
    _, _, chi2_ref = generalized.prepare(y, dy, fit_mean=True, center_data=True)
    converted = generalized.convert_normalization(power_in, len(t), norm_in, norm_out, chi2_ref=chi2_ref)
    assert_allclose(converted, power_out)


def test_public_names():
    assert "LombScargle" in sigfit.__all__


@pytest.mark.parametrize("method", st.ESTIMATE_METHODS)
def test_estimate_fap_methods_match_astropy_with_a_mean_null(method):
    # sigfit.estimate(fap_method=...): the same formulas with null models of n_null parameters
    t, y, dy, fmax = make_stat_data(N=200, rseed=7)
    ls = AstropyLS(t, y)
    top = ls.autofrequency(maximum_frequency=fmax, return_freq_limits=True)[1]  # astropy's grid end
    span = t.max() - t.min()
    baseline = np.sqrt(4 * np.pi * np.var(t))
    for z in (0.1, 0.2, 0.3):
        ours = st.peak_false_alarm_probability(z, t.size, top, baseline, span, n_null=1, method=method)
        ref = float(ls.false_alarm_probability(z, maximum_frequency=fmax, method=method))
        assert ours == pytest.approx(min(ref, 1.0), rel=1e-9)
    r = sigfit.estimate(t, y, fap_method=method)
    assert 0 <= r.components[0].false_alarm_probability <= 1
    with pytest.raises(InputError, match="fap_method"):
        sigfit.estimate(t, y, fap_method="bootstrap")


# ---- implementations (astropy implementations/tests/test_utils.py, test_mle.py) -----------
@pytest.mark.parametrize("f0", [0, 1])
@pytest.mark.parametrize("adjust_t", [True, False])
@pytest.mark.parametrize("freq_factor", [1, 2])
def test_trig_sum(f0, adjust_t, freq_factor):
    from sigfit.periodograms.trig import trig_sum

    rng = np.random.default_rng(0)
    t = 10 * rng.random(50)
    h = np.sin(t)
    tfit = t - t.min() if adjust_t else t
    s0, c0 = trig_sum(tfit, h, 0.1, N=1000, f0=f0, freq_factor=freq_factor, use_fft=False)
    s, c = trig_sum(tfit, h, 0.1, N=1000, f0=f0, freq_factor=freq_factor)
    assert_allclose(s0, s, atol=1e-10)
    assert_allclose(c0, c, atol=1e-10)
    f = freq_factor * (f0 + 0.1 * np.arange(1000))
    assert_allclose(c0, np.cos(2 * np.pi * f[:, None] * tfit) @ h, atol=1e-10)


@pytest.mark.parametrize("nterms", range(4))
def test_multiterm_design_matrix(nterms):
    t = 10 * np.random.default_rng(42).random(10)
    x = generalized.design_matrix(t, 1.5, dy=2.0, bias=True, nterms=nterms)
    assert x.shape == (t.shape[0], 1 + 2 * nterms)
    assert_allclose(x[:, 0], 0.5)
    for i in range(1, nterms + 1):
        assert_allclose(x[:, 2 * i - 1], np.sin(2 * np.pi * i * 1.5 * t) / 2.0, atol=1e-14)
        assert_allclose(x[:, 2 * i], np.cos(2 * np.pi * i * 1.5 * t) / 2.0, atol=1e-14)
    with pytest.raises(ValueError, match="nterms=0"):
        generalized.design_matrix(t, 1.5, bias=False, nterms=0)


@pytest.mark.parametrize("nterms", range(1, 4))
@pytest.mark.parametrize("freq", [1, 2])
@pytest.mark.parametrize("fit_mean", [True, False])
def test_exact_mle_fit(nterms, freq, fit_mean):
    rand = np.random.default_rng(42)
    t = 10 * rand.random(30)
    theta = -1 + rand.random(2 * nterms + 1)
    y = theta[0] * np.ones(t.shape) if fit_mean else np.zeros(t.shape)
    for i in range(1, nterms + 1):
        y += theta[2 * i - 1] * np.sin(2 * np.pi * i * freq * t)
        y += theta[2 * i] * np.cos(2 * np.pi * i * freq * t)
    y_fit = periodic_fit(t, y, dy=1, frequency=freq, t_fit=t, nterms=nterms,
                         center_data=False, fit_mean=fit_mean)
    assert_allclose(y, y_fit, atol=1e-12)
