"""The scalogram: the continuous wavelet transform of evenly spaced samples (CWT) or the weighted
wavelet Z-transform of irregular ones (WWZ), its band, grid, cone of influence and red-noise
background."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from .._numerics import TWO_PI
from ..errors import InputError
from ..grid import wavelet_band
from ..sampling import mean_spacing
from ._checks import _check_n_times, _check_wavelet, _prepare, _remove_trend
from ._families import (
    _CALIBRATE_UP_TO,
    _MAX_PRECISION,
    _MEMORY_ELEMENTS,
    BACKGROUNDS,
    DEFAULT_BANDWIDTH,
    DEFAULT_CENTER_FREQUENCY,
    DEFAULT_VOICES,
    FAMILIES,
    MAX_TIMES,
    METHODS,
    POINTS_PER_SAMPLE,
    _equivalent_morlet,
    resolve_wavelet,
)


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
    _check_choices(method, background, significance_level, voices_per_octave)
    uniform, dt = mean_spacing(t)
    method = _resolve_method(method, family, uniform)
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
        time, coefficients, n_effective, spacing = _cwt_columns(
            t, resid, dt, frequency, n_times, family, order, bandwidth, center_frequency, progress)
    else:
        time, coefficients, n_effective, spacing = _wwz_columns(
            t, tc, t_mid, resid, frequency, n_times, bandwidth, center_frequency, progress)
    coi, alpha, red_fraction, noise_power = _noise(coefficients, n_effective, variance, time,
                                                   frequency, spacing, background, t_start, t_stop,
                                                   bandwidth, center_frequency)
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


def _check_choices(method, background, significance_level, voices_per_octave) -> None:
    """The scalogram's named choices and levels, checked."""
    if method not in METHODS:
        raise InputError(f"unknown method {method!r}; choose one of {', '.join(METHODS)}")
    if background not in BACKGROUNDS:
        raise InputError(f"unknown background {background!r}; choose one of {', '.join(BACKGROUNDS)}")
    if not 0.0 < significance_level < 1.0:
        raise InputError(f"significance_level must lie in (0, 1), got {significance_level}")
    if int(voices_per_octave) < 1:
        raise InputError(f"voices_per_octave must be a positive integer, got {voices_per_octave}")


def _resolve_method(method: str, family: str, uniform: bool) -> str:
    """``"cwt"`` or ``"wwz"``: ``"auto"`` resolved by the spacing, a mismatch refused."""
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
    return method


def _cwt_columns(t, resid, dt, frequency, n_times, family, order, bandwidth, center_frequency,
                 progress):
    """The CWT at a subset of the sample times: ``(time, coefficients, n_effective, spacing)``."""
    n = t.size
    n_cols = min(n, MAX_TIMES["cwt"]) if n_times is None else _check_n_times(n_times, n)
    columns = np.unique(np.round(np.linspace(0, n - 1, n_cols)).astype(np.int64))
    if family == "morlet":
        coefficients, n_effective = _cwt(resid, dt, frequency, columns, bandwidth, center_frequency, progress)
    else:
        coefficients, n_effective = _cwt_fourier(resid, dt, frequency, columns, family, order)
    time = t[columns]
    n_effective = np.broadcast_to(n_effective[:, None], coefficients.shape)
    return time, coefficients, n_effective, dt


def _wwz_columns(t, tc, t_mid, resid, frequency, n_times, bandwidth, center_frequency, progress):
    """Foster's WWZ on evenly spaced map times: ``(time, coefficients, n_effective, spacing)``."""
    from .. import wwz

    t_start, t_stop = float(t[0]), float(t[-1])
    n_cols = MAX_TIMES["wwz"] if n_times is None else _check_n_times(n_times, None)
    time = np.linspace(t_start, t_stop, n_cols)
    coefficients, n_effective = wwz.transform(
        tc, resid, frequency, time - t_mid, decay=wwz.decay_constant(bandwidth, center_frequency), progress=progress
    )
    spacing = (t_stop - t_start) / (t.size - 1)
    return time, coefficients, n_effective, spacing


def _noise(coefficients, n_effective, variance, time, frequency, spacing, background, t_start,
           t_stop, bandwidth, center_frequency):
    """The cone of influence and the background: ``(coi, alpha, red_fraction, noise_power)``,
    the AR(1) fitted outside the cone when ``background`` is red."""
    with np.errstate(divide="ignore"):
        white = 4.0 * variance / np.where(n_effective > 0, n_effective, np.nan)
    coi = cone_of_influence(time, t_start, t_stop, bandwidth, center_frequency)
    alpha, red_fraction = 0.0, 0.0
    if background == "red":
        outside = frequency[:, None] >= coi[None, :]
        alpha, red_fraction = fit_background(coefficients, white, outside, frequency, spacing)
    p_k = red_fraction * red_noise_spectrum(frequency, alpha, spacing) + (1.0 - red_fraction)
    noise_power = white * p_k[:, None]
    return coi, alpha, red_fraction, noise_power


def band(t, fmin=None, fmax=None, dt=None, bandwidth=DEFAULT_BANDWIDTH, center_frequency=DEFAULT_CENTER_FREQUENCY):
    """The analysed band ``(fmin, fmax)`` for sorted times ``t``, defaults filled in and checked:
    :func:`sigfit.grid.wavelet_band` (one module owns every band rule, and its docstring states
    this one) with the Morlet defaults."""
    return wavelet_band(t, fmin, fmax, dt, bandwidth=bandwidth, center_frequency=center_frequency)


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
