#!/usr/bin/env bash
# Set up .venv-ray (if missing) with the ray extra and run the Ray tests: a hydra/launcher=ray_local
# sweep listens on loopback only and leaves no process behind. Ray needs an environment of its own:
# hydra-ray-launcher pins cloudpickle<3, which breaks the joblib launcher of .venv.
# torch is pinned through constraints.txt so pip takes the local CPU build.
set -euo pipefail
cd "$(dirname "$0")/.."
SIMRL_VENV=.venv-ray SIMRL_EXTRAS=test,ray bash scripts/setup.sh
. .venv-ray/bin/activate
python -c "import hydra_plugins.hydra_ray_launcher, ray; print('simrl: ray', ray.__version__)"
export MUJOCO_GL="${MUJOCO_GL:-egl}"
export RAY_USAGE_STATS_ENABLED=0
exec python -m pytest -q -m ray tests/cli/test_launchers.py "$@"
