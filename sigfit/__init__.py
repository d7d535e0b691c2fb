"""sigfit: periods, phases and amplitudes from sampled data.

Public names only; estimation code never imports torch or matplotlib.
"""

from .errors import InputError, SigfitError, SigfitWarning
from .estimate import estimate, periodogram
from .results import Component, EstimateResult, NoiseModel, Periodogram, Stationarity, Track

__all__ = [
    "Component",
    "EstimateResult",
    "InputError",
    "LombScargle",
    "NoiseModel",
    "Periodogram",
    "SigfitError",
    "SigfitWarning",
    "Stationarity",
    "Track",
    "estimate",
    "estimate_many",
    "periodogram",
]
__version__ = "0.1.0"


# estimate_many (its files, inputs and Dask client code) and the astropy-shaped LombScargle (with
# the statistics of every FAP method) load on first use, ~100 ms: a single estimate, on the
# command line or in a script, does not pay for them
_LAZY = {"estimate_many": ".batch", "LombScargle": ".lombscargle"}


def __getattr__(name):
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name], __name__), name)
    raise AttributeError(f"module 'sigfit' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_LAZY))
