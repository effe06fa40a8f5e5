"""A single-env `gymnasium.Env` over a 1-row batch, for any registered simrl task.

`register_task` registers simrl's own ids (``simrl/...``) with Gymnasium pointing here, so
``gymnasium.make("simrl/Reach-v0")`` works after ``import simrl.sim``. The task truncates itself at
its `max_episode_steps` (no TimeLimit wrapper is needed).
"""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np

from simrl.sim.batched import GroupVecEnv
from simrl.sim.registry import check_env_id, get_task


class SingleTaskEnv(gym.Env):
    """One row of a batched simrl task as a standard Gymnasium env."""

    metadata: dict[str, Any] = {"render_modes": ["rgb_array"], "render_fps": 50}

    def __init__(self, task_id: str, render_mode: str | None = None, **task_options: Any) -> None:
        check_env_id(task_id)
        task_cls = get_task(task_id)
        if task_cls is None:
            raise ValueError(
                f"{task_id!r} is not a batched simrl task; use gymnasium.make directly"
            )
        if render_mode not in (None, "rgb_array"):
            raise ValueError(f"render_mode must be None or 'rgb_array', got {render_mode!r}")
        self._env = GroupVecEnv(task_cls, 1, 1, None, 1, "disabled", **task_options)
        self.observation_space = self._env.single_observation_space
        self.action_space = self._env.single_action_space
        self.render_mode = render_mode
        self.metadata = {
            "render_modes": ["rgb_array"],
            "render_fps": self._env.metadata["render_fps"],
        }
        self.max_episode_steps = self._env.max_episode_steps

    @property
    def group_env(self) -> GroupVecEnv:
        """The underlying 1-row GroupVecEnv (for exact state copies)."""
        return self._env

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[np.ndarray, dict[str, Any]]:
        super().reset(seed=seed)
        self._env._rng = self.np_random  # reset draws come from the Env's seeded generator
        obs, _ = self._env.reset()
        return obs[0], {}

    def step(self, action: Any) -> tuple[np.ndarray, float, bool, bool, dict[str, Any]]:
        a = np.asarray(action)
        if a.shape != self.action_space.shape:
            raise ValueError(f"action must have shape {self.action_space.shape}, got {a.shape}")
        obs, reward, terminated, truncated, info = self._env.step(a[None])
        row_info = {k: v[0] for k, v in info.items() if isinstance(v, np.ndarray)}
        return obs[0], float(reward[0]), bool(terminated[0]), bool(truncated[0]), row_info

    def render(self) -> np.ndarray | None:
        if self.render_mode != "rgb_array":
            return None
        return self._env.render(0)

    def close(self) -> None:
        self._env.close()
