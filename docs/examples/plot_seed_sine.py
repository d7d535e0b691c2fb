"""
The seed's sine: a period gradient descent cannot find
======================================================

256 noisy samples of ``sin(31 x)`` with ``x`` uniform on [-1000, 1000]: about 9,900 cycles,
some 39 per sample, so the points look like noise and the one-parameter model
``sin(freq * x)`` trained by SGD never converges. The Lomb-Scargle periodogram evaluates that
model's loss at every frequency at once; least squares then refines the peak to the
Cramer-Rao bound and attaches a standard error to every number.
"""

import numpy as np

import sigfit
from sigfit.plot import estimate_figure

rng = np.random.default_rng(0)
x = rng.uniform(-1000, 1000, 256)
y = np.sin(31 * x) + rng.normal(0, 0.1, x.size)

r = sigfit.estimate(x, y)
c = r.components[0]
print(f"angular frequency {c.angular_frequency:.6f} +/- {c.angular_frequency_err:.1e} rad/unit")
print(f"amplitude {c.amplitude:.4f} +/- {c.amplitude_err:.4f}, FAP {c.false_alarm_probability:.1e}")

# %%
# The data with the fitted model, folded at the period found, and the periodogram.
fig = estimate_figure([("y", x, y, r)])
