"""Time-frequency analysis: scalograms, ridges and periods that drift.

Two transforms share one result type, :class:`Scalogram`:

- ``cwt``: the continuous wavelet transform of PyWavelets (``pywt.cwt``) with a complex Morlet
  ``cmorB-C`` (bandwidth ``B``, centre frequency ``C``), for uniformly spaced samples;
- ``wwz``: Foster's (1996) weighted wavelet Z-transform (:mod:`sigfit.wwz`) for irregular samples,
  with the Morlet envelope of the same ``B`` and ``C``. Irregular samples are never resampled.

Conventions (both transforms):

- ``coefficients[k, j]`` is the local phasor: a signal ``A cos(2 pi f t + phi)`` gives
  ``A * exp(1j*(2 pi f t_j + phi))`` at the scale of ``f``. So ``amplitude = |coefficients|`` and
  ``power = amplitude**2`` are the same (1) for a unit sinusoid at every scale: the "rectified"
  spectrum of Liu, Liang & Weisberg (2007), not Torrence & Compo's ``|W|^2`` that grows with scale.
- Scale and frequency: a ``cmorB-C`` at scale ``a`` samples peaks at frequency ``C / (a dt)``
  exactly (its Fourier transform is ``exp(-pi^2 B (a f dt - C)^2)``). ``pywt.scale2frequency``
  rounds ``C`` to a multiple of 1/16 (it reads the peak off an FFT of the sampled wavelet over
  [-8, 8]), so sigfit uses ``C`` itself; they agree whenever ``16 C`` is an integer.
- pywt integrates the wavelet over each sample, which damps a sinusoid by ``sinc(f dt)`` and
  shifts its phase by half a sample, and at large scales its default ``precision=12`` samples
  the integrated wavelet so coarsely that the noise power grows six-fold at ``a = 1000``.
  sigfit raises ``precision`` with the largest scale and calibrates every scale with pywt's own
  impulse response (gain at the centre frequency, noise power ``sum |h|^2``), so the
  normalisation and the noise model above hold exactly for the transform actually computed.
- Cone of influence (Torrence & Compo 1998, sec. 3g): the e-folding time of the wavelet power of
  an edge spike, ``sqrt(B) * C / f`` (``sqrt(2)`` scales for ``B = 2``, their Morlet). ``coi[j]``
  is the lowest frequency whose e-folding time fits between ``time[j]`` and the nearer end.
- Significance (Torrence & Compo 1998, eqs. 16-18): against white noise or a red background of
  the series' own variance, ``power / noise_power`` is distributed as ``chi2_2 / 2``. The noise
  power of a local sinusoid fit on ``N_eff`` effective samples is ``4 sigma^2 P(f) / N_eff``; for
  the CWT ``N_eff`` is exact from the calibration, for the WWZ it comes from each point's own
  fit (Foster's eq. 5-4 for dense, even windows). The red ``P(f)`` is AR(1) plus white noise,
  fitted robustly to the global spectrum (:func:`fit_background` says why not T&C's bare lag-1
  AR(1)).

The package, one concern a module: ``_families`` (wavelets and defaults), ``_transform`` (the
scalogram), ``_ridges``, ``_search`` (the wavelet as ``sigfit.estimate``'s peak finder),
``_checks`` (input checks).
"""

from ._families import (  # noqa: F401
    BACKGROUNDS,
    DEFAULT_BANDWIDTH,
    DEFAULT_CENTER_FREQUENCY,
    DEFAULT_VOICES,
    FAMILIES,
    MAX_TIMES,
    METHODS,
    POINTS_PER_SAMPLE,
    WAVELET_ALIASES,
    Background,
    Method,
    resolve_wavelet,
)
from ._ridges import (  # noqa: F401
    ridges,
)
from ._search import (  # noqa: F401
    LONG_RIDGE,
    MAX_SEGMENTS,
    SEGMENT_CYCLES,
    STATIONARITY_TEST,
    WaveletSearch,
    global_peaks,
    stationarity,
)
from ._transform import (  # noqa: F401
    Ridge,
    Scalogram,
    band,
    cone_of_influence,
    fit_background,
    frequency_grid,
    red_noise_spectrum,
    scalogram,
)

__all__ = [
    "BACKGROUNDS",
    "FAMILIES",
    "METHODS",
    "Ridge",
    "Scalogram",
    "WaveletSearch",
    "band",
    "cone_of_influence",
    "fit_background",
    "frequency_grid",
    "global_peaks",
    "red_noise_spectrum",
    "ridges",
    "scalogram",
    "stationarity",
]
