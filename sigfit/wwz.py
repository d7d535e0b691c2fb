"""Weighted wavelet Z-transform (Foster 1996, AJ 112, 1709) for irregularly sampled series.

Why WWZ and not a windowed Lomb-Scargle: both fit a sinusoid locally, but the WWZ fits it with a
*floating local mean* (three trial functions 1, cos, sin, Foster eq. 4-4) under Gaussian weights
``exp(-c * omega^2 * (t - tau)^2)``. Those weights are exactly the envelope of the complex Morlet
wavelet, so with ``c = 1 / (4 pi^2 B C^2)`` the WWZ has the same time and frequency resolution as
the CWT of :mod:`sigfit.wavelet` with bandwidth ``B`` and centre frequency ``C`` (``B = 2, C = 1``
gives Foster's own ``c = 1/(8 pi^2) ~ 0.0127``). A windowed Lomb-Scargle with a fixed window
would give a different resolution at every scale and no local mean. Samples are never
interpolated onto a grid.

The sums of Foster eqs. 5-4 to 5-14 are evaluated as matrix products: for each frequency the
Gaussian weights of a block of ``tau`` against the samples inside the window (weights below 1e-9
are dropped, as Foster's code does) multiply ten per-sample columns (1, cos, sin, their
products, y, y*cos, y*sin, y^2) by BLAS matrix-vector products. The trial functions at each
``tau`` follow from the angle-difference identities, so no ``N x M x T`` array is ever built;
memory is bounded by ``max_elements`` per block.
"""

from __future__ import annotations

import math

import numpy as np

from ._numerics import TWO_PI

WEIGHT_FLOOR = 1e-9  # Foster's FORTRAN drops samples whose weight is below this
_CUTOFF = math.log(1.0 / WEIGHT_FLOOR) + 1.0


def decay_constant(bandwidth: float, center_frequency: float) -> float:
    """Foster's ``c`` that matches a complex Morlet ``cmorB-C``: envelope ``exp(-u^2/B)`` with
    ``u = (t - tau) f / C`` equals ``exp(-c (2 pi f)^2 (t - tau)^2)`` when ``c = 1/(4 pi^2 B C^2)``."""
    return 1.0 / (4.0 * math.pi**2 * bandwidth * center_frequency**2)


def transform(
    t: np.ndarray,
    y: np.ndarray,
    frequency: np.ndarray,
    tau: np.ndarray,
    *,
    decay: float,
    max_elements: int = 1 << 21,
    progress: bool | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Weighted wavelet transform of irregular samples: local phasors and effective numbers.

    Parameters
    ----------
    t : ndarray, float64, sorted ascending, centred (phases are taken from ``f * t``)
    y : ndarray, float64, same length
    frequency : ndarray, (M,) cycles per unit of t, positive
    tau : ndarray, (T,) sorted ascending: where the wavelet is centred
    decay : float
        Foster's ``c`` (see :func:`decay_constant`).
    max_elements : int
        Largest weight block (``len(tau block) * samples in window``) held in memory at once.
    progress : bool or None
        tqdm bar on stderr over frequencies; None shows it only on a terminal.

    Returns
    -------
    coefficients : ndarray, complex, (M, T)
        ``y2 - 1j*y3`` from Foster's fit ``y1 + y2 cos(w(t-tau)) + y3 sin(w(t-tau))``: its modulus is
        the weighted wavelet amplitude (WWA, eq. 5-14) and its argument the local phase, so a signal
        ``A cos(2 pi f t + phi)`` gives ``A * exp(1j*(2 pi f tau + phi))``. NaN where the fit is
        undetermined (fewer than 3 effective samples, or singular weights).
    n_effective : ndarray, float, (M, T)
        Effective number of samples behind the amplitude: white noise of variance ``s^2`` gives
        an expected squared amplitude ``4 s^2 / n_effective``. Equals Foster's
        ``(sum w)^2 / sum w^2`` (eq. 5-4) for densely, evenly sampled windows; see ``_solve``.
    """
    from tqdm import tqdm

    t = np.asarray(t, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    frequency = np.asarray(frequency, dtype=np.float64)
    tau = np.asarray(tau, dtype=np.float64)
    n_freq, n_tau = frequency.size, tau.size
    coefficients = np.full((n_freq, n_tau), np.nan + 0j)
    n_effective = np.zeros((n_freq, n_tau))
    # |omega (t - tau)| beyond this carries weight < WEIGHT_FLOOR
    reach = math.sqrt(math.log(1.0 / WEIGHT_FLOOR) / decay)
    yy = y * y
    for k in tqdm(range(n_freq), desc="wwz", unit="freq", disable=_no_bar(progress), leave=False):
        f = frequency[k]
        omega = TWO_PI * f
        # phases as cycles reduced to [0, 1) in float64 before multiplying by 2 pi
        phase = TWO_PI * np.mod(f * t, 1.0)
        c, s = np.cos(phase), np.sin(phase)
        rows = np.stack([np.ones_like(t), c, s, c * c, c * s, s * s, y, y * c, y * s, yy])
        phase_tau = TWO_PI * np.mod(f * tau, 1.0)
        ct, st = np.cos(phase_tau), np.sin(phase_tau)
        half = reach / omega
        lo = np.searchsorted(t, tau - half, side="left")
        hi = np.searchsorted(t, tau + half, side="right")
        # a block of taus shares one slice of samples: keep that slice within twice the widest
        # single window, or most weights would be zeros computed for nothing
        width = 2 * max(int(np.max(hi - lo)), 1)
        start = 0
        while start < n_tau:
            stop = start + 1
            # grow the block while its weight matrix stays under the memory bound
            while (
                stop < n_tau
                and hi[stop] - lo[start] <= width
                and (stop + 1 - start) * (hi[stop] - lo[start]) <= max_elements
            ):
                stop += 1
            a, b = lo[start], hi[stop - 1]
            if b > a:
                w = t[None, a:b] - tau[start:stop, None]
                w *= w
                w *= decay * omega * omega
                # clip before exp: underflow to subnormals is slow, and Foster drops these anyway
                np.minimum(w, _CUTOFF, out=w)
                np.negative(w, out=w)
                np.exp(w, out=w)
                w[w < WEIGHT_FLOOR] = 0.0
                # one matrix-vector product per column: a (B x n) @ (n x 10) product runs ~10x
                # slower in OpenBLAS on a busy machine (thread contention on a thin matrix)
                w2 = w * w
                sums = np.stack([w @ r[a:b] for r in rows], axis=1)
                sums2 = np.stack([w2 @ r[a:b] for r in rows[:6]], axis=1)
                coef, neff = _solve(sums, sums2, ct[start:stop], st[start:stop])
                coefficients[k, start:stop] = coef
                n_effective[k, start:stop] = neff
            start = stop
    return coefficients, n_effective


def _projections(sums, ct, st):
    """Normalised Gram matrix of the trial functions (1, cos w(t-tau), sin w(t-tau)) from raw
    sums of (1, cos wt, sin wt, cos^2, cos sin, sin^2) under some weights; angle-difference
    identities turn the phases of t into phases relative to tau."""
    s1, sc, ss, scc, scs, sss = sums[:, :6].T
    s1 = np.where(s1 > 0, s1, 1.0)
    mat = np.empty((s1.size, 3, 3))
    mat[:, 0, 0] = 1.0
    mat[:, 0, 1] = mat[:, 1, 0] = (ct * sc + st * ss) / s1
    mat[:, 0, 2] = mat[:, 2, 0] = (ct * ss - st * sc) / s1
    mat[:, 1, 1] = (ct * ct * scc + 2 * ct * st * scs + st * st * sss) / s1
    mat[:, 2, 2] = (ct * ct * sss - 2 * ct * st * scs + st * st * scc) / s1
    mat[:, 1, 2] = mat[:, 2, 1] = ((ct * ct - st * st) * scs + ct * st * (sss - scc)) / s1
    return mat, s1


def _solve(sums, sums2, ct, st):
    """Foster's weighted projection (eqs. 4-4, 5-5..5-7) from a block's raw sums, and the
    effective number of samples behind the amplitude.

    ``sums`` are weighted with w, ``sums2`` with w^2. The coefficients are
    ``beta = (P' W P)^-1 P' W y``; for white noise of variance s^2 their covariance is the sandwich
    ``s^2 S^-1 M S^-1`` (S, M the Gram matrices under w and w^2, normalised by sum w and
    (sum w)^2). Its (cos, sin) block has trace ``4 / n`` for densely and evenly sampled windows
    with n = Foster's N_eff; sigfit returns ``n = 4 / trace`` everywhere, so the noise model of
    the amplitude stays right where a window holds few samples or they bunch at one phase."""
    gram, s1 = _projections(sums, ct, st)
    ok = sums[:, 0] > 0
    _, _, _, _, _, _, sy, syc, sys_, _ = sums.T
    v = np.stack([sy / s1, (ct * syc + st * sys_) / s1, (ct * sys_ - st * syc) / s1], axis=1)
    gram2, s2 = _projections(sums2, ct, st)
    # normalise the w^2 Gram matrix by (sum w)^2: entries become sum(w^2 f g) / (sum w)^2
    gram2 *= (s2 / (s1 * s1))[:, None, None]
    neff_foster = np.where(ok, s1 * s1 / s2, 0.0)
    # a window with too few samples (or all at one phase) cannot carry a mean and a sinusoid
    det = np.linalg.det(gram)
    ok &= (neff_foster > 3.0) & (np.abs(det) > 1e-10)
    gram[~ok] = np.eye(3)
    coef = np.linalg.solve(gram, v[:, :, None])[:, :, 0]
    inv = np.linalg.inv(gram)
    cov = inv @ gram2 @ inv
    trace = cov[:, 1, 1] + cov[:, 2, 2]
    out = coef[:, 1] - 1j * coef[:, 2]
    out[~ok] = np.nan
    neff = np.where(ok & (trace > 0), 4.0 / np.where(trace > 0, trace, 1.0), 0.0)
    return out, neff


def _no_bar(progress: bool | None) -> bool | None:
    # tqdm: disable=None means "only on a terminal"
    if progress is None:
        return None
    return not progress
