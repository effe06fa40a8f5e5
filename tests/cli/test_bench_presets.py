"""The benchmark presets that replaced the benchmark scripts resolve to the scripts' settings.

Reference: the settings the removed scripts passed to the run loop (SB3 PPO learnability:
16 rows x 128 steps = 2048 per rollout, batch 64, no normalisation, 100 eval episodes about every
20k steps, the `distance` reward, 1 thread on CPU; GRPO estimators: Reacher-v5, 300k steps, eval
every 4 iterations on 32 episodes, no checkpoints).
"""

from __future__ import annotations

from pathlib import Path

import yaml

from simrl.algos.grpo import GRPOConfig
from simrl.algos.ppo import PPOConfig

from .conftest import run_cli


def _compose(*overrides: str, cwd: Path) -> dict:
    """The job config as `simrl-train --cfg job ...` prints it."""
    proc = run_cli("train", "--cfg", "job", *overrides, cwd=cwd)
    assert proc.returncode == 0, proc.stderr
    return yaml.safe_load(proc.stdout)


def _owner(cls: type, algo: dict) -> object:
    return cls(**{k: v for k, v in algo.items() if k != "name"})


def test_tasks_ppo_has_the_scripts_settings(tmp_path: Path) -> None:
    cfg = _compose("experiment=tasks_ppo", "env=push", cwd=tmp_path)  # as for reach, pick_place
    assert cfg["env"]["id"] == "simrl/Push-v0" and cfg["env"]["options"]["reward"] == "distance"
    expected = PPOConfig(
        n_envs=16, n_steps=128, batch_size=64, normalize_obs=False, normalize_reward=False
    )
    assert _owner(PPOConfig, cfg["algo"]) == expected
    assert expected.n_envs * expected.n_steps == 2048
    assert (expected.learning_rate, expected.n_epochs, expected.gamma) == (3e-4, 10, 0.99)
    assert (expected.gae_lambda, expected.clip_range) == (0.95, 0.2)
    assert cfg["model"]["name"] == "small"
    run = {
        k: cfg[k] for k in ("total_env_steps", "eval_every", "eval_episodes", "checkpoint_every")
    }
    assert run == {
        "total_env_steps": 200_000,
        "eval_every": 10,  # round(20_000 / 2048)
        "eval_episodes": 100,
        "checkpoint_every": 0,
    }
    assert (cfg["device"], cfg["num_threads"], cfg["seed"]) == ("cpu", 1, 0)


def test_grpo_estimators_has_the_scripts_settings(tmp_path: Path) -> None:
    overrides = ("experiment=grpo_estimators", "algo.advantage=vine", "algo.vine_every=25")
    cfg = _compose(*overrides, cwd=tmp_path)
    assert cfg["env"]["id"] == "Reacher-v5" and cfg["model"]["name"] == "small"
    assert _owner(GRPOConfig, cfg["algo"]) == GRPOConfig(advantage="vine", vine_every=25)
    run = {
        k: cfg[k] for k in ("total_env_steps", "eval_every", "eval_episodes", "checkpoint_every")
    }
    assert run == {
        "total_env_steps": 300_000,
        "eval_every": 4,
        "eval_episodes": 32,
        "checkpoint_every": 0,
    }
    assert cfg["num_threads"] == 1
