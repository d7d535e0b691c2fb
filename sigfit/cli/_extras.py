"""Optional extras, asked for in one place: a command that needs one says so in one line.

``sigfit train``, ``landscape`` and ``compare`` run the torch baselines; without torch they stop
with ``error: sigfit train needs torch: pip install 'sigfit[torch]'`` (exit 1), as a batch
without Dask does, instead of a ModuleNotFoundError traceback. ``sigfit --help`` marks them.
"""

from __future__ import annotations

import importlib

from ..errors import SigfitError

# the extra each command needs, and the pip line that installs it
TORCH_COMMANDS = ("train", "landscape", "compare")
TORCH_HINT = "pip install 'sigfit[torch]'"
BASELINES = "sigfit.baselines"  # the torch package (one name to change if it moves)


def require_torch(command: str, submodule: str | None = None):
    """Import and return the torch package (or its ``submodule``, e.g. ``"compare"``), or raise
    a one-line :class:`~sigfit.SigfitError` naming the extra when torch is missing."""
    module = BASELINES if submodule is None else f"{BASELINES}.{submodule}"
    try:
        import torch  # noqa: F401
    except ImportError:
        raise SigfitError(f"sigfit {command} needs torch: {TORCH_HINT}") from None
    return importlib.import_module(module)
