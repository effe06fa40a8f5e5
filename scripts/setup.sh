#!/usr/bin/env bash
# Create .venv (if missing) and install simrl with its test extras.
# torch is pinned through constraints.txt so pip takes the local CPU build instead of a multi-GB CUDA one.
set -euo pipefail
cd "$(dirname "$0")/.."
PY="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
. .venv/bin/activate
python -m pip install -q --upgrade pip >/dev/null 2>&1 || true
python -m pip install -q -c constraints.txt -e ".[test]" 2>&1 | grep -v "is ignored: it is neither a file nor a directory" || true
python -c "import simrl, torch, mujoco; print(f'simrl ready: torch {torch.__version__}, mujoco {mujoco.__version__}')"
