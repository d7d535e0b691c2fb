"""``sigfit compare`` (issue #5): a smoke run writes results.json with the required keys."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

pytest.importorskip("torch")

from sigfit.cli import cli as main  # noqa: E402

RUN_KEYS = {"model", "init", "seed", "steps_to_threshold", "final_loss", "accuracy", "wall_s"}


def _run(args):
    return CliRunner().invoke(main, ["compare", *args], catch_exceptions=False)


def test_sine_smoke(tmp_path):
    out = tmp_path / "s"
    r = _run(["sine", "--models", "sin,gelu", "--seeds", "2", "--steps", "20", "--out", str(out)])
    assert r.exit_code == 0, r.output
    d = json.loads((out / "results.json").read_text())
    assert {"config", "versions", "seeds", "estimates", "runs", "curves"} <= set(d)
    assert d["status"] == "completed" and d["seeds"] == [0, 1]
    assert all(RUN_KEYS <= set(run) for run in d["runs"])
    kinds = {(run["model"], run["init"]) for run in d["runs"]}
    assert kinds == {("spectral", "replace"), ("harmonic", "fit"), ("sin", "random"), ("sin", "spectral"),
                     ("gelu", "random")}
    by = {(run["model"], run["init"], run["seed"]): run for run in d["runs"]}
    # the generic replacement (periodic features + least-squares head) fits the sine exactly
    assert all(by[("harmonic", "fit", seed)]["final_loss"] < 1e-10 for seed in (0, 1))
    # steps are the unit: every trained run ran exactly --steps, its wall time beside
    assert all(run["steps"] == 20 and run["wall_s"] > 0 for run in d["runs"] if run["init"] not in ("fit", "replace"))
    for seed in (0, 1):
        assert by[("sin", "spectral", seed)]["steps_to_threshold"] == 0
        assert by[("sin", "random", seed)]["steps_to_threshold"] is None
    c = d["estimates"][0]["columns"][0]["components"][0]
    assert c["angular_frequency"] == pytest.approx(31.0, abs=1e-8) and c["angular_frequency_err"] > 0
    for name in ("loss_vs_step.png", "periodogram.png", "landscape_periodogram.png"):
        assert (out / name).stat().st_size > 0
    assert "reached" in r.output and "final ok" in r.output and "best loss" in r.output


def test_clock_smoke_other_bases(tmp_path):
    out = tmp_path / "c"
    r = _run(["clock", "--models", "fourier,nerf,fan,hayes", "--bases", "7,13,5", "--seeds", "1", "--steps", "2",
              "--hidden", "8", "--features", "4", "--eval-size", "2000", "--no-plots", "--out", str(out)])
    assert r.exit_code == 0, r.output
    d = json.loads((out / "results.json").read_text())
    rep = [run for run in d["runs"] if run["init"] == "replace"]
    assert rep and rep[0]["accuracy"]["all"] == 1.0
    assert {run["init"] for run in d["runs"]} == {"replace", "fit", "random", "spectral", "spectral-head"}
    kinds = {(run["model"], run["init"]) for run in d["runs"]}
    assert ("nerf", "random") in kinds and ("nerf", "spectral") not in kinds  # NeRF has no spectral init
    assert {("fan", "spectral"), ("hayes", "spectral-head")} <= kinds


def test_sweep_picks_on_validation_over_lr_and_bandwidth(tmp_path):
    out = tmp_path / "w"
    r = _run(["sine", "--models", "sin,nerf", "--sweep", "--seeds", "1", "--steps", "5", "--hidden", "8",
              "--eval-size", "200", "--no-plots", "--out", str(out)])
    assert r.exit_code == 0, r.output
    d = json.loads((out / "results.json").read_text())
    nerf = next(run for run in d["runs"] if run["model"] == "nerf")
    assert len(nerf["swept"]) == 4 * 3  # levels 10, 16, 24, 32 x lr 0.1, 1, 10
    assert nerf["bandwidth"]["levels"] in (10, 16, 24, 32) and len(nerf["validation_key"]) == 2
    sin = [run for run in d["runs"] if run["model"] == "sin"]
    assert {run["init"] for run in sin} == {"random", "spectral"} and all(len(run["swept"]) == 3 for run in sin)


def test_budget_caps_the_steps(tmp_path):
    out = tmp_path / "b"
    r = _run(["sine", "--models", "gelu", "--seeds", "1", "--steps", "100000", "--budget", "0.2",
              "--hidden", "8", "--eval-size", "200", "--no-plots", "--out", str(out)])
    assert r.exit_code == 0, r.output
    gelu = next(run for run in json.loads((out / "results.json").read_text())["runs"] if run["model"] == "gelu")
    assert gelu["status"] == "budget" and 0 < gelu["steps"] < 100000


def test_bad_flags_exit_2(tmp_path):
    assert _run(["clock", "--models", "sin", "--out", str(tmp_path / "x")]).exit_code == 2
    assert _run(["sine", "--models", "nope", "--out", str(tmp_path / "y")]).exit_code == 2
    assert _run(["sine", "--bases", "7,5", "--out", str(tmp_path / "z")]).exit_code == 2
