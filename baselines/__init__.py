"""Torch baselines: the seed's sine and clock tasks, the models gradient descent cannot train on
them, one training loop, and the Sin loss landscape with its learning-rate stability limit.

The torch side of sigfit: importing this package imports torch. ``sigfit`` (the estimation
library) never imports it, and this package never imports ``sigfit.cli``.
"""

try:
    import torch  # noqa: F401
except ImportError as e:  # say which extra, instead of failing deep inside a submodule
    raise ImportError("baselines needs torch: pip install 'sigfit[torch]'") from e

from .landscape import (  # noqa: E402
    BASIN_ROOT,
    LandscapeResult,
    basin_half_width,
    expected_gradient,
    expected_loss,
    measure_landscape,
    measured_half_width,
    plot_landscape,
    seed_curve,
    sin_curvature,
    sin_landscape,
    stable_lr,
)
from .models import (
    DTYPES,
    MODELS,
    FANLayer,
    FanMLP,
    FourierFeatures,
    FourierMLP,
    GeluMLP,
    HayesBank,
    ModelConfig,
    NerfEncoding,
    NerfMLP,
    Sin,
    SineLayer,
    Siren,
    Snake,
    SnakeMLP,
    TimeModel,
    build_model,
    resolve_dtype,
)
from .sweep import LRSweep, lr_grid, sweep_lr
from .tasks import HEADS, TASKS, ClockTask, SeriesTask, SineTask, make_task
from .train import (
    OPTIMIZERS,
    Trainer,
    TrainerConfig,
    TrainResult,
    default_hyperparameters,
    resolve_device,
    write_json_atomic,
)

__all__ = [
    "BASIN_ROOT", "DTYPES", "HEADS", "MODELS", "OPTIMIZERS", "TASKS",
    "ClockTask", "FANLayer", "FanMLP", "FourierFeatures", "FourierMLP", "GeluMLP", "HayesBank", "LRSweep",
    "LandscapeResult", "ModelConfig", "NerfEncoding", "NerfMLP", "SeriesTask", "Sin", "SineLayer",
    "SineTask", "Siren", "Snake", "SnakeMLP", "TimeModel",
    "TrainResult", "Trainer", "TrainerConfig",
    "basin_half_width", "build_model", "default_hyperparameters", "expected_gradient", "expected_loss",
    "lr_grid", "make_task", "measure_landscape", "measured_half_width", "plot_landscape",
    "resolve_device", "resolve_dtype", "seed_curve", "sin_curvature", "sin_landscape", "stable_lr", "sweep_lr",
    "write_json_atomic",
]
