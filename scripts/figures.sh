#!/usr/bin/env bash
# Regenerates the documentation's figures into docs/figures/ (`make figures`). One command per
# figure, exactly as the docs show it (docs/methods/*.md). Every run is counted in steps, so the
# figures do not depend on the machine's load. About 20 minutes on 2 cores: the clock ~8, the
# extrapolation benchmark ~6, the MLP families on the sine ~4.
#
#   bash scripts/figures.sh                 # all of them
#   bash scripts/figures.sh sine clock      # some: landscape estimate scalogram sine sine-mlp clock extrapolation
#
# SIGFIT: the command to run (default: the .venv's sigfit; e.g. SIGFIT="python -m sigfit").
# Only the PNGs and the printed summary tables (summary.txt) are committed; results.json is ignored.
set -euo pipefail
cd "$(dirname "$0")/.."
SIGFIT=${SIGFIT:-${SIGFIT_VENV:-.venv}/bin/sigfit}
PYTHON=${PYTHON:-${SIGFIT_VENV:-.venv}/bin/python}
FIG=docs/figures
mkdir -p "$FIG"
SELECTED="$*"
for name in $SELECTED; do
  case $name in landscape|estimate|scalogram|sine|sine-mlp|clock|extrapolation) ;;
    *) echo "figures.sh: unknown figure '$name' (landscape estimate scalogram sine sine-mlp clock extrapolation)" >&2; exit 2;;
  esac
done
want() { [ -z "$SELECTED" ] || [[ " $SELECTED " == *" $1 "* ]]; }

if want landscape; then   # the seed's loss landscape of Sin, and its gradient
  $SIGFIT landscape -o "$FIG/landscape.png"
fi

if want estimate; then    # the demo (make demo): the seed's sine, estimated
  $SIGFIT sample sine --noise 0.1 -o - | $SIGFIT estimate - --plot "$FIG/estimate-sine.png"
fi

if want scalogram; then   # a steady tone, then a drifting one
  "$PYTHON" -c "import sys, numpy as np; rng = np.random.default_rng(0); t = np.arange(0, 200, 0.1); \
y = np.where(t < 100, np.sin(2*np.pi*0.3*t), np.sin(2*np.pi*(0.8*t + 0.002*(t - 100)**2))); \
np.savetxt(sys.stdout, np.c_[t, y + 0.2*rng.normal(size=t.size)], delimiter=',', header='t,y', comments='')" \
    | $SIGFIT scalogram - -o "$FIG/scalogram-drift.png"
fi

if want sine; then        # Sin: random init (best of an lr sweep) vs spectral init vs the replacement
  mkdir -p "$FIG/compare-sine"   # for tee; --overwrite replaces only compare's own files
  $SIGFIT compare sine --models sin --seeds 10 --steps 100 --sweep --overwrite \
    --out "$FIG/compare-sine" | tee "$FIG/compare-sine/summary.txt"
fi

if want sine-mlp; then    # every network family on the sine
  mkdir -p "$FIG/compare-sine-mlp"
  $SIGFIT compare sine --models siren,gelu,snake,fourier,nerf,fan,hayes --seeds 5 --steps 300 --hidden 64 \
    --features 64 --eval-size 5000 --overwrite --out "$FIG/compare-sine-mlp" | tee "$FIG/compare-sine-mlp/summary.txt"
  # its periodogram and landscape figures repeat compare-sine's (same seed-0 estimate batch)
  rm -f "$FIG/compare-sine-mlp/periodogram.png" "$FIG/compare-sine-mlp/landscape_periodogram.png"
fi

if want clock; then       # every network family on the clock, 600 steps per run
  mkdir -p "$FIG/compare-clock"
  $SIGFIT compare clock --models siren,gelu,snake,fourier,nerf,fan,hayes --seeds 5 --steps 600 --hidden 64 \
    --features 64 --eval-size 20000 --overwrite --out "$FIG/compare-clock" | tee "$FIG/compare-clock/summary.txt"
fi

if want extrapolation; then  # train on [-R, R], test on [R, 4R]: the benchmark itself, its tables beside
  "$PYTHON" benchmarks/bench_extrapolation.py --seeds 5 --steps 600 --plot "$FIG/extrapolation" \
    | tee "$FIG/extrapolation-summary.md"
fi
