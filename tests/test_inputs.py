"""Inputs as people hold them (issue 13): pandas, numpy datetimes, astropy Time/TimeDelta/Quantity."""

import subprocess
import sys

import numpy as np
import pytest

import sigfit
from sigfit.errors import InputError

HOURS = np.arange(400)
VALUES = np.sin(2 * np.pi * HOURS / 24.0) + 0.1 * np.random.default_rng(0).standard_normal(HOURS.size)


def seconds_estimate():
    return sigfit.estimate(1_704_067_200 + 3600 * HOURS, VALUES)  # 2024-01-01 in Unix seconds


def test_import_stays_light():
    code = "import sys, sigfit; print(sorted(m for m in ('astropy', 'pandas', 'torch') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_numpy_datetime64_and_timedelta64():
    ref = seconds_estimate()
    t = np.datetime64("2024-01-01T00:00:00") + HOURS.astype("timedelta64[h]")
    r = sigfit.estimate(t, VALUES)
    assert r.time_unit == "s"
    assert r.components[0].frequency == pytest.approx(ref.components[0].frequency, rel=1e-12)
    assert np.allclose(r.predict(t), ref.predict(1_704_067_200 + 3600 * HOURS), atol=1e-9)
    d = sigfit.estimate(HOURS.astype("timedelta64[h]"), VALUES)
    assert d.components[0].frequency == pytest.approx(1 / 86400, rel=1e-3)


def test_sub_second_datetimes_are_float_seconds():
    t = np.datetime64("2024-01-01") + (HOURS * 250).astype("timedelta64[ms]")
    r = sigfit.estimate(t, VALUES)
    assert r.components[0].period == pytest.approx(24 * 0.25, rel=1e-3)


def test_pandas_series_and_datetimeindex():
    pd = pytest.importorskip("pandas")
    ref = seconds_estimate()
    index = pd.date_range("2024-01-01", periods=HOURS.size, freq="h")
    series = pd.Series(VALUES, index=index)
    r = sigfit.estimate(index, series)
    assert r.components[0].frequency == pytest.approx(ref.components[0].frequency, rel=1e-12)
    aware = pd.Series(index.tz_localize("Europe/Paris"))
    r2 = sigfit.estimate(aware, series)  # instants in UTC: one hour earlier, same period
    assert r2.components[0].frequency == pytest.approx(ref.components[0].frequency, rel=1e-9)
    p = sigfit.periodogram(index, series)
    assert p.frequency.size > 10
    ls = sigfit.LombScargle(pd.Series(HOURS.astype(float)), series)
    assert np.isfinite(ls.power(1 / 24.0))


def test_astropy_quantity_time_and_timedelta():
    u = pytest.importorskip("astropy.units")
    from astropy.time import Time, TimeDelta

    r = sigfit.estimate(HOURS * u.hour, VALUES * u.mag, dy=100 * u.mmag)
    assert (r.time_unit, r.value_unit) == ("h", "mag")
    assert r.components[0].period == pytest.approx(24.0, rel=1e-3)
    assert r.to_dict()["time_unit"] == "h"
    t = Time("2024-01-01T00:00:00", scale="utc") + HOURS * u.hour
    rt = sigfit.estimate(t, VALUES)
    assert rt.time_unit == "d" and rt.components[0].period == pytest.approx(1.0, rel=1e-3)
    rd = sigfit.estimate(TimeDelta(HOURS * u.hour), VALUES)
    assert rd.components[0].period == pytest.approx(1.0, rel=1e-3)
    with pytest.raises(InputError, match="Units of dy"):
        sigfit.estimate(HOURS * u.hour, VALUES * u.mag, dy=0.1 * u.s)
    with pytest.raises(InputError, match="y has none"):
        sigfit.estimate(HOURS, VALUES, dy=0.1 * u.mag)
