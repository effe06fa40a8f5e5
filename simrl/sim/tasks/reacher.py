"""Reacher-v5, batched: Gymnasium's `reacher_v5.py` logic vectorised over rows (same MJCF).

Parity: observations and rewards equal Gymnasium's bit for bit from the same state and actions
(tests/sim/test_parity.py). Like Gymnasium, observations and rewards read `xpos`, which after a step
describes the state one substep earlier (mj_step semantics, kept by `mujoco.batch`).
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
class ReacherTask(GymPortTask):
    """Two-link arm reaching a random target in a disc of radius 0.2; truncation at 50 steps."""

    id = "Reacher-v5"
    xml = "reacher.xml"
    frame_skip = 2
    max_episode_steps = 50
    reward_threshold = -3.75
    render_camera = -1
    obs_dim = 10

    def __init__(
        self,
        model: mujoco.MjModel,
        num_envs: int,
        reward_dist_weight: float = 1,
        reward_control_weight: float = 1,
        **options: Any,
    ) -> None:
        super().__init__(model, num_envs, **options)
        self.reward_dist_weight = reward_dist_weight
        self.reward_control_weight = reward_control_weight
        self.tip = model.body("fingertip").id
        self.target = model.body("target").id
        self.episode_state = {"goal": np.zeros((num_envs, 2))}

    def reset_rows(self, batch: Any, rows: np.ndarray, rng: np.random.Generator) -> None:
        k, nq, nv = len(rows), self.model.nq, self.model.nv
        qpos = rng.uniform(-0.1, 0.1, size=(k, nq)) + self.init_qpos
        goal = rejection_sample(
            lambda m: rng.uniform(-0.2, 0.2, size=(m, 2)),
            lambda g: np.linalg.norm(g, axis=1) < 0.2,
            k,
        )
        qpos[:, -2:] = goal
        qvel = self.init_qvel + rng.uniform(-0.005, 0.005, size=(k, nv))
        qvel[:, -2:] = 0
        self.qpos[rows] = qpos
        self.qvel[rows] = qvel
        self.episode_state["goal"][rows] = goal

    def pre_step(self, batch: Any, actions: np.ndarray) -> None:
        self.ctrl[:] = actions

    def _tip_to_target(self) -> np.ndarray:
        return self.xpos[:, self.tip] - self.xpos[:, self.target]

    def post_step(
        self, batch: Any, actions: np.ndarray, pre: Any
    ) -> tuple[np.ndarray, np.ndarray, dict[str, np.ndarray]]:
        reward_dist = -row_norm(self._tip_to_target()) * self.reward_dist_weight
        reward_ctrl = -np.square(actions).sum(axis=1) * self.reward_control_weight
        reward = reward_dist + reward_ctrl
        info = {"reward_dist": reward_dist, "reward_ctrl": reward_ctrl}
        return reward, np.zeros(self.num_envs, bool), info

    def observe(self, batch: Any) -> np.ndarray:
        theta = self.qpos[:, :2]
        return np.concatenate(
            [
                np.cos(theta),
                np.sin(theta),
                self.qpos[:, 2:],
                self.qvel[:, :2],
                self._tip_to_target()[:, :2],
            ],
            axis=1,
        )
