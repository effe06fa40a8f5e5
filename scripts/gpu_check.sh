#!/usr/bin/env bash
# One prepared command for an NVIDIA H200 machine without network (torch 2.11 + CUDA 13, pytest,
# numpy, rich; no torchao, mujoco, gymnasium, SB3, hydra-core, omegaconf or antlr4).
#
#   1. here, with network:   bash scripts/gpu/fetch_wheels.sh        # -> build/gpu_wheels (~33 MB)
#   2. device tool `run`, two calls (about 250 s and 400 s of work; a machine's start adds ~60 s):
#        command "SIMRL_GPU_STEPS='10 15 20' SIMRL_GPU_TOTAL_S=400 bash scripts/gpu_check.sh",
#        carry ["build/gpu_wheels"], timeout_s 430, then at once, while the machine is warm,
#        command "SIMRL_GPU_STEPS=50 SIMRL_GPU_TOTAL_S=440 bash scripts/gpu_check.sh", timeout_s 470.
#      Steps stop starting once SIMRL_GPU_TOTAL_S (default 560 s) is spent.
#   3. results come back from $OUT: gpu_check.log (everything printed), nn_tests.xml,
#      bench_core_gpu.json (xl, large, base, small: bf16 vs fp8 rows).
#
# Dry run on a CPU box (checks the offline install and every step's plumbing, GPU tests skip):
#   SIMRL_GPU_DRYRUN=1 OUT=/tmp/gpu_out bash scripts/gpu_check.sh
#
# Steps: every scripts/gpu/[0-9][0-9]-*.sh, in name order, run from the repo root with OUT, PYTHON
# and PYTHONPATH set. A step's '# budget_s: N' line caps its run time (default 120 s); the whole
# script stops starting steps once SIMRL_GPU_TOTAL_S (default 560 s) is spent. To add a step (e.g.
# the GRPO-vs-PPO GPU comparison), drop in 30-name.sh (+ 30-name.req listing the exact wheel pins
# it needs, fetched by step 1). $OUT returns at most 8 files, 2 folders deep: write few files.
set -uo pipefail
cd "$(dirname "$0")/.."
export OUT="${OUT:-$PWD/build/gpu_out}"
mkdir -p "$OUT"
export PYTHON="${PYTHON:-python3}" PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1
export MUJOCO_GL="${MUJOCO_GL:-disable}"  # no step renders; egl needs libEGL, absent there
WHEELS="${SIMRL_GPU_WHEELS:-build/gpu_wheels}"
SITE="${SIMRL_GPU_SITE:-/tmp/simrl_gpu_site}"
TOTAL="${SIMRL_GPU_TOTAL_S:-560}"
STEPS="${SIMRL_GPU_STEPS:-}"  # e.g. "10 20": run only the steps with these number prefixes

main() {
T0=$SECONDS

echo "== simrl gpu_check $(date -u +%FT%TZ) dryrun=${SIMRL_GPU_DRYRUN:-0}"
command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,memory.total,driver_version,clocks.sm --format=csv
if compgen -G "$WHEELS/*.whl" >/dev/null; then
  "$PYTHON" -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade \
    --target "$SITE" "$WHEELS"/*.whl || { echo "FAILED: offline wheel install from $WHEELS"; exit 2; }
  echo "installed offline into $SITE: $(cd "$WHEELS" && ls *.whl | tr '\n' ' ')"
else
  echo "no wheels in $WHEELS (run scripts/gpu/fetch_wheels.sh here and carry that folder)"
fi
# A plain checkout has no simrl.conf / simrl.assets (setup.py maps conf/ and envs/ there at
# install time); link them in for this run when absent (both ignored by git), removed on exit.
LINKS=()
for pair in conf:conf envs:assets; do
  src=${pair%%:*} dst=simrl/${pair##*:}
  if [ ! -e "$dst" ]; then ln -s "../$src" "$dst" && LINKS+=("$dst"); fi
done
trap 'rm -f "${LINKS[@]}"' EXIT
export PYTHONPATH="$SITE:$PWD${PYTHONPATH:+:$PYTHONPATH}"
"$PYTHON" - <<'PY'
import torch
print(f"torch {torch.__version__}, cuda {torch.version.cuda}, available {torch.cuda.is_available()}")
if torch.cuda.is_available():
    print(f"gpu {torch.cuda.get_device_name()}, capability {torch.cuda.get_device_capability()}")
from simrl.nn.precision import import_torchao_float8, resolve_precision
try:
    import_torchao_float8()  # first: it mutes torchao's import-time noise
    import torchao
    print(f"torchao {torchao.__version__} float8 ok")
except ImportError as exc:
    print(f"torchao: {exc}")
dev = "cuda" if torch.cuda.is_available() else "cpu"
for req in ("auto", "bf16", "fp8"):
    p = resolve_precision(req, device=dev)
    print(f"precision {req:5} -> {p.effective:5} ({p.reason})")
PY

declare -a SUMMARY=()
FAIL=0
for step in scripts/gpu/[0-9][0-9]-*.sh; do
  num=$(basename "$step" | cut -c1-2)
  if [ -n "$STEPS" ] && [[ " $STEPS " != *" $num "* ]]; then continue; fi
  left=$((TOTAL - (SECONDS - T0)))
  budget=$(sed -n 's/^# budget_s: *\([0-9]\+\).*/\1/p' "$step" | head -1)
  budget=${budget:-120}
  if [ "$left" -lt 20 ]; then SUMMARY+=("$step: not run (total budget spent)"); FAIL=1; continue; fi
  [ "$budget" -gt "$left" ] && budget=$left
  echo; echo "== $step (budget ${budget}s, $((SECONDS - T0))s elapsed)"
  s0=$SECONDS
  timeout --kill-after=10 "$budget" bash "$step"
  rc=$?
  status="rc=$rc"; [ "$rc" = 124 ] && status="TIMED OUT after ${budget}s"
  [ "$rc" = 0 ] || FAIL=1
  SUMMARY+=("$step: $status in $((SECONDS - s0))s")
done

echo; echo "== summary ($((SECONDS - T0))s)"
printf '  %s\n' "${SUMMARY[@]}"
"$PYTHON" - <<'PY'
import json, os, pathlib
for f in sorted(pathlib.Path(os.environ["OUT"]).glob("bench_core*.json")):
    d = json.loads(f.read_text())
    print(f"  {f.name}: {d['device']}, ratios to {d['baseline']} (step / fwd+bwd)")
    for r in d["rows"]:
        if r.get("error"):
            print(f"    {r['preset']:6} {r['variant']:24} b={r['batch']:<6} skipped: {r['error'][:70]}")
        else:
            rs, rf = r.get("ratio_to_baseline"), r.get("fwd_bwd_ratio_to_baseline")
            print(f"    {r['preset']:6} {r['variant']:24} b={r['batch']:<6} {r['tflops']:8.1f} TFLOP/s"
                  f"  x{rs or 0:.2f} / x{rf or 0:.2f}")
PY
return "$FAIL"
}

main 2>&1 | tee -a "$OUT/gpu_check.log"
exit "${PIPESTATUS[0]}"
