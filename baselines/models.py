"""The models gradient descent cannot train on periodic targets. Imports only torch (and
:mod:`sigfit.nn`, the torch side of sigfit, for the spectral mapping).

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
nerf     ``u`` in float64; ``2^k pi u`` reduced mod 2 pi in float64, then cast
fan      ``u`` in float64 into the first layer's periodic part (``W_p u + b_p`` in float64),
         the rest in the dtype
hayes    ``n = (x - start)/step`` in float64 (samples since the record's start); ``z^n`` in
         complex128, the head in the dtype
======== ============================================================================

``input_offset``/``input_scale`` come from the task (sine: 0 and R; clock: the centre and
half-width of the span), so ``u`` lies in [-1, 1]. A float32 ``u`` cannot resolve the clock's
seconds (see :mod:`baselines.tasks`).

The registry: every family is a :class:`TimeModel` subclass that names itself (``name``),
builds itself from a :class:`ModelConfig` (:meth:`TimeModel.from_config`), owns its
initialisation from an estimate (:meth:`TimeModel.init_from_estimate`, through its own setters)
and says which config field is its bandwidth knob (``bandwidth``, swept by ``sigfit compare
--sweep``). :data:`MODELS` lists the classes, so a family's name is written once, on its class.
Adding a family is one class and one entry in ``_FAMILIES``.

Build models with :func:`build_model` (seeded, in the requested dtype); do not call ``.float()``
or ``.double()`` on them afterwards: several keep float64 buffers on purpose.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any, ClassVar

import numpy as np
import torch
from torch import nn

from sigfit._numerics import TWO_PI
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


def _tones(est):
    from sigfit.features import tones

    return tones(est)


def _centred_angles(tone_list, centre: float) -> np.ndarray:
    """Each tone's phase at ``x = centre`` (radians), reduced exactly (:func:`sigfit.features.tone_angles`)."""
    from sigfit.features import tone_angles

    return tone_angles(tone_list, np.array([float(centre)]))[0]


def _spectral_units(tone_list, n_units: int, k: float, per_unit: int = 1, activation: str = "sin"):
    """What :func:`sigfit.nn.param_groups` needs to cap the step of a weight set to the tones'
    angular frequencies times ``k``: their error bars and their basin (4.49/R), in weight units."""
    from sigfit.nn import BASIN_ROOT, SpectralUnits

    err = [TWO_PI * tn.harmonic * tn.frequency_err * k for tn in tone_list]
    half = float(tone_list[0].t_scale) if tone_list else 0.0
    basin = BASIN_ROOT / half * k if half > 0 else math.inf
    return SpectralUnits(tuple(range(n_units)), tuple(np.repeat(err, per_unit).tolist()),
                         (basin,) * n_units, activation)


class TimeModel(nn.Module):
    """Base: holds the time normalisation and the dtype; subclasses implement ``_forward``.

    Class attributes every family sets: ``name`` (its registry key), ``bandwidth`` (the
    :class:`ModelConfig` field that sets the highest frequency it starts with, or None),
    ``bandwidth_grid`` (the values ``--sweep`` tries, as multiples of the default when
    ``bandwidth_relative``), ``spectral_variants`` (the inits :meth:`init_from_estimate` accepts,
    empty when the family has no principled one) and ``sine_only``.
    """

    name: ClassVar[str] = ""
    bandwidth: ClassVar[str | None] = None
    bandwidth_grid: ClassVar[tuple[float, ...]] = ()
    bandwidth_relative: ClassVar[bool] = True
    spectral_variants: ClassVar[tuple[str, ...]] = ()
    sine_only: ClassVar[bool] = False
    no_spectral_reason: ClassVar[str] = ""
    # parameters kept in float64 whatever the dtype: they multiply the time (phase precision)
    float64_parameters: ClassVar[tuple[str, ...]] = ()

    def __init__(self, input_offset: float, input_scale: float, dtype: torch.dtype, out_features: int):
        super().__init__()
        if not (math.isfinite(input_scale) and input_scale > 0):
            raise InputError(f"input_scale must be positive, got {input_scale}")
        self.input_offset = float(input_offset)
        self.input_scale = float(input_scale)
        self.dtype = resolve_dtype(dtype)
        self.out_features = int(out_features)

    @classmethod
    def from_config(cls, config: ModelConfig, task) -> TimeModel:  # pragma: no cover - abstract
        raise NotImplementedError

    @staticmethod
    def _common(config: ModelConfig, task) -> dict[str, Any]:
        return dict(input_offset=task.input_offset, input_scale=task.input_scale,
                    dtype=resolve_dtype(config.dtype), hidden=config.hidden, depth=config.depth)

    def init_from_estimate(self, est, task=None, variant: str = "spectral") -> TimeModel:
        """Put the estimate's tones into the model (in place; returns it). ``variant`` is one of
        ``spectral_variants``. The base class has none and says why."""
        raise InputError(f"model {self.name!r} has no spectral initialisation"
                         + (f": {self.no_spectral_reason}" if self.no_spectral_reason else ""))

    def _check_variant(self, variant: str) -> None:
        if variant not in self.spectral_variants:
            raise InputError(f"unknown init {variant!r} for {self.name}; choose one of "
                             f"{', '.join(self.spectral_variants)}")

    @classmethod
    def learning_rate(cls, config: ModelConfig, task, batch: int, amplitude: float = 1.0) -> dict[str, Any]:
        """Optimiser and lr, the same for random and spectral init (:mod:`baselines.spectral`):
        Adam at 1e-3, one step moving a first-layer phase by at most ~0.03 rad at ``abs(u) = 1``."""
        return {"optimizer": "adam", "lr": 1e-3}

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

    name = "sin"
    spectral_variants = ("spectral",)
    sine_only = True

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

    @classmethod
    def from_config(cls, config, task):
        if task.out_features != 1:
            raise InputError("the Sin model has a single output and only fits the sine task; "
                             "use siren, gelu, snake, fourier, nerf, fan or hayes for the clock")
        return cls(dtype=resolve_dtype(config.dtype))

    @classmethod
    def learning_rate(cls, config, task, batch, amplitude=1.0):
        """Plain SGD at half the mean-square stability limit at the optimum
        (:func:`baselines.stable_lr`), whose curvature does not depend on the start."""
        from .landscape import stable_lr

        return {"optimizer": "sgd", "lr": 0.5 * stable_lr(task.input_scale, amplitude=amplitude, batch=batch)}

    @torch.no_grad()
    def set(self, freq: float | None = None, phase: float | None = None, amplitude: float | None = None):
        """Set any of the three (angular frequency in rad per unit x)."""
        for name, v in (("freq", freq), ("phase", phase), ("amplitude", amplitude)):
            if v is not None:
                getattr(self, name).fill_(float(v))
        return self

    def init_from_estimate(self, est, task=None, variant="spectral"):
        """The strongest tone's angular frequency, phase and amplitude (``A sin(w x + p)``)."""
        self._check_variant(variant)
        c = est.results[0].components[0]
        return self.set(freq=c.angular_frequency, phase=c.phase, amplitude=c.amplitude)

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

    name = "gelu"
    no_spectral_reason = "a GELU MLP has no frequency parameter to set"

    def __init__(self, out_features: int, *, hidden: int = 128, depth: int = 3,
                 input_offset: float = 0.0, input_scale: float = 1.0, dtype=torch.float32):
        super().__init__(input_offset, input_scale, dtype, out_features)
        self.net = _mlp(1, hidden, depth, out_features, lambda w: nn.GELU(), self.dtype)

    @classmethod
    def from_config(cls, config, task):
        return cls(task.out_features, **cls._common(config, task))

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
    whose weights use the same bound as the hidden layers (the reference implementation).

    Spectral inits: ``"spectral"`` (the first layer's frequencies train in their own optimiser
    group, their step capped by :func:`sigfit.nn.param_groups`) and ``"spectral-frozen"`` (the
    first layer does not train at all)."""

    name = "siren"
    bandwidth = "w0"
    bandwidth_grid = (1.0, 1e2, 1e4, 1e6)
    spectral_variants = ("spectral", "spectral-frozen")

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

    @classmethod
    def from_config(cls, config, task):
        return cls(task.out_features, w0=config.w0, **cls._common(config, task))

    @classmethod
    def learning_rate(cls, config, task, batch, amplitude=1.0):
        """``1e-3 / w0``: the first layer is scaled by w0, so a step of lr moves a phase by lr*w0."""
        return {"optimizer": "adam", "lr": 1e-3 / float(config.w0)}

    @torch.no_grad()
    def set_first_layer(self, angular_frequency, phase, units=None, *, centred: bool = False):
        """Make first-layer unit k compute ``sin(angular_frequency[k]*x + phase[k])`` in raw x.

        ``units`` (default ``0..len-1``) picks the units; the others keep their init. With
        ``u = (x - c)/s``: ``W = angular_frequency*s/w0``, ``b = (phase + angular_frequency*c)/w0``;
        ``centred=True`` when ``phase`` is already the phase at ``x = c`` (exactly reduced: the
        clock's ``angular_frequency*c`` is ~2e8 rad).
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
        at_c = p if centred else torch.remainder(p + w * self.input_offset, TWO_PI)
        lin.bias[idx] = (at_c / w0).to(lin.bias)
        return self

    def init_from_estimate(self, est, task=None, variant="spectral"):
        """First-layer units 2k and 2k+1 compute ``sin`` and ``cos`` of tone k in raw x (tones as
        :func:`sigfit.features.tones` orders them, as many as half the width holds; the rest keep
        SIREN's init). ``"spectral-frozen"`` then stops the first layer from training."""
        self._check_variant(variant)
        tone_list = _tones(est)[: self.first.linear.out_features // 2]
        omega = np.repeat([tn.angular_frequency for tn in tone_list], 2)
        phi = _centred_angles(tone_list, self.input_offset)
        phase = np.stack([phi, phi + math.pi / 2], axis=1).reshape(-1)
        self.set_first_layer(omega, phase, centred=True)
        lin = self.first.linear
        lin.sigfit_spectral = _spectral_units(tone_list, omega.size, self.input_scale / self.first.w0, 2)
        if variant == "spectral-frozen":
            lin.weight.requires_grad_(False)
            lin.bias.requires_grad_(False)
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

    name = "snake"
    bandwidth = "snake_a"
    bandwidth_grid = (1.0, 1e2, 1e4, 1e6)
    spectral_variants = ("spectral",)

    def __init__(self, out_features: int, *, hidden: int = 128, depth: int = 3, a: float = 1.0,
                 input_offset: float = 0.0, input_scale: float = 1.0, dtype=torch.float32):
        super().__init__(input_offset, input_scale, dtype, out_features)
        self.net = _mlp(1, hidden, depth, out_features, lambda w: Snake(w, a, dtype=self.dtype), self.dtype)

    @classmethod
    def from_config(cls, config, task):
        return cls(task.out_features, a=config.snake_a, **cls._common(config, task))

    @property
    def acts(self) -> list[Snake]:
        return [m for m in self.net if isinstance(m, Snake)]

    def init_from_estimate(self, est, task=None, variant="spectral"):
        """The frequency goes into the first linear layer's weights and ``a = 1`` on the channels
        it sets (:func:`sigfit.nn.spectral_init_`, ``activation="snake"``): channel pair
        (2k, 2k+1) has ``sin^2`` parts ``(1 + sin)/2`` and ``(1 + cos)/2`` of tone k in raw x.
        Snake's linear part stays: its pre-activation is ~``omega s`` (3e4 on the sine) and the
        periodic part at most 1, so a random layer above sees only the linear parts. The second
        linear layer therefore takes each pair's difference (which cancels them) in its first
        units and ignores the pairs elsewhere."""
        from sigfit.nn import spectral_init_

        self._check_variant(variant)
        used = spectral_init_(self.net[0], est, input_scale=self.input_scale,
                              input_offset=self.input_offset, activation="snake")
        with torch.no_grad():
            self.acts[0].a[:used] = 1.0
            second = self.net[2] if len(self.net) > 3 else None
            if second is not None:
                # the layer above reads each pair's difference, in which the linear parts
                # (~omega s, identical up to a constant pi/4) cancel and the tone remains:
                # (sin(theta) - cos(theta))/2 - pi/4; every other unit of it ignores the pairs
                second.weight[:, :used] = 0.0
                rows = min(used // 2, second.out_features)
                for k in range(rows):
                    second.weight[k, 2 * k] = 1.0
                    second.weight[k, 2 * k + 1] = -1.0
                    second.bias[k] = math.pi / 4
        return self

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
    """Fourier features (``features``) then a ReLU MLP (``mlp``), as in Tancik et al. 2020.

    Spectral inits: ``"spectral"`` (features at the estimated tones) and ``"spectral-head"``
    (also the output layer set to the least-squares fit of the estimate batch's targets on the
    activations below it, :func:`sigfit.nn.fit_head_`: the model starts at the fit)."""

    name = "fourier"
    bandwidth = "sigma"
    bandwidth_grid = (1.0, 1e2, 1e4, 1e6)
    spectral_variants = ("spectral", "spectral-head")

    def __init__(self, out_features: int, *, hidden: int = 128, depth: int = 3, n_features: int = 128,
                 sigma: float = 10.0, input_offset: float = 0.0, input_scale: float = 1.0,
                 dtype=torch.float32):
        super().__init__(input_offset, input_scale, dtype, out_features)
        self.features = FourierFeatures(n_features, sigma, dtype=self.dtype)
        self.mlp = _mlp(2 * n_features, hidden, depth, out_features, lambda w: nn.ReLU(), self.dtype)

    @classmethod
    def from_config(cls, config, task):
        return cls(task.out_features, n_features=config.n_features, sigma=config.sigma,
                   **cls._common(config, task))

    @torch.no_grad()
    def set_features(self, angular_frequency, phase=None, features=None, *, centred: bool = False):
        """Make feature k ``sin(angular_frequency[k]*x + phase[k])`` (and its cosine) in raw x.

        Stored in u units: ``B = angular_frequency*s/(2 pi)``, ``phase_u = phase + angular_frequency*c``
        (or ``phase`` itself when ``centred``: already the phase at ``x = c``), all in float64.
        ``features`` (default ``0..len-1``) picks which; the others keep their draw.
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
        at_c = p if centred else p + w * self.input_offset
        self.features.phase[idx] = torch.remainder(at_c, 2 * math.pi).to(dev)
        return self

    def init_from_estimate(self, est, task=None, variant="spectral"):
        """Features at the estimated frequencies and harmonics (as many as the model has), phases
        reduced exactly at the input's centre; the remaining features keep their draw."""
        self._check_variant(variant)
        tone_list = _tones(est)[: self.features.n_features]
        self.set_features([tn.angular_frequency for tn in tone_list],
                          _centred_angles(tone_list, self.input_offset), centred=True)
        if variant == "spectral-head":
            _fit_output_layer(self, self.mlp[-1], lambda u: self.mlp[:-1](self.features(u)), est, task)
        return self

    def _forward(self, u64):
        return self.mlp(self.features(u64))


def head_targets(task, y) -> np.ndarray:
    """What an output layer should produce for targets ``y`` of ``task``: ``y`` for regression;
    for the clock's classify head, a logit of +m for the right class of each digit and 0 for
    the others (``m = 10``: a softmax then gives it ~99.9% of the mass against 60 classes)."""
    y = np.asarray(y)
    if getattr(task, "head", "regress") != "classify":
        return y.reshape(len(y), -1).astype(np.float64)
    blocks = []
    for k, b in enumerate(task.digit_bases):
        onehot = np.zeros((len(y), b))
        onehot[np.arange(len(y)), y[:, k].astype(np.int64)] = 10.0
        blocks.append(onehot)
    return np.concatenate(blocks, axis=1)


def _fit_output_layer(model: TimeModel, linear: nn.Linear, below, est, task) -> float:
    """Set ``linear`` to the least-squares fit, on the estimate batch, of the targets on what
    ``below(u)`` feeds it (:func:`sigfit.nn.fit_head_`)."""
    from sigfit.nn import fit_head_

    if task is None:
        raise InputError("fitting the output layer needs the task (its targets)")
    u = model.normalise(torch.as_tensor(est.x, dtype=torch.float64))
    with torch.no_grad():
        h = below(u)
    return fit_head_(linear, h, None, head_targets(task, est.y))


class NerfEncoding(nn.Module):
    """NeRF's positional encoding of a 1-D input (Mildenhall et al. 2020, Eq. 4):
    ``[u, sin(2^0 pi u), cos(2^0 pi u), ..., sin(2^(L-1) pi u), cos(2^(L-1) pi u)]``, ``L = levels``.
    The angles are reduced mod 2 pi in float64 before the cast."""

    def __init__(self, levels: int, dtype=torch.float32):
        super().__init__()
        if int(levels) < 1:
            raise InputError(f"levels must be a positive integer, got {levels}")
        self.dtype = resolve_dtype(dtype)
        self.register_buffer("scale", 2.0 ** torch.arange(int(levels), dtype=torch.float64) * math.pi)

    @property
    def out_features(self) -> int:
        return 1 + 2 * self.scale.numel()

    def forward(self, u64):
        angle = torch.remainder(u64.unsqueeze(1) * self.scale, TWO_PI).to(self.dtype)
        return torch.cat([u64.unsqueeze(1).to(self.dtype), torch.sin(angle), torch.cos(angle)], dim=1)


class NerfMLP(TimeModel):
    """Positional encoding (``encoding``) then a ReLU MLP (``mlp``): the practitioner's default
    (Mildenhall et al. 2020 use L = 10 for positions; width and depth here are the shared ones).

    No spectral initialisation: the encoding's frequencies are fixed powers of two, and setting
    them to the estimate would make this the Fourier-feature model. ``levels`` is the bandwidth
    (the top frequency is ``2^(L-1) pi`` rad per unit of u)."""

    name = "nerf"
    bandwidth = "levels"
    bandwidth_grid = (10, 16, 24, 32)
    bandwidth_relative = False
    no_spectral_reason = ("its frequencies are fixed powers of two; set to the estimate they would "
                          "make it the Fourier-feature model (fourier)")

    def __init__(self, out_features: int, *, hidden: int = 128, depth: int = 3, levels: int = 10,
                 input_offset: float = 0.0, input_scale: float = 1.0, dtype=torch.float32):
        super().__init__(input_offset, input_scale, dtype, out_features)
        self.encoding = NerfEncoding(levels, dtype=self.dtype)
        self.mlp = _mlp(self.encoding.out_features, hidden, depth, out_features, lambda w: nn.ReLU(), self.dtype)

    @classmethod
    def from_config(cls, config, task):
        return cls(task.out_features, levels=config.levels, **cls._common(config, task))

    def _forward(self, u64):
        return self.mlp(self.encoding(u64))


class FANLayer(nn.Module):
    """One layer of FAN (Dong et al. 2024, arXiv 2410.02675, Eq. 9):
    ``[cos(W_p x + b_p), sin(W_p x + b_p), act(W x + b)]`` with ``d_p = p_ratio * out`` periodic
    units (their default 1/4, GELU, ``b_p`` on: the authors' code). ``first=True`` computes the
    periodic part in float64 (the input is time: its phase must not be rounded)."""

    def __init__(self, in_features: int, out_features: int, *, p_ratio: float = 0.25, first: bool = False,
                 dtype=torch.float32):
        super().__init__()
        if not 0 < p_ratio < 0.5:
            raise InputError(f"fan p_ratio must be in (0, 0.5), got {p_ratio}")
        n_p = max(1, int(out_features * p_ratio))
        n_g = out_features - 2 * n_p
        if n_g < 1:
            raise InputError(f"a FAN layer of width {out_features} has no room for its GELU part")
        self.first = bool(first)
        self.periodic = nn.Linear(in_features, n_p, dtype=torch.float64 if first else dtype)
        self.gate = nn.Linear(in_features, n_g, dtype=dtype)
        self.dtype = resolve_dtype(dtype)

    def forward(self, x):
        p = self.periodic(x.to(self.periodic.weight.dtype))
        if self.first:
            p = torch.remainder(p, TWO_PI)
        p = p.to(self.dtype)
        return torch.cat([torch.cos(p), torch.sin(p), nn.functional.gelu(self.gate(x.to(self.dtype)))], dim=1)


class FanMLP(TimeModel):
    """FAN: ``depth`` :class:`FANLayer` s and a linear head (Dong et al. 2024). The first layer's
    ``W_p`` starts at PyTorch's default draw times ``fan_scale`` (1: the paper's; the sweep's
    bandwidth knob, since ``U(-1, 1)`` rad per unit of u is far below any tone here).

    Spectral init: the first layer's periodic units carry the estimated tones (``W_p = omega s``,
    ``b_p`` the phase at the centre); their frequencies train in their own capped group."""

    name = "fan"
    bandwidth = "fan_scale"
    bandwidth_grid = (1.0, 1e2, 1e4, 1e6)
    spectral_variants = ("spectral",)
    float64_parameters = ("layers.0.periodic.weight", "layers.0.periodic.bias")

    def __init__(self, out_features: int, *, hidden: int = 128, depth: int = 3, p_ratio: float = 0.25,
                 scale: float = 1.0, input_offset: float = 0.0, input_scale: float = 1.0,
                 dtype=torch.float32):
        super().__init__(input_offset, input_scale, dtype, out_features)
        self.layers = nn.ModuleList(
            FANLayer(1 if i == 0 else hidden, hidden, p_ratio=p_ratio, first=i == 0, dtype=self.dtype)
            for i in range(depth))
        self.head = nn.Linear(hidden, out_features, dtype=self.dtype)
        with torch.no_grad():
            self.layers[0].periodic.weight.mul_(float(scale))

    @classmethod
    def from_config(cls, config, task):
        return cls(task.out_features, p_ratio=config.fan_p_ratio, scale=config.fan_scale,
                   **cls._common(config, task))

    def init_from_estimate(self, est, task=None, variant="spectral"):
        """Periodic unit k of the first layer is tone k: ``cos``/``sin`` of ``omega (x - c) + phi_c``."""
        self._check_variant(variant)
        lin = self.layers[0].periodic
        tone_list = _tones(est)[: lin.out_features]
        idx = torch.arange(len(tone_list))
        with torch.no_grad():
            lin.weight[idx, 0] = torch.tensor([tn.angular_frequency * self.input_scale for tn in tone_list],
                                              dtype=torch.float64).to(lin.weight)
            lin.bias[idx] = torch.as_tensor(_centred_angles(tone_list, self.input_offset)).to(lin.bias)
        lin.sigfit_spectral = _spectral_units(tone_list, len(tone_list), self.input_scale)
        return self

    def _forward(self, u64):
        h = u64.unsqueeze(1)
        for layer in self.layers:
            h = layer(h)
        return self.head(h.to(self.dtype))


class HayesBank(TimeModel):
    """A bank of ``n_features`` surrogate oscillators and a linear head: Hayes, Saitis and
    Fazekas, "Sinusoidal frequency estimation by gradient descent", ICASSP 2023 (arXiv
    2210.14476; their code: github.com/ben-hayes/sinusoidal-gradient-descent). Written here from
    the paper, not copied.

    Oscillator k is ``z_k^n`` with ``z_k`` a free complex parameter and ``n = (x - start)/step``
    the (fractional) sample index from the record's start; its real and imaginary parts feed the
    head, so the output is ``sum_k Re(a_k z_k^n)``, their exponentially decaying sinusoid with a
    complex amplitude. The gradient in ``z`` (Wirtinger) points towards the target's frequency
    from afar, where that of a real sinusoid's frequency vanishes; at the optimum ``|z| = 1``.
    ``step = span/hayes_samples``: the surrogate represents angles up to pi per sample, so
    ``hayes_samples`` is the bandwidth (their signals have N = 2048 samples). ``z`` starts with
    ``|z| ~ U(0.5, 1)`` and angle ``~ U(0, pi)``.

    On the clock the bank feeds a classify head (the digit logits are linear in the
    oscillators' real and imaginary parts: a cosine of the phase per class, as
    :class:`baselines.spectral.ClockPhaseModel`). ``|z|^n`` underflows to 0 for any
    ``|z| < 1`` within ``n ~ 1e3/(1-|z|)`` samples: at the clock's ~1e8 samples only the
    spectral init (``|z| = 1``) gives the head anything to read.

    Spectral init: ``z_k = exp(i omega_k step)`` at the estimated tones, with ``step`` chosen so
    that the fastest tone turns by at most pi/2 per sample (the estimate sets the bandwidth).
    """

    name = "hayes"
    bandwidth = "hayes_samples"
    bandwidth_grid = (2**11, 2**15, 2**19, 2**23, 2**27)
    bandwidth_relative = False
    spectral_variants = ("spectral", "spectral-head")
    float64_parameters = ("bank.weight",)

    def __init__(self, out_features: int, *, n_oscillators: int = 128, samples: int = 2048,
                 input_offset: float = 0.0, input_scale: float = 1.0, dtype=torch.float32):
        super().__init__(input_offset, input_scale, dtype, out_features)
        if int(samples) < 2:
            raise InputError(f"hayes_samples must be at least 2, got {samples}")
        self.start = self.input_offset - self.input_scale
        self.register_buffer("step", torch.tensor(2.0 * self.input_scale / int(samples), dtype=torch.float64))
        mag = torch.empty(n_oscillators, dtype=torch.float64).uniform_(0.5, 1.0)
        ang = torch.empty(n_oscillators, dtype=torch.float64).uniform_(0.0, math.pi)
        self.bank = _ZBank(torch.stack([mag * torch.cos(ang), mag * torch.sin(ang)], dim=1))
        self.head = nn.Linear(2 * n_oscillators, out_features, dtype=self.dtype)

    @classmethod
    def from_config(cls, config, task):
        return cls(task.out_features, n_oscillators=config.n_features, samples=config.hayes_samples,
                   input_offset=task.input_offset, input_scale=task.input_scale,
                   dtype=resolve_dtype(config.dtype))

    @property
    def z(self) -> torch.Tensor:
        return torch.complex(self.bank.weight[:, 0], self.bank.weight[:, 1])

    @property
    def angular_frequency(self) -> torch.Tensor:
        """Each oscillator's frequency, rad per unit of x (``angle(z)/step``)."""
        return torch.angle(self.z).detach() / self.step

    def oscillators(self, x: torch.Tensor) -> torch.Tensor:
        """(n, 2K): ``Re z^n`` then ``Im z^n``, ``z^n = exp(n log z)`` in complex128."""
        n = (x.reshape(-1).to(torch.float64) - self.start) / self.step
        logz = torch.log(self.z)  # principal branch: angle in (-pi, pi], the surrogate's band
        zn = torch.exp(n.unsqueeze(1) * logz)
        return torch.cat([zn.real, zn.imag], dim=1)

    def forward(self, x):
        return self.head(self.oscillators(x).to(self.dtype))

    def init_from_estimate(self, est, task=None, variant="spectral"):
        """``z_k = exp(i omega_k step)`` (``|z| = 1``) at the tones; their step is capped in
        their own optimiser group (:func:`sigfit.nn.param_groups`: one Adam step of 1e-3 would
        move the angle ~5 times the basin). ``"spectral-head"`` also fits the head by least
        squares on the estimate batch (complex amplitudes: the paper's model, complete)."""
        self._check_variant(variant)
        tone_list = _tones(est)[: self.bank.weight.shape[0]]
        omega = np.array([tn.angular_frequency for tn in tone_list])
        with torch.no_grad():
            self.step.fill_(min(float(self.step), 0.5 * math.pi / float(omega.max())))
            idx = torch.arange(omega.size)
            ang = torch.as_tensor(omega, dtype=torch.float64) * self.step
            self.bank.weight[idx, 0] = torch.cos(ang)
            self.bank.weight[idx, 1] = torch.sin(ang)
        # the angle per sample is omega*step: errors and basins in those units (both columns)
        info = _spectral_units(tone_list, len(tone_list), float(self.step))
        self.bank.sigfit_spectral = info
        if variant == "spectral-head":
            # the head reads only the oscillators set from the estimate: the random ones decay
            # within the record, and a least-squares fit would use them where the batch is thin
            K = self.bank.weight.shape[0]
            cols = torch.cat([idx, K + idx])
            part = nn.Linear(cols.numel(), self.out_features, dtype=self.dtype)
            _fit_output_layer(self, part, lambda u: self.oscillators(self._raw(u))[:, cols].to(self.dtype),
                              est, task)
            with torch.no_grad():
                self.head.weight.zero_()
                self.head.weight[:, cols] = part.weight
                self.head.bias.copy_(part.bias)
        return self

    def _raw(self, u64: torch.Tensor) -> torch.Tensor:
        return u64 * self.input_scale + self.input_offset


class _ZBank(nn.Module):
    """The oscillators' complex numbers as a (K, 2) ``weight`` (real, imaginary): a module with
    a ``weight`` is what :func:`sigfit.nn.param_groups` looks for to cap a spectral step."""

    def __init__(self, z: torch.Tensor):
        super().__init__()
        self.weight = nn.Parameter(z.to(torch.float64))


_FAMILIES: tuple[type[TimeModel], ...] = (Sin, Siren, GeluMLP, SnakeMLP, FourierMLP, NerfMLP, FanMLP, HayesBank)
MODELS: dict[str, type[TimeModel]] = {cls.name: cls for cls in _FAMILIES}


def spectral_variants(name: str) -> tuple[str, ...]:
    """The spectral inits family ``name`` offers (empty: none)."""
    return MODELS[name].spectral_variants


@dataclass
class ModelConfig:
    """What :func:`build_model` builds. Saved with every result."""

    name: str = "sin"  # one of MODELS
    dtype: str = "float32"  # parameter dtype; the time is normalised in float64 first
    seed: int = 0  # weight initialisation (torch RNG, forked: the global state is untouched)
    hidden: int = 128  # width of each hidden layer (MLPs)
    depth: int = 3  # hidden layers (MLPs); sine layers for SIREN; FAN layers
    w0: float = 30.0  # SIREN frequency scale (Sitzmann et al. 2020 use 30)
    sigma: float = 10.0  # Fourier features: B ~ N(0, sigma^2), cycles per unit of u
    n_features: int = 128  # Fourier features (each gives a cosine and a sine); Hayes oscillators
    snake_a: float = 1.0  # initial Snake a (Ziyin et al. 2020 use 0.5 to 50)
    levels: int = 10  # NeRF encoding frequencies 2^k pi, k < levels (Mildenhall et al. 2020: 10)
    fan_p_ratio: float = 0.25  # FAN: periodic share of each layer (Dong et al. 2024: 1/4)
    fan_scale: float = 1.0  # FAN: first-layer W_p = default draw * fan_scale (1: the paper's)
    hayes_samples: int = 2048  # Hayes: samples the record spans (their N = 2048)

    def __post_init__(self):
        if self.name not in MODELS:
            raise InputError(f"unknown model {self.name!r}; choose one of {', '.join(MODELS)}")
        resolve_dtype(self.dtype)
        for key in ("hidden", "depth", "n_features", "levels", "hayes_samples"):
            if int(getattr(self, key)) < 1:
                raise InputError(f"{key} must be a positive integer, got {getattr(self, key)}")
        for key in ("w0", "sigma", "fan_scale"):
            v = float(getattr(self, key))
            if not (math.isfinite(v) and v > 0):
                raise InputError(f"{key} must be a positive number, got {getattr(self, key)}")

    @property
    def family(self) -> type[TimeModel]:
        return MODELS[self.name]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def build_model(config: ModelConfig, task) -> TimeModel:
    """A freshly initialised model for ``task`` (its output size and time normalisation), built
    by its family's :meth:`TimeModel.from_config`.

    Initialisation draws from a forked torch RNG seeded with ``config.seed``: the same config
    always gives the same weights, and the caller's global RNG state is left as it was.
    """
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(config.seed)
        model = config.family.from_config(config, task)
    model.config = config
    return model


__all__ = [
    "DTYPES", "MODELS", "FANLayer", "FanMLP", "FourierFeatures", "FourierMLP", "GeluMLP", "HayesBank",
    "ModelConfig", "NerfEncoding", "NerfMLP", "Sin", "SineLayer", "Siren", "Snake", "SnakeMLP", "TimeModel",
    "build_model", "head_targets", "resolve_dtype", "spectral_variants",
]
