"""
A period that drifts: the wavelet scalogram
===========================================

A steady tone at 0.3 cycles per unit for the first half of the record, then a tone sweeping
from 0.8 to 1.2. A periodogram averages that away; the scalogram shows both ridges, with their
time spans, and ``method="wavelet"`` tests whether the frequency stayed put.
"""

import numpy as np

import sigfit
from sigfit import wavelet
from sigfit.plot import scalogram_figure

rng = np.random.default_rng(0)
t = np.arange(0, 200, 0.1)
y = np.where(t < 100, np.sin(2 * np.pi * 0.3 * t),
             np.sin(2 * np.pi * (0.8 * t + 0.002 * (t - 100) ** 2)))
y = y + 0.2 * rng.normal(size=t.size)

sc = wavelet.scalogram(t, y)
found = wavelet.ridges(sc)
for k, ridge in enumerate(found[:2], start=1):
    f = ridge.reliable().frequency
    print(f"ridge {k}: t {ridge.start:.1f} -> {ridge.stop:.1f}, frequency {f[0]:.3f} -> {f[-1]:.3f}")

r = sigfit.estimate(t, y, method="wavelet")
print("stationary:", r.stationarity.stationary)

# %%
fig = scalogram_figure([("y", t, y, sc, found)])
