"""Shared logic of the arm tasks (simrl/Reach-v0, simrl/Push-v0, simrl/PickPlace-v0).

Scene: `envs/arm_common.xml`, a table whose top is z = 0 and a 5-joint arm on it (base yaw,
shoulder, elbow, wrist pitch, wrist roll) with a two-finger parallel gripper. Physics runs at 5 ms
per substep, 8 substeps per action: control at 25 Hz.

Control scheme (all tasks): actions are in [-1, 1].
  a[0:3]  end-effector displacement, scaled by `MAX_STEP` (2.5 cm per step): the commanded grip
          point is the current grip point + a[0:3] * MAX_STEP, clipped to the workspace box
          `WORKSPACE_LOW`..`WORKSPACE_HIGH`. A vectorised closed-form inverse kinematics turns
          it into joint targets for the arm's position servos, with the hand pointing straight
          down and the fingers always closing along the world y axis.
  a[3]    (PickPlace only) gripper: -1 closed ... +1 fully open (finger targets 0 .. 4 cm each,
          the opening is linear in a[3]).
Reach keeps the fingers closed, Push keeps them closed too (a solid pusher).

The grip point (site "grip") is between the finger pads, 2 cm above the fingertips. Observations
are computed from the current physics state (qpos/qvel, with forward kinematics in numpy), so they
describe the state after the step, with no one-substep lag.
"""

from __future__ import annotations

from typing import Any

import mujoco
import numpy as np

from simrl.sim.task import Task

ARM_JOINTS = ("yaw", "shoulder", "elbow", "wrist_pitch", "wrist_roll")
FINGER_JOINTS = ("finger_left", "finger_right")
SHOULDER_HEIGHT = 0.15  # shoulder axis above the table top (m)
L1, L2 = 0.3, 0.3  # upper arm, forearm (m)
L3 = 0.13  # wrist pitch axis to grip point (m)
MAX_STEP = 0.025  # grip point displacement per action unit and step (m)
WORKSPACE_LOW = np.array([0.12, -0.35, 0.022])
WORKSPACE_HIGH = np.array([0.60, 0.35, 0.40])
FINGER_OPEN = 0.04  # finger target when fully open (m from the centre line)
HOME = np.array([0.3, 0.0, 0.2])  # mean start position of the grip point
HOME_NOISE = 0.03  # start position: HOME + U(-HOME_NOISE, HOME_NOISE) per axis
CUBE_HALF = 0.02


def forward_kinematics(q: np.ndarray) -> np.ndarray:
    """Grip point (n, 3) of arm joint angles q (n, >= 4); the wrist roll does not move it."""
    yaw, a1 = q[:, 0], q[:, 1]
    a2 = a1 + q[:, 2]
    a3 = a2 + q[:, 3]
    u = L1 * np.cos(a1) + L2 * np.cos(a2) + L3 * np.cos(a3)
    w = L1 * np.sin(a1) + L2 * np.sin(a2) + L3 * np.sin(a3)
    return np.stack([u * np.cos(yaw), u * np.sin(yaw), SHOULDER_HEIGHT + w], axis=1)


def inverse_kinematics(p: np.ndarray) -> np.ndarray:
    """Arm joint targets (n, 5) putting the grip point at p (n, 3), hand down, fingers along y.

    Elbow-up solution; targets out of reach are pulled onto the reachable annulus.
    """
    yaw = np.arctan2(p[:, 1], p[:, 0])
    u = np.hypot(p[:, 0], p[:, 1])
    w = p[:, 2] - SHOULDER_HEIGHT + L3  # wrist pitch axis, relative to the shoulder
    d2 = np.clip(u * u + w * w, (L1 - L2) ** 2 + 1e-4, (L1 + L2 - 1e-3) ** 2)
    c2 = np.clip((d2 - L1 * L1 - L2 * L2) / (2 * L1 * L2), -1.0, 1.0)
    q2 = -np.arccos(c2)
    q1 = np.arctan2(w, u) - np.arctan2(L2 * np.sin(q2), L1 + L2 * np.cos(q2))
    q3 = -0.5 * np.pi - q1 - q2
    return np.stack([yaw, q1, q2, q3, yaw], axis=1)


def check_bool(name: str, value: Any, task_id: str) -> bool:
    """Validate a boolean option with a one-line error."""
    if not isinstance(value, (bool, np.bool_)):
        raise ValueError(
            f"option {name}={value!r} for task {task_id!r} must be a bool (True or False)"
        )
    return bool(value)


class ArmTask(Task):
    """Base of the arm tasks: option parsing, arm reset, action -> controls, proprioception.

    Options: `sparse` (bool, default False): reward 1.0 on steps where the task is solved, else
    0.0, instead of the shaped dense reward.
    """

    frame_skip = 8
    has_success = True
    use_gripper: bool = False  # whether a[3] drives the gripper (else fingers stay closed)

    def __init__(self, model: mujoco.MjModel, num_envs: int, sparse: bool = False, **options: Any):
        super().__init__(model, num_envs, **options)
        self.sparse = check_bool("sparse", sparse, self.id)
        self.arm_q = np.array([model.joint(j).qposadr[0] for j in ARM_JOINTS])
        self.arm_v = np.array([model.joint(j).dofadr[0] for j in ARM_JOINTS])
        self.finger_q = np.array([model.joint(j).qposadr[0] for j in FINGER_JOINTS])
        self.finger_v = np.array([model.joint(j).dofadr[0] for j in FINGER_JOINTS])
        self.arm_u = np.array([model.actuator(j).id for j in ARM_JOINTS])
        self.finger_u = np.array([model.actuator(j).id for j in FINGER_JOINTS])
        self.goal_mocap = int(model.body("goal").mocapid[0])

    # ----------------------------------------------------------------------------------- hooks
    def bind(self, batch: Any) -> None:
        self.qpos = batch.bind("qpos")
        self.qvel = batch.bind("qvel")
        self.ctrl = batch.bind("ctrl")
        self.mocap_pos = batch.bind("mocap_pos")

    def reset_arm(
        self, batch: Any, rows: np.ndarray, rng: np.random.Generator, fingers: float
    ) -> None:
        """Clear the rows' state and put the arm at rest near HOME with the given finger opening."""
        batch.reset(rows, stage=mujoco.mjtStage.mjSTAGE_NONE)
        start = HOME + rng.uniform(-HOME_NOISE, HOME_NOISE, size=(len(rows), 3))
        q = inverse_kinematics(start)
        qpos = self.qpos[rows]
        qpos[:, self.arm_q] = q
        qpos[:, self.finger_q] = fingers
        self.qpos[rows] = qpos
        self.qvel[rows] = 0.0
        ctrl = self.ctrl[rows]
        ctrl[:, self.arm_u] = q
        ctrl[:, self.finger_u] = fingers
        self.ctrl[rows] = ctrl

    def set_goal_marker(self, rows: np.ndarray, goal: np.ndarray) -> None:
        """Show the goal (part of the physics state via mocap_pos, so copies carry it)."""
        self.mocap_pos[rows, self.goal_mocap] = goal

    def pre_step(self, batch: Any, actions: np.ndarray) -> None:
        a = np.clip(np.nan_to_num(np.asarray(actions, dtype=np.float64)), -1.0, 1.0)
        target = np.clip(self.grip_pos() + MAX_STEP * a[:, :3], WORKSPACE_LOW, WORKSPACE_HIGH)
        self.ctrl[:, self.arm_u] = inverse_kinematics(target)
        if self.use_gripper:
            self.ctrl[:, self.finger_u] = (0.5 * FINGER_OPEN * (a[:, 3] + 1.0))[:, None]
        return None

    # ------------------------------------------------------------------------------- observation
    def grip_pos(self) -> np.ndarray:
        """Grip point of all rows (n, 3), from the current joint angles."""
        return forward_kinematics(self.qpos[:, self.arm_q])

    def proprio(self) -> np.ndarray:
        """(n, 14): arm joint angles (5), finger positions (2), arm (5) and finger (2) velocities."""
        return np.concatenate(
            [
                self.qpos[:, self.arm_q],
                self.qpos[:, self.finger_q],
                self.qvel[:, self.arm_v],
                self.qvel[:, self.finger_v],
            ],
            axis=1,
        )

    def reward(self, dense: np.ndarray, success: np.ndarray) -> np.ndarray:
        """Dense shaped reward, or with `sparse` 1.0 on solved steps and 0.0 elsewhere."""
        return success.astype(np.float64) if self.sparse else dense


CUBE_SUCCESS_DIST = 0.05  # Push and PickPlace: cube within 5 cm of the goal


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

    def post_step(
        self, batch: Any, actions: np.ndarray, pre: Any
    ) -> tuple[np.ndarray, np.ndarray, dict[str, np.ndarray]]:
        """Dense reward -d(cube, goal) - 0.5 d(grip, cube) + 1[success] (or sparse), never terminates."""
        cube = self.cube_pos()
        d_goal = np.linalg.norm(self.episode_state["goal"] - cube, axis=1)
        d_grip = np.linalg.norm(cube - self.grip_pos(), axis=1)
        success = d_goal < CUBE_SUCCESS_DIST
        reward = self.reward(-d_goal - 0.5 * d_grip + success, success)
        return reward, np.zeros(self.num_envs, bool), {"is_success": success, "distance": d_goal}

    def observe(self, batch: Any) -> np.ndarray:
        grip = self.grip_pos()
        return np.concatenate([self.proprio(), grip, self.cube_obs(grip)], axis=1)
