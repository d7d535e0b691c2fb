"""Trigonometric sums ``sum_j c_j exp(2 pi i h f t_j)`` at many frequencies ``f`` and harmonics ``h``.

Every multi-term periodogram is made of these sums (Press & Rybicki 1989; VanderPlas & Ivezic
2015, the "fastchi2" of astropy): the normal equations of the fit at ``f`` only need the sums of
the weights at ``0..2*nterms`` times ``f`` and those of the weighted values at ``1..nterms``
times ``f``. Two backends with one signature, in one table:

- ``nufft``: non-uniform FFTs (finufft). A regular grid ``f0 + k*df`` is one type-1 transform per
  harmonic (cost O(N + M log M), whatever the size of ``f*t``); arbitrary frequencies go through
  type-3 transforms over groups of nearby frequencies, each group small enough that finufft's
  fine grid stays bounded (:data:`TYPE3_MAX_PRODUCT`).
- ``direct``: the sums themselves, chunked so that no chunk holds more than :data:`DIRECT_CHUNK`
  numbers (memory bounded; O(N*M) operations). The reference, and the cheaper choice for a handful
  of frequencies.

Phases are taken with an error-free product (:func:`sigfit.search.centred_cycles`), so times far
from their origin keep every digit.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .._numerics import TWO_PI, centred_cycles

# finufft's requested accuracy, relative to sum |c_j|: the sums then agree with the direct ones to
# ~1e-13, powers with astropy's direct methods to ~1e-10 relative
NUFFT_EPS = 1e-13
# finufft's type-3 fine grid grows with (half width of t) x (half width of 2 pi f): groups of
# frequencies keep that product at or below this (a fine grid of ~ a few 1e6 points)
TYPE3_MAX_PRODUCT = 2.0e6
# a group with fewer frequencies than this is summed directly (a transform costs more)
TYPE3_MIN_GROUP = 16
DIRECT_CHUNK = 1 << 20  # numbers per chunk of the direct sums (16 MB of complex128)
# one thread: the transforms here are small (N and M of a periodogram), and on a loaded machine
# OpenMP threads spin against each other (sigfit.periodograms.lombscargle measured 10x slower)
NTHREADS = 1
# relative tolerance for a frequency array to count as a regular grid f0 + k*df
REGULAR_RTOL = 1e-10


def regular_grid(frequency: np.ndarray) -> tuple[float, float] | None:
    """``(f0, df)`` when ``frequency`` (1-D) is ``f0 + df*arange(M)`` with ``df > 0``, else None."""
    m = frequency.size
    if m < 3:
        return None
    f0 = float(frequency[0])
    df = float(frequency[-1] - frequency[0]) / (m - 1)
    if not df > 0:
        return None
    expected = f0 + df * np.arange(m)
    scale = max(abs(f0), abs(float(frequency[-1])), df)
    if np.max(np.abs(frequency - expected)) <= REGULAR_RTOL * scale:
        return f0, df
    return None


def direct_sums(t: np.ndarray, c: np.ndarray, frequency: np.ndarray, harmonics) -> np.ndarray:
    """``out[k, i, m] = sum_j c[k, j] exp(2 pi i h_i f_m t_j)`` by direct summation, in chunks."""
    c = np.atleast_2d(c)
    out = np.empty((c.shape[0], len(harmonics), frequency.size), dtype=np.complex128)
    rows = max(1, DIRECT_CHUNK // max(t.size, 1))
    for i, h in enumerate(harmonics):
        for s in range(0, frequency.size, rows):
            f = frequency[s : s + rows]
            phase = np.exp((1j * TWO_PI) * centred_cycles(h * f[:, None], t[None, :]))
            out[:, i, s : s + rows] = c @ phase.T
    return out


def nufft_sums(t: np.ndarray, c: np.ndarray, frequency: np.ndarray, harmonics, *,
               eps: float = NUFFT_EPS) -> np.ndarray:
    """:func:`direct_sums` by non-uniform FFTs (finufft); same result to ``eps`` relative."""
    import finufft

    c = np.atleast_2d(np.asarray(c, dtype=np.complex128))
    n_k = c.shape[0]
    out = np.empty((n_k, len(harmonics), frequency.size), dtype=np.complex128)
    if frequency.size == 0 or t.size == 0:
        out[:] = 0
        return out
    grid = regular_grid(frequency)
    if grid is not None:
        f0, df = grid
        m = frequency.size
        for i, h in enumerate(harmonics):
            if h == 0:
                out[:, i, :] = c.sum(axis=1)[:, None]
            else:
                out[:, i, :] = lattice_window_sums(t, c, f0, df, m, h, eps=eps)[0]
        return out
    # arbitrary frequencies: sort them once, then group per harmonic
    order = np.argsort(frequency, kind="stable")
    fs = frequency[order]
    t_mid = 0.5 * (float(t.max()) + float(t.min()))
    half_t = max(0.5 * (float(t.max()) - float(t.min())), 1e-300)
    tc = t - t_mid
    for i, h in enumerate(harmonics):
        res = np.empty((n_k, fs.size), dtype=np.complex128)
        if h == 0:
            out[:, i, :] = c.sum(axis=1)[:, None]
            continue
        hf = h * fs
        # phase of the origin t_mid at every frequency, restored after the centred transform
        origin = np.exp((1j * TWO_PI) * centred_cycles(hf, np.asarray(t_mid)))
        for lo, hi in _groups(hf, half_t):
            seg = hf[lo:hi]
            if hi - lo < TYPE3_MIN_GROUP:
                res[:, lo:hi] = direct_sums(tc, c, seg, [1])[:, 0, :]
            else:
                s = TWO_PI * seg
                r = finufft.nufft1d3(tc, c if n_k > 1 else c[0], s, eps=eps, isign=1, nthreads=NTHREADS)
                res[:, lo:hi] = np.reshape(r, (n_k, hi - lo))
        res *= origin[None, :]
        out[:, i, order] = res
    return out


def lattice_window_sums(t: np.ndarray, c: np.ndarray, starts: np.ndarray, df: float, m: int,
                        h: int, *, eps: float = NUFFT_EPS,
                        max_elements: int = 1 << 20) -> np.ndarray:
    """``sum_j c_j exp(2 pi i h f t_j)`` on windows of ``m`` frequencies ``f = starts[w] + k*df``
    (``k < m``), all spaced ``df``: the type-1 transform of :func:`nufft_sums`' regular grids,
    many windows at once. The windows share one set of points, so a chunk of them is one
    many-vector transform (finufft sorts the points once), not one call per window; each window's
    offset goes into its strengths, its phase by an error-free product. A chunk holds at most
    ``max_elements`` strengths (``windows x rows of c x samples``), which bounds the memory.
    One finufft plan serves every chunk (the points sorted once, the kernel's series made once;
    a short last chunk padded with zeros: finufft transforms each vector on its own here, so the
    numbers are those of one call per chunk). Returns ``(len(starts), n_k, m)``."""
    return lattice_window_terms(t, [(c, h)], starts, df, m, eps=eps, max_elements=max_elements)[0]


def lattice_window_terms(t: np.ndarray, terms, starts: np.ndarray, df: float, m: int, *,
                         eps: float = NUFFT_EPS, max_elements: int = 1 << 20) -> list[np.ndarray]:
    """:func:`lattice_window_sums` for several ``(c, h)`` terms on the same windows: the sums of
    ``c`` at ``h`` times each window's frequencies, for each term. A window's phase
    ``exp(2 pi i f_w t)`` (its centre ``f_w``) is what costs (an error-free product, a cosine
    and a sine per sample: 60% of the zoom's time at 1e5 samples); it is made once per chunk of
    windows, and harmonic ``h`` takes its ``h``-th power by multiplication (``exp(2 pi i h f t)``
    to a few units of rounding). Each term's chunk holds at most ``max_elements`` strengths.
    Returns one ``(len(starts), n_k, m)`` array per term."""
    import finufft

    terms = [(np.atleast_2d(np.asarray(c, dtype=np.complex128)), int(h)) for c, h in terms]
    if any(h < 1 for _, h in terms):
        raise ValueError("harmonics must be positive")
    n = t.size
    starts = np.atleast_1d(np.asarray(starts, dtype=np.float64))
    outs = [np.empty((starts.size, c.shape[0], m), dtype=np.complex128) for c, _ in terms]
    widest = max(c.shape[0] for c, _ in terms)
    per_chunk = min(max(1, max_elements // max(widest * n, 1)), max(starts.size, 1))
    plans: list = [None] * len(terms)
    strengths = [np.empty((per_chunk, c.shape[0], n), dtype=np.complex128) for c, _ in terms]
    results = [np.empty((per_chunk * c.shape[0], m), dtype=np.complex128) for c, _ in terms]
    top = max(h for _, h in terms)
    for lo in range(0, starts.size, per_chunk):
        fc = starts[lo : lo + per_chunk] + df * (m // 2)
        k = fc.size
        # centre the modes: finufft's modes run over -m//2 .. m - m//2 - 1 (isign +1)
        angle = centred_cycles(fc[:, None], t[None, :])
        angle *= TWO_PI
        base = np.empty(angle.shape, dtype=np.complex128)
        np.cos(angle, out=base.real)
        np.sin(angle, out=base.imag)
        del angle
        shift = base
        for power in range(1, top + 1):
            if power > 1:
                shift = shift * base
            for i, (c, h) in enumerate(terms):
                if h != power:
                    continue
                np.multiply(shift[:, None, :], c[None, :, :], out=strengths[i][:k])
                strengths[i][k:] = 0.0
                if plans[i] is None:
                    plans[i] = finufft.Plan(1, (m,), n_trans=per_chunk * c.shape[0], eps=eps,
                                            isign=1, nthreads=NTHREADS)
                    plans[i].setpts(TWO_PI * centred_cycles(h * df, t))
                res = plans[i].execute(strengths[i].reshape(-1, n), out=results[i])
                outs[i][lo : lo + k] = np.reshape(res, (per_chunk, c.shape[0], m))[:k]
    return outs


def _groups(sorted_f: np.ndarray, half_t: float):
    """Consecutive slices of sorted frequencies whose width keeps the type-3 grid bounded."""
    width = TYPE3_MAX_PRODUCT / (TWO_PI * half_t)  # widest band (cycles per unit) of one group
    lo, n = 0, sorted_f.size
    while lo < n:
        hi = int(np.searchsorted(sorted_f, sorted_f[lo] + width, side="right"))
        hi = max(hi, lo + 1)
        yield lo, hi
        lo = hi


SumFunction = Callable[..., np.ndarray]
# The one list of trigonometric-sum backends.
SUMS: dict[str, SumFunction] = {"nufft": nufft_sums, "direct": direct_sums}


def trig_sum(t, h, df, N, f0=0.0, freq_factor=1.0, use_fft=True, eps=NUFFT_EPS):
    """astropy's ``trig_sum``: ``S_j = sum h sin(2 pi f_j t)``, ``C_j = sum h cos(2 pi f_j t)`` at
    ``f_j = freq_factor * (f0 + j * df)``, ``j = 0..N-1``; by NUFFT (exact to ``eps``, not an
    approximation) or, ``use_fft=False``, directly.

    Examples
    --------
    >>> S, C = trig_sum(np.array([0.0, 0.25]), np.ones(2), 1.0, 2)
    >>> S.round(12), C.round(12)
    (array([0., 1.]), array([2., 1.]))
    """
    t = np.asarray(t, dtype=np.float64)
    h = np.asarray(h, dtype=np.float64)
    freq = freq_factor * (f0 + df * np.arange(int(N)))
    fn = (lambda *a: nufft_sums(*a, eps=eps)) if use_fft else direct_sums
    out = fn(t, h.astype(np.complex128)[None, :], freq, [1])[0, 0]
    return out.imag, out.real
