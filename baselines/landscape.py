"""The seed's loss landscape for ``Sin``, exactly, measured, and what it implies for the learning rate.

For ``x ~ U(-R, R)``, model ``sin(f x)`` and target ``A sin(w x + phi)``, using
``E[cos(a x + b)] = cos(b) sinc(a R)`` with ``sinc(u) = sin(u)/u``::

    L(f) = E[(sin(f x) - A sin(w x + phi))^2]
         = 1/2 - 1/2 sinc(2 f R)                       # E[sin^2(f x)]
           + A^2/2 (1 - cos(2 phi) sinc(2 w R))        # E[A^2 sin^2(w x + phi)]
           - A cos(phi) (sinc((f - w) R) - sinc((f + w) R))   # -2 E[cross term]

With A = 1, phi = 0 and d = f - w this is ``1 - sinc(dR) + sinc((f+w)R) - (sinc(2fR) + sinc(2wR))/2``;
near the answer the last terms are O(1/(wR)) and ``L ~ 1 - sin(dR)/(dR)``, the seed's curve. They
matter elsewhere: L(0) = 1/2, not 1 (the sum-frequency and ``sinc(2fR)`` terms).

Basin: ``d/du sinc(u) = 0`` first at ``tan u = u``, u = 4.4934..., so gradient descent can only
find w from within ``|d| < 4.4934/R``; elsewhere the landscape is ``1 + O(1/(|d|R))`` plus the
batch noise, and its gradient points nowhere useful.

Stability: at the optimum ``L''(w) = 2 A^2 E[x^2 cos^2(w x + phi)] ~ A^2 R^2/3``, so full-batch
gradient descent is stable only for ``lr < 2/L'' = 6/(A^2 R^2)`` (6e-6 at R = 1000: the seed's
1e-4 is 17 times too large, so even started at the answer SGD leaves it). With batches of B,
mean-square linear stability (Wu, Ma & E 2018, "How SGD selects the global minima", NeurIPS)
asks ``lr < 2 E[h] / E[h^2]`` for the batch curvature h, which is ``60 B / ((10 B + 17) A^2 R^2)``
(see :func:`stable_lr`).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from sigfit import samples
from sigfit.errors import InputError

BASIN_ROOT = 4.493409457909064  # first positive root of tan(u) = u (tests re-derive it)


def _sinc(u):
    """sin(u)/u with sinc(0) = 1 (numpy's sinc is normalised: sin(pi z)/(pi z))."""
    return np.sinc(np.asarray(u, dtype=np.float64) / math.pi)


def _dsinc(u):
    """d/du sin(u)/u = (cos u - sinc u)/u, 0 at u = 0."""
    u = np.asarray(u, dtype=np.float64)
    safe = np.where(u == 0, 1.0, u)
    return np.where(u == 0, 0.0, (np.cos(u) - _sinc(u)) / safe)


def _check_range(range_: float) -> float:
    if not (math.isfinite(range_) and range_ > 0):
        raise InputError(f"range must be a positive number, got {range_}")
    return float(range_)


def expected_loss(freq, omega: float = 31.0, range_: float = 1000.0, *, phase: float = 0.0,
                  amplitude: float = 1.0) -> np.ndarray:
    """Exact ``E[(sin(freq x) - amplitude sin(omega x + phase))^2]`` for ``x ~ U(-R, R)``."""
    R = _check_range(range_)
    f = np.asarray(freq, dtype=np.float64)
    A, c = float(amplitude), math.cos(phase)
    return (0.5 - 0.5 * _sinc(2 * f * R)
            + 0.5 * A * A * (1.0 - math.cos(2 * phase) * float(_sinc(2 * omega * R)))
            - A * c * (_sinc((f - omega) * R) - _sinc((f + omega) * R)))


def expected_gradient(freq, omega: float = 31.0, range_: float = 1000.0, *, phase: float = 0.0,
                      amplitude: float = 1.0) -> np.ndarray:
    """Exact ``d/dfreq`` of :func:`expected_loss`."""
    R = _check_range(range_)
    f = np.asarray(freq, dtype=np.float64)
    A, c = float(amplitude), math.cos(phase)
    return -R * _dsinc(2 * f * R) - A * c * R * (_dsinc((f - omega) * R) - _dsinc((f + omega) * R))


def seed_curve(delta, range_: float = 1000.0) -> np.ndarray:
    """The seed's approximation ``1 - sin(dR)/(dR)`` (valid near the answer, omega R >> 1)."""
    return 1.0 - _sinc(np.asarray(delta, dtype=np.float64) * _check_range(range_))


def basin_half_width(range_: float) -> float:
    """Half-width of the basin around the answer: ``4.4934 / R`` (first maximum of 1 - sinc)."""
    return BASIN_ROOT / _check_range(range_)


def sin_curvature(range_: float, *, amplitude: float = 1.0) -> float:
    """Curvature of the Sin loss at its optimum, ``A^2 R^2 / 3`` (for omega R >> 1)."""
    return amplitude**2 * _check_range(range_) ** 2 / 3.0


def stable_lr(range_: float, *, amplitude: float = 1.0, batch: int | None = None) -> float:
    """Largest SGD learning rate for which the optimum of ``amplitude*sin(freq*x)`` on
    ``x ~ U(-R, R)`` is stable: ``6/(A^2 R^2)`` for full batches, ``60 B/((10 B + 17) A^2 R^2)``
    for batches of B (mean-square linear stability, Wu, Ma & E 2018).

    Derivation: near the optimum the residual is ``g_i d`` with ``g_i = A x_i cos(w x_i + phi)``,
    so one step maps ``d -> (1 - lr h) d`` with ``h = (2/B) sum g_i^2``. ``E[h] = A^2 R^2/3`` and
    ``E[(2 g^2)^2] = 4 A^4 E[x^4] E[cos^4] = 3 A^4 R^4/10``; ``E[(1 - lr h)^2] < 1`` iff
    ``lr < 2 E[h]/E[h^2]`` with ``E[h^2] = E[h]^2 + Var(2 g^2)/B``.

    Use a fraction of it (e.g. half) in practice, and sweep around it (:func:`baselines.lr_grid`).
    The same rule holds for any initialisation: it is a property of the optimum, not of the start.
    It applies to plain SGD; Adam's step is about ``lr`` in parameter units whatever the curvature,
    so for Adam keep ``lr`` well below :func:`basin_half_width` instead.
    """
    R = _check_range(range_)
    a2 = float(amplitude) ** 2
    if not a2 > 0:
        raise InputError(f"amplitude must be non-zero, got {amplitude}")
    if batch is None:
        return 6.0 / (a2 * R * R)
    if int(batch) < 1:
        raise InputError(f"batch must be a positive integer, got {batch}")
    B = int(batch)
    return 60.0 * B / ((10.0 * B + 17.0) * a2 * R * R)


def measure_landscape(freq, omega: float = 31.0, range_: float = 1000.0, *, batch: int = 100_000,
                      seed: int = 0, phase: float = 0.0, amplitude: float = 1.0,
                      progress: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Loss and d(loss)/d(freq) of ``Sin`` on one batch of ``batch`` points, at each ``freq``.

    The batch is the sine task's (:func:`sigfit.samples.sine`). The gradient is the one autograd
    gives ``Sin`` with MSE: ``mean(2 (sin(f x) - y) cos(f x) x)`` (the tests check it against
    autograd). float64 throughout.
    """
    if int(batch) < 1:
        raise InputError(f"batch must be a positive integer, got {batch}")
    x, y = samples.sine(int(batch), omega, _check_range(range_), amplitude=amplitude, phase=phase,
                        seed=seed)
    f = np.asarray(freq, dtype=np.float64).reshape(-1)
    loss = np.empty_like(f)
    grad = np.empty_like(f)
    chunk = max(1, 4_000_000 // len(x))  # frequencies per block: ~32 MB of float64 temporaries
    it = range(0, len(f), chunk)
    if progress:
        from tqdm.auto import tqdm

        it = tqdm(it, desc="landscape", unit="block", leave=False)
    for i in it:
        fx = np.outer(f[i : i + chunk], x)
        r = np.sin(fx) - y
        loss[i : i + chunk] = np.mean(r * r, axis=1)
        grad[i : i + chunk] = 2.0 * np.mean(r * np.cos(fx) * x, axis=1)
    return loss, grad


def _crossing(f, g, i, j) -> float:
    """Linear interpolation of the zero of g between grid points i and j."""
    gi, gj = g[i], g[j]
    if gi == gj:
        return float(f[i])
    return float(f[i] + gi / (gi - gj) * (f[j] - f[i]))


def measured_half_width(freq, grad, near: float) -> tuple[float, float, float]:
    """From gradients on a fine ``freq`` grid around a minimum near ``near``: the minimum (where
    the gradient crosses from - to +) and the first sign change on each side (the basin's edges).

    Returns ``(minimum, left_half_width, right_half_width)``; NaN where the grid ends first.
    """
    f = np.asarray(freq, dtype=np.float64)
    g = np.asarray(grad, dtype=np.float64)
    k = int(np.argmin(np.abs(f - near)))
    # the minimum: nearest - -> + crossing of the gradient to `near`
    ups = np.flatnonzero((g[:-1] < 0) & (g[1:] >= 0))
    if len(ups) == 0:
        return math.nan, math.nan, math.nan
    m = ups[np.argmin(np.abs(ups - k))]
    fmin = _crossing(f, g, m, m + 1)
    right = left = math.nan
    for j in range(m + 1, len(g) - 1):
        if g[j] > 0 and g[j + 1] <= 0:
            right = _crossing(f, g, j, j + 1) - fmin
            break
    for j in range(m, 0, -1):
        if g[j] < 0 and g[j - 1] >= 0:
            left = fmin - _crossing(f, g, j - 1, j)
            break
    return fmin, left, right


@dataclass
class LandscapeResult:
    """The measured landscape over [0, 2 omega] and zoomed near omega, with the basin it shows."""

    omega: float
    range_: float
    batch: int
    seed: int
    freq: np.ndarray = field(repr=False)
    loss: np.ndarray = field(repr=False)
    grad: np.ndarray = field(repr=False)
    zoom_freq: np.ndarray = field(repr=False)
    zoom_loss: np.ndarray = field(repr=False)
    zoom_grad: np.ndarray = field(repr=False)
    minimum: float = math.nan
    half_width_left: float = math.nan
    half_width_right: float = math.nan

    @property
    def half_width(self) -> float:
        """Measured basin half-width: mean of the two sides (the theory: 4.4934/R)."""
        return float(np.nanmean([self.half_width_left, self.half_width_right]))

    @property
    def theory_half_width(self) -> float:
        return basin_half_width(self.range_)

    def to_dict(self) -> dict[str, Any]:
        d = {k: v for k, v in asdict(self).items() if not isinstance(v, np.ndarray)}
        d["range"] = d.pop("range_")
        d["half_width"] = self.half_width
        d["half_width_times_range"] = self.half_width * self.range_
        d["theory_half_width"] = self.theory_half_width
        return {k: (None if isinstance(v, float) and not math.isfinite(v) else v) for k, v in d.items()}


def sin_landscape(omega: float = 31.0, range_: float = 1000.0, *, batch: int = 100_000, seed: int = 0,
              points: int = 2001, zoom_points: int = 801, zoom: float = 20.0,
              progress: bool = False) -> LandscapeResult:
    """Measure the Sin landscape for freq in [0, 2 omega] (``points``) and in
    ``omega +- zoom/R`` (``zoom_points``), and the basin half-width from the zoomed gradient."""
    R = _check_range(range_)
    if not (math.isfinite(omega) and omega > 0):
        raise InputError(f"omega must be a positive number, got {omega}")
    if points < 3 or zoom_points < 3:
        raise InputError("points and zoom_points must be at least 3")
    if not zoom > BASIN_ROOT:
        raise InputError(f"zoom must exceed {BASIN_ROOT:.4f} (the basin edge, in units of 1/R)")
    freq = np.linspace(0.0, 2.0 * omega, int(points))
    zf = omega + np.linspace(-zoom / R, zoom / R, int(zoom_points))
    allf = np.concatenate([freq, zf])
    loss, grad = measure_landscape(allf, omega, R, batch=batch, seed=seed, progress=progress)
    n = len(freq)
    fmin, left, right = measured_half_width(zf, grad[n:], omega)
    return LandscapeResult(omega=float(omega), range_=R, batch=int(batch), seed=int(seed),
                           freq=freq, loss=loss[:n], grad=grad[:n], zoom_freq=zf,
                           zoom_loss=loss[n:], zoom_grad=grad[n:], minimum=fmin,
                           half_width_left=left, half_width_right=right)


def plot_landscape(result: LandscapeResult, path) -> None:
    """The seed's two plots and their theory: loss and gradient, full range and zoomed."""
    from sigfit.plot import pyplot, save_figure

    plt = pyplot()
    r = result
    R = r.range_
    fig, axes = plt.subplots(2, 2, figsize=(12, 7), sharex="col")
    (a_loss, z_loss), (a_grad, z_grad) = axes
    a_loss.plot(r.freq, r.loss, lw=0.6, color="C0", label=f"measured, batch {r.batch:,}")
    a_loss.plot(r.freq, expected_loss(r.freq, r.omega, R), lw=0.8, color="C3", label="exact expectation")
    a_grad.plot(r.freq, r.grad, lw=0.6, color="C0")
    a_grad.plot(r.freq, expected_gradient(r.freq, r.omega, R), lw=0.8, color="C3")
    d = r.zoom_freq - r.omega
    z_loss.plot(r.zoom_freq, r.zoom_loss, lw=1.0, color="C0", label="measured")
    z_loss.plot(r.zoom_freq, expected_loss(r.zoom_freq, r.omega, R), lw=1.0, color="C3", label="exact expectation")
    z_loss.plot(r.zoom_freq, seed_curve(d, R), lw=1.0, ls="--", color="k", label="1 - sin(dR)/(dR)")
    z_grad.plot(r.zoom_freq, r.zoom_grad, lw=1.0, color="C0")
    z_grad.plot(r.zoom_freq, expected_gradient(r.zoom_freq, r.omega, R), lw=1.0, color="C3")
    for ax in (z_loss, z_grad):
        for edge in (r.minimum - r.half_width_left, r.minimum + r.half_width_right):
            if math.isfinite(edge):
                ax.axvline(edge, color="C2", lw=0.8, ls=":")
    for ax in (a_loss, a_grad):
        ax.axvline(r.omega, color="C2", lw=0.8, ls=":")
    for ax in (a_grad, z_grad):
        ax.axhline(0.0, color="0.5", lw=0.5)
    a_loss.set_title(f"Sin loss, freq in [0, {2 * r.omega:g}], x ~ U(-{R:g}, {R:g})")
    z_loss.set_title(f"zoom: basin half-width {r.half_width:.4g} = {r.half_width * R:.3f}/R "
                     f"(theory {BASIN_ROOT:.3f}/R)")
    a_loss.set_ylabel("MSE")
    a_grad.set_ylabel("d loss / d freq")
    a_grad.set_xlabel("freq")
    z_grad.set_xlabel("freq")
    a_loss.legend(loc="lower right", fontsize=8)
    z_loss.legend(loc="upper right", fontsize=8)
    fig.tight_layout()
    save_figure(fig, path)


__all__ = [
    "BASIN_ROOT", "LandscapeResult", "basin_half_width", "expected_gradient", "expected_loss",
    "measure_landscape", "sin_landscape", "measured_half_width", "plot_landscape", "seed_curve",
    "sin_curvature", "stable_lr",
]
