"""Time-frequency analysis: scalograms, ridges and periods that drift.

Two transforms share one result type, :class:`Scalogram`:

- ``cwt``: the continuous wavelet transform of PyWavelets (``pywt.cwt``) with a complex Morlet
  ``cmorB-C`` (bandwidth ``B``, centre frequency ``C``), for uniformly spaced samples;
- ``wwz``: Foster's (1996) weighted wavelet Z-transform (:mod:`sigfit.wwz`) for irregular samples,
  with the Morlet envelope of the same ``B`` and ``C``. Irregular samples are never resampled.

Conventions (both transforms):

- ``coefficients[k, j]`` is the local phasor: a signal ``A cos(2 pi f t + phi)`` gives
  ``A * exp(1j*(2 pi f t_j + phi))`` at the scale of ``f``. So ``amplitude = |coefficients|`` and
  ``power = amplitude**2`` are the same (1) for a unit sinusoid at every scale: the "rectified"
  spectrum of Liu, Liang & Weisberg (2007), not Torrence & Compo's ``|W|^2`` that grows with scale.
- Scale and frequency: a ``cmorB-C`` at scale ``a`` samples peaks at frequency ``C / (a dt)``
  exactly (its Fourier transform is ``exp(-pi^2 B (a f dt - C)^2)``). ``pywt.scale2frequency``
  rounds ``C`` to a multiple of 1/16 (it reads the peak off an FFT of the sampled wavelet over
  [-8, 8]), so sigfit uses ``C`` itself; they agree whenever ``16 C`` is an integer.
- pywt integrates the wavelet over each sample, which damps a sinusoid by ``sinc(f dt)`` and
  shifts its phase by half a sample, and at large scales its default ``precision=12`` samples
  the integrated wavelet so coarsely that the noise power grows six-fold at ``a = 1000``.
  sigfit raises ``precision`` with the largest scale and calibrates every scale with pywt's own
  impulse response (gain at the centre frequency, noise power ``sum |h|^2``), so the
  normalisation and the noise model above hold exactly for the transform actually computed.
- Cone of influence (Torrence & Compo 1998, sec. 3g): the e-folding time of the wavelet power of
  an edge spike, ``sqrt(B) * C / f`` (``sqrt(2)`` scales for ``B = 2``, their Morlet). ``coi[j]``
  is the lowest frequency whose e-folding time fits between ``time[j]`` and the nearer end.
- Significance (Torrence & Compo 1998, eqs. 16-18): against white noise or a red background of
  the series' own variance, ``power / noise_power`` is distributed as ``chi2_2 / 2``. The noise
  power of a local sinusoid fit on ``N_eff`` effective samples is ``4 sigma^2 P(f) / N_eff``; for
  the CWT ``N_eff`` is exact from the calibration, for the WWZ it comes from each point's own
  fit (Foster's eq. 5-4 for dense, even windows). The red ``P(f)`` is AR(1) plus white noise,
  fitted robustly to the global spectrum (:func:`fit_background` says why not T&C's bare lag-1
  AR(1)).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Literal, get_args

import numpy as np

from ._numerics import TWO_PI, parabolic_vertex
from .errors import InputError
from .sampling import mean_spacing

Method = Literal["auto", "cwt", "wwz"]
Background = Literal["red", "white"]
METHODS: tuple[str, ...] = get_args(Method)
BACKGROUNDS: tuple[str, ...] = get_args(Background)

DEFAULT_BANDWIDTH = 2.0  # B = 2, C = 1: Torrence & Compo's Morlet (omega0 = 2 pi) and Foster's c
DEFAULT_CENTER_FREQUENCY = 1.0
DEFAULT_VOICES = 16  # frequencies per octave
MAX_TIMES = {"cwt": 1024, "wwz": 256}  # default number of map columns
_CALIBRATE_UP_TO = 1024.0  # scales (in samples) calibrated by impulse response; above: continuum limit
_MAX_PRECISION = 20
POINTS_PER_SAMPLE = 1024.0  # lookup points of pywt's integrated wavelet per sample (_precision)
_MEMORY_ELEMENTS = 1 << 22  # complex values per pywt call (64 MiB)

# Torrence & Compo (1998) Table 1 wavelets besides the Morlet: Fourier-domain shape at
# x = s * omega (unnormalised: sigfit calibrates every scale by its gain), the period
# lambda = factor * s a scale stands for, the e-folding time = efold * s, the default order, and
# whether the wavelet is complex (analytic: 2 degrees of freedom) or real. A scale stands for the
# frequency where its spectrum peaks (x = m for Paul, sqrt(m) for DOG), as the Morlet's C/(a dt):
# then a tone's ridge (the largest amplitude over scales) sits at its frequency with its amplitude.
# T&C's "Fourier period" (4 pi s/(2m + 1), 2 pi s/sqrt(m + 1/2)) is a few percent off that peak.
def _paul_hat(x, m):
    return np.where(x > 0, np.abs(x) ** m * np.exp(-np.abs(x)), 0.0)


def _dog_hat(x, m):
    return x**m * np.exp(-0.5 * x * x)


FAMILIES: dict[str, dict[str, Any]] = {
    "morlet": {"complex": True},  # pywt's cmorB-C (bandwidth, center_frequency)
    "paul": {"hat": _paul_hat, "period": lambda m: TWO_PI / m,
             "efold": lambda m: 1 / math.sqrt(2), "order": 4, "complex": True},
    "dog": {"hat": _dog_hat, "period": lambda m: TWO_PI / math.sqrt(m),
            "efold": lambda m: math.sqrt(2), "order": 2, "complex": False},
}
# pywt's names that are the same mathematics
WAVELET_ALIASES = {"cmor": "morlet", "mexh": "dog"}


def resolve_wavelet(wavelet: str, order) -> tuple[str, int | None]:
    """``(family, order)`` for a name of :data:`FAMILIES` (or pywt's ``cmor``, ``mexh`` = DOG 2,
    ``gausN`` = DOG N), or InputError naming what exists."""
    name = str(wavelet).strip().lower()
    if name.startswith("gaus") and name[4:].isdigit():
        name, order = "dog", int(name[4:]) if order is None else order
    elif name == "mexh":
        order = 2 if order is None else order
    name = WAVELET_ALIASES.get(name, name)
    if name not in FAMILIES:
        raise InputError(
            f"wavelet {wavelet!r} is not supported: choose one of {', '.join(FAMILIES)} (Torrence & "
            "Compo 1998; pywt's cmor, mexh and gausN are accepted as morlet and dog); for others "
            "call pywt.cwt directly"
        )
    if name == "morlet":
        if order is not None:
            raise InputError("the Morlet wavelet takes bandwidth and center_frequency, not order")
        return name, None
    order = FAMILIES[name]["order"] if order is None else order
    if isinstance(order, bool) or not isinstance(order, (int, np.integer)) or order < 1:
        raise InputError(f"order must be a positive integer for the {name} wavelet, got {order!r}")
    return name, int(order)


def _equivalent_morlet(family: str, order: int) -> tuple[float, float]:
    """(bandwidth, center_frequency) of the Morlet with this wavelet's e-folding time per period
    (``sqrt(B) C``), so that :func:`band` and :func:`cone_of_influence` serve every family."""
    fam = FAMILIES[family]
    efold_per_period = fam["efold"](order) / fam["period"](order)
    return efold_per_period**2, 1.0


# --------------------------------------------------------------------------------------------
# results


@dataclass(frozen=True)
class Scalogram:
    """A time-frequency map. Rows are frequencies (ascending), columns are times.

    See the module docstring for the normalisation. ``noise_power`` is the expected ``power`` of
    the background noise at each point; ``threshold`` is its ``significance_level`` quantile.
    """

    time: np.ndarray
    frequency: np.ndarray
    coefficients: np.ndarray
    noise_power: np.ndarray
    coi: np.ndarray
    method: str
    bandwidth: float
    center_frequency: float
    background: str
    ar1: float
    variance: float
    significance_level: float
    n_samples: int
    t_start: float
    t_stop: float
    red_fraction: float = 0.0  # share of the variance in the AR(1) part of the background
    # the mother wavelet: "morlet" (cmorB-C), or Torrence & Compo's "paul"/"dog" of ``order``
    # (then bandwidth and center_frequency are the Morlet with its e-folding time per period)
    family: str = "morlet"
    order: int | None = None

    @property
    def amplitude(self) -> np.ndarray:
        return np.abs(self.coefficients)

    @property
    def power(self) -> np.ndarray:
        return np.abs(self.coefficients) ** 2

    @property
    def period(self) -> np.ndarray:
        return 1.0 / self.frequency

    @property
    def wavelet(self) -> str:
        """The name of the mother wavelet: PyWavelets' ``cmorB-C``, or ``paulM``/``dogM``."""
        if self.family != "morlet":
            return f"{self.family}{self.order}"
        return _wavelet_name(self.bandwidth, self.center_frequency)

    @property
    def dof(self) -> int:
        """Degrees of freedom of the power at one point: 2 for complex wavelets, 1 for real."""
        return 2 if FAMILIES[self.family]["complex"] else 1

    @property
    def threshold(self) -> np.ndarray:
        """Power that background noise exceeds with probability ``1 - significance_level``
        (chi-square, 2 degrees of freedom for a complex wavelet; Torrence & Compo eq. 18)."""
        from scipy.stats import chi2

        return self.noise_power * (chi2.ppf(self.significance_level, self.dof) / self.dof)

    @property
    def significance(self) -> np.ndarray:
        """``power / threshold``: 1 is the contour of the significant regions."""
        with np.errstate(invalid="ignore", divide="ignore"):
            return self.power / self.threshold

    @property
    def in_coi(self) -> np.ndarray:
        """(M, T) True where edge effects reach (inside the cone of influence)."""
        return self.frequency[:, None] < self.coi[None, :]

    def e_folding_time(self, frequency=None) -> np.ndarray:
        """The wavelet's e-folding time ``sqrt(B) C / f`` (the half-width of the COI)."""
        f = self.frequency if frequency is None else np.asarray(frequency, dtype=float)
        return math.sqrt(self.bandwidth) * self.center_frequency / f

    def global_spectrum(self) -> np.ndarray:
        """Time-averaged power at each frequency over the times outside the cone of influence
        (Torrence & Compo eq. 22); frequencies with no such time average over every time."""
        power = self.power
        outside = ~self.in_coi & np.isfinite(power)
        n_out = outside.sum(axis=1)
        with np.errstate(invalid="ignore"):
            mean_out = np.where(outside, power, 0.0).sum(axis=1) / np.maximum(n_out, 1)
            mean_all = np.nanmean(np.where(np.isfinite(power), power, np.nan), axis=1)
        return np.where(n_out > 0, mean_out, mean_all)

    def to_dict(self, include_map: bool = False) -> dict[str, Any]:
        d: dict[str, Any] = {
            "method": self.method,
            "wavelet": self.wavelet,
            "bandwidth": self.bandwidth,
            "center_frequency": self.center_frequency,
            "background": self.background,
            "ar1": self.ar1,
            "red_fraction": self.red_fraction,
            "variance": self.variance,
            "significance_level": self.significance_level,
            "n_samples": int(self.n_samples),
            "frequency": self.frequency.tolist(),
            "global_power": _list(self.global_spectrum()),
        }
        if include_map:
            d["time"] = self.time.tolist()
            d["amplitude"] = [_list(r) for r in self.amplitude]
            d["threshold"] = [_list(r) for r in self.threshold]
            d["coi"] = _list(self.coi)
        return d


@dataclass(frozen=True)
class Ridge:
    """One instantaneous-frequency track: the local maxima of power over frequency, linked over
    time. ``in_coi`` marks points where edge effects reach."""

    time: np.ndarray
    frequency: np.ndarray
    amplitude: np.ndarray
    in_coi: np.ndarray

    @property
    def start(self) -> float:
        return float(self.time[0])

    @property
    def stop(self) -> float:
        return float(self.time[-1])

    @property
    def duration(self) -> float:
        return float(self.time[-1] - self.time[0])

    @property
    def energy(self) -> float:
        """``sum amplitude^2 dt`` along the ridge (trapezoid; a one-point ridge has 0)."""
        p = self.amplitude**2
        return float(np.sum(0.5 * (p[1:] + p[:-1]) * np.diff(self.time)))

    @property
    def mean_frequency(self) -> float:
        """Power-weighted mean frequency."""
        p = self.amplitude**2
        return float(np.sum(p * self.frequency) / np.sum(p))

    def reliable(self) -> Ridge:
        """The points outside the cone of influence (all of them if none is)."""
        keep = ~self.in_coi
        if not keep.any():
            return self
        return Ridge(self.time[keep], self.frequency[keep], self.amplitude[keep], self.in_coi[keep])

    def to_dict(self) -> dict[str, Any]:
        return {
            "start": self.start,
            "stop": self.stop,
            "mean_frequency": self.mean_frequency,
            "energy": self.energy,
            "time": self.time.tolist(),
            "frequency": self.frequency.tolist(),
            "amplitude": self.amplitude.tolist(),
            "in_coi": self.in_coi.tolist(),
        }


def _list(a) -> list:
    return [float(x) if math.isfinite(x) else None for x in np.asarray(a, dtype=float)]


# --------------------------------------------------------------------------------------------
# the transform


def scalogram(
    t,
    y,
    *,
    fmin: float | None = None,
    fmax: float | None = None,
    method: str = "auto",
    bandwidth: float = DEFAULT_BANDWIDTH,
    center_frequency: float = DEFAULT_CENTER_FREQUENCY,
    voices_per_octave: int = DEFAULT_VOICES,
    n_times: int | None = None,
    background: str = "red",
    significance_level: float = 0.95,
    detrend: str | int | None = None,
    progress: bool | None = None,
    wavelet: str = "morlet",
    order: int | None = None,
) -> Scalogram:
    """Wavelet scalogram of a sampled series, on a log-spaced frequency grid.

    Parameters
    ----------
    t, y : array_like
        Sample times and values (1-D, same length). Unsorted times are sorted.
    fmin, fmax : float, optional
        Frequency range in cycles per unit of t. Default ``fmin``: the frequency whose wavelet
        e-folding time is a quarter of the record (so half the record lies outside the cone of
        influence); default ``fmax``: Nyquist, ``1/(2 dt)``, or for irregular samples
        ``1/(2 * mean spacing)``.
    method : {"auto", "cwt", "wwz"}
        ``cwt`` needs uniform spacing; ``wwz`` takes any sampling; ``auto`` picks ``cwt`` for
        uniform samples and ``wwz`` otherwise.
    bandwidth, center_frequency : float
        ``B`` and ``C`` of the complex Morlet ``cmorB-C``. Larger ``B * C^2`` sharpens frequency
        and blurs time: the relative frequency resolution (standard deviation) is
        ``1 / (pi C sqrt(2 B))``.
    voices_per_octave : int
        Frequencies per doubling.
    n_times : int, optional
        Number of map columns (default: every sample up to 1024 for cwt; 256 for wwz).
    background : {"red", "white"}
        Noise model for significance: AR(1) fitted to the series, or white.
    significance_level : float
        Confidence of the ``threshold`` (default 0.95).
    detrend : None, "linear" or int
        The mean is always removed; "linear" or a degree removes a polynomial trend first.
    progress : bool, optional
        tqdm bar on stderr; None shows it only on a terminal.
    wavelet : {'morlet', 'paul', 'dog'}
        The mother wavelet (Torrence & Compo 1998, Table 1): the complex Morlet ``cmorB-C``
        (``bandwidth``, ``center_frequency``), the complex Paul or the real derivative of a
        Gaussian (DOG) of ``order`` (defaults 4 and 2; pywt's ``mexh`` is DOG 2, ``gausN`` DOG N).
        Paul and DOG run by FFT on evenly spaced samples only; every scale is calibrated so that a
        sinusoid of amplitude ``A`` has ``|coefficients| = A`` at its scale (for the real DOG,
        ``|A cos|`` or ``|A sin|``: it oscillates, and its power has 1 degree of freedom). Other
        pywt wavelets are refused: call ``pywt.cwt`` directly.
    order : int, optional
        The Paul or DOG order ``m``.

    Returns
    -------
    Scalogram

    Raises
    ------
    InputError
        Bad arrays, a record too short for ``fmin``, ``fmax`` above Nyquist, ``cwt`` on
        irregular samples, unknown method or background.

    Examples
    --------
    >>> import numpy as np
    >>> t = np.arange(512) * 0.1
    >>> sc = scalogram(t, np.sin(2 * np.pi * 0.5 * t), fmin=0.25, fmax=2.0)  # 0.5 on the grid
    >>> round(float(sc.amplitude[:, 256].max()), 3)  # the ridge: amplitude 1 at the tone's scale
    1.0
    """
    from scipy.stats import chi2  # noqa: F401  (fail early if scipy is missing)

    t, y = _prepare(t, y)
    family, order = resolve_wavelet(wavelet, order)
    if family != "morlet":
        bandwidth, center_frequency = _equivalent_morlet(family, order)
    _check_wavelet(bandwidth, center_frequency)
    if method not in METHODS:
        raise InputError(f"unknown method {method!r}; choose one of {', '.join(METHODS)}")
    if background not in BACKGROUNDS:
        raise InputError(f"unknown background {background!r}; choose one of {', '.join(BACKGROUNDS)}")
    if not 0.0 < significance_level < 1.0:
        raise InputError(f"significance_level must lie in (0, 1), got {significance_level}")
    if int(voices_per_octave) < 1:
        raise InputError(f"voices_per_octave must be a positive integer, got {voices_per_octave}")
    uniform, dt = mean_spacing(t)
    if method == "auto":
        method = "cwt" if uniform else "wwz"
    if family != "morlet" and method != "cwt":
        raise InputError(
            f"the {family} wavelet runs on evenly spaced samples (cwt) only: these are irregular "
            "(or method='wwz' was asked); use wavelet='morlet' (Foster's WWZ) for irregular samples"
        )
    if method == "cwt" and not uniform:
        raise InputError(
            "method 'cwt' needs uniformly spaced samples and these are irregular; use "
            "method='wwz' (or 'auto'), or resample the data yourself"
        )
    frequency = frequency_grid(t, fmin, fmax, bandwidth, center_frequency, voices_per_octave, dt if uniform else None)

    t_start, t_stop = float(t[0]), float(t[-1])
    # centre time: phases and trends are taken on t - t_mid (float64 keeps digits at large t)
    t_mid = 0.5 * (t_start + t_stop)
    tc = t - t_mid
    resid = _remove_trend(tc, y, detrend)
    variance = float(np.mean(resid**2))
    if not variance > 0:
        raise InputError("the series is constant (after removing the trend): nothing to analyse")

    if method == "cwt":
        n = t.size
        n_cols = min(n, MAX_TIMES["cwt"]) if n_times is None else _check_n_times(n_times, n)
        columns = np.unique(np.round(np.linspace(0, n - 1, n_cols)).astype(np.int64))
        if family == "morlet":
            coefficients, n_effective = _cwt(resid, dt, frequency, columns, bandwidth, center_frequency, progress)
        else:
            coefficients, n_effective = _cwt_fourier(resid, dt, frequency, columns, family, order)
        time = t[columns]
        n_effective = np.broadcast_to(n_effective[:, None], coefficients.shape)
        spacing = dt
    else:
        from . import wwz

        n_cols = MAX_TIMES["wwz"] if n_times is None else _check_n_times(n_times, None)
        time = np.linspace(t_start, t_stop, n_cols)
        coefficients, n_effective = wwz.transform(
            tc, resid, frequency, time - t_mid, decay=wwz.decay_constant(bandwidth, center_frequency), progress=progress
        )
        spacing = (t_stop - t_start) / (t.size - 1)

    with np.errstate(divide="ignore"):
        white = 4.0 * variance / np.where(n_effective > 0, n_effective, np.nan)
    coi = cone_of_influence(time, t_start, t_stop, bandwidth, center_frequency)
    alpha, red_fraction = 0.0, 0.0
    if background == "red":
        outside = frequency[:, None] >= coi[None, :]
        alpha, red_fraction = fit_background(coefficients, white, outside, frequency, spacing)
    p_k = red_fraction * red_noise_spectrum(frequency, alpha, spacing) + (1.0 - red_fraction)
    noise_power = white * p_k[:, None]
    return Scalogram(
        time=time,
        frequency=frequency,
        coefficients=coefficients,
        noise_power=noise_power,
        coi=coi,
        method=method,
        bandwidth=float(bandwidth),
        center_frequency=float(center_frequency),
        background=background,
        ar1=float(alpha),
        red_fraction=float(red_fraction),
        variance=variance,
        significance_level=float(significance_level),
        n_samples=int(t.size),
        t_start=t_start,
        t_stop=t_stop,
        family=family,
        order=order,
    )


def band(t, fmin=None, fmax=None, dt=None, bandwidth=DEFAULT_BANDWIDTH, center_frequency=DEFAULT_CENTER_FREQUENCY):
    """The analysed band ``(fmin, fmax)`` for sorted times ``t``, defaults filled in and checked.

    Default ``fmin``: the frequency whose wavelet e-folding time ``sqrt(B) C / f`` is a quarter of
    the record (half the record then lies outside the cone of influence). Default ``fmax``: the
    Nyquist frequency ``1/(2 dt)`` of uniform samples (``dt`` given), else the "pseudo-Nyquist"
    ``1/(2 * mean spacing)`` (as libwwz): higher up, a wavelet window holds too few samples to fit a
    local mean and a sinusoid. Raises InputError when the record is too short for ``fmin``
    (every time would lie inside the cone of influence) or ``fmax`` is above Nyquist."""
    t = np.asarray(t, dtype=np.float64)
    span = float(t[-1] - t[0])
    efold = math.sqrt(bandwidth) * center_frequency  # e-folding time * frequency
    lowest = 2.0 * efold / span  # below this the COI covers the whole record
    nyquist = 0.5 / dt if dt is not None else 0.5 * (t.size - 1) / span
    auto_min, auto_max = fmin is None, fmax is None
    fmin = 2.0 * lowest if fmin is None else float(fmin)
    fmax = nyquist if fmax is None else float(fmax)
    if not (math.isfinite(fmin) and fmin > 0):
        raise InputError(f"fmin must be a positive number of cycles per unit of t, got {fmin}")
    if not (math.isfinite(fmax) and fmax > 0):
        raise InputError(f"fmax must be a positive number of cycles per unit of t, got {fmax}")
    if fmin < lowest * (1 - 1e-12):
        raise InputError(
            f"record too short for fmin={fmin:g}: the wavelet at that frequency lasts "
            f"{2 * efold / fmin:g} (two e-folding times), longer than the record's span {span:g}; "
            f"use fmin >= {lowest:g}, a longer record, or a smaller bandwidth"
        )
    if dt is not None and fmax > nyquist * (1 + 1e-12):
        raise InputError(f"fmax={fmax:g} is above the Nyquist frequency {nyquist:g} of these samples; lower fmax")
    if fmin >= fmax:
        # say which end sigfit chose: an automatic value is never quoted as the user's
        lo = f"the automatic fmin ({fmin:g}, a wavelet two e-folding times within the record)" \
            if auto_min else f"fmin={fmin:g}"
        hi = f"the automatic fmax ({fmax:g}, the Nyquist frequency)" if auto_max else f"fmax={fmax:g}"
        raise InputError(f"{lo} must be below {hi}; pass a lower fmin or a higher fmax")
    return fmin, fmax


def frequency_grid(t, fmin, fmax, bandwidth, center_frequency, voices_per_octave, dt=None) -> np.ndarray:
    """The log-spaced analysis frequencies, ``voices_per_octave`` per doubling, over
    :func:`band` (``fmin`` to ``fmax`` inclusive). ``dt``: spacing of uniform samples, else None."""
    fmin, fmax = band(t, fmin, fmax, dt, bandwidth, center_frequency)
    n = max(2, int(math.ceil(voices_per_octave * math.log2(fmax / fmin))) + 1)
    return np.geomspace(fmin, fmax, n)


def cone_of_influence(time, t_start, t_stop, bandwidth, center_frequency) -> np.ndarray:
    """Lowest frequency free of edge effects at each time: ``sqrt(B) C / d`` with ``d`` the
    distance to the nearer end of the record (Torrence & Compo 1998, sec. 3g); ``inf`` at the ends."""
    d = np.minimum(np.asarray(time) - t_start, t_stop - np.asarray(time))
    with np.errstate(divide="ignore"):
        return np.where(d > 0, math.sqrt(bandwidth) * center_frequency / np.maximum(d, 0), np.inf)


def red_noise_spectrum(frequency, alpha: float, dt: float) -> np.ndarray:
    """Normalised AR(1) spectrum (Torrence & Compo eq. 16; mean 1 over 0..Nyquist):
    ``(1 - a^2) / (1 + a^2 - 2 a cos(2 pi f dt))``; 1 everywhere for ``alpha = 0`` (white)."""
    a = float(alpha)
    return (1.0 - a * a) / (1.0 + a * a - 2.0 * a * np.cos(TWO_PI * np.asarray(frequency) * dt))


def fit_background(coefficients, white, outside, frequency, dt) -> tuple[float, float]:
    """The red-noise background ``(alpha, red_fraction)``: AR(1) plus white noise,
    ``q P_red(f; alpha) + (1 - q)`` in units of white noise of the series' variance, fitted to the
    global (time-averaged, outside the cone of influence) spectrum by least absolute deviations
    of log power over a grid of ``alpha`` and ``q``.

    Torrence & Compo take a bare AR(1) from the lag-1 autocorrelation. That fails both ways on
    common data: a smooth signal plus white measurement noise gets ``alpha`` near 1 and a
    background far below the measurement noise at high frequencies (every noise wiggle there
    turns "significant"), while a series dominated by one sinusoid gets a background that
    swallows the sinusoid's weaker stretches. The white part fixes the first; fitting the
    spectrum robustly (the signal's peaks cover a minority of a log-spaced band, and least
    absolute deviations ignore them) fixes the second. A pure AR(1) gives back its ``alpha`` and
    ``q = 1``, white noise ``q = 0``. For irregular samples the white part also absorbs the
    leak of the signal into all frequencies that random times cause (Scargle 1982), and
    ``dt`` is the mean spacing, as in REDFIT (Schulz & Mudelsee 2002).
    """
    power = np.abs(coefficients) ** 2
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = power / white
    good = np.isfinite(ratio)
    use = good & outside
    rows = use.sum(axis=1)
    fallback = good.sum(axis=1)
    with np.errstate(invalid="ignore"):
        level = np.where(
            rows > 0,
            np.where(use, ratio, 0.0).sum(axis=1) / np.maximum(rows, 1),
            np.where(good, ratio, 0.0).sum(axis=1) / np.maximum(fallback, 1),
        )
    keep = np.isfinite(level) & (level > 0)
    if keep.sum() < 3:
        return 0.0, 0.0
    log_level = np.log(level[keep])
    alphas = np.r_[0.0, np.linspace(0.02, 0.98, 49), 0.99, 0.995, 0.999]
    qs = np.linspace(0.0, 1.0, 51)
    red = np.stack([red_noise_spectrum(frequency[keep], a, dt) for a in alphas])  # (A, M)
    model = np.log(qs[None, :, None] * red[:, None, :] + (1.0 - qs[None, :, None]))  # (A, Q, M)
    cost = np.abs(model - log_level).sum(axis=2)
    i, j = np.unravel_index(np.argmin(cost), cost.shape)
    return float(alphas[i]), float(qs[j])


# --------------------------------------------------------------------------------------------
# the CWT through PyWavelets


def _wavelet_name(bandwidth: float, center_frequency: float) -> str:
    return f"cmor{float(bandwidth)!r}-{float(center_frequency)!r}"


def _morlet(bandwidth: float, center_frequency: float):
    import pywt

    w = pywt.ContinuousWavelet(_wavelet_name(bandwidth, center_frequency))
    # pywt truncates cmor to [-8, 8]; the envelope exp(-u^2/B) must be negligible there
    bound = max(8.0, 6.0 * math.sqrt(bandwidth))
    w.lower_bound, w.upper_bound = -bound, bound
    return w


def _precision(wavelet, max_scale: float) -> int:
    """pywt looks the integrated wavelet up at ``floor(n / (a * step))`` on ``2**precision`` points
    over its support, so each kernel tap is off by up to one lookup step: with ``m`` points per
    sample a tap can be wrong by ``1/m`` of itself (at the default precision=12 and a = 35 samples
    the response to a spike dips by 26% at one sample). Aim at 1024 points per sample at the
    largest scale: with 32, a narrow band of small scales (a tone at 0.3 of the sampling rate, a
    kernel of ~100 taps) left the amplitude 0.34% off (issue 13; 0.02% now). 2**20 points cost
    0.16 s per call, so larger scales (above ~64 samples, where every output averages over a
    thousand taps and the lookup errors average out) get fewer."""
    support = wavelet.upper_bound - wavelet.lower_bound
    return int(min(_MAX_PRECISION, max(12, math.ceil(math.log2(POINTS_PER_SAMPLE * support * max_scale)))))


def _undo_sample_integration(y: np.ndarray) -> np.ndarray:
    """Divide the spectrum of ``y`` by ``sinc(f dt)``: pywt convolves with the wavelet integrated
    over each sample, a one-sample boxcar that damps frequency ``f`` by ``sinc(f dt)`` whatever
    the scale. Left in, it would pull every ridge towards higher frequencies (by 1% at a quarter
    of the sampling rate). The inverse filter is real and even (tails ~ 1/n^2); zero padding to
    twice the length keeps it from wrapping around."""
    from scipy.fft import irfft, next_fast_len, rfft, rfftfreq

    n = y.size
    n_fft = next_fast_len(2 * n, real=True)
    spectrum = rfft(y, n_fft) / np.sinc(rfftfreq(n_fft))
    return irfft(spectrum, n_fft)[:n]


def _calibration(wavelet, scales, center_frequency, precision):
    """Complex gain at each scale's centre frequency and noise power ``sum |h|^2`` of the whole
    chain (inverse boxcar, then pywt.cwt), from its impulse response; scales in samples.

    Above ``_CALIBRATE_UP_TO`` samples the continuum limit is used (gain ``sqrt(a)``, noise the
    wavelet's energy ``1/sqrt(2 pi B)`` for the envelope ``(pi B)^-1/2 exp(-u^2/B)``): there the
    impulse response would cost a transform 16 scales long per scale, and the two agree to 0.5%
    in noise power; the phase is then right to within pi/a radians (pywt's half-sample delay)."""
    import pywt

    gain = np.sqrt(scales) * np.exp(-1j * math.pi * center_frequency / scales)
    noise = np.full(scales.size, 1.0 / math.sqrt(TWO_PI * float(wavelet.bandwidth_frequency)))
    small = np.flatnonzero(scales <= _CALIBRATE_UP_TO)
    if small.size:
        support = wavelet.upper_bound - wavelet.lower_bound
        half = int(math.ceil(0.5 * support * float(scales[small].max()))) + 4
        delta = np.zeros(2 * half + 1)
        delta[half] = 1.0
        h = pywt.cwt(_undo_sample_integration(delta), scales[small], wavelet, method="fft", precision=precision)[0]
        lag = np.arange(-half, half + 1)
        nu = center_frequency / scales[small]  # cycles per sample
        gain[small] = np.sum(h * np.exp(-1j * TWO_PI * nu[:, None] * lag[None, :]), axis=1)
        noise[small] = np.sum(np.abs(h) ** 2, axis=1)
    return gain, noise


def _cwt(y, dt, frequency, columns, bandwidth, center_frequency, progress):
    """Normalised CWT coefficients at the chosen columns and the effective sample numbers."""
    import pywt
    from tqdm import tqdm

    wavelet = _morlet(bandwidth, center_frequency)
    scales = center_frequency / (frequency * dt)  # in samples
    precision = _precision(wavelet, float(scales.max()))
    gain, noise = _calibration(wavelet, scales, center_frequency, precision)
    y = _undo_sample_integration(y)
    out = np.empty((frequency.size, columns.size), dtype=complex)
    chunk = max(1, _MEMORY_ELEMENTS // y.size)
    starts = range(0, frequency.size, chunk)
    for s in tqdm(starts, desc="cwt", unit="block", disable=None if progress is None else not progress, leave=False):
        sl = slice(s, s + chunk)
        coef = pywt.cwt(y, scales[sl], wavelet, method="fft", precision=precision)[0]
        # 2 W / H: a real cosine's positive-frequency half has amplitude A/2
        out[sl] = 2.0 * coef[:, columns] / gain[sl, None]
    # amplitude noise: E|2W/H|^2 = 4 sigma^2 sum|h|^2 / |H|^2 =: 4 sigma^2 / N_eff
    n_effective = np.abs(gain) ** 2 / noise
    return out, n_effective


def _cwt_fourier(y, dt, frequency, columns, family, order):
    """CWT by FFT with a Torrence & Compo wavelet (their eq. 4), zero padded to twice the length,
    every scale normalised by its own gain at the frequency it stands for; returns coefficients and
    effective sample numbers as :func:`_cwt` (``4 sigma^2 / N_eff`` is the noise power)."""
    from scipy.fft import fft, fftfreq, ifft, next_fast_len

    fam = FAMILIES[family]
    n = y.size
    n_fft = next_fast_len(2 * n)
    spectrum = fft(y, n_fft)
    omega = TWO_PI * fftfreq(n_fft, dt)
    scales = fam["period"](order) ** -1 / frequency  # s = lambda / factor, lambda = 1/f
    out = np.empty((frequency.size, columns.size), dtype=complex)
    n_effective = np.empty(frequency.size)
    chunk = max(1, _MEMORY_ELEMENTS // n_fft)
    for s0 in range(0, frequency.size, chunk):
        sl = slice(s0, s0 + chunk)
        g = fam["hat"](scales[sl, None] * omega[None, :], order)  # (k, n_fft), real
        gain = fam["hat"](scales[sl] * TWO_PI * frequency[sl], order)
        w = ifft(spectrum[None, :] * g, axis=1)[:, :n]
        # analytic: a cosine's positive half gives (A/2) gain e^(i theta); real: A gain cos(theta)
        factor = 2.0 if fam["complex"] else 1.0
        out[sl] = factor * w[:, columns] / gain[:, None]
        noise = np.sum(g * g, axis=1) / n_fft  # sum |h|^2 (Parseval)
        n_effective[sl] = (4.0 / factor**2) * gain**2 / noise
    if not fam["complex"]:
        # an odd order's spectrum is odd: a cosine comes out as i A sin(theta)
        out = (out if order % 2 == 0 else -1j * out).real.astype(complex)
    return out, n_effective


# --------------------------------------------------------------------------------------------
# ridges


def ridges(
    sc: Scalogram,
    *,
    significant_only: bool = True,
    min_duration: float = 3.0,
    max_jump: float | None = None,
) -> list[Ridge]:
    """Instantaneous-frequency tracks: local maxima of power over frequency, linked over time.

    At every time the maxima of power along frequency are found and refined to sub-grid
    frequency by a parabola in log power against scale (exact for a pure tone: the Morlet's
    response is Gaussian in scale). Maxima are linked to the nearest ridge of the previous column
    within ``max_jump`` in log frequency; a ridge survives gaps up to one e-folding time.

    Parameters
    ----------
    sc : Scalogram
    significant_only : bool
        Keep only maxima above the background's threshold.
    min_duration : float
        Drop ridges shorter than this many wavelet e-folding times (``sqrt(B) C / f``): anything
        shorter is indistinguishable from the wavelet's response to a single spike.
    max_jump : float, optional
        Largest change of log frequency between linked points; default: the wavelet's relative
        frequency resolution ``1 / (pi C sqrt(2 B))``.

    Returns
    -------
    list of Ridge, strongest (largest energy) first.
    """
    power = sc.power
    m, n_t = power.shape
    if max_jump is None:
        max_jump = 1.0 / (math.pi * sc.center_frequency * math.sqrt(2.0 * sc.bandwidth))
    logp = np.log(np.where(power > 0, power, np.nan))
    scale = 1.0 / sc.frequency
    ok = np.isfinite(logp)
    if significant_only:
        with np.errstate(invalid="ignore"):
            ok &= power >= sc.threshold
    # local maxima along frequency (grid ends count when higher than their one neighbour)
    lp = np.where(np.isfinite(logp), logp, -np.inf)
    up = np.vstack([np.full((1, n_t), -np.inf), lp[:-1]])
    down = np.vstack([lp[1:], np.full((1, n_t), -np.inf)])
    peak = ok & (lp > up) & (lp >= down)
    step = np.median(np.diff(sc.time)) if n_t > 1 else 1.0
    active: list[dict] = []
    done: list[dict] = []
    for j in range(n_t):
        ks = np.flatnonzero(peak[:, j])
        if ks.size:
            f_j, lp_j = _vertex(ks, scale, logp[:, j])
            order = np.argsort(-lp_j)
            taken = set()
            kept: list[float] = []
            for i in order:
                lf = math.log(f_j[i])
                # two maxima closer than the wavelet's resolution are one peak with a noise wiggle
                if any(abs(lf - other) < max_jump for other in kept):
                    continue
                kept.append(lf)
                best, best_d = None, max_jump
                for r_i, r in enumerate(active):
                    if r_i in taken or r["j"][-1] == j:
                        continue
                    dist = abs(lf - r["lf"])
                    if dist <= best_d:
                        best, best_d = r_i, dist
                if best is None:
                    active.append({"j": [j], "f": [f_j[i]], "lp": [lp_j[i]], "lf": lf})
                    taken.add(len(active) - 1)
                else:
                    r = active[best]
                    r["j"].append(j)
                    r["f"].append(f_j[i])
                    r["lp"].append(lp_j[i])
                    r["lf"] = lf
                    taken.add(best)
        # close ridges whose gap exceeds one e-folding time at their frequency
        still = []
        for r in active:
            gap = (j - r["j"][-1]) * step
            if gap > math.sqrt(sc.bandwidth) * sc.center_frequency / r["f"][-1]:
                done.append(r)
            else:
                still.append(r)
        active = still
    done.extend(active)
    coi = sc.coi
    out = []
    for r in done:
        idx = np.asarray(r["j"])
        freq = _phase_frequency(sc, idx, np.asarray(r["f"]), max_jump)
        ridge = Ridge(
            time=sc.time[idx],
            frequency=freq,
            amplitude=np.exp(0.5 * np.asarray(r["lp"])),
            in_coi=freq < coi[idx],
        )
        ridge = _trim(ridge)
        if ridge.time.size < 2:
            continue
        efold = math.sqrt(sc.bandwidth) * sc.center_frequency / ridge.mean_frequency
        if ridge.duration >= min_duration * efold:
            out.append(ridge)
    out.sort(key=lambda r: -r.energy)
    return out


def _trim(ridge: Ridge) -> Ridge:
    """Cut the ends where the amplitude is below half the ridge's median. A tone that stops
    (or starts) at t0 has half the wavelet's window on it at t0, so its amplitude there is half
    its own; beyond, the ridge is the wavelet's decaying tail, where the other signals' leakage
    drags the frequency about."""
    a = ridge.amplitude
    strong = np.flatnonzero(a >= 0.5 * np.median(a))
    if strong.size == 0:
        return ridge
    sl = slice(strong[0], strong[-1] + 1)
    return Ridge(ridge.time[sl], ridge.frequency[sl], ridge.amplitude[sl], ridge.in_coi[sl])


def _phase_frequency(sc: Scalogram, j: np.ndarray, f_peak: np.ndarray, max_jump: float) -> np.ndarray:
    """Instantaneous frequency on a ridge from the phase: ``(1/2 pi) d arg(coefficient)/dt`` on the
    grid row nearest the ridge (Delprat et al. 1992), by central differences over the ridge's
    neighbouring columns. The phasor turns at the signal's own frequency whatever the row, so
    this does not depend on the grid or on the shape of the response across scales, which
    irregular sampling distorts (it halves the ridge error of the WWZ). Falls back to the
    power-peak frequency ``f_peak`` at the ends, where the phase step could wrap (the columns
    are too far apart for the peak's uncertainty), or where the two disagree by more than
    ``max_jump`` in log frequency."""
    out = f_peak.copy()
    if j.size < 3:
        return out
    rows = np.argmin(np.abs(np.log(sc.frequency)[:, None] - np.log(f_peak)[None, :]), axis=0)
    a, b = j[:-2], j[2:]
    mid = slice(1, -1)
    step = sc.time[b] - sc.time[a]
    consecutive = (b - a) == 2
    ref = f_peak[mid]
    c0 = sc.coefficients[rows[mid], a]
    c1 = sc.coefficients[rows[mid], b]
    # wrap-free while the reference is within half a grid step: |f - ref| * step < 1/4 cycle
    half_step = 0.5 * float(np.median(np.diff(np.log(sc.frequency)))) if sc.frequency.size > 1 else 1.0
    safe = consecutive & (ref * step * half_step < 0.25) & np.isfinite(c0) & np.isfinite(c1)
    turn = np.angle(c1 * np.conj(c0) * np.exp(-1j * TWO_PI * ref * step))
    f_phase = ref + turn / (TWO_PI * step)
    with np.errstate(invalid="ignore", divide="ignore"):
        agree = np.abs(np.log(np.abs(f_phase) / ref)) <= max_jump
    use = safe & agree & (f_phase > 0)
    out[mid] = np.where(use, f_phase, ref)
    return out


def _vertex(ks, scale, logp_col):
    """Sub-grid peak: parabola through (scale, log power) at k-1, k, k+1; grid ends stay put."""
    m = scale.size
    f = 1.0 / scale[ks]
    val = logp_col[ks].copy()
    inner = (ks > 0) & (ks < m - 1)
    if inner.any():
        k = ks[inner]
        dx, val[inner] = parabolic_vertex(scale[k - 1], scale[k], scale[k + 1],
                                          logp_col[k - 1], logp_col[k], logp_col[k + 1])
        f[inner] = 1.0 / (scale[k] + dx)
    return f, val


# --------------------------------------------------------------------------------------------
# through sigfit.estimate(method="wavelet")

STATIONARITY_TEST = (
    "segment homogeneity: the record is cut into K equal-time segments of at least "
    "{cycles} cycles; in each, the dominant tone's frequency f_k is fitted by least squares "
    "(seeded from the scalogram over that segment) with its standard error s_k; under one "
    "frequency throughout, sum ((f_k - f_mean) / s_k)^2 ~ chi-square(K - 1), f_mean the "
    "inverse-variance mean; non-stationary when p < {level:g}"
)
LONG_RIDGE = 10.0  # e-folding times: a ridge this long is no noise (see WaveletSearch.finish)
SEGMENT_CYCLES = 8  # cycles per segment: enough for least squares to pin a frequency
MAX_SEGMENTS = 8
_DETECTED = 4.0  # a segment counts when its amplitude is at least this many standard errors
# frequencies that agree to this relative precision are equal as far as float64 refinement can
# tell; without a floor a noise-free tone's segments differ by ~1e-13 with errors ~1e-15
_RELATIVE_FLOOR = 1e-9


def global_peaks(sc: Scalogram) -> np.ndarray:
    """Frequencies of the local maxima of the time-averaged spectrum, strongest first, refined
    by a parabola in log power against scale (exact for a pure tone's Gaussian response)."""
    return _peaks(np.log(np.maximum(sc.global_spectrum(), np.finfo(float).tiny)), sc.frequency)


def _peaks(logp: np.ndarray, frequency: np.ndarray) -> np.ndarray:
    lp = np.where(np.isfinite(logp), logp, -np.inf)
    up = np.r_[-np.inf, lp[:-1]]
    down = np.r_[lp[1:], -np.inf]
    ks = np.flatnonzero((lp > up) & (lp >= down) & np.isfinite(lp))
    if ks.size == 0:
        return np.empty(0)
    f, val = _vertex(ks, 1.0 / frequency, lp)
    return f[np.argsort(-val)]


class WaveletSearch:
    """The wavelet path of :func:`sigfit.estimate`: the peak of the global (time-averaged)
    wavelet spectrum seeds the shared least-squares refinement, and the strongest ridge and a
    stationarity test are added to the result.

    ``find_peak`` has the signature of :func:`sigfit.estimate.find_peak`, so the estimate loop
    (prewhitening, joint refinement, false-alarm probabilities) is the same for every method.
    """

    def __init__(self, bandwidth: float = DEFAULT_BANDWIDTH, center_frequency: float = DEFAULT_CENTER_FREQUENCY):
        self.bandwidth = bandwidth
        self.center_frequency = center_frequency
        self.first: Scalogram | None = None

    def scalogram(self, series, values, plan) -> Scalogram:
        return scalogram(
            series.tau,
            values,
            fmin=plan.grid.start,
            fmax=plan.grid.stop,
            bandwidth=self.bandwidth,
            center_frequency=self.center_frequency,
            background="red",
        )

    def find_peak(self, series, values, dy, plan):
        """(seed frequency, Periodogram): the strongest peak of the global wavelet spectrum of
        ``values``, sharpened on the plan's fine grid by the least-squares periodogram within
        the wavelet's frequency resolution (the wavelet alone places a long stationary tone to
        ~1e-3, coarser than the least-squares basin of a record of thousands of cycles)."""
        from . import periodograms as _pg
        from .grid import FrequencyGrid
        from .results import Periodogram

        sc = self.scalogram(series, values, plan)
        if self.first is None:
            self.first = sc
        peaks = global_peaks(sc)
        f_w = float(peaks[0]) if peaks.size else float(sc.frequency[np.nanargmax(sc.global_spectrum())])
        # +-2 standard deviations of the wavelet's frequency response
        half = 2.0 * f_w / (math.pi * self.center_frequency * math.sqrt(2.0 * self.bandwidth))
        lo = max(plan.grid.start, f_w - half)
        hi = min(plan.grid.stop, f_w + half)
        size = max(3, int(math.ceil((hi - lo) / plan.grid.step)) + 1)
        grid = FrequencyGrid(start=lo, step=(hi - lo) / (size - 1), size=size)
        power = _pg.compute("lombscargle", series.tau, values, dy, grid)
        i = int(np.argmax(power))
        if 0 < i < size - 1 and power[i - 1] - 2 * power[i] + power[i + 1] < 0:
            p0, p1, p2 = power[i - 1 : i + 2]
            f0 = grid.start + (i + 0.5 * (p0 - p2) / (p0 - 2 * p1 + p2)) * grid.step
        else:
            f0 = grid.start + i * grid.step
        pgram = Periodogram(sc.frequency, sc.global_spectrum(), normalization="wavelet", method="wavelet")
        return float(f0), pgram

    def finish(self, series, components, degree: int, level: float = 0.01) -> dict:
        """``track`` and ``stationarity`` for :class:`sigfit.EstimateResult`.

        Given when a component is significant, or, failing that, when the strongest ridge lasts
        at least :data:`LONG_RIDGE` e-folding times: a tone whose frequency sweeps far (a chirp
        over octaves) fits no constant tone, yet its ridge is plain. In white and AR(1) noise
        (2000 samples, 20 records) the longest ridge lasted 3.3 to 7.7 e-folding times.
        Otherwise (noise) both are left out."""
        from .results import Track

        if self.first is None:
            return {}
        rdg = ridges(self.first)
        strongest = rdg[0] if rdg else None
        significant = any(c.significant for c in components)
        long_ridge = strongest is not None and strongest.duration >= LONG_RIDGE * float(
            np.median(self.first.e_folding_time(strongest.frequency))
        )
        if not (significant or long_ridge):
            return {}
        out = {}
        if strongest is not None:
            r = strongest.reliable()
            out["track"] = Track(time=r.time + series.t_ref, frequency=r.frequency, amplitude=r.amplitude)
        f = components[0].frequency if significant else strongest.mean_frequency
        out["stationarity"] = stationarity(series, self.first, f, degree=min(degree, 1), level=level)
        return out


def stationarity(series, sc: Scalogram, frequency: float, *, degree: int = 0, level: float = 0.01):
    """Has the dominant frequency changed over the record? See :data:`STATIONARITY_TEST`.

    Parameters
    ----------
    series : sigfit._validate.Samples
        Validated samples (centred times ``tau``, ``y``, ``dy``, ``t_ref``).
    sc : Scalogram
        Its scalogram, on ``series.tau``: seeds each segment.
    frequency : float
        The dominant tone's frequency over the whole record: sets the segment length.
    degree : int
        Polynomial trend fitted with each segment's tone (0: offset only).
    level : float
        Reject "one frequency throughout" when the p-value is below this.

    Returns
    -------
    sigfit.results.Stationarity
        ``stationary`` None (with a ``note``) when fewer than two segments hold a detectable tone.
    """
    from scipy.stats import chi2

    from .harmonics import amplitude_phase, refine
    from .results import Stationarity

    test = STATIONARITY_TEST.format(cycles=SEGMENT_CYCLES, level=level)
    tau, y, dy = series.tau, series.y, series.dy
    span = float(tau[-1] - tau[0])
    n_seg = min(MAX_SEGMENTS, int(span * abs(frequency) // SEGMENT_CYCLES))
    if n_seg < 2:
        return Stationarity(
            None, None, None, 0, test, level,
            note=f"record too short: {span * abs(frequency):.3g} cycles, fewer than 2 segments of {SEGMENT_CYCLES}",
        )
    edges = np.linspace(tau[0], tau[-1], n_seg + 1)
    mids, freqs, errs = [], [], []
    for a, b in zip(edges[:-1], edges[1:], strict=True):
        inside = (tau >= a) & (tau <= b)
        cols = (sc.time >= a) & (sc.time <= b)
        if np.count_nonzero(inside) < 3 * (degree + 4) or not cols.any():
            continue
        with np.errstate(invalid="ignore"):
            logp = np.log(np.nanmean(np.where(cols[None, :], sc.power, np.nan), axis=1))
        seeds = _peaks(logp, sc.frequency)
        if seeds.size == 0:
            continue
        t_seg = tau[inside]
        mid = 0.5 * (a + b)
        fit = refine(
            t_seg - mid, y[inside], None if dy is None else dy[inside], [float(seeds[0])], degree,
            max_shift=1.0 / (b - a),
        )
        f, f_err, amp, amp_err, _, _ = amplitude_phase(fit, 0, 0.0)
        if not (math.isfinite(f_err) and amp >= _DETECTED * amp_err):
            continue
        mids.append(mid)
        freqs.append(f)
        errs.append(math.hypot(f_err, _RELATIVE_FLOOR * f))
    times = tuple(float(m + series.t_ref) for m in mids)
    if len(freqs) < 2:
        return Stationarity(
            None, None, None, 0, test, level, times, tuple(freqs), tuple(errs),
            note=f"fewer than 2 of {n_seg} segments hold a tone {_DETECTED:g} standard errors above noise",
        )
    f_k, s_k, m_k = np.array(freqs), np.array(errs), np.array(mids)
    w = 1.0 / s_k**2
    f_mean = float(np.sum(w * f_k) / np.sum(w))
    stat = float(np.sum(w * (f_k - f_mean) ** 2))
    dof = f_k.size - 1
    p = float(chi2.sf(stat, dof))
    # weighted straight line f = c + drift * t through the segments
    x = m_k - np.sum(w * m_k) / np.sum(w)
    sxx = float(np.sum(w * x * x))
    drift = float(np.sum(w * x * f_k) / sxx) if sxx > 0 else None
    drift_err = float(1.0 / math.sqrt(sxx)) if sxx > 0 else None
    return Stationarity(
        stationary=bool(p >= level),
        p_value=p,
        statistic=stat,
        dof=dof,
        test=test,
        level=level,
        segment_time=times,
        segment_frequency=tuple(float(v) for v in f_k),
        segment_frequency_err=tuple(float(v) for v in s_k),
        drift=drift,
        drift_err=drift_err,
    )


# --------------------------------------------------------------------------------------------
# input checks (standalone until sigfit._validate lands)


def _prepare(t, y):
    if np.iscomplexobj(y):
        # as estimate: numpy would drop the imaginary part with only a ComplexWarning (issue 13)
        raise InputError("y is complex: pass the real part (or analyse real and imaginary parts separately)")
    masks = []
    if isinstance(t, np.ma.MaskedArray) or isinstance(y, np.ma.MaskedArray):
        masks = [np.ma.getmaskarray(a).ravel() for a in (t, y) if isinstance(a, np.ma.MaskedArray)]
        t, y = np.ma.getdata(t), np.ma.getdata(y)  # masked samples are dropped below, never read
    try:
        t = np.asarray(t, dtype=np.float64)
        y = np.asarray(y, dtype=np.float64)
    except (TypeError, ValueError):
        raise InputError("t and y must be numeric 1-D arrays") from None
    if t.ndim != 1 or y.ndim != 1 or t.size != y.size:
        raise InputError(f"t and y must be 1-D arrays of equal length, got shapes {t.shape} and {y.shape}")
    good = np.isfinite(t) & np.isfinite(y)
    for m in masks:
        good &= ~m
    _check_magnitudes(t[good], y[good])
    t, y = t[good], y[good]
    if t.size < 8:
        raise InputError(f"a scalogram needs at least 8 finite samples, got {t.size}")
    order = np.argsort(t, kind="stable")
    t, y = t[order], y[order]
    if not t[-1] > t[0]:
        raise InputError("all samples are at the same time: the record has no span")
    return t, y


# The transform squares values and frequencies: beyond these magnitudes float64 overflows or
# underflows (issue 14: y = 1e308 crashed deep inside); refused in one line, before any work.
MAGNITUDE_LIMIT = 1e150


def _check_magnitudes(t: np.ndarray, y: np.ndarray) -> None:
    if y.size == 0:
        return
    big = float(np.max(np.abs(y)))
    if big > MAGNITUDE_LIMIT or 0 < big < 1 / MAGNITUDE_LIMIT:
        raise InputError(
            f"y reaches {big:.3g}: wavelet powers (y squared) leave float64's range beyond "
            f"{MAGNITUDE_LIMIT:.0e} (or below {1 / MAGNITUDE_LIMIT:.0e}); rescale y first "
            "(e.g. y / 1e300), or drop the outlying samples"
        )
    span = float(np.ptp(t)) if t.size else 0.0
    if span > MAGNITUDE_LIMIT or 0 < span < 1 / MAGNITUDE_LIMIT or not np.isfinite(span):
        raise InputError(
            f"t spans {span:.3g}: frequencies squared leave float64's range beyond "
            f"{MAGNITUDE_LIMIT:.0e} (or below {1 / MAGNITUDE_LIMIT:.0e}); change the unit of t"
        )


def _check_wavelet(bandwidth, center_frequency):
    for name, v in (("bandwidth", bandwidth), ("center_frequency", center_frequency)):
        if not (isinstance(v, int | float | np.floating | np.integer) and math.isfinite(v) and v > 0):
            raise InputError(f"{name} must be a positive number, got {v!r}")


def _check_n_times(n_times, n):
    n_times = int(n_times)
    if n_times < 2:
        raise InputError(f"n_times must be at least 2, got {n_times}")
    return n_times if n is None else min(n_times, n)


def _remove_trend(tc, y, detrend):
    if detrend in (None, "none", 0):
        return y - y.mean()
    if detrend == "linear":
        degree = 1
    else:
        try:
            degree = int(detrend)
        except (TypeError, ValueError):
            raise InputError(f"detrend must be None, 'linear' or a polynomial degree, got {detrend!r}") from None
        if degree < 0:
            raise InputError(f"detrend degree must be >= 0, got {degree}")
    x = tc / max(float(np.max(np.abs(tc))), np.finfo(float).tiny)
    coef = np.polynomial.polynomial.polyfit(x, y, degree)
    return y - np.polynomial.polynomial.polyval(x, coef)


__all__ = [
    "BACKGROUNDS",
    "FAMILIES",
    "METHODS",
    "Ridge",
    "Scalogram",
    "WaveletSearch",
    "band",
    "cone_of_influence",
    "fit_background",
    "frequency_grid",
    "global_peaks",
    "red_noise_spectrum",
    "ridges",
    "scalogram",
    "stationarity",
]
