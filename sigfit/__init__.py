"""sigfit: periods, phases and amplitudes from sampled data.

Public names only; estimation code never imports torch or matplotlib.
"""

from .batch import estimate_many
from .errors import InputError, SigfitError, SigfitWarning
from .estimate import estimate, periodogram
from .lombscargle import LombScargle
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
