"""Every input check of the estimation library, in one place.

Each check raises :class:`sigfit.errors.InputError` with a message that says how to fix the call,
or repairs what can be repaired (non-finite rows dropped, unsorted times sorted) and says so with a
:class:`sigfit.errors.SigfitWarning`.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field

import numpy as np

from ._inputs import plain_series
from .errors import InputError, SigfitWarning

# Phase jitter (in cycles) that the time stamps' own rounding may add at the highest searched
# frequency before the precision audit speaks up: 1e-3 cycles = 6 mrad, already a visible loss of
# digits in phase and frequency.
TIME_JITTER_WARN_CYCLES = 1e-3

MAX_TREND_DEGREE = 10


@dataclass
class Samples:
    """Validated, sorted, finite samples.

    ``tau = t - t_ref`` is the centred time in float64, computed exactly from integer stamps;
    phases are computed on ``tau`` and only converted back to ``t = 0`` at the end.
    """

    t: np.ndarray  # float64, sorted
    tau: np.ndarray  # float64, t - t_ref
    y: np.ndarray  # float64
    dy: np.ndarray | None  # float64, same shape as y, or None
    t_ref: float
    time_resolution: float  # the stamps' own quantum: 1 for integers, the ulp at max|t| for floats
    time_is_integer: bool  # integer stamps are exact: their quantum aliases, it does not jitter
    value_resolution: float  # ulp at max|y| in the input's dtype
    value_dtype: np.dtype
    warnings: list[str] = field(default_factory=list)
    time_unit: str | None = None  # the unit of t when it came with one (sigfit._inputs)
    value_unit: str | None = None

    @property
    def n(self) -> int:
        return int(self.y.size)

    @property
    def span(self) -> float:
        return float(self.tau[-1] - self.tau[0])

    @property
    def weights(self) -> np.ndarray | None:
        return None if self.dy is None else 1.0 / self.dy**2


def warn(series_warnings: list[str], message: str) -> None:
    """Emit a SigfitWarning and keep its text for the result."""
    series_warnings.append(message)
    warnings.warn(message, SigfitWarning, stacklevel=3)


def _numeric_1d(name: str, x) -> np.ndarray:
    try:
        a = np.asarray(x)
    except Exception as e:  # ragged nested lists and the like
        raise InputError(f"{name} must be a 1-D array of numbers ({e})") from None
    if a.dtype.kind == "M":
        raise InputError(
            f"{name} holds datetimes: convert them to numbers first, e.g. "
            f"({name} - {name}[0]) / np.timedelta64(1, 's') for seconds"
        )
    if a.dtype.kind in "US":
        raise InputError(
            f"{name} must be numeric, got text (e.g. {a.ravel()[0]!r}): convert it to numbers first"
        )
    if a.dtype.kind == "O":
        # object arrays of plain numbers (e.g. lists holding None) are fine; anything else is not
        flat = a.ravel()
        bad = next((i for i, v in enumerate(flat) if not _is_number(v)), None)
        if bad is not None:
            raise InputError(
                f"{name} must be numeric: {name}[{bad}] = {flat[bad]!r} is not a number; "
                "parse or drop such values first"
            )
        a = np.array([np.nan if v is None else float(v) for v in flat]).reshape(a.shape)
    if a.dtype.kind == "c":
        raise InputError(f"{name} is complex: pass the real part (or fit real and imaginary parts separately)")
    if a.dtype.kind == "b":
        raise InputError(f"{name} is boolean: convert it to numbers (e.g. {name}.astype(float)) if you mean 0/1")
    if a.dtype.kind not in "iuf":
        raise InputError(f"{name} must be numeric, got dtype {a.dtype}")
    if a.ndim != 1:
        if a.ndim == 2 and 1 in a.shape:
            a = a.ravel()
        else:
            raise InputError(f"{name} must be 1-D, got shape {a.shape}: pass one series at a time")
    return a


def _unmask(x):
    """(the data, the mask or None) of a numpy masked array; anything else unchanged. The data
    under the mask are never used (they may be anything: 1e9, NaN, garbage)."""
    if isinstance(x, np.ma.MaskedArray):
        mask = np.ma.getmaskarray(x)
        data = np.ma.getdata(x)
        if mask.any() and data.dtype.kind == "f":
            data = np.where(mask, 1.0, data).astype(data.dtype)  # finite, positive: never read
        return data, (mask if mask.any() else None)
    return x, None


def _is_number(v) -> bool:
    if v is None:
        return True  # a missing value: dropped later like NaN
    if isinstance(v, (str, bytes)):
        return False
    try:
        float(v)
    except (TypeError, ValueError):
        return False
    return True


def _resolution(a: np.ndarray) -> float:
    """The input's own quantum at its largest magnitude: 1 for integers, one ulp for floats."""
    if a.dtype.kind in "iu":
        return 1.0
    finite = a[np.isfinite(a)]
    big = np.max(np.abs(finite)) if finite.size else 0.0
    with np.errstate(over="ignore"):  # the ulp of float64's largest value is inf: huge, say so
        return float(np.spacing(a.dtype.type(big)))


def _paired_arrays(t, y) -> tuple[np.ndarray, np.ndarray]:
    """``t`` and ``y`` as 1-D numeric arrays of one length (not yet finite, not yet sorted)."""
    t_in = _numeric_1d("t", t)
    y_in = _numeric_1d("y", y)
    if t_in.size == 0 or y_in.size == 0:
        raise InputError("t and y are empty: pass at least a few samples")
    if t_in.shape != y_in.shape:
        raise InputError(
            f"t and y must have the same length, got {t_in.size} and {y_in.size}: "
            "pass one value per time stamp (arrays of equal length)"
        )
    return t_in, y_in


def _uncertainties(dy, y_in: np.ndarray) -> np.ndarray:
    """``dy`` as float64, one entry per sample (a scalar is broadcast); positive where finite
    (non-finite entries are dropped with their rows later)."""
    dy_in = _numeric_1d("dy", np.atleast_1d(dy))
    if dy_in.size == 1:
        dy_arr = np.full(y_in.shape, float(dy_in[0]))
    elif dy_in.shape == y_in.shape:
        dy_arr = dy_in.astype(np.float64)
    else:
        raise InputError(
            f"dy must be a scalar or have one entry per sample ({y_in.size}), got {dy_in.size}"
        )
    finite_dy = dy_arr[np.isfinite(dy_arr)]
    if np.any(finite_dy <= 0):
        raise InputError(
            "dy must be positive (they are one-sigma uncertainties of y): "
            f"found {int(np.sum(finite_dy <= 0))} value(s) <= 0"
        )
    return dy_arr


def _usable_rows(t_in, y_in, dy_arr, masks) -> tuple[np.ndarray, str | None]:
    """The rows with finite ``t``, ``y`` and ``dy`` and no mask, and the warning that says how
    many were dropped (None when none was). Raises when none is left."""
    with np.errstate(over="ignore"):  # float128 beyond float64 is inf, hence dropped
        ok = np.isfinite(y_in.astype(np.float64))
    if t_in.dtype.kind == "f":
        ok &= np.isfinite(t_in.astype(np.float64)) if t_in.dtype.itemsize > 8 else np.isfinite(t_in)
    if dy_arr is not None:
        ok &= np.isfinite(dy_arr)
    masked = np.zeros(ok.shape, dtype=bool)
    for m in masks:
        if m is not None:
            masked |= np.broadcast_to(np.asarray(m, dtype=bool).reshape(-1) if np.ndim(m) else m,
                                      ok.shape)
    n_masked = int(np.count_nonzero(masked & ok))
    ok &= ~masked
    n_bad = int(ok.size - np.count_nonzero(ok))
    if n_bad == ok.size:
        raise InputError(
            "every sample has a NaN or inf in t, y or dy: there is nothing to fit" if not
            masked.any() else
            "every sample is masked or has a NaN or inf in t, y or dy: there is nothing to fit"
        )
    if not n_bad:
        return ok, None
    what = "NaN or inf in t, y or dy" if not n_masked else (
        "a mask" if n_masked == n_bad else "a mask, NaN or inf in t, y or dy")
    return ok, f"dropped {n_bad} of {ok.size} samples with {what}"


def _time_order(t_in: np.ndarray) -> np.ndarray | None:
    """The permutation that sorts ``t_in``, or None when it is sorted already.

    Stable when two times are equal, so duplicates keep their order; distinct times have one
    sorted order whatever the algorithm, so the faster unstable sort serves otherwise."""
    if not (t_in.size > 1 and np.any(t_in[1:] < t_in[:-1])):
        return None
    order = np.argsort(t_in)
    ts = t_in[order]
    if np.any(ts[1:] == ts[:-1]):
        order = np.argsort(t_in, kind="stable")
    return order


def _centre_time(t_in: np.ndarray, dy_arr: np.ndarray | None) -> tuple[np.ndarray, np.ndarray, float]:
    """``(t64, tau, t_ref)``: the sorted times in float64, centred on their (weighted) mean.

    Done before any phase is computed. Integer stamps are centred in integer arithmetic (int64
    nanoseconds do not fit float64's 53-bit mantissa; their differences do)."""
    w = None
    if dy_arr is not None:
        # relative weights (the largest is 1): a weighted mean cannot overflow whatever dy's scale
        with np.errstate(under="ignore"):
            w = (float(np.min(dy_arr)) / dy_arr) ** 2
    if t_in.dtype.kind in "iu":
        ti = t_in.astype(np.int64) if t_in.dtype.kind == "i" or t_in.max() < 2**63 else None
        if ti is None:
            raise InputError("t does not fit int64: subtract a reference time first")
        lo, hi = int(ti[0]), int(ti[-1])
        t_ref_int = lo + (hi - lo) // 2
        tau = (ti - t_ref_int).astype(np.float64)
        shift = float(np.average(tau, weights=w))
        t_ref = float(t_ref_int) + shift
        tau = tau - shift
        t64 = ti.astype(np.float64)
    else:
        t64 = t_in.astype(np.float64)
        # the (weighted) mean decorrelates phase from frequency in the least squares; summed on
        # a scale where 1e308 stamps cannot overflow (a power of two: exact)
        big = float(np.max(np.abs(t64)))
        k = 1.0 if big < 1e300 else math.ldexp(1.0, -math.frexp(big)[1])
        with np.errstate(over="ignore", under="ignore"):
            t_ref = float(np.average(t64 * k, weights=w)) / k
        tau = t64 - t_ref
    if tau[-1] - tau[0] <= 0:
        raise InputError(
            f"every time stamp is the same ({t64[0]!r}): a period needs samples spread in time"
        )
    return t64, tau, t_ref


def validate_series(t, y, dy=None, *, n_params: int = 1) -> Samples:
    """Check and tidy ``(t, y, dy)``.

    Parameters
    ----------
    t, y : array_like
        Times and values, 1-D, same length. ``t`` may be float or integer (int64 stamps are
        centred exactly), numpy/pandas datetimes (seconds since the Unix epoch), astropy
        ``Time`` (MJD days), ``TimeDelta`` or ``Quantity`` (:mod:`sigfit._inputs`).
    dy : array_like or float, optional
        One-sigma uncertainties of ``y``, positive; a scalar applies to every sample.
    n_params : int
        The number of model parameters; at least ``n_params + 1`` samples are required so that
        the residual has a degree of freedom.

    Returns
    -------
    Samples

    Raises
    ------
    InputError
        Non-numeric, empty, all-NaN, mismatched, too short, constant or otherwise unusable input.
    """
    notes: list[str] = []
    # masked arrays (numpy.ma): masked samples are dropped, never read
    t, t_mask = _unmask(t)
    y, y_mask = _unmask(y)
    dy, dy_mask = _unmask(dy)
    # astropy Time/Quantity, pandas Series/DatetimeIndex, numpy datetimes -> plain arrays
    t, y, dy, time_unit, value_unit = plain_series(t, y, dy)
    t_in, y_in = _paired_arrays(t, y)
    dy_arr = None if dy is None else _uncertainties(dy, y_in)

    value_dtype = y_in.dtype
    time_resolution = _resolution(t_in)
    value_resolution = _resolution(y_in)

    ok, message = _usable_rows(t_in, y_in, dy_arr, (t_mask, y_mask, dy_mask))
    if message is not None:
        warn(notes, message)
        t_in, y_in = t_in[ok], y_in[ok]
        if dy_arr is not None:
            dy_arr = dy_arr[ok]

    order = _time_order(t_in)
    if order is not None:
        t_in, y_in = t_in[order], y_in[order]
        if dy_arr is not None:
            dy_arr = dy_arr[order]

    n = int(y_in.size)
    if n < n_params + 1:
        raise InputError(
            f"{n} usable samples, but the model has {n_params} parameters and needs at least "
            f"{n_params + 1}: pass more samples, fewer components or a lower detrend degree"
        )
    y64 = y_in.astype(np.float64)
    if np.ptp(y64) == 0:
        raise InputError(
            f"y is constant (every value is {float(y64[0])!r}): there is no period to find"
        )

    t64, tau, t_ref = _centre_time(t_in, dy_arr)

    return Samples(
        t=t64,
        tau=tau,
        y=y64,
        dy=dy_arr,
        t_ref=t_ref,
        time_resolution=time_resolution,
        time_is_integer=t_in.dtype.kind in "iu",
        value_resolution=value_resolution,
        value_dtype=value_dtype,
        warnings=notes,
        time_unit=time_unit,
        value_unit=value_unit,
    )


def audit_time_precision(series: Samples, fmax: float) -> None:
    """Warn when the time stamps' own resolution cannot support frequencies up to ``fmax``.

    Rounding each float stamp to its quantum ``q`` (one ulp of its dtype at its magnitude)
    jitters the phase at frequency ``f`` by up to ``f*q/2`` cycles; above
    :data:`TIME_JITTER_WARN_CYCLES` phase and frequency lose digits. Integer stamps are exact, but
    above 0.5 cycles per unit their frequencies alias (Eyer & Bartholdi 1999).
    """
    if series.time_is_integer:
        # exact stamps on a lattice of 1: no jitter, but f and f + 1 are the same tone
        if fmax > 0.5:
            warn(
                series.warnings,
                f"integer time stamps cannot tell a frequency f from f + 1: the band up to "
                f"{fmax:.6g} runs past 0.5 cycles per unit, where every peak is an alias; "
                "pass fmax <= 0.5 or finer (float64) times",
            )
        return
    jitter = fmax * series.time_resolution
    if jitter > TIME_JITTER_WARN_CYCLES:
        warn(
            series.warnings,
            f"time stamps have a resolution of {series.time_resolution:.3g} (their own dtype and "
            f"magnitude), i.e. up to {jitter:.2g} cycles of phase jitter at the highest searched "
            f"frequency {fmax:.6g}: pass float64 times relative to a nearby origin, or a lower fmax",
        )


def audit_value_precision(series: Samples, residual_std: float) -> None:
    """Warn when the fit reached the resolution of low-precision (e.g. float32) values."""
    if series.value_dtype.kind != "f" or np.finfo(series.value_dtype).bits >= 64:
        return
    quantisation = series.value_resolution / math.sqrt(12.0)  # rms of uniform rounding error
    if residual_std < 10.0 * quantisation:
        warn(
            series.warnings,
            f"the residual ({residual_std:.3g}) is at the resolution of the {series.value_dtype} "
            f"values ({series.value_resolution:.3g}): pass float64 values for more precise estimates",
        )


def validate_options(
    *, n_components, oversampling, fmin, fmax, detrend, fap_threshold
) -> tuple[int, float, float | None, float | None, int | None]:
    """Check the tuning knobs; returns them normalised, detrend as a polynomial degree (None:
    ``"auto"``, the degree is chosen from the data)."""
    if isinstance(n_components, bool) or not isinstance(n_components, (int, np.integer)):
        raise InputError(f"n_components must be a positive integer, got {n_components!r}")
    if n_components < 1:
        raise InputError(f"n_components must be >= 1, got {n_components}")
    try:
        oversampling = float(oversampling)
    except (TypeError, ValueError):
        raise InputError(f"oversampling must be a number >= 1, got {oversampling!r}") from None
    if not (math.isfinite(oversampling) and oversampling >= 1):
        raise InputError(f"oversampling must be a finite number >= 1, got {oversampling!r}")
    for name, v in (("fmin", fmin), ("fmax", fmax)):
        if v is not None and not (isinstance(v, (int, float, np.number)) and math.isfinite(v) and v >= 0):
            raise InputError(f"{name} must be a finite frequency >= 0 (cycles per unit of t), got {v!r}")
    if fmax is not None and fmax <= 0:
        raise InputError(f"fmax must be > 0 (cycles per unit of t), got {fmax!r}")
    if fmin is not None and fmax is not None and fmin >= fmax:
        raise InputError(f"fmin ({fmin}) must be below fmax ({fmax})")
    if not (isinstance(fap_threshold, (int, float)) and 0 < fap_threshold < 1):
        raise InputError(f"fap_threshold must be a probability in (0, 1), got {fap_threshold!r}")
    degree = parse_detrend(detrend)
    return int(n_components), oversampling, (None if fmin is None else float(fmin)), (
        None if fmax is None else float(fmax)
    ), degree


def parse_detrend(detrend) -> int | None:
    """None/'none' -> 0, 'linear' -> 1, 'quadratic' -> 2, an integer (or its string) -> itself,
    'auto' -> None (chosen from the data: :func:`sigfit.estimate.choose_degree`)."""
    names = {"none": 0, "constant": 0, "linear": 1, "quadratic": 2, "cubic": 3}
    if detrend is None:
        return 0
    if isinstance(detrend, str):
        key = detrend.strip().lower()
        if key == "auto":
            return None
        if key in names:
            return names[key]
        if key.isdigit():
            detrend = int(key)
        else:
            raise InputError(
                f"detrend must be 'auto', 'none', 'linear' or a polynomial degree, got {detrend!r}"
            )
    if isinstance(detrend, bool) or not isinstance(detrend, (int, np.integer)):
        raise InputError(f"detrend must be 'auto', 'none', 'linear' or a polynomial degree, got {detrend!r}")
    if not 0 <= detrend <= MAX_TREND_DEGREE:
        raise InputError(f"detrend degree must be between 0 and {MAX_TREND_DEGREE}, got {detrend}")
    return int(detrend)


# ---------------------------------------------------------------------------------------------
# Scaling extreme magnitudes. float64 holds 1e-308..1e308, but least squares square their inputs
# (and frequencies are squared into period errors), and the sandwich covariance sums (J r)^2, the
# fourth power of y: |y| of 1e77 overflowed it (errors NaN) and 1e-90 underflowed it (errors 10x
# too small), both inside the first bounds of 1e-100..1e100 (found by hypothesis,
# tests/test_reliability_numerics.py). Outside these bounds t and y (with dy) are scaled by a
# power of two, which is exact, before the numerics; the result is scaled back (Scale.restore).
# Inside them nothing changes, bit for bit.
SCALE_FREE_RANGE = (1e-50, 1e50)
# dy against |y|: the weights 1/dy^2 times y^2 must stay inside float64 whatever the scale
MAX_DY_RATIO = 1e140


@dataclass(frozen=True)
class Scale:
    """``t_internal = t * 2**time``, ``y_internal = y * 2**value``: powers of two, exact, kept as
    exponents (2**1074 itself would overflow float64, subnormal inputs need it)."""

    time: int = 0
    value: int = 0

    @property
    def identity(self) -> bool:
        return self.time == 0 and self.value == 0

    def frequency(self, f):
        """A frequency given by the caller (cycles per unit of t) in internal units."""
        return None if f is None else _ldexp(f, -self.time)

    def restore(self, result):
        """``result`` (an EstimateResult or Periodogram) back in the caller's units."""
        import dataclasses

        from .results import Component, EstimateResult, Periodogram, Stationarity, Track

        if self.identity:
            return result
        a, b = self.time, self.value  # f_caller = f * 2**a; y_caller = y * 2**-b

        def sc(x, k):
            return None if x is None else _ldexp(x, k)

        def arr(x, k):
            return None if x is None else np.ldexp(np.asarray(x, dtype=np.float64), k)

        if isinstance(result, Periodogram):
            return dataclasses.replace(result, frequency=arr(result.frequency, a))
        if not isinstance(result, EstimateResult):  # pragma: no cover
            return result
        comps = [
            dataclasses.replace(
                c,
                frequency=sc(c.frequency, a),
                frequency_err=sc(c.frequency_err, a),
                amplitude=sc(c.amplitude, -b),
                amplitude_err=sc(c.amplitude_err, -b),
                harmonic_amplitudes=tuple(sc(h, -b) for h in c.harmonic_amplitudes),
            )
            for c in result.components
            if isinstance(c, Component)
        ]
        changes = dict(
            components=comps,
            offset=sc(result.offset, -b),
            offset_err=sc(result.offset_err, -b),
            residual_std=sc(result.residual_std, -b),
            t_ref=sc(result.t_ref, -a),
            t_scale=sc(result.t_scale, -a),
            trend=tuple(sc(x, -b) for x in result.trend),
            warnings=list(result.warnings),
        )
        if result.periodogram is not None:
            changes["periodogram"] = self.restore(result.periodogram)
        if isinstance(result.track, Track):
            tr = result.track
            changes["track"] = Track(time=arr(tr.time, -a), frequency=arr(tr.frequency, a),
                                     amplitude=arr(tr.amplitude, -b))
        st = result.stationarity
        if isinstance(st, Stationarity):
            changes["stationarity"] = dataclasses.replace(
                st,
                segment_time=tuple(sc(x, -a) for x in st.segment_time),
                segment_frequency=tuple(sc(x, a) for x in st.segment_frequency),
                segment_frequency_err=tuple(sc(x, a) for x in st.segment_frequency_err),
                drift=sc(st.drift, 2 * a),
                drift_err=sc(st.drift_err, 2 * a),
            )
        return dataclasses.replace(result, **changes)


def _ldexp(x: float, k: int) -> float:
    """``x * 2**k`` as float64: inf past the range (math.ldexp raises), exact otherwise."""
    with np.errstate(over="ignore", under="ignore"):
        return float(np.ldexp(np.float64(x), k))


def _exponent_to_one(x: float) -> int:
    """-e with 2**(e-1) <= x < 2**e: ``x * 2**-e`` lies in [0.5, 1)."""
    return -math.frexp(x)[1]


def scale_series(series: Samples) -> tuple[Samples, Scale]:
    """``series`` with t and y (and dy) scaled into float64's comfortable range, and the
    :class:`Scale` that undoes it. Raises InputError for what no scale can help: dy so large or
    so small beside y that the weights leave float64's range."""
    import dataclasses

    lo, hi = SCALE_FREE_RANGE
    big = float(np.max(np.abs(series.y)))
    value = 0
    if not lo <= big <= hi:
        value = _exponent_to_one(big)
    if series.dy is not None:
        ratio = float(np.min(series.dy)) / big
        if ratio > MAX_DY_RATIO or ratio < 1.0 / MAX_DY_RATIO:
            raise InputError(
                f"dy (smallest {float(np.min(series.dy)):.3g}) is {ratio:.3g} times the largest "
                f"|y| ({big:.3g}): beyond {MAX_DY_RATIO:.0e} either way the weights 1/dy^2 "
                "leave float64's range; give dy in the units of y"
            )
    time = 0
    span = series.span
    if not math.isfinite(span):
        raise InputError(
            f"t spans more than float64 holds (from {series.t[0]:.3g} to {series.t[-1]:.3g}): "
            "subtract a reference time or change the unit of t"
        )
    if not series.time_is_integer and not lo <= span <= hi:
        time = _exponent_to_one(span)
    scale = Scale(time=time, value=value)
    if scale.identity:
        return series, scale
    with np.errstate(under="ignore", over="ignore"):
        scaled = dataclasses.replace(
            series,
            t=np.ldexp(series.t, time),
            tau=np.ldexp(series.tau, time),
            t_ref=_ldexp(series.t_ref, time),
            time_resolution=_ldexp(series.time_resolution, time),
            y=np.ldexp(series.y, value),
            dy=None if series.dy is None else np.ldexp(series.dy, value),
            value_resolution=_ldexp(series.value_resolution, value),
        )
    if time:
        warn(scaled.warnings,
             f"t spans {span:.3g}: it was scaled by 2**{time} for the numerics "
             "(results are in the units of t, but numbers quoted in other warnings are scaled)")
    return scaled, scale
