"""Series that share their time stamps, inside one Dask task (:func:`sigfit.batch.run_chunk`):
their first periodogram in one call per sub-batch, which :func:`sigfit.estimate` then takes as
``first_power`` (:func:`sigfit.periodograms.lombscargle.grid_power` transforms the stamps'
weights once for all of them), in bounded memory (:data:`BATCH_POWER_BUDGET`)."""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np

from ._batch_inputs import SeriesItem, _Group


def _batched_periodogram(tau: np.ndarray, values: np.ndarray, dy: np.ndarray | None,
                         grid) -> np.ndarray:
    """Lomb-Scargle power of every row of ``values`` (n_series, n_samples) on one grid, in one
    call (:func:`sigfit.periodograms.lombscargle.grid_power`: one pair of NUFFT plans, the
    weights' transforms once). Returns (n_series, grid.size)."""
    from .periodograms import lombscargle

    power = lombscargle.power(tau, values, dy, grid, accuracy="grid")  # as _trend.choose_degree's
    return np.asarray(power, dtype=np.float64).reshape(values.shape[0], grid.size)


def _search_inputs(s: SeriesItem, options: dict[str, Any]):
    """(plan, tau, detrended values, dy) of the first periodogram :func:`sigfit.estimate` computes
    for ``s``, or None when ``s`` does not take the Lomb-Scargle path with all its rows. With
    ``detrend="auto"`` the values are less their mean only: degree 0's periodogram, which
    :func:`sigfit.estimate.choose_degree` takes as ``first_power``."""
    from ._validate import validate_options, validate_series
    from .estimate import _selection_grid, auto_degrees, selection_values
    from .grid import MAX_GRID_SIZE
    from .harmonics import fit_trend, n_params
    from .plan import plan_search

    n_components, oversampling, fmin, fmax, degree = validate_options(
        n_components=options["n_components"], oversampling=options["oversampling"],
        fmin=options["fmin"], fmax=options["fmax"], detrend=options["detrend"],
        fap_threshold=options["fap_threshold"],
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # estimate() itself reports them, once
        series = validate_series(s.t, s.y, s.dy, n_params=n_params(n_components, degree or 0))
    if series.n != np.size(s.t):
        return None  # rows were dropped: this series no longer shares the group's time stamps
    plan = plan_search(series, options["method"], fmin=fmin, fmax=fmax,
                       oversampling=oversampling,
                       max_grid_size=options.get("max_grid_size", MAX_GRID_SIZE))
    if plan.method != "lombscargle" or plan.coarse:
        return None  # the FFT path is cheap on its own; a coarse-to-fine search has no one grid
    if degree is None:
        d_max = auto_degrees(series.n, n_components)
        grid, sub = _selection_grid(series, plan)
        if d_max == 0 or grid is not plan.grid or sub != slice(None):
            return None  # estimate() chooses the degree on a subset or sub-band of its own
        # choose_degree() takes degree 0's periodogram (the values less their mean) from here
        return plan, series.tau, selection_values(series, 0)[0], series.dy
    # as in estimate(): the periodogram sees the values with the trend (and offset) removed
    t_scale = float(np.max(np.abs(series.tau)))
    trend = fit_trend(series.tau, series.y, series.dy, degree, t_scale)
    work = series.y - np.polynomial.polynomial.polyval(series.tau / t_scale, trend)
    return plan, series.tau, work, series.dy


# A batched first periodogram holds at most this many bytes: BATCH_POWER_BUDGET / (grid size *
# BATCH_BYTES_PER_POWER) series (two at least), computed at its first member's turn and freed with
# its last. A power costs its float64 and its share of the NUFFT's workspace: 10.6 bytes measured
# (12 series x 1000 samples on the 3.1e6-frequency default band: 394 MB of peak RSS). 256 series
# at the defaults held 15 GB in one array before (issue 18).
BATCH_POWER_BUDGET = 256 << 20
BATCH_BYTES_PER_POWER = 12


def _shared_batches(group: _Group, options: dict[str, Any]) -> list[tuple]:
    """The sub-batches of ``group`` whose first periodogram is one call, within
    :data:`BATCH_POWER_BUDGET`: ``(tau, grid, [(member index, inputs), ...])``, 2+ members."""
    batches: dict[tuple, list[tuple[int, Any]]] = {}
    for i, s in enumerate(group.members):
        try:
            inputs = _search_inputs(s, options)
        except Exception:
            inputs = None  # estimate() on its own will raise the same error: an error row
        if inputs is not None:
            plan = inputs[0]
            batches.setdefault((plan.grid, inputs[3] is None), []).append((i, inputs))
    out = []
    for (grid, _), members in batches.items():
        if len(members) < 2:
            continue
        # Equal stamps sort alike, but each series is centred on its own (weighted) mean time,
        # so the taus differ by a constant. The floating-mean power does not change when time
        # is shifted (the shift moves only the phase: Zechmeister & Kuerster 2009, eq. 5-20),
        # so one tau serves the batch; anything but a constant shift is not batched.
        tau = members[0][1][1]
        tol = 1e-12 * max(float(np.max(np.abs(tau))), 1.0)
        if not all(np.ptp(m[1][1] - tau) <= tol for m in members):
            continue
        if len({np.shape(m[1][2]) for m in members}) > 1:
            continue  # detrend="auto" compared different numbers of degrees
        per_member = grid.size * BATCH_BYTES_PER_POWER * max(1, math.prod(np.shape(members[0][1][2])[:-1]))
        size = max(2, BATCH_POWER_BUDGET // per_member)
        for start in range(0, len(members), size):
            if len(members[start:start + size]) >= 2:
                out.append((tau, grid, members[start:start + size]))
    return out


def _first_powers(tau, grid, members) -> dict[int, np.ndarray]:
    """The batched first periodogram of one sub-batch: member index -> its power."""
    values = np.stack([m[1][2] for m in members])  # (series[, degree], sample)
    rows = values.shape[:-1]
    values = values.reshape(-1, values.shape[-1])
    dy = None
    if members[0][1][3] is not None:
        dy = np.stack([np.broadcast_to(m[1][3], np.shape(m[1][2])) for m in members])
        dy = dy.reshape(values.shape)
    power = _batched_periodogram(tau, values, dy, grid).reshape(*rows, grid.size)
    return {i: power[row] for row, (i, _) in enumerate(members)}
