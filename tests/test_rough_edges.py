"""Issue 15's rough edges: one-line errors without torch, complete --help, FAP underflow,
the shape's semi-amplitude, the phase at a reference epoch inside the data, and plots that do
not draw what was never computed."""

from __future__ import annotations

import math
import os
import subprocess
import sys

import numpy as np
import pytest
from click.testing import CliRunner

import sigfit
from sigfit import io as sio
from sigfit.cli import cli


def _cli_without_torch(*args: str) -> subprocess.CompletedProcess:
    # torch made unimportable for this process only: sys.modules["torch"] = None
    code = ("import sys; sys.modules['torch'] = None; from sigfit.cli import main; "
            f"main({list(args)!r})")
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120, env={**os.environ, "MPLBACKEND": "Agg"})


@pytest.mark.parametrize("args", [
    ("train", "sine", "--model", "sin", "--steps", "1", "--out", "OUT"),
    ("landscape", "-o", "l.png"),
    ("compare", "sine", "--models", "sin", "--steps", "1", "--out", "OUT"),
])
def test_torch_commands_without_torch_say_one_line(args, tmp_path):
    args = tuple(str(tmp_path / a) if a in ("OUT", "l.png") else a for a in args)
    p = _cli_without_torch(*args)
    assert p.returncode == 1
    assert p.stderr.strip() == f"error: sigfit {args[0]} needs torch: pip install 'sigfit[torch]'"
    assert "Traceback" not in p.stderr and p.stdout == ""
    assert not (tmp_path / "OUT").exists()  # nothing written before the refusal


def test_help_lists_every_command_whole_and_marks_the_torch_ones():
    out = CliRunner().invoke(cli, ["--help"], terminal_width=80).output
    assert "..." not in out.split("Commands:")[1]  # no summary cut short
    for name in ("train", "landscape", "compare"):
        line = out.split(f"  {name} ")[1].split("\n  ")[0] + out.split(f"  {name} ")[1].split("\n")[1]
        assert "needs torch" in line, name
    assert "T0" not in out or "T0 (" in out


@pytest.mark.parametrize("command", [("estimate",), ("sample",), ("sample", "sine"),
                                     ("sample", "clock"), ("scalogram",), ("landscape",),
                                     ("train",), ("compare",)])
def test_every_option_has_help_and_the_command_has_examples(command):
    from sigfit.cli import COMMANDS  # noqa: F401  (the group resolves them lazily)

    ctx_cmd = cli
    for name in command:
        ctx_cmd = ctx_cmd.get_command(None, name)
    text = CliRunner().invoke(cli, [*command, "--help"]).output
    assert "Examples:" in text or "sigfit " in text.split("Options:")[0].split("\n", 2)[-1]
    for p in ctx_cmd.params:
        if getattr(p, "param_type_name", "") == "option" and not p.hidden:
            assert p.help, f"{' '.join(command)} {p.opts[0]} has no help"


def test_method_help_describes_wavelet():
    text = CliRunner().invoke(cli, ["estimate", "--help"], terminal_width=100).output
    assert "wavelet (the time-averaged wavelet spectrum" in " ".join(text.split())


def test_underflowed_fap_is_never_zero():
    assert sio.fap_text(0.0) == "<1e-300" and sio.fap_text(5e-310) == "<1e-300"
    assert sio.fap_text(3e-299) == "3e-299" and sio.fap_text(0.54) == "0.54"
    from sigfit.plot import _fap

    assert _fap(0.0) == "<1e-300"


def test_sawtooth_reports_the_shapes_semi_amplitude():
    rng = np.random.default_rng(1)
    t = np.sort(rng.uniform(0, 50, 800))
    y = 0.5 * np.mod(t / 3.7, 1.0) + rng.normal(0, 0.02, t.size)  # half-range 0.25
    r = sigfit.estimate(t, y)
    c = r.components[0]
    assert c.n_harmonics > 3
    assert abs(c.amplitude - 0.5 / math.pi) < 0.01  # the fundamental of a sawtooth: 1/pi x range
    # the fitted shape's half range: 0.25, plus at most the truncated series' overshoot at the
    # jump (Gibbs: 9% of the jump of 0.5 on each side) and the noise
    assert 0.24 < c.semi_amplitude < 0.25 + 0.0895 * 0.5 + 0.015
    assert c.to_dict()["semi_amplitude"] == pytest.approx(c.semi_amplitude)
    table = sio.format_result("y", r)
    assert f"semi-amplitude (half its peak-to-peak) is {c.semi_amplitude:.4g}" in table
    assert "amplitude is the fundamental's" in table


def test_pure_sinusoid_semi_amplitude_is_its_amplitude():
    rng = np.random.default_rng(2)
    t = np.sort(rng.uniform(0, 30, 300))
    r = sigfit.estimate(t, 2 * np.sin(2 * np.pi * 0.7 * t) + rng.normal(0, 0.1, t.size),
                        harmonics=1)
    assert r.components[0].semi_amplitude == pytest.approx(r.components[0].amplitude)


@pytest.mark.parametrize("harmonics", [1, "auto"])
def test_phase_at_a_reference_epoch_inside_the_data(harmonics):
    """MJD-like stamps: the phase at t = 0 (1858) has a huge error; the phase at the data's
    mean time is tight and agrees with the truth there."""
    rng = np.random.default_rng(0)
    t = np.sort(rng.uniform(58000, 58100, 400))
    f, phi = 0.37, 1.0
    y = np.sin(2 * np.pi * f * t + phi) + rng.normal(0, 0.1, t.size)
    r = sigfit.estimate(t, y, harmonics=harmonics)
    c = r.components[0]
    assert c.phase_err > 1.0  # extrapolated over 58,000 days
    assert c.reference_time == pytest.approx(np.mean(t)) and 58000 < c.reference_time < 58100
    truth = 2 * np.pi * f * c.reference_time + phi
    wrapped = (c.reference_phase - truth + np.pi) % (2 * np.pi) - np.pi
    assert c.reference_phase_err < 0.02 and abs(wrapped) < 4 * c.reference_phase_err
    # the same tone: moving the reference phase back to t = 0 gives the phase at t = 0
    back = c.reference_phase - 2 * np.pi * math.fmod(c.frequency * c.reference_time, 1.0)
    assert abs((back - c.phase + np.pi) % (2 * np.pi) - np.pi) < 1e-6
    table = sio.format_result("mag", r)
    assert "phase at t=0 [rad]" in table and f"phase at t={c.reference_time:.10g} [rad]" in table


def test_phase_column_is_single_when_zero_is_inside_the_data():
    rng = np.random.default_rng(0)
    x = rng.uniform(-1000, 1000, 256)
    r = sigfit.estimate(x, np.sin(31 * x) + rng.normal(0, 0.1, x.size))
    table = sio.format_result("y", r)
    assert "phase [rad]" in table and "phase at t=" not in table


def test_drifting_chirp_is_not_given_a_stationary_error_bar():
    rng = np.random.default_rng(0)
    t = np.arange(0, 200, 0.1)
    y = np.where(t < 100, np.sin(2 * np.pi * 0.3 * t),
                 np.sin(2 * np.pi * (0.8 * t + 0.002 * (t - 100) ** 2)))
    r = sigfit.estimate(t, y + 0.2 * rng.normal(size=t.size), method="wavelet", n_components=2)
    assert r.stationarity is not None and r.stationarity.stationary is False
    table = sio.format_result("y", r)
    rows = {line.split()[0]: line for line in table.splitlines()
            if line.strip()[:1].isdigit() and "  " in line.strip()}
    chirp = next(k for k, line in rows.items() if "(drifts)" in line)
    steady = next(k for k in rows if k != chirp)
    assert "±" not in rows[chirp].split("(drifts)")[0]  # no stationary ± on the drifting tone
    assert "±" in rows[steady]  # the steady tone keeps its error bar
    assert f"{chirp}: its frequency drifts" in table


def test_periodogram_pieces_break_where_nothing_was_computed():
    from sigfit.plot import _pieces

    f = np.concatenate([np.linspace(0, 1, 50), np.linspace(10, 11, 50)])
    x, y, gaps = _pieces(f, np.ones_like(f))
    assert gaps == [(1.0, 10.0)]
    assert np.isnan(x).sum() == 1  # the line is broken once, not drawn across the gap
    x, y, gaps = _pieces(np.linspace(0, 1, 100), np.ones(100))
    assert gaps == [] and not np.isnan(x).any()


def test_library_progress_bars_only_on_a_terminal():
    import inspect

    from sigfit.batch import estimate_many

    assert inspect.signature(estimate_many).parameters["progress"].default is None


def test_import_baselines_without_torch_names_the_extra():
    p = subprocess.run([sys.executable, "-c", "import sys; sys.modules['torch'] = None; import baselines"],
                       capture_output=True, text=True, timeout=60)
    assert p.returncode != 0
    assert p.stderr.strip().splitlines()[-1] == "ImportError: baselines needs torch: pip install 'sigfit[torch]'"


def test_compare_table_names_final_and_best_accuracy():
    pytest.importorskip("torch")
    from baselines.compare import CompareConfig, Comparison, format_table

    cfg = CompareConfig(task="clock", models=("fourier",), seeds=1, steps=10)
    cmp = Comparison(cfg, None)
    # a run that passed the threshold at step 800 and dipped below it at the end
    cmp.runs.append({"model": "fourier", "init": "spectral", "seed": 0, "steps_to_threshold": 800,
                     "final_loss": 0.01, "accuracy": {"all": 0.9977}, "best_accuracy": 0.9994,
                     "wall_s": 1.0})
    table = format_table(cmp)
    head, row = table.splitlines()[1:3]
    assert "final acc" in head and "best acc" in head and "med acc" not in head
    assert "99.770%" in row and "99.940%" in row and "1/1" in row


def _strong_and_noise():
    rng = np.random.default_rng(5)
    t = np.sort(rng.uniform(0, 100, 500))
    strong = sigfit.estimate(t, np.sin(2 * np.pi * 0.8 * t) + rng.normal(0, 0.05, t.size), fmax=5)
    noise = sigfit.estimate(t, rng.normal(0, 1, t.size), fmax=5)
    return t, strong, noise


def test_plot_legend_says_underflow_and_noise_is_not_drawn_as_a_result():
    from sigfit.plot import estimate_figure, pyplot

    t, strong, noise = _strong_and_noise()
    assert strong.components[0].false_alarm_probability < 1e-300
    fig = estimate_figure([("y", t, np.zeros_like(t), strong), ("n", t, np.zeros_like(t), noise)])
    axes = np.array(fig.axes).reshape(2, 3)
    labels = [h.get_label() for h in axes[0, 2].get_legend().legend_handles]
    assert any("FAP <1e-300" in lab for lab in labels) and not any("FAP 0" in lab for lab in labels)
    # the peak marker sits above the peak, not on it: no vertical line through the periodogram
    assert not [ln for ln in axes[0, 2].get_lines() if len(set(ln.get_xdata())) == 1
                and len(ln.get_xdata()) == 2]
    # pure noise: no fitted model in the data panel, nothing folded, the candidate in grey
    assert [ln.get_label() for ln in axes[1, 0].get_lines()] == ["offset (no significant period)"]
    assert not axes[1, 1].collections
    assert "not significant" in " ".join(h.get_label() for h in axes[1, 2].get_legend().legend_handles)
    pyplot().close(fig)


def test_datetime_table_and_plot_use_one_unit(tmp_path):
    from sigfit.plot import estimate_figure, pyplot

    hours = np.arange(24 * 21)
    when = np.datetime64("2024-03-01T00:00") + hours.astype("timedelta64[h]")
    rng = np.random.default_rng(0)
    y = 3 * np.sin(2 * np.pi * hours / 24) + rng.normal(0, 0.5, hours.size)
    (tmp_path / "d.csv").write_text("time,y\n" + "".join(f"{w},{v:.3f}\n" for w, v in zip(when, y, strict=True)))
    data = sio.load(str(tmp_path / "d.csv"))
    s = data.series("y")
    r = sigfit.estimate(s.t, s.y)
    table = sio.format_result("y", r, data.time)
    scale, unit = sio.display_unit(r, data.time)
    assert unit == "d" and scale == 86400.0
    assert "t in d since" in table and "frequency [cycles/d]" in table
    fig = estimate_figure([("y", s.t, s.y, r)], time_unit=data.time.unit, epoch=data.time.epoch)
    assert fig.axes[0].get_xlabel().endswith("[d]") and fig.axes[2].get_xlabel() == "frequency [cycles/d]"
    pyplot().close(fig)
