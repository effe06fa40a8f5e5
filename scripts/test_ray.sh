#!/usr/bin/env bash
# Set up .venv-ray (if missing) with the ray extra and run the Ray tests: a hydra/launcher=ray_local
# sweep listens on loopback only and leaves no process behind. Ray needs an environment of its own:
# hydra-ray-launcher pins cloudpickle<3, which breaks the joblib launcher of .venv.
# torch is pinned through constraints.txt so pip takes the local CPU build.
set -euo pipefail
cd "$(dirname "$0")/.."
PY="${PYTHON:-python3}"
if [ ! -x .venv-ray/bin/python ]; then
  echo "simrl: creating .venv-ray with $("$PY" --version)"
  "$PY" -m venv .venv-ray
fi
. .venv-ray/bin/activate
LOG=.venv-ray/simrl-setup.log
echo "simrl: installing the ray extra (pip log: $LOG)"
python -m pip install --upgrade pip >"$LOG" 2>&1 || true
if ! python -m pip install -c constraints.txt -e ".[test,ray]" >>"$LOG" 2>&1; then
  tail -n 40 "$LOG"
  echo "simrl: set-up of .venv-ray failed; full log in $LOG" >&2
  exit 1
fi
python -c "import hydra_plugins.hydra_ray_launcher, ray; print('simrl: ray', ray.__version__)"
export MUJOCO_GL="${MUJOCO_GL:-egl}"
export RAY_USAGE_STATS_ENABLED=0
exec python -m pytest -q -m ray tests/cli/test_launchers.py "$@"
