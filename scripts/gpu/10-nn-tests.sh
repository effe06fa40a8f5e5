#!/usr/bin/env bash
# budget_s: 90
# The nn tests on the GPU: real FP8 (tensorwise/rowwise, eager and torch.compile) against bf16,
# CUDA peak memory, GPU precision resolution; the CPU tests run too (a check of the install).
set -uo pipefail
"${PYTHON:-python3}" -m pytest tests/nn -q -rs -p no:cacheprovider --noconftest \
  --junitxml="$OUT/nn_tests.xml"
