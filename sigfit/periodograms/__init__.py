"""Periodograms: one dispatch table, one resolver (the pattern of astropy's LombScargle).

Every backend is a plain function ``power(tau, y, dy, grid) -> ndarray`` over float64 arrays:
sorted centred times ``tau``, values ``y``, one-sigma uncertainties ``dy`` (or None) and a
:class:`sigfit.grid.FrequencyGrid`. Its entry in :data:`BACKENDS` declares what it returns, so
that the significance step never feeds a quantity to a false-alarm formula made for another:
today both backends return the "standard" normalised power ``(chi2_ref - chi2(f)) / chi2_ref``
of a floating-mean sinusoid fit, in [0, 1], higher is better, with ``1 - z ~ Beta((n - 3)/2, 1)``
at one frequency on white noise (the law Baluev's and Davies' bounds assume).

A new method plugs in here, in one file:

1. write ``power(tau, y, dy, grid, **options)`` in its own module (``periodograms/pdm.py``);
2. add its name to :data:`MethodName` and a :class:`Backend` to :data:`BACKENDS` that says what
   it returns and passes its knobs through ``options``. Phase dispersion minimisation
   (Stellingwerf 1978) returns ``theta``, lower is better, with a Beta null of its own:
   ``Backend(pdm.power, statistic="theta", higher_is_better=False, null="pdm-beta")``.
   A box least squares search (Kovacs et al. 2002) takes transit durations:
   ``Backend(bls.power, statistic="bls-snr", null="bootstrap", options={"durations": ...})``;
3. the search picks the peak of whatever the backend returns (after :func:`as_higher_is_better`),
   and :func:`check_fap_applies` refuses, with an error that says so, to give such a statistic
   to the standard power's false-alarm formulas (:mod:`sigfit.statistics`) until a formula for
   its null is added there (``fap_method``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Literal, get_args

import numpy as np

from ..errors import InputError
from ..grid import FrequencyGrid
from ..sampling import UNIFORM_RTOL, uniform_step  # noqa: F401  (public here: sigfit.periodograms.uniform_step)
from . import fft, lombscargle

MethodName = Literal["fft", "lombscargle"]
# "wavelet" is no periodogram: sigfit.wavelet seeds the same refinement (see sigfit.estimate)
MethodChoice = Literal["auto", "fft", "lombscargle", "wavelet"]



@dataclass(frozen=True)
class Backend:
    """One periodogram method: its function and what it returns."""

    power: Callable[..., np.ndarray]  # power(tau, y, dy, grid, **options) -> ndarray
    # the statistic: "standard" = (chi2_ref - chi2(f)) / chi2_ref of a floating-mean sinusoid
    statistic: str = "standard"
    higher_is_better: bool = True  # the best frequency is the maximum (False: the minimum)
    # its law at one frequency on white noise: "beta" = 1 - z ~ Beta((n - 3)/2, 1), which
    # sigfit.statistics' false-alarm methods (Baluev, Davies, naive) assume
    null: str = "beta"
    options: Mapping = field(default_factory=dict)  # keyword arguments passed to power
    # further keyword arguments when a whole grid is searched for its peaks (compute(search=True)):
    # a backend may trade digits the search does not need for speed there
    search_options: Mapping = field(default_factory=dict)


# The one list of methods. Docstrings that name them are checked against it in the tests.
BACKENDS: dict[str, Backend] = {
    "fft": Backend(fft.power),
    "lombscargle": Backend(lombscargle.power, search_options={"accuracy": "grid"}),
}
assert set(BACKENDS) == set(get_args(MethodName))
METHODS: dict[str, Callable[..., np.ndarray]] = {name: b.power for name, b in BACKENDS.items()}
METHOD_CHOICES: tuple[str, ...] = get_args(MethodChoice)


def resolve_method(
    method: str,
    *,
    uniform: bool,
    weighted: bool,
    fmax: float | None = None,
    nyquist: float | None = None,
) -> str:
    """Turn a method choice into a backend name, or raise InputError naming the alternatives.

    ``auto`` picks ``fft`` for evenly spaced, unweighted samples whose requested band stays at or
    below Nyquist, and ``lombscargle`` otherwise.
    """
    if method not in METHOD_CHOICES:
        raise InputError(f"unknown method {method!r}: choose one of {', '.join(METHOD_CHOICES)}")
    above_nyquist = fmax is not None and nyquist is not None and fmax > nyquist * (1 + 1e-12)
    if method == "auto":
        return "fft" if uniform and not weighted and not above_nyquist else "lombscargle"
    if method == "fft":
        if not uniform:
            raise InputError(
                "method 'fft' needs evenly spaced samples without gaps or duplicates: "
                "use method='lombscargle' (or 'auto')"
            )
        if weighted:
            raise InputError(
                "method 'fft' cannot weight samples by dy: use method='lombscargle' (or 'auto')"
            )
        if above_nyquist:
            raise InputError(
                f"method 'fft' sees frequencies up to Nyquist ({nyquist:.6g}) only, fmax is "
                f"{fmax:.6g}: lower fmax or use method='lombscargle'"
            )
    return method


def compute(method: str, tau, y, dy, grid: FrequencyGrid, *, search: bool = False) -> np.ndarray:
    """The power on ``grid`` by backend ``method`` (a resolved name), with its options; with
    ``search=True`` (a grid searched for its peaks) also its ``search_options``."""
    backend = BACKENDS[method]
    return backend.power(tau, y, dy, grid, **backend.options,
                         **(backend.search_options if search else {}))


def as_higher_is_better(method: str, power: np.ndarray) -> np.ndarray:
    """``power`` oriented so that the best frequency is its maximum (``-power`` for a backend
    whose statistic is lower-is-better)."""
    return power if BACKENDS[method].higher_is_better else -np.asarray(power)


def check_fap_applies(method: str) -> None:
    """InputError unless ``method``'s statistic is the standard power with its Beta null, the
    quantity every false-alarm method of :mod:`sigfit.statistics` is made for. Names that are
    no periodogram backend (``wavelet``: its peaks are judged on a Lomb-Scargle periodogram)
    pass."""
    backend = BACKENDS.get(method)
    if backend is None:
        return
    if (backend.statistic, backend.higher_is_better, backend.null) != ("standard", True, "beta"):
        raise InputError(
            f"method {method!r} returns {backend.statistic!r} (null {backend.null!r}); the false-alarm "
            "probabilities are defined for the standard power only: add a formula for its null to "
            "sigfit.statistics first"
        )


__all__ = ["BACKENDS", "METHODS", "METHOD_CHOICES", "Backend", "MethodChoice", "MethodName", "as_higher_is_better",
           "check_fap_applies", "compute", "resolve_method", "uniform_step"]
