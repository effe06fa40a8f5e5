"""Pusher-v5, batched: Gymnasium's `pusher_v5.py` logic vectorised over rows (same MJCF).

Parity: observations and rewards equal Gymnasium's bit for bit from the same state and actions
(tests/sim/test_parity.py). The reward is the code's, not the docstring's:
-dist(obj, goal) - 0.1 * sum(a^2) - 0.5 * dist(obj, tip).
"""

from __future__ import annotations

from typing import Any

import mujoco
import numpy as np

from simrl.sim.registry import register_task
from simrl.sim.sampling import rejection_sample
from simrl.sim.tasks.gym_port import GymPortTask
from simrl.sim.vecmath import row_norm


@register_task
class PusherTask(GymPortTask):
    """7-DoF arm pushing a cylinder to the goal at the origin; truncation at 100 steps."""

    id = "Pusher-v5"
    xml = "pusher.xml"
    frame_skip = 5
    max_episode_steps = 100
    reward_threshold = 0.0
    render_camera = -1
    obs_dim = 23

    def __init__(
        self,
        model: mujoco.MjModel,
        num_envs: int,
        reward_near_weight: float = 0.5,
        reward_dist_weight: float = 1,
        reward_control_weight: float = 0.1,
        **options: Any,
    ) -> None:
        super().__init__(model, num_envs, **options)
        self.reward_near_weight = reward_near_weight
        self.reward_dist_weight = reward_dist_weight
        self.reward_control_weight = reward_control_weight
        self.tips = model.body("tips_arm").id
        self.object = model.body("object").id
        self.goal = model.body("goal").id
        self.episode_state = {"cylinder_pos": np.zeros((num_envs, 2))}

    def reset_rows(self, batch: Any, rows: np.ndarray, rng: np.random.Generator) -> None:
        k, nv = len(rows), self.model.nv
        goal_pos = np.zeros(2)
        cylinder = rejection_sample(
            lambda m: np.stack(
                [rng.uniform(-0.3, 0, size=m), rng.uniform(-0.2, 0.2, size=m)], axis=1
            ),
            lambda c: np.linalg.norm(c - goal_pos, axis=1) > 0.17,
            k,
        )
        qpos = np.repeat(self.init_qpos[None], k, axis=0)
        qpos[:, -4:-2] = cylinder
        qpos[:, -2:] = goal_pos
        qvel = self.init_qvel + rng.uniform(-0.005, 0.005, size=(k, nv))
        qvel[:, -4:] = 0
        self.qpos[rows] = qpos
        self.qvel[rows] = qvel
        self.episode_state["cylinder_pos"][rows] = cylinder

    def pre_step(self, batch: Any, actions: np.ndarray) -> None:
        self.ctrl[:] = actions

    def post_step(
        self, batch: Any, actions: np.ndarray, pre: Any
    ) -> tuple[np.ndarray, np.ndarray, dict[str, np.ndarray]]:
        obj = self.xpos[:, self.object]
        reward_near = -row_norm(obj - self.xpos[:, self.tips]) * (self.reward_near_weight)
        reward_dist = -row_norm(obj - self.xpos[:, self.goal]) * (self.reward_dist_weight)
        reward_ctrl = -np.square(actions).sum(axis=1) * self.reward_control_weight
        reward = reward_dist + reward_ctrl + reward_near
        info = {"reward_dist": reward_dist, "reward_ctrl": reward_ctrl, "reward_near": reward_near}
        return reward, np.zeros(self.num_envs, bool), info

    def observe(self, batch: Any) -> np.ndarray:
        return np.concatenate(
            [
                self.qpos[:, :7],
                self.qvel[:, :7],
                self.xpos[:, self.tips],
                self.xpos[:, self.object],
                self.xpos[:, self.goal],
            ],
            axis=1,
        )
