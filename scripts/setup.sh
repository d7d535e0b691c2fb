#!/usr/bin/env bash
# One-time set-up: a virtual environment in .venv with sigfit and everything its tests need.
# torch: where no NVIDIA GPU is present we ask for the CPU build first (pinned, so pip does not
# reach for a multi-GB CUDA build); set SIGFIT_TORCH_SPEC / SIGFIT_TORCH_INDEX to override.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
VENV=${SIGFIT_VENV:-.venv}
stamp="$VENV/.sigfit-installed"
if [ -f "$stamp" ] && [ "$stamp" -nt pyproject.toml ] && [ "$stamp" -nt scripts/setup.sh ]; then
  exit 0
fi
[ -x "$VENV/bin/python" ] || "$PY" -m venv "$VENV"
pip() { "$VENV/bin/python" -m pip "$@"; }
if ! "$VENV/bin/python" -c "import torch" >/dev/null 2>&1; then
  if command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi -L >/dev/null 2>&1; then
    pip install -q "${SIGFIT_TORCH_SPEC:-torch>=2.2}"
  elif [ -n "${SIGFIT_TORCH_INDEX:-}" ]; then
    pip install -q --index-url "$SIGFIT_TORCH_INDEX" "${SIGFIT_TORCH_SPEC:-torch>=2.2}"
  else
    pip install -q "${SIGFIT_TORCH_SPEC:-torch==2.13.0}"
  fi
fi
pip install -q -e ".[all]"
touch "$stamp"
