#!/usr/bin/env bash
# budget_s: 330
# Core fwd+bwd(+Adam) throughput: FP8 (tensorwise/rowwise, compiled) vs bf16 on the wide presets,
# then the small presets where FP8 is expected to lose. One compile per (preset, variant).
set -uo pipefail
PY="${PYTHON:-python3}"
if [ "${SIMRL_GPU_DRYRUN:-0}" = 1 ]; then  # CPU plumbing check: tiny sizes, fp8 rows are 'skipped'
  exec "$PY" scripts/bench_core.py --device cpu --presets small --batch-sizes 256 \
    --variants fp32,bf16,fp8-tensorwise+compile --min-time 0.05 --iters 2 --no-fp8-numerics \
    --out "$OUT/bench_core_gpu.json"
fi
"$PY" scripts/bench_core.py --device cuda --presets xl,large --batch-sizes 16384 \
  --variants bf16,bf16+compile,fp8-tensorwise+compile,fp8-rowwise+compile \
  --out "$OUT/bench_core_gpu.json"
rc=$?
"$PY" scripts/bench_core.py --device cuda --presets base,small --batch-sizes 4096 \
  --variants bf16+compile,fp8-tensorwise+compile --out "$OUT/bench_core_gpu_small.json" || rc=$?
exit $rc
