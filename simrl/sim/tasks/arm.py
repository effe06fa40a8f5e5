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

    Options:
      `reward` (str, default `default_reward`): which reward the task returns, one of
          `reward_kinds` (each task documents its own); `"sparse"` is 1.0 on steps where the
          task is solved, else 0.0.
      `sparse` (bool, default False): shorthand for `reward="sparse"`.
    Every reward is a sum of named terms; `post_step` reports each term per row and step as
    `info["reward/<term>"]`, and the terms add up to the returned reward.
    """

    frame_skip = 8
    has_success = True
    use_gripper: bool = False  # whether a[3] drives the gripper (else fingers stay closed)
    reward_kinds: tuple[str, ...] = ("distance", "sparse")
    default_reward = "distance"

    def __init__(
        self,
        model: mujoco.MjModel,
        num_envs: int,
        sparse: bool = False,
        reward: str | None = None,
        **options: Any,
    ):
        super().__init__(model, num_envs, **options)
        self.sparse = check_bool("sparse", sparse, self.id)
        if reward is None:
            reward = "sparse" if self.sparse else self.default_reward
        if reward not in self.reward_kinds:
            raise ValueError(
                f"option reward={reward!r} for task {self.id!r} is not one of "
                f"{list(self.reward_kinds)}"
            )
        if self.sparse and reward != "sparse":
            raise ValueError(
                f"options sparse=True and reward={reward!r} for task {self.id!r} contradict each "
                "other; use reward='sparse' alone"
            )
        self.reward_kind = reward
        self.options["reward"] = reward
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
        self.qvel[rows] = 0.0
        self.place_grip(rows, start, fingers)

    def place_grip(self, rows: np.ndarray, grip: np.ndarray, fingers: float | None = None) -> None:
        """Put the arm of `rows` at rest with its grip point at `grip` (clipped to the
        workspace), the servos holding it there; the fingers at `fingers` (servos too) when
        given, else, like other bodies, left as they are."""
        q = inverse_kinematics(np.clip(grip, WORKSPACE_LOW, WORKSPACE_HIGH))
        qpos, qvel, ctrl = self.qpos[rows], self.qvel[rows], self.ctrl[rows]
        qpos[:, self.arm_q] = q
        qvel[:, self.arm_v] = 0.0
        ctrl[:, self.arm_u] = q
        if fingers is not None:
            qpos[:, self.finger_q] = fingers
            ctrl[:, self.finger_u] = fingers
        self.qpos[rows], self.qvel[rows], self.ctrl[rows] = qpos, qvel, ctrl

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

    def total_reward(
        self, terms: dict[str, np.ndarray], success: np.ndarray, info: dict[str, np.ndarray]
    ) -> np.ndarray:
        """Sum of the reward terms (or, with the sparse reward, the success indicator alone).

        Writes each term into `info["reward/<term>"]`, so a user can see which stage a policy
        is stuck at; the terms add up to the returned reward.
        """
        if self.reward_kind == "sparse":
            terms = {"success": success.astype(np.float64)}
        total = np.zeros(self.num_envs)
        for name, value in terms.items():
            total = total + value
            info[f"reward/{name}"] = value
        return total
