#!/usr/bin/env bash
# budget_s: 250
# Core fwd+bwd(+Adam) throughput, FP8 vs bf16, into $OUT/bench_core_gpu.json (rewritten after every
# row, so a timeout keeps what was measured). Most important first: xl (the FP8 target, >= 1.4x
# bf16 fwd+bwd), then large, then the small presets where FP8 is expected to lose.
# Every compiled variant is one fresh torch.compile (~20-60 s each on H200).
set -uo pipefail
PY="${PYTHON:-python3}"
J="$OUT/bench_core_gpu.json"
if [ "${SIMRL_GPU_DRYRUN:-0}" = 1 ]; then  # CPU plumbing check: tiny sizes, fp8 rows are 'skipped'
  "$PY" scripts/bench_core.py --device cpu --presets small --batch-sizes 256 \
    --variants fp32,fp8-tensorwise+compile --min-time 0.05 --iters 2 --no-fp8-numerics --out "$J"
  exec "$PY" scripts/bench_core.py --device cpu --presets small --batch-sizes 512 \
    --variants fp32 --min-time 0.05 --iters 2 --no-fp8-numerics --out "$J" --append
fi
rc=0
"$PY" scripts/bench_core.py --device cuda --presets xl --batch-sizes 16384 \
  --variants bf16,fp8-tensorwise,fp8-tensorwise+compile,fp8-rowwise --out "$J" || rc=$?
"$PY" scripts/bench_core.py --device cuda --presets large --batch-sizes 16384 \
  --variants bf16,fp8-tensorwise,fp8-tensorwise+compile --out "$J" --append || rc=$?
"$PY" scripts/bench_core.py --device cuda --presets base,small --batch-sizes 4096 \
  --variants bf16,fp8-tensorwise+compile --out "$J" --append || rc=$?
exit $rc
