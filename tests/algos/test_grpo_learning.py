"""GRPO learns Reacher-v5: a short fixed-seed run beats its initial policy by a clear margin.

Reference: the initial policy's mean action is ~0 (head gain 0.01), i.e. about the zero-action
return (-13.0 over random starts; -11.6 on these 16 start states). Measured on this config after 8
iterations (51.2k env steps): seed 0 -11.59 -> -6.47, seed 1 -11.58 -> -6.94, seed 2 -11.14 ->
-7.45. The test (seed 0) asserts an improvement of at least 3.0.
"""

import numpy as np

from simrl.algos.grpo import GRPOConfig, make_trainer
from simrl.nn import core_preset
from simrl.nn.compute import ComputeConfig, resolve_compute
from simrl.sim import make_group_env
from simrl.sim.config import EnvConfig


def deterministic_return(trainer, episodes: int = 16, seed: int = 123) -> float:
    env = make_group_env(
        "Reacher-v5", num_groups=episodes, group_size=1, seed=seed, autoreset_mode="disabled"
    )
    obs, _ = env.reset(seed=seed)
    total = np.zeros(episodes)
    for _ in range(env.max_episode_steps):
        obs, reward, _, _, _ = env.step(trainer.act(obs, deterministic=True))
        total += reward
    env.close()
    return float(total.mean())


def test_grpo_improves_reacher():
    cfg = GRPOConfig(
        num_groups=16,
        group_size=8,
        lr=3e-3,
        gamma=0.99,
        minibatch_size=1024,
        lr_schedule="constant",
        init_log_std=-0.5,
    )
    trainer = make_trainer(
        EnvConfig(id="Reacher-v5"),
        core_preset("small"),
        cfg,
        resolve_compute(ComputeConfig(num_threads=1)),
        seed=0,
    )
    before = deterministic_return(trainer)
    for _ in range(8):
        metrics = trainer.iterate()
    after = deterministic_return(trainer)
    assert trainer.env_steps == 8 * 128 * 50
    assert metrics["nonfinite_updates"] == 0
    assert before < -10.0
    assert after > before + 3.0, (before, after)
