"""Periodic features from an estimate: :class:`PeriodicFeatures`, a scikit-learn-style transformer.

``fit(t, y)`` runs :func:`sigfit.estimate` on the series; ``transform(t)`` returns, for every
significant tone and each of its harmonics, the columns ``sin(2 pi h f t + phase_h)`` and
``cos(...)``, then the estimate's polynomial trend ``z, z^2, ...`` with ``z = (t - t_ref)/t_scale``
(the constant is left to the downstream model's intercept). A linear model on these columns is
the estimate's own model, so it forecasts past the record (the periods are found from the data,
not learnt by the regressor).

The order of the tones, shared with :mod:`sigfit.nn` (one list, :func:`tones`): the fundamental
of every component (strongest first), then harmonic 2 of each component, then harmonic 3, ...

Time may be float64, int64 or datetime64, as a 1-D array or one column. Phases are reduced with
an error-free product (:func:`sigfit.search.centred_cycles`) before any ``sin``: ``t ~ 1e9`` s
loses nothing, and int64 stamps are split so that even int64 nanoseconds stay exact. datetime64
stamps become seconds since the Unix epoch (int64 when every stamp is a whole second), so the
estimate's frequencies are in cycles per second and its phases refer to 1970-01-01.

This module imports numpy only: scikit-learn is optional (``pip install 'sigfit[sklearn]'``);
:class:`PeriodicFeatures` follows its estimator API (``get_params``/``set_params``, fitted
attributes ending in ``_``, ``get_feature_names_out``), so ``clone``, ``Pipeline`` and
``GridSearchCV`` work with it.
"""

from __future__ import annotations

import inspect
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ._numerics import TWO_PI, centred_cycles
from .errors import InputError, SigfitWarning
from .results import EstimateResult

# detrend used by PeriodicFeatures when the caller gives none: a forecast needs the trend, and a
# linear one fitted jointly with the tones costs one column when there is none
DEFAULT_DETREND = "linear"
# the only other place time stamps' units are chosen: datetime64 become seconds
DATETIME_UNIT = "s"
_SPLIT_BITS = 20  # int64 stamps split as hi + lo with hi a multiple of 2**20: both exact in float64


@dataclass(frozen=True)
class Tone:
    """One sinusoid of an estimate: harmonic ``harmonic`` of component ``component``.

    ``frequency`` is the fundamental's (cycles per unit of t); this tone oscillates at
    ``harmonic * frequency``. ``phase`` is the tone's own, in radians at ``t = 0``:
    ``amplitude * sin(2 pi harmonic frequency t + phase)``. ``t_ref``/``t_scale`` are those of
    the estimate it came from (its record is about ``t_ref +- t_scale``).
    """

    frequency: float
    frequency_err: float
    harmonic: int
    phase: float
    amplitude: float
    component: int  # index of the fundamental among the tones' components (0 = strongest)
    t_ref: float = 0.0
    t_scale: float = 1.0

    @property
    def tone_frequency(self) -> float:
        return self.harmonic * self.frequency

    @property
    def angular_frequency(self) -> float:
        return TWO_PI * self.harmonic * self.frequency


def _results(result) -> list[EstimateResult]:
    """An EstimateResult, a sequence of them (one per output column), or an object holding them
    in ``.results`` (``sigfit.baselines.spectral.TaskEstimate``)."""
    if isinstance(result, EstimateResult):
        return [result]
    inner = getattr(result, "results", None)
    if inner is not None:
        return _results(list(inner))
    if isinstance(result, Sequence) and result and all(isinstance(r, EstimateResult) for r in result):
        return list(result)
    raise InputError(
        f"expected an EstimateResult (from sigfit.estimate) or a list of them, got {type(result).__name__}"
    )


def tones(result, *, significant_only: bool = True) -> list[Tone]:
    """Every sinusoid of ``result``: fundamentals of all components first, then harmonic 2 of
    each, then 3, ... (``result`` may be a list of estimates, one per output: their components
    are taken in that order).

    Only significant components, unless none is: then the strongest of each estimate, with a
    :class:`~sigfit.SigfitWarning` (a model still needs an input), or ``significant_only=False``
    for all of them.
    """
    results = _results(result)
    comps: list[tuple[Any, EstimateResult]] = []
    for r in results:
        comps += [(c, r) for c in r.components if c.significant or not significant_only]
    if not comps:
        comps = [(r.components[0], r) for r in results if r.components]
        if comps:
            warnings.warn("the estimate has no significant period: using its strongest tone anyway",
                          SigfitWarning, stacklevel=2)
    out: list[Tone] = []
    hmax = max((max(len(c.harmonic_amplitudes), 1) for c, _ in comps), default=0)
    for h in range(1, hmax + 1):
        for k, (c, r) in enumerate(comps):
            amps = c.harmonic_amplitudes or (c.amplitude,)
            phases = c.harmonic_phases or (c.phase,)
            if len(amps) >= h:
                out.append(Tone(float(c.frequency), float(c.frequency_err), h, float(phases[h - 1]),
                                float(amps[h - 1]), k, float(r.t_ref), float(r.t_scale)))
    return out


def split_time(t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``t = hi + lo`` with both parts exact in float64 (int64 stamps; floats are their own ``hi``)."""
    if t.dtype.kind in "iu":
        t = t.astype(np.int64)
        hi = (t >> _SPLIT_BITS) << _SPLIT_BITS
        return hi.astype(np.float64), (t - hi).astype(np.float64)
    return np.asarray(t, dtype=np.float64), np.zeros(np.shape(t))


def cycles(frequency, t: np.ndarray) -> np.ndarray:
    """``frequency * t`` minus the nearest whole number of cycles, exactly (to ~1e-16), for float64
    or int64 ``t``: :func:`sigfit.search.centred_cycles` on each exact part of :func:`split_time`.
    Broadcasts (``frequency`` of shape (k,) against ``t`` of shape (n, 1) gives (n, k))."""
    hi, lo = split_time(np.asarray(t))
    c = centred_cycles(frequency, hi) + centred_cycles(frequency, lo)
    return c - np.rint(c)


def tone_angles(tone_list: Sequence[Tone], t: np.ndarray) -> np.ndarray:
    """(n, len(tones)) angles ``2 pi h f t + phase`` in ``[-pi, pi] + phase``, reduced exactly."""
    t = np.asarray(t)
    if not tone_list:
        return np.zeros((t.size, 0))
    f = np.array([tn.frequency for tn in tone_list])
    h = np.array([tn.harmonic for tn in tone_list], dtype=np.float64)
    c = h * cycles(f, t.reshape(-1, 1))  # |h c| <= h/2: the product keeps ~1e-16 h cycles
    c = c - np.rint(c)
    return TWO_PI * c + np.array([tn.phase for tn in tone_list])


def time_offset(t: np.ndarray, ref: float) -> np.ndarray:
    """``t - ref`` in float64, exact for int64 stamps far from zero."""
    if t.dtype.kind in "iu":
        r = int(round(ref))
        return (t.astype(np.int64) - r).astype(np.float64) - (ref - r)
    return np.asarray(t, dtype=np.float64) - ref


def feature_names(tone_list: Sequence[Tone], trend_degree: int = 0, prefix: str = "") -> list[str]:
    """``tone{k}_sin``, ``tone{k}_cos`` (``tone{k}_h{h}_...`` for harmonics), then ``trend{j}``."""
    names = []
    for tn in tone_list:
        stem = f"{prefix}tone{tn.component}" + (f"_h{tn.harmonic}" if tn.harmonic > 1 else "")
        names += [f"{stem}_sin", f"{stem}_cos"]
    return names + [f"{prefix}trend{j}" for j in range(1, trend_degree + 1)]


def trend_degree(result) -> int:
    """Degree of the estimate's polynomial trend (0: none, or a constant only)."""
    return max(len(_results(result)[0].trend) - 1, 0)


def periodic_columns(tone_list: Sequence[Tone], t: np.ndarray, result=None, degree: int = 0) -> np.ndarray:
    """The feature matrix (float64): sin/cos pairs of each tone, then ``z^1..z^degree`` with
    ``z = (t - t_ref)/t_scale`` of ``result``."""
    ang = tone_angles(tone_list, t)
    n = ang.shape[0]
    cols = np.empty((n, 2 * ang.shape[1] + degree))
    cols[:, 0 : 2 * ang.shape[1] : 2] = np.sin(ang)
    cols[:, 1 : 2 * ang.shape[1] : 2] = np.cos(ang)
    if degree:
        r = _results(result)[0]
        z = time_offset(np.asarray(t).reshape(-1), r.t_ref) / r.t_scale
        for j in range(1, degree + 1):
            cols[:, 2 * ang.shape[1] + j - 1] = z**j
    return cols


# --------------------------------------------------------------------------- time input


def _datetime_seconds(a: np.ndarray) -> np.ndarray:
    """datetime64 -> seconds since the Unix epoch: int64 when every stamp is a whole second,
    else float64 (whole seconds plus the fraction, so the rounding is float64's at most)."""
    if np.isnat(a).any():
        raise InputError(f"t holds NaT (not-a-time) at index {int(np.flatnonzero(np.isnat(a))[0])}: "
                         "drop those rows first")
    unit, count = np.datetime_data(a.dtype)
    if unit in ("Y", "M", "W", "D", "h", "m", "s"):
        return a.astype(f"datetime64[{DATETIME_UNIT}]").astype(np.int64)
    per_second = {"ms": 10**3, "us": 10**6, "ns": 10**9, "ps": 10**12, "fs": 10**15, "as": 10**18}
    if unit not in per_second:
        raise InputError(f"t has an unsupported datetime64 unit {unit!r}")
    v = a.astype(np.int64)
    if per_second[unit] % count == 0:
        per = per_second[unit] // count
        whole, rest = np.divmod(v, per)
        if not rest.any():
            return whole
        return whole.astype(np.float64) + rest / per
    return v * (count / per_second[unit])


def as_time(X, name: str = "t") -> tuple[np.ndarray, str, list[str] | None]:
    """One column of times -> ``(t, kind, column_names)``: ``t`` 1-D int64 or float (float32
    stays float32, so that :func:`sigfit.estimate` can say what its precision costs; every
    phase is computed in float64), ``kind`` ``"datetime64"`` or ``"number"``;
    ``column_names`` from a DataFrame's columns, if any."""
    if hasattr(X, "tocsr") or type(X).__module__.startswith("scipy.sparse"):
        raise TypeError(f"sparse input is not supported: {name} must be a dense column of times")
    columns = getattr(X, "columns", None)
    names = [str(c) for c in columns] if columns is not None else None
    if names is None and getattr(X, "name", None) is not None and hasattr(X, "dtype"):
        names = [str(X.name)]  # a pandas Series
    try:
        a = np.asarray(X)
    except Exception as e:
        raise InputError(f"{name} must be an array of times ({e})") from None
    if a.ndim == 2 and a.shape[1] == 0:
        raise InputError(f"0 feature(s) (shape={a.shape}) while a minimum of 1 is required: "
                         f"{name} must be one column of times")
    if a.ndim == 2 and a.shape[1] == 1:
        a = a[:, 0]
    elif a.ndim != 1:
        raise InputError(f"{name} must be one column of times (shape (n,) or (n, 1)), got shape {a.shape}")
    if a.dtype == object:  # e.g. a pandas column of Timestamps or a list mixing ints and floats
        try:
            a = np.asarray(a.tolist())
        except Exception as e:  # pragma: no cover - numpy accepts anything list-like
            raise InputError(f"{name} must hold numbers or datetimes ({e})") from None
    if a.dtype.kind == "c":
        raise InputError(f"Complex data not supported: {name} must hold real times")
    if a.dtype.kind == "M":
        return _datetime_seconds(a), "datetime64", names
    if a.dtype.kind in "iu":
        if a.dtype.kind == "u" and a.size and a.max() >= 2**63:
            raise InputError(f"{name} does not fit int64: subtract a reference time first")
        return a.astype(np.int64), "number", names
    if a.dtype.kind != "f":
        raise InputError(f"{name} must hold numbers or datetime64 stamps, got dtype {a.dtype}")
    if not np.isfinite(a).all():
        bad = int(np.flatnonzero(~np.isfinite(a))[0])
        raise InputError(f"{name} must be finite (no NaN or infinity): {name}[{bad}] is {a[bad]}")
    return (a if a.dtype.itemsize >= 4 else a.astype(np.float32)), "number", names


# --------------------------------------------------------------------------- the transformer


def _estimate_parameters() -> list[str]:
    from .estimate import estimate

    return [p for p in inspect.signature(estimate).parameters if p not in ("t", "y", "n_components", "harmonics")]


class PeriodicFeatures:
    """Periodic features of time: ``sin``/``cos`` of every tone (and harmonic) that
    :func:`sigfit.estimate` finds in the training series, then its trend.

    A scikit-learn transformer without scikit-learn: ``__init__`` stores its arguments,
    ``fit`` validates and learns (attributes ending in ``_``), ``transform`` checks it was
    fitted, ``get_params``/``set_params`` cover every option, so ``clone``, ``Pipeline`` and
    grid searches work.

    Parameters
    ----------
    n_components : int
        Number of periodic components to look for (:func:`sigfit.estimate`'s ``n_components``);
        only the significant ones become features.
    harmonics : "auto" or int
        Harmonics per component (:func:`sigfit.estimate`); each harmonic gives two columns.
    **estimate_options
        Any other keyword of :func:`sigfit.estimate` (``method``, ``fmin``, ``fmax``,
        ``oversampling``, ``detrend``, ``fap_threshold``, ...). ``detrend`` defaults to
        ``"linear"`` here (:data:`DEFAULT_DETREND`): a forecast needs the trend, which becomes
        the ``trend1`` column; pass ``detrend=None`` for none.

    Attributes
    ----------
    estimate_ : EstimateResult
        The estimate the features come from (periods, phases, amplitudes, errors, warnings).
    tones_ : list of Tone
        One entry per sin/cos pair, in column order.
    trend_degree_ : int
        Number of trend columns (the estimate's trend degree).
    time_kind_ : str
        ``"number"`` or ``"datetime64"`` (then times are seconds since the Unix epoch).
    n_features_in_ : int
        Always 1 (the time column).
    feature_names_in_ : ndarray of str
        The time column's name, when fitted on a DataFrame.
    n_features_out_ : int
        ``2 * len(tones_) + trend_degree_``.

    Examples
    --------
    >>> import numpy as np
    >>> from sigfit.features import PeriodicFeatures
    >>> rng = np.random.default_rng(0)
    >>> t = np.sort(rng.uniform(0, 100, 500))
    >>> y = 2.0 * np.sin(2 * np.pi * t / 7.0 + 0.3) + rng.normal(0, 0.1, t.size)
    >>> pf = PeriodicFeatures().fit(t, y)
    >>> round(pf.estimate_.components[0].period, 2)
    7.0
    >>> pf.get_feature_names_out().tolist()
    ['tone0_sin', 'tone0_cos', 'trend1']
    >>> pf.transform(t[:3]).shape
    (3, 3)
    """

    def __init__(self, n_components=1, harmonics="auto", **estimate_options):
        self.n_components = n_components
        self.harmonics = harmonics
        # private: scikit-learn wants no attribute but the signature's named parameters
        self._estimate_options = estimate_options

    @property
    def estimate_options(self) -> dict[str, Any]:
        """The keywords given for :func:`sigfit.estimate` (a copy)."""
        return dict(self._estimate_options)

    # -- scikit-learn's estimator protocol (BaseEstimator's, written out: **estimate_options are
    # parameters too, and BaseEstimator skips **kwargs)

    def get_params(self, deep: bool = True) -> dict[str, Any]:
        """Every constructor argument, the estimate options included (scikit-learn API)."""
        return {"n_components": self.n_components, "harmonics": self.harmonics, **self._estimate_options}

    def set_params(self, **params) -> PeriodicFeatures:
        """Set constructor arguments; unknown names raise ``ValueError`` (scikit-learn API)."""
        allowed = None
        for key, value in params.items():
            if key in ("n_components", "harmonics"):
                setattr(self, key, value)
                continue
            allowed = allowed or _estimate_parameters()
            if key not in allowed and key not in self._estimate_options:
                raise InputError(f"invalid parameter {key!r} for PeriodicFeatures; valid parameters: "
                                 f"n_components, harmonics, {', '.join(allowed)}")
            self._estimate_options = {**self._estimate_options, key: value}
        return self

    def __repr__(self) -> str:
        defaults = {"n_components": 1, "harmonics": "auto"}
        shown = [f"{k}={v!r}" for k, v in self.get_params().items() if k not in defaults or v != defaults[k]]
        return f"{type(self).__name__}({', '.join(shown)})"

    def __sklearn_tags__(self):
        from sklearn.utils import InputTags, Tags, TargetTags, TransformerTags

        return Tags(estimator_type=None, target_tags=TargetTags(required=True),
                    transformer_tags=TransformerTags(preserves_dtype=["float64"]),
                    input_tags=InputTags(two_d_array=True))

    def __sklearn_is_fitted__(self) -> bool:
        return hasattr(self, "estimate_")

    # -- fit / transform

    def fit(self, X, y) -> PeriodicFeatures:
        """Estimate the periods of ``y`` sampled at times ``X`` (one column: float64, int64 or
        datetime64). Raises :class:`~sigfit.InputError` for unusable input."""
        from .estimate import estimate

        if y is None:
            raise InputError("PeriodicFeatures requires y to be passed, but the target y is None: "
                             "the periods are estimated from the series y(t)")
        t, kind, names = as_time(X)
        yv = np.asarray(y)
        if yv.ndim == 2 and yv.shape[1] == 1:
            yv = yv[:, 0]
        if yv.ndim != 1 or yv.shape[0] != t.shape[0]:
            raise InputError(f"y must be one value per time stamp: t has {t.shape[0]} rows, y has shape {yv.shape}")
        options = dict(self._estimate_options)
        unknown = sorted(set(options) - set(_estimate_parameters()))
        if unknown:
            raise InputError(f"unknown estimate option(s) {', '.join(unknown)}; valid: {', '.join(_estimate_parameters())}")
        options.setdefault("detrend", DEFAULT_DETREND)
        result = estimate(t, yv, n_components=self.n_components, harmonics=self.harmonics, **options)
        with warnings.catch_warnings():
            warnings.simplefilter("always", SigfitWarning)
            tone_list = tones(result)
        if not tone_list:
            raise InputError("no periodic component found in y: there are no periodic features to make")
        self.estimate_ = result
        self.tones_ = tone_list
        self.trend_degree_ = trend_degree(result)
        self.time_kind_ = kind
        self.n_features_in_ = 1
        if names is not None:
            self.feature_names_in_ = np.asarray(names, dtype=object)
        elif hasattr(self, "feature_names_in_"):
            del self.feature_names_in_
        self.n_features_out_ = 2 * len(tone_list) + self.trend_degree_
        return self

    def _check_fitted(self):
        if not hasattr(self, "estimate_"):
            try:
                from sklearn.exceptions import NotFittedError
            except ImportError:
                raise InputError("this PeriodicFeatures is not fitted yet: call fit(t, y) first") from None
            raise NotFittedError("This PeriodicFeatures instance is not fitted yet. Call 'fit' with "
                                 "appropriate arguments before using this estimator.")

    def transform(self, X) -> np.ndarray:
        """The features at times ``X`` (same kind of time as ``fit`` saw): float64 array of shape
        ``(n, n_features_out_)``, columns named by :meth:`get_feature_names_out`."""
        self._check_fitted()
        t, kind, _ = as_time(X)
        if kind != self.time_kind_:
            raise InputError(f"fitted on {self.time_kind_} times but given {kind}: pass the same kind "
                             "(datetime64 stamps are seconds since the Unix epoch as numbers)")
        out = periodic_columns(self.tones_, t, self.estimate_, self.trend_degree_)
        if getattr(self, "_sklearn_output_config", {}).get("transform") == "pandas":
            import pandas as pd

            index = getattr(X, "index", None)
            return pd.DataFrame(out, columns=self.get_feature_names_out(), index=index)
        return out

    def fit_transform(self, X, y) -> np.ndarray:
        return self.fit(X, y).transform(X)

    def get_feature_names_out(self, input_features=None) -> np.ndarray:
        """``tone{k}_sin``/``tone{k}_cos`` per component ``k`` (``tone{k}_h{h}_...`` for its
        harmonics), then ``trend1``...; prefixed by the time column's name when it has one."""
        self._check_fitted()
        if input_features is not None:
            input_features = list(np.asarray(input_features, dtype=object).ravel())
            if len(input_features) != 1:
                raise InputError(f"input_features must name the one time column, got {len(input_features)} names")
            known = getattr(self, "feature_names_in_", None)
            if known is not None and list(known) != input_features:
                raise InputError(f"input_features {input_features} differ from the fitted column {list(known)}")
        names = input_features or (list(self.feature_names_in_) if hasattr(self, "feature_names_in_") else None)
        prefix = f"{names[0]}_" if names else ""
        return np.asarray(feature_names(self.tones_, self.trend_degree_, prefix), dtype=object)

    def set_output(self, *, transform=None) -> PeriodicFeatures:
        """``transform="pandas"``: return DataFrames with the feature names (scikit-learn's
        ``set_output`` API); ``"default"`` or None: numpy arrays."""
        if transform not in (None, "default", "pandas"):
            raise InputError(f"set_output(transform=...) takes 'default' or 'pandas', got {transform!r}")
        if transform is not None:
            self._sklearn_output_config = {"transform": transform}  # the name clone() copies
        return self


__all__ = ["DEFAULT_DETREND", "PeriodicFeatures", "Tone", "as_time", "cycles", "feature_names",
           "periodic_columns", "tone_angles", "tones"]
