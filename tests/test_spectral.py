"""Issue #5: spectral initialisation and replacement of the torch baselines (baselines.spectral).
Estimates come from training batches of the tasks; only these tests know the answers."""

from __future__ import annotations

import math

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from sigfit.baselines import ClockTask, ModelConfig, SineTask, Trainer, TrainerConfig, build_model  # noqa: E402
from sigfit.baselines.spectral import (  # noqa: E402
    ClockDecoder,
    ClockPhaseModel,
    SpectralSine,
    estimate_task,
    fit_staircase_phase,
    reduced_phase,
    spectral_init,
    spectral_lr,
)

SEEDS = (0, 1, 2)


@pytest.fixture(scope="module")
def sine():
    task = SineTask(eval_size=4000)
    return task, estimate_task(task, 1024, seed=0)


def _train_sin(task, est, seed, init):
    model = build_model(ModelConfig("sin", dtype="float64", seed=seed), task)
    if init == "spectral":
        spectral_init(model, "sin", est)
    hp = spectral_lr("sin", task, 32)
    cfg = TrainerConfig(steps=100, batch=32, seed=seed, progress=False, eval_every=0, **hp)
    return Trainer(model, task, cfg).run()


@pytest.mark.parametrize("seed", SEEDS)
def test_spectral_sin_reaches_1e_10_random_does_not(sine, seed):
    task, est = sine
    spectral = _train_sin(task, est, seed, "spectral")
    random = _train_sin(task, est, seed, "random")
    assert spectral.final_loss < 1e-10
    assert random.final_loss > 1e-3  # off the basin: the sinc landscape is flat there


def test_sine_replacement_needs_no_training(sine):
    task, est = sine
    assert task.evaluate(SpectralSine(est.results[0]), "cpu")["eval_loss"] < 1e-10


def test_sin_lr_is_below_the_stability_limit():
    task = SineTask(range_=1000.0)
    lr = spectral_lr("sin", task, 32)["lr"]
    assert lr < 6.0 / 1000.0**2 * 32 * 10 / (10 * 32 + 17)  # 60B/((10B+17)R^2)


def test_reduced_phase_matches_exact_arithmetic():
    from fractions import Fraction

    f, centre, p = 1 / 60.0, 1893456000.0 + 17, 0.3
    exact = float((Fraction(centre) * Fraction(f)) % 1) * 2 * math.pi + p
    assert reduced_phase(f, p, centre) == pytest.approx(exact % (2 * math.pi), abs=1e-9)


def test_initialisers_put_the_estimated_tone_in_the_first_layer(sine):
    task, est = sine
    x = np.linspace(-1000, 1000, 101)
    want = np.sin(31.0 * x)
    siren = build_model(ModelConfig("siren", dtype="float64"), task).init_from_estimate(est)
    u = torch.as_tensor((x - siren.input_offset) / siren.input_scale).unsqueeze(1)
    got = siren.first(u)[:, 0].detach().numpy()
    np.testing.assert_allclose(got, want, atol=1e-6)
    four = build_model(ModelConfig("fourier", dtype="float64"), task).init_from_estimate(est)
    feats = four.features(four.normalise(torch.as_tensor(x)))
    np.testing.assert_allclose(feats[:, four.features.n_features].numpy(), want, atol=1e-6)  # the sine half
    snake = build_model(ModelConfig("snake", dtype="float64"), task).init_from_estimate(est)
    a, w = snake.acts[0].a[0].item(), snake.net[0].weight[0, 0].item()
    assert 2 * a * abs(w) / snake.input_scale == pytest.approx(31.0, rel=1e-9)


def test_staircase_phase_recovers_offset_and_drift():
    rng = np.random.default_rng(4)
    t = rng.uniform(-1e6, 1e6, 5000)
    P, theta, b = 97.0, 0.37, 11
    d = np.floor(b * np.mod(t / P - theta, 1.0))
    th, delta, m = fit_staircase_phase(t, d, P * (1 + 1e-9), b, 1e6)
    assert m > 0
    assert (np.floor(b * np.mod(t / (P * (1 + 1e-9)) + delta * t / 1e6 - th, 1.0)) == d).all()


@pytest.mark.parametrize("bases", [(60, 60, 24), (7, 13, 5)], ids=lambda b: ",".join(map(str, b)))
def test_clock_replacement_is_exact(bases):
    task = ClockTask(years=120, bases=bases, eval_size=20_000)
    est = estimate_task(task, 4096, seed=1)
    dec = ClockDecoder.from_estimate(task, est)
    x, digits = task.heldout()
    assert dec.accuracy(x, digits, task.names)["all"] == 1.0
    model = ClockPhaseModel(dec, task.input_scale)
    assert task.evaluate(model, "cpu")["accuracy"]["all"] == 1.0
    # the differentiable twin: finite, non-zero gradients for periods and phases; a short
    # fine-tune at a small lr keeps every digit
    loss = task.loss(model(torch.as_tensor(x[:512])), task.target_tensor(digits[:512], torch.float64, "cpu"))
    loss.backward()
    for p in (model.dfreq, model.theta, model.log_kappa):
        assert torch.isfinite(p.grad).all() and (p.grad != 0).any()
    cfg = TrainerConfig(optimizer="adam", lr=1e-6, steps=10, batch=256, progress=False, eval_every=0)
    assert Trainer(model, task, cfg).run().accuracy["all"] == 1.0


def test_clock_phase_model_is_repaired_by_gradient_descent():
    # the differentiable decoder earns its gradients: phases pushed 0.3 of a digit's arc off (and
    # a small period drift) lose the digits; 300 Adam steps on fresh batches bring them back
    task = ClockTask(years=120, bases=(60, 60, 24), eval_size=20_000)
    dec = ClockDecoder.from_estimate(task, estimate_task(task, 4096, seed=1))
    model = ClockPhaseModel(dec, task.input_scale)
    with torch.no_grad():
        model.theta += torch.tensor([0.3 / b for b in task.bases], dtype=torch.float64)
        model.dfreq += torch.tensor([1e-4, 0.0, 0.0], dtype=torch.float64)
    before = task.evaluate(model, "cpu")["accuracy"]
    assert before["all"] < 0.5
    cfg = TrainerConfig(optimizer="adam", lr=1e-4, steps=300, batch=256, progress=False, eval_every=0)
    after = Trainer(model, task, cfg).run().accuracy
    assert after["all"] > 0.99 and all(after[k] > 0.99 for k in task.names)
