#!/usr/bin/env bash
# The embedded end-to-end demo: everything runs on scikit-learn's digits
# (shipped inside the scikit-learn wheel), on the CPU, with no download.
# It trains the vanilla classifier through tools/train.py and then runs each
# compression stage present in tools/demo/ (KD, NAS, pruning,
# quantization), and prints one table: accuracy, params, FLOPs, wall time.
#
#   bash tools/demo.sh [--stages vanilla kd ...] [--work-dir DIR]
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PY="${PYTHON:-$REPO/.venv/bin/python}"
[ -x "$PY" ] || { echo "no $PY: run 'bash tools/setup_env.sh' first" >&2; exit 1; }
cd "$REPO"
export PYTHONWARNINGS="${PYTHONWARNINGS:-ignore}"
exec "$PY" tools/demo/run_demo.py "$@"
