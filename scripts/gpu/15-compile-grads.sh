#!/usr/bin/env bash
# budget_s: 90
# Compiled vs eager weight gradients (bf16 autocast, FP8 with and without autocast) on the GPU: the
# measurement behind simrl dropping torch.compile for CUDA autocast plans. Took 46 s on the H200.
set -uo pipefail
if [ "${SIMRL_GPU_DRYRUN:-0}" = 1 ]; then echo "skipped in the CPU dry run (a few compiles)"; exit 0; fi
"${PYTHON:-python3}" scripts/gpu/compile_grads.py 2>&1 | grep -v -i "warn"
