"""The automatic frequency grid: how fine, how high, how big.

Resolution
    A tone observed over a span ``T`` has a periodogram peak about ``1/T`` wide, so the grid steps
    by ``1/(oversampling*T)`` (VanderPlas 2018, ApJS 236, 16, sec. 7.1): ``oversampling`` points
    per peak width, enough for the argmax to land on the right peak; least squares then finds its
    exact top.

Upper limit (``fmax``), unless the caller passes one
    * Uniform samples (spacing ``dt``): the Nyquist frequency ``1/(2*dt)``. Above it every peak
      repeats as an alias of equal power, which is why astropy's default band (5x the average
      Nyquist) returns aliases on regularly sampled series.
    * Samples on a lattice with gaps (every spacing a whole multiple of a quantum ``p``, within
      :data:`LATTICE_RTOL` of ``p``; e.g. hourly data with missing hours, integer seconds):
      ``1/(2*p)``. Frequencies ``f`` and ``f + 1/p`` are then indistinguishable, so this is the
      true Nyquist frequency of irregular sampling (Eyer & Bartholdi 1999, A&AS 135, 1).
      A timing jitter below 5% of ``p`` still leaves the alias at ``f + 1/p`` with over 90% of
      the power (``exp(-(2*pi*0.05)^2)``), so such data counts as a lattice too.
    * Otherwise (random-like stamps): random sampling does not alias like a lattice, and peaks
      far above the average Nyquist frequency ``N/(2T)`` are real and recoverable. The band
      stops at ``1/(2*delta)``, the Nyquist frequency of the closest-pair scale ``delta`` of the
      stamps: the expected smallest gap, ``T/N^2`` for Poisson-like stamps, estimated from the
      k-th smallest positive gap (:func:`close_pair_scale`, k = :data:`CLOSE_PAIR_ORDER`) so
      that one unusually close pair does not blow the band up. 256 random stamps on
      [-1000, 1000] give a band up to about ``N^2/(2T)`` = 16 cycles per unit. The band grows as
      ``N^2``: beyond about 1,800 random stamps on such a span the default grid passes
      :data:`MAX_GRID_SIZE` and ``fmax`` must be given.

Lower limit (``fmin``): one grid step, the longest period the span can still resolve from zero.

Size
    The grid is capped at :data:`MAX_GRID_SIZE` frequencies (memory and time). A larger automatic
    grid raises :class:`~sigfit.errors.InputError` asking for ``fmax``/``fmin`` or a lower
    ``oversampling``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .errors import InputError

# 2^23 frequencies: 64 MiB of float64 power, and under ~1 GiB of NUFFT workspace in nifty-ls.
MAX_GRID_SIZE = 1 << 23
LATTICE_RTOL = 0.05  # jitter, as a fraction of the quantum, below which stamps count as a lattice
# Checks that every sample must pass (a lattice, a time resolution) test this many first: random
# stamps fail at once, and a failing prefix settles it without a pass over all of them
PREFIX = 256
CLOSE_PAIR_ORDER = 16  # k: the closest-pair scale is read from the k-th smallest gap


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
        return self.start + self.step * np.arange(self.size)


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
