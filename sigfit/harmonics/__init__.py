"""Periodic signals that are not sinusoids: the fundamental, its harmonics, several periods.

A sawtooth, a staircase or a pulse train of period ``P`` puts power at every harmonic ``h/P``.
The strongest periodogram peak need not be the fundamental (a narrow pulse train has harmonics
of nearly equal power), and a single sinusoid at ``1/P`` leaves most of the shape in the
residual, which is what limits the period's precision. This module:

* identifies the fundamental behind a peak ``f_p``: each candidate ``f_p/k`` (``k = 1..8``) is
  fitted with its harmonics up to the same highest frequency, and the Bayesian information
  criterion (Schwarz 1978) ranks ``k`` (the multi-harmonic periodogram of Schwarzenberg-Czerny
  1996, ApJ 460, L107, compared across candidate fundamentals); a subharmonic is then taken only
  when the data show it: enough of its cycles in the record, its own lines significant against
  the spectrum around them, and holding still over the record (:func:`choose_fundamental`).
  Each component records why (``Component.fundamental``);
* chooses the number of harmonics ``H`` by the same criterion, read for every ``H`` at once from
  one Cholesky factor of the Gram matrix (the residual after the first ``m`` columns of a QR
  factorisation is ``|y|^2 - sum_{i<m} R_iy^2``);
* fits ``y = poly(u) + sum_k sum_h [a_kh sin(2 pi h f_k tau) + b_kh cos(2 pi h f_k tau)]`` for
  several independent fundamentals ``f_k`` jointly by Gauss-Newton on chunked normal equations
  (memory ``O(P^2 + chunk*P)``, never ``N x P`` at once), with standard errors from the
  heteroscedasticity-robust sandwich covariance (White 1980) when no ``dy`` is given: the
  residual of a truncated harmonic series is a function of phase, not white noise, and the
  sandwich stays honest for it.

Harmonics stop below the time stamps' own Nyquist frequency ``1/(2q)``: on a time grid of step
``q`` harmonic ``h f`` is the same sinusoid as ``1/q - h f``, so a sawtooth of period ``P`` sampled
at integer times is fully described by its first ``P/2`` harmonics, and the rest alias onto them.

Phases are computed from ``frac(f*tau)`` with an error-free product (:func:`sigfit._numerics.frac_cycles`)
and referred back to ``t = 0`` the same way, so they keep their digits at ``t ~ 4e9``.

The package, one concern a module:

- ``_design``: design columns, Gram matrices (explicit or from one NUFFT), the BIC, the
  polynomial trend alone (:func:`fit_trend`);
- ``_lstsq``: the one least-squares loop, the joint Gauss-Newton fit of several fundamentals
  and their harmonics (:func:`fit_periodic`; plain sinusoids are its one-harmonic case);
- ``_choice``: the number of harmonics and the fundamental behind a peak;
- ``_steps``: step-shaped signals (a clock's digits);
- ``_prewhiten``: components found one after another, and their ``Component`` records.
"""

from .._numerics import single_threaded
from ._choice import (
    MIN_SUBHARMONIC_CYCLES as MIN_SUBHARMONIC_CYCLES,
)
from ._choice import (
    FundamentalChoice,
    choose_fundamental,
    coherence_p_value,
    identify_fundamental,
    line_p_values,
    select_n_harmonics,
)
from ._design import MAX_HARMONICS, fit_trend, harmonic_limit, n_params
from ._lstsq import PeriodicFit, evaluate_centred, fit_periodic
from ._prewhiten import (
    ComponentInfo,
    component_powers,
    component_summary,
    find_components,
    to_components,
)
from ._prewhiten import (
    _selection_subset as _selection_subset,
)
from ._steps import StepBracket, step_bracket, with_frequency

__all__ = [
    "ComponentInfo",
    "FundamentalChoice",
    "MAX_HARMONICS",
    "PeriodicFit",
    "StepBracket",
    "choose_fundamental",
    "coherence_p_value",
    "component_powers",
    "component_summary",
    "evaluate_centred",
    "find_components",
    "fit_periodic",
    "fit_trend",
    "harmonic_limit",
    "identify_fundamental",
    "line_p_values",
    "n_params",
    "select_n_harmonics",
    "single_threaded",
    "step_bracket",
    "to_components",
    "with_frequency",
]
