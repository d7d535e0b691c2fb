"""
A sawtooth: fundamental, harmonics and the shape's semi-amplitude
=================================================================

A non-sinusoidal period puts power at every multiple of its frequency. With the default
``harmonics="auto"`` sigfit identifies the fundamental and chooses the number of harmonics by
BIC. ``amplitude`` is then the fundamental's alone (a sawtooth of half-range 0.25 has a
fundamental of 0.5/pi = 0.16); ``semi_amplitude`` is half the peak-to-peak range of the fitted
shape: 0.25, plus the overshoot every truncated Fourier series has at a jump (Gibbs: up to 9% of
the jump on each side, visible in the folded panel).
"""

import numpy as np

import sigfit
from sigfit.plot import estimate_figure

rng = np.random.default_rng(1)
t = np.sort(rng.uniform(0, 50, 800))
y = 0.5 * np.mod(t / 3.7, 1.0) + rng.normal(0, 0.02, t.size)  # period 3.7, half-range 0.25

r = sigfit.estimate(t, y)
c = r.components[0]
print(f"period {c.period:.5f} +/- {c.period_err:.1e}, {c.n_harmonics} harmonics")
print(f"fundamental's amplitude {c.amplitude:.3f}, the shape's semi-amplitude "
      f"{c.semi_amplitude:.3f}")

# %%
fig = estimate_figure([("sawtooth", t, y, r)])
