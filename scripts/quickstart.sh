#!/usr/bin/env bash
# Set up, then run the main job: a short GRPO training with the embedded default config.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
. .venv/bin/activate
exec simrl-train "$@"
