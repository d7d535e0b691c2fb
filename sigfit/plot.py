"""All of sigfit's figures. The only module in ``sigfit`` that imports matplotlib, and only when a
function here is called (never at import time of the package)."""

from __future__ import annotations

import os


def pyplot():
    """matplotlib.pyplot on the non-interactive Agg backend (works without a display)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def save_figure(fig, path, *, dpi: float = 100, palette: bool = True) -> None:
    """Write ``fig`` to ``path`` (format from the suffix: .png, .svg, .pdf) whole or not at all.

    ``palette``: a PNG is stored with an adaptive 256-colour palette (Pillow, no dithering),
    which keeps plots looking the same at a third of the size (a scalogram: 110 KB, not 256 KB).
    """
    from ._files import atomic_write

    path = os.fspath(path)
    suffix = os.path.splitext(path)[1] or ".png"

    def write(tmp):
        fig.savefig(tmp, dpi=dpi, bbox_inches="tight", format=suffix.lstrip(".") or "png")
        if palette and suffix.lower() == ".png":
            _to_palette(tmp)

    try:
        atomic_write(path, write, suffix=suffix)
    finally:
        pyplot().close(fig)


def _to_palette(path) -> None:
    """Rewrite the PNG at ``path`` with a 256-colour adaptive palette (median cut, no dither)."""
    try:
        from PIL import Image
    except ImportError:  # matplotlib depends on Pillow; keep the RGBA file if it is missing
        return
    with Image.open(path) as im:
        im.load()
        rgb = im.convert("RGB")
    q = rgb.quantize(256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
    q.save(path, format="PNG", optimize=True)


def _log_ticks(ax) -> None:
    """Label a log y axis at 1, 2, 5 x 10^k in plain numbers (0.2, 0.5, 1, 2, 5, 10 ...)."""
    from matplotlib import ticker

    ax.yaxis.set_major_locator(ticker.LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
    ax.yaxis.set_major_formatter(ticker.FuncFormatter(lambda v, _: f"{v:g}"))
    ax.yaxis.set_minor_formatter(ticker.NullFormatter())


# ---------------------------------------------------------------------------------------------
# sigfit estimate --plot


def _envelope(x, y, max_points: int = 20000):
    """Sort by ``x`` and keep the largest ``y`` of each of ``max_points`` consecutive bins: a
    million-bin periodogram draws fast and no peak disappears (plain striding would drop them)."""
    import numpy as np

    order = np.argsort(x, kind="stable")
    x, y = np.asarray(x, dtype=float)[order], np.asarray(y, dtype=float)[order]
    if x.size <= max_points:
        return x, y
    edges = np.linspace(0, x.size, max_points + 1).astype(int)
    idx = np.array(
        [a + int(np.argmax(y[a:b])) for a, b in zip(edges[:-1], edges[1:], strict=True) if b > a]
    )
    return x[idx], y[idx]


def _pieces(x, y, max_points: int = 20000):
    """The periodogram as drawn: one line per stretch of frequencies that was evaluated.

    A coarse-to-fine search computes the power only around its candidates; joining those
    pieces by straight lines would draw the never-computed stretches as flat power. Returns
    ``(x, y, gaps)``: x and y enveloped (:func:`_envelope`) per piece and separated by NaN (so
    matplotlib breaks the line), and the ``(lo, hi)`` stretches that were not evaluated (wider
    than 5 grid steps)."""
    import numpy as np

    order = np.argsort(x, kind="stable")
    x, y = np.asarray(x, dtype=float)[order], np.asarray(y, dtype=float)[order]
    if x.size < 3:
        return x, y, []
    steps = np.diff(x)
    step = float(np.median(steps[steps > 0])) if np.any(steps > 0) else 0.0
    cuts = np.flatnonzero(steps > 5 * step) + 1 if step > 0 else np.array([], dtype=int)
    if cuts.size == 0:
        ex, ey = _envelope(x, y, max_points)
        return ex, ey, []
    xs, ys, gaps = [], [], []
    bounds = [0, *cuts.tolist(), x.size]
    for a, b in zip(bounds[:-1], bounds[1:], strict=True):
        share = max(2, int(max_points * (b - a) / x.size))
        ex, ey = _envelope(x[a:b], y[a:b], share)
        xs += [ex, [np.nan]]
        ys += [ey, [np.nan]]
    gaps = [(float(x[c - 1]), float(x[c])) for c in cuts]
    return np.concatenate(xs[:-1]), np.concatenate(ys[:-1]), gaps


def _time_scale(span_seconds: float, is_datetime: bool):
    """(divide t by, axis unit) so date-time axes read in h or d instead of 1e6 s."""
    if not is_datetime:
        return 1.0, None
    from .render import duration_unit

    return duration_unit(span_seconds)


def estimate_figure(panels, *, time_unit: str | None = None, epoch: str | None = None):
    """One row per signal: data with the fitted model, the data folded at the strongest period,
    and the periodogram with the chosen peaks marked.

    Parameters
    ----------
    panels : sequence of (name, t, y, result)
        ``t``, ``y`` the samples the estimate used; ``result`` a :class:`sigfit.EstimateResult`.
    time_unit, epoch : str, optional
        For date-time input: ``"s"`` and the ISO date-time of t = 0; axes then read in a human
        unit (h, d, ...).

    Returns
    -------
    matplotlib.figure.Figure
        Pass it to :func:`save_figure`.
    """
    import numpy as np

    plt = pyplot()
    n = len(panels)
    fig, axes = plt.subplots(
        n, 3, figsize=(16, 3.8 * n), squeeze=False, gridspec_kw={"width_ratios": [1.5, 1, 1.3]}
    )
    is_dt = epoch is not None
    for row, (name, t, y, result) in enumerate(panels):
        t = np.asarray(t, dtype=np.float64)
        y = np.asarray(y, dtype=np.float64)
        order = np.argsort(t, kind="stable")
        t, y = t[order], y[order]
        # the unit the table uses too (sigfit.io.display_unit): one unit for both
        scale, unit = (_time_scale(2.0 * float(result.t_scale), True) if is_dt
                       else (1.0, None))
        t_label = f"time since {epoch} [{unit}]" if is_dt else "t"
        f_label = f"frequency [cycles/{unit}]" if is_dt else "frequency [cycles per unit of t]"
        many = t.size > 5000
        point = {"s": 2 if many else 8, "alpha": 0.3 if many else 0.8, "rasterized": many, "lw": 0}
        _data_panel(axes[row, 0], name, t, y, result, scale=scale, t_label=t_label, point=point,
                    is_dt=is_dt)
        _folded_panel(axes[row, 1], name, t, y, result, point=point, is_dt=is_dt)
        _periodogram_panel(axes[row, 2], result, scale=scale, f_label=f_label)
    fig.tight_layout()
    return fig


def _found(result) -> bool:
    return any(c.significant for c in result.components)


def _data_panel(ax, name, t, y, result, *, scale, t_label, point, is_dt) -> None:
    """Data and model. A dense model curve only where it can be seen; over thousands of cycles
    it would be a solid band, so the model is then shown at the sample times."""
    import numpy as np

    comps = list(result.components)
    span = float(t[-1] - t[0]) if t.size else 0.0
    ax.scatter(t / scale, y, color="C0", label="data", **point)
    n_cycles = span * max((c.frequency * max(c.n_harmonics, 1) for c in comps), default=0.0)
    if not _found(result):
        # pure noise: the best candidate is drawn as a candidate, never as a fitted result
        ax.axhline(result.offset, color="C3", lw=1.0, label="offset (no significant period)")
    elif span > 0 and n_cycles <= 300:
        grid = np.linspace(t[0], t[-1], int(min(20000, max(500, 40 * n_cycles))))
        ax.plot(grid / scale, result.predict(grid), color="C3", lw=1.0, label="model")
    else:
        ax.scatter(
            t / scale,
            result.predict(t),
            color="C3",
            marker="x",
            label="model at samples",
            **{**point, "lw": 0.6},
        )
    ax.set_xlabel(t_label)
    ax.set_ylabel(name)
    ax.set_title(f"{name}: {result.n_samples} samples, {result.method}", fontsize=10)
    ax.legend(loc="upper right", fontsize=8)
    if is_dt:
        ax.set_xlim(t[0] / scale, t[-1] / scale)


def _folded_panel(ax, name, t, y, result, *, point, is_dt) -> None:
    """Folded at the strongest period: the other components and the trend are subtracted (the
    offset is kept), so the points should sit on one cycle of this component (phase folding)."""
    import numpy as np

    comps = list(result.components)
    best = comps[0] if comps else None
    found = _found(result)
    if not found:
        fap_best = min((c.false_alarm_probability for c in comps
                        if c.false_alarm_probability is not None), default=None)
        verdict = f"no significant period (best FAP {_fap(fap_best)})"
        ax.text(0.5, 0.5, verdict.replace(" (", "\n("), ha="center", va="center",
                transform=ax.transAxes, fontsize=11, color="0.3")
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_title("nothing to fold", fontsize=10)
    elif best is not None and best.frequency > 0:
        others = result.predict(t) - best.evaluate(t) - result.offset
        rest = y - others
        cycle = np.mod(best.frequency * t, 1.0)
        ax.scatter(cycle, rest, color="C0", **point)
        grid = np.linspace(0.0, 1.0, 400)
        ax.plot(grid, result.offset + best.evaluate(grid / best.frequency), color="C3", lw=1.5)
        label = _format_period(best.period, is_dt)
        verdict = "" if best.significant else " (not significant)"
        ax.set_title(f"folded at period {label}{verdict}", fontsize=10)
        ax.set_xlabel("phase [cycles]")
    else:
        ax.text(0.5, 0.5, "no period", ha="center", va="center", transform=ax.transAxes)
    if found:
        ax.set_ylabel(f"{name} minus other terms")


def _periodogram_panel(ax, result, *, scale, f_label) -> None:
    """The periodogram with the chosen peaks marked."""
    import numpy as np

    comps = list(result.components)
    pg = result.periodogram
    top = 1.0
    title = "periodogram"
    if pg is not None and np.size(pg.frequency):
        fx, px, gaps = _pieces(pg.frequency, pg.power)
        ax.plot(fx * scale, px, color="0.3", lw=0.7)
        for k, (lo, hi) in enumerate(gaps):
            # what the coarse-to-fine search never computed: shaded, not drawn as power
            ax.axvspan(lo * scale, hi * scale, color="0.85", lw=0, zorder=0,
                       label="not evaluated" if k == 0 else None)
        if gaps:
            title = f"periodogram: {len(gaps) + 1} evaluated pieces (coarse-to-fine)"
        positive = fx[np.isfinite(fx) & (fx > 0)]
        if positive.size and positive.max() / positive.min() > 1e3:
            ax.set_xscale("log")
        finite = px[np.isfinite(px)]
        top = float(finite.max()) if finite.size and finite.max() > 0 else 1.0
        ax.set_ylabel(f"power ({pg.normalization})")
    else:
        ax.text(0.5, 0.5, "no periodogram", ha="center", va="center", transform=ax.transAxes)
    for k, c in enumerate(comps, start=1):
        color = "C3" if c.significant else "0.55"
        what = "" if c.significant else ", not significant"
        # a marker above the peak, not a line through it: the peak stays visible
        ax.plot([c.frequency * scale], [1.07 * top], "v", color=color, ms=7, ls="none",
                label=f"{k}: FAP {_fap(c.false_alarm_probability)}{what}")
    ax.set_ylim(0, 1.2 * top)
    if comps or title != "periodogram":
        ax.legend(loc="upper right", fontsize=8)
    ax.set_xlabel(f_label)
    ax.set_title(title, fontsize=10)


def _scalogram_map(fig, ax, sc, rdg, *, axis, scale, t_label, u, per_unit):
    """The amplitude map: time across, period or frequency (``axis``) up on a log axis, the cone
    of influence shaded, significant regions outlined, ridges on top. Returns the vertical
    coordinate and its range, which the global spectrum beside it shares."""
    import numpy as np

    # vertical coordinate: period or frequency, in the display unit
    if axis == "period":
        v = sc.period / scale
        v_label = f"period{u}"
    else:
        v = sc.frequency * scale
        v_label = f"frequency{per_unit}"
    x = sc.time / scale
    amp = np.ma.masked_invalid(sc.amplitude)
    mesh = ax.pcolormesh(x, v, amp, shading="nearest", cmap="viridis", rasterized=True)
    fig.colorbar(mesh, ax=ax, pad=0.01, fraction=0.04, label="amplitude")
    sig = np.nan_to_num(sc.significance, nan=0.0)
    if np.nanmax(sig) >= 1.0 and sig.shape[1] > 1 and sig.shape[0] > 1:
        ax.contour(x, v, sig, levels=[1.0], colors="k", linewidths=0.8)
    # cone of influence: frequencies below coi(t) are reached by the record's ends
    with np.errstate(divide="ignore"):
        edge = (1.0 / sc.coi) / scale if axis == "period" else sc.coi * scale
    lo, hi = float(np.min(v)), float(np.max(v))
    if axis == "period":
        ax.fill_between(x, np.clip(edge, lo, hi), hi, color="w", alpha=0.45, hatch="x", lw=0)
    else:
        ax.fill_between(x, lo, np.clip(edge, lo, hi), color="w", alpha=0.45, hatch="x", lw=0)
    for k, r in enumerate(rdg):
        rv = (1.0 / r.frequency) / scale if axis == "period" else r.frequency * scale
        ax.plot(r.time / scale, rv, color="C3" if k == 0 else "w", lw=1.8 if k == 0 else 1.0,
                label="strongest ridge" if k == 0 else ("other ridges" if k == 1 else None))
    if rdg:
        ax.legend(loc="upper right", fontsize=8)
    ax.set_yscale("log")
    _log_ticks(ax)
    ax.set_ylim(lo, hi)
    if axis == "period":
        ax.invert_yaxis()  # short periods on top, as the frequency axis would have them
    ax.set_xlim(x[0], x[-1])
    ax.set_xlabel(t_label)
    ax.set_ylabel(v_label)
    return v, lo, hi


def _global_spectrum_panel(side, sc, v, lo, hi, *, axis) -> None:
    """Global spectrum: time-averaged power outside the cone of influence, with the background's
    significance level averaged the same way."""
    import numpy as np

    gs = sc.global_spectrum()
    side.plot(gs, v, color="0.2", lw=1.0, label="global power")
    outside = ~sc.in_coi & np.isfinite(sc.threshold)
    thr = np.where(outside, sc.threshold, 0.0).sum(axis=1) / np.maximum(outside.sum(axis=1), 1)
    thr[outside.sum(axis=1) == 0] = np.nan
    side.plot(thr, v, color="C1", ls="--", lw=0.8, label="pointwise threshold")
    side.set_yscale("log")
    _log_ticks(side)
    side.set_ylim(lo, hi)
    if axis == "period":
        side.invert_yaxis()
    side.set_xlabel("power")
    side.tick_params(labelleft=False)
    side.legend(loc="lower right", fontsize=7)


def _format_period(period: float, is_datetime: bool) -> str:
    from .render import format_duration

    return format_duration(period, digits=4) if is_datetime else f"{period:.8g}"


def _fap(p) -> str:
    from .render import fap_text

    return fap_text(p)


# ---------------------------------------------------------------------------------------------
# sigfit scalogram


def scalogram_figure(panels, *, axis: str = "period", time_unit: str | None = None, epoch=None):
    """One row per signal: the data on top, the wavelet amplitude map below (time across,
    period or frequency on a log axis), the cone of influence shaded, significant regions
    outlined, ridges drawn on top; the time-averaged (global) spectrum on the right.

    Parameters
    ----------
    panels : sequence of (name, t, y, scalogram, ridges)
        ``scalogram`` a :class:`sigfit.wavelet.Scalogram`, ``ridges`` a list of
        :class:`sigfit.wavelet.Ridge` (strongest first; the first is drawn boldest).
    axis : {"period", "frequency"}
        What the vertical axis shows.
    time_unit, epoch : str, optional
        For date-time input (``"s"`` and the date-time of t = 0): axes read in h, d, ...

    Returns
    -------
    matplotlib.figure.Figure
        Pass it to :func:`save_figure`.
    """
    import numpy as np

    if axis not in ("period", "frequency"):
        raise ValueError(f"axis must be 'period' or 'frequency', got {axis!r}")
    plt = pyplot()
    n = len(panels)
    fig, axes = plt.subplots(
        2 * n,
        2,
        figsize=(13, 6.2 * n),
        squeeze=False,
        gridspec_kw={"width_ratios": [5, 1], "height_ratios": [1, 2.6] * n},
    )
    is_dt = epoch is not None
    for row, (name, t, y, sc, rdg) in enumerate(panels):
        t = np.asarray(t, dtype=np.float64)
        scale, unit = _time_scale(float(sc.t_stop - sc.t_start), is_dt)
        t_label = f"time since {epoch} [{unit}]" if is_dt else "t"
        u = f" [{unit}]" if is_dt else ""
        per_unit = f" [1/{unit}]" if is_dt else ""
        top, ax, side = axes[2 * row, 0], axes[2 * row + 1, 0], axes[2 * row + 1, 1]
        axes[2 * row, 1].axis("off")

        many = t.size > 5000
        top.plot(t / scale, y, color="C0", lw=0.6, marker="." if t.size < 400 else None, ms=3,
                 rasterized=many)
        top.set_ylabel(name)
        top.set_xlim(sc.t_start / scale, sc.t_stop / scale)
        top.set_title(
            f"{name}: {sc.n_samples} samples, {sc.method} with {sc.wavelet}, "
            f"{sc.background} noise (AR1 {sc.ar1:.2f}), {100 * sc.significance_level:g}% contours",
            fontsize=10,
        )

        v, lo, hi = _scalogram_map(fig, ax, sc, rdg, axis=axis, scale=scale, t_label=t_label,
                                   u=u, per_unit=per_unit)
        _global_spectrum_panel(side, sc, v, lo, hi, axis=axis)
    fig.tight_layout()
    return fig
