"""``sigfit train`` and ``sigfit landscape`` through the real entry point (exit codes, files)."""

import json

import pytest

pytest.importorskip("torch")

from sigfit.cli import main  # noqa: E402
from sigfit.cli.train import MODEL_NAMES, TASK_NAMES  # noqa: E402


def run(argv, capsys):
    with pytest.raises(SystemExit) as e:
        main(argv)
    out, err = capsys.readouterr()
    return e.value.code, out, err


def test_cli_lists_match_the_dispatch_tables():
    from sigfit import baselines

    assert MODEL_NAMES == tuple(baselines.MODELS)
    assert TASK_NAMES == tuple(baselines.TASKS)


def test_train_sine_writes_config_log_and_summary(tmp_path, capsys):
    out = tmp_path / "run"
    code, stdout, err = run(["train", "sine", "--model", "sin", "--steps", "300", "--device", "cpu",
                             "--eval-size", "2000", "--out", str(out)], capsys)
    assert code == 0, err
    assert "stability limit" in err  # the seed's lr 1e-4 is flagged
    summary = json.loads((out / "summary.json").read_text())
    assert summary["status"] == "completed" and summary["steps"] == 300
    assert 0.9 < summary["final_loss"] < 1.1  # the seed's failure
    assert summary["config"]["trainer"]["lr"] == 1e-4 and summary["config"]["trainer"]["batch"] == 32
    assert json.loads((out / "config.json").read_text()) == summary["config"]
    lines = [json.loads(s) for s in (out / "log.jsonl").read_text().splitlines()]
    assert [r["step"] for r in lines] == [100, 200, 300, 300] and lines[-1]["final"]
    assert not list(out.glob(".sigfit-*"))  # no temp files left behind


def test_train_clock_json_summary_has_accuracy_per_digit(tmp_path, capsys):
    code, stdout, err = run(["train", "clock", "--model", "gelu", "--steps", "5", "--hidden", "8",
                             "--eval-size", "1000", "--bases", "60,60,24", "--out", str(tmp_path / "c"),
                             "--json"], capsys)
    assert code == 0, err
    summary = json.loads(stdout)
    assert set(summary["accuracy"]) == {"hours", "minutes", "seconds", "all"}
    assert summary["config"]["trainer"]["optimizer"] == "adam"


def test_existing_output_folder_is_refused_unless_overwrite(tmp_path, capsys):
    out = tmp_path / "run"
    out.mkdir()
    (out / "notes.txt").write_text("keep me")
    args = ["train", "sine", "--model", "sin", "--steps", "2", "--eval-size", "10", "--out", str(out)]
    code, _, err = run(args, capsys)
    assert code == 2 and "--overwrite" in err
    code, _, err = run(args + ["--overwrite"], capsys)
    assert code == 0, err
    assert (out / "summary.json").exists() and (out / "notes.txt").read_text() == "keep me"


@pytest.mark.parametrize("args,needle", [
    (["--model", "lstm"], "lstm"),
    (["--model", "sin", "--steps", "0"], "--steps"),
    (["--model", "sin", "--budget", "0"], "--budget"),
    (["--model", "sin", "--batch", "0"], "--batch"),
    (["--model", "sin", "--lr", "0"], "--lr"),
    (["--model", "sin", "--bases", "60,60,24"], "--bases"),
    (["--model", "sin", "--optimizer", "rmsprop"], "rmsprop"),
])
def test_bad_sine_flags_exit_2_with_one_clear_line(tmp_path, capsys, args, needle):
    code, _, err = run(["train", "sine", *args, "--out", str(tmp_path / "x")], capsys)
    assert code == 2 and needle in err
    assert "Traceback" not in err
    assert not (tmp_path / "x").exists()


@pytest.mark.parametrize("args,needle", [
    (["--model", "sin"], "sine task"),
    (["--model", "gelu", "--bases", "60,x"], "--bases"),
    (["--model", "gelu", "--omega", "3"], "--omega"),
])
def test_bad_clock_flags_exit_2(tmp_path, capsys, args, needle):
    code, _, err = run(["train", "clock", *args, "--out", str(tmp_path / "x")], capsys)
    assert code == 2 and needle in err


def test_unknown_task_exits_2(tmp_path, capsys):
    code, _, err = run(["train", "moon", "--model", "sin", "--out", str(tmp_path / "x")], capsys)
    assert code == 2 and "moon" in err


def test_diverging_lr_stops_keeps_the_log_and_exits_1(tmp_path, capsys):
    out = tmp_path / "nan"
    code, _, err = run(["train", "clock", "--model", "gelu", "--hidden", "8", "--optimizer", "sgd",
                        "--lr", "1e12", "--steps", "500", "--log-every", "1", "--eval-size", "100",
                        "--out", str(out)], capsys)
    assert code == 1
    assert "error: training diverged" in err and "log.jsonl" in err
    summary = json.loads((out / "summary.json").read_text())
    assert summary["status"] == "diverged" and summary["final_loss"] is None
    assert (out / "log.jsonl").read_text().strip()


def test_landscape_writes_figure_and_prints_half_width(tmp_path, capsys):
    fig = tmp_path / "l.png"
    code, stdout, err = run(["landscape", "--range", "100", "--batch", "5000", "--points", "21",
                             "--zoom-points", "201", "-o", str(fig)], capsys)
    assert code == 0, err
    assert fig.read_bytes()[:4] == b"\x89PNG"
    assert "basin half-width: measured" in stdout and "4.4934/R" in stdout
    code, stdout, _ = run(["landscape", "--range", "100", "--batch", "5000", "--points", "21",
                           "--zoom-points", "201", "-o", str(fig), "--json"], capsys)
    d = json.loads(stdout)
    assert d["half_width_times_range"] == pytest.approx(4.4934, rel=0.03)


def test_ctrl_c_keeps_log_and_summary_and_exits_130(tmp_path, capsys, monkeypatch):
    from sigfit import baselines

    calls = {"n": 0}
    original = baselines.SineTask.sample

    def sample_then_interrupt(self, n, rng):
        calls["n"] += 1
        if calls["n"] == 251:  # Ctrl-C while drawing the 251st batch
            raise KeyboardInterrupt
        return original(self, n, rng)

    monkeypatch.setattr(baselines.SineTask, "sample", sample_then_interrupt)
    out = tmp_path / "int"
    code, stdout, err = run(["train", "sine", "--model", "sin", "--steps", "1000", "--eval-size", "100",
                             "--out", str(out)], capsys)
    assert code == 130 and "interrupted after 250 steps" in err
    summary = json.loads((out / "summary.json").read_text())
    assert summary["status"] == "interrupted" and summary["steps"] == 250
    assert [json.loads(s)["step"] for s in (out / "log.jsonl").read_text().splitlines()] == [100, 200, 250]


@pytest.mark.parametrize("model, flag, value, key", [("nerf", "--levels", "6", "levels"),
                                                    ("fan", "--fan-scale", "100", "fan_scale"),
                                                    ("hayes", "--hayes-samples", "4096", "hayes_samples")])
def test_train_new_families_take_their_bandwidth_flag(tmp_path, capsys, model, flag, value, key):
    code, stdout, err = run(["train", "sine", "--model", model, "--steps", "3", "--hidden", "8",
                             "--features", "4", "--eval-size", "100", flag, value,
                             "--out", str(tmp_path / model), "--json"], capsys)
    assert code == 0, err
    summary = json.loads(stdout)
    assert summary["config"]["model"]["name"] == model
    assert summary["config"]["model"][key] == float(value)
