"""Result dataclasses. Plain data with ``to_dict()``; no computation beyond what they derive.

Model convention (the whole package uses it)::

    y(t) = offset + trend(t) + sum_k sum_h amplitude_kh * sin(h * angular_frequency_k * t + phase_kh)

``phase`` is in radians and referenced at t = 0 of the caller's time axis (not the centred one).
``frequency`` is cycles per unit of t; ``angular_frequency`` = 2*pi*frequency.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ._numerics import TWO_PI


def _float(x: Any) -> float | None:
    if x is None:
        return None
    x = float(x)
    return x if math.isfinite(x) else None  # JSON has no NaN/inf: write null


@dataclass(frozen=True)
class Component:
    """One periodic tone: its fundamental and, for non-sinusoidal shapes, its harmonics.

    ``amplitude``/``phase`` are those of the fundamental (harmonic 1); ``semi_amplitude`` is
    half the peak-to-peak range of the whole shape.
    ``harmonic_amplitudes``/``harmonic_phases`` hold harmonics 1..n_harmonics (first entry = fundamental);
    empty means a pure sinusoid.

    ``phase`` is referenced at t = 0 of the caller's axis, which may lie far outside the data
    (MJD stamps: t = 0 is 1858), where its error is huge. ``reference_phase`` is the same
    fundamental's phase at ``reference_time``, the samples' (weighted) mean time, inside the
    data, with its own standard error: ``y = amplitude*sin(angular_frequency*(t -
    reference_time) + reference_phase)``.

    ``fundamental`` says why this fundamental was taken: ``"peak"``
    (the periodogram's peak itself), ``"f/2, lines 1, 3 significant"`` (a subharmonic the data
    show) or ``"peak; f/4 rejected: ..."`` (one they did not).
    """

    frequency: float
    frequency_err: float
    phase: float
    phase_err: float
    amplitude: float
    amplitude_err: float
    power: float
    false_alarm_probability: float
    significant: bool = True
    n_harmonics: int = 1
    harmonic_amplitudes: tuple[float, ...] = ()
    harmonic_phases: tuple[float, ...] = ()
    reference_time: float | None = None
    reference_phase: float | None = None
    reference_phase_err: float | None = None
    # why this fundamental: "peak" (the periodogram peak itself) or e.g. "f/2, lines 1, 3
    # significant" (a subharmonic the data show), see sigfit.harmonics.choose_fundamental
    fundamental: str = "peak"

    @property
    def angular_frequency(self) -> float:
        return TWO_PI * self.frequency

    @property
    def angular_frequency_err(self) -> float:
        return TWO_PI * self.frequency_err

    @property
    def period(self) -> float:
        return 1.0 / self.frequency if self.frequency != 0 else math.inf

    @property
    def period_err(self) -> float:
        # first-order propagation: dP = df / f^2
        # (df / f) / f: f**2 would underflow for f < 1e-154 (spans ~ 1e300)
        return (self.frequency_err / self.frequency) / self.frequency if self.frequency != 0 else math.inf

    @property
    def semi_amplitude(self) -> float:
        """Half the peak-to-peak range of this component's fitted shape over one cycle.

        For a pure sinusoid it is ``amplitude``; with harmonics ``amplitude`` is the
        fundamental's alone (a sawtooth of half-range 0.25 has a fundamental of 0.16), and this
        is the shape's own size. Read from the harmonic series on 256 points per harmonic
        (relative error below 1e-4 for a smooth shape)."""
        if len(self.harmonic_amplitudes) < 2:
            return abs(self.amplitude)
        n_h = len(self.harmonic_amplitudes)
        theta = np.arange(256 * n_h) / (256 * n_h)  # one cycle, in cycles
        shape = np.zeros_like(theta)
        for h, (a, p) in enumerate(
            zip(self.harmonic_amplitudes, self.harmonic_phases, strict=True), start=1
        ):
            shape += a * np.sin(TWO_PI * np.mod(h * theta, 1.0) + p)
        return float(0.5 * (shape.max() - shape.min()))

    def evaluate(self, t: np.ndarray) -> np.ndarray:
        """This component's contribution at times ``t`` (float64; phase referenced at t = 0)."""
        t = np.asarray(t, dtype=np.float64)
        amps = self.harmonic_amplitudes or (self.amplitude,)
        phases = self.harmonic_phases or (self.phase,)
        out = np.zeros_like(t)
        for h, (a, p) in enumerate(zip(amps, phases, strict=True), start=1):
            # reduce h*f*t to [0, 1) cycles in float64 before multiplying by 2*pi: keeps digits at t ~ 4e9
            cycles = np.mod(h * self.frequency * t, 1.0)
            out += a * np.sin(TWO_PI * cycles + p)
        return out

    def to_dict(self) -> dict[str, Any]:
        d = {
            "frequency": _float(self.frequency),
            "angular_frequency": _float(self.angular_frequency),
            "period": _float(self.period),
            "phase": _float(self.phase),
            "amplitude": _float(self.amplitude),
            "frequency_err": _float(self.frequency_err),
            "angular_frequency_err": _float(self.angular_frequency_err),
            "period_err": _float(self.period_err),
            "phase_err": _float(self.phase_err),
            "amplitude_err": _float(self.amplitude_err),
            "power": _float(self.power),
            "false_alarm_probability": _float(self.false_alarm_probability),
            "significant": bool(self.significant),
            "n_harmonics": int(self.n_harmonics),
            "reference_time": _float(self.reference_time),
            "reference_phase": _float(self.reference_phase),
            "reference_phase_err": _float(self.reference_phase_err),
            "fundamental": self.fundamental,
        }
        if self.harmonic_amplitudes:
            d["harmonic_amplitudes"] = [_float(a) for a in self.harmonic_amplitudes]
            d["harmonic_phases"] = [_float(p) for p in self.harmonic_phases]
            d["semi_amplitude"] = _float(self.semi_amplitude)
        return d


@dataclass(frozen=True)
class NoiseModel:
    """The noise background significance was judged against (fitted by
    :func:`sigfit.background.fit_noise`): ``"white"``, or ``"ar1"`` (red noise plus white).

    ``level(f)`` is the expected periodogram level at ``f`` in units of the white level
    (1 everywhere for white noise): ``white_level + red_level * g(f)``, ``g`` the spectrum of an
    AR(1) process with ``coefficient`` per ``step`` (e-folding time ``timescale``), of unit mean
    from 0 to ``1/(2 step)``; evenly spaced samples (``uniform``) include the aliasing.
    """

    model: str = "white"
    coefficient: float = 0.0
    timescale: float = 0.0
    step: float = 0.0
    uniform: bool = True
    white_level: float = 1.0
    red_level: float = 0.0
    delta_bic: float | None = None  # BIC of white minus BIC of ar1 (positive: ar1 chosen)
    n_frequencies: int = 0  # periodogram ordinates the background was fitted to

    @property
    def white_fraction(self) -> float:
        """Share of the background's variance (0 to ``1/(2 step)``) in its white part."""
        total = self.white_level + self.red_level
        return self.white_level / total if total > 0 else 1.0

    def level(self, frequency) -> np.ndarray:
        """``b(f)``, the expected power at ``frequency`` relative to white noise of the same level."""
        f = np.asarray(frequency, dtype=np.float64)
        if self.model == "white":
            return np.ones_like(f)
        dt, tau = self.step, self.timescale
        if self.uniform:
            a = self.coefficient
            g = (1.0 - a * a) / (1.0 + a * a - 2.0 * a * np.cos(TWO_PI * f * dt))
        else:
            x = math.pi * tau / dt
            g = (x / math.atan(x)) / (1.0 + (TWO_PI * f * tau) ** 2)
        return self.white_level + self.red_level * g

    def whiten(self, power: float, frequency: float) -> float:
        """The standard power ``Z`` of a tone at ``frequency`` judged against this background:
        ``Z_w`` with ``Z_w / (1 - Z_w) = (Z / (1 - Z)) / level(f)`` (``Z`` itself for white)."""
        z = float(min(max(power, 0.0), 1.0))
        if self.model == "white" or z >= 1.0:
            return z
        q = z / ((1.0 - z) * float(self.level(frequency)))
        return q / (1.0 + q)

    def error_scale(self, frequency: float) -> float:
        """Factor on a white-noise standard error at ``frequency``: ``sqrt(level(f))``."""
        return 1.0 if self.model == "white" else math.sqrt(float(self.level(frequency)))

    def to_dict(self) -> dict[str, Any]:
        if self.model == "white":
            d: dict[str, Any] = {"model": "white"}
        else:
            d = {
                "model": self.model,
                "coefficient": _float(self.coefficient),
                "timescale": _float(self.timescale),
                "step": _float(self.step),
                "white_fraction": _float(self.white_fraction),
            }
        d["delta_bic"] = _float(self.delta_bic)
        d["n_frequencies"] = int(self.n_frequencies)
        return d


@dataclass(frozen=True)
class Periodogram:
    """The power spectrum an estimate was read from. ``frequency`` need not be uniform
    (coarse-to-fine searches zoom); ``normalization`` follows astropy's names."""

    frequency: np.ndarray
    power: np.ndarray
    normalization: str = "standard"
    method: str = ""

    @functools.cached_property
    def peak_index(self) -> int:
        """The index of the highest power (``np.argmax``), found once: an estimate's search, its
        alias check and its background's choice each read it (a whole-grid pass of ~2 ms at
        2.8e6 frequencies)."""
        return int(np.argmax(self.power))

    @property
    def max_power(self) -> float:
        """``np.max(power)``, from :attr:`peak_index`."""
        return float(np.asarray(self.power)[self.peak_index])

    def to_dict(self) -> dict[str, Any]:
        return {
            "frequency": np.asarray(self.frequency, dtype=float).tolist(),
            "power": np.asarray(self.power, dtype=float).tolist(),
            "normalization": self.normalization,
            "method": self.method,
        }


@dataclass
class EstimateResult:
    """What :func:`sigfit.estimate` returns.

    ``components`` are strongest first. ``trend`` holds polynomial coefficients (highest degree
    first, numpy.polyval order) in the variable ``(t - t_ref) / t_scale``; empty when no trend.
    """

    components: list[Component]
    offset: float
    offset_err: float
    residual_std: float
    n_samples: int
    method: str
    periodogram: Periodogram | None = None
    t_ref: float = 0.0
    t_scale: float = 1.0
    trend: tuple[float, ...] = ()
    detrend: str = "none"
    warnings: list[str] = field(default_factory=list)
    track: Track | None = None  # method="wavelet": the strongest ridge
    stationarity: Stationarity | None = None  # method="wavelet": did the frequency change?
    # the automatic choices, said out loud (issue #12): the band searched and the trend degree
    band: Any = None  # sigfit.grid.Band: fmin, fmax, rule (and its nested levels)
    detrend_choice: TrendChoice | None = None
    # units of t and y when they came with them (astropy Quantity/Time, datetimes: "s"); frequency
    # is then in cycles per time_unit, amplitudes in value_unit
    time_unit: str | None = None
    value_unit: str | None = None
    noise: NoiseModel | None = None  # the background significance was judged against

    @property
    def significant(self) -> bool:
        """True when at least one component is a significant period."""
        return any(c.significant for c in self.components)

    def predict(self, t: np.ndarray) -> np.ndarray:
        """The fitted model at times ``t`` (same units and origin as the input times; datetimes
        and astropy times as :func:`sigfit.estimate` took them)."""
        from ._inputs import as_numeric_time

        t = np.asarray(as_numeric_time(t)[0], dtype=np.float64)
        out = np.full_like(t, self.offset)
        if self.trend:
            out += np.polyval(np.asarray(self.trend), (t - self.t_ref) / self.t_scale)
        for c in self.components:
            out += c.evaluate(t)
        return out

    def to_dict(self, include_periodogram: bool = False) -> dict[str, Any]:
        d: dict[str, Any] = {
            "n_samples": int(self.n_samples),
            "method": self.method,
            "offset": _float(self.offset),
            "offset_err": _float(self.offset_err),
            "residual_std": _float(self.residual_std),
            "significant": self.significant,
            "detrend": self.detrend,
            "trend": [_float(c) for c in self.trend],
            "t_ref": _float(self.t_ref),
            "t_scale": _float(self.t_scale),
            "components": [c.to_dict() for c in self.components],
            "warnings": list(self.warnings),
        }
        if self.time_unit is not None or self.value_unit is not None:
            d["time_unit"] = self.time_unit
            d["value_unit"] = self.value_unit
        if include_periodogram and self.periodogram is not None:
            d["periodogram"] = self.periodogram.to_dict()
        if self.band is not None:
            d["band"] = self.band.to_dict()
        if self.detrend_choice is not None:
            d["detrend_choice"] = self.detrend_choice.to_dict()
        if self.track is not None:
            d["track"] = self.track.to_dict()
        if self.stationarity is not None:
            d["stationarity"] = self.stationarity.to_dict()
        if self.noise is not None:
            d["noise"] = self.noise.to_dict()
        return d


@dataclass(frozen=True)
class TrendChoice:
    """The polynomial trend degree fitted with the periodic model, and why (``detrend="auto"``:
    chosen by an information criterion; otherwise given)."""

    degree: int
    rule: str

    def to_dict(self) -> dict[str, Any]:
        return {"degree": int(self.degree), "rule": self.rule}


@dataclass(frozen=True)
class Track:
    """An instantaneous-frequency track (``method="wavelet"``): the strongest wavelet ridge,
    points outside the cone of influence only; ``time`` on the caller's axis."""

    time: np.ndarray
    frequency: np.ndarray
    amplitude: np.ndarray

    def to_dict(self) -> dict[str, Any]:
        return {
            "time": [_float(x) for x in self.time],
            "frequency": [_float(x) for x in self.frequency],
            "amplitude": [_float(x) for x in self.amplitude],
        }


@dataclass(frozen=True)
class Stationarity:
    """Has the dominant frequency changed over the record? (see :func:`sigfit.wavelet.stationarity`)

    ``stationary`` is None when the record is too short to tell (``note`` says why).
    ``segment_*`` are the per-segment least-squares frequencies, their standard errors and
    mid-times (caller's axis); ``drift``/``drift_err`` the weighted linear slope df/dt.
    """

    stationary: bool | None
    p_value: float | None
    statistic: float | None
    dof: int
    test: str
    level: float
    segment_time: tuple[float, ...] = ()
    segment_frequency: tuple[float, ...] = ()
    segment_frequency_err: tuple[float, ...] = ()
    drift: float | None = None
    drift_err: float | None = None
    note: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "stationary": self.stationary,
            "p_value": _float(self.p_value),
            "statistic": _float(self.statistic),
            "dof": int(self.dof),
            "test": self.test,
            "level": _float(self.level),
            "segment_time": [_float(x) for x in self.segment_time],
            "segment_frequency": [_float(x) for x in self.segment_frequency],
            "segment_frequency_err": [_float(x) for x in self.segment_frequency_err],
            "drift": _float(self.drift),
            "drift_err": _float(self.drift_err),
            "note": self.note,
        }
