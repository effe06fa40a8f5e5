#!/usr/bin/env bash
# Run HERE (with network), before calling the device tool: downloads the wheels that the GPU
# machine lacks into build/gpu_wheels (ignored by git via build/; name it in the device call's
# `carry`). Reads every scripts/gpu/*.req file (one exact pin per line, '#' comments), so a step
# that needs more packages only adds its own NN-name.req next to its NN-name.sh.
# Platform: CPython 3.12 on manylinux x86_64 (the H200 image's python3). Packages published as
# source only (e.g. antlr4-python3-runtime) are built into a pure-Python wheel with `pip wheel`.
# Sizes: torchao 0.18.0 is 3.4 MB; the whole working tree + carried paths must stay under 64 MiB.
set -euo pipefail
cd "$(dirname "$0")/../.."
DEST="${SIMRL_GPU_WHEELS:-build/gpu_wheels}"
PY="${PYTHON:-python3}"
mkdir -p "$DEST"
PLATS=()
for p in manylinux_2_28_x86_64 manylinux_2_27_x86_64 manylinux_2_24_x86_64 manylinux_2_17_x86_64 \
         manylinux2014_x86_64 manylinux1_x86_64; do PLATS+=(--platform "$p"); done
mapfile -t REQS < <(cat scripts/gpu/*.req | sed 's/#.*//' | tr -d ' \r' | grep -v '^$' | sort -u)
for req in "${REQS[@]}"; do
  name="${req%%[=<>!~]*}"
  norm="$(echo "$name" | tr 'A-Z-' 'a-z_')"
  if ls "$DEST" 2>/dev/null | tr 'A-Z-' 'a-z_' | grep -q "^${norm}-"; then
    echo "have   $req"; continue
  fi
  if "$PY" -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 \
       --implementation cp "${PLATS[@]}" -d "$DEST" "$req" 2>/dev/null; then
    echo "got    $req"
  else
    "$PY" -m pip wheel -q --no-deps -w "$DEST" "$req" && echo "built  $req (pure-Python wheel from sdist)"
  fi
done
du -sh "$DEST"
