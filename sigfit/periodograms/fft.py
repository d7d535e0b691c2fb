"""Periodogram of evenly spaced samples by real FFT with zero padding.

For samples ``y_n`` at ``t0 + n*dt`` the sums ``sum (y_n - mean) e^(i w n dt)`` at
``f_k = k/(n_fft*dt)`` are the DFT of ``y - mean`` zero-padded to ``n_fft``, and the sums of the
sampling itself ``sum e^(i m w n dt)`` (m = 0, 1, 2) are geometric series in closed form: together
they give the normal equations of the floating-mean sinusoid fit, so the power is the Lomb-Scargle
"standard" power exactly at every lattice frequency. The classical periodogram
``2*|Y_k|^2 / (N * sum (y - mean)^2)`` equals it only at the Fourier frequencies strictly between 0
and Nyquist; at Nyquist (even N) it is twice the least-squares power (issue 13), and between Fourier
frequencies it differs by terms of order 1/N.
"""

from __future__ import annotations

import numpy as np

from ..errors import InputError
from ..grid import FrequencyGrid, fft_grid  # noqa: F401  (fft_grid: its home before; the rule lives in grid.py)


def power(tau: np.ndarray, y: np.ndarray, dy: np.ndarray | None, grid: FrequencyGrid) -> np.ndarray:
    """Standard-normalised power of evenly spaced ``(tau, y)`` on an FFT lattice ``grid``: the exact
    floating-mean Lomb-Scargle power at every lattice frequency (Nyquist and zero padding
    included), from one real FFT of the values and closed-form sums of the sampling."""
    from numpy.fft import rfft  # (scipy's is the same pocketfft; numpy's spares its import)

    from .generalized import _normal_equations, explained

    if dy is not None:
        raise InputError("method 'fft' cannot weight samples by dy: use method='lombscargle'")
    n = y.size
    dt = (tau[-1] - tau[0]) / (n - 1)
    n_fft = int(round(1.0 / (grid.step * dt)))
    k_lo = int(round(grid.start / grid.step))
    if abs(n_fft * grid.step * dt - 1.0) > 1e-9 or abs(k_lo * grid.step - grid.start) > 1e-9 * grid.step:
        raise InputError("method 'fft' needs a grid on the FFT lattice k/(n_fft*dt): build it with fft_grid()")
    yc = y - y.mean()
    k = np.arange(k_lo, k_lo + grid.size)
    # sum_n yc_n e^(+i w n dt) with w = 2 pi k/(n_fft dt): the conjugate of the FFT
    sy = np.conj(rfft(yc, n=n_fft)[k_lo : k_lo + grid.size])[None, :]
    sw = np.stack([_geometric(n, (m * k) % n_fft, n_fft) for m in range(3)])
    xtx, xty = _normal_equations(sw, sy, 0.0, True, 1)
    return np.clip(explained(xtx, xty, float(n)) / np.dot(yc, yc), 0.0, 1.0)


def _geometric(n: int, j: np.ndarray, n_fft: int) -> np.ndarray:
    """``sum_{m<n} e^(2 pi i j m / n_fft)`` for integers ``0 <= j < n_fft`` (``n`` where j = 0)."""
    z = np.exp(2j * np.pi * j / n_fft)
    zn = np.exp(2j * np.pi * ((j * n) % n_fft) / n_fft)
    with np.errstate(invalid="ignore", divide="ignore"):
        out = (1.0 - zn) / (1.0 - z)
    return np.where(j == 0, complex(n), out)
