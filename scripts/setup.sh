#!/usr/bin/env bash
# Create a virtual environment (if missing) and install simrl with extras into it.
#   bash scripts/setup.sh                  # .venv with the test extras
#   SIMRL_VENV=.venv-ray SIMRL_EXTRAS=test,ray bash scripts/setup.sh
# torch is pinned through constraints.txt so pip takes the local CPU build instead of a multi-GB CUDA one.
set -euo pipefail
cd "$(dirname "$0")/.."
PY="${PYTHON:-python3}"
VENV="${SIMRL_VENV:-.venv}"
EXTRAS="${SIMRL_EXTRAS:-test}"
if [ ! -x "$VENV/bin/python" ]; then
  echo "simrl: creating $VENV with $("$PY" --version)"
  "$PY" -m venv "$VENV"
fi
. "$VENV/bin/activate"
LOG="$VENV/simrl-setup.log"
echo "simrl: installing simrl[$EXTRAS] into $VENV (pip log: $LOG)"
python -m pip install --upgrade pip >"$LOG" 2>&1 || true
if ! python -m pip install -c constraints.txt -e ".[$EXTRAS]" >>"$LOG" 2>&1; then
  tail -n 40 "$LOG"
  echo "simrl: set-up of $VENV failed; full log in $LOG" >&2
  exit 1
fi
python -c "import simrl, torch, mujoco; print(f'simrl ready: torch {torch.__version__}, mujoco {mujoco.__version__}')"
