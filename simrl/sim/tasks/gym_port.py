"""What the batched ports of Gymnasium's MuJoCo tasks (Reacher-v5, Pusher-v5) share: the action
box from the actuators, the model's rest state, and the state arrays their hooks read."""

from __future__ import annotations

from typing import Any

import mujoco
import numpy as np
from gymnasium.spaces import Box

from simrl.sim.task import Task


def ctrl_box(model: mujoco.MjModel) -> Box:
    """Action space from the actuators' ctrlrange, float32 as in Gymnasium's MujocoEnv."""
    bounds = model.actuator_ctrlrange.copy().astype(np.float32)
    return Box(low=bounds[:, 0], high=bounds[:, 1], dtype=np.float32)


class GymPortTask(Task):
    """A port of a Gymnasium MuJoCo env: `obs_dim`-wide float64 observations, the actuators'
    ctrlrange as the action box, Gymnasium's `init_qpos`/`init_qvel`, and qpos, qvel, ctrl and
    xpos bound for the hooks."""

    obs_dim = 0

    def __init__(self, model: mujoco.MjModel, num_envs: int, **options: Any) -> None:
        super().__init__(model, num_envs, **options)
        self.observation_space = Box(-np.inf, np.inf, shape=(self.obs_dim,), dtype=np.float64)
        self.action_space = ctrl_box(model)
        self.init_qpos = model.qpos0.copy()
        self.init_qvel = np.zeros(model.nv)

    def bind(self, batch: Any) -> None:
        self.qpos = batch.bind("qpos")
        self.qvel = batch.bind("qvel")
        self.ctrl = batch.bind("ctrl")
        self.xpos = batch.bind("xpos")
