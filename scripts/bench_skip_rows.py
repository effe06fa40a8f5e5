"""GRPO env steps/s on the generic path with and without skipping rows whose episode ended.

    python scripts/bench_skip_rows.py --env Hopper-v5 --steps 200000 --reps 1

Trains GRPO (defaults, small core, one thread) from scratch for `--steps` env steps twice per
repetition, alternating: rows stepped after their episode ended (as before `step(active=)`) and
skipped. Both runs are bit-identical (tests/sim/test_generic_active_rows.py); only time differs.
Prints rollout-only and whole-iteration env steps/s of each.
"""

from __future__ import annotations

import argparse
import time

import torch

from simrl.algos.grpo import GRPOConfig, make_trainer
from simrl.nn import core_preset
from simrl.nn.compute import ComputeConfig, resolve_compute
from simrl.sim.config import EnvConfig
from simrl.sim.gym_rows import GymGroupVecEnv


def run(env_id: str, skip: bool, steps: int) -> tuple[float, float, int]:
    """(rollout env steps/s, whole-iteration env steps/s, env steps) of one GRPO run."""
    GymGroupVecEnv.skips_inactive_rows = skip
    compute = resolve_compute(ComputeConfig(device="cpu", num_threads=1))
    trainer = make_trainer(
        EnvConfig(id=env_id), core_preset("small"), GRPOConfig(), compute, seed=0,
        total_env_steps=steps,
    )  # fmt: skip
    rollout_s = 0.0
    t0 = time.perf_counter()
    while trainer.env_steps < steps:
        rollout_s += trainer.iterate()["rollout_time_s"]
    total_s = time.perf_counter() - t0
    n = int(trainer.env_steps)
    trainer.close()
    return n / rollout_s, n / total_s, n


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--env", default="Hopper-v5")
    parser.add_argument("--steps", type=int, default=200_000)
    parser.add_argument("--reps", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(1)
    for _ in range(args.reps):
        for skip in (False, True):
            rollout, whole, n = run(args.env, skip, args.steps)
            print(
                f"{args.env} skip_ended_rows={skip} env_steps={n} rollout {rollout:.0f}/s "
                f"whole iterations {whole:.0f}/s",
                flush=True,
            )


if __name__ == "__main__":
    main()
