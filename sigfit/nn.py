"""Spectral initialisation for anyone's torch model: the only module of ``sigfit`` that imports torch.

Gradient descent cannot find a frequency from afar (the loss of ``sin(w x)`` against the target
is flat outside a basin ``4.49/R`` wide for ``x`` in ``[-R, R]``; see
:mod:`sigfit.baselines.landscape`), but :func:`sigfit.estimate` finds it in ``O(N log N)``. This
module puts an estimate into a model and keeps training from undoing it:

- :class:`PeriodicFeatures`: an ``nn.Module`` mapping float64/int64 time to the same columns as
  :class:`sigfit.features.PeriodicFeatures` (sin/cos of every tone and harmonic, reduced exactly
  in float64, then the trend); ``learnable=True`` makes each frequency ``estimate + delta/span``
  with ``delta`` a parameter, so its gradient acts in units of the record's resolution.
- :func:`spectral_init_`: any ``nn.Linear`` whose outputs go through ``sin`` (SIREN-style),
  a Fourier-feature layer or Snake gets the tones in its units.
- :func:`fit_head_`: the output layer set to the least-squares coefficients on the features
  below it, so the model equals the fit at step 0.
- :func:`param_groups`: the frequency parameters in their own optimiser group, their step
  capped so training refines them without walking out of their basin or their error bar.

The unit mapping (``u = (x - input_offset)/input_scale`` is what the layer sees; ``theta`` is
the tone's angle ``2 pi h f x + phase`` in the caller's ``x``; ``phi_c`` its value at
``x = input_offset``, reduced exactly; units ``2k, 2k+1`` carry tone ``k``'s sine and cosine):

========== ====================================== ===============================================
activation layer output used as                   weight, bias of a unit (``omega = 2 pi h f``)
========== ====================================== ===============================================
sin        ``sin(w0 (W u + b))``                  ``W = omega s/w0``, ``b = (phi_c + e)/w0``,
                                                  ``e`` = 0 (sine) or pi/2 (cosine)
fourier    ``[sin, cos](2 pi w0 (W u + b))``      one unit per tone: ``W = f h s/w0``,
                                                  ``b = phi_c/(2 pi w0)`` (Tancik et al. 2020)
snake      ``v + sin^2(v)``, ``v = w0 (W u + b)`` ``W = omega s/(2 w0)``,
                                                  ``b = (phi_c + pi/2 + e)/(2 w0)``, ``a = 1``
========== ====================================== ===============================================

Snake (Ziyin et al. 2020) is ``v + sin^2(a v)/a``; its periodic part
``sin^2(v) = 1/2 + sin(2 v - pi/2)/2`` oscillates at twice the pre-activation's rate, so the
frequency goes into the weights and ``a`` stays 1. (Putting it into ``a`` instead,
``a = pi f s/|W|``, makes ``a`` 1e4-1e8 for random ``|W|`` and the periodic term
``sin^2(a v)/a`` invisible next to ``v``.)
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .errors import InputError, MissingDependencyError

try:
    import torch
    from torch import nn
except ImportError:  # one line, naming the extra
    raise MissingDependencyError("sigfit.nn needs torch: pip install 'sigfit[torch]'", name="torch") from None

from . import features as _features
from ._numerics import TWO_PI
from ._numerics import two_product as _two_product
from .features import Tone, as_time, feature_names, tone_angles

BASIN_ROOT = 4.493409457909064  # first positive root of tan u = u: the basin is 4.49/R wide
# An adaptive optimiser (Adam, RMSprop) moves every parameter by about lr per step whatever its
# gradient, and jitters by about lr around an optimum: the frequencies' lr is capped at this
# fraction of the smaller of their standard error and their basin half-width.
FREQUENCY_STEP_FRACTION = 0.02
ACTIVATIONS = ("sin", "fourier", "snake")


def _source(result) -> tuple[list[Tone], int, object]:
    """``(tones, trend degree, estimate)`` from an EstimateResult, a list of them, a
    ``TaskEstimate`` or a fitted :class:`sigfit.features.PeriodicFeatures`."""
    if isinstance(result, _features.PeriodicFeatures):
        result._check_fitted()
        return list(result.tones_), int(result.trend_degree_), result.estimate_
    tone_list = _features.tones(result)
    if not tone_list:
        raise InputError("the estimate has no periodic component: nothing to initialise from")
    return tone_list, _features.trend_degree(result), _features._results(result)[0]


def _time_tensor(t, device=None) -> torch.Tensor:
    """Time as a 1-D float64 or int64 tensor (numpy datetime64: seconds since the epoch)."""
    if isinstance(t, torch.Tensor):
        if t.dim() == 2 and t.shape[1] == 1:
            t = t[:, 0]
        if t.dim() != 1:
            raise InputError(f"t must be one column of times (shape (n,) or (n, 1)), got {tuple(t.shape)}")
        if t.is_floating_point() and t.dtype != torch.float64:
            raise InputError(f"t is {t.dtype}: pass float64 or int64 time (t.double()); "
                             f"{t.dtype} cannot hold a phase far from t = 0")
        if not t.is_floating_point():
            t = t.to(torch.int64)
    else:
        t = torch.as_tensor(as_time(t)[0])
    return t if device is None else t.to(device)


def _split(t: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor | None]:
    """:func:`sigfit.features.split_time` for tensors: int64 -> two exact float64 parts."""
    if t.is_floating_point():
        return t, None
    hi = (t >> _features._SPLIT_BITS) << _features._SPLIT_BITS
    return hi.to(torch.float64), (t - hi).to(torch.float64)


def _centred(f: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
    p, e = _two_product(f, t)  # sigfit._numerics' error-free product: operators only, tensors work
    return (p - torch.round(p)) + e


def _offset(t: torch.Tensor, ref: torch.Tensor) -> torch.Tensor:
    """(n, k) ``t - ref`` in float64, exact for int64 ``t`` far from zero."""
    if t.is_floating_point():
        return t.unsqueeze(1) - ref
    r = torch.round(ref)
    return (t.unsqueeze(1) - r.to(torch.int64)).to(torch.float64) - (ref - r)


class PeriodicFeatures(nn.Module):
    """Time -> ``[sin, cos]`` of every tone and harmonic of an estimate, then its trend: the
    columns of :class:`sigfit.features.PeriodicFeatures` as a module. Build with
    :meth:`from_estimate`.

    Input: float64 or int64 time, shape (n,) or (n, 1) (a tensor, or a numpy array, datetime64
    included); output (n, :attr:`out_features`) in the module's dtype (torch's default unless
    ``.double()`` etc.; the angles are always reduced in float64 first: ``.float()`` casts the
    output only, never the frequencies).

    With ``learnable=True``, component ``k``'s frequency is ``f_k + delta_k/span`` (``span =
    2 t_scale``, the record's extent) and its harmonics follow; the phase stays fixed at the
    record's centre ``t_ref``, where it is best known. :func:`param_groups` caps ``delta``'s
    step.

    Examples
    --------
    >>> import numpy as np, torch, sigfit
    >>> from sigfit.nn import PeriodicFeatures
    >>> t = np.linspace(1e9, 1e9 + 100, 400)
    >>> r = sigfit.estimate(t, np.sin(2 * np.pi * t / 9.0 + 1.0))
    >>> feats = PeriodicFeatures.from_estimate(r)
    >>> feats.names
    ['tone0_sin', 'tone0_cos']
    >>> out = feats(torch.as_tensor(t)).double()
    >>> bool(torch.allclose(out[:, 0], torch.as_tensor(np.sin(2 * np.pi * (t - 1e9) / 9.0 + 1.0 + 2 * np.pi * (1e9 / 9.0 % 1))), atol=1e-5))
    True
    """

    _EXACT = ("fundamental", "frequency_err", "phase", "harmonic", "pivot", "t_ref", "t_scale")

    def __init__(self, tone_list: list[Tone], *, learnable: bool = False, trend_degree: int = 0,
                 t_ref: float = 0.0, t_scale: float = 1.0, dtype: torch.dtype | None = None):
        super().__init__()
        if not tone_list:
            raise InputError("PeriodicFeatures needs at least one tone")
        n_comp = max(tn.component for tn in tone_list) + 1
        fund = [math.nan] * n_comp
        err = [math.nan] * n_comp
        pivot = [0.0] * n_comp
        span = [1.0] * n_comp
        for tn in tone_list:
            fund[tn.component], err[tn.component] = tn.frequency, tn.frequency_err
            pivot[tn.component], span[tn.component] = tn.t_ref, 2.0 * tn.t_scale
        f64 = dict(dtype=torch.float64)
        self.tones = list(tone_list)
        self.names = feature_names(tone_list, int(trend_degree))
        self.trend_degree = int(trend_degree)
        self.register_buffer("fundamental", torch.tensor(fund, **f64))
        self.register_buffer("frequency_err", torch.tensor(err, **f64))
        self.register_buffer("pivot", torch.tensor(pivot, **f64))
        self.register_buffer("span", torch.tensor(span, **f64))
        self.register_buffer("phase", torch.tensor([tn.phase for tn in tone_list], **f64))
        self.register_buffer("harmonic", torch.tensor([float(tn.harmonic) for tn in tone_list], **f64))
        self.register_buffer("component", torch.tensor([tn.component for tn in tone_list]))
        self.register_buffer("t_ref", torch.tensor([float(t_ref)], **f64))
        self.register_buffer("t_scale", torch.tensor([float(t_scale)], **f64))
        delta = torch.zeros(n_comp, **f64)
        if learnable:
            self.delta = nn.Parameter(delta)
        else:
            self.register_buffer("delta", delta)
        # follows .float()/.double()/.to(dtype): the output's dtype
        self.register_buffer("_dtype_probe", torch.zeros(0, dtype=dtype or torch.get_default_dtype()))

    @classmethod
    def from_estimate(cls, result, learnable: bool = False, *, trend: bool = True,
                      dtype: torch.dtype | None = None) -> PeriodicFeatures:
        """The features of ``result``: an :class:`~sigfit.EstimateResult`, a list of them (one per
        output), or a fitted :class:`sigfit.features.PeriodicFeatures` (then exactly its columns).
        Significant components only (:func:`sigfit.features.tones`); ``trend=False`` drops the
        trend columns."""
        tone_list, degree, r = _source(result)
        return cls(tone_list, learnable=learnable, trend_degree=degree if trend else 0,
                   t_ref=r.t_ref, t_scale=r.t_scale, dtype=dtype)

    @property
    def out_features(self) -> int:
        return 2 * len(self.tones) + self.trend_degree

    def get_feature_names_out(self) -> np.ndarray:
        """The column names, as :meth:`sigfit.features.PeriodicFeatures.get_feature_names_out`."""
        return np.asarray(self.names, dtype=object)

    @property
    def learnable(self) -> bool:
        return isinstance(self.delta, nn.Parameter)

    @property
    def frequency(self) -> torch.Tensor:
        """Each component's fundamental frequency now (cycles per unit of t)."""
        return self.fundamental + self.delta.to(torch.float64) / self.span

    def _apply(self, fn, recurse=True):
        # .float()/.half() must not round the frequencies and phases: keep them float64
        saved = {name: self._buffers[name] for name in self._EXACT if name in self._buffers}
        super()._apply(fn, recurse)
        for name, value in saved.items():
            self._buffers[name] = value.to(device=self._buffers[name].device)
        return self

    def forward(self, t) -> torch.Tensor:
        t = _time_tensor(t, self.fundamental.device)
        hi, lo = _split(t)
        c = _centred(self.fundamental, hi.unsqueeze(1))
        if lo is not None:
            c = c + _centred(self.fundamental, lo.unsqueeze(1))
        c = self.harmonic * (c - torch.round(c))[:, self.component]
        c = c - torch.round(c)
        need_offset = self.learnable or bool((self.delta != 0).any())
        if need_offset:
            tc = _offset(t, self.pivot) / self.span  # O(1) across the record
            c = c + self.harmonic * (self.delta.to(torch.float64) * tc)[:, self.component]
        angle = TWO_PI * c + self.phase
        out = torch.stack([torch.sin(angle), torch.cos(angle)], dim=2).reshape(t.shape[0], -1)
        if self.trend_degree:
            z = _offset(t, self.t_ref) / self.t_scale
            out = torch.cat([out, torch.cat([z**j for j in range(1, self.trend_degree + 1)], dim=1)], dim=1)
        return out.to(self._dtype_probe.dtype)

    def extra_repr(self) -> str:
        return f"tones={len(self.tones)}, out_features={self.out_features}, learnable={self.learnable}"


# --------------------------------------------------------------------------- initialisation


@dataclass(frozen=True)
class SpectralUnits:
    """What :func:`spectral_init_` put into a layer (kept on it as ``layer.sigfit_spectral`` for
    :func:`param_groups`): the units it set, and per unit the standard error and the basin
    half-width of its weight (in the weight's own units)."""

    units: tuple[int, ...]
    weight_err: tuple[float, ...]
    weight_basin: tuple[float, ...]
    activation: str

    @property
    def lr_cap(self) -> float:
        """Largest adaptive-optimiser step for this layer's weight (see :data:`FREQUENCY_STEP_FRACTION`)."""
        caps = [min(e, b) if math.isfinite(e) and e > 0 else b
                for e, b in zip(self.weight_err, self.weight_basin, strict=True)]
        return FREQUENCY_STEP_FRACTION * min(caps) if caps else math.inf


def spectral_weights(result, n_units: int, *, input_scale: float = 1.0, input_offset: float = 0.0,
                     activation: str = "sin", w0: float = 1.0) -> tuple[np.ndarray, np.ndarray, SpectralUnits]:
    """The mapping behind :func:`spectral_init_`, in float64: ``(weight, bias, info)`` for the
    first units of a layer with ``n_units`` outputs (module docstring's table); ``weight`` and
    ``bias`` hold only the units used."""
    if activation not in ACTIVATIONS:
        raise InputError(f"unknown activation {activation!r}; choose one of {', '.join(ACTIVATIONS)}")
    s, c, w0 = float(input_scale), float(input_offset), float(w0)
    for name, v in (("input_scale", s), ("w0", w0)):
        if not (math.isfinite(v) and v > 0):
            raise InputError(f"{name} must be a positive number, got {v}")
    if not math.isfinite(c):
        raise InputError(f"input_offset must be finite, got {c}")
    tone_list, _, r = _source(result)
    per_unit = 1 if activation == "fourier" else 2
    tone_list = tone_list[: n_units // per_unit]
    if not tone_list:
        raise InputError(f"the layer has {n_units} outputs: spectral_init_ needs at least {per_unit}")
    phi_c = tone_angles(tone_list, np.array([c]))[0]  # phase at x = input_offset, exact
    omega = np.array([tn.angular_frequency for tn in tone_list])
    omega_err = np.array([TWO_PI * tn.harmonic * tn.frequency_err for tn in tone_list])
    half_range = float(r.t_scale)  # the record's half-width: the basin is 4.49 / half_range
    basin = BASIN_ROOT / half_range if half_range > 0 else math.inf
    if activation == "sin":
        k = s / w0
        w = np.repeat(omega * k, 2)
        b = np.stack([phi_c, phi_c + math.pi / 2], axis=1).reshape(-1) / w0
    elif activation == "snake":
        k = s / (2 * w0)
        w = np.repeat(omega * k, 2)
        b = (np.stack([phi_c, phi_c + math.pi / 2], axis=1).reshape(-1) + math.pi / 2) / (2 * w0)
    else:
        k = s / (TWO_PI * w0)
        w = omega * k
        b = phi_c / (TWO_PI * w0)
    units = tuple(range(w.size))
    info = SpectralUnits(units, tuple(np.repeat(omega_err * k, per_unit).tolist()),
                         (basin * k,) * w.size, activation)
    return w, b, info


@torch.no_grad()
def spectral_init_(linear: nn.Linear, result, *, input_scale: float = 1.0, input_offset: float = 0.0,
                   activation: str = "sin", w0: float = 1.0) -> int:
    """Put the tones of ``result`` into the first units of ``linear`` (in place; returns how many
    units were set).

    ``linear`` takes the time as ``u = (x - input_offset)/input_scale`` (``in_features = 1``);
    its outputs go through ``activation``: ``"sin"`` (``sin(w0 z)``, SIREN's ``w0``),
    ``"fourier"`` (``[sin, cos](2 pi w0 z)``, one unit per tone) or ``"snake"``
    (``z + sin^2(z)``, ``a = 1``). Tones are the estimate's significant components and then their
    harmonics in order (:func:`sigfit.features.tones`), each as a sine/cosine pair of units
    (``2k``, ``2k+1``), as many as the layer holds; the remaining units keep their values.
    Phases are reduced exactly at ``x = input_offset`` (``t ~ 1e9`` loses nothing) in float64
    before they are stored in the layer's dtype. The layer remembers what it got
    (``linear.sigfit_spectral``), so :func:`param_groups` can cap the step of its weight.

    Examples
    --------
    >>> import numpy as np, torch, sigfit
    >>> from sigfit.nn import spectral_init_
    >>> x = np.linspace(-50, 50, 2000)
    >>> r = sigfit.estimate(x, np.sin(3.0 * x + 0.5))
    >>> first = torch.nn.Linear(1, 16, dtype=torch.float64)
    >>> spectral_init_(first, r, input_scale=50.0)
    2
    >>> u = torch.as_tensor(x / 50.0).unsqueeze(1)
    >>> bool(torch.allclose(torch.sin(first(u))[:, 0], torch.as_tensor(np.sin(3.0 * x + 0.5)), atol=1e-4))
    True
    """
    if not isinstance(linear, nn.Linear):
        raise InputError(f"spectral_init_ needs an nn.Linear, got {type(linear).__name__}")
    if linear.in_features != 1:
        raise InputError(f"spectral_init_ needs a layer whose one input is time (in_features=1), "
                         f"got in_features={linear.in_features}")
    if linear.bias is None:
        raise InputError("spectral_init_ needs a layer with a bias: the phases go there")
    w, b, info = spectral_weights(result, linear.out_features, input_scale=input_scale,
                                  input_offset=input_offset, activation=activation, w0=w0)
    idx = torch.arange(w.size, device=linear.weight.device)
    linear.weight[idx, 0] = torch.as_tensor(w, dtype=torch.float64).to(linear.weight)
    linear.bias[idx] = torch.as_tensor(b, dtype=torch.float64).to(linear.bias)
    linear.sigfit_spectral = info
    return int(w.size)


def _features_of(features, t) -> np.ndarray:
    if callable(features):
        x = t if isinstance(t, torch.Tensor) else (
            _time_tensor(t) if isinstance(features, PeriodicFeatures) else torch.as_tensor(np.asarray(t)))
        with torch.no_grad():
            h = features(x)
        return h.detach().to(torch.float64).cpu().numpy()
    if isinstance(features, torch.Tensor):
        return features.detach().to(torch.float64).cpu().numpy()
    return np.asarray(features, dtype=np.float64)


@torch.no_grad()
def fit_head_(linear: nn.Linear, features: Callable | torch.Tensor | np.ndarray, t, y) -> float:
    """Set ``linear`` (the output layer) to the least-squares coefficients of ``y`` on
    ``features(t)``, the activations that feed it; returns the fit's mean squared error.

    ``features`` is the part of the model below ``linear`` (a module or any callable, given ``t``
    as it is, or as a tensor when ``t`` is a numpy array), or the activations themselves, shape
    ``(n, linear.in_features)``. ``y`` has shape ``(n,)`` or ``(n, linear.out_features)``. The
    minimum-norm solution (SVD) in float64, with the bias as the intercept when ``linear`` has
    one: the model then equals the fit at step 0.

    Examples
    --------
    >>> import numpy as np, torch, sigfit
    >>> from sigfit.nn import PeriodicFeatures, fit_head_
    >>> t = np.linspace(0, 100, 1000)
    >>> y = 3.0 + 2.0 * np.sin(2 * np.pi * t / 7.0)
    >>> feats = PeriodicFeatures.from_estimate(sigfit.estimate(t, y), dtype=torch.float64)
    >>> head = torch.nn.Linear(feats.out_features, 1, dtype=torch.float64)
    >>> fit_head_(head, feats, t, y) < 1e-20
    True
    """
    if not isinstance(linear, nn.Linear):
        raise InputError(f"fit_head_ needs an nn.Linear, got {type(linear).__name__}")
    h = _features_of(features, t)
    if h.ndim != 2 or h.shape[1] != linear.in_features:
        raise InputError(f"the features must have shape (n, {linear.in_features}) to feed the layer, got {h.shape}")
    yv = (y.detach().to(torch.float64).cpu().numpy() if isinstance(y, torch.Tensor)
          else np.asarray(y, dtype=np.float64))
    yv = yv.reshape(h.shape[0], -1) if yv.size == h.shape[0] * linear.out_features else None
    if yv is None or yv.shape[1] != linear.out_features:
        raise InputError(f"y must have {h.shape[0]} rows of {linear.out_features} value(s), one per sample")
    design = np.column_stack([h, np.ones(h.shape[0])]) if linear.bias is not None else h
    # singular values the layer's dtype cannot resolve are dropped: their coefficients would be huge
    # and lost to rounding anyway (float32: below 1.2e-7 of the largest)
    rcond = max(torch.finfo(linear.weight.dtype).eps, np.finfo(np.float64).eps * max(design.shape))
    coef, *_ = np.linalg.lstsq(design, yv, rcond=rcond)
    resid = yv - design @ coef
    linear.weight.copy_(torch.as_tensor(coef[: h.shape[1]].T).to(linear.weight))
    if linear.bias is not None:
        linear.bias.copy_(torch.as_tensor(coef[-1]).to(linear.bias))
    return float(np.mean(resid**2))


# --------------------------------------------------------------------------- training


def frequency_parameters(model: nn.Module) -> list[tuple[nn.Parameter, float]]:
    """``(parameter, largest step)`` for every frequency in ``model``: the ``delta`` of learnable
    :class:`PeriodicFeatures` and the weights of layers set by :func:`spectral_init_`.

    The step cap is :data:`FREQUENCY_STEP_FRACTION` of the smaller of the frequency's standard
    error and its basin half-width (``4.49/R``, ``R`` the record's half-width: outside it the
    loss holds no gradient back to the answer), both in the parameter's own units: for ``delta``
    (cycles per ``span``) the error is ``frequency_err * span`` and the basin
    ``4.49 * 2 / (2 pi h)`` for harmonic ``h``.
    """
    out: list[tuple[nn.Parameter, float]] = []
    seen: set[int] = set()
    for m in model.modules():
        if isinstance(m, PeriodicFeatures) and m.learnable and m.delta.requires_grad:
            hmax = torch.ones_like(m.fundamental)
            for comp, h in zip(m.component.tolist(), m.harmonic.tolist(), strict=True):
                hmax[comp] = max(float(hmax[comp]), h)
            basin = BASIN_ROOT / math.pi / hmax  # 4.49/R in delta units, R = span/2
            err = m.frequency_err * m.span
            cap = torch.where(torch.isfinite(err) & (err > 0), torch.minimum(err, basin), basin)
            out.append((m.delta, FREQUENCY_STEP_FRACTION * float(cap.min())))
            seen.add(id(m.delta))
        info = getattr(m, "sigfit_spectral", None)
        weight = getattr(m, "weight", None)
        if isinstance(info, SpectralUnits) and isinstance(weight, nn.Parameter) and weight.requires_grad \
                and id(weight) not in seen:
            out.append((weight, info.lr_cap))
            seen.add(id(weight))
    return out


def param_groups(model: nn.Module, lr: float, *, frequency_lr: float | None = None) -> list[dict]:
    """Optimiser parameter groups: the frequencies (:func:`frequency_parameters`) apart, at
    ``frequency_lr`` or by default ``min(lr, cap)`` with the cap of the module docstring; every
    other trainable parameter at ``lr``.

    For an adaptive optimiser (Adam, AdamW, RMSprop), whose step is about ``lr`` per parameter:
    ``torch.optim.Adam(param_groups(model, 1e-3))``. The frequency group carries
    ``"name": "frequency"``.
    """
    if not (isinstance(lr, int | float) and math.isfinite(lr) and lr > 0):
        raise InputError(f"lr must be a positive number, got {lr!r}")
    if frequency_lr is not None and not (math.isfinite(frequency_lr) and frequency_lr >= 0):
        raise InputError(f"frequency_lr must be a non-negative number, got {frequency_lr!r}")
    freqs = frequency_parameters(model)
    ids = {id(p) for p, _ in freqs}
    rest = [p for p in model.parameters() if p.requires_grad and id(p) not in ids]
    groups = []
    if rest:
        groups.append({"params": rest, "lr": float(lr), "name": "default"})
    if freqs:
        cap = min(c for _, c in freqs)
        groups.append({"params": [p for p, _ in freqs], "name": "frequency",
                       "lr": float(frequency_lr) if frequency_lr is not None else min(float(lr), cap)})
    return groups


__all__ = ["ACTIVATIONS", "BASIN_ROOT", "FREQUENCY_STEP_FRACTION", "PeriodicFeatures", "SpectralUnits",
           "fit_head_", "frequency_parameters", "param_groups", "spectral_init_", "spectral_weights"]
