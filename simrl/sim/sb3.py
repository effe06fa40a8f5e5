"""SB3 adapter: a `GroupEnv` as a Stable-Baselines3 `VecEnv` (same-step autoreset, SB3 infos).

    venv = SB3VecEnv(make_group_env("Reacher-v5", num_groups=8, autoreset_mode="same_step"))
    PPO("MlpPolicy", venv).learn(10_000)

Infos follow SB3's conventions: `terminal_observation` and `TimeLimit.truncated` on episode ends,
`is_success` where the task has success, and `episode` ({"r", "l", "t"}, as SB3's Monitor writes
it) so SB3 logs ep_rew_mean without a VecMonitor.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import numpy as np
from stable_baselines3.common.vec_env import VecEnv
from stable_baselines3.common.vec_env.base_vec_env import VecEnvIndices

from simrl.sim.group_base import GroupEnv
from simrl.sim.reward_terms import RewardTermMeans


class SB3VecEnv(VecEnv):
    """Wrap a `GroupEnv` built with ``autoreset_mode="same_step"`` for SB3 algorithms."""

    def __init__(self, group_env: GroupEnv) -> None:
        if not isinstance(group_env, GroupEnv):
            raise ValueError(f"SB3VecEnv needs a simrl GroupEnv, got {type(group_env).__name__}")
        if group_env.autoreset_mode != "same_step":
            raise ValueError(
                "SB3VecEnv needs autoreset_mode='same_step' (SB3's convention), "
                f"got {group_env.autoreset_mode!r}"
            )
        self.env = group_env
        super().__init__(
            group_env.num_envs, group_env.single_observation_space, group_env.single_action_space
        )
        self._actions: np.ndarray | None = None
        self.episode_returns = np.zeros(self.num_envs)
        self.episode_lengths = np.zeros(self.num_envs, np.int64)
        self._t0 = time.time()
        self.reward_terms = RewardTermMeans()  # per-step means of info["reward/<term>"]

    def reset(self) -> np.ndarray:
        seed = self._seeds[0]
        obs, _ = self.env.reset(seed=seed)
        self._reset_seeds()
        self._reset_options()
        self.episode_returns[:] = 0
        self.episode_lengths[:] = 0
        return obs

    def step_async(self, actions: np.ndarray) -> None:
        self._actions = np.asarray(actions)

    def step_wait(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[dict[str, Any]]]:
        obs, reward, terminated, truncated, info = self.env.step(self._actions)
        self.reward_terms.add(info)
        done = terminated | truncated
        self.episode_returns += reward
        self.episode_lengths += 1
        success = info.get("is_success")
        infos: list[dict[str, Any]] = [{} for _ in range(self.num_envs)]
        if success is not None:
            for i, s in enumerate(success.tolist()):
                infos[i]["is_success"] = s
        for i in np.flatnonzero(done).tolist():
            infos[i]["terminal_observation"] = info["final_obs"][i]
            infos[i]["TimeLimit.truncated"] = bool(truncated[i] and not terminated[i])
            infos[i]["episode"] = {
                "r": float(self.episode_returns[i]),
                "l": int(self.episode_lengths[i]),
                "t": round(time.time() - self._t0, 6),
            }
        self.episode_returns[done] = 0
        self.episode_lengths[done] = 0
        return obs, reward.astype(np.float32), done, infos

    def close(self) -> None:
        self.env.close()

    def get_attr(self, attr_name: str, indices: VecEnvIndices = None) -> list[Any]:
        value = getattr(self.env, attr_name)
        return [value for _ in self._get_indices(indices)]

    def set_attr(self, attr_name: str, value: Any, indices: VecEnvIndices = None) -> None:
        setattr(self.env, attr_name, value)

    def env_method(
        self, method_name: str, *method_args: Any, indices: VecEnvIndices = None, **kwargs: Any
    ) -> list[Any]:
        method = getattr(self.env, method_name)
        return [method(*method_args, **kwargs) for _ in self._get_indices(indices)]

    def env_is_wrapped(self, wrapper_class: type, indices: VecEnvIndices = None) -> list[bool]:
        return [False for _ in self._get_indices(indices)]

    def get_images(self) -> Sequence[np.ndarray | None]:
        return [self.env.render(i) for i in range(self.num_envs)]
