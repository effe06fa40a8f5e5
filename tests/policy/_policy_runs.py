"""Tiny trained runs for the policy, export and eval tests (the fixture is in conftest.py).

GRPO and PPO, each on a suite task (simrl/Reach-v0, batched) and on the tests' own goal-conditioned
GoalPoint env (the generic path, Dict observations), a thousand-odd env steps on a 16-wide core:
enough for non-trivial weights and observation statistics, a few seconds each.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # imports `testenvs`

SUITE = "simrl/Reach-v0"
GENERIC = "testenvs.goal_point:simrl_test/GoalPoint-v0"
RUNS = [("grpo", SUITE), ("ppo", SUITE), ("grpo", GENERIC), ("ppo", GENERIC)]
RUN_IDS = ["grpo-suite", "ppo-suite", "grpo-generic", "ppo-generic"]


def train_tiny(algo: str, env_id: str, run_dir: Path) -> dict:
    """A ~1k env-step run of `algo` on `env_id` into `run_dir`; its summary."""
    from simrl.nn import core_preset
    from simrl.nn.compute import ComputeConfig
    from simrl.runs import TrainSpec, run_training
    from simrl.runs.config import RunConfig
    from simrl.sim.config import EnvConfig

    if algo == "grpo":
        from simrl.algos.grpo import GRPOConfig

        algo_cfg = GRPOConfig(num_groups=2, group_size=4, epochs=1)
    else:
        from simrl.algos.ppo import PPOConfig

        algo_cfg = PPOConfig(n_envs=2, n_steps=256, batch_size=128, n_epochs=2)
    run = RunConfig(
        seed=0, total_env_steps=1000, eval_episodes=4, eval_every=0, checkpoint_every=0,
        progress=False, tensorboard=False,
    )  # fmt: skip
    spec = TrainSpec(
        algo, EnvConfig(id=env_id), core_preset("small", width=16), algo_cfg, run,
        ComputeConfig(device="cpu", num_threads=1),
    )  # fmt: skip
    return run_training(spec, run_dir)
