"""Wavelet families and defaults: the Morlet and Torrence & Compo's Paul and DOG wavelets, their
aliases, and the constants the transform is built with."""

from __future__ import annotations

import math
from typing import Any, Literal, get_args

import numpy as np

from .._numerics import TWO_PI
from ..errors import InputError

Method = Literal["auto", "cwt", "wwz"]
Background = Literal["red", "white"]
METHODS: tuple[str, ...] = get_args(Method)
BACKGROUNDS: tuple[str, ...] = get_args(Background)
DEFAULT_BANDWIDTH = 2.0  # B = 2, C = 1: Torrence & Compo's Morlet (omega0 = 2 pi) and Foster's c
DEFAULT_CENTER_FREQUENCY = 1.0
DEFAULT_VOICES = 16  # frequencies per octave
MAX_TIMES = {"cwt": 1024, "wwz": 256}  # default number of map columns
_CALIBRATE_UP_TO = 1024.0  # scales (in samples) calibrated by impulse response; above: continuum limit
_MAX_PRECISION = 20
POINTS_PER_SAMPLE = 1024.0  # lookup points of pywt's integrated wavelet per sample (_precision)
_MEMORY_ELEMENTS = 1 << 22  # complex values per pywt call (64 MiB)


# Torrence & Compo (1998) Table 1 wavelets besides the Morlet: Fourier-domain shape at
# x = s * omega (unnormalised: sigfit calibrates every scale by its gain), the period
# lambda = factor * s a scale stands for, the e-folding time = efold * s, the default order, and
# whether the wavelet is complex (analytic: 2 degrees of freedom) or real. A scale stands for the
# frequency where its spectrum peaks (x = m for Paul, sqrt(m) for DOG), as the Morlet's C/(a dt):
# then a tone's ridge (the largest amplitude over scales) sits at its frequency with its amplitude.
# T&C's "Fourier period" (4 pi s/(2m + 1), 2 pi s/sqrt(m + 1/2)) is a few percent off that peak.
def _paul_hat(x, m):
    return np.where(x > 0, np.abs(x) ** m * np.exp(-np.abs(x)), 0.0)


def _dog_hat(x, m):
    return x**m * np.exp(-0.5 * x * x)


FAMILIES: dict[str, dict[str, Any]] = {
    "morlet": {"complex": True},  # pywt's cmorB-C (bandwidth, center_frequency)
    "paul": {"hat": _paul_hat, "period": lambda m: TWO_PI / m,
             "efold": lambda m: 1 / math.sqrt(2), "order": 4, "complex": True},
    "dog": {"hat": _dog_hat, "period": lambda m: TWO_PI / math.sqrt(m),
            "efold": lambda m: math.sqrt(2), "order": 2, "complex": False},
}
# pywt's names that are the same mathematics
WAVELET_ALIASES = {"cmor": "morlet", "mexh": "dog"}


def resolve_wavelet(wavelet: str, order) -> tuple[str, int | None]:
    """``(family, order)`` for a name of :data:`FAMILIES` (or pywt's ``cmor``, ``mexh`` = DOG 2,
    ``gausN`` = DOG N), or InputError naming what exists."""
    name = str(wavelet).strip().lower()
    if name.startswith("gaus") and name[4:].isdigit():
        name, order = "dog", int(name[4:]) if order is None else order
    elif name == "mexh":
        order = 2 if order is None else order
    name = WAVELET_ALIASES.get(name, name)
    if name not in FAMILIES:
        raise InputError(
            f"wavelet {wavelet!r} is not supported: choose one of {', '.join(FAMILIES)} (Torrence & "
            "Compo 1998; pywt's cmor, mexh and gausN are accepted as morlet and dog); for others "
            "call pywt.cwt directly"
        )
    if name == "morlet":
        if order is not None:
            raise InputError("the Morlet wavelet takes bandwidth and center_frequency, not order")
        return name, None
    order = FAMILIES[name]["order"] if order is None else order
    if isinstance(order, bool) or not isinstance(order, (int, np.integer)) or order < 1:
        raise InputError(f"order must be a positive integer for the {name} wavelet, got {order!r}")
    return name, int(order)


def _equivalent_morlet(family: str, order: int) -> tuple[float, float]:
    """(bandwidth, center_frequency) of the Morlet with this wavelet's e-folding time per period
    (``sqrt(B) C``), so that :func:`band` and :func:`cone_of_influence` serve every family."""
    fam = FAMILIES[family]
    efold_per_period = fam["efold"](order) / fam["period"](order)
    return efold_per_period**2, 1.0
