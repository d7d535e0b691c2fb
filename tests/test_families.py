"""Issue #17 (and #11's baselines bullet): the model registry, the NeRF, FAN and Hayes families,
the spectral variants, the harmonic-regression baseline, the sweep's candidates and the summary
table's final-vs-best columns. A few CPU steps each; only these tests know the answers."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import sigfit.baselines as bl  # noqa: E402
from sigfit.baselines.compare import (  # noqa: E402
    LR_FACTORS,
    CompareConfig,
    Comparison,
    _candidates,
    format_table,
    summary_rows,
)
from sigfit.baselines.spectral import HarmonicRegression, estimate_task, spectral_init  # noqa: E402
from sigfit.errors import InputError  # noqa: E402

OMEGA = 31.0


@pytest.fixture(scope="module")
def sine():
    task = bl.SineTask(eval_size=2000)
    return task, estimate_task(task, 1024, seed=0)


def _model(name, task, **kw):
    return bl.build_model(bl.ModelConfig(name, dtype="float64", hidden=16, n_features=8, **kw), task)


def test_registry_names_are_written_once_on_the_classes():
    assert all(cls.name == key for key, cls in bl.MODELS.items())
    assert set(bl.MODELS) == {"sin", "siren", "gelu", "snake", "fourier", "nerf", "fan", "hayes"}
    fields = {f.name for f in dataclasses.fields(bl.ModelConfig)}
    for cls in bl.MODELS.values():
        assert cls.bandwidth is None or cls.bandwidth in fields
        assert cls.spectral_variants or cls.no_spectral_reason or cls.name == "gelu"


@pytest.mark.parametrize("name", ["gelu", "nerf"])
def test_families_without_a_spectral_init_say_why(sine, name):
    task, est = sine
    with pytest.raises(InputError, match="no spectral initialisation"):
        spectral_init(_model(name, task), name, est)


def test_unknown_variant_is_refused(sine):
    task, est = sine
    with pytest.raises(InputError, match="unknown init 'spectral-frozen' for fourier"):
        spectral_init(_model("fourier", task), "fourier", est, "spectral-frozen")


def test_nerf_encoding_is_log_spaced_sin_cos_of_u():
    enc = bl.NerfEncoding(4, dtype=torch.float64)
    u = torch.linspace(-1, 1, 9, dtype=torch.float64)
    out = enc(u)
    assert out.shape == (9, 9)
    torch.testing.assert_close(out[:, 0], u)
    for k in range(4):
        torch.testing.assert_close(out[:, 1 + k], torch.sin(2.0**k * math.pi * u), atol=1e-12, rtol=0)
        torch.testing.assert_close(out[:, 5 + k], torch.cos(2.0**k * math.pi * u), atol=1e-12, rtol=0)


def test_fan_layer_is_cos_sin_and_gelu_parts():
    layer = bl.FANLayer(3, 16, dtype=torch.float64)  # p_ratio 1/4: 4 periodic units, 8 GELU
    x = torch.randn(5, 3, dtype=torch.float64)
    out = layer(x)
    p = layer.periodic(x)
    torch.testing.assert_close(out[:, :4], torch.cos(p))
    torch.testing.assert_close(out[:, 4:8], torch.sin(p))
    torch.testing.assert_close(out[:, 8:], torch.nn.functional.gelu(layer.gate(x)))


def test_spectral_fan_and_hayes_carry_the_tone_in_raw_time(sine):
    task, est = sine
    x = torch.linspace(-1000, 1000, 101, dtype=torch.float64)
    fan = spectral_init(_model("fan", task), "fan", est)
    h = fan.layers[0](fan.normalise(x).unsqueeze(1))
    phi = est.results[0].components[0].phase
    n_p = fan.layers[0].periodic.out_features  # columns: cos of the n_p units, then their sin
    torch.testing.assert_close(h[:, n_p], torch.sin(OMEGA * x + phi), atol=1e-6, rtol=0)
    hay = spectral_init(_model("hayes", task), "hayes", est)
    assert float(hay.angular_frequency[0]) == pytest.approx(OMEGA, abs=1e-7)
    osc = hay.oscillators(x)  # |z| = 1: an undamped cos/sin of omega (x - start)
    torch.testing.assert_close(osc[:, 0], torch.cos(OMEGA * (x - hay.start)), atol=1e-6, rtol=0)


def test_hayes_surrogate_is_a_decaying_complex_exponential():
    task = bl.SineTask(range_=10.0, eval_size=10)
    m = bl.HayesBank(1, n_oscillators=2, samples=100, input_scale=10.0, dtype=torch.float64)
    with torch.no_grad():
        m.bank.weight.copy_(torch.tensor([[0.9 * math.cos(0.3), 0.9 * math.sin(0.3)], [0.5, 0.0]],
                                         dtype=torch.float64))
    x = torch.linspace(-10, 10, 21, dtype=torch.float64)
    n = (x + 10.0) / 0.2
    osc = m.oscillators(x)
    torch.testing.assert_close(osc[:, 0], 0.9**n * torch.cos(0.3 * n))
    torch.testing.assert_close(osc[:, 2], 0.9**n * torch.sin(0.3 * n))
    # the gradient reaches z through the surrogate (the paper's point): finite and non-zero
    loss = (m(x).squeeze(1) - torch.sin(2.0 * x)).pow(2).mean()
    loss.backward()
    assert torch.isfinite(m.bank.weight.grad).all() and (m.bank.weight.grad != 0).any()
    assert task.out_features == 1


def test_siren_frozen_keeps_its_first_layer_and_own_group_caps_it(sine):
    task, est = sine
    frozen = spectral_init(_model("siren", task), "siren", est, "spectral-frozen")
    before = frozen.first.linear.weight.detach().clone()
    cfg = bl.TrainerConfig(optimizer="adam", lr=1e-2, steps=5, batch=32, progress=False, eval_every=0)
    bl.Trainer(frozen, task, cfg).run()
    torch.testing.assert_close(frozen.first.linear.weight, before, rtol=0, atol=0)
    own = spectral_init(_model("siren", task), "siren", est, "spectral")
    from sigfit.nn import param_groups

    groups = {g["name"]: g for g in param_groups(own, 1e-2)}
    assert any(p is own.first.linear.weight for p in groups["frequency"]["params"])
    assert groups["frequency"]["lr"] < 1e-2


def test_fourier_spectral_head_starts_at_the_least_squares_fit(sine):
    task, est = sine
    plain = spectral_init(_model("fourier", task, seed=1), "fourier", est)
    head = spectral_init(_model("fourier", task, seed=1), "fourier", est, "spectral-head", task)
    u = plain.normalise(torch.as_tensor(est.x))
    y = torch.as_tensor(est.y)
    with torch.no_grad():
        mse_plain = float(((plain._forward(u).squeeze(1) - y) ** 2).mean())
        mse_head = float(((head._forward(u).squeeze(1) - y) ** 2).mean())
    assert mse_head < mse_plain  # least squares beats the random head on the batch it is fitted to


def test_harmonic_regression_is_the_baseline_on_both_tasks(sine):
    task, est = sine
    assert task.evaluate(HarmonicRegression(task, est), "cpu")["eval_loss"] < 1e-10
    clock = bl.ClockTask(bases=(7, 13, 5), eval_size=5000)
    cest = estimate_task(clock, 4096, seed=1)
    acc = clock.evaluate(HarmonicRegression(clock, cest), "cpu")["accuracy"]
    assert acc["all"] > 0.5  # far above chance 1/455, with no clock-specific decoder


def test_series_task_estimates_from_its_whole_record_and_tests_outside_it():
    t = np.linspace(-100, 100, 801)
    y = np.sin(0.7 * t)
    tt = np.linspace(100, 400, 301)
    task = bl.SeriesTask(t, y, tt, np.sin(0.7 * tt))
    assert (task.input_offset, task.input_scale) == (0.0, 100.0)
    est = estimate_task(task, seed=0)
    assert est.n_samples == t.size
    assert est.results[0].components[0].angular_frequency == pytest.approx(0.7, rel=1e-6)
    m = task.evaluate(HarmonicRegression(task, est), "cpu")
    assert m["nmse"] < 1e-6  # the harmonic model extrapolates


def test_validation_split_is_its_own_draw():
    from sigfit.baselines.tasks import _split

    task = bl.SineTask(eval_size=50)
    xh, _ = _split(task, "heldout")
    xv, _ = _split(task, "validation")
    assert xh.shape == xv.shape and not np.array_equal(xh, xv)
    with pytest.raises(InputError, match="unknown split"):
        _split(task, "test")


def test_sweep_candidates_cover_lr_and_the_bandwidth_grid():
    task = bl.SineTask(eval_size=10)
    base = bl.ModelConfig("siren", dtype="float64")
    hp = bl.MODELS["siren"].learning_rate(base, task, 32)
    cfg = CompareConfig(sweep=True)
    rand = _candidates(cfg, "siren", "random", base, hp, task, 32, 1.0)
    assert len(rand) == len(bl.Siren.bandwidth_grid) * len(LR_FACTORS)
    assert {mc.w0 for mc, _ in rand} == {30.0 * g for g in bl.Siren.bandwidth_grid}
    for mc, lr in rand:  # the lr rule follows w0
        assert min(abs(lr / (1e-3 / mc.w0) - f) for f in LR_FACTORS) < 1e-12
    spec = _candidates(cfg, "siren", "spectral", base, hp, task, 32, 1.0)
    assert [mc.w0 for mc, _ in spec] == [30.0] * len(LR_FACTORS)
    assert len(_candidates(CompareConfig(sweep=False), "siren", "random", base, hp, task, 32, 1.0)) == 1
    nerf = _candidates(cfg, "nerf", "random", bl.ModelConfig("nerf"), {"lr": 1e-3}, task, 32, 1.0)
    assert {mc.levels for mc, _ in nerf} == set(bl.NerfMLP.bandwidth_grid)


def test_summary_names_final_and_best_apart():
    cmp = Comparison(CompareConfig(task="clock", seeds=1), bl.ClockTask(eval_size=10))
    # reached the threshold along the run, then fell below it by the last step
    cmp.runs.append({"model": "siren", "init": "spectral", "seed": 0, "steps_to_threshold": 40,
                     "final_reached": False, "final_loss": 2.0, "best_loss": 0.1,
                     "accuracy": {"all": 0.08}, "best_accuracy": 0.9995, "steps": 100, "wall_s": 1.0})
    row = summary_rows(cmp)[0]
    assert (row["final_reached"], row["best_reached"]) == (0, 1)
    assert (row["median_accuracy"], row["median_best_accuracy"]) == (0.08, 0.9995)
    head, line = format_table(cmp).splitlines()[-2:]
    cols = dict(zip(["model", "init", "reached", "final", "ok"], head.split(), strict=False))
    assert cols["reached"] == "reached" and cols["final"] == "final"
    assert line.split()[2:4] == ["1/1", "0/1"]  # reached at some evaluation, not at the last step
    assert "8.000%" in line and "99.950%" in line
