"""The automatic frequency grid: how fine, how high, how big.

Resolution
    A tone observed over a span ``T`` has a periodogram peak about ``1/T`` wide, so the grid steps
    by ``1/(oversampling*T)`` (VanderPlas 2018, ApJS 236, 16, sec. 7.1): ``oversampling`` points
    per peak width, enough for the argmax to land on the right peak; least squares then finds its
    exact top.

The band, unless the caller passes one: :func:`default_band` (one rule for every sampling)
    * ``fmin``: :data:`MIN_CYCLES` cycles in the record; slower variation is trend.
    * (Nearly) uniform sampling: the Nyquist frequency of the spectral window's first strong
      alias (:func:`sampling_alias`): evenly spaced samples ``1/(2*dt)``; calendar months and
      quarters, weeks, business days, hourly data with gaps ``1/(2*s)`` with ``s`` the
      effective step. Above it every peak repeats as an alias of nearly equal power, which is
      why astropy's default band (5x the average Nyquist) returns aliases on such series.
    * Random-like stamps: nested bands from the mean Nyquist frequency ``N/(2T)`` up by
      :data:`NEST_FACTOR` to the stamps' own lattice ``1/(2*p)`` (every spacing a whole
      multiple of a quantum ``p``: integer seconds, written decimals, hourly data with missing
      hours; Eyer & Bartholdi 1999, A&AS 135, 1) or, off any lattice, the Nyquist frequency
      ``1/(2*delta)`` of the closest-pair scale ``delta`` (:func:`close_pair_scale`, the k-th
      smallest gap, k = :data:`CLOSE_PAIR_ORDER`, so that one unusually close pair does not blow
      the band up). Each nested band's peak pays its own band's false-alarm cost.
    * :func:`default_fmax` is the top of that rule without the alias test.

Size
    One grid holds at most :data:`MAX_GRID_SIZE` frequencies (memory and time); larger bands are
    searched coarse-to-fine (:mod:`sigfit.search`). An automatic band whose search would pass
    the budget (:data:`sigfit.plan.AUTO_ZOOM_BINS`) is cut, before anything runs, at the
    highest nested level that fits, and its rule says so (:func:`truncate_band`).
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass

import numpy as np

from ._numerics import mark_ascending, next_fast_len_real
from .errors import InputError
from .sampling import PREFIX, close_pair_scale, lattice_quantum  # noqa: F401  (their home before)

# 2^23 frequencies: 64 MiB of float64 power, and under ~1 GiB of NUFFT workspace in nifty-ls.
MAX_GRID_SIZE = 1 << 23


@dataclass(frozen=True)
class FrequencyGrid:
    """An evenly spaced frequency grid (cycles per unit of t): ``start + step*arange(size)``."""

    start: float
    step: float
    size: int

    @property
    def stop(self) -> float:
        return self.start + self.step * (self.size - 1)

    def frequency(self) -> np.ndarray:
        """``start + step * arange(size)``, built in place (one array, not three: a default band
        has 3e6). The last grid's array of at most :data:`FREQUENCY_KEEP_MAX` frequencies is
        kept, read-only, and given again: an estimate asked for it twice (the trend's choice,
        the search), and every series of a batch on shared stamps for the same one (~7 ms each
        at 2.8e6 frequencies, 15% of such a series' own work)."""
        key = (self.start, self.step, self.size)
        with _FREQUENCY_LOCK:
            if _FREQUENCY_KEPT and _FREQUENCY_KEPT[0][0] == key:
                return _FREQUENCY_KEPT[0][1]
        f = np.arange(self.size, dtype=np.float64)
        f *= self.step
        f += self.start
        if self.size <= FREQUENCY_KEEP_MAX:
            f.setflags(write=False)
            with _FREQUENCY_LOCK:
                _FREQUENCY_KEPT[:] = [(key, f)]
                # sigfit._numerics' grid checks then skip a pass over it (and hold nothing else)
                mark_ascending(f if self.step > 0 else None)
        return f


# FrequencyGrid.frequency keeps the last grid's array up to this many frequencies (32 MB)
FREQUENCY_KEEP_MAX = 1 << 22
_FREQUENCY_KEPT: list = []
_FREQUENCY_LOCK = threading.Lock()


def default_fmax(tau: np.ndarray, uniform_step: float | None = None) -> float:
    """The default top of the band for sorted times ``tau`` (see the module docstring)."""
    if uniform_step is not None:
        return 0.5 / uniform_step
    p = lattice_quantum(tau)
    if p is not None:
        return 0.5 / p
    return 0.5 / close_pair_scale(tau)


def resolution(span: float, oversampling: float) -> float:
    """The grid step ``1/(oversampling*span)``."""
    return 1.0 / (oversampling * span)


def make_grid(
    span: float,
    *,
    fmin: float | None,
    fmax: float,
    oversampling: float,
    max_size: int = MAX_GRID_SIZE,
) -> FrequencyGrid:
    """An evenly spaced grid from ``fmin`` (default: one step) to ``fmax`` inclusive.

    Raises
    ------
    InputError
        When the grid would hold more than ``max_size`` frequencies.
    """
    step = resolution(span, oversampling)
    start = step if fmin is None or fmin <= 0 else float(fmin)
    if start >= fmax:
        raise InputError(
            f"the frequency band is empty: fmin = {start:.6g} is not below fmax = {fmax:.6g} "
            "cycles per unit of t; pass a lower fmin or a higher fmax"
        )
    size = int(math.ceil((fmax - start) / step)) + 1
    check_grid_size(size, fmin=start, fmax=fmax, oversampling=oversampling, max_size=max_size)
    size = max(size, 3)  # room for a peak with two neighbours
    return FrequencyGrid(start=start, step=(fmax - start) / (size - 1), size=size)


def check_grid_size(
    size: int, *, fmin: float, fmax: float, oversampling: float, max_size: int = MAX_GRID_SIZE
) -> None:
    """Raise InputError when a grid of ``size`` frequencies is over the memory bound."""
    if size > max_size:
        raise InputError(
            f"the frequency grid from {fmin:.6g} to {fmax:.6g} cycles per unit of t at "
            f"oversampling {oversampling:g} needs {size:,} frequencies (limit {max_size:,}): "
            "pass a lower fmax (or a higher fmin) to bound the search, or a lower oversampling"
        )


# --------------------------------------------------------------------------------------------
# The default band: one rule for every sampling (issue #12)

MIN_CYCLES = 2.0  # a period must complete this many cycles in the record; slower is trend
STRONG_ALIAS = 0.5  # spectral-window power |mean exp(2 pi i f t)|^2 that makes an alias strong
NEST_FACTOR = 8.0  # each nested band reaches this many times higher than the one below
# A stamp group of at most this fraction of the samples (and at least one), alone at an end of
# the record beyond this many times the span of the others, is an outlying stamp
OUTLIER_FRACTION = 0.01
OUTLIER_GAP = 10.0


@dataclass(frozen=True)
class Band:
    """The band searched: ``[fmin, fmax]`` (cycles per unit of t) and why.

    ``levels`` are the tops of nested bands ``[fmin, level]``, ascending, the last one ``fmax``;
    each nested band's highest peak is judged by its own false-alarm probability (its own
    look-elsewhere cost) and the most significant one wins (:func:`default_band`). One level
    means one band. ``rule`` says in a few words how ``fmin`` and ``fmax`` were chosen.
    """

    fmin: float
    fmax: float
    rule: str
    levels: tuple[float, ...] = ()
    harmonic_limit: float | None = None  # nearly uniform stamps: harmonics above it alias

    def __post_init__(self):
        if not self.levels:
            object.__setattr__(self, "levels", (self.fmax,))

    def to_dict(self) -> dict:
        return {"fmin": float(self.fmin), "fmax": float(self.fmax), "rule": self.rule,
                "levels": [float(x) for x in self.levels]}


def fft_grid(
    n: int,
    dt: float,
    *,
    fmin: float | None,
    fmax: float | None,
    oversampling: float,
    max_size: int = MAX_GRID_SIZE,
) -> FrequencyGrid:
    """The FFT lattice ``k/(n_fft*dt)`` with ``n_fft >= oversampling*n`` (a fast length),
    restricted to ``[fmin, fmax]`` (default: one step to Nyquist)."""
    n_fft = next_fast_len_real(int(math.ceil(oversampling * n)))
    check_grid_size(n_fft // 2 + 1, fmin=0.0, fmax=0.5 / dt, oversampling=oversampling, max_size=max_size)
    step = 1.0 / (n_fft * dt)
    k_lo = 1 if fmin is None else max(1, int(math.ceil(fmin / step - 1e-9)))
    k_hi = n_fft // 2 if fmax is None else min(n_fft // 2, int(math.floor(fmax / step + 1e-9)))
    if k_hi - k_lo < 2:
        raise InputError(
            f"the band [{'automatic' if fmin is None else f'{fmin:g}'}, "
            f"{'automatic' if fmax is None else f'{fmax:g}'}] holds fewer than 3 FFT frequencies "
            f"(step {step:.6g}, up to {0.5 / dt:.6g}, half the sampling rate): "
            "widen it, raise oversampling, or use method='lombscargle'"
        )
    return FrequencyGrid(start=k_lo * step, step=step, size=k_hi - k_lo + 1)


def window_powers(tau: np.ndarray, centre: float, step: float, half: int) -> np.ndarray:
    """:func:`window_power` at ``centre + k step``, ``k = -half..half``: the phases at the
    centre and of one step exactly (error-free products), the others by complex multiplication
    outwards from the centre (a few units of rounding after ``half`` steps), ``2 half + 1``
    frequencies for the trigonometric work of two (the clock's 1e5 stamps: 11 frequencies
    110 -> ~15 ms)."""
    from ._numerics import TWO_PI, centred_cycles  # error-free phases: stamps may be large

    tau = np.asarray(tau, dtype=np.float64)

    def phasor(f: float) -> np.ndarray:
        ph = TWO_PI * centred_cycles(f, tau)
        out = np.empty(tau.size, dtype=np.complex128)
        np.cos(ph, out=out.real)
        np.sin(ph, out=out.imag)
        return out

    mid, turn = phasor(centre), phasor(step)
    out = np.empty(2 * half + 1)
    out[half] = abs(mid.mean()) ** 2
    up, down = mid, mid
    back = np.conj(turn)
    for k in range(1, half + 1):
        up = up * turn
        down = down * back
        out[half + k] = abs(up.mean()) ** 2
        out[half - k] = abs(down.mean()) ** 2
    return out


def window_power(tau: np.ndarray, frequency: float) -> float:
    """The spectral window ``|mean exp(2 pi i f tau)|^2`` at one frequency (Deeming 1975,
    Ap&SS 36, 137): 1 at ``f = 0``, 1 at ``f = 1/dt`` for samples on a lattice of step ``dt``,
    about ``1/N`` for random stamps. A peak of the window at ``f_a`` makes every tone ``f``
    reappear at ``f +- f_a`` with that fraction of its power."""
    from ._numerics import centred_cycles  # error-free phases: stamps may be large

    ph = 2.0 * math.pi * centred_cycles(frequency, np.asarray(tau, dtype=np.float64))
    return float(np.mean(np.cos(ph)) ** 2 + np.mean(np.sin(ph)) ** 2)


def sampling_alias(tau: np.ndarray) -> tuple[float, float, float] | None:
    """The first strong alias of nearly uniform sampling: ``(f_a, window power, median step)``,
    or None for random-like stamps.

    The samples are counted on a lattice of the median step ``d`` (each gap as its nearest whole
    number of steps, so missed samples, weekends and gaps count), the effective step ``s`` is the
    least-squares slope of the stamps on those counts (calendar months: 30.44 days, not the
    median 31), and the window is maximised near ``1/s``. Calendar months, quarters and years as
    dates, weeks, business days and hourly series with gaps have a window power near 1 there
    (month lengths jitter by +-5%: ``exp(-(2 pi 0.03)^2) ~ 0.97``); random stamps about ``1/N``.
    """
    tau = np.asarray(tau, dtype=np.float64)
    gaps = np.diff(tau)
    gaps = gaps[gaps > 0]
    if gaps.size < 4:
        return None
    d = float(np.median(gaps))
    steps = np.maximum(np.rint(np.diff(tau) / d), 0.0)
    count = np.concatenate([[0.0], np.cumsum(steps)])
    if count[-1] < 2:
        return None
    x = count - count.mean()
    s = float(np.dot(x, tau - tau.mean()) / np.dot(x, x))
    if not s > 0:
        return None
    span = float(tau[-1] - tau[0])
    # the window's main lobe is 1/T wide: 11 frequencies across it
    f = 1.0 / s + np.linspace(-1.0, 1.0, 11) / span
    w = window_powers(tau, float(f[5]), 0.2 / span, 5)
    best = int(np.argmax(w))
    best_f, best_w = float(f[best]), float(w[best])
    if best_w < STRONG_ALIAS:
        return None
    return best_f, best_w, d


def default_band(
    tau: np.ndarray,
    *,
    uniform_step: float | None = None,
    quantum: float | None = None,
    fmin: float | None = None,
    fmax: float | None = None,
) -> Band:
    """The band searched when the caller does not give one: the rule behind ``fmin``/``fmax``.

    * ``fmin``: :data:`MIN_CYCLES` cycles over the span. Slower variation is trend (chosen with
      the periodic model, ``detrend="auto"``), as in STL and classical decomposition, which need
      two full periods of the seasonal term (Cleveland et al. 1990, J. Off. Stat. 6, 3).
    * ``fmax`` for (nearly) uniform sampling: the Nyquist frequency of its spectral window's
      first strong alias, ``f_a/2`` (:func:`sampling_alias`): above it every peak repeats at
      ``f_a - f`` with the window's power (Deeming 1975; Eyer & Bartholdi 1999, A&AS 135, 1).
      The band does not depend on how the stamps are written: month-start dates on whole days,
      or in seconds, give the monthly Nyquist frequency, not ``1/(2 days)``.
    * ``fmax`` for random-like stamps: they do not alias like a lattice, and peaks far above the
      mean Nyquist frequency ``N/(2T)`` are real, but searching higher costs significance. The
      search runs over nested bands ``[fmin, N/(2T) * NEST_FACTOR^k]`` up to the stamps' own
      Nyquist frequency ``1/(2q)`` when they sit on a lattice of step ``q`` (integer seconds,
      written decimals), else the close-pair scale (:func:`close_pair_scale`), and each nested
      band's peak pays its own band's false-alarm cost: the most significant wins. Rounding the
      stamps to more or fewer decimals moves only the top band.

    ``fmin``/``fmax`` given by the caller are kept (the other end is still chosen here).
    """
    tau = np.asarray(tau, dtype=np.float64)
    span = float(tau[-1] - tau[0])
    n = tau.size
    parts = []
    if fmin is None:
        lo = MIN_CYCLES / span
        parts.append(f"fmin {MIN_CYCLES:g} cycles in the span {span:.4g}")
    else:
        lo = float(fmin)
        parts.append("fmin given")
    levels: tuple[float, ...] = ()
    harmonic_top = None
    if fmax is not None:
        hi = float(fmax)
        parts.append("fmax given")
    elif uniform_step is not None:
        hi = 0.5 / uniform_step
        parts.append(f"fmax nyquist of the uniform step {uniform_step:.4g}")
    else:
        alias = sampling_alias(tau)
        if alias is not None:
            f_a, w, d = alias
            hi = 0.5 * f_a
            harmonic_top = hi  # a harmonic above it is one below it seen through the window
            parts.append(f"fmax nyquist of the typical step {1 / f_a:.4g} "
                         f"(median {d:.4g}; spectral window {w:.2f} at its alias)")
        else:
            base = 0.5 * (n - 1) / span
            if quantum is not None:
                hi = 0.5 / quantum
                top = f"the stamps' lattice {quantum:.4g}"
            else:
                hi = 0.5 / close_pair_scale(tau)
                top = "the close-pair scale"
            hi = max(hi, base)
            nested = []
            f = base
            while f < hi / math.sqrt(NEST_FACTOR):
                if f > lo * NEST_FACTOR ** 0.5:
                    nested.append(f)
                f *= NEST_FACTOR
            levels = (*nested, hi)
            parts.append(f"fmax random stamps: {len(levels)} nested bands from the mean nyquist "
                         f"{base:.4g} to {hi:.4g} ({top})")
    if not hi > lo:
        lo = min(lo, 0.5 * hi) if fmin is None else lo
    return Band(fmin=lo, fmax=hi, rule="; ".join(parts), levels=levels or (hi,),
                harmonic_limit=harmonic_top)


def wavelet_band(t, fmin, fmax, dt, *, bandwidth: float, center_frequency: float) -> tuple[float, float]:
    """The wavelet's band ``(fmin, fmax)`` for sorted times ``t``, defaults filled in and checked
    (:func:`sigfit.wavelet.band` calls it with the Morlet defaults ``B``, ``C``).

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


def truncate_band(band: Band, fmax: float, reason: str) -> Band:
    """``band`` with its nested levels cut at ``fmax`` (a budget), saying why."""
    levels = tuple(x for x in band.levels if x < fmax * (1 - 1e-12)) + (fmax,)
    return Band(fmin=band.fmin, fmax=fmax, rule=f"{band.rule}; {reason}", levels=levels,
                harmonic_limit=band.harmonic_limit)


def outlying_stamps(tau: np.ndarray) -> str | None:
    """A note when a few stamps (at most :data:`OUTLIER_FRACTION` of them) lie alone at an end
    of the record, farther from the rest than :data:`OUTLIER_GAP` times the rest's span: such a
    stamp (a typo, a wrong epoch) sets the span, the resolution and the cost of the search."""
    tau = np.asarray(tau, dtype=np.float64)
    n = tau.size
    m_max = max(1, int(OUTLIER_FRACTION * n))
    if n < 4 * m_max + 2:
        return None
    for m in range(1, m_max + 1):
        for side, gap, rest in (
            ("first", tau[m] - tau[m - 1], tau[-1] - tau[m]),
            ("last", tau[-m] - tau[-m - 1], tau[-m - 1] - tau[0]),
        ):
            if rest > 0 and gap > OUTLIER_GAP * rest:
                return (f"the {side} {m} time stamp{'s' if m > 1 else ''} lie{'' if m > 1 else 's'} "
                        f"{gap:.4g} away from the other {n - m}, which span {rest:.4g}: an outlying "
                        "stamp sets the span, resolution and cost of the search; check it, or drop it")
    return None


def autofrequency(t, samples_per_peak=5, nyquist_factor=5, minimum_frequency=None,
                  maximum_frequency=None, return_freq_limits=False):
    """astropy's automatic grid for times ``t`` (plain numbers).

    Steps of ``1/(samples_per_peak * T)`` (``T`` the baseline) from half a step, up to
    ``nyquist_factor`` times the average Nyquist frequency ``N/(2T)``.

    Parameters
    ----------
    t : ndarray
        Times.
    samples_per_peak : float
        Grid points per peak width ``1/T``.
    nyquist_factor : float
        Multiple of the average Nyquist frequency where the grid stops (without
        ``maximum_frequency``).
    minimum_frequency, maximum_frequency : float, optional
        The ends of the grid instead.
    return_freq_limits : bool
        Return only ``(first, last)``.

    Returns
    -------
    ndarray or tuple
        The frequencies, or their limits.

    Examples
    --------
    >>> import numpy as np
    >>> autofrequency(np.arange(11.0), maximum_frequency=0.5)[:3]
    array([0.01, 0.03, 0.05])
    """
    t = np.asarray(t, dtype=np.float64)
    baseline = float(t.max() - t.min())
    if not baseline > 0:
        raise InputError("every time stamp is the same: a frequency grid needs samples spread in time")
    if not (np.isfinite(samples_per_peak) and samples_per_peak > 0):
        raise InputError(f"samples_per_peak must be a positive number, got {samples_per_peak!r}")
    df = 1.0 / baseline / samples_per_peak
    if minimum_frequency is None:
        minimum_frequency = 0.5 * df
    if maximum_frequency is None:
        maximum_frequency = nyquist_factor * (0.5 * t.size / baseline)  # astropy's order of operations
    nf = 1 + int(np.round((maximum_frequency - minimum_frequency) / df))
    if nf < 1:
        raise InputError(
            f"maximum_frequency ({maximum_frequency}) is below minimum_frequency ({minimum_frequency}): swap them"
        )
    if return_freq_limits:
        return minimum_frequency, minimum_frequency + df * (nf - 1)
    return minimum_frequency + df * np.arange(nf)
