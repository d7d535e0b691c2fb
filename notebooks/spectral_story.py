# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Why gradient descent cannot find a frequency, and what an estimate changes
#
# The seed: fit `sin(freq * x)` to `sin(31 x)` on `x ~ U(-1000, 1000)`. This notebook tells the
# story in five steps: the failure, the landscape, the periodogram, the fix, the comparison.
# It is kept as a jupytext pair and executed by `tests/test_notebook.py`.

# %%
import numpy as np

from sigfit.baselines import (
    ModelConfig,
    SineTask,
    Trainer,
    TrainerConfig,
    build_model,
    expected_loss,
)
from sigfit.baselines.compare import CompareConfig, format_table, run_comparison
from sigfit.baselines.spectral import ClockDecoder, estimate_task, spectral_lr
from sigfit.plot import pyplot

plt = pyplot()
task = SineTask(eval_size=2000)

# %% [markdown]
# ## 1. The failure: random init, stable learning rate, 100 steps

# %%
hp = spectral_lr("sin", task, 32)
model = build_model(ModelConfig("sin", dtype="float64", seed=0), task)
result = Trainer(model, task, TrainerConfig(steps=100, progress=False, **hp)).run()
print(f"random init: freq {model.freq.item():.4f}, held-out MSE {result.final_loss:.3f}")

# %% [markdown]
# ## 2. The landscape and 3. the periodogram: the same curve seen two ways

# %%
est = estimate_task(task, 1024, seed=0)
c = est.results[0].components[0]
w = c.angular_frequency + np.linspace(-0.04, 0.04, 801)
loss = expected_loss(w, task.omega, task.range_)
power = np.abs(np.exp(-1j * np.outer(w, est.x)) @ est.y) ** 2
fig, ax = plt.subplots(figsize=(7, 3.5))
ax.plot(w, loss, label="loss landscape of Sin")
ax.plot(w, 1 - power / power.max(), "--", label="1 - normalised periodogram")
ax.axvline(c.angular_frequency, color="r", lw=0.8, label="estimate")
ax.legend()
print(f"estimate: {c.angular_frequency:.13f} +- {c.angular_frequency_err:.1e} rad per unit x")

# %% [markdown]
# ## 4. The fix: start at the estimate

# %%
model = build_model(ModelConfig("sin", dtype="float64", seed=0), task).init_from_estimate(est)
result = Trainer(model, task, TrainerConfig(steps=100, progress=False, **hp)).run()
print(f"spectral init: held-out MSE {result.final_loss:.2e}")
assert result.final_loss < 1e-10

# %% [markdown]
# ## 5. The comparison, and the clock's replacement

# %%
cmp = run_comparison(CompareConfig(task="sine", models=("sin",), seeds=1, steps=30), task, log=lambda s: None)
print(format_table(cmp))

# %%
from sigfit.baselines import ClockTask  # noqa: E402

clock = ClockTask(years=120, eval_size=2000)
decoder = ClockDecoder.from_estimate(clock, estimate_task(clock, 4096, seed=0))
t, digits = clock.heldout()
print("periods", decoder.corrected_periods, "accuracy", decoder.accuracy(t, digits, clock.names))
