"""The noise background a peak is judged against: white, or red noise fitted to the data.

Baluev's false-alarm probability (:mod:`sigfit.significance`) assumes white noise: every
frequency has the same expected power. Most real series have red noise (climate, finance,
physiology, astronomy): the expected power rises toward low frequencies, and the slow wander of
AR(1) noise with coefficient 0.9 makes peaks that white-noise statistics call certain
(FAP 1e-19). sigfit fits the background to the data and judges each peak against the level
*at its frequency*, keeping Baluev's look-elsewhere correction over the band.

Model
    The periodogram ordinates of noise with spectrum ``b(f)`` (in units of the white level)
    are ``u(f) = b(f) E`` with ``E`` exponential, where ``u = -(N - 3)/2 log(1 - Z)`` of the
    standard power ``Z`` (exactly exponential for white noise in Baluev's approximation). Two
    models are fitted by Whittle's likelihood ``sum log b + u / b``:

    * ``white``: ``b = L`` (one level);
    * ``ar1``: ``b = w + r g(f; tau)``, red noise plus white measurement noise, where ``g`` is the
      spectrum of an Ornstein-Uhlenbeck (continuous AR(1)) process of e-folding time ``tau``:
      for samples evenly spaced by ``dt`` the AR(1) spectrum
      ``(1 - a^2) / (1 + a^2 - 2 a cos(2 pi f dt))`` with ``a = exp(-dt/tau)`` (Torrence & Compo
      1998, eq. 16, which includes the aliasing); for irregular samples the Lorentzian
      ``1 / (1 + (2 pi f tau)^2)``, and the coefficient is reported at the mean spacing, as in
      REDFIT (Schulz & Mudelsee 2002).

    ``ar1`` is chosen when it beats ``white`` by BIC (two more parameters). Pure white noise
    thus keeps exactly the white-noise statistics; the white part keeps measurement noise from
    being mistaken for the AR(1) tail at high frequencies (see
    :func:`sigfit.wavelet.fit_background` for the same argument on wavelet spectra).

Which data
    The background is fitted to the periodogram of the *residual* of the periodic model, with
    the ordinates within one peak width ``1/span`` of every fitted line (components and their
    harmonics) left out, and ordinates far above the first fit (undetected tones) clipped once:
    a clean sine, a sawtooth or a clock leave a white residual and keep white statistics, while
    red noise stays red after its strongest wander is fitted. The ordinates are independent:
    a grid of step ``1/span`` (:func:`background_frequencies`), one cheap NUFFT of the residual.

Judging a peak (:meth:`sigfit.results.NoiseModel.whiten`)
    A tone that lowers chi-square by the fraction ``Z`` of the null model's has, against the
    background, the generalised-least-squares power ``Z_w`` with
    ``Z_w / (1 - Z_w) = (Z / (1 - Z)) / b(f)``: its chi-square reduction relative to the residual
    (``Z / (1 - Z)``) divided by the local level. For ``b = 1`` this is ``Z`` itself. ``Z_w``
    then enters Baluev's formula unchanged (same band, same baseline), and the standard errors of
    a component at ``f`` grow by ``sqrt(b(f))`` (the local noise, not the average one).
"""

from __future__ import annotations

import math

import numpy as np

from .results import NoiseModel

# Ordinates of the background periodogram: up to BACKGROUND_DENSE + BACKGROUND_SPARSE at the
# independent step 1/span; a wider band gets BACKGROUND_SPARSE of those (own NUFFT) or
# BACKGROUND_DENSE (taken from the search's periodogram, free) and BACKGROUND_SPARSE spread over
# the rest. One or two NUFFTs of this size cost far less than the search's periodogram.
BACKGROUND_DENSE = 512
BACKGROUND_SPARSE = 256
# Fewer usable ordinates than this: too few to tell red from white, the background stays white.
MIN_ORDINATES = 16
# e-folding times tried (in units of the mean spacing), log-spaced, then as many again around
# the best; each is fitted exactly in (w, r) with the level profiled out (:func:`_fit_red`)
_TAU_GRID = 16
# Newton steps on the profile's red share (3-6 typically, 15 at most in 289 rows checked on
# white and AR(1) noise), the stop (the Newton decrement, in units of the log-likelihood) and
# the red-only edge: a white level below this fraction of the total
_PROFILE_STEPS = 40
_PROFILE_DECREMENT = 1e-10
_RED_ONLY = 1e-9
# A second pass leaves out ordinates that the first fit calls improbable for any of the M
# ordinates (probability CLIP_PROBABILITY that noise alone reaches one): undetected tones.
CLIP_PROBABILITY = 0.05

# A residual variance below this fraction of the data's (amplitude 1e-8) is round-off or
# quantisation of an exact fit (a noiseless sine), not noise whose colour would mean anything
EXACT_FIT = 1e-16

WHITE = NoiseModel(model="white")


def background_frequencies(span: float, fmin: float, fmax: float, degree: int = 0) -> np.ndarray:
    """Independent frequencies for the background fit: ``k/span`` from the lowest one the trend
    of degree ``degree`` leaves untouched; when the band holds more than
    ``BACKGROUND_DENSE + BACKGROUND_SPARSE`` of them, the first :data:`BACKGROUND_SPARSE` and
    as many again spread evenly over the rest of the band (the red part lives at the lowest
    frequencies, and the knee and white floor may lie far above them)."""
    step = 1.0 / span
    lo = max(fmin, (1.0 + 0.5 * degree) * step)
    if not fmax > lo:
        return np.empty(0)
    n_all = int(math.floor((fmax - lo) / step)) + 1
    if n_all <= BACKGROUND_DENSE + BACKGROUND_SPARSE:
        return lo + step * np.arange(n_all)
    dense = lo + step * np.arange(BACKGROUND_SPARSE)
    sparse = np.linspace(dense[-1], fmax, BACKGROUND_SPARSE + 1)[1:]
    return np.concatenate([dense, sparse])


def ordinates(frequency, span: float, degree: int = 0) -> np.ndarray:
    """Indices into an evenly spaced, sorted ``frequency`` grid of nearly independent ordinates
    (step about ``1/span``), laid out as :func:`background_frequencies` lays out its own."""
    f = np.asarray(frequency)
    if f.size < 2:
        return np.arange(f.size)
    start = int(np.searchsorted(f, (1.0 + 0.5 * degree) / span * (1 - 1e-9)))
    k = max(1, int(round(1.0 / (span * (f[1] - f[0])))))
    idx = np.arange(start, f.size, k)
    if idx.size > BACKGROUND_DENSE + BACKGROUND_SPARSE:
        rest = idx[BACKGROUND_DENSE:]
        idx = np.concatenate([idx[:BACKGROUND_DENSE],
                              rest[np.linspace(0, rest.size - 1, BACKGROUND_SPARSE).astype(np.int64)]])
    return np.unique(idx)


def _power(tau, values, dy, frequency) -> np.ndarray:
    """Standard power by NUFFT on ``frequency``: one or two evenly spaced pieces, as
    :func:`background_frequencies` lays them out."""
    from .grid import FrequencyGrid
    from .periodograms import lombscargle

    d = np.diff(frequency)
    cut = np.flatnonzero(np.abs(d - d[0]) > 1e-6 * abs(d[0]))
    pieces = [frequency] if cut.size == 0 else [frequency[: cut[0] + 1], frequency[cut[0] + 1:]]
    out = []
    for f in pieces:
        if f.size < 2:  # nifty-ls needs two frequencies
            f2 = np.array([f[0], f[0] + d[0]])
            out.append(_power(tau, values, dy, f2)[:1])
            continue
        grid = FrequencyGrid(start=float(f[0]), step=float(f[1] - f[0]), size=int(f.size))
        out.append(lombscargle.power(tau, values, dy, grid, accuracy="subset"))
    return np.concatenate(out)


def _shape(frequency, tau_grid, dt, uniform) -> np.ndarray:
    """``g(f; tau)`` for each e-folding time: (T, M), unit mean over 0..1/(2 dt)."""
    f = np.asarray(frequency)[None, :]
    tg = np.asarray(tau_grid)[:, None]
    if uniform:
        a = np.exp(-dt / tg)
        return (1.0 - a * a) / (1.0 + a * a - 2.0 * a * np.cos(2.0 * math.pi * f * dt))
    x = math.pi * tg / dt  # 2 pi tau F at F = 1/(2 dt)
    return (x / np.arctan(x)) / (1.0 + (2.0 * math.pi * f * tg) ** 2)


def _fit_red(u, g):
    """Whittle fit of ``b = w + r g`` (``w, r >= 0``) for every row of ``g``: (w, r, nll) arrays
    of length T.

    The level is profiled out: with ``g`` scaled to unit mean over the ordinates and
    ``b = s ((1 - p) + p g)``, the best scale is ``s(p) = mean(u / c)`` and the profile
    ``M log s(p) + sum log c`` is a function of the red share ``p`` in ``[0, 1]`` alone. Its
    minimum is found per row by Newton's method inside a bracket that shrinks with the sign of
    the derivative, bisecting in ``log(p / (1 - p))`` where a Newton step leaves the bracket (the
    optimum often lies within 1e-3 of either end). The edges are the white-only (``p = 0``) and
    red-only (``p -> 1``) fits. This is the exact constrained optimum to ~1e-10 in the
    likelihood, where iteratively reweighted least squares on (w, r) converges linearly and
    slowly when the two columns are nearly collinear (``tau`` small against the band).
    """
    u = np.asarray(u, dtype=np.float64)
    m = u.size
    scale = np.mean(g, axis=1)
    d = g / scale[:, None] - 1.0
    top = 1.0 - _RED_ONLY

    def slope(p, rows):
        """First and second derivative of the profile at ``p`` for ``rows``."""
        dr = d[rows]
        ic = 1.0 / (1.0 + p[:, None] * dr)
        x = dr * ic  # (d c / d p) / c
        q = u * ic  # u / c
        s = q.sum(axis=1)
        qx = q * x
        a1 = qx.sum(axis=1) / s
        a2 = np.einsum("ij,ij->i", qx, x) / s
        f1 = x.sum(axis=1) - m * a1
        f2 = m * (2.0 * a2 - a1 * a1) - np.einsum("ij,ij->i", x, x)
        return f1, f2

    rows = np.arange(g.shape[0])
    # d/dp at p = 0 is -M mean(u d) / mean(u) (the d have zero mean): >= 0 (to rounding)
    # means white only
    white = (u @ d.T) <= 1e-12 * (u @ np.abs(d).T)
    p = np.zeros(g.shape[0])
    inner = rows[~white]
    if inner.size:
        f1_top, _ = slope(np.full(inner.size, top), inner)
        p[inner[f1_top <= 0.0]] = top  # red only
        inner = inner[f1_top > 0.0]
    lo = np.zeros(g.shape[0])
    hi = np.full(g.shape[0], top)
    p[inner] = 0.5
    for _ in range(_PROFILE_STEPS):
        if inner.size == 0:
            break
        pi = p[inner]
        f1, f2 = slope(pi, inner)
        lo_i = np.where(f1 < 0.0, pi, lo[inner])
        hi_i = np.where(f1 > 0.0, pi, hi[inner])
        with np.errstate(divide="ignore", invalid="ignore"):
            step = f1 / f2
        newton = (f2 > 0.0) & (pi - step > lo_i) & (pi - step < hi_i)
        odds = 0.5 * (np.log(np.maximum(lo_i, 1e-15) / (1.0 - lo_i)) + np.log(hi_i / (1.0 - hi_i)))
        pn = np.where(newton, pi - step, 1.0 / (1.0 + np.exp(-odds)))
        done = ((f2 > 0.0) & (f1 * step <= _PROFILE_DECREMENT)) | (hi_i - lo_i <= 1e-15)
        p[inner] = np.where(done, pi, pn)
        lo[inner], hi[inner] = lo_i, hi_i
        inner = inner[~done]
    c = 1.0 + p[:, None] * d
    s = np.mean(u / c, axis=1)
    nll = m * np.log(s) + np.sum(np.log(c), axis=1) + m
    return s * (1.0 - p), s * p / scale, nll


def _fit_tau(u, frequency, dt, uniform, n):
    """The best AR(1)-plus-white fit over e-folding times from ``0.2 dt`` to ``10 n dt``: a
    coarse log grid, then a finer one around its best. Returns (tau, w, r, nll)."""
    coarse = dt * np.geomspace(0.2, 10.0 * n, _TAU_GRID)
    w, r, nll = _fit_red(u, _shape(frequency, coarse, dt, uniform))
    i = int(np.argmin(nll))
    lo, hi = coarse[max(i - 1, 0)], coarse[min(i + 1, coarse.size - 1)]
    fine = np.geomspace(lo, hi, _TAU_GRID // 2 + 1)
    w2, r2, nll2 = _fit_red(u, _shape(frequency, fine, dt, uniform))
    j = int(np.argmin(nll2))
    if nll2[j] <= nll[i]:
        return float(fine[j]), float(w2[j]), float(r2[j]), float(nll2[j])
    return float(coarse[i]), float(w[i]), float(r[i]), float(nll[i])


def fit_noise(
    tau,
    residual,
    dy=None,
    *,
    fmin: float,
    fmax: float,
    uniform_step: float | None = None,
    lines=(),
    degree: int = 0,
    spectrum=None,
    data_variance: float | None = None,
) -> NoiseModel:
    """The background of ``residual``: white or AR(1) plus white, chosen by BIC (module notes).

    Parameters
    ----------
    tau, residual, dy : ndarray
        Sorted centred times, the residual of the model fitted so far, optional one-sigma errors.
    fmin, fmax : float
        The searched band (the background is fitted over it).
    uniform_step : float, optional
        The spacing of evenly spaced samples (AR(1) spectrum with aliasing); None for irregular
        samples (Lorentzian).
    lines : sequence of float
        Frequencies fitted in ``residual`` (components and harmonics): ordinates within
        ``1/span`` of them are left out.
    degree : int
        Degree of the polynomial trend fitted (its lowest frequencies are left out).
    spectrum : (frequency, power), optional
        The standard periodogram of ``residual`` on an evenly spaced grid, already computed
        (the search's): its :func:`ordinates` are used instead of a new NUFFT.
    data_variance : float, optional
        Variance of the data: a residual below :data:`EXACT_FIT` of it is an exact fit (white).

    Returns
    -------
    NoiseModel
        ``model="white"`` (level 1: Baluev's statistics unchanged) or ``"ar1"`` with its fitted
        coefficient, e-folding time and white fraction; ``level(f)`` gives ``b(f)``.
    """
    tau = np.asarray(tau, dtype=np.float64)
    residual = np.asarray(residual, dtype=np.float64)
    n = tau.size
    span = float(tau[-1] - tau[0]) if n > 1 else 0.0
    if n < MIN_ORDINATES or not span > 0 or not np.all(np.isfinite(residual)):
        return WHITE
    centred = residual - np.mean(residual)
    left = float(centred @ centred) / n
    if not left > 0 or (data_variance is not None and left <= EXACT_FIT * data_variance):
        return WHITE  # an exact fit: round-off or quantisation is left, not noise to describe
    if spectrum is not None:
        frequency, z = (np.asarray(a, dtype=np.float64) for a in spectrum)
        pick = ordinates(frequency, span, degree)
        frequency, z = frequency[pick], z[pick]
    else:
        frequency = background_frequencies(span, fmin, fmax, degree)
        if frequency.size < MIN_ORDINATES:
            return WHITE
        z = _power(tau, residual, dy, frequency)
    keep = np.isfinite(z)
    width = 1.0 / span
    for line in np.asarray(list(lines), dtype=np.float64).ravel():
        if math.isfinite(line) and line > 0:
            lo, hi = np.searchsorted(frequency, [line - width, line + width])
            keep[lo:hi] = False
    if np.count_nonzero(keep) < MIN_ORDINATES:
        return WHITE
    frequency, z = frequency[keep], np.clip(z[keep], 0.0, 1.0 - 1e-15)
    u = -0.5 * max(n - 3, 1) * np.log1p(-z)
    u = np.maximum(u, 1e-12 * max(float(np.mean(u)), 1e-300))

    dt = uniform_step if uniform_step is not None else span / (n - 1)
    uniform = uniform_step is not None

    use = np.ones(u.size, dtype=bool)
    for _ in range(2):  # fit, clip the improbable ordinates once, refit
        uu = u[use]
        m = uu.size
        level = float(np.mean(uu))
        nll_white = m * (math.log(level) + 1.0)
        tau_c, w, r, nll = _fit_tau(uu, frequency[use], dt, uniform, n)
        red = r > 0
        if red:
            b = w + r * _shape(frequency, [tau_c], dt, uniform)[0]
        else:
            b = np.full(u.size, level)
        new_use = u / b <= math.log(u.size / CLIP_PROBABILITY)
        if np.count_nonzero(new_use) < MIN_ORDINATES or np.array_equal(new_use, use):
            break
        use = new_use
    delta_bic = 2.0 * (nll_white - nll) - 2.0 * math.log(m)
    if not (red and delta_bic > 0):
        return NoiseModel(model="white", delta_bic=float(delta_bic), n_frequencies=int(m))
    # levels in units of the white level that Baluev's statistic assumes (mean u of white noise)
    return NoiseModel(
        model="ar1",
        coefficient=float(math.exp(-dt / tau_c)),
        timescale=float(tau_c),
        step=float(dt),
        uniform=uniform,
        white_level=float(w),
        red_level=float(r),
        delta_bic=float(delta_bic),
        n_frequencies=int(m),
    )


def whitened_power(frequency, power, noise: NoiseModel) -> np.ndarray:
    """A periodogram judged against ``noise``: :meth:`NoiseModel.whiten` at every frequency."""
    z = np.clip(np.asarray(power, dtype=np.float64), 0.0, 1.0 - 1e-16)
    if noise.model == "white":
        return z
    q = z / ((1.0 - z) * noise.level(frequency))
    return q / (1.0 + q)


def fitted_lines(frequencies, n_harmonics=None) -> list[float]:
    """Every line of the fitted components: ``h * f`` for ``h = 1..H`` of each."""
    n_harmonics = [1] * len(frequencies) if n_harmonics is None else n_harmonics
    return [h * float(f) for f, hs in zip(frequencies, n_harmonics, strict=True) for h in range(1, int(hs) + 1)]


def judge(component, power: float, frequency: float, n_null: int, noise: NoiseModel, fap,
          fap_threshold: float):
    """``component`` judged against ``noise``: the false-alarm probability ``fap(Z_w, n_null)``
    of its detection power whitened at its detection frequency, standard errors scaled by
    :meth:`NoiseModel.error_scale` at its frequency, and significance by
    :func:`sigfit.significance.is_significant` (which also asks amplitude > its error)."""
    from dataclasses import replace

    from .significance import is_significant

    p_fa = float(fap(noise.whiten(power, frequency), n_null))
    s = noise.error_scale(component.frequency)
    amp_err = component.amplitude_err * s
    return replace(
        component,
        frequency_err=component.frequency_err * s,
        phase_err=component.phase_err * s,
        amplitude_err=amp_err,
        false_alarm_probability=p_fa,
        significant=is_significant(p_fa, fap_threshold, component.amplitude, amp_err),
    )


def harmonics_against_background(fit, infos, noise: NoiseModel, n: int):
    """Each component's lines judged against ``noise`` instead of white noise: ``[(frequency,
    n_harmonics), ...]`` when some must go, else None.

    The harmonic model (:mod:`sigfit.harmonics`) chooses divisors and harmonic counts by BIC
    under white noise, where red noise's low-frequency wander passes for lines: a tone at P in
    AR(1) noise comes back as 3P with 5 harmonics. Here line ``h`` of a component at ``f`` has
    the chi-square gain ``x_h = (A_h / (sigma_h sqrt(b(h f))))^2`` against the local level
    ``b``, and a harmonic count ``H`` the BIC ``sum_{h<=H} (x_h - 2 ln N)`` (never more than the
    white-noise choice). A subharmonic (divisor ``k > 1``, ``H >= k`` so that the detected line
    stays; with ``H < k`` the detected line is restored alone) is kept only when it beats the detected line with its own multiples by that BIC:
    else its own lines (``h`` not a multiple of ``k``) were red noise. Components sharpened by a step bracket are kept."""
    from .harmonics import component_summary

    if noise.model == "white":
        return None
    penalty = 2.0 * math.log(max(n, 2))
    out, changed = [], False
    for k, info in enumerate(infos):
        s = component_summary(fit, k, 0.0)
        f, h_fit = s["frequency"], int(fit.n_harmonics[k])
        if info.bracket is not None:
            out.append((f, h_fit))
            continue
        hs = np.arange(1, h_fit + 1)
        with np.errstate(divide="ignore", invalid="ignore"):
            x = (s["amplitudes"] / (s["amplitude_errs"] * np.sqrt(noise.level(hs * f)))) ** 2
        x = np.where(np.isfinite(x), x, 0.0)
        d = int(info.divisor)
        if d > 1 and h_fit < d:
            # the detected line is not even among the subharmonic's lines: what the white-noise
            # choice kept is red wander below it
            out.append((f * d, 1))
            changed = True
            continue
        if d > 1:
            # the subharmonic with lines 1..H (H >= d: the detected line stays) against the
            # detected line with its own multiples, each at its best harmonic count (BIC)
            gain = np.cumsum(x - penalty)
            h_sub = d + int(np.argmax(gain[d - 1:]))
            gain_line = np.cumsum(x[d - 1::d] - penalty)
            h_line = 1 + int(np.argmax(gain_line))
            if gain_line[h_line - 1] >= gain[h_sub - 1]:
                out.append((f * d, h_line))  # its own lines are red noise: back to the peak's line
                changed = True
            else:
                out.append((f, h_sub))
                changed |= h_sub < h_fit
            continue
        h = int(np.argmax(np.cumsum(x - penalty))) + 1 if x.size else 1
        changed |= h < x.size
        out.append((f, h))
    return out if changed else None


def noise_warning(noise: NoiseModel) -> str | None:
    """The note a result carries when its residuals are not white, or None."""
    if noise.model == "white":
        return None
    return (
        f"the residuals are red noise, not white (AR(1) coefficient {noise.coefficient:.3g} per "
        f"step {noise.step:.4g}, e-folding time {noise.timescale:.4g}; {100 * noise.white_fraction:.0f}% "
        "white): each peak's false-alarm probability and errors are judged against this "
        "background at its own frequency, so slow wander is not reported as a period"
    )


__all__ = ["WHITE", "background_frequencies", "ordinates", "fit_noise", "fitted_lines", "harmonics_against_background",
           "judge", "noise_warning", "whitened_power"]
