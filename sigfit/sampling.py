"""How the time stamps are laid out: the one place that says whether samples are evenly spaced,
on a lattice, on an exact grid of stamps, and how close their closest pairs are.

- :func:`uniform_step`: the common spacing of evenly spaced samples (FFT, Nyquist ``1/(2 dt)``);
- :func:`lattice_quantum`: the quantum ``p`` of a lattice with gaps (every spacing a whole
  multiple of ``p``, within :data:`LATTICE_RTOL`);
- :func:`time_resolution`: the stamps' own exact resolution ``q`` (integer seconds: 1), with the
  stamps as exact integers (:class:`TimeResolution`);
- :func:`close_pair_scale`: the closest-pair scale of random-like stamps;
- :func:`describe`: all of them for one validated series, computed once (:class:`Sampling`), which
  the band rule (:mod:`sigfit.grid`) and the search plan (:mod:`sigfit.plan`) read.

Times sampled on a grid of step ``q`` cannot tell ``f`` from ``f + k/q`` (Eyer & Bartholdi 1999,
A&AS 135, 1).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

LATTICE_RTOL = 0.05  # jitter, as a fraction of the quantum, below which stamps count as a lattice
# Checks that every sample must pass (a lattice, a time resolution) test this many first: random
# stamps fail at once, and a failing prefix settles it without a pass over all of them
PREFIX = 256
CLOSE_PAIR_ORDER = 16  # k: the closest-pair scale is read from the k-th smallest gap


def lattice_quantum(tau: np.ndarray, rtol: float = None, max_divisor: int = 8) -> float | None:
    """The quantum ``p`` of a lattice with gaps: every positive spacing within ``rtol*p`` of a
    whole multiple of ``p``, trying ``p = s_min/j`` for ``j = 1..max_divisor``; None if none fits."""
    rtol = LATTICE_RTOL if rtol is None else rtol
    gaps = np.diff(tau)
    gaps = gaps[gaps > 0]
    if gaps.size == 0:
        return None
    smallest = float(gaps.min())
    for j in range(1, max_divisor + 1):
        p = smallest / j
        r = gaps[:PREFIX] / p  # every gap must pass: a failing prefix settles it
        if np.max(np.abs(r - np.round(r))) > rtol:
            continue
        r = gaps / p
        if np.max(np.abs(r - np.round(r))) <= rtol:
            return p
    return None


def close_pair_scale(tau: np.ndarray, order: int | None = None) -> float:
    """The expected closest-pair gap of the stamps, ``mu/n``, estimated from the k-th smallest
    positive gap ``s_(k)``.

    For Poisson-like stamps the ``n`` gaps are exponential with mean ``mu``, and the k-th
    smallest has expectation ``mu * sum_{j<k} 1/(n - j)`` (Renyi's representation of exponential
    order statistics), so ``s_(k) / (n * sum_{j<k} 1/(n - j))`` estimates ``mu/n``, which is
    ``T/N^2``, with a scatter of about ``1/sqrt(k)`` where the bare minimum scatters by 100%.
    """
    order = CLOSE_PAIR_ORDER if order is None else order
    gaps = np.diff(tau)
    gaps = gaps[gaps > 0]
    n = gaps.size
    if n == 0:
        return math.inf
    k = min(order, n)
    s_k = float(np.partition(gaps, k - 1)[k - 1])
    expected_over_mu = sum(1.0 / (n - j) for j in range(k))
    return s_k / (n * expected_over_mu)


# Relative tolerance on the spacing for samples to count as uniform: a timing jitter of 1e-6 of a
# step moves the phase at Nyquist by 3e-6 rad, far below any noise floor worth an FFT.
UNIFORM_RTOL = 1e-6


def uniform_step(tau: np.ndarray, time_resolution: float = 0.0) -> float | None:
    """The common spacing of sorted ``tau`` if the samples are evenly spaced, else None.

    Evenly spaced means every gap is within ``UNIFORM_RTOL`` of the mean gap, or within a few
    quanta of the stamps' own resolution (rounding of ``t0 + k*dt``). Duplicates and gaps are not
    uniform.
    """
    n = tau.size
    if n < 3:
        return None
    dt = (tau[-1] - tau[0]) / (n - 1)
    if not dt > 0:
        return None
    tol = max(UNIFORM_RTOL * dt, 4.0 * time_resolution)
    if np.max(np.abs(np.diff(tau) - dt)) <= tol:
        return float(dt)
    return None


@dataclass(frozen=True)
class TimeResolution:
    """Times that are integer multiples of ``quantum`` (units of t): ``units`` holds ``t/quantum``
    as exact int64 counted from ``origin`` (``t = origin + units*quantum``)."""

    quantum: float
    origin: float
    units: np.ndarray = field(repr=False)

    @property
    def nyquist(self) -> float:
        """1/(2 quantum): with times on a grid of step q, f and f + k/q are the same sinusoid."""
        return 0.5 / self.quantum


def time_resolution(t: np.ndarray, *, max_decimals: int = 12) -> TimeResolution | None:
    """The time stamps' own resolution: the largest ``q`` with every ``t`` an integer multiple of
    ``q`` (integer dtype, or floats with at most ``max_decimals`` decimals), else None.

    Times sampled on a grid of step ``q`` cannot tell ``f`` from ``f + k/q`` (Eyer & Bartholdi
    1999, A&AS 135, 1), so nothing above ``1/(2q)`` is distinguishable: integer seconds carry
    nothing above 0.5 Hz.

    Examples
    --------
    >>> time_resolution(np.array([0, 14, 35], dtype=np.int64)).quantum
    7.0
    >>> time_resolution(np.array([0.25, 1.5, 3.0])).quantum
    0.25
    >>> time_resolution(np.random.default_rng(0).uniform(0, 1, 50)) is None
    True
    """
    t = np.asarray(t)
    if t.size < 2:
        return None
    if np.issubdtype(t.dtype, np.integer):
        t64 = t.astype(np.int64)
        origin = int(t64.min())
        units = t64 - origin
        scale_num, scale_den = 1, 1
    else:
        t = t.astype(np.float64)
        if not np.all(np.isfinite(t)):
            return None
        origin_f = float(t.min())
        span = float(t.max()) - origin_f
        units = None
        t_abs_max = max(abs(origin_f), abs(float(t.max())))
        for k in range(0, max_decimals + 1):
            s = 10.0**k
            # the integer test is meaningful only while the float's ulp is far below one unit
            if t_abs_max * s >= 2.0**42:
                break
            # every t must pass, so a failing prefix settles it (random floats fail at once); its
            # tolerance is twice the full test's, whose ulp may be one binade lower
            u = t[:PREFIX] * s
            if np.any(np.abs(u - np.rint(u)) > 16.0 * np.spacing(t_abs_max * s)):
                continue
            u = t * s
            r = np.rint(u)
            tol = 8.0 * np.spacing(np.abs(u).max())
            if np.all(np.abs(u - r) <= tol):
                units = (r - r.min()).astype(np.int64)
                origin = r.min() / s
                scale_num, scale_den = 1, 10**k
                break
        if units is None:
            return None
        del span
    d = np.diff(np.unique(units))
    if d.size == 0:
        return None
    g = int(np.gcd.reduce(d))
    if g <= 0:
        return None
    # base the units at the smallest time so they stay small and exact
    units = units // g
    quantum = g * scale_num / scale_den
    return TimeResolution(quantum=float(quantum), origin=float(origin), units=units)


def resolution_fmax(t: np.ndarray) -> float | None:
    """The automatic band edge from the time stamps' resolution: ``1/(2q)``, or None when the
    times are not on a grid (then another rule must bound the band)."""
    res = time_resolution(t)
    return None if res is None else res.nyquist


def audit_time_lattice(quantum: float, fmax: float) -> list[str]:
    """Notes on a band searched over time stamps that are exact multiples of ``quantum``: such
    stamps carry no rounding jitter (integer seconds are exact), but frequencies above
    ``1/(2 quantum)`` are aliases of lower ones."""
    nyq = 0.5 / quantum
    if fmax > nyq * (1 + 1e-9):
        return [
            f"every time stamp is a multiple of {quantum:g}: frequencies above {nyq:g} are aliases "
            f"of lower ones (f and f + {1 / quantum:g} are the same sinusoid there); the band up "
            f"to {fmax:g} repeats itself: pass fmax <= {nyq:g}"
        ]
    return []


def audit_frequency_precision(frequency: float, frequency_err: float, rounding: float, span: float,
                              n: int) -> list[str]:
    """A note when a reported frequency error is below what the time stamps' rounding supports.

    Stamps rounded to ``+-rounding`` (half their quantum: an ulp for floats) jitter by
    ``delta = rounding/sqrt(3)`` rms, i.e. phase noise ``2 pi f delta``; from phase noise alone the
    frequency cannot be known better than ``f delta sqrt(12) / (span sqrt(n))`` (the Cramer-Rao
    bound of a phase ramp over ``n`` uniform samples)."""
    floor = abs(frequency) * rounding / math.sqrt(3.0) * math.sqrt(12.0) / (span * math.sqrt(n))
    if frequency_err < floor:
        return [
            f"frequency {frequency:.12g}: its reported error {frequency_err:.2g} is below the "
            f"{floor:.2g} that time stamps rounded to +-{rounding:.2g} support; read the error as "
            f"at least {floor:.2g} (pass times relative to a nearby origin, or exact integer stamps)"
        ]
    return []


def mean_spacing(t) -> tuple[bool, float]:
    """(uniform?, mean spacing) of sorted ``t``, the wavelet transform's test: uniform when every
    step equals the mean step to 1e-6 of it, plus the rounding of the times themselves (looser
    than :func:`uniform_step`, which the periodograms use: the transform only needs its samples
    on a grid to within its own precision)."""
    steps = np.diff(t)
    mean = (t[-1] - t[0]) / (t.size - 1)
    tol = 1e-6 * mean + 8 * np.finfo(float).eps * float(np.max(np.abs(t)))
    return bool(np.all(np.abs(steps - mean) <= tol)), float(mean)


@dataclass(frozen=True)
class Sampling:
    """The layout of one validated series' time stamps, computed once (:func:`describe`).

    ``uniform_step``: the common spacing of evenly spaced samples, else None; ``nyquist`` its
    ``1/(2 dt)``. ``resolution``: the stamps' exact grid (:func:`time_resolution`), else None.
    ``quantum``: that grid's step, else the lattice quantum (:func:`lattice_quantum`), else None.
    ``harmonic_nyquist``: the stamps' own Nyquist frequency (uniform, exact grid or lattice),
    below which harmonics stay because above it they alias."""

    uniform_step: float | None
    resolution: TimeResolution | None
    quantum: float | None

    @property
    def nyquist(self) -> float | None:
        return None if self.uniform_step is None else 0.5 / self.uniform_step

    @property
    def harmonic_nyquist(self) -> float | None:
        if self.uniform_step is not None:
            return self.nyquist
        return None if self.quantum is None else 0.5 / self.quantum


def describe(series) -> Sampling:
    """:class:`Sampling` of a validated series (``sigfit._validate.Samples``): evenly spaced to
    within the stamps' rounding (integer stamps are exact), their exact grid, their lattice."""
    rounding = 0.0 if series.time_is_integer else series.time_resolution  # integers are exact
    dt = uniform_step(series.tau, rounding)
    res = time_resolution(series.t)  # exact grid of the stamps (integer seconds: q = 1)
    quantum = lattice_quantum(series.tau) if res is None else res.quantum
    return Sampling(uniform_step=dt, resolution=res, quantum=quantum)


__all__ = [
    "CLOSE_PAIR_ORDER", "LATTICE_RTOL", "PREFIX", "UNIFORM_RTOL", "Sampling", "TimeResolution",
    "audit_frequency_precision", "audit_time_lattice", "close_pair_scale", "describe",
    "lattice_quantum", "mean_spacing", "resolution_fmax", "time_resolution", "uniform_step",
]
