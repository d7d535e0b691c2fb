"""Periodogram of evenly spaced samples by real FFT with zero padding.

For samples ``y_n`` at ``t0 + n*dt`` the power at ``f_k = k/(n_fft*dt)`` is
``2*|Y_k|^2 / (N * sum (y - mean)^2)``, ``Y_k`` the DFT of ``y - mean`` zero-padded to ``n_fft``.
At the Fourier frequencies ``k*n_fft/N`` (0 < f < Nyquist) sine, cosine and constant are
orthogonal on the lattice, and this equals the Lomb-Scargle "standard" power exactly; between them
(the zero padding) it is the classical periodogram, which differs by terms of order 1/N.
"""

from __future__ import annotations

import math

import numpy as np

from ..errors import InputError
from ..grid import MAX_GRID_SIZE, FrequencyGrid, check_grid_size


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
    from scipy.fft import next_fast_len

    n_fft = next_fast_len(int(math.ceil(oversampling * n)), real=True)
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


def power(tau: np.ndarray, y: np.ndarray, dy: np.ndarray | None, grid: FrequencyGrid) -> np.ndarray:
    """Standard-normalised power of evenly spaced ``(tau, y)`` on an FFT lattice ``grid``."""
    from scipy.fft import rfft

    if dy is not None:
        raise InputError("method 'fft' cannot weight samples by dy: use method='lombscargle'")
    n = y.size
    dt = (tau[-1] - tau[0]) / (n - 1)
    n_fft = int(round(1.0 / (grid.step * dt)))
    k_lo = int(round(grid.start / grid.step))
    if abs(n_fft * grid.step * dt - 1.0) > 1e-9 or abs(k_lo * grid.step - grid.start) > 1e-9 * grid.step:
        raise InputError("method 'fft' needs a grid on the FFT lattice k/(n_fft*dt): build it with fft_grid()")
    yc = y - y.mean()
    spectrum = rfft(yc, n=n_fft)[k_lo : k_lo + grid.size]
    return 2.0 * (spectrum.real**2 + spectrum.imag**2) / (n * np.dot(yc, yc))
