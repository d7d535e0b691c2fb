"""Periodograms: one dispatch table, one resolver (the pattern of astropy's LombScargle).

Every backend is a plain function ``power(tau, y, dy, grid) -> ndarray`` over float64 arrays:
sorted centred times ``tau``, values ``y``, one-sigma uncertainties ``dy`` (or None) and a
:class:`sigfit.grid.FrequencyGrid`; it returns the "standard" normalised power
``(chi2_ref - chi2(f)) / chi2_ref`` of a floating-mean sinusoid fit, in [0, 1].
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal, get_args

import numpy as np

from ..errors import InputError
from ..grid import FrequencyGrid
from ..sampling import UNIFORM_RTOL, uniform_step  # noqa: F401  (public here: sigfit.periodograms.uniform_step)
from . import fft, lombscargle

MethodName = Literal["fft", "lombscargle"]
# "wavelet" is no periodogram: sigfit.wavelet seeds the same refinement (see sigfit.estimate)
MethodChoice = Literal["auto", "fft", "lombscargle", "wavelet"]

# The one list of methods. Docstrings that name them are checked against it in the tests.
METHODS: dict[str, Callable[..., np.ndarray]] = {
    "fft": fft.power,
    "lombscargle": lombscargle.power,
}
assert set(METHODS) == set(get_args(MethodName))
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


def compute(method: str, tau, y, dy, grid: FrequencyGrid) -> np.ndarray:
    """The power on ``grid`` by backend ``method`` (a resolved name)."""
    return METHODS[method](tau, y, dy, grid)


__all__ = ["METHODS", "METHOD_CHOICES", "MethodChoice", "MethodName", "compute", "resolve_method", "uniform_step"]
