"""
Pure noise: no significant period
=================================

Every periodogram has a highest peak, also one of pure noise. sigfit reports it with its
false-alarm probability and calls it what it is: not significant. The figure draws the best
candidate in grey and does not fold the data at it as if it were a result.
"""

import numpy as np

import sigfit
from sigfit.plot import estimate_figure

rng = np.random.default_rng(3)
t = np.sort(rng.uniform(0, 100, 300))
y = rng.normal(0, 1, t.size)

r = sigfit.estimate(t, y)
print("significant:", r.significant)
print(f"best candidate's FAP: {r.components[0].false_alarm_probability:.2f}")

# %%
fig = estimate_figure([("noise", t, y, r)])
