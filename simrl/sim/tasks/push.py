"""simrl/Push-v0: push the 4 cm cube across the table to a random goal.

Scene `envs/push.xml` (arm of `arm_common.xml`, a free 4 cm, 50 g cube, a goal marker). Control:
see `simrl.sim.tasks.arm` (3-D end-effector displacement, <= 2.5 cm per step, 25 Hz; the fingers
stay closed and form the pusher). Episodes: 100 steps (4 s), truncation only.

Observation (39, float64): arm joint angles (5), finger positions (2), arm joint velocities (5),
finger velocities (2), grip point (3), cube position (3), cube quaternion (4), cube linear (3) and
angular (3) velocity, cube - grip point (3), goal (3), goal - cube (3).
Reward (option `reward`, default "staged"; every term is in `info["reward/<term>"]`):
  "staged"   (reach + push + success) / 3, each stage in [0, 1], so a step's reward is in [0, 1]:
             reach   = 1 - tanh(5 * d(grip point, push point)), the push point being 4 cm behind
                       the cube centre on the line from the goal through the cube, 3 cm above the
                       table (where the closed fingers touch the cube's far side);
             push    = 1 - tanh(5 * d_goal);
             success = 1 when d_goal < 5 cm; on a solved step reach counts as complete, so
                       the reward is (2 + push) / 3.
  "distance" -d_goal - 0.5 * d_grip + 1.0 * success (terms goal, grip, success; the original
             shaping), d_grip = distance grip point to cube (m).
  "sparse"   1.0 on solved steps, else 0.0 (also `sparse=True`).
Success (`info["is_success"]`): d_goal < 0.05 m, d_goal = distance cube to goal (m).
`info["distance"]` holds d_goal.
Option `approach` ("above" or "push", default "above"): the point the arm is moved toward in the
adaptive curriculum's reset variants (`curriculum.arm_steps`): 6 cm above the cube (the arm tasks'
approach), or the push point (as in the staged reward) raised by 2 cm, behind the cube on the far
side from the goal, so a variant starts in the pose a push begins from.
Reset: grip point at rest at (0.30, 0.00, 0.20) + U(-3, 3) cm per axis; cube at rest, yaw 0,
uniform in x [0.25, 0.45], y [-0.15, 0.15]; goal on the table (z = 0.02, the cube's centre height)
in the same x, y range, at least 10 cm from the cube. Option `domain_randomization` (see
`simrl.sim.tasks.cube.CubeTask`).
"""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import mujoco
import numpy as np

from simrl.sim.registry import register_task
from simrl.sim.tasks.cube import CUBE_HALF, GOAL_GAIN, CubeTask, closeness

PUSH_BEHIND = 0.04  # push point: this far behind the cube centre, away from the goal (m)
PUSH_Z = 0.03  # grip point height of the push point (fingertips 1 cm above the table)
APPROACHES = ("above", "push")  # option `approach`: where reset variants move the arm toward
PUSH_APPROACH_LIFT = 0.02  # approach "push": this far above the push point (clear of the cube)
GAIN = 5.0  # of the reach stage's 1 - tanh(GAIN * d)


@register_task
class PushTask(CubeTask):
    """Push the cube to a goal on the table (see the module docstring)."""

    goal_stage = "push"
    goal_marker_offset = np.array([0.0, 0.0, -(CUBE_HALF - 0.001)])  # the marker on the table
    id = "simrl/Push-v0"
    xml = "push.xml"
    max_episode_steps = 100
    render_camera = "overview"

    def __init__(
        self, model: mujoco.MjModel, num_envs: int, approach: str = "above", **options: Any
    ) -> None:
        super().__init__(model, num_envs, **options)
        if approach not in APPROACHES:
            raise ValueError(
                f"option approach={approach!r} for task {self.id!r} is not one of {list(APPROACHES)}"
            )
        # not among the resolved task options: it changes no dynamics, reward or reset, so banks
        # and recordings of either approach stay valid for both
        self.approach_kind = approach
        self.observation_space = gym.spaces.Box(-np.inf, np.inf, (39,), np.float64)
        self.action_space = gym.spaces.Box(-1.0, 1.0, (3,), np.float32)

    def reset_rows(self, batch: Any, rows: np.ndarray, rng: np.random.Generator) -> None:
        self.reset_arm(batch, rows, rng, fingers=0.0)
        cube = self.reset_cube(rows, rng)
        xy = self.draw_table_xy(cube[:, :2], rng)
        goal = np.concatenate([xy, np.full((len(rows), 1), CUBE_HALF)], axis=1)
        self.episode_state["goal"][rows] = goal
        self.set_goal_marker(rows, goal + self.goal_marker_offset)

    def push_point(self, cube: np.ndarray) -> np.ndarray:
        """Where the grip point should be to push the cube towards the goal (n, 3)."""
        away = cube[:, :2] - self.episode_state["goal"][:, :2]
        away /= np.maximum(np.linalg.norm(away, axis=1, keepdims=True), 1e-9)
        xy = cube[:, :2] + PUSH_BEHIND * away
        return np.concatenate([xy, np.full((len(cube), 1), PUSH_Z)], axis=1)

    def approach(self) -> tuple[np.ndarray, np.ndarray]:
        """(grip point, approach point) of all rows: see the option `approach`."""
        if self.approach_kind == "above":
            return super().approach()
        point = self.push_point(self.cube_pos())
        point[:, 2] += PUSH_APPROACH_LIFT
        return self.grip_pos(), point

    def staged_terms(
        self, grip: np.ndarray, cube: np.ndarray, d_goal: np.ndarray, success: np.ndarray
    ) -> dict[str, np.ndarray]:
        d_push = np.linalg.norm(grip - self.push_point(cube), axis=1)
        return {
            "reach": closeness(d_push, GAIN) / 3.0,
            "push": closeness(d_goal, GOAL_GAIN) / 3.0,
            "success": success / 3.0,
        }
