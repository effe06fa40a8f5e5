"""The batched task interface: one MJCF scene plus vectorised numpy logic over all rows.

A task never steps physics itself: `GroupVecEnv` owns the `mujoco.batch.Batch` (all rows of the env in
one batch) and calls the hooks below. Adding a task = one MJCF file in `envs/` plus one small module
with a `Task` subclass registered with `simrl.sim.registry.register_task`.

Step order used by the env, per call of `env.step(actions)`:
    pre = task.pre_step(batch, actions)          # write ctrl; capture anything the reward needs
    batch.step(nstep=task.frame_skip)            # physics, all rows
    reward, terminated, info = task.post_step(batch, actions, pre)
    obs = task.observe(batch)
Reset of rows: `task.reset_rows(batch, rows, rng)` writes the start state (qpos/qvel/...) and the
task's `episode_state` for those rows; the env then runs `batch.forward(rows)` and `task.after_reset`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from importlib import resources
from typing import Any, ClassVar

import gymnasium as gym
import mujoco
import numpy as np


def asset_path(name: str) -> str:
    """Absolute path of a file in `envs/` (the `simrl.assets` package), checkout or installed."""
    return str(resources.files("simrl.assets").joinpath(name))


class Task(ABC):
    """Vectorised task logic over `num_envs` rows of one `mujoco.batch.Batch`.

    Subclasses set the class attributes and implement the abstract hooks. Every array they keep per
    row (goals, targets, counters that belong to the episode) lives in `self.episode_state`, a dict of
    arrays with leading dimension `num_envs`: the env copies it row-to-row in `clone_state`, so exact
    copies include the task's randomness, not only the physics.
    """

    id: ClassVar[str]
    xml: ClassVar[str]  # file name inside envs/
    frame_skip: ClassVar[int]
    max_episode_steps: ClassVar[int]
    has_success: ClassVar[bool] = False
    reward_threshold: ClassVar[float | None] = None

    observation_space: gym.spaces.Box
    action_space: gym.spaces.Box

    def __init__(self, model: mujoco.MjModel, num_envs: int, **options: Any) -> None:
        if options:
            raise ValueError(
                f"unknown option(s) {sorted(options)} for task {self.id!r}; it takes none"
            )
        self.model = model
        self.num_envs = num_envs
        self.episode_state: dict[str, np.ndarray] = {}
        self.options: dict[str, Any] = {}  # the options in effect, defaults filled in

    @classmethod
    def load_model(cls) -> mujoco.MjModel:
        """Compile the task's MJCF scene."""
        return mujoco.MjModel.from_xml_path(asset_path(cls.xml))

    def bind(self, batch: Any) -> None:  # noqa: B027 (optional hook)
        """Called once after the batch exists: cache `batch.bind(...)` views, expand model fields."""

    @abstractmethod
    def reset_rows(self, batch: Any, rows: np.ndarray, rng: np.random.Generator) -> None:
        """Write a fresh start state for `rows` (physics state and `episode_state`), drawn from rng."""

    def after_reset(self, batch: Any, rows: np.ndarray) -> None:  # noqa: B027 (optional hook)
        """Hook after `batch.forward(rows)` on reset rows (e.g. cache initial object positions)."""

    @abstractmethod
    def pre_step(self, batch: Any, actions: np.ndarray) -> Any:
        """Write controls for all rows from `actions` (num_envs, act_dim); return pre-step data."""

    @abstractmethod
    def post_step(
        self, batch: Any, actions: np.ndarray, pre: Any
    ) -> tuple[np.ndarray, np.ndarray, dict[str, np.ndarray]]:
        """Return (reward (n,), terminated (n,) bool, info of per-row arrays) after physics."""

    @abstractmethod
    def observe(self, batch: Any) -> np.ndarray:
        """Observations of all rows, (num_envs, obs_dim) float64."""

    # Goal-conditioned tasks (optional): what the agent moved and where the goal is, so a start
    # state can be given another goal (hindsight start states, `simrl.sim.adaptive_starts`).
    has_goal: ClassVar[bool] = False
    # Tasks with an arm and an object (optional): where the grip point is, where it would be just
    # above the object, and a way to move it, so a start state can have the arm moved nearer
    # (the `arm_steps` starts of `simrl.sim.adaptive_starts`).
    has_approach: ClassVar[bool] = False

    def approach(self) -> tuple[np.ndarray, np.ndarray]:
        """(grip point, a point just above the object) of all rows, each (num_envs, 3)."""
        raise NotImplementedError(f"task {self.id!r} has no arm and object")

    def place_grip(self, rows: np.ndarray, grip: np.ndarray) -> None:
        """Move the arm of `rows` (at rest) so its grip point is at `grip` (len(rows), 3)."""
        raise NotImplementedError(f"task {self.id!r} has no arm and object")

    def achieved_goal(self) -> np.ndarray:
        """What the goal is compared with, all rows (num_envs, goal_dim): e.g. the cube position."""
        raise NotImplementedError(f"task {self.id!r} has no goal")

    def desired_goal(self) -> np.ndarray:
        """The goal of all rows (num_envs, goal_dim), comparable with `achieved_goal`."""
        raise NotImplementedError(f"task {self.id!r} has no goal")

    def set_goal(self, rows: np.ndarray, goal: np.ndarray) -> None:
        """Give `rows` the goal `goal` (len(rows), goal_dim): episode state and goal marker."""
        raise NotImplementedError(f"task {self.id!r} has no goal")
