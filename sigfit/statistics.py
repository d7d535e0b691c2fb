"""False-alarm probabilities and levels of Lomb-Scargle peaks: one table of methods.

Under the null hypothesis (a constant plus white Gaussian noise), the power at one frequency has a
known distribution (:func:`pdf_single`, :func:`cdf_single`; Baluev 2008, MNRAS 385, 1279, Table 1),
but the highest of many correlated frequencies does not. Each method approximates the
false-alarm probability of the highest peak up to ``fmax``:

- ``baluev`` (default): Baluev's alias-free approximation (his eq. 6), an upper bound in the tail;
- ``davies``: the Davies bound (Baluev's eq. 5); it may exceed 1 for weak peaks;
- ``naive``: ``1 - (1 - p_single)^N_eff`` with ``N_eff = fmax * T`` independent frequencies;
- ``bootstrap``: the highest powers of ``n_bootstraps`` periodograms of the values resampled with
  replacement at the same times (``random_seed`` fixes them);
- ``single``: the single-frequency probability, no search.

Every method has an inverse, the false-alarm level (the power a peak needs for a given
probability). Functions share astropy's signatures (``_statistics.py``), so the numbers agree with
``astropy.timeseries.LombScargle.false_alarm_probability``; :class:`sigfit.LombScargle` calls
them. :mod:`sigfit.significance` is the Baluev formula as :func:`sigfit.estimate` uses it (null
models with more parameters).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .errors import InputError
from .periodograms.generalized import NORMALIZATIONS, check_normalization
from .significance import _gamma  # Baluev's gamma ratio, exact to rounding at every n


def _weighted_mean(val, dy):
    if dy is None:
        return float(np.mean(val))
    w = 1.0 / np.broadcast_to(dy, val.shape) ** 2
    return float(np.dot(w, val) / w.sum())


def _weighted_var(val, dy):
    mean = _weighted_mean(val, dy)
    return _weighted_mean((val - mean) ** 2, dy)


def _check(n_params_null: int, n_params_model: int):
    if n_params_model - n_params_null != 2:
        raise InputError(
            "the distributions hold for models with 2 more parameters than the null hypothesis "
            f"(one sinusoid), got dH={n_params_null}, dK={n_params_model}"
        )


def pdf_single(z, N, normalization, dH=1, dK=3):
    """Probability density of the power at one frequency under the null hypothesis.

    Parameters
    ----------
    z : array_like
        Power.
    N : int
        Number of samples.
    normalization : {'standard', 'model', 'log', 'psd'}
        The periodogram's normalization (``psd`` holds for data with their ``dy``).
    dH, dK : int
        Parameters of the null hypothesis and of the model (``dK = dH + 2``).

    Returns
    -------
    ndarray
        The density at ``z``.

    Examples
    --------
    >>> float(pdf_single(0.0, 103, "standard"))
    50.0
    """
    z = np.asarray(z, dtype=np.float64)
    _check(dH, dK)
    nk = N - dK
    check_normalization(normalization)
    if normalization == "psd":
        return np.exp(-z)
    if normalization == "standard":
        return 0.5 * nk * (1 - z) ** (0.5 * nk - 1)
    if normalization == "model":
        return 0.5 * nk * (1 + z) ** (-0.5 * nk - 1)
    return 0.5 * nk * np.exp(-0.5 * nk * z)


def fap_single(z, N, normalization, dH=1, dK=3):
    """Single-frequency false-alarm probability ``1 - cdf`` (parameters as :func:`pdf_single`)."""
    z = np.asarray(z, dtype=np.float64)
    _check(dH, dK)
    nk = N - dK
    check_normalization(normalization)
    if normalization == "psd":
        return np.exp(-z)
    if normalization == "standard":
        return (1 - z) ** (0.5 * nk)
    if normalization == "model":
        return (1 + z) ** (-0.5 * nk)
    return np.exp(-0.5 * nk * z)


def cdf_single(z, N, normalization, dH=1, dK=3):
    """Cumulative distribution of the power at one frequency (parameters as :func:`pdf_single`)."""
    return 1 - fap_single(z, N, normalization, dH=dH, dK=dK)


def inv_fap_single(fap, N, normalization, dH=1, dK=3):
    """The power whose single-frequency false-alarm probability is ``fap``."""
    fap = np.asarray(fap, dtype=np.float64)
    _check(dH, dK)
    nk = N - dK
    check_normalization(normalization)
    with np.errstate(divide="ignore"):
        if normalization == "psd":
            return -np.log(fap)
        if normalization == "standard":
            return 1 - fap ** (2 / nk)
        if normalization == "model":
            return -1 + fap ** (-2 / nk)
        return -2 / nk * np.log(fap)


def tau_davies(Z, fmax, t, y, dy, normalization="standard", dH=1, dK=3):
    """Baluev's ``tau`` (his Table 1): the expected number of upcrossings of ``Z`` up to ``fmax``."""
    n = len(t)
    nh, nk = n - dH, n - dK
    w = fmax * np.sqrt(4 * np.pi * _weighted_var(np.asarray(t, dtype=np.float64), dy))
    Z = np.asarray(Z, dtype=np.float64)
    if normalization == "psd":
        return w * np.exp(-Z) * np.sqrt(Z)
    if normalization == "standard":
        return _gamma(nh) * w * (1 - Z) ** (0.5 * (nk - 1)) * np.sqrt(0.5 * nh * Z)
    if normalization == "model":
        return _gamma(nk) * w * (1 + Z) ** (-0.5 * nk) * np.sqrt(0.5 * nk * Z)
    if normalization == "log":
        return _gamma(nk) * w * np.exp(-0.5 * Z * (nk - 0.5)) * np.sqrt(nk * np.sinh(0.5 * Z))
    raise InputError(f"normalization {normalization!r} is not recognized: choose one of {', '.join(NORMALIZATIONS)}")


def fap_naive(Z, fmax, t, y, dy, normalization="standard"):
    """``1 - (1 - p_single)^N_eff``, ``N_eff = fmax * (max t - min t)``."""
    n_eff = fmax * (np.max(t) - np.min(t))
    fap_s = fap_single(Z, len(t), normalization)
    with np.errstate(divide="ignore"):
        return -np.expm1(n_eff * np.log1p(-fap_s))


def inv_fap_naive(fap, fmax, t, y, dy, normalization="standard"):
    """Inverse of :func:`fap_naive`."""
    fap = np.asarray(fap, dtype=np.float64)
    n_eff = fmax * (np.max(t) - np.min(t))
    with np.errstate(divide="ignore"):
        fap_s = -np.expm1(np.log1p(-fap) / n_eff)
    return inv_fap_single(fap_s, len(t), normalization)


def fap_davies(Z, fmax, t, y, dy, normalization="standard"):
    """The Davies upper bound ``p_single + tau`` (Baluev 2008, eq. 5)."""
    return fap_single(Z, len(t), normalization) + tau_davies(Z, fmax, t, y, dy, normalization)


def fap_baluev(Z, fmax, t, y, dy, normalization="standard"):
    """Baluev's alias-free approximation ``1 - (1 - p_single) exp(-tau)`` (eq. 6)."""
    fap_s = fap_single(Z, len(t), normalization)
    tau = tau_davies(Z, fmax, t, y, dy, normalization)
    return -np.expm1(-tau) + fap_s * np.exp(-tau)  # keeps digits when both are small


def _invert(forward, p, fmax, t, y, dy, normalization):
    """Solve ``forward(z) = p`` element by element, from the naive level (Levenberg-Marquardt,
    as astropy)."""
    from scipy import optimize

    p = np.asarray(p, dtype=np.float64)
    out = np.empty(p.shape)
    args = (fmax, t, y, dy, normalization)
    for i, pi in np.ndenumerate(p):
        z0 = inv_fap_naive(pi, *args)
        res = optimize.root(lambda z, pi=pi: forward(z, *args) - pi, z0, method="lm")
        if not res.success:
            raise InputError(f"the false-alarm level did not converge for probability {pi}")
        out[i] = res.x[0]
    return out


def inv_fap_davies(p, fmax, t, y, dy, normalization="standard"):
    """Inverse of :func:`fap_davies`."""
    return _invert(fap_davies, p, fmax, t, y, dy, normalization)


def inv_fap_baluev(p, fmax, t, y, dy, normalization="standard"):
    """Inverse of :func:`fap_baluev`."""
    return _invert(fap_baluev, p, fmax, t, y, dy, normalization)


BOOTSTRAP_BATCH = 1 << 24  # complex numbers per batch of bootstrap periodograms (256 MB)


def bootstrap_max(t, y, dy, fmax, normalization, random_seed=None, n_bootstrap=1000):
    """Sorted highest powers of ``n_bootstrap`` periodograms of ``y`` (and ``dy``) resampled with
    replacement at the same times, on the automatic grid up to ``fmax``; many resamples share one
    non-uniform FFT."""
    from .grid import autofrequency
    from .periodograms import generalized, trig

    t = np.asarray(t, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    dyb = None if dy is None else np.broadcast_to(np.asarray(dy, dtype=np.float64), y.shape)
    freq = autofrequency(t, maximum_frequency=fmax)
    rng = np.random.default_rng(random_seed)
    tc = t - 0.5 * (t.max() + t.min())
    per = max(1, BOOTSTRAP_BATCH // (6 * max(freq.size, t.size)))
    peaks = []
    for start in range(0, n_bootstrap, per):
        k = min(per, n_bootstrap - start)
        rows, chi2_refs, means = [], [], []
        for _ in range(k):
            s = rng.integers(0, len(y), len(y))
            w, yc, chi2_ref = generalized.prepare(y[s], None if dyb is None else dyb[s],
                                                  fit_mean=True, center_data=True)
            rows += [w, w * yc]
            chi2_refs.append(chi2_ref)
            means.append(float(np.dot(w, yc)))
        sums = trig.nufft_sums(tc, np.asarray(rows, dtype=np.complex128), freq, [0, 1, 2])
        for j in range(k):
            xtx, xty = generalized._normal_equations(sums[2 * j], sums[2 * j + 1, 1:2], means[j], True, 1)
            p = generalized.explained(xtx, xty, float(sums[2 * j, 0, 0].real))
            power = generalized.normalize(np.clip(p, 0, chi2_refs[j]), chi2_refs[j], normalization)
            peaks.append(float(np.max(power)))
    return np.sort(np.asarray(peaks))


def fap_bootstrap(Z, fmax, t, y, dy, normalization="standard", n_bootstraps=1000, random_seed=None):
    """The fraction of bootstrap maxima at or above ``Z`` (:func:`bootstrap_max`)."""
    pmax = bootstrap_max(t, y, dy, fmax, normalization, random_seed, n_bootstraps)
    return 1 - np.searchsorted(pmax, np.asarray(Z, dtype=np.float64)) / len(pmax)


def inv_fap_bootstrap(fap, fmax, t, y, dy, normalization="standard", n_bootstraps=1000, random_seed=None):
    """The bootstrap maximum exceeded with probability ``fap``."""
    fap = np.asarray(fap, dtype=np.float64)
    pmax = bootstrap_max(t, y, dy, fmax, normalization, random_seed, n_bootstraps)
    return pmax[np.clip(np.floor((1 - fap) * len(pmax)).astype(int), 0, len(pmax) - 1)]


FapFunction = Callable[..., np.ndarray]
# The one list of false-alarm methods (and their inverses); docstrings are checked against it.
METHODS: dict[str, FapFunction] = {
    "baluev": fap_baluev,
    "davies": fap_davies,
    "naive": fap_naive,
    "bootstrap": fap_bootstrap,
    "single": lambda Z, fmax, t, y, dy, normalization="standard": fap_single(Z, len(t), normalization),
}
INV_METHODS: dict[str, FapFunction] = {
    "baluev": inv_fap_baluev,
    "davies": inv_fap_davies,
    "naive": inv_fap_naive,
    "bootstrap": inv_fap_bootstrap,
    "single": lambda p, fmax, t, y, dy, normalization="standard": inv_fap_single(p, len(t), normalization),
}
METHOD_KWDS: dict[str, tuple[str, ...]] = {"bootstrap": ("n_bootstraps", "random_seed")}


# The false-alarm methods sigfit.estimate takes (fap_method=): analytic, with null models of any
# number of linear parameters; the bootstrap would refit every resample (use LombScargle's)
ESTIMATE_METHODS: tuple[str, ...] = ("baluev", "davies", "naive")


def peak_false_alarm_probability(power: float, n_samples: int, bandwidth: float, baseline: float,
                                 span: float, n_null: int = 1, method: str = "baluev") -> float:
    """False-alarm probability of a highest standard power ``power`` found over ``bandwidth``
    against a null model of ``n_null`` linear parameters, by ``method`` of :data:`ESTIMATE_METHODS`.

    ``baseline`` is the effective baseline ``sqrt(4 pi Var(t))`` (Baluev's ``T_eff``), ``span``
    the record's length (the naive count of independent frequencies ``bandwidth * span``).
    ``baluev`` is :func:`sigfit.significance.false_alarm_probability`; ``davies`` its upper bound
    ``p_single + tau`` (clipped to 1); ``naive`` ``1 - (1 - p_single)^(bandwidth * span)``.

    Examples
    --------
    >>> round(peak_false_alarm_probability(0.2, 100, 1.0, 50.0, 100.0, method="naive"), 4)
    0.002
    """
    from .significance import false_alarm_probability as baluev

    if method not in ESTIMATE_METHODS:
        raise InputError(
            f"fap_method {method!r} is not available in estimate: choose one of {', '.join(ESTIMATE_METHODS)} "
            "(the bootstrap: sigfit.LombScargle(...).false_alarm_probability(power, method='bootstrap'))"
        )
    if method == "baluev":
        return baluev(power, n_samples, bandwidth, baseline, n_null=n_null)
    z = float(min(max(power, 0.0), 1.0))
    n_h, n_k = n_samples - n_null, n_samples - n_null - 2
    if n_k <= 0:
        return 1.0
    single = (1.0 - z) ** (0.5 * n_k)
    if method == "naive":
        return float(min(max(-np.expm1(bandwidth * span * np.log1p(-single)), 0.0), 1.0))
    tau = _gamma(n_h) * bandwidth * baseline * (1 - z) ** (0.5 * (n_k - 1)) * np.sqrt(0.5 * n_h * z)
    return float(min(single + tau, 1.0))


def _resolve(method: str, table: dict, method_kwds) -> tuple[FapFunction, dict]:
    if method not in table:
        raise InputError(f"unknown false-alarm method {method!r}: choose one of {', '.join(table)}")
    kwds = dict(method_kwds or {})
    allowed = METHOD_KWDS.get(method, ())
    unknown = sorted(set(kwds) - set(allowed))
    if unknown:
        raise InputError(
            f"false-alarm method {method!r} takes no keyword {', '.join(unknown)}: "
            f"its keywords are {', '.join(allowed) or 'none'}"
        )
    return table[method], kwds


def false_alarm_probability(Z, fmax, t, y, dy, normalization="standard", method="baluev", method_kwds=None):
    """False-alarm probability of a highest peak ``Z`` searched up to ``fmax``.

    Parameters
    ----------
    Z : array_like
        Peak power(s) in ``normalization``.
    fmax : float
        Highest frequency searched (cycles per unit of t).
    t, y, dy : ndarray
        The data (plain arrays; ``dy`` may be None).
    normalization : {'standard', 'model', 'log', 'psd'}
        The power's normalization.
    method : {'baluev', 'davies', 'naive', 'bootstrap', 'single'}
        A name of :data:`METHODS`.
    method_kwds : dict, optional
        ``bootstrap``: ``n_bootstraps`` (1000), ``random_seed``.

    Returns
    -------
    ndarray
        The probability, shaped like ``Z``.

    Examples
    --------
    >>> import numpy as np
    >>> t = np.linspace(0, 100, 200)
    >>> round(float(false_alarm_probability(0.1, 1.0, t, None, None)), 4)
    0.0106
    >>> round(float(false_alarm_probability(0.1, 1.0, t, None, None, method="naive")), 4)
    0.0031
    """
    check_normalization(normalization)
    func, kwds = _resolve(method, METHODS, method_kwds)
    return func(Z, fmax, t, y, dy, normalization, **kwds)


def false_alarm_level(p, fmax, t, y, dy, normalization="standard", method="baluev", method_kwds=None):
    """The peak power whose false-alarm probability is ``p`` (inverse of
    :func:`false_alarm_probability`; same parameters, ``p`` in (0, 1))."""
    check_normalization(normalization)
    func, kwds = _resolve(method, INV_METHODS, method_kwds)
    return func(p, fmax, t, y, dy, normalization, **kwds)
