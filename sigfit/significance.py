"""False-alarm probability of a periodogram peak (Baluev 2008, MNRAS 385, 1279).

The null hypothesis is a model with ``n_null`` linear parameters (offset, trend, and tones
already found) plus white Gaussian noise; the alternative adds one sinusoid (2 more linear
parameters) at a frequency searched over a band of width ``bandwidth``. For the "standard"
normalised power ``Z = (chi2_null - chi2_tone) / chi2_null`` Baluev's alias-free approximation
(his eq. 6 with Table 1) is::

    FAP(Z) = 1 - (1 - FAP_single(Z)) * exp(-tau(Z))
    FAP_single(Z) = (1 - Z)^((N_K)/2)
    tau(Z) = gamma(N_H) * W * (1 - Z)^((N_K - 1)/2) * sqrt(N_H*Z/2)
    W = bandwidth * sqrt(4*pi*Var(t)),   N_H = N - n_null,   N_K = N_H - 2,
    gamma(n) = sqrt(2/n) * Gamma(n/2) / Gamma((n-1)/2)

with ``Var(t)`` weighted by ``1/dy^2``. It is an upper bound in the tail (the Davies bound plus a
correction) and accurate for FAP < 0.1, the range that decides significance. astropy implements
the same formulas for ``n_null = 1`` (``_statistics.fap_baluev``).

The power that enters is judged against the noise background fitted to the data
(:mod:`sigfit.background`): for white noise it is the standard power itself, for red noise its
generalised-least-squares equivalent at the peak's frequency. A tone is significant
(:func:`is_significant`) when its false-alarm probability is at most the threshold *and* its
amplitude exceeds its standard error: a tone indistinguishable from zero amplitude is no
detection, whatever the periodogram says (a wild time stamp can make one, issue 14).
"""

from __future__ import annotations

import math

import numpy as np

# From this many samples on, _gamma uses its asymptotic series (error < 1e-16 relative from n = 50)
_GAMMA_SERIES_FROM = 50


def _gamma(n: float) -> float:
    """Baluev's ``sqrt(2/n) Gamma(n/2) / Gamma((n-1)/2)`` (1 - 3/(4n) + ... for large ``n``).

    The difference of two log-gammas loses ``log10(n log n)`` digits to cancellation (1e-11 at
    n = 1e5, 1e-7 at 1e8, in scipy's ``gammaln`` and ``math.lgamma`` alike), so from
    :data:`_GAMMA_SERIES_FROM` samples on it is the asymptotic series of
    ``ln Gamma(x + 1/2) - ln Gamma(x)`` (Bernoulli polynomials at 1/2; x = (n - 1)/2), exact to
    rounding; below, ``math.lgamma``. The stdlib keeps scipy.special (~0.25 s to import) out of
    an estimate."""
    if n < _GAMMA_SERIES_FROM:
        return math.sqrt(2.0 / n) * math.exp(math.lgamma(n / 2.0) - math.lgamma((n - 1.0) / 2.0))
    i = 2.0 / (n - 1.0)  # 1/x
    i2 = i * i
    return math.exp(-0.5 * math.log1p(0.5 * i)
                    - i * (1.0 / 8.0 - i2 * (1.0 / 192.0 - i2 * (1.0 / 640.0 - i2 * (17.0 / 14336.0)))))


def effective_baseline(tau: np.ndarray, weights: np.ndarray | None = None) -> float:
    """``sqrt(4*pi*Var(t))``, Baluev's effective time span (weighted by ``1/dy^2``)."""
    mean = np.average(tau, weights=weights)
    var = np.average((tau - mean) ** 2, weights=weights)
    return math.sqrt(4.0 * math.pi * var)


def false_alarm_probability(
    power: float,
    n_samples: int,
    bandwidth: float,
    baseline: float,
    n_null: int = 1,
) -> float:
    """Baluev's false-alarm probability of the highest peak with standard power ``power``.

    Parameters
    ----------
    power : float
        Standard-normalised power in [0, 1].
    n_samples : int
        Number of samples.
    bandwidth : float
        Width of the searched band (cycles per unit of t).
    baseline : float
        :func:`effective_baseline` of the times.
    n_null : int
        Linear parameters of the null model (1 for a floating mean).

    Returns
    -------
    float
        Probability in [0, 1] that noise alone yields a peak this high somewhere in the band.
    """
    z = float(min(max(power, 0.0), 1.0))
    n_h = n_samples - n_null
    n_k = n_h - 2
    if n_k <= 0:
        return 1.0  # no degrees of freedom left: nothing can be significant
    fap_single = (1.0 - z) ** (0.5 * n_k)
    tau = _gamma(n_h) * bandwidth * baseline * (1.0 - z) ** (0.5 * (n_k - 1)) * math.sqrt(0.5 * n_h * z)
    # 1 - (1 - fap_single) * exp(-tau), written to keep digits when both are tiny
    fap = -math.expm1(-tau) + fap_single * math.exp(-tau)
    return float(min(max(fap, 0.0), 1.0))


def is_significant(fap: float, fap_threshold: float, amplitude: float, amplitude_err: float) -> bool:
    """A detection: false-alarm probability at most ``fap_threshold`` and an amplitude larger than
    its standard error: a tone whose amplitude error reaches its amplitude is not a detection."""
    fap_ok = math.isfinite(fap) and fap <= fap_threshold
    amp_ok = math.isfinite(amplitude) and math.isfinite(amplitude_err) and abs(amplitude) > amplitude_err
    return bool(fap_ok and amp_ok)
