"""simrl/Reach-v0: bring the arm's grip point to a random 3D target.

Scene `envs/reach.xml` (arm of `arm_common.xml` plus a goal marker). Control: see
`simrl.sim.tasks.arm` (3-D end-effector displacement, <= 2.5 cm per step, 25 Hz; the fingers stay
closed). Episodes: 50 steps (2 s), truncation only.

Observation (23, float64): arm joint angles (5), finger positions (2), arm joint velocities (5),
finger velocities (2), grip point (3), goal (3), goal - grip point (3).
Reward (option `reward`): "distance" (default) -d, d = distance grip point to goal in metres
(term `distance`); "sparse" (also `sparse=True`) 1.0 on steps where d < 2 cm, else 0.0 (term
`success`). Terms are in `info["reward/<term>"]`.
Success (`info["is_success"]`, per row and step): d < 0.02 m. `info["distance"]` holds d.
Reset: the grip point starts at rest at (0.30, 0.00, 0.20) + U(-3, 3) cm per axis; the goal is
uniform in x [0.20, 0.45], y [-0.20, 0.20], z [0.05, 0.30] (m; table top is z = 0, arm base at the
origin), stored in `episode_state["goal"]`.
"""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import mujoco
import numpy as np

from simrl.sim.registry import register_task
from simrl.sim.tasks.arm import ArmTask

GOAL_LOW = np.array([0.20, -0.20, 0.05])
GOAL_HIGH = np.array([0.45, 0.20, 0.30])
SUCCESS_DIST = 0.02


@register_task
class ReachTask(ArmTask):
    """Reach a random 3D target with the grip point (see the module docstring)."""

    id = "simrl/Reach-v0"
    xml = "reach.xml"
    max_episode_steps = 50
    render_camera = "overview"

    def __init__(self, model: mujoco.MjModel, num_envs: int, **options: Any) -> None:
        super().__init__(model, num_envs, **options)
        self.episode_state["goal"] = np.zeros((num_envs, 3))
        self.observation_space = gym.spaces.Box(-np.inf, np.inf, (23,), np.float64)
        self.action_space = gym.spaces.Box(-1.0, 1.0, (3,), np.float32)

    def reset_rows(self, batch: Any, rows: np.ndarray, rng: np.random.Generator) -> None:
        self.reset_arm(batch, rows, rng, fingers=0.0)
        goal = rng.uniform(GOAL_LOW, GOAL_HIGH, size=(len(rows), 3))
        self.episode_state["goal"][rows] = goal
        self.set_goal_marker(rows, goal)

    def post_step(
        self, batch: Any, actions: np.ndarray, pre: Any
    ) -> tuple[np.ndarray, np.ndarray, dict[str, np.ndarray]]:
        d = np.linalg.norm(self.episode_state["goal"] - self.grip_pos(), axis=1)
        success = d < SUCCESS_DIST
        info: dict[str, np.ndarray] = {"is_success": success, "distance": d}
        reward = self.total_reward({"distance": -d}, success, info)
        return reward, np.zeros(self.num_envs, bool), info

    def observe(self, batch: Any) -> np.ndarray:
        grip = self.grip_pos()
        goal = self.episode_state["goal"]
        return np.concatenate([self.proprio(), grip, goal, goal - grip], axis=1)
