"""Generators of the seed's task data. The only place in ``sigfit`` where true periods appear,
as defaults a user can change; estimation code never imports this module."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .errors import InputError

SECONDS_PER_YEAR = 365.25 * 86400.0
CLOCK_BASES = (60, 60, 24)  # seconds, minutes, hours: least significant digit first


def sine(
    n: int = 256,
    omega: float = 31.0,
    range_: float = 1000.0,
    *,
    amplitude: float = 1.0,
    phase: float = 0.0,
    noise: float = 0.0,
    seed: int | None = 0,
) -> tuple[np.ndarray, np.ndarray]:
    """The seed's sine task: ``x ~ U(-R, R)``, ``y = amplitude*sin(omega*x + phase) + N(0, noise^2)``.

    Returns ``(x, y)`` as float64 arrays, ``x`` unsorted (as drawn).

    Examples
    --------
    >>> x, y = sine(n=4, seed=1)
    >>> x.shape, y.dtype
    ((4,), dtype('float64'))
    """
    if n < 1:
        raise InputError(f"n must be positive, got {n}")
    if not range_ > 0:
        raise InputError(f"range must be positive, got {range_}")
    if noise < 0:
        raise InputError(f"noise must be >= 0, got {noise}")
    rng = np.random.default_rng(seed)
    x = rng.uniform(-range_, range_, size=n)
    y = amplitude * np.sin(omega * x + phase)
    if noise > 0:
        y = y + rng.normal(0.0, noise, size=n)
    return x, y


def clock_digit_names(n_digits: int) -> list[str]:
    """Column names, most significant digit first: ``hours, minutes, seconds`` for three digits,
    ``d{n-1}, ..., d0`` otherwise."""
    if n_digits == 3:
        return ["hours", "minutes", "seconds"]
    return [f"d{k}" for k in range(n_digits - 1, -1, -1)]


def clock_digits(t: np.ndarray, bases: Sequence[int] = CLOCK_BASES) -> np.ndarray:
    """The digits a clock with these ``bases`` (least significant first) shows at integer
    seconds ``t`` since T0. Returns int64 array of shape (len(t), len(bases)), most significant
    digit first. Negative t wraps as a clock does: -1 -> 23:59:59."""
    t = np.asarray(t, dtype=np.int64)
    digits = []
    rest = t
    for b in bases:
        digits.append(np.mod(rest, b))
        rest = np.floor_divide(rest, b)
    return np.stack(digits[::-1], axis=1)


@dataclass(frozen=True)
class ClockSample:
    t: np.ndarray  # int64 seconds since T0
    digits: np.ndarray  # int64, (n, n_digits), most significant first
    names: list[str]
    bases: tuple[int, ...]


def parse_bases(text: str | Sequence[int]) -> tuple[int, ...]:
    """``"60,60,24"`` -> (60, 60, 24). Each base must be an integer >= 2."""
    if isinstance(text, str):
        try:
            bases = tuple(int(b) for b in text.split(",") if b.strip())
        except ValueError:
            raise InputError(f"bases must be comma-separated integers, got {text!r}") from None
    else:
        bases = tuple(int(b) for b in text)
    if not bases or any(b < 2 for b in bases):
        raise InputError(f"every base must be an integer >= 2, got {text!r}")
    return bases


def clock(
    n: int = 100_000,
    years: float = 120.0,
    bases: Sequence[int] | str = CLOCK_BASES,
    *,
    seed: int | None = 0,
) -> ClockSample:
    """The seed's clock task: ``n`` random integer seconds in ``[0, years*365.25 days)`` and the
    digits a clock with ``bases`` (least significant first) shows at each.

    Examples
    --------
    >>> s = clock(n=3, years=1, seed=0)
    >>> s.names, s.t.dtype, s.digits.shape
    (['hours', 'minutes', 'seconds'], dtype('int64'), (3, 3))
    """
    bases = parse_bases(bases)
    if n < 1:
        raise InputError(f"n must be positive, got {n}")
    if not years > 0:
        raise InputError(f"years must be positive, got {years}")
    if not years * SECONDS_PER_YEAR < 2**62:  # int64 seconds, with room for differences
        raise InputError(
            f"years must be below {2**62 / SECONDS_PER_YEAR:.3g} (int64 seconds), got {years:g}"
        )
    span = int(round(years * SECONDS_PER_YEAR))
    rng = np.random.default_rng(seed)
    t = rng.integers(0, max(span, 1), size=n, dtype=np.int64)
    return ClockSample(t=t, digits=clock_digits(t, bases), names=clock_digit_names(len(bases)), bases=bases)
