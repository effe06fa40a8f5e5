"""simrl/PickPlace-v0: grasp the 4 cm cube and place it at a random goal, half of them in the air.

Scene `envs/pick_place.xml` (arm of `arm_common.xml`, a free 4 cm, 50 g cube, a goal marker).
Control: see `simrl.sim.tasks.arm` (3-D end-effector displacement, <= 2.5 cm per step, plus the
gripper command a[3]: -1 closed .. +1 open; 25 Hz). Episodes: 100 steps (4 s), truncation only.

Observation (39, float64): as simrl/Push-v0: arm joint angles (5), finger positions (2), arm
joint velocities (5), finger velocities (2), grip point (3), cube position (3), quaternion (4),
linear (3) and angular (3) velocity, cube - grip point (3), goal (3), goal - cube (3).
Reward (option `reward`, default "staged"; every term is in `info["reward/<term>"]`):
  "staged"   (reach + grasp + place + success) / 4, each stage in [0, 1], so a step's reward is in
             [0, 1]:
             reach   = 1 - tanh(5 * d_grip), d_grip = distance grip point to cube centre (the
                       grasp pose: the cube between the finger pads);
             grasp   = 1 while both fingers touch the cube (MuJoCo contact sensors) and it is
                       lifted at least 1 cm off the table (dragging it along pays nothing);
             place   = grasp * (1 - tanh(5 * d_goal)): moving the cube towards the goal counts
                       only while it is held up, so carrying it to goals in the air pays;
             success = 1 when d_goal < 5 cm; on a solved step reach and grasp count as
                       complete and place is 1 - tanh(5 * d_goal) held or not (a cube set down
                       at a table goal keeps its reward), so the reward is (3 + place) / 4.
  "distance" -d_goal - 0.5 * d_grip + 1.0 * success (terms goal, grip, success; the original
             shaping).
  "sparse"   1.0 on solved steps, else 0.0 (also `sparse=True`).
Success (`info["is_success"]`): d_goal < 0.05 m, d_goal = distance cube to goal (m).
`info["distance"]` holds d_goal; `info["grasped"]` whether both fingers touch the cube.
Reset: grip point at rest at (0.30, 0.00, 0.20) + U(-3, 3) cm per axis, fingers open; cube at rest,
yaw 0, uniform in x [0.25, 0.45], y [-0.15, 0.15]; goal x, y in the same range, at least 10 cm
from the cube, height z = 0.02 (on the table) with probability 0.5, else U(0.06, 0.25) m.
Option `domain_randomization` (see `simrl.sim.tasks.cube.CubeTask`).
"""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import mujoco
import numpy as np

from simrl.sim.registry import register_task
from simrl.sim.tasks.arm import FINGER_OPEN
from simrl.sim.tasks.cube import CUBE_HALF, GOAL_GAIN, CubeTask, closeness

AIR_PROB = 0.5
AIR_Z = (0.06, 0.25)
GAIN = 5.0  # of the reach stage's 1 - tanh(GAIN * d)
LIFT = 0.01  # the grasp stage counts once the held cube is this far off the table (m)


@register_task
class PickPlaceTask(CubeTask):
    """Pick the cube up and place it at a goal, on the table or in the air (module docstring)."""

    id = "simrl/PickPlace-v0"
    xml = "pick_place.xml"
    max_episode_steps = 100
    render_camera = "overview"
    use_gripper = True
    goal_stage = "place"

    def __init__(self, model: mujoco.MjModel, num_envs: int, **options: Any) -> None:
        super().__init__(model, num_envs, **options)
        self.observation_space = gym.spaces.Box(-np.inf, np.inf, (39,), np.float64)
        self.action_space = gym.spaces.Box(-1.0, 1.0, (4,), np.float32)
        self.touch = np.array([model.sensor(f"touch_{side}").adr[0] for side in ("left", "right")])

    def bind(self, batch: Any) -> None:
        super().bind(batch)
        self.sensordata = batch.bind("sensordata")

    def grasped(self) -> np.ndarray:
        """(n,) bool: both fingers touch the cube (contact sensors of the last physics substep)."""
        return (self.sensordata[:, self.touch] > 0).all(axis=1)

    def reset_rows(self, batch: Any, rows: np.ndarray, rng: np.random.Generator) -> None:
        self.reset_arm(batch, rows, rng, fingers=FINGER_OPEN)
        cube = self.reset_cube(rows, rng)
        xy = self.draw_table_xy(cube[:, :2], rng)
        air = rng.uniform(size=len(rows)) < AIR_PROB
        z = np.where(air, rng.uniform(*AIR_Z, size=len(rows)), CUBE_HALF)
        goal = np.concatenate([xy, z[:, None]], axis=1)
        self.episode_state["goal"][rows] = goal
        self.set_goal_marker(rows, goal)

    def staged_terms(
        self, grip: np.ndarray, cube: np.ndarray, d_goal: np.ndarray, success: np.ndarray
    ) -> dict[str, np.ndarray]:
        held = self.grasped() & (cube[:, 2] > CUBE_HALF + LIFT)  # pinched and off the table
        reach = closeness(np.linalg.norm(cube - grip, axis=1), GAIN)
        return {
            "reach": reach / 4.0,
            "grasp": held / 4.0,
            "place": held * closeness(d_goal, GOAL_GAIN) / 4.0,
            "success": success / 4.0,
        }

    def post_step(
        self, batch: Any, actions: np.ndarray, pre: Any
    ) -> tuple[np.ndarray, np.ndarray, dict[str, np.ndarray]]:
        reward, terminated, info = super().post_step(batch, actions, pre)
        info["grasped"] = self.grasped()
        return reward, terminated, info
