#!/usr/bin/env bash
# budget_s: 420
# GRPO vs SB3 PPO learner meters on the GPU (simrl-bench, Reacher-v5, seed 0, a budget of a few
# iterations): peak learner memory (torch.cuda.max_memory_allocated around the update), FLOPs per
# sample and per update (torch FLOP counter), update time, for preset x precision in
#   xl bf16, xl fp8   (eager, no torch.compile; one case took 126 s on the H200, 2026-12-04: the
#   memory pass and the timed pass, SB3's PPO 45-48 s of each), then xl bf16 with grpo.micro_batch_size=0 (one forward/backward per 4096-step minibatch: GRPO's
# speed when memory is plentiful, against the default 64-step micro-batches).
# Each comparison's aggregate + ratios are merged into $OUT/compare_gpu.json after every bench, so a
# timeout keeps what was measured. Needs the 50-compare.req wheels (mujoco, gymnasium, SB3, hydra).
# CPU dry run (plumbing only): SIMRL_GPU_DRYRUN=1 -> small preset, fp32, device cpu, tiny budget.
set -uo pipefail
PY="${PYTHON:-python3}"
J="$OUT/compare_gpu.json"
WORK="${SIMRL_COMPARE_DIR:-/tmp/simrl_compare_gpu}"
COMMON=(env=reacher "bench.seeds=[0]" bench.eval_points=1 eval_episodes=4 progress=false
        tensorboard=false checkpoint_every=0 bench.plots=false)
if [ "${SIMRL_GPU_DRYRUN:-0}" = 1 ]; then
  CASES=("small fp32")
  EXTRA=(device=cpu total_env_steps=400 grpo.num_groups=2 grpo.group_size=2 ppo.n_envs=2
         ppo.n_steps=50 ppo.batch_size=50 ppo.n_epochs=1 num_threads=1)
else
  CASES=("xl bf16" "xl fp8" "xl bf16 0")
  # 2 PPO iterations (2 x 2048 steps); GRPO runs 1 iteration of 32 x 16 x 50 = 25600 steps.
  EXTRA=(device=cuda total_env_steps=4096 precision_strict=true)
fi
rc=0
for case in "${CASES[@]}"; do
  set -- $case
  micro="${3:-64}"
  dir="$WORK/${1}_${2}_mb${micro}"
  echo "-- simrl-bench model=$1 precision=$2 grpo.micro_batch_size=$micro -> $dir"
  "$PY" -m simrl.cli.bench model="$1" precision="$2" grpo.micro_batch_size="$micro" \
    "${COMMON[@]}" "${EXTRA[@]}" hydra.run.dir="$dir" 2>&1 | grep -v -E '^[│┃┏┗┡└┌━─ ]' || rc=1
  "$PY" - "$dir/results.json" "$J" "$1" "$2" "$micro" <<'PY' || rc=1
import json, os, sys
src, dst, preset, precision, micro = sys.argv[1:6]
rows = json.load(open(dst))["rows"] if os.path.exists(dst) else []
try:
    res = json.load(open(src))
    keep = ("params_trainable", "optimizer_state_bytes", "peak_learner_memory_bytes",
            "learner_flops_per_sample", "learner_flops_per_update", "update_time_s_mean",
            "learner_samples_per_s", "env_steps_per_s")
    row = {"preset": preset, "precision": precision, "grpo_micro_batch_size": int(micro),
           "setup": res["setup"],
           "ratios": {k: res["ratios"].get(k) for k in keep},
           **{a: {k: res["aggregate"][a][k]["mean"] for k in keep} | {
               "precision_effective": res["aggregate"][a]["precision_effective"],
               "peak_memory_method": res["aggregate"][a]["peak_memory_method"]}
              for a in res["aggregate"]},
           "failed": [r["algo"] + ": " + str(r.get("error")) for r in res["runs"]
                      if r.get("status") != "completed"]}
except Exception as exc:  # a failed bench still gets a row
    row = {"preset": preset, "precision": precision, "grpo_micro_batch_size": int(micro),
           "error": f"{type(exc).__name__}: {exc}"}
rows.append(row)
tmp = dst + ".tmp"
json.dump({"rows": rows}, open(tmp, "w"), indent=2)
os.replace(tmp, dst)
r = row.get("ratios") or {}
print(f"   {preset} {precision} micro {micro}: GRPO/PPO peak memory {r.get('peak_learner_memory_bytes')}, "
      f"FLOPs/sample {r.get('learner_flops_per_sample')}, update time {r.get('update_time_s_mean')}"
      f"{'  ERROR ' + row['error'] if 'error' in row else ''}")
PY
done
exit $rc
