"""Frequency search whose cost grows with the number of samples and the band, not with span/period.

A Lomb-Scargle periodogram resolves peaks of width ``1/T`` (``T`` the span), so a full grid over
a band ``B`` has ``oversampling * B * T`` bins: for random integer seconds over 120 years up to
0.5 Hz that is ~1e10 bins, far beyond memory. :func:`search` finds the same peaks in two stages:

1. **Coarse, semi-coherent, all samples.** The sliding-window power

   .. math:: S(f) = \\sum_{i<j,\\ 0 \\le t_j - t_i \\le L} (1 - (t_j-t_i)/L)\\, z_i z_j
             \\cos 2\\pi f (t_j - t_i)

   is, up to a constant, the average over all windows of length ``L`` of each window's
   periodogram: the incoherent "stack-slide" sum of gravitational-wave searches (Brady & Creighton
   2000, PRD 61, 082001), written as a sum over lags (Bartlett's triangular lag window, so
   ``S >= 0`` away from the zero-lag term). Lags are histogrammed on a grid (exactly when the time
   stamps are integer multiples of a resolution ``q``; otherwise by cloud-in-cell with its
   ``sinc^2`` response divided out) and one real FFT gives ``S`` on the whole band at spacing
   ``1/(2L)``. The peak half-width is ``1/L``. Cost: the ``P ~ N^2 L / T`` pairs plus one FFT of
   ``M`` points; ``L`` is chosen so both stay under ``max_pairs`` and ``max_bins``.
2. **Zoom, coherent, all samples.** Around each of the ``n_candidates`` (32 to 256, as many as a
   fixed work budget affords) strongest distinct coarse
   peaks, the floating-mean Lomb-Scargle periodogram on ``[f - 1/L, f + 1/L]`` at the full
   resolution ``1/(oversampling T)``, i.e. the full grid's own values there: all windows on one
   lattice ``k/(oversampling T)``, through a few many-vector NUFFTs
   (:func:`sigfit.periodograms.trig.lattice_window_terms`) and the power in closed form. Frequencies
   below ``2/L``, which the lag window cannot resolve, get the full coherent grid (nifty-ls) too.

If the full grid itself fits in ``max_bins``, :func:`search` simply evaluates it (in chunks).

Cost and memory bounds (documented, tested in ``tests/test_search.py``)::

    time   ~ P + M log M + (n_candidates + 2) * (N + 2 oversampling T / L)
    memory <= 28 M + 110 * bin_chunk + 48 * Z + O(N) bytes   (M = max_bins)

where ``Z`` is the number of coherent frequencies in the answer (``coherent_bins_bound``: the
zoom windows and the low band). The zoom windows are transformed and solved in groups, and each
offset's pairs go into the lag histogram as they are made, so only the answer grows with the
span. With the defaults (``max_bins = 2**23``, ``bin_chunk = 2**20``) the first two terms are
under 0.4 GB; ``Z`` is ~3e5 on the clock (120 years of seconds, 1e5 samples), ~8e6 for 1e5
samples over 1e11 time units, and a plan beyond ``MAX_ZOOM_BINS`` is refused before it starts.
The zoom term grows with ``T/L``; ``L`` is the largest lag both budgets allow, so
``T/L <= max(N^2 / max_pairs, 2 B T / max_bins)``.

Time precision: times are centred on an exactly representable reference before any phase is
computed; :func:`frac_cycles` reduces ``f*t`` to ``[0, 1)`` with an error-free product (Dekker
1971), so phases keep their digits at ``t ~ 4e9``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ._numerics import (
    KeptResults,
    content_digest,
    frac_cycles,
    next_fast_len_real,
    nufft_threads,
    single_threaded,
)
from ._numerics import two_product as _two_product  # noqa: F401  (its old home)
from .errors import InputError
from .sampling import (  # noqa: F401  (public here before: sigfit.search.time_resolution)
    PREFIX,
    TimeResolution,
    audit_frequency_precision,
    audit_time_lattice,
    resolution_fmax,
    time_resolution,
)

# Budgets. Callers can override each; these keep one search of 1e5 samples under ~1 GB.
MAX_BINS = 2**23  # FFT length of the coarse stage, and the largest full grid evaluated directly
MAX_PAIRS = 2**25  # pairs (t_i, t_j) with lag <= L in the coarse stage
MAX_ZOOM_BINS = 2**27  # coherent zoom bins (~1 minute of nifty-ls at 1e5 samples): beyond, ask
PAIR_CHUNK = 2**22  # pairs between two progress-bar refreshes of the lag walk
BIN_CHUNK = 2**20  # coherent bins handed to nifty-ls at once (~100 bytes each)
COARSE_OVERSAMPLING = 2  # coarse grid spacing 1/(2L): a peak loses at most 19% of its power
ZOOM_WORK = 2**22  # samples + bins per zoom window, summed over windows: sets n_candidates
MIN_CANDIDATES, MAX_CANDIDATES = 32, 256
ZOOM_HALF_WIDTH = 1.0  # in units of 1/L: the Fejer kernel's main lobe
LOW_BAND = 2.0  # below LOW_BAND/L the lag window cannot resolve; search it coherently
# finufft's accuracy in the zoom windows (relative to sum |c|): the powers there are searched
# for peaks that least squares then refine
ZOOM_EPS = 1e-9
ZOOM_GROUP_BINS = 2**19  # zoom frequencies transformed and solved at once (~250 bytes each)
REAL_SPLIT_MIN = 2**14  # _real_spectrum splits lengths divisible by 4 down to this one
CIC_MARGIN = 8  # off-grid lags: grid step 1/(CIC_MARGIN*fmax) keeps cloud-in-cell aliases < 2%


# --------------------------------------------------------------------------------------------
# the search


@dataclass(frozen=True)
class CoarseToFinePlan:
    """How :func:`search` will cover the band, and what it will cost (see the module docstring)."""

    mode: str  # "full" (the whole grid fits) or "coarse-to-fine"
    span: float
    fmin: float
    fmax: float
    oversampling: float
    full_grid_bins: int  # oversampling * (fmax - fmin) * span: what a full grid would cost
    lag_max: float = 0.0  # L: the coarse stage's window (units of t)
    lag_step: float = 0.0  # grid step of the lag histogram
    exact_lags: bool = False  # lags are exact multiples of lag_step (time stamps on a grid)
    n_fft: int = 0
    n_pairs: int = 0
    low_band_max: float = 0.0  # [fmin, low_band_max] is searched coherently
    zoom_half_width: float = 0.0
    n_candidates: int = 0

    @property
    def coherent_bins_bound(self) -> int:
        """Upper bound on the coherent (full-resolution) bins evaluated."""
        if self.mode == "full":
            return self.full_grid_bins
        df = 1.0 / (self.oversampling * self.span)
        per_window = 2 * self.zoom_half_width / df + 1
        low = max(self.low_band_max - self.fmin, 0.0) / df + 1
        return int(self.n_candidates * per_window + low)

    def memory_bound(self, n_samples: int) -> int:
        """Bytes the search may hold at once (the module docstring's bound): the coarse stage's
        spectrum, one chunk of transforms and closed-form temporaries, ~48 bytes for each
        coherent frequency of the answer (its frequency and power, and the windows' union while
        it is made), and the samples."""
        chunk = min(BIN_CHUNK, self.full_grid_bins if self.mode == "full" else BIN_CHUNK)
        return int(28 * self.n_fft + 110 * chunk + 48 * self.coherent_bins_bound
                   + 200 * n_samples)


@dataclass
class SearchResult:
    """Peaks found by :func:`search`, strongest first, and the coherent periodogram pieces
    they were read from (``frequency`` sorted; not uniform in coarse-to-fine mode)."""

    peak_frequencies: np.ndarray
    peak_powers: np.ndarray
    frequency: np.ndarray
    power: np.ndarray
    plan: CoarseToFinePlan
    t_ref: float


def _centre(t: np.ndarray, res: TimeResolution | None) -> tuple[np.ndarray, float]:
    """Times minus a reference that keeps ``t - t_ref`` exact: the mid-span grid point when the
    times are on an integer grid (then ``t - t_ref`` is an exact integer), else the mid-span
    value (Sterbenz: the difference of two floats within a factor 2 is exact)."""
    if res is not None and float(res.quantum).is_integer() and float(res.origin).is_integer():
        mid_units = int(res.units.max()) // 2
        t_ref = res.origin + mid_units * res.quantum
        return (res.units - mid_units).astype(np.float64) * res.quantum, float(t_ref)
    t = np.asarray(t, dtype=np.float64)
    t_ref = 0.5 * (float(t.min()) + float(t.max()))
    if res is not None:
        # snap the reference to the grid so centred times stay multiples of the quantum
        t_ref = res.origin + round((t_ref - res.origin) / res.quantum) * res.quantum
    return t - t_ref, t_ref


def _count_pairs(x: np.ndarray, lag: float) -> int:
    """Pairs i<j with x_j - x_i <= lag (x sorted)."""
    hi = np.searchsorted(x, x + lag, side="right")
    return int(np.sum(hi - np.arange(1, x.size + 1)))


# _max_lag_for_pairs' answers for the last few stamps (by content): the columns of one table
# share their stamps, and each column's plan was made twice (the band's budget, the search)
LAG_MEMO_SIZE = 8
_LAG_MEMO = KeptResults(LAG_MEMO_SIZE)


def _max_lag_for_pairs(x: np.ndarray, max_pairs: int, span: float) -> float:
    """The largest lag whose pair count stays within ``max_pairs`` (bisection in log lag; ~60 ms
    for 1e5 stamps, remembered for the last :data:`LAG_MEMO_SIZE` stamps by a digest of their
    bytes, ~1 ms)."""
    x = np.ascontiguousarray(x, dtype=np.float64)
    key = (content_digest(x), x.size, int(max_pairs), float(span))
    lag = _LAG_MEMO.get(key)
    if lag is None:
        lag = _bisect_lag(x, max_pairs, span)
        _LAG_MEMO.put(key, lag)
    return lag


def _bisect_lag(x: np.ndarray, max_pairs: int, span: float) -> float:
    if _count_pairs(x, span) <= max_pairs:
        return span
    lo = span * 1e-12
    hi = span
    for _ in range(48):
        mid = math.sqrt(lo * hi)
        if _count_pairs(x, mid) <= max_pairs:
            lo = mid
        else:
            hi = mid
        if hi / lo < 1.02:
            break
    return lo


def plan_coarse_to_fine(
    t: np.ndarray,
    fmin: float,
    fmax: float,
    *,
    oversampling: float = 5,
    n_candidates: int | None = None,
    max_bins: int = MAX_BINS,
    max_pairs: int = MAX_PAIRS,
    resolution: TimeResolution | None | str = "auto",
) -> CoarseToFinePlan:
    """Choose how to cover ``[fmin, fmax]`` for times ``t`` within the budgets.

    ``n_candidates`` (coarse peaks zoomed) defaults to as many as :data:`ZOOM_WORK` affords,
    between 32 and 256: each zoom costs about ``N + 2 oversampling T / L``, so small data sets
    get many candidates, which keeps weak tones near the full grid's threshold (measured in
    ``benchmarks/bench_clock.py``).

    Raises
    ------
    InputError
        When the band is so wide that even the coarse stage cannot resolve it within
        ``max_bins``: lower ``fmax`` or raise ``max_bins``.
    """
    x = np.sort(np.asarray(t, dtype=np.float64))
    span = float(x[-1] - x[0])
    if not span > 0:
        raise InputError("all times are equal: a period needs samples at different times")
    if not (0 <= fmin < fmax):
        raise InputError(f"need 0 <= fmin < fmax, got fmin={fmin}, fmax={fmax}")
    if not oversampling > 0:
        raise InputError(f"oversampling must be positive, got {oversampling}")
    full = int(math.ceil(oversampling * (fmax - fmin) * span)) + 1
    if full <= max_bins:
        return CoarseToFinePlan("full", span, fmin, fmax, oversampling, full)

    if isinstance(resolution, str):
        resolution = time_resolution(t)
    if resolution is not None and 1.0 / (CIC_MARGIN * fmax) < 2 * resolution.quantum:
        step, exact = resolution.quantum, True  # lags are exact integers in units of q
    elif resolution is not None:
        m = int(1.0 / (CIC_MARGIN * fmax * resolution.quantum))
        step, exact = m * resolution.quantum, False
    else:
        step, exact = 1.0 / (CIC_MARGIN * fmax), False
    lag_bins = max_bins / COARSE_OVERSAMPLING * step
    lag_pairs = _max_lag_for_pairs(x, max_pairs, span)
    lag = min(lag_bins, lag_pairs, span)
    n_fft = next_fast_len_real(int(math.ceil(COARSE_OVERSAMPLING * lag / step)) + 1)
    if n_candidates is None:
        per_window = 2 * ZOOM_HALF_WIDTH * oversampling * span / lag + 1 + x.size
        n_candidates = int(min(MAX_CANDIDATES, max(MIN_CANDIDATES, ZOOM_WORK // per_window)))
    plan = CoarseToFinePlan(
        "coarse-to-fine", span, fmin, fmax, oversampling, full,
        lag_max=lag, lag_step=step, exact_lags=exact, n_fft=n_fft,
        n_pairs=_count_pairs(x, lag), low_band_max=min(fmax, max(fmin, LOW_BAND / lag)),
        zoom_half_width=ZOOM_HALF_WIDTH / lag, n_candidates=n_candidates,
    )
    if plan.coherent_bins_bound > MAX_ZOOM_BINS:
        raise InputError(
            f"the band up to fmax={fmax:g} over a span of {span:g} needs "
            f"{plan.coherent_bins_bound:,} zoomed frequencies with max_bins={max_bins} and "
            f"max_pairs={max_pairs} (limit {MAX_ZOOM_BINS:,}): pass a lower fmax (cycles per unit "
            "of t), a lower oversampling, or larger budgets"
        )
    return plan


def _lag_spectrum(x: np.ndarray, z: np.ndarray, plan: CoarseToFinePlan, bar) -> tuple[np.ndarray, np.ndarray]:
    """The coarse sliding-window power S(f) on f = k/(n_fft*lag_step), k up to fmax.

    ``x`` sorted times in units of ``plan.lag_step``: int64 when ``plan.exact_lags`` (then the
    lags are integers, binned as they are, and the triangle ``1 - d/L``, common to a bin, is
    applied once per bin after the walk instead of once per pair), float64 otherwise.
    """
    n_lag = int(math.floor(plan.lag_max / plan.lag_step))
    lag_units = plan.lag_max / plan.lag_step
    hist = np.zeros(n_lag + 2, dtype=np.float64)

    # walk the offsets j = i + k (times sorted): sample i has count[i] partners within L, so at
    # offset k the active samples are those with count >= k. Ordered by count, most first, they
    # are a prefix: no comparison and no compaction per offset (was four of each), and their own
    # times and values are contiguous slices; the cost is the number of pairs. Each offset's
    # pairs go straight into the histogram (np.add.at): no chunk of pairs is gathered, joined
    # and binned into a histogram-sized array of its own (the clock's peak RSS 279-281 -> 265-266
    # MB; the CPU the same, ~0.2 s a column for 1.1e7 pairs).
    exact = plan.exact_lags
    if exact and x.dtype.kind not in "iu":
        raise TypeError("exact lags need the times as integers (units of the lag step)")
    limit = n_lag if exact else lag_units
    count = np.searchsorted(x, x + limit, side="right") - np.arange(1, x.size + 1)
    order = np.argsort(-count, kind="stable")
    fewer = -count[order]  # ascending: the active prefix at offset k is searchsorted(fewer, -k)
    x_own, z_own = x[order], z[order]
    k = 1
    n_active = int(np.searchsorted(fewer, -k, side="right"))
    n_done = 0
    while n_active:
        j = order[:n_active] + k
        d = x[j]
        np.subtract(d, x_own[:n_active], out=d)
        pair = z[j]
        pair *= z_own[:n_active]
        if exact:
            np.add.at(hist, d, pair)
        else:
            pair *= 1.0 - d / lag_units
            # cloud-in-cell: split each lag between its two grid neighbours
            i0 = np.floor(d).astype(np.int64)
            fr = d - i0
            np.add.at(hist, i0, pair * (1.0 - fr))
            i0 += 1
            np.add.at(hist, i0, pair * fr)
        n_done += n_active
        if n_done >= PAIR_CHUNK:
            n_done = 0
            bar.update(0)
        k += 1
        n_active = int(np.searchsorted(fewer, -k, side="right"))
    if exact:
        hist[: n_lag + 1] *= 1.0 - np.arange(n_lag + 1) / lag_units

    freq_step = 1.0 / (plan.n_fft * plan.lag_step)
    k_max = min(plan.n_fft // 2, int(math.floor(plan.fmax / freq_step)))
    power = _real_spectrum(hist, plan.n_fft, k_max)  # frees hist
    if not plan.exact_lags:
        f = np.arange(k_max + 1) * freq_step
        power /= np.sinc(f * plan.lag_step) ** 2  # undo the cloud-in-cell response
    return power, np.float64(freq_step)


def _real_spectrum(h: np.ndarray, n: int, k_max: int) -> np.ndarray:
    """``Re`` of the length-``n`` DFT of ``h`` (zero beyond its end, folded modulo ``n`` when
    longer) at ``k = 0..k_max`` (``k_max <= n // 2``); ``h`` is consumed (emptied) to free its
    memory early.

    Only the real part is wanted, a cosine transform, so it is split the way a split-radix DCT
    is: for ``n`` divisible by 4, the odd ``k`` are one DCT-III of length ``n/4`` (of ``h`` folded
    with a sign about ``n/2`` and again about ``n/4``, :func:`_dct3`), and the even ``k`` are the
    same problem at length ``n/2`` (``h`` folded modulo ``n/2``), down to a base case of one
    rfft. The DCT-IIIs cost about one real transform of length ``n/2`` in all, against three
    (an earlier version's three half-length rffts) or two (one rfft of the padded length); the
    work arrays are a quarter of ``n``. It agrees with ``np.fft.rfft`` of the padded ``h`` to
    rounding (2e-16 of the largest value, tested). numpy's FFT, not scipy.fft's: scipy keeps
    each length's plan in a cache, and the clock's held 64 MB for the rest of the process."""
    if h.size > n:  # the sum is periodic in m with period n
        s = np.zeros(n)
        for a in range(0, h.size, n):
            s[: min(n, h.size - a)] += h[a:a + n]
        h.resize(0, refcheck=False)
        h = s
    out = np.empty(k_max + 1)
    stride = 1  # this level's k are multiples of stride
    s = h
    while n % 4 == 0 and n >= REAL_SPLIT_MIN and k_max >= stride:
        half, quarter = n // 2, n // 4
        if s.size > half:  # fold about n/2: odd k see s[m] - s[m + n/2], even k the sum
            tail = s.size - half
            d = s[:half].copy()
            d[:tail] -= s[half:]
            folded = s[:half].copy()
            folded[:tail] += s[half:]
            s = folded
        else:
            d = s
        # odd k = stride (2j + 1): cos(pi (2j+1) m / (n/2)) is odd about m = n/4, so
        # g[m] = d[m] - d[n/2 - m] (m = 1..n/4-1), g[0] = d[0], and the sum is a DCT-III
        g = np.zeros(quarter)
        g[: min(d.size, quarter)] = d[:quarter]
        top = min(d.size, half)  # d[n/2 - m] for m = n/2 - top + 1 .. n/4 - 1
        if top > quarter + 1:
            first = half - top + 1
            g[first:] -= d[quarter + 1:top][::-1]
        del d
        odd = out[stride::2 * stride]
        odd[:] = _dct3(g)[: odd.size]
        del g
        n = half
        stride *= 2
    if k_max >= stride or stride == 1:
        even = out[0::stride]
        even[:] = np.fft.rfft(s, n)[: even.size].real
    else:  # only k = 0 is left
        out[0] = float(np.sum(s))
    h.resize(0, refcheck=False)
    return out


def _dct3(g: np.ndarray) -> np.ndarray:
    """``y_j = sum_m g_m cos(pi (2j+1) m / (2M))``, ``j < M = g.size`` (an
    unnormalised DCT-III), from one inverse real FFT of length ``M``: Makhoul's reordering
    transposed. ``y = P^T Re FFT(g_k exp(-i pi k / 2M))``, and the real part of an FFT is the
    FFT of the input's Hermitian part, ``H_k = exp(-i pi k / 2M) (g_k + i g_(M-k)) / 2``, whose
    transform is real."""
    m = g.size
    q = m // 2
    theta = np.arange(q + 1, dtype=np.float64)
    theta *= math.pi / (2 * m)
    c, s = np.cos(theta), np.sin(theta)
    del theta
    re = g[: q + 1]
    im = np.empty(q + 1)
    im[0] = 0.0
    im[1:] = g[m - 1:m - q - 1:-1]
    # conj(H) = (c re + s im - i (c im - s re)) / 2, with H_0 = g_0
    spec = np.empty(q + 1, dtype=np.complex128)
    spec.real = c * re + s * im
    spec.imag = s * re - c * im
    del c, s, im
    spec *= 0.5
    spec[0] = g[0]
    u = np.fft.irfft(spec, n=m)
    del spec
    u *= m
    y = np.empty(m)
    y[0::2] = u[: (m + 1) // 2]
    y[1::2] = u[:(m - 1) // 2:-1]  # y_(2j+1) = u_(M-1-j)
    return y


def _local_maxima(p: np.ndarray) -> np.ndarray:
    """Indices of interior local maxima (plateaus count once, at their left edge)."""
    if p.size < 3:
        return np.array([int(np.argmax(p))]) if p.size else np.zeros(0, dtype=np.int64)
    m = np.flatnonzero((p[1:-1] > p[:-2]) & (p[1:-1] >= p[2:])) + 1
    # edges count when they beat their only neighbour: a peak at the band's edge is still a peak
    extra = []
    if p[0] > p[1]:
        extra.append(0)
    if p[-1] > p[-2]:
        extra.append(p.size - 1)
    if extra:
        m = np.concatenate([m, np.asarray(extra, dtype=m.dtype)])
    return m


def _strongest(values: np.ndarray, k: int) -> np.ndarray:
    """Indices of the ``k`` largest ``values``, largest first: ``np.argsort(values)[::-1][:k]``
    without sorting all of them (the clock's coarse spectrum has ~1.4e6 local maxima, and their
    full sort took ~60 ms per column for the 760 kept)."""
    if k >= values.size:
        return np.argsort(values)[::-1]
    top = np.argpartition(values, values.size - k)[values.size - k:]
    return top[np.argsort(values[top])[::-1]]


def _distinct_top(freq: np.ndarray, power: np.ndarray, k: int, exclusion: float) -> np.ndarray:
    """Indices of the ``k`` strongest entries no two of which lie within ``exclusion``
    (greedy non-maximum suppression: side lobes of a strong peak do not crowd out other peaks)."""
    import bisect

    order = np.argsort(power)[::-1]
    chosen: list[int] = []
    taken: list[float] = []  # accepted frequencies, sorted
    for i in order:
        fi = float(freq[i])
        j = bisect.bisect_left(taken, fi)
        if (j < len(taken) and taken[j] - fi <= exclusion) or (j > 0 and fi - taken[j - 1] <= exclusion):
            continue
        taken.insert(j, fi)
        chosen.append(int(i))
        if len(chosen) >= k:
            break
    return np.asarray(chosen, dtype=np.int64)


def _coherent(tc, y, dy, f_lo: float, f_hi: float, df: float) -> tuple[np.ndarray, np.ndarray]:
    """Floating-mean Lomb-Scargle (standard normalisation) on [f_lo, f_hi] at spacing df, in
    chunks of BIN_CHUNK bins so memory stays bounded."""
    from .periodograms.lombscargle import nifty_power

    n = int(math.floor((f_hi - f_lo) / df)) + 1
    freqs, powers = [], []
    for start in range(0, n, BIN_CHUNK):
        m = min(BIN_CHUNK, n - start)
        f0 = f_lo + start * df
        if m == 1:
            # nifty-ls needs two bins to define a grid
            power = nifty_power(tc, y, dy, fmin=f0, fmax=f0 + df, size=2, nthreads=nufft_threads())
            freqs.append(np.array([f0]))
            powers.append(power[:1])
            continue
        freqs.append(f0 + df * np.arange(m))
        powers.append(nifty_power(tc, y, dy, fmin=f0, fmax=f0 + (m - 1) * df, size=m,
                                  nthreads=nufft_threads()))
    return np.concatenate(freqs), np.concatenate(powers)


def _zoom(tc, y, dy, centres: np.ndarray, plan: CoarseToFinePlan, df: float):
    """The floating-mean Lomb-Scargle power (standard normalisation) in a window of half-width
    ``plan.zoom_half_width`` around each coarse peak, on the lattice ``k * df`` shared by all
    windows (an overlap is the same frequencies, kept once), clipped to
    ``[plan.low_band_max, plan.fmax]``. All windows go through a few many-vector transforms
    (:func:`sigfit.periodograms.trig.lattice_window_terms`) instead of one periodogram call each,
    and the power comes from the sums in closed form
    (:func:`sigfit.periodograms.generalized.explained_one_term`). The windows are taken in
    groups of at most :data:`ZOOM_GROUP_BINS` frequencies, so that their sums and the closed
    form's temporaries (~250 bytes a frequency) stay bounded whatever the span: only the
    answer (the frequencies and powers) grows with the windows."""
    from .periodograms.generalized import explained_one_term_sums, prepare
    from .periodograms.trig import lattice_window_terms

    if centres.size == 0:
        return np.zeros(0), np.zeros(0)
    half = int(math.ceil(plan.zoom_half_width / df))
    m = 2 * half + 1
    first = np.rint(np.asarray(centres, dtype=np.float64) / df).astype(np.int64) - half
    k, keep = _window_union(first, m)
    inside = (k * df >= plan.low_band_max) & (k * df <= plan.fmax)
    f, keep = k[inside] * df, keep[inside]
    del k, inside
    w, yc, chi2_ref = prepare(y, dy, fit_mean=True, center_data=True)
    if not chi2_ref > 0:
        return f, np.zeros(f.size)
    c = np.vstack([w, w * yc]).astype(np.complex128)
    c0, y0 = float(w.sum()), float(np.dot(w, yc))
    per_group = max(1, ZOOM_GROUP_BINS // m)  # windows per group
    power = np.empty(f.size)
    if per_group < first.size:
        # the frequencies by owning window (keep: window * m + position in it), in one stable
        # sort (a radix sort on the small window numbers), so each group's are one slice
        owner = (keep // m).astype(np.min_scalar_type(first.size))
        by_owner = np.argsort(owner, kind="stable")
        edges = np.searchsorted(owner[by_owner], np.arange(0, first.size + per_group, per_group))
        del owner
    for g, lo in enumerate(range(0, first.size, per_group)):
        hi = min(lo + per_group, first.size)
        at_f, at_2f = lattice_window_terms(tc, [(c, 1), (c[:1], 2)], first[lo:hi] * df, df, m,
                                           eps=ZOOM_EPS, max_elements=BIN_CHUNK)
        # the weights at 0, f, 2f and the weighted values at f, where these windows own the
        # frequency
        mine = slice(None) if per_group >= first.size else by_owner[edges[g]:edges[g + 1]]
        at = keep[mine] - lo * m
        power[mine] = explained_one_term_sums(c0, at_f[:, 0].reshape(-1)[at],
                                              at_2f[:, 0].reshape(-1)[at],
                                              at_f[:, 1].reshape(-1)[at], y0)
        del at_f, at_2f, at
    return f, np.clip(power, 0.0, chi2_ref) / chi2_ref


def _window_union(first: np.ndarray, m: int) -> tuple[np.ndarray, np.ndarray]:
    """The lattice indices covered by windows ``first[w] + arange(m)``, ascending, and where each
    first occurs in the windows laid end to end (``w * m + j``, the lowest ``w`` where windows
    overlap): ``np.unique(..., return_index=True)`` of that layout, without sorting its
    ``W * m`` entries (2.7e6 at 1e5 samples): the windows are merged into runs, and each run's
    owners painted from the last window to the first."""
    order = np.argsort(first, kind="stable")
    runs: list[tuple[int, int, list[int]]] = []
    for w in order.tolist():
        lo = int(first[w])
        if runs and lo <= runs[-1][1]:
            start, stop, members = runs[-1]
            runs[-1] = (start, max(stop, lo + m), [*members, w])
        else:
            runs.append((lo, lo + m, [w]))
    ks, keeps = [], []
    for start, stop, members in runs:
        owner = np.empty(stop - start, dtype=np.int64)
        for w in sorted(members, reverse=True):
            a = int(first[w]) - start
            owner[a:a + m] = w
        k = np.arange(start, stop, dtype=np.int64)
        ks.append(k)
        keeps.append(owner * m + (k - first[owner]))
    return np.concatenate(ks), np.concatenate(keeps)


def search(
    t: np.ndarray,
    y: np.ndarray,
    dy: np.ndarray | None = None,
    *,
    fmin: float,
    fmax: float,
    oversampling: float = 5,
    n_candidates: int | None = None,
    n_peaks: int | None = None,
    max_bins: int = MAX_BINS,
    max_pairs: int = MAX_PAIRS,
    progress: bool = False,
) -> SearchResult:
    """Find the strongest periodogram peaks in ``[fmin, fmax]`` (cycles per unit of t) at the
    full resolution ``1/(oversampling*span)``, without a full grid when it would not fit.

    Parameters
    ----------
    t, y : array
        Times (float64 or int64; centred internally on an exact reference) and values.
    dy : array, optional
        Uncertainties of ``y`` (weights ``1/dy^2``).
    fmin, fmax : float
        The band, in cycles per unit of t.
    oversampling : float
        Coherent grid spacing is ``1/(oversampling*span)``.
    n_candidates : int, optional
        Coarse peaks carried to the zoom stage; the more, the safer for weak or crowded peaks
        (default: :func:`plan_coarse_to_fine`'s work budget, 32 to 256).
    n_peaks : int, optional
        Peaks returned (default 32), strongest first, at least ``2/span`` apart.
    max_bins, max_pairs : int
        Budgets (see the module docstring); ``max_bins`` is also the largest full grid
        evaluated directly.
    progress : bool
        Show a tqdm progress bar on stderr.

    Returns
    -------
    SearchResult

    Examples
    --------
    >>> rng = np.random.default_rng(1)
    >>> t = np.sort(rng.integers(0, 10**8, 3000))
    >>> y = np.sin(2 * np.pi * t / 97.0) + rng.normal(0, 1, t.size)
    >>> r = search(t, y, fmin=0.0, fmax=0.5)
    >>> r.plan.mode, round(1 / float(r.peak_frequencies[0]), 3)
    ('coarse-to-fine', 97.0)
    """
    with single_threaded():
        return _search(t, y, dy, fmin=fmin, fmax=fmax, oversampling=oversampling,
                       n_candidates=n_candidates, n_peaks=n_peaks, max_bins=max_bins,
                       max_pairs=max_pairs, progress=progress)


def _search(t, y, dy, *, fmin, fmax, oversampling, n_candidates, n_peaks, max_bins, max_pairs,
            progress) -> SearchResult:
    from tqdm.auto import tqdm

    t = np.asarray(t)
    y = np.asarray(y, dtype=np.float64)
    order = np.argsort(t, kind="stable")
    t, y = t[order], y[order]
    if dy is not None:
        dy = np.broadcast_to(np.asarray(dy, dtype=np.float64), y.shape)[order]
    res = time_resolution(t)
    plan = plan_coarse_to_fine(t, fmin, fmax, oversampling=oversampling, n_candidates=n_candidates,
                       max_bins=max_bins, max_pairs=max_pairs, resolution=res)
    tc, t_ref = _centre(t, res)
    df = 1.0 / (oversampling * plan.span)
    n_peaks = MIN_CANDIDATES if n_peaks is None else n_peaks

    with tqdm(total=3, desc="search", disable=not progress, file=None, leave=False) as bar:
        if plan.mode == "full":
            freq, power = _coherent(tc, y, dy, fmin, fmax, df)
            bar.update(3)
        else:
            w = np.ones_like(y) if dy is None else 1.0 / dy**2
            z = y - np.sum(w * y) / np.sum(w)
            if dy is not None:
                z = z / dy
            if plan.exact_lags:
                x = res.units  # int64: lags in units of the quantum
            else:
                x = tc / plan.lag_step
            coarse, fstep = _lag_spectrum(x, z, plan, bar)
            bar.update(1)
            k_lo = int(math.ceil(plan.low_band_max / fstep))
            cand = _local_maxima(coarse[k_lo:]) + k_lo
            cand = cand[_strongest(coarse[cand], 20 * plan.n_candidates)]
            fc = cand * fstep
            top = _distinct_top(fc, coarse[cand], plan.n_candidates, plan.zoom_half_width)
            del coarse
            bar.update(1)
            freq, power = _zoom(tc, y, dy, fc[top], plan, df)
            if plan.low_band_max > fmin:
                f_, p_ = _coherent(tc, y, dy, fmin, plan.low_band_max, df)
                freq, power = np.concatenate([f_, freq]), np.concatenate([p_, power])
            o = np.argsort(freq, kind="stable")
            freq, power = freq[o], power[o]
            bar.update(1)

    idx = _local_maxima(power)
    if idx.size == 0:
        idx = np.array([int(np.argmax(power))])
    idx = idx[_strongest(power[idx], 20 * n_peaks)]
    keep = idx[_distinct_top(freq[idx], power[idx], n_peaks, 2.0 / plan.span)]
    return SearchResult(
        peak_frequencies=freq[keep],
        peak_powers=power[keep],
        frequency=freq,
        power=power,
        plan=plan,
        t_ref=t_ref,
    )


__all__ = [
    "CoarseToFinePlan",
    "audit_frequency_precision",
    "audit_time_lattice",
    "SearchResult",
    "TimeResolution",
    "frac_cycles",
    "plan_coarse_to_fine",
    "resolution_fmax",
    "search",
    "time_resolution",
]
