"""`simrl.load_policy`: rebuilds what the run evaluated, acts like SB3's `predict`, refuses bad files.

References: the run's own final evaluation (made with the trainer's `act`, before any reload), the
algorithm's actor from the registry, and Gymnasium's own flattening of Dict observations.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import gymnasium as gym
import numpy as np
import pytest
import torch
from _policy_runs import GENERIC, RUN_IDS, RUNS, SUITE

import simrl
from simrl.runs import evaluate_checkpoint
from simrl.runs.checkpoint import KIND, CheckpointError


@pytest.mark.parametrize("key", RUNS, ids=RUN_IDS)
def test_reloaded_policy_reproduces_the_runs_final_evaluation(tiny_runs, key) -> None:
    run_dir, summary = tiny_runs[key]
    out = evaluate_checkpoint(run_dir, episodes=4, device="cpu", print_table=False)
    assert out["return_mean"] == pytest.approx(summary["final_return_mean"], abs=1e-9)


@pytest.mark.parametrize("key", RUNS, ids=RUN_IDS)
def test_predict_single_and_batch_match_the_actor(tiny_runs, key) -> None:
    policy = simrl.load_policy(tiny_runs[key][0])
    obs_dim = policy.observation_space.shape[0]
    obs = np.random.default_rng(1).standard_normal((64, obs_dim)) * 2.0
    actions, state = policy.predict(obs, deterministic=True)
    assert state is None and actions.shape == (64, *policy.action_space.shape)
    assert actions.dtype == policy.action_space.dtype
    assert policy.action_space.contains(actions[0])
    reference = np.clip(  # the algorithm's own actor, as evaluation clips it
        policy.actor(obs, deterministic=True), policy.action_space.low, policy.action_space.high
    )
    np.testing.assert_array_equal(actions, reference.astype(actions.dtype))
    single, _ = policy.predict(obs[3])
    assert single.shape == policy.action_space.shape
    # one row vs a batch of 64: another matmul kernel, so equal up to float32 rounding
    np.testing.assert_allclose(single, actions[3], rtol=0, atol=1e-6)


def test_attributes_and_stochastic_actions(tiny_runs) -> None:
    policy = simrl.load_policy(tiny_runs[("grpo", SUITE)][0])
    assert policy.env_id == SUITE and policy.algo == "grpo"
    assert policy.observation_space.shape == (23,) and policy.action_space.shape == (3,)
    assert policy.config["algo_name"] == "grpo" and policy.config["model"]["width"] == 16
    obs = np.zeros((8, 23))
    sampled, _ = policy.predict(obs, deterministic=False)
    mean, _ = policy.predict(obs)
    assert sampled.shape == mean.shape and not np.array_equal(sampled, mean)
    with pytest.raises(ValueError, match=r"observation of shape \(5,\) does not fit"):
        policy.predict(np.zeros(5))
    unpacked, config = simrl.load_policy(tiny_runs[("grpo", SUITE)][0])  # (policy, config) form
    assert isinstance(unpacked, simrl.Policy) and config == policy.config
    assert config["env"]["id"] == SUITE


def test_predict_steps_a_gymnasium_env(tiny_runs) -> None:
    policy = simrl.load_policy(tiny_runs[("ppo", SUITE)][0], device="cpu")
    env = gym.make(policy.env_id, **policy.env_options)
    obs, _ = env.reset(seed=0)
    steps, done = 0, False
    while not done:
        action, _ = policy.predict(obs, deterministic=True)
        obs, _, terminated, truncated, _ = env.step(action)
        steps, done = steps + 1, terminated or truncated
    env.close()
    assert steps == 50  # Reach's episode length


def test_dict_observations_are_flattened_as_gymnasium_does(tiny_runs) -> None:
    policy = simrl.load_policy(tiny_runs[("grpo", GENERIC)][0])
    assert isinstance(policy.env_observation_space, gym.spaces.Dict)
    env = gym.make(policy.env_id)
    obs, _ = env.reset(seed=3)
    flat = gym.spaces.utils.flatten(env.observation_space, obs)
    env.close()
    np.testing.assert_array_equal(policy.predict(obs)[0], policy.predict(flat)[0])
    batch = {k: np.stack([v, v, v]) for k, v in obs.items()}
    np.testing.assert_array_equal(policy.predict(batch)[0], policy.predict(np.stack([flat] * 3))[0])


def _bad_files(tmp_path: Path, good: Path) -> dict[str, tuple[Path, str]]:
    truncated = tmp_path / "truncated.pt"
    truncated.write_bytes(good.read_bytes()[:300])
    garbage = tmp_path / "garbage.pt"
    garbage.write_bytes(b"not a checkpoint at all")
    unsafe = tmp_path / "unsafe.pt"
    torch.save({"kind": KIND, "obj": Path("/x")}, unsafe)  # a class: needs unpickling
    foreign = tmp_path / "foreign.pt"
    torch.save({"weights": torch.zeros(3)}, foreign)
    return {
        "missing": (tmp_path / "nosuch", "file not found"),
        "truncated": (truncated, "cannot be read, truncated or not a checkpoint"),
        "garbage": (garbage, "cannot be read, truncated or not a checkpoint"),
        "unsafe": (unsafe, "refused, it holds Python objects"),
        "unknown format": (foreign, "not a simrl checkpoint"),
    }


def test_bad_files_raise_one_line_value_errors(tiny_runs, tmp_path: Path) -> None:
    good = tiny_runs[("grpo", SUITE)][0] / "checkpoints" / "last.pt"
    for name, (path, expect) in _bad_files(tmp_path, good).items():
        with pytest.raises(CheckpointError, match=expect) as info:
            simrl.load_policy(path)
        assert isinstance(info.value, ValueError), name
        assert "\n" not in str(info.value), name


def test_import_simrl_registers_envs_without_torch() -> None:
    code = (
        "import sys, gymnasium, simrl; gymnasium.make('simrl/Reach-v0').close(); "
        "print('torch' in sys.modules)"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert proc.stdout.strip() == "False"
