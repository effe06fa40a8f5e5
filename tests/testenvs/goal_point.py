"""GoalPoint: a small goal-conditioned `MujocoEnv` whose episode state lives in Python.

A point mass on a plane (two damped slide joints, two motors in [-1, 1]) must reach a goal. All
that a copy of MjData alone would miss is held in Python attributes, and the reward and
observation read it, so a row copy that skips any of it shows at once:

- ``goal``: drawn at reset from ``self.np_random`` in [-goal_range, goal_range]^2 (not in MjData);
- ``steps``: a step counter (its fraction of the episode is in the observation);
- ``prev_distance``: the previous distance to the goal (the reward's progress term);
- ``start``: the start position (``info["travelled"]``);
- ``episodes``: resets of this env object, never cleared (``info["episodes"]``);
- ``layout``: a helper object built once (a `GoalLayout`), static like a maze layout.

Observation: a Dict with ``observation`` (qpos, qvel, steps / 50), ``achieved_goal`` (qpos) and
``desired_goal`` (the goal). Reward: ``-distance + progress_weight * (prev_distance - distance)``
plus 1 on success; ``info["is_success"]`` when the distance is below ``tolerance``. Episodes are
50 steps (registered ``max_episode_steps``). With ``edit_model=True`` every reset also edits the
MjModel (the point's mass and the goal marker's position), as domain randomisation does. With
``crash_after_resets=K`` the env raises at its (K+1)-th reset: a run that fails while running.

Also registered: a factory entry point (`FACTORY_ID`), GoalPoint inside a wrapper with state
(`WRAPPED_ID`, refused by the generic path) and `NestedGoalPointEnv` (`NESTED_ID`), an env that
drives an inner GoalPoint env held in an attribute, as gymnasium-robotics' maze envs drive an Ant.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium import spaces
from gymnasium.envs.mujoco import MujocoEnv

GOAL_POINT_ID = "simrl_test/GoalPoint-v0"
FACTORY_ID = "simrl_test/GoalPointFactory-v0"  # callable entry point: the id check builds one
WRAPPED_ID = "simrl_test/GoalPointWrapped-v0"  # wrapped by its registration: refused
NESTED_ID = "simrl_test/NestedGoalPoint-v0"  # the MuJoCo env is an attribute of the env
XML = Path(__file__).with_name("goal_point.xml")
EPISODE_STEPS = 50


class GoalLayout:
    """A plain helper object (not encodable as arrays): the goal region, built once per env."""

    def __init__(self, goal_range: float, tolerance: float) -> None:
        self.bounds = {"low": -goal_range, "high": goal_range}
        self.tolerance = tolerance


class GoalPointEnv(MujocoEnv):
    """Reach a goal drawn in Python with a point mass (see the module docstring)."""

    metadata = {
        "render_modes": ["human", "rgb_array", "depth_array", "rgbd_tuple"],
        "render_fps": 20,
    }

    def __init__(
        self,
        goal_range: float = 0.3,
        tolerance: float = 0.05,
        progress_weight: float = 10.0,
        edit_model: bool = False,
        crash_after_resets: int = 0,
        **kwargs: Any,
    ) -> None:
        assert goal_range > 0, f"goal_range must be positive, got {goal_range}"
        box = {"dtype": np.float64}
        observation_space = spaces.Dict(
            {
                "observation": spaces.Box(-np.inf, np.inf, (5,), **box),
                "achieved_goal": spaces.Box(-np.inf, np.inf, (2,), **box),
                "desired_goal": spaces.Box(-np.inf, np.inf, (2,), **box),
            }
        )
        super().__init__(str(XML), 5, observation_space, **kwargs)
        self.goal_range = float(goal_range)
        self.tolerance = float(tolerance)
        self.progress_weight = float(progress_weight)
        self.edit_model = bool(edit_model)
        self.crash_after_resets = int(crash_after_resets)  # > 0: a run-time failure for tests
        self.layout = GoalLayout(self.goal_range, self.tolerance)
        self.goal = np.zeros(2)
        self.start = np.zeros(2)
        self.steps = 0
        self.prev_distance = 0.0
        self.episodes = 0

    def _distance(self) -> float:
        return float(np.linalg.norm(self.data.qpos - self.goal))

    def _get_obs(self) -> dict[str, np.ndarray]:
        qpos, qvel = self.data.qpos, self.data.qvel
        return {
            "observation": np.concatenate([qpos, qvel, [self.steps / EPISODE_STEPS]]),
            "achieved_goal": qpos.copy(),
            "desired_goal": self.goal.copy(),
        }

    def _info(self, distance: float) -> dict[str, Any]:
        return {
            "is_success": distance < self.tolerance,
            "distance": distance,
            "travelled": float(np.linalg.norm(self.data.qpos - self.start)),
            "episodes": self.episodes,
        }

    def reset_model(self) -> dict[str, np.ndarray]:
        self.episodes += 1
        if 0 < self.crash_after_resets < self.episodes:
            raise RuntimeError(f"GoalPoint crashed at reset {self.episodes} (crash_after_resets)")
        bounds = self.layout.bounds
        self.goal = self.np_random.uniform(bounds["low"], bounds["high"], size=2)
        if self.edit_model:  # per-episode model edits: they change the physics and the marker
            self.model.body_mass[1] = self.np_random.uniform(0.05, 0.2)
            self.model.site_pos[0, :2] = self.goal
        qpos = self.init_qpos + self.np_random.uniform(-0.02, 0.02, size=self.model.nq)
        self.set_state(qpos, self.init_qvel.copy())
        self.start = self.data.qpos.copy()
        self.steps = 0
        self.prev_distance = self._distance()
        return self._get_obs()

    def _get_reset_info(self) -> dict[str, Any]:
        return self._info(self.prev_distance)

    def step(self, action: np.ndarray) -> tuple[dict[str, np.ndarray], float, bool, bool, dict]:
        self.do_simulation(action, self.frame_skip)
        self.steps += 1
        distance = self._distance()
        progress = self.prev_distance - distance
        self.prev_distance = distance
        info = self._info(distance)
        reward = -distance + self.progress_weight * progress + float(info["is_success"])
        return self._get_obs(), reward, False, False, info


class NestedGoalPointEnv(gym.Env):
    """An env whose MuJoCo env is an attribute (``inner``); ``model``/``data`` are properties.

    It keeps Python state of its own too: ``bonus`` grows by one each step and is added to the
    reward, and reset clears it.
    """

    metadata = {"render_modes": []}

    def __init__(self, **kwargs: Any) -> None:
        self.inner = GoalPointEnv(**kwargs)
        self.observation_space = self.inner.observation_space
        self.action_space = self.inner.action_space
        self.bonus = 0

    @property
    def model(self) -> Any:
        return self.inner.model

    @property
    def data(self) -> Any:
        return self.inner.data

    @property
    def dt(self) -> float:
        return self.inner.dt

    def reset(self, *, seed: int | None = None, options: dict | None = None) -> tuple:
        super().reset(seed=seed)
        self.bonus = 0
        return self.inner.reset(seed=seed)

    def step(self, action: np.ndarray) -> tuple:
        obs, reward, terminated, truncated, info = self.inner.step(action)
        self.bonus += 1
        return obs, reward + 0.01 * self.bonus, terminated, truncated, info

    def close(self) -> None:
        self.inner.close()


def make_goal_point(**kwargs: Any) -> GoalPointEnv:
    """A factory entry point (not a class): deciding that it is MuJoCo-based needs one build."""
    return GoalPointEnv(**kwargs)


def make_wrapped(**kwargs: Any) -> gym.Env:
    """GoalPoint inside a wrapper with state of its own (a running reward scale)."""
    return gym.wrappers.NormalizeReward(GoalPointEnv(**kwargs))


for _id, _entry in (
    (GOAL_POINT_ID, GoalPointEnv),
    (FACTORY_ID, make_goal_point),
    (WRAPPED_ID, make_wrapped),
    (NESTED_ID, NestedGoalPointEnv),
):
    if _id not in gym.registry:
        gym.register(id=_id, entry_point=_entry, max_episode_steps=EPISODE_STEPS)
