#!/usr/bin/env bash
# Set up, then run the default test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
. .venv/bin/activate
export MUJOCO_GL="${MUJOCO_GL:-egl}"
exec python -m pytest -q "$@"
