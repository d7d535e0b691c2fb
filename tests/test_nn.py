"""Issue #16: sigfit.nn, spectral initialisation of anyone's torch model. A few CPU steps each;
only these tests know the answers (the generators' frequencies)."""

from __future__ import annotations

import math
import subprocess
import sys
import warnings
from fractions import Fraction

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from torch import nn  # noqa: E402

import sigfit  # noqa: E402
import sigfit.features as sf  # noqa: E402
from sigfit import InputError, SigfitWarning  # noqa: E402
from sigfit.nn import PeriodicFeatures, fit_head_, param_groups, spectral_init_, spectral_weights  # noqa: E402

torch.set_num_threads(1)


def sawtooth(x):  # scipy.signal.sawtooth: -1 -> 1 over each period 2 pi
    return 2.0 * np.mod(x / (2 * np.pi), 1.0) - 1.0


def target(x):
    return np.sin(7.3 * x) + 0.5 * sawtooth(2.1 * x)


def users_data(n: int, seed: int = 0):
    """The issue's user: y = sin(7.3x) + 0.5 sawtooth(2.1x) + noise 0.05, x in [-500, 500]."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(-500, 500, n)
    return x, target(x) + rng.normal(0, 0.05, n)


def heldout_mse(predict, lo, hi, seed=99, n=4000):
    rng = np.random.default_rng([seed, int(lo) + 10_000])
    x = rng.uniform(lo, hi, n)
    return float(np.mean((predict(x) - (target(x) + rng.normal(0, 0.05, n))) ** 2))


class Sine(nn.Module):
    def forward(self, z):
        return torch.sin(z)


def users_mlp(seed: int) -> nn.Sequential:
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(1, 128), Sine(), nn.Linear(128, 64), nn.Tanh(), nn.Linear(64, 1))


def train(model, inputs, y, steps=1000, batch=256, groups=None, lr=1e-3, seed=0):
    """Adam on mini-batches (the same batches for every model)."""
    opt = torch.optim.Adam(groups if groups is not None else param_groups(model, lr))
    g = torch.Generator().manual_seed(seed)
    Y = torch.as_tensor(y, dtype=torch.float32).unsqueeze(1)
    for _ in range(steps):
        i = torch.randint(0, Y.shape[0], (batch,), generator=g)
        opt.zero_grad()
        loss = torch.mean((model(inputs[i]) - Y[i]) ** 2)
        loss.backward()
        opt.step()
    return model


@pytest.fixture(scope="module")
def users_estimate():
    x, y = users_data(2048)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SigfitWarning)
        return x, y, sigfit.estimate(x, y, n_components=2, fmax=2.0)


def test_users_mlp_learns_with_spectral_init_and_not_without(users_estimate):
    x, y, r = users_estimate
    scale = 500.0  # the user's own input scaling: the model sees u = x / 500
    u = torch.as_tensor(x / scale, dtype=torch.float32).unsqueeze(1)

    def predictor(model):
        def f(xs):
            with torch.no_grad():
                return model(torch.as_tensor(xs / scale, dtype=torch.float32).unsqueeze(1))[:, 0].double().numpy()
        return f

    spectral = users_mlp(0)
    used = spectral_init_(spectral[0], r, input_scale=scale)
    assert used == 2 * len(sf.tones(r)) and 8 < used <= 128
    w_init = spectral[0].weight.detach().clone()
    train(spectral, u, y)
    assert heldout_mse(predictor(spectral), -500, 500) <= 0.01
    assert heldout_mse(predictor(spectral), 500, 600) <= 0.02
    # param_groups kept the estimated frequencies where the estimate put them
    info = spectral[0].sigfit_spectral
    moved = (spectral[0].weight.detach() - w_init)[: len(info.units), 0].abs().numpy()
    assert (moved <= np.array(info.weight_err)).all()
    random = train(users_mlp(0), u, y)
    assert heldout_mse(predictor(random), -500, 500) >= 0.3


@pytest.mark.slow
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_users_mlp_other_seeds(users_estimate, seed):
    x, y, r = users_estimate
    u = torch.as_tensor(x / 500.0, dtype=torch.float32).unsqueeze(1)
    model = users_mlp(seed)
    spectral_init_(model[0], r, input_scale=500.0)
    train(model, u, y, seed=seed)

    def f(xs):
        with torch.no_grad():
            return model(torch.as_tensor(xs / 500.0, dtype=torch.float32).unsqueeze(1))[:, 0].double().numpy()

    assert heldout_mse(f, -500, 500) <= 0.01 and heldout_mse(f, 500, 600) <= 0.02


def test_learnable_frequencies_stay_within_their_error_and_extrapolate():
    x, y = users_data(8192, seed=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SigfitWarning)
        r = sigfit.estimate(x, y, n_components=2, fmax=2.0)
    feats = PeriodicFeatures.from_estimate(r, learnable=True)
    model = nn.Sequential(feats, nn.Linear(feats.out_features, 1))
    xt = torch.as_tensor(x)
    fit_head_(model[1], feats, xt, y)
    f0 = feats.frequency.detach().clone()
    groups = param_groups(model, 1e-3)
    assert [g["name"] for g in groups] == ["default", "frequency"] and groups[1]["params"] == [feats.delta]
    assert groups[1]["lr"] < 1e-3
    train(model, xt, y, groups=groups)
    drift = (feats.frequency.detach() - f0).abs()
    assert (drift <= feats.frequency_err).all(), (drift / feats.frequency_err).tolist()

    def f(xs):
        with torch.no_grad():
            return model(torch.as_tensor(xs))[:, 0].double().numpy()

    inside = heldout_mse(f, -500, 500)
    assert inside <= 0.01
    assert heldout_mse(f, 2000, 2200) <= 2 * inside
    # plain Adam at lr 1e-3 on the same model walks the frequencies off by more than their error
    feats2 = PeriodicFeatures.from_estimate(r, learnable=True)
    plain = nn.Sequential(feats2, nn.Linear(feats2.out_features, 1))
    fit_head_(plain[1], feats2, xt, y)
    train(plain, xt, y, steps=300, groups=[{"params": list(plain.parameters()), "lr": 1e-3}])
    assert ((feats2.frequency.detach() - f0).abs() > feats2.frequency_err).any()


def test_module_features_equal_the_transformer_columns():
    rng = np.random.default_rng(2)
    t = 1_700_000_000 + 3600 * np.sort(rng.choice(24 * 60, 1000, replace=False))  # hourly, gaps
    y = 2 * np.sin(2 * np.pi * t / 86400.0) + np.sign(np.sin(2 * np.pi * t / 604800.0)) + rng.normal(0, 0.2, t.size)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SigfitWarning)
        pf = sf.PeriodicFeatures(n_components=2).fit(t, y)
    mod = PeriodicFeatures.from_estimate(pf).double()
    assert mod.names == list(pf.get_feature_names_out()) and mod.out_features == pf.n_features_out_
    probe = t[::7]
    want = pf.transform(probe)
    for given in (torch.as_tensor(probe), torch.as_tensor(probe.astype(np.float64)), probe,
                  probe.astype("datetime64[s]")):
        np.testing.assert_allclose(mod(given).numpy(), want, atol=1e-12)
    # from the estimate itself: the same columns
    np.testing.assert_allclose(PeriodicFeatures.from_estimate(pf.estimate_).double()(probe).numpy(), want, atol=1e-12)


def test_module_phases_are_exact_and_survive_float():
    # int64 nanoseconds (~1.7e18, beyond float64's integers) against exact rational arithmetic
    rng = np.random.default_rng(0)
    t = np.sort(rng.uniform(0, 1000, 1500))
    r = sigfit.estimate(t, np.sin(2 * np.pi * 0.1234 * t + 0.7) + rng.normal(0, 0.05, t.size), fmax=1.0)
    feats = PeriodicFeatures.from_estimate(r, trend=False)
    tone = feats.tones[0]
    ns = np.array([1_700_000_000_123_456_789, -3_000_000_000_000_000_001], dtype=np.int64)
    want = [math.sin(2 * math.pi * float((Fraction(tone.frequency) * int(v)) % 1) + tone.phase) for v in ns]
    got = feats.double()(torch.as_tensor(ns))[:, 0].numpy()
    np.testing.assert_allclose(got, want, atol=1e-12)
    f32 = feats.float()
    assert f32.fundamental.dtype == torch.float64 and f32.phase.dtype == torch.float64
    out = f32(torch.as_tensor(ns))
    assert out.dtype == torch.float32
    np.testing.assert_allclose(out[:, 0].numpy(), want, atol=1e-6)
    with pytest.raises(InputError, match="float32"):
        feats(torch.tensor([1.0, 2.0]))  # torch.tensor of Python floats is float32


def _acts(activation, z, w0):
    if activation == "sin":
        return torch.sin(w0 * z)
    if activation == "fourier":
        return torch.sin(2 * math.pi * w0 * z)
    v = w0 * z
    return v + torch.sin(v) ** 2  # Snake with a = 1


@pytest.fixture(scope="module")
def two_tones_far_from_zero():
    rng = np.random.default_rng(3)
    offset = 1.0e9  # a record far from t = 0: the phases are reduced exactly
    x = offset + rng.uniform(-500, 500, 3000)
    y = 1.5 * np.sin(2 * np.pi * 0.37 * x + 0.2) + 0.8 * np.cos(2 * np.pi * 0.11 * x) + rng.normal(0, 0.1, x.size)
    return offset, sigfit.estimate(x, y, n_components=2, harmonics=1, fmax=1.0)


@pytest.mark.parametrize("activation", ["sin", "fourier", "snake"])
@pytest.mark.parametrize("w0", [1.0, 30.0])
def test_spectral_init_puts_each_tone_in_its_units(two_tones_far_from_zero, activation, w0):
    offset, r = two_tones_far_from_zero
    scale = 500.0
    lin = nn.Linear(1, 9, dtype=torch.float64)
    before = lin.weight.detach().clone()
    used = spectral_init_(lin, r, input_scale=scale, input_offset=offset, activation=activation, w0=w0)
    per = 1 if activation == "fourier" else 2
    assert used == 2 * per
    assert torch.equal(lin.weight[used:], before[used:])  # the rest left as they were
    probe = offset + np.linspace(-500, 500, 101)
    u = torch.as_tensor((probe - offset) / scale).unsqueeze(1)
    out = _acts(activation, lin(u), w0).detach().numpy()
    for k, c in enumerate(r.components):
        theta = 2 * np.pi * sf.cycles(c.frequency, probe) + c.phase
        unit = per * k
        if activation == "snake":  # z + sin^2(z) minus z: (1 + sin theta)/2 and (1 + cos theta)/2
            z = (w0 * lin(u)).detach().numpy()
            np.testing.assert_allclose(out[:, unit] - z[:, unit], (1 + np.sin(theta)) / 2, atol=1e-6)
            np.testing.assert_allclose(out[:, unit + 1] - z[:, unit + 1], (1 + np.cos(theta)) / 2, atol=1e-6)
        else:
            np.testing.assert_allclose(out[:, unit], np.sin(theta), atol=1e-6)
            if activation == "sin":
                np.testing.assert_allclose(out[:, unit + 1], np.cos(theta), atol=1e-6)


def test_spectral_init_fills_harmonics_after_fundamentals_and_stops_at_the_width(users_estimate):
    _, _, r = users_estimate
    tones = sf.tones(r)
    assert [t.harmonic for t in tones[:2]] == [1, 1] and tones[2].harmonic == 2
    lin = nn.Linear(1, 7)
    assert spectral_init_(lin, r, input_scale=500.0) == 6
    w, _, _ = spectral_weights(r, 7, input_scale=500.0)
    expect = np.repeat([2 * np.pi * t.tone_frequency * 500.0 for t in tones[:3]], 2)
    np.testing.assert_allclose(w, expect)
    for bad, match in ((nn.Linear(2, 8), "in_features=1"), (nn.Linear(1, 8, bias=False), "bias"),
                       (nn.Linear(1, 1), "at least 2")):
        with pytest.raises(InputError, match=match):
            spectral_init_(bad, r)
    with pytest.raises(InputError, match="unknown activation 'relu'"):
        spectral_init_(nn.Linear(1, 8), r, activation="relu")


def test_fit_head_makes_the_model_the_fit_at_step_zero():
    rng = np.random.default_rng(4)
    t = np.sort(rng.uniform(0, 400, 2000))
    y = 3.0 + 0.002 * t + 2.0 * np.sin(2 * np.pi * t / 13.0 + 1.0) + rng.normal(0, 0.1, t.size)
    r = sigfit.estimate(t, y, detrend="linear", fmax=1.0)
    feats = PeriodicFeatures.from_estimate(r, dtype=torch.float64)
    head = nn.Linear(feats.out_features, 1, dtype=torch.float64)
    mse = fit_head_(head, feats, t, y)
    model = nn.Sequential(feats, head)
    with torch.no_grad():
        pred = model(torch.as_tensor(t))[:, 0].numpy()
    np.testing.assert_allclose(pred, r.predict(t), atol=1e-4)
    assert mse == pytest.approx(np.mean((y - pred) ** 2), rel=1e-9)
    assert mse == pytest.approx(r.residual_std**2, rel=0.05)
    with pytest.raises(InputError, match=r"shape \(n, 5\)"):
        fit_head_(nn.Linear(5, 1), feats, t, y)


def test_param_groups_separate_the_frequencies():
    x, y = users_data(1024)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SigfitWarning)
        r = sigfit.estimate(x, y, fmax=2.0)
    model = users_mlp(0)
    plain = param_groups(model, 1e-3)
    assert len(plain) == 1 and len(plain[0]["params"]) == len(list(model.parameters()))
    spectral_init_(model[0], r, input_scale=500.0)
    groups = param_groups(model, 1e-3)
    freq = groups[1]
    assert freq["name"] == "frequency" and freq["params"] == [model[0].weight]
    assert freq["lr"] == pytest.approx(model[0].sigfit_spectral.lr_cap) and freq["lr"] < 1e-3
    assert all(p is not model[0].weight for p in groups[0]["params"])
    assert param_groups(model, 1e-3, frequency_lr=0.0)[1]["lr"] == 0.0
    assert param_groups(model, 1e-7)[1]["lr"] == 1e-7  # never above lr
    with pytest.raises(InputError, match="lr must be a positive number"):
        param_groups(model, -1.0)


def test_import_without_torch_names_the_extra():
    code = ("import sys; sys.modules['torch'] = None\n"
            "try:\n    import sigfit.nn\n"
            "except ImportError as e:\n"
            "    import sigfit\n"
            "    print(type(e).__name__, isinstance(e, sigfit.SigfitError), e)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == "MissingDependencyError True sigfit.nn needs torch: pip install 'sigfit[torch]'"
