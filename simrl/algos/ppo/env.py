"""The PPO baseline's env side: simrl's batched env as an SB3 VecEnv, and per-rollout episode stats."""

from __future__ import annotations

from typing import Any

from stable_baselines3.common.callbacks import BaseCallback
from stable_baselines3.common.vec_env import VecEnv

from simrl.sim.config import EnvConfig


class EpisodeTracker(BaseCallback):
    """Collects returns and successes of the episodes that end during the current rollout."""

    def __init__(self) -> None:
        super().__init__(verbose=0)
        self.returns: list[float] = []
        self.successes: list[float] = []

    def clear(self) -> None:
        self.returns.clear()
        self.successes.clear()

    def _on_step(self) -> bool:
        for info, done in zip(self.locals["infos"], self.locals["dones"], strict=True):
            if not done:
                continue
            if "episode" in info:
                self.returns.append(float(info["episode"]["r"]))
            if info.get("is_success") is not None:
                self.successes.append(float(info["is_success"]))
        return True


def make_vec_env(env_cfg: EnvConfig, n_envs: int, seed: int) -> tuple[VecEnv, Any]:
    """simrl batched env with independent start states (group_size 1) as an SB3 VecEnv; its
    resets draw from the same curriculum (start-state bank) as GRPO's groups.

    Returns (SB3 VecEnv, the underlying group env or None).
    """
    from simrl.sim.make import make_training_env
    from simrl.sim.sb3 import SB3VecEnv

    group_env = make_training_env(env_cfg, n_envs, 1, seed, autoreset_mode="same_step")
    return SB3VecEnv(group_env), group_env
