"""sigfit.estimate(method="wavelet") and the ``sigfit scalogram`` / ``estimate --method wavelet``
command lines: same result as the other methods, plus the ridge track and the stationarity test."""

import json
import math

import numpy as np
import pytest
from click.testing import CliRunner

import sigfit
from sigfit.cli import main
from sigfit.periodograms import METHOD_CHOICES

TWO_PI = 2 * math.pi


def run(*args):
    with CliRunner().isolation() as (out, err, _):
        try:
            main(list(map(str, args)))
            code = 0
        except SystemExit as e:
            code = e.code
    return code, out.getvalue().decode(), err.getvalue().decode()


def write_csv(path, t, y):
    np.savetxt(path, np.c_[t, y], delimiter=",", header="t,y", comments="", fmt="%.17g")
    return path


def test_wavelet_is_in_the_one_method_list():
    assert "wavelet" in METHOD_CHOICES


@pytest.mark.parametrize("irregular", [False, True])
def test_stationary_tone_agrees_with_lombscargle_within_its_standard_error(irregular):
    rng = np.random.default_rng(21)
    t = np.sort(rng.uniform(0, 300, 600)) if irregular else np.arange(0, 300, 0.5)
    y = 0.8 * np.sin(TWO_PI * 0.23 * t + 1.0) + 0.5 * rng.normal(size=t.size)
    w = sigfit.estimate(t, y, method="wavelet")
    ls = sigfit.estimate(t, y, method="lombscargle")
    cw, cl = w.components[0], ls.components[0]
    assert w.method == "wavelet" and cw.significant
    assert abs(cw.frequency - cl.frequency) < cl.frequency_err
    assert abs(cw.amplitude - cl.amplitude) < cl.amplitude_err
    assert abs(cw.frequency - 0.23) < 4 * cw.frequency_err
    # the periodogram reported is the global wavelet spectrum; its peak alone is within the
    # wavelet's resolution (sigma_f / f = 1 / (2 pi) for B = 2, C = 1)
    pg = w.periodogram
    assert pg.method == "wavelet"
    f_peak = pg.frequency[np.argmax(pg.power)]
    assert abs(f_peak / 0.23 - 1) < 0.05
    assert w.stationarity.stationary is True
    assert w.track is not None and np.all(abs(w.track.frequency / 0.23 - 1) < 0.1)


def test_chirp_is_not_stationary_and_its_drift_is_measured():
    rng = np.random.default_rng(22)
    t = 500.0 + np.arange(0, 200, 0.1)  # times off zero: the track is on the caller's axis
    k = 0.002
    y = np.sin(TWO_PI * (0.4 * (t - 500) + 0.5 * k * (t - 500) ** 2)) + 0.2 * rng.normal(size=t.size)
    r = sigfit.estimate(t, y, method="wavelet")
    st = r.stationarity
    assert st.stationary is False and st.p_value < 1e-6 and st.dof >= 2
    assert st.drift == pytest.approx(k, rel=0.02)
    assert np.all(np.diff(st.segment_frequency) > 0)
    tr = r.track
    assert t[0] <= tr.time[0] < tr.time[-1] <= t[-1]
    assert np.max(abs(tr.frequency / (0.4 + k * (tr.time - 500)) - 1)) < 0.02


def test_amplitude_modulated_tone_is_stationary():
    rng = np.random.default_rng(23)
    t = np.arange(0, 200, 0.1)
    y = (1 + 0.5 * np.cos(TWO_PI * 0.02 * t)) * np.sin(TWO_PI * 0.8 * t) + 0.1 * rng.normal(size=t.size)
    r = sigfit.estimate(t, y, method="wavelet")
    assert r.components[0].frequency == pytest.approx(0.8, rel=1e-4)
    assert r.stationarity.stationary is True
    assert np.ptp(r.track.amplitude) > 0.6  # the envelope runs from 0.5 to 1.5


def test_two_tones_taking_turns_are_not_stationary():
    rng = np.random.default_rng(24)
    t = np.arange(0, 200, 0.1)
    y = np.where(t < 100, np.sin(TWO_PI * 0.3 * t), np.sin(TWO_PI * 1.0 * t)) + 0.2 * rng.normal(size=t.size)
    r = sigfit.estimate(t, y, method="wavelet", n_components=2)
    assert sorted(round(c.frequency, 2) for c in r.components) == [0.3, 1.0]
    st = r.stationarity
    assert st.stationary is False
    seg = np.array(st.segment_frequency)
    assert set(np.round(seg, 1)) == {0.3, 1.0}


def test_pure_noise_has_no_period_no_track_no_verdict():
    rng = np.random.default_rng(25)
    t = np.arange(0, 400, 0.5)
    r = sigfit.estimate(t, rng.normal(size=t.size), method="wavelet")
    assert not r.significant
    assert r.track is None and r.stationarity is None
    d = r.to_dict()
    assert "track" not in d and "stationarity" not in d


def test_stationarity_needs_two_segments():
    t = np.arange(0, 20, 0.1)
    r = sigfit.estimate(t, np.sin(TWO_PI * 0.6 * t), method="wavelet")  # 12 cycles
    assert r.stationarity.stationary is None
    assert "too short" in r.stationarity.note


def test_record_too_short_for_fmin_through_estimate():
    t = np.arange(0, 20, 0.1)
    with pytest.raises(sigfit.InputError, match="record too short for fmin"):
        sigfit.estimate(t, np.sin(TWO_PI * 0.6 * t), method="wavelet", fmin=0.01)


# ------------------------------------------------------------------------------------------
# command line


def test_estimate_cli_json_carries_track_and_stationarity(tmp_path):
    t = np.arange(0, 100, 0.1)
    path = write_csv(tmp_path / "chirp.csv", t, np.sin(TWO_PI * (0.5 * t + 0.5 * 0.01 * t * t)))
    code, out, err = run("estimate", path, "--method", "wavelet", "--json")
    assert code == 0, err
    (sig,) = json.loads(out)["signals"]
    assert sig["method"] == "wavelet"
    track = sig["track"]
    assert set(track) == {"time", "frequency", "amplitude"}
    assert len(track["time"]) == len(track["frequency"]) == len(track["amplitude"]) > 100
    assert sig["stationarity"]["stationary"] is False
    assert "chi-square" in sig["stationarity"]["test"]


def test_estimate_cli_table_says_the_frequency_moved(tmp_path):
    # the chirp 0.5 + 0.01 t: the table names the ridge's ends and the verdict with the drift
    t = np.arange(0, 100, 0.1)
    path = write_csv(tmp_path / "chirp.csv", t, np.sin(TWO_PI * (0.5 * t + 0.5 * 0.01 * t * t)))
    code, out, err = run("estimate", path, "--method", "wavelet")
    assert code == 0, err
    assert "ridge: frequency" in out and "NOT stationary" in out
    drift = float(out.split("drift ")[1].split()[0])
    assert drift == pytest.approx(0.01, rel=0.05)
    steady = write_csv(tmp_path / "tone.csv", t, np.sin(TWO_PI * 0.5 * t))
    code, out, err = run("estimate", steady, "--method", "wavelet")
    assert code == 0, err
    assert "over the record: stationary" in out


def test_scalogram_cli_draws_and_lists_ridges(tmp_path):
    rng = np.random.default_rng(26)
    t = np.sort(rng.uniform(0, 200, 800))
    y = np.where(t < 100, np.sin(TWO_PI * 0.3 * t), np.sin(TWO_PI * 1.0 * t)) + 0.1 * rng.normal(size=t.size)
    path = write_csv(tmp_path / "turns.csv", t, y)
    png = tmp_path / "map.png"
    code, out, err = run("scalogram", path, "-o", png, "--json")
    assert code == 0, err
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    (sig,) = json.loads(out)["signals"]
    assert sig["method"] == "wwz"
    ridges = sig["ridges"][:2]
    assert sorted(round(r["mean_frequency"], 1) for r in ridges) == [0.3, 1.0]
    code, out, err = run("scalogram", path, "-o", tmp_path / "map.svg", "--axis", "frequency")
    assert code == 0 and "period" in out and (tmp_path / "map.svg").exists()


def test_scalogram_cli_bad_input(tmp_path):
    t = np.arange(100.0)
    path = write_csv(tmp_path / "short.csv", t, np.sin(t))
    code, out, err = run("scalogram", path, "-o", tmp_path / "x.png", "--fmin", "0.001")
    assert code == 1 and err.startswith("error: record too short") and err.count("\n") == 1
    assert not (tmp_path / "x.png").exists()
    code, _, err = run("scalogram", path, "-o", tmp_path / "x.gif")
    assert code == 2 and "figure format" in err
    code, _, err = run("scalogram", path, "-o", tmp_path / "x.png", "--method", "fft")
    assert code == 2
    code, _, err = run("scalogram", tmp_path / "missing.csv", "-o", tmp_path / "x.png")
    assert code == 1 and "no such file" in err
