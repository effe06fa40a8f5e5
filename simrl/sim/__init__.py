"""Batched MuJoCo simulation with exact-state groups (see simrl.sim.group_base for semantics).

env = make_group_env("Pusher-v5", num_groups=4, group_size=8, seed=0)
obs, info = env.reset()
obs, reward, terminated, truncated, info = env.step(actions)

Importing simrl.sim before mujoco on a host without a display selects MuJoCo's EGL offscreen
backend (MUJOCO_GL=egl) so `env.render(row)` works headless.
"""

import os

if "MUJOCO_GL" not in os.environ and not os.environ.get("DISPLAY"):
    os.environ["MUJOCO_GL"] = "egl"

from simrl.sim.arg_checks import AUTORESET_MODES
from simrl.sim.batched import GroupVecEnv
from simrl.sim.group_base import GroupEnv
from simrl.sim.make import make_group_env
from simrl.sim.registry import available_envs, discover_tasks, get_task, register_task
from simrl.sim.task import Task, asset_path

discover_tasks()

__all__ = [
    "AUTORESET_MODES",
    "GroupEnv",
    "GroupVecEnv",
    "Task",
    "asset_path",
    "available_envs",
    "get_task",
    "make_group_env",
    "register_task",
]
