"""The torch baselines: the seed's failure reproduced, its landscape and stability limit derived and
checked, and the models, tasks and training loop behaving as documented. A few CPU steps each."""

import json
import math

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import sigfit.baselines as bl  # noqa: E402
from sigfit import samples  # noqa: E402
from sigfit.errors import InputError  # noqa: E402

OMEGA, R = 31.0, 1000.0  # the seed's task (tests may know the answer; the library may not)


def quiet(**kw):
    kw.setdefault("progress", False)
    return bl.TrainerConfig(**kw)


# ---------------------------------------------------------------- landscape theory

def test_basin_root_is_first_positive_root_of_tan_u_equals_u():
    u = bl.BASIN_ROOT
    assert math.tan(u) == pytest.approx(u, rel=1e-12)
    assert math.pi < u < 1.5 * math.pi


@pytest.mark.parametrize("phase,amplitude", [(0.0, 1.0), (0.7, 1.3)])
def test_expected_loss_matches_monte_carlo_including_sum_frequency_terms(phase, amplitude):
    # small omega*R so the sum-frequency and sinc(2fR) terms are large enough to be tested
    omega, rng_range = 0.9, 2.0
    x = np.random.default_rng(0).uniform(-rng_range, rng_range, 2_000_000)
    y = amplitude * np.sin(omega * x + phase)
    for f in (0.0, 0.3, 0.9, 1.7, -0.8):
        mc = np.mean((np.sin(f * x) - y) ** 2)
        ex = bl.expected_loss(f, omega, rng_range, phase=phase, amplitude=amplitude)
        assert ex == pytest.approx(mc, abs=3e-3)
    # the simple form misses them: at f = 0 the exact loss is E[y^2], not ~1
    assert bl.expected_loss(0.0, OMEGA, R) == pytest.approx(0.5, abs=1e-4)


def test_expected_gradient_is_derivative_of_expected_loss():
    f = np.array([0.0, 1e-3, 5.0, 30.99, 31.0, 31.002, 60.0])
    h = 1e-7
    fd = (bl.expected_loss(f + h, OMEGA, R) - bl.expected_loss(f - h, OMEGA, R)) / (2 * h)
    np.testing.assert_allclose(bl.expected_gradient(f, OMEGA, R), fd, rtol=1e-4, atol=1e-3)


def test_measured_gradient_is_what_autograd_gives_sin():
    freqs = np.array([0.5, 30.9, 31.001, 45.0])
    loss, grad = bl.measure_landscape(freqs, OMEGA, R, batch=500, seed=3)
    x, y = samples.sine(500, OMEGA, R, seed=3)
    for f, lo, g in zip(freqs, loss, grad, strict=True):
        m = bl.Sin(f, dtype=torch.float64)
        out = m(torch.as_tensor(x)).squeeze(1)
        mse = ((out - torch.as_tensor(y)) ** 2).mean()
        mse.backward()
        assert float(mse.detach()) == pytest.approx(lo, rel=1e-12)
        assert float(m.freq.grad) == pytest.approx(g, rel=1e-9)


@pytest.mark.parametrize("range_", [10.0, 100.0, 1000.0])
def test_basin_half_width_scales_as_one_over_range(range_):
    res = bl.sin_landscape(OMEGA, range_, batch=20_000, points=3, zoom_points=401, zoom=8.0)
    assert res.minimum == pytest.approx(OMEGA, abs=0.05 / range_)
    assert res.half_width * range_ == pytest.approx(bl.BASIN_ROOT, rel=0.02)
    assert res.half_width_left * range_ == pytest.approx(bl.BASIN_ROOT, rel=0.03)
    assert res.half_width_right * range_ == pytest.approx(bl.BASIN_ROOT, rel=0.03)


def test_landscape_figure(tmp_path):
    res = bl.sin_landscape(OMEGA, R, batch=2000, points=51, zoom_points=101)
    out = tmp_path / "landscape.png"
    bl.plot_landscape(res, out)
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    d = res.to_dict()
    json.dumps(d, allow_nan=False)
    assert d["theory_half_width"] == pytest.approx(bl.BASIN_ROOT / R)


# ---------------------------------------------------------------- the seed reproduced

@pytest.mark.parametrize("seed", range(5))
def test_sin_random_init_with_the_seeds_sgd_stays_near_one(seed):
    task = bl.SineTask(eval_size=5000)
    model = bl.build_model(bl.ModelConfig("sin", seed=seed), task)
    res = bl.Trainer(model, task, quiet(optimizer="sgd", lr=1e-4, batch=32, steps=400, seed=seed)).run()
    assert res.status == "completed"
    assert 0.9 < res.final_loss < 1.1
    assert abs(model.freq.item() - OMEGA) > 1.0  # nowhere near the answer


def test_sin_random_init_fails_at_every_swept_learning_rate():
    """So that the failure is no learning-rate artefact: 3 decades around the stability limit."""
    task = bl.SineTask(eval_size=2000)
    lrs = bl.lr_grid(bl.stable_lr(R, batch=32), decades=(-2, 1), per_decade=1)
    for seed in (0, 1):
        sweep = bl.sweep_lr(lambda s=seed: bl.build_model(bl.ModelConfig("sin", seed=s), task), task,
                            quiet(optimizer="sgd", batch=32, steps=300, seed=seed), lrs)
        assert sweep.best_lr in lrs
        assert all(r.final_loss > 0.9 for r in sweep.results)
        json.dumps(sweep.to_dict(), allow_nan=False)


def test_freq_31_gives_loss_zero():
    # the seed's literal experiment: float32 x, float32 target, float32 model -> exactly 0
    x = (torch.rand(32, generator=torch.Generator().manual_seed(0)) * 2 - 1) * R
    m = bl.Sin(OMEGA)
    assert ((m.freq * x).sin() - torch.sin(x * OMEGA)).pow(2).mean().item() == 0.0
    # on the float64 task: float64 is exact to rounding; float32 has a floor from quantising x
    task = bl.SineTask(eval_size=10_000)
    for dtype, bound in (("float64", 1e-20), ("float32", 1e-5)):
        model = bl.build_model(bl.ModelConfig("sin", dtype=dtype), task).set(freq=OMEGA)
        assert task.evaluate(model, "cpu")["eval_loss"] < bound


def test_stability_limit_formula_and_the_seeds_lr_exceeds_it():
    assert bl.stable_lr(R) == pytest.approx(6 / R**2)
    assert bl.sin_curvature(R) == pytest.approx(R**2 / 3)
    assert bl.stable_lr(R, batch=1) == pytest.approx(60 / (27 * R**2))
    assert bl.stable_lr(R, batch=10**9) == pytest.approx(6 / R**2, rel=1e-6)
    assert bl.stable_lr(R, amplitude=2.0) == pytest.approx(1.5 / R**2)
    assert 1e-4 > 10 * bl.stable_lr(R, batch=32)


def test_optimum_is_stable_below_the_limit_and_unstable_at_the_seeds_lr():
    task = bl.SineTask(eval_size=5000)
    start = OMEGA + 0.2 * bl.basin_half_width(R)
    final = {}
    for lr in (0.5 * bl.stable_lr(R, batch=32), 1e-4):
        model = bl.build_model(bl.ModelConfig("sin", dtype="float64"), task).set(freq=start)
        final[lr] = bl.Trainer(model, task, quiet(optimizer="sgd", lr=lr, batch=32, steps=200)).run().final_loss
    stable, seed_lr = final.values()
    assert stable < 1e-12
    assert seed_lr > 0.5


def test_fresh_basin_curvature_measured_matches_r_squared_over_three():
    d = 1e-6
    freqs = np.array([OMEGA - d, OMEGA, OMEGA + d])
    loss, _ = bl.measure_landscape(freqs, OMEGA, R, batch=200_000, seed=1)
    curvature = (loss[0] - 2 * loss[1] + loss[2]) / d**2
    assert curvature == pytest.approx(R**2 / 3, rel=0.02)


# ---------------------------------------------------------------- models

def _sine_and_clock():
    return bl.SineTask(eval_size=100), bl.ClockTask(eval_size=100)


@pytest.mark.parametrize("name", list(bl.MODELS))
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_every_model_builds_runs_and_is_seeded(name, dtype):
    sine, clock = _sine_and_clock()
    task = sine if name == "sin" else clock
    a = bl.build_model(bl.ModelConfig(name, dtype=dtype, seed=3, hidden=16, n_features=8), task)
    b = bl.build_model(bl.ModelConfig(name, dtype=dtype, seed=3, hidden=16, n_features=8), task)
    x = torch.as_tensor(task.sample(7, np.random.default_rng(0))[0])
    out = a(x)
    assert out.shape == (7, task.out_features)
    assert out.dtype == bl.DTYPES[dtype]
    # every parameter in the dtype, except those the family keeps in float64 (they multiply time)
    keep = set(bl.MODELS[name].float64_parameters)
    assert keep <= {n for n, _ in a.named_parameters()}
    assert all(p.dtype == (torch.float64 if n in keep else bl.DTYPES[dtype]) for n, p in a.named_parameters())
    torch.testing.assert_close(out, b(x), rtol=0, atol=0)


def test_build_model_leaves_the_global_rng_alone():
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    bl.build_model(bl.ModelConfig("gelu", hidden=8), bl.ClockTask(eval_size=10))
    torch.testing.assert_close(torch.rand(3), expected)


def test_sin_is_refused_on_the_clock():
    with pytest.raises(InputError, match="only fits the sine task"):
        bl.build_model(bl.ModelConfig("sin"), bl.ClockTask(eval_size=10))


@pytest.mark.parametrize("bad", [dict(name="lstm"), dict(dtype="float16"), dict(hidden=0), dict(depth=0)])
def test_model_config_rejects_bad_input(bad):
    with pytest.raises(InputError):
        bl.ModelConfig(**bad)


def test_siren_follows_sitzmann_init():
    w0, hidden = 30.0, 64
    m = bl.build_model(bl.ModelConfig("siren", hidden=hidden, w0=w0), bl.SineTask())
    assert m.first.linear.weight.abs().max() <= 1.0
    bound = math.sqrt(6 / hidden) / w0
    for layer in m.hidden_layers:
        assert layer.linear.weight.abs().max() <= bound
        assert layer.linear.weight.abs().max() > 0.8 * bound
    assert m.head.weight.abs().max() <= bound


def test_snake_is_x_plus_sin2_over_a_and_identity_with_finite_grad_at_zero():
    act = bl.Snake(3, dtype=torch.float64)
    with torch.no_grad():
        act.a.copy_(torch.tensor([0.7, -1.3, 0.0], dtype=torch.float64))
    x = torch.linspace(-5, 5, 11, dtype=torch.float64).unsqueeze(1).repeat(1, 3)
    y = act(x)
    for k in (0, 1):
        a = act.a[k].item()
        torch.testing.assert_close(y[:, k], x[:, k] + torch.sin(a * x[:, k]) ** 2 / a)
    torch.testing.assert_close(y[:, 2], x[:, 2])
    y.sum().backward()
    assert torch.isfinite(act.a.grad).all()
    assert act.a.grad[2].item() == pytest.approx(float((x[:, 2] ** 2).sum()))  # d/da (a x^2) at 0


def test_fourier_features_keep_float64_phase_at_clock_times():
    """The projection B*u is reduced mod 1 in float64: float32 models lose no phase at t ~ 3.8e9."""
    task = bl.ClockTask(eval_size=10)
    m = bl.build_model(bl.ModelConfig("fourier", dtype="float32", hidden=8, n_features=4), task)
    w = np.array([2 * np.pi / 60, 2 * np.pi / 3600, 2 * np.pi / 86400])
    p = np.array([0.1, -0.4, 2.0])
    m.set_features(w, p)
    assert m.features.frequency.dtype == torch.float64
    t = np.array([0.0, 59.0, 3_786_825_599.0, 1_234_567_891.0])
    feats = m.features(m.normalise(torch.as_tensor(t)))
    sines = feats[:, m.features.n_features : m.features.n_features + 3].double().numpy()
    np.testing.assert_allclose(sines, np.sin(np.outer(t, w) + p), atol=1e-6)


def test_siren_first_layer_and_sin_setters_use_raw_time_units():
    task = bl.SineTask(range_=50.0)
    m = bl.build_model(bl.ModelConfig("siren", dtype="float64", hidden=8), task)
    m.set_first_layer([3.0, 0.25], [0.5, -1.0])
    x = torch.linspace(-50, 50, 9, dtype=torch.float64)
    h = m.first(m.normalise(x).unsqueeze(1))
    torch.testing.assert_close(h[:, 0], torch.sin(3.0 * x + 0.5))
    torch.testing.assert_close(h[:, 1], torch.sin(0.25 * x - 1.0))
    s = bl.Sin(dtype=torch.float64).set(freq=2.0, phase=0.3, amplitude=1.5)
    torch.testing.assert_close(s(x).squeeze(1), 1.5 * torch.sin(2.0 * x + 0.3))
    with pytest.raises(InputError):
        m.set_first_layer([1.0] * 9, [0.0] * 9)


# ---------------------------------------------------------------- tasks

class _Oracle(torch.nn.Module):
    """Reads the clock exactly from float64 seconds: checks the metrics, not a model."""

    def __init__(self, task):
        super().__init__()
        self.task = task

    def forward(self, x):
        digits = torch.as_tensor(samples.clock_digits(x.numpy().astype(np.int64), self.task.bases))
        if self.task.head == "regress":
            return digits.double() / torch.as_tensor(self.task.digit_bases, dtype=torch.float64)
        blocks = [torch.nn.functional.one_hot(digits[:, k], b).double() * 10
                  for k, b in enumerate(self.task.digit_bases)]
        return torch.cat(blocks, dim=1)


@pytest.mark.parametrize("head", bl.HEADS)
@pytest.mark.parametrize("bases", [(60, 60, 24), (7, 5)])
def test_clock_metrics_score_an_exact_reader_at_100_percent(head, bases):
    task = bl.ClockTask(bases=bases, head=head, eval_size=2000)
    m = task.evaluate(_Oracle(task), "cpu")
    assert set(m["accuracy"]) == set(samples.clock_digit_names(len(bases))) | {"all"}
    assert all(v == 1.0 for v in m["accuracy"].values())
    assert task.out_features == (sum(bases) if head == "classify" else len(bases))


def test_clock_defaults_chance_and_heldout():
    task = bl.ClockTask()
    assert task.eval_size == 100_000
    assert task.chance == pytest.approx({"hours": 1 / 24, "minutes": 1 / 60, "seconds": 1 / 60,
                                         "all": 1 / 86400})
    x, digits = task.heldout()
    assert x.dtype == np.float64 and digits.shape == (100_000, 3)
    assert x.min() >= 0 and x.max() < task.span
    assert x.max() > 0.99 * task.span  # spread over the whole 120 years
    # training stream never reproduces the held-out set
    xt, _ = task.sample(1000, np.random.default_rng([0, 0]))
    assert not np.array_equal(xt, x[:1000])


@pytest.mark.parametrize("bad", [dict(years=0), dict(bases="60,1"), dict(head="ordinal"), dict(eval_size=0)])
def test_clock_task_rejects_bad_input(bad):
    with pytest.raises(InputError):
        bl.ClockTask(**bad)


@pytest.mark.parametrize("bad", [dict(range_=0), dict(noise=-1), dict(omega=math.inf)])
def test_sine_task_rejects_bad_input(bad):
    with pytest.raises(InputError):
        bl.SineTask(**bad)


# ---------------------------------------------------------------- trainer

def test_training_is_deterministic_per_seed_on_cpu(tmp_path):
    task = bl.ClockTask(eval_size=500)

    def run(seed, name):
        model = bl.build_model(bl.ModelConfig("snake", seed=seed, hidden=16), task)
        path = tmp_path / name
        bl.Trainer(model, task, quiet(optimizer="adam", lr=1e-3, batch=64, steps=30, seed=seed,
                                      log_every=10, eval_every=15)).run(log_path=path)
        return [(r["step"], r.get("train_loss"), r.get("eval_loss"))
                for r in map(json.loads, path.read_text().splitlines())]

    a, b, c = run(0, "a"), run(0, "b"), run(1, "c")
    assert a == b
    assert a != c
    assert [s for s, _, _ in a] == [10, 15, 20, 30, 30]  # log, eval, log, log+eval, final


def test_budget_stops_the_run():
    task = bl.SineTask(eval_size=100)
    model = bl.build_model(bl.ModelConfig("sin"), task)
    res = bl.Trainer(model, task, quiet(steps=None, budget=0.2)).run()
    assert res.status == "budget" and res.steps > 0 and res.wall_s >= 0.2


def test_callbacks_see_each_step_and_can_stop():
    task = bl.SineTask(eval_size=100)
    seen = []
    trainer = bl.Trainer(bl.build_model(bl.ModelConfig("sin"), task), task, quiet(steps=100))

    def cb(t):
        seen.append(t.step)
        t.stop = t.step >= 7

    trainer.add_callback("on_step_end", cb)
    res = trainer.run()
    assert res.status == "stopped" and res.steps == 7 and seen == list(range(1, 8))


def test_divergence_stops_and_keeps_the_log(tmp_path):
    task = bl.ClockTask(eval_size=100)
    model = bl.build_model(bl.ModelConfig("gelu", hidden=16), task)
    log = tmp_path / "log.jsonl"
    res = bl.Trainer(model, task, quiet(optimizer="sgd", lr=1e12, batch=64, steps=500, log_every=1)).run(log)
    assert res.status == "diverged"
    assert "lower the learning rate" in res.message
    lines = [json.loads(s) for s in log.read_text().splitlines()]
    assert lines[-1]["status"] == "diverged" and lines[-1]["final"]
    assert res.steps < 500 and len(lines) == res.steps + 1
    json.dumps(res.to_dict(), allow_nan=False)


def test_ctrl_c_keeps_what_finished(tmp_path):
    task = bl.SineTask(eval_size=100)
    trainer = bl.Trainer(bl.build_model(bl.ModelConfig("sin"), task), task, quiet(steps=1000, log_every=2))

    def interrupt(t):
        if t.step == 9:
            raise KeyboardInterrupt

    trainer.add_callback("on_step_end", interrupt)
    log = tmp_path / "log.jsonl"
    res = trainer.run(log)
    assert res.status == "interrupted" and res.steps == 9
    lines = [json.loads(s) for s in log.read_text().splitlines()]
    assert [r["step"] for r in lines] == [2, 4, 6, 8, 9]
    assert res.final_loss is not None


@pytest.mark.parametrize("bad", [
    dict(steps=0), dict(batch=0), dict(lr=0.0), dict(lr=-1e-3), dict(lr=math.nan), dict(budget=0.0),
    dict(steps=None, budget=None), dict(optimizer="lbfgs"), dict(device="tpu"), dict(log_every=0),
])
def test_trainer_config_rejects_bad_input(bad):
    with pytest.raises(InputError):
        bl.TrainerConfig(**bad)


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the no-GPU message")
def test_cuda_without_a_gpu_is_a_clear_error():
    with pytest.raises(InputError, match="no CUDA device"):
        bl.resolve_device("cuda")
    assert bl.resolve_device("auto").type == "cpu"


def test_summary_dict_has_config_and_versions():
    task = bl.ClockTask(eval_size=300)
    model = bl.build_model(bl.ModelConfig("fourier", hidden=8, n_features=4), task)
    d = bl.Trainer(model, task, quiet(optimizer="adam", lr=1e-3, batch=16, steps=3)).run().to_dict()
    assert set(d["accuracy"]) == {"hours", "minutes", "seconds", "all"}
    assert d["config"]["model"]["name"] == "fourier"
    assert d["config"]["task"]["bases"] == [60, 60, 24]
    assert d["config"]["trainer"]["steps"] == 3
    assert "torch" in d["versions"]
    json.dumps(d, allow_nan=False)


def test_lr_grid_and_sweep_inputs():
    g = bl.lr_grid(1e-3, decades=(-1, 1), per_decade=2)
    np.testing.assert_allclose(g, [1e-4, 10**-3.5, 1e-3, 10**-2.5, 1e-2])
    with pytest.raises(InputError):
        bl.lr_grid(0.0)
    with pytest.raises(InputError):
        bl.sweep_lr(lambda: None, bl.SineTask(), quiet(), [], criterion="final_loss")
    with pytest.raises(InputError):
        bl.sweep_lr(lambda: None, bl.SineTask(), quiet(), [1e-3], criterion="speed")
