"""The models gradient descent cannot train on periodic targets. Imports only torch.

Every model takes the raw time ``x`` as a float64 tensor of shape (n,) and returns (n, out).
What precision the time reaches each model in:

======== ============================================================================
model    input it computes with
======== ============================================================================
Sin      raw ``x`` cast to the model dtype (the seed: ``sin(freq*x)``, x in [-R, R])
siren    ``u = (x - input_offset)/input_scale`` in float64, then cast to the dtype
gelu     same as siren
snake    same as siren
fourier  ``u`` in float64; the features ``2*pi*(B*u mod 1)`` are reduced in float64 and only
         the angle in [0, 2*pi) is cast, so float32 loses no phase (Tancik et al. 2020)
======== ============================================================================

``input_offset``/``input_scale`` come from the task (sine: 0 and R; clock: the centre and
half-width of the span), so ``u`` lies in [-1, 1]. A float32 ``u`` cannot resolve the clock's
seconds (see :mod:`baselines.tasks`).

Build models with :func:`build_model` (seeded, in the requested dtype); do not call ``.float()``
or ``.double()`` on them afterwards: :class:`FourierFeatures` keeps float64 buffers on purpose.

Parameter names, for setting them from spectral estimates (angular frequencies in rad per unit
of the raw time ``x``, phases in radians at x = 0, ``y = amplitude*sin(angular_frequency*x + phase)``):

- ``Sin``: ``freq``, ``phase``, ``amplitude``; :meth:`Sin.set`.
- ``Siren``: ``first.linear`` (unit k is ``sin(w0*(W_k u + b_k))``); :meth:`Siren.set_first_layer`.
- ``FourierMLP``: ``features.frequency`` (cycles per unit of u), ``features.phase``;
  :meth:`FourierMLP.set_features`.
- ``SnakeMLP``: ``acts[i].a`` (one per channel of hidden layer i).
- ``GeluMLP``: ``net`` (a plain ``nn.Sequential``).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

import torch
from torch import nn

from sigfit.errors import InputError

DTYPES = {"float32": torch.float32, "float64": torch.float64}


def resolve_dtype(dtype: str | torch.dtype) -> torch.dtype:
    """``"float32"``/``"float64"`` (or the torch dtype) -> torch dtype."""
    if isinstance(dtype, torch.dtype):
        if dtype in DTYPES.values():
            return dtype
        raise InputError(f"dtype must be float32 or float64, got {dtype}")
    try:
        return DTYPES[dtype]
    except KeyError:
        raise InputError(f"unknown dtype {dtype!r}; choose one of {', '.join(DTYPES)}") from None


class TimeModel(nn.Module):
    """Base: holds the time normalisation and the dtype; subclasses implement ``_forward``."""

    def __init__(self, input_offset: float, input_scale: float, dtype: torch.dtype, out_features: int):
        super().__init__()
        if not (math.isfinite(input_scale) and input_scale > 0):
            raise InputError(f"input_scale must be positive, got {input_scale}")
        self.input_offset = float(input_offset)
        self.input_scale = float(input_scale)
        self.dtype = resolve_dtype(dtype)
        self.out_features = int(out_features)

    def normalise(self, x: torch.Tensor) -> torch.Tensor:
        """``(x - input_offset) / input_scale`` computed in float64 (never in the model dtype)."""
        x = x.reshape(-1).to(torch.float64)
        return (x - self.input_offset) / self.input_scale

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self._forward(self.normalise(x))

    def _forward(self, u64: torch.Tensor) -> torch.Tensor:  # pragma: no cover - abstract
        raise NotImplementedError

    def extra_repr(self) -> str:
        return f"input_offset={self.input_offset:g}, input_scale={self.input_scale:g}, dtype={self.dtype}"


class Sin(TimeModel):
    """``amplitude * sin(freq * x + phase)`` on the raw input, the seed's one-parameter module.

    ``freq`` is trainable and drawn from ``randn`` unless given (the seed). ``phase`` and
    ``amplitude`` are fixed buffers unless ``train_phase``/``train_amplitude``.
    """

    def __init__(self, freq: float | None = None, *, phase: float = 0.0, amplitude: float = 1.0,
                 train_phase: bool = False, train_amplitude: bool = False,
                 dtype: torch.dtype | str = torch.float32):
        super().__init__(0.0, 1.0, dtype, 1)
        f = torch.randn(1, dtype=self.dtype) if freq is None else torch.tensor([freq], dtype=self.dtype)
        self.freq = nn.Parameter(f)
        for name, value, train in (("phase", phase, train_phase), ("amplitude", amplitude, train_amplitude)):
            t = torch.tensor([value], dtype=self.dtype)
            if train:
                setattr(self, name, nn.Parameter(t))
            else:
                self.register_buffer(name, t)

    @torch.no_grad()
    def set(self, freq: float | None = None, phase: float | None = None, amplitude: float | None = None):
        """Set any of the three (angular frequency in rad per unit x)."""
        for name, v in (("freq", freq), ("phase", phase), ("amplitude", amplitude)):
            if v is not None:
                getattr(self, name).fill_(float(v))
        return self

    def _forward(self, u64):
        u = u64.to(self.dtype)
        return (self.amplitude * torch.sin(self.freq * u + self.phase)).unsqueeze(1)


def _mlp(in_features: int, hidden: int, depth: int, out_features: int, act, dtype) -> nn.Sequential:
    """Linear -> act, ``depth`` times, then a linear head. ``act(width)`` makes an activation."""
    layers: list[nn.Module] = []
    width = in_features
    for _ in range(depth):
        layers += [nn.Linear(width, hidden, dtype=dtype), act(hidden)]
        width = hidden
    layers.append(nn.Linear(width, out_features, dtype=dtype))
    return nn.Sequential(*layers)


class GeluMLP(TimeModel):
    """A plain MLP with GELU activations on ``u`` (PyTorch's default init)."""

    def __init__(self, out_features: int, *, hidden: int = 128, depth: int = 3,
                 input_offset: float = 0.0, input_scale: float = 1.0, dtype=torch.float32):
        super().__init__(input_offset, input_scale, dtype, out_features)
        self.net = _mlp(1, hidden, depth, out_features, lambda w: nn.GELU(), self.dtype)

    def _forward(self, u64):
        return self.net(u64.to(self.dtype).unsqueeze(1))


class SineLayer(nn.Module):
    """``sin(w0 * (W x + b))`` with SIREN's initialisation (Sitzmann et al. 2020, Sec. 3.2):
    first layer ``W ~ U(-1/n, 1/n)``, later layers ``W ~ U(-sqrt(6/n)/w0, sqrt(6/n)/w0)``."""

    def __init__(self, in_features: int, out_features: int, *, w0: float = 30.0, is_first: bool = False,
                 dtype=torch.float32):
        super().__init__()
        self.w0 = float(w0)
        self.linear = nn.Linear(in_features, out_features, dtype=dtype)
        bound = 1.0 / in_features if is_first else math.sqrt(6.0 / in_features) / self.w0
        with torch.no_grad():
            self.linear.weight.uniform_(-bound, bound)

    def forward(self, x):
        return torch.sin(self.w0 * self.linear(x))


class Siren(TimeModel):
    """SIREN: ``depth`` sine layers (``first`` then ``hidden_layers``) and a linear ``head``,
    whose weights use the same bound as the hidden layers (the reference implementation)."""

    def __init__(self, out_features: int, *, hidden: int = 128, depth: int = 3, w0: float = 30.0,
                 input_offset: float = 0.0, input_scale: float = 1.0, dtype=torch.float32):
        super().__init__(input_offset, input_scale, dtype, out_features)
        if depth < 1:
            raise InputError(f"depth must be at least 1, got {depth}")
        self.first = SineLayer(1, hidden, w0=w0, is_first=True, dtype=self.dtype)
        self.hidden_layers = nn.ModuleList(
            SineLayer(hidden, hidden, w0=w0, dtype=self.dtype) for _ in range(depth - 1)
        )
        self.head = nn.Linear(hidden, out_features, dtype=self.dtype)
        bound = math.sqrt(6.0 / hidden) / w0
        with torch.no_grad():
            self.head.weight.uniform_(-bound, bound)

    @torch.no_grad()
    def set_first_layer(self, angular_frequency, phase, units=None):
        """Make first-layer unit k compute ``sin(angular_frequency[k]*x + phase[k])`` in raw x.

        ``units`` (default ``0..len-1``) picks the units; the others keep their init. With
        ``u = (x - c)/s``: ``W = angular_frequency*s/w0``, ``b = (phase + angular_frequency*c)/w0``.
        """
        w = torch.as_tensor(angular_frequency, dtype=torch.float64).reshape(-1)
        p = torch.as_tensor(phase, dtype=torch.float64).reshape(-1)
        idx = torch.arange(len(w)) if units is None else torch.as_tensor(units).reshape(-1)
        if not (len(w) == len(p) == len(idx)) or len(w) > self.first.linear.out_features:
            raise InputError("angular_frequency, phase and units must have one entry per unit, "
                             f"at most {self.first.linear.out_features}")
        w0 = self.first.w0
        lin = self.first.linear
        lin.weight[idx, 0] = (w * self.input_scale / w0).to(lin.weight)
        lin.bias[idx] = ((p + w * self.input_offset) / w0).to(lin.bias)
        return self

    def _forward(self, u64):
        h = self.first(u64.to(self.dtype).unsqueeze(1))
        for layer in self.hidden_layers:
            h = layer(h)
        return self.head(h)


class Snake(nn.Module):
    """Snake activation ``x + sin^2(a x)/a`` with a trainable ``a`` per channel (Ziyin et al. 2020).

    Written as ``x + a x^2 sinc^2(a x)`` (``sinc(z) = sin z / z``), the same function without a
    division: finite with finite gradients at a = 0, where it tends to the identity, and correct for
    a < 0. No epsilon clamps the parameter.
    """

    def __init__(self, channels: int, a: float = 1.0, dtype=torch.float32):
        super().__init__()
        self.a = nn.Parameter(torch.full((channels,), float(a), dtype=dtype))

    def forward(self, x):
        ax = self.a * x
        return x + self.a * x * x * torch.sinc(ax / math.pi) ** 2  # torch.sinc is sin(pi z)/(pi z)


class SnakeMLP(TimeModel):
    """An MLP whose activations are :class:`Snake` (``acts[i]`` follows hidden layer i)."""

    def __init__(self, out_features: int, *, hidden: int = 128, depth: int = 3, a: float = 1.0,
                 input_offset: float = 0.0, input_scale: float = 1.0, dtype=torch.float32):
        super().__init__(input_offset, input_scale, dtype, out_features)
        self.net = _mlp(1, hidden, depth, out_features, lambda w: Snake(w, a, dtype=self.dtype), self.dtype)

    @property
    def acts(self) -> list[Snake]:
        return [m for m in self.net if isinstance(m, Snake)]

    def _forward(self, u64):
        return self.net(u64.to(self.dtype).unsqueeze(1))


class FourierFeatures(nn.Module):
    """``[cos(2 pi (B u + phase/2pi)), sin(...)]``, B fixed (Tancik et al. 2020, Eq. 5, 1-D input).

    ``frequency`` (B, cycles per unit of u) and ``phase`` (radians) are float64 buffers: the
    product ``B u`` is reduced mod 1 in float64 and only the angle is cast to the model dtype.
    """

    def __init__(self, n_features: int, sigma: float, dtype=torch.float32):
        super().__init__()
        self.dtype = resolve_dtype(dtype)
        self.register_buffer("frequency", torch.randn(n_features, dtype=torch.float64) * float(sigma))
        self.register_buffer("phase", torch.zeros(n_features, dtype=torch.float64))

    @property
    def n_features(self) -> int:
        return self.frequency.numel()

    def forward(self, u64):
        cycles = torch.remainder(u64.unsqueeze(1) * self.frequency + self.phase / (2 * math.pi), 1.0)
        angle = (2 * math.pi * cycles).to(self.dtype)
        return torch.cat([torch.cos(angle), torch.sin(angle)], dim=1)


class FourierMLP(TimeModel):
    """Fourier features (``features``) then a ReLU MLP (``mlp``), as in Tancik et al. 2020."""

    def __init__(self, out_features: int, *, hidden: int = 128, depth: int = 3, n_features: int = 128,
                 sigma: float = 10.0, input_offset: float = 0.0, input_scale: float = 1.0,
                 dtype=torch.float32):
        super().__init__(input_offset, input_scale, dtype, out_features)
        self.features = FourierFeatures(n_features, sigma, dtype=self.dtype)
        self.mlp = _mlp(2 * n_features, hidden, depth, out_features, lambda w: nn.ReLU(), self.dtype)

    @torch.no_grad()
    def set_features(self, angular_frequency, phase=None, features=None):
        """Make feature k ``sin(angular_frequency[k]*x + phase[k])`` (and its cosine) in raw x.

        Stored in u units: ``B = angular_frequency*s/(2 pi)``, ``phase_u = phase + angular_frequency*c``,
        all in float64. ``features`` (default ``0..len-1``) picks which; the others keep their draw.
        """
        w = torch.as_tensor(angular_frequency, dtype=torch.float64).reshape(-1)
        p = torch.zeros_like(w) if phase is None else torch.as_tensor(phase, dtype=torch.float64).reshape(-1)
        idx = torch.arange(len(w)) if features is None else torch.as_tensor(features).reshape(-1)
        if not (len(w) == len(p) == len(idx)) or len(w) > self.features.n_features:
            raise InputError("angular_frequency, phase and features must have one entry per feature, "
                             f"at most {self.features.n_features}")
        dev = self.features.frequency.device
        self.features.frequency[idx] = (w * self.input_scale / (2 * math.pi)).to(dev)
        # the feature is 2 pi (B u) + phase_u = w (x - c) + phase_u: add w c back, reduced mod 2 pi
        self.features.phase[idx] = torch.remainder(p + w * self.input_offset, 2 * math.pi).to(dev)
        return self

    def _forward(self, u64):
        return self.mlp(self.features(u64))


MODELS: dict[str, type[TimeModel]] = {
    "sin": Sin,
    "siren": Siren,
    "gelu": GeluMLP,
    "snake": SnakeMLP,
    "fourier": FourierMLP,
}


@dataclass
class ModelConfig:
    """What :func:`build_model` builds. Saved with every result."""

    name: str = "sin"  # one of MODELS
    dtype: str = "float32"  # parameter dtype; the time is normalised in float64 first
    seed: int = 0  # weight initialisation (torch RNG, forked: the global state is untouched)
    hidden: int = 128  # width of each hidden layer (MLPs)
    depth: int = 3  # hidden layers (MLPs); sine layers for SIREN
    w0: float = 30.0  # SIREN frequency scale (Sitzmann et al. 2020 use 30)
    sigma: float = 10.0  # Fourier features: B ~ N(0, sigma^2), cycles per unit of u
    n_features: int = 128  # Fourier features (each gives a cosine and a sine)
    snake_a: float = 1.0  # initial Snake a (Ziyin et al. 2020 use 0.5 to 50)

    def __post_init__(self):
        if self.name not in MODELS:
            raise InputError(f"unknown model {self.name!r}; choose one of {', '.join(MODELS)}")
        resolve_dtype(self.dtype)
        for key in ("hidden", "depth", "n_features"):
            if int(getattr(self, key)) < 1:
                raise InputError(f"{key} must be a positive integer, got {getattr(self, key)}")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def build_model(config: ModelConfig, task) -> TimeModel:
    """A freshly initialised model for ``task`` (its output size and time normalisation).

    Initialisation draws from a forked torch RNG seeded with ``config.seed``: the same config
    always gives the same weights, and the caller's global RNG state is left as it was.
    """
    dtype = resolve_dtype(config.dtype)
    common = dict(input_offset=task.input_offset, input_scale=task.input_scale, dtype=dtype)
    mlp = dict(hidden=config.hidden, depth=config.depth)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(config.seed)
        if config.name == "sin":
            if task.out_features != 1:
                raise InputError("the Sin model has a single output and only fits the sine task; "
                                 "use siren, gelu, snake or fourier for the clock")
            model = Sin(dtype=dtype)
        elif config.name == "siren":
            model = Siren(task.out_features, w0=config.w0, **mlp, **common)
        elif config.name == "gelu":
            model = GeluMLP(task.out_features, **mlp, **common)
        elif config.name == "snake":
            model = SnakeMLP(task.out_features, a=config.snake_a, **mlp, **common)
        else:
            model = FourierMLP(task.out_features, n_features=config.n_features, sigma=config.sigma,
                               **mlp, **common)
    model.config = config
    return model


__all__ = [
    "DTYPES", "MODELS", "FourierFeatures", "FourierMLP", "GeluMLP", "ModelConfig", "Sin", "SineLayer",
    "Siren", "Snake", "SnakeMLP", "TimeModel", "build_model", "resolve_dtype",
]
