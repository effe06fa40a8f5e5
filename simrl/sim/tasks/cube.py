"""CubeTask: what Push and PickPlace share (the 4 cm cube, its reset, observations, rewards).

Rewards (option `reward`, see `ArmTask`), one of:
  "staged"   (default) bounded stages in the style of manipulation benchmarks: each stage is a
             term in [0, 1] such as `1 - tanh(k * distance)`, weighted 1/n_terms so that one
             step's reward is in [0, 1]. The stages are task-specific (`staged_terms` of Push and
             PickPlace); the last is the success bonus. On a solved step every stage before the
             goal counts as complete (as in ManiSkill's dense rewards, nothing then rewards
             moving the arm around a cube that sits at the goal) while the goal stage keeps its
             distance term, so the cube is held well inside the goal rather than at its edge.
  "distance" the original shaping: -d(cube, goal) - 0.5 d(grip, cube) + 1[success]
             (terms `goal`, `grip`, `success`; unbounded below).
  "sparse"   1.0 on solved steps, else 0.0 (term `success`).
Each term is in `info["reward/<term>"]` per row and step; they add up to the reward.
"""

from __future__ import annotations

from typing import Any

import mujoco
import numpy as np

from simrl.sim.tasks.arm import CUBE_HALF, ArmTask, check_bool

__all__ = ["CUBE_HALF", "CUBE_SUCCESS_DIST", "CubeTask", "closeness"]

CUBE_SUCCESS_DIST = 0.05  # Push and PickPlace: cube within 5 cm of the goal
GOAL_GAIN = 5.0  # of the goal stage 1 - tanh(GOAL_GAIN * d(cube, goal))


def closeness(distance: np.ndarray, gain: float) -> np.ndarray:
    """Bounded stage term `1 - tanh(gain * distance)`: 1 at the target, towards 0 far away."""
    return 1.0 - np.tanh(gain * distance)


class CubeTask(ArmTask):
    """Arm task with the 4 cm cube (Push, PickPlace): cube reset, observations, domain randomization.

    Option `domain_randomization` (bool, default False): at each reset, draw per simulation the
    cube mass (0.05 kg x U(0.5, 2.0)) and its sliding friction (U(0.5, 1.2); the table has 0.5,
    the fingers 1.0 and MuJoCo uses the larger of two touching geoms). The draws live in
    `episode_state`, and are written into the batch's per-simulation model fields (`Batch.expand`)
    whenever a row's values differ from them, so exact copies of a row get its physics too.
    """

    CUBE_LOW = np.array([0.25, -0.15])  # cube start x, y range (on the table, yaw 0)
    CUBE_HIGH = np.array([0.45, 0.15])
    GOAL_MIN_DIST = 0.1  # goals are drawn at least this far (in x, y) from the cube start
    MASS_SCALE = (0.5, 2.0)
    FRICTION = (0.5, 1.2)
    reward_kinds = ("staged", "distance", "sparse")
    default_reward = "staged"
    goal_stage = "goal"  # the staged term that measures cube-to-goal distance

    def __init__(
        self,
        model: mujoco.MjModel,
        num_envs: int,
        sparse: bool = False,
        domain_randomization: bool = False,
        **options: Any,
    ):
        super().__init__(model, num_envs, sparse=sparse, **options)
        self.domain_randomization = check_bool(
            "domain_randomization", domain_randomization, self.id
        )
        self.options["domain_randomization"] = self.domain_randomization
        cube = model.joint("cube")
        self.cube_q = int(cube.qposadr[0])
        self.cube_v = int(cube.dofadr[0])
        self.cube_body = int(model.body("cube").id)
        self.cube_geom = int(model.geom("cube").id)
        self.base_mass = float(model.body_mass[self.cube_body])
        self.episode_state["goal"] = np.zeros((num_envs, 3))
        if self.domain_randomization:
            self.episode_state["cube_mass"] = np.full(num_envs, self.base_mass)
            self.episode_state["cube_friction"] = np.full(
                num_envs, float(model.geom_friction[self.cube_geom, 0])
            )

    def bind(self, batch: Any) -> None:
        super().bind(batch)
        self.batch = batch
        if self.domain_randomization:
            self.body_mass = batch.expand("body_mass")
            self.geom_friction = batch.expand("geom_friction")

    def reset_cube(self, rows: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """Place the cube at rest at a random spot on the table; return its (len(rows), 3) position."""
        xy = rng.uniform(self.CUBE_LOW, self.CUBE_HIGH, size=(len(rows), 2))
        pos = np.concatenate([xy, np.full((len(rows), 1), CUBE_HALF)], axis=1)
        qpos = self.qpos[rows]
        qpos[:, self.cube_q : self.cube_q + 3] = pos
        qpos[:, self.cube_q + 3 : self.cube_q + 7] = (1.0, 0.0, 0.0, 0.0)
        self.qpos[rows] = qpos
        if self.domain_randomization:
            es = self.episode_state
            es["cube_mass"][rows] = self.base_mass * rng.uniform(*self.MASS_SCALE, size=len(rows))
            es["cube_friction"][rows] = rng.uniform(*self.FRICTION, size=len(rows))
            self.apply_randomization()
        return pos

    def draw_table_xy(self, cube_xy: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """Goal x, y in the cube range, at least GOAL_MIN_DIST from cube_xy (rejection sampling)."""
        xy = rng.uniform(self.CUBE_LOW, self.CUBE_HIGH, size=cube_xy.shape)
        bad = np.linalg.norm(xy - cube_xy, axis=1) < self.GOAL_MIN_DIST
        while bad.any():
            xy[bad] = rng.uniform(self.CUBE_LOW, self.CUBE_HIGH, size=(int(bad.sum()), 2))
            bad = np.linalg.norm(xy - cube_xy, axis=1) < self.GOAL_MIN_DIST
        return xy

    def apply_randomization(self) -> None:
        """Write the episode's cube mass/friction into rows whose model values differ."""
        es = self.episode_state
        stale = (self.body_mass[:, self.cube_body] != es["cube_mass"]) | (
            self.geom_friction[:, self.cube_geom, 0] != es["cube_friction"]
        )
        if stale.any():
            rows = np.flatnonzero(stale)
            self.body_mass[rows, self.cube_body] = es["cube_mass"][rows]
            self.geom_friction[rows, self.cube_geom, 0] = es["cube_friction"][rows]
            self.batch.set_const(rows)

    def pre_step(self, batch: Any, actions: np.ndarray) -> None:
        if self.domain_randomization:
            self.apply_randomization()
        return super().pre_step(batch, actions)

    def cube_pos(self) -> np.ndarray:
        return self.qpos[:, self.cube_q : self.cube_q + 3]

    has_goal = True
    goal_marker_offset = np.zeros(3)  # goal marker position - goal

    def achieved_goal(self) -> np.ndarray:
        return self.cube_pos().copy()

    has_approach = True
    APPROACH_LIFT = 0.06  # the approach point: this far above the cube's centre (m)

    def approach(self) -> tuple[np.ndarray, np.ndarray]:
        above = self.cube_pos() + np.array([0.0, 0.0, self.APPROACH_LIFT])
        return self.grip_pos(), above

    def desired_goal(self) -> np.ndarray:
        return self.episode_state["goal"].copy()

    def set_goal(self, rows: np.ndarray, goal: np.ndarray) -> None:
        self.episode_state["goal"][rows] = goal
        self.set_goal_marker(rows, goal + self.goal_marker_offset)

    def cube_obs(self, grip: np.ndarray) -> np.ndarray:
        """(n, 22): cube pos (3), quat (4), lin vel (3), ang vel (3), cube - grip (3),
        goal (3), goal - cube (3)."""
        cube = self.cube_pos()
        goal = self.episode_state["goal"]
        return np.concatenate(
            [
                cube,
                self.qpos[:, self.cube_q + 3 : self.cube_q + 7],
                self.qvel[:, self.cube_v : self.cube_v + 6],
                cube - grip,
                goal,
                goal - cube,
            ],
            axis=1,
        )

    def staged_terms(
        self, grip: np.ndarray, cube: np.ndarray, d_goal: np.ndarray, success: np.ndarray
    ) -> dict[str, np.ndarray]:
        """The task's weighted stage terms of the "staged" reward (each task defines its own)."""
        raise NotImplementedError

    def post_step(
        self, batch: Any, actions: np.ndarray, pre: Any
    ) -> tuple[np.ndarray, np.ndarray, dict[str, np.ndarray]]:
        """Reward of the chosen kind (module docstring) and its terms; never terminates."""
        cube = self.cube_pos()
        grip = self.grip_pos()
        d_goal = np.linalg.norm(self.episode_state["goal"] - cube, axis=1)
        success = d_goal < CUBE_SUCCESS_DIST
        info: dict[str, np.ndarray] = {"is_success": success, "distance": d_goal}
        if self.reward_kind == "staged":
            terms = self.staged_terms(grip, cube, d_goal, success)
            # on a solved step every stage before the goal counts as complete, so nothing pulls
            # the arm around (or off) a cube that already sits at the goal; the goal stage keeps
            # its distance term, so the cube is held well inside the goal, not at its edge
            full = 1.0 / len(terms)
            goal_term = closeness(d_goal, GOAL_GAIN) * full
            terms = {
                k: np.where(success, goal_term if k == self.goal_stage else full, v)
                for k, v in terms.items()
            }
        else:
            terms = {
                "goal": -d_goal,
                "grip": -0.5 * np.linalg.norm(cube - grip, axis=1),
                "success": success.astype(np.float64),
            }
        reward = self.total_reward(terms, success, info)
        return reward, np.zeros(self.num_envs, bool), info

    def observe(self, batch: Any) -> np.ndarray:
        grip = self.grip_pos()
        return np.concatenate([self.proprio(), grip, self.cube_obs(grip)], axis=1)
