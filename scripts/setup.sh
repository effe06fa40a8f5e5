#!/usr/bin/env bash
# Create .venv (if missing) and install simrl with its test extras.
# torch is pinned through constraints.txt so pip takes the local CPU build instead of a multi-GB CUDA one.
set -euo pipefail
cd "$(dirname "$0")/.."
PY="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
  echo "simrl: creating .venv with $("$PY" --version)"
  "$PY" -m venv .venv
fi
. .venv/bin/activate
LOG=.venv/simrl-setup.log
echo "simrl: installing (pip log: $LOG)"
python -m pip install --upgrade pip >"$LOG" 2>&1 || true
if ! python -m pip install -c constraints.txt -e ".[test]" >>"$LOG" 2>&1; then
  tail -n 40 "$LOG"
  echo "simrl: set-up failed; full log in $LOG" >&2
  exit 1
fi
python -c "import simrl, torch, mujoco; print(f'simrl ready: torch {torch.__version__}, mujoco {mujoco.__version__}')"
