"""GroupVecEnv: a batched `Task` on one `mujoco.batch.Batch` holding every row of the env.

Exact copies move whole mjSTATE_INTEGRATION rows (`batch.state[dst] = batch.state[src]`), the task's
`episode_state` rows and the rows of any per-simulation (expanded) model field, so domain-randomized
rows copy exactly too. Observation/reward code is the task's vectorised numpy over `batch.bind`
views; the step has no per-row Python.
"""

from __future__ import annotations

from typing import Any

import mujoco
import numpy as np
from mujoco.batch import MODEL_FIELDS, Batch, SimulationError

from simrl.sim.group_base import GroupEnv
from simrl.sim.task import Task

_BAD_WARNINGS = [
    int(mujoco.mjtWarning.mjWARN_BADQACC),
    int(mujoco.mjtWarning.mjWARN_BADQPOS),
    int(mujoco.mjtWarning.mjWARN_BADQVEL),
    int(mujoco.mjtWarning.mjWARN_BADCTRL),
]


class GroupVecEnv(GroupEnv):
    """`num_groups * group_size` rows of a batched task, stepped on `num_threads` threads."""

    def __init__(
        self,
        task_cls: type[Task],
        num_groups: int = 1,
        group_size: int = 1,
        seed: int | None = 0,
        num_threads: int = 1,
        autoreset_mode: str = "next_step",
        **task_options: Any,
    ) -> None:
        model = task_cls.load_model()
        n = int(num_groups) * int(group_size)
        task = task_cls(model, n, **task_options)
        super().__init__(
            env_id=task_cls.id,
            num_groups=num_groups,
            group_size=group_size,
            seed=seed,
            autoreset_mode=autoreset_mode,
            observation_space=task.observation_space,
            action_space=task.action_space,
            max_episode_steps=task_cls.max_episode_steps,
            has_success=task_cls.has_success,
        )
        self.task = task
        self.model = model
        self.num_threads = int(num_threads)
        self.batch = Batch(model, n, self.num_threads)
        self.task.bind(self.batch)
        self._state = self.batch.state
        self._warning = self.batch.warning
        self._renderer: mujoco.Renderer | None = None
        self.dt = float(model.opt.timestep) * task_cls.frame_skip
        self.metadata["render_fps"] = int(np.round(1.0 / self.dt))

    # ------------------------------------------------------------------ backend hooks
    def _expanded_fields(self) -> list[str]:
        return [name for name in MODEL_FIELDS if self.batch.expanded(name) is not None]

    def _copy_rows(self, src: np.ndarray, dst: np.ndarray) -> None:
        self._state[dst] = self._state[src]
        for arr in self.task.episode_state.values():
            arr[dst] = arr[src]
        for name in self._expanded_fields():
            field = self.batch.expand(name)
            field[dst] = field[src]

    def _b_reset_groups(self, groups: np.ndarray) -> None:
        rows = self.group_rows(groups)
        leaders = groups * self.group_size
        self.batch.reset(rows, stage=mujoco.mjtStage.mjSTAGE_NONE)
        self.task.reset_rows(self.batch, leaders, self._rng)
        if self.group_size > 1:
            self._copy_rows(np.repeat(leaders, self.group_size), rows)
        self.batch.forward(rows)
        self.task.after_reset(self.batch, rows)
        self._obs[rows] = self.task.observe(self.batch)[rows]

    def _b_step(
        self, actions: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, dict[str, np.ndarray], np.ndarray]:
        task = self.task
        pre = task.pre_step(self.batch, actions)
        failed = None
        try:
            self.batch.step(nstep=task.frame_skip)
        except SimulationError as err:
            failed = err.ids
        reward, terminated, info = task.post_step(self.batch, actions, pre)
        self._obs[:] = task.observe(self.batch)
        diverged = self._warning[:, _BAD_WARNINGS, 1].any(axis=1)
        diverged |= ~np.isfinite(self._state).all(axis=1)
        diverged |= ~np.isfinite(reward)
        if failed is not None:
            diverged[failed] = True
        return (
            self._obs,
            np.array(reward, np.float64),  # copies: the env edits them in place
            np.array(terminated, bool),
            info,
            diverged,
        )

    def _b_copy(self, src: np.ndarray, dst: np.ndarray) -> None:
        self._copy_rows(src, dst)

    def _b_get(self, rows: np.ndarray) -> dict[str, Any]:
        return {
            "state": self._state[rows].copy(),
            "episode_state": {k: v[rows].copy() for k, v in self.task.episode_state.items()},
            "expanded": {n: self.batch.expand(n)[rows].copy() for n in self._expanded_fields()},
        }

    def _b_set(self, rows: np.ndarray, snap: dict[str, Any]) -> None:
        if snap["state"].shape[1] != self._state.shape[1]:
            raise ValueError(
                f"snapshot state has {snap['state'].shape[1]} values per row, "
                f"this env {self._state.shape[1]}"
            )
        self._state[rows] = snap["state"]
        for k, v in snap["episode_state"].items():
            self.task.episode_state[k][rows] = v
        for name, v in snap.get("expanded", {}).items():
            self.batch.expand(name)[rows] = v

    def _b_achieved_goal(self, rows: np.ndarray) -> np.ndarray | None:
        return self.task.achieved_goal()[rows] if self.task.has_goal else None

    def _b_desired_goal(self, rows: np.ndarray) -> np.ndarray | None:
        return self.task.desired_goal()[rows] if self.task.has_goal else None

    def _b_set_goal(self, rows: np.ndarray, goal: np.ndarray) -> None:
        self.task.set_goal(rows, goal)
        self.batch.forward(rows)
        self._obs[rows] = self.task.observe(self.batch)[rows]

    def _b_approach(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
        if not self.task.has_approach:
            return None
        grip, above = self.task.approach()
        return grip[rows].copy(), above[rows].copy()

    def _b_place_grip(self, rows: np.ndarray, grip: np.ndarray) -> None:
        self.task.place_grip(rows, grip)
        self.batch.forward(rows)
        self._obs[rows] = self.task.observe(self.batch)[rows]

    def task_options(self) -> dict[str, Any]:
        return dict(self.task.options)

    # ------------------------------------------------------------------ rendering
    def render(self, row: int = 0, width: int = 480, height: int = 480) -> np.ndarray:
        """RGB frame (H, W, 3) uint8 of one row (offscreen; set MUJOCO_GL=egl on headless hosts)."""
        row = int(self._check_rows([row])[0])
        model = self.batch.get_model(row)
        data = self.batch.get_data(row)
        mujoco.mj_forward(model, data)
        if self._renderer is None:
            self._renderer = mujoco.Renderer(model, height, width)
        camera = getattr(self.task, "render_camera", -1)
        self._renderer.update_scene(data, camera=camera)
        return self._renderer.render().copy()

    def close(self, **kwargs: Any) -> None:
        if self._renderer is not None:
            self._renderer.close()
            self._renderer = None
        self.closed = True
