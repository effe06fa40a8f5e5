"""Generic path: any Gymnasium MuJoCo env id, one Gymnasium env per row, same GroupEnv API.

Exact copies: qpos/qvel are not the whole state (Ant-v5 drifts ~1e-9 from the first step after a
qpos/qvel-only copy: contacts use the solver warm start, and time/act/ctrl matter too). A row copy
here takes the full MjData (`mj_copyData`: the mjSTATE_INTEGRATION state plus the derived fields
some rewards read before stepping, e.g. Ant's x_position_before from xpos), the env's `np_random`
(next reset's randomness) and the step counter (the env's TimeLimit is replaced by GroupEnv's own
counter with the same max_episode_steps). Snapshots also carry the mjSTATE_INTEGRATION rows.
"""

from __future__ import annotations

import copy
from typing import Any

import gymnasium as gym
import mujoco
import numpy as np

from simrl.sim.group_base import GroupEnv
from simrl.sim.sampling import generator_from_state

_INTEGRATION = mujoco.mjtState.mjSTATE_INTEGRATION
_BAD_WARNINGS = [
    int(mujoco.mjtWarning.mjWARN_BADQACC),
    int(mujoco.mjtWarning.mjWARN_BADQPOS),
    int(mujoco.mjtWarning.mjWARN_BADQVEL),
    int(mujoco.mjtWarning.mjWARN_BADCTRL),
]


class GymGroupVecEnv(GroupEnv):
    """`num_groups * group_size` unwrapped Gymnasium MuJoCo envs, stepped in a Python loop."""

    def __init__(
        self,
        env_id: str,
        num_groups: int = 1,
        group_size: int = 1,
        seed: int | None = 0,
        autoreset_mode: str = "next_step",
        **env_options: Any,
    ) -> None:
        n = int(num_groups) * int(group_size)
        try:
            wrapped = [gym.make(env_id, disable_env_checker=True, **env_options) for _ in range(n)]
        except TypeError as err:
            raise ValueError(f"bad option for {env_id!r}: {err}") from None
        spec = wrapped[0].spec
        self.envs = [w.unwrapped for w in wrapped]
        e0 = self.envs[0]
        super().__init__(
            env_id=env_id,
            num_groups=num_groups,
            group_size=group_size,
            seed=seed,
            autoreset_mode=autoreset_mode,
            observation_space=e0.observation_space,
            action_space=e0.action_space,
            max_episode_steps=spec.max_episode_steps if spec else None,
            has_success=False,
        )
        self.model = e0.model
        self._options = dict(env_options)
        self.dt = float(e0.dt)
        self.metadata["render_fps"] = int(np.round(1.0 / self.dt))
        self._nstate = mujoco.mj_stateSize(self.model, _INTEGRATION)
        self._renderer: mujoco.Renderer | None = None

    # ------------------------------------------------------------------ helpers
    def _copy_env(self, src: int, dst: int) -> None:
        s, d = self.envs[src], self.envs[dst]
        mujoco.mj_copyData(d.data, d.model, s.data)
        d.np_random = copy.deepcopy(s.np_random)

    def integration_state(self, row: int) -> np.ndarray:
        """The mjSTATE_INTEGRATION vector of one row (what makes stepping exact)."""
        env = self.envs[row]
        out = np.empty(self._nstate)
        mujoco.mj_getState(env.model, env.data, out, _INTEGRATION)
        return out

    # ------------------------------------------------------------------ backend hooks
    def _b_reset_groups(self, groups: np.ndarray) -> None:
        for g in groups.tolist():
            lead = g * self.group_size
            seed = int(self._rng.integers(2**63 - 1))
            obs, _ = self.envs[lead].reset(seed=seed)
            self._obs[lead : lead + self.group_size] = obs
            for r in range(lead + 1, lead + self.group_size):
                self._copy_env(lead, r)

    def _b_step(
        self, actions: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, dict[str, np.ndarray], np.ndarray]:
        n = self.num_envs
        reward = np.zeros(n)
        terminated = np.zeros(n, bool)
        diverged = np.zeros(n, bool)
        infos = []
        for i, env in enumerate(self.envs):
            obs, r, term, _, info = env.step(actions[i])
            self._obs[i] = obs
            reward[i] = r
            terminated[i] = term
            infos.append(info)
            warn = env.data.warning
            diverged[i] = any(warn[k].number > 0 for k in _BAD_WARNINGS)
        diverged |= ~np.isfinite(self._obs).all(axis=1) | ~np.isfinite(reward)
        keys = [k for k, v in infos[0].items() if np.isscalar(v)] if infos else []
        info = {k: np.array([inf.get(k, np.nan) for inf in infos]) for k in keys}
        return self._obs, reward, terminated, info, diverged

    def _b_copy(self, src: np.ndarray, dst: np.ndarray) -> None:
        for s, d in zip(src.tolist(), dst.tolist(), strict=True):
            self._copy_env(s, d)

    def _b_get(self, rows: np.ndarray) -> dict[str, Any]:
        return {
            "state": np.stack([self.integration_state(r) for r in rows.tolist()]),
            "data": [copy.copy(self.envs[r].data) for r in rows.tolist()],
            "np_random": [copy.deepcopy(self.envs[r].np_random) for r in rows.tolist()],
        }

    def _b_export(self, rows: np.ndarray) -> dict[str, Any]:
        """Checkpoint-safe rows: integration state + RNG states (no MjData objects).

        Restoring it steps exactly; only derived fields that a reward reads before stepping (Ant's
        x_position_before) are recomputed at the current state, not one substep back, so the
        first reward after a restore may differ in the last digits.
        """
        return {
            "state": np.stack([self.integration_state(r) for r in rows.tolist()]),
            "np_random": [self.envs[r].np_random.bit_generator.state for r in rows.tolist()],
        }

    def _b_set(self, rows: np.ndarray, snap: dict[str, Any]) -> None:
        for k, r in enumerate(rows.tolist()):
            env = self.envs[r]
            if "data" in snap:
                mujoco.mj_copyData(env.data, env.model, snap["data"][k])
            else:  # integration state only: exact stepping, derived fields recomputed
                mujoco.mj_setState(env.model, env.data, snap["state"][k], _INTEGRATION)
                mujoco.mj_forward(env.model, env.data)
            rng = snap["np_random"][k]
            if isinstance(rng, dict):
                env.np_random = generator_from_state(rng)
            else:
                env.np_random = copy.deepcopy(rng)

    def task_options(self) -> dict[str, Any]:
        return dict(self._options)

    # ------------------------------------------------------------------ rendering
    def render(self, row: int = 0, width: int = 480, height: int = 480) -> np.ndarray:
        """RGB frame (H, W, 3) uint8 of one row (offscreen; MUJOCO_GL=egl on headless hosts)."""
        env = self.envs[int(self._check_rows([row])[0])]
        if self._renderer is None:
            self._renderer = mujoco.Renderer(env.model, height, width)
        self._renderer.update_scene(env.data, camera=-1)
        return self._renderer.render().copy()

    def close(self, **kwargs: Any) -> None:
        if self._renderer is not None:
            self._renderer.close()
            self._renderer = None
        for env in self.envs:
            env.close()
        self.closed = True
