#!/usr/bin/env bash
# The main job on generated data: the seed's sine task, estimated.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${SIGFIT_VENV:-.venv}/bin
mkdir -p out
"$BIN/sigfit" sample sine --n 256 --omega 31 --range 1000 --noise 0.1 --seed 0 -o out/sine.csv --force
"$BIN/sigfit" estimate out/sine.csv --plot out/sine.png
