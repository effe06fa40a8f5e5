"""Hand-written controllers for the arm tasks, vectorised over rows: obs (n, obs_dim) -> actions.

They read only the observation (layouts in the task modules' docstrings), keep no memory and
decide each row's phase from the current state, so they work on any batch, any row order and
after exact copies. They prove the tasks are solvable and the grasp physics holds:

    policy = scripted_policy("simrl/PickPlace-v0")
    actions = policy(obs)

- Reach: move the grip point straight to the goal.
- Push: rise, move behind the cube on the far side from the goal, lower, push along the
  cube-to-goal line; re-approach when the cube drifts off the line.
- PickPlace: move above the cube with the fingers open, lower around it, close, carry it above
  the goal's x, y, then to the goal, and hold it there.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from simrl.sim.tasks.arm import CUBE_HALF, MAX_STEP

FINGERS = slice(5, 7)
GRIP = slice(14, 17)
REACH_GOAL = slice(17, 20)
CUBE = slice(17, 20)
CUBE_GOAL = slice(33, 36)

LOW_Z = 0.025  # grip height for pushing and grasping (fingertips 5 mm above the table)
SAFE_Z = 0.09  # grip height for moving over the cube


def _toward(grip: np.ndarray, target: np.ndarray, gain: float = 1.0) -> np.ndarray:
    """Displacement action moving the grip point toward target (proportional, clipped)."""
    return np.clip(gain * (target - grip) / MAX_STEP, -1.0, 1.0)


def reach_policy(obs: np.ndarray) -> np.ndarray:
    """simrl/Reach-v0: straight to the goal."""
    return _toward(obs[:, GRIP], obs[:, REACH_GOAL])


def push_policy(obs: np.ndarray) -> np.ndarray:
    """simrl/Push-v0: approach behind the cube, then push it along the line to the goal."""
    grip, cube, goal = obs[:, GRIP], obs[:, CUBE], obs[:, CUBE_GOAL]
    to_goal = goal[:, :2] - cube[:, :2]
    dist = np.linalg.norm(to_goal, axis=1, keepdims=True)
    direction = to_goal / np.maximum(dist, 1e-9)
    rel = grip[:, :2] - cube[:, :2]
    along = np.sum(rel * direction, axis=1)
    lateral = np.linalg.norm(rel - along[:, None] * direction, axis=1)
    behind = cube[:, :2] - 0.055 * direction
    far_behind = np.linalg.norm(grip[:, :2] - behind, axis=1)
    low = grip[:, 2] < 0.05
    aligned = low & (along < -0.025) & (along > -0.08) & (lateral < 0.012)
    near_cube = np.linalg.norm(rel, axis=1) < 0.07

    target = np.empty_like(grip)
    # default: go over the spot behind the cube at a safe height, then lower onto it
    target[:, :2] = behind
    target[:, 2] = np.where(far_behind < 0.012, LOW_Z, SAFE_Z)
    # too low near the cube and not in position: rise first, without moving sideways
    rise = ~aligned & low & near_cube & (far_behind >= 0.012)
    target[rise, :2] = grip[rise, :2]
    target[rise, 2] = SAFE_Z
    # in position: push through the cube toward the goal, slowing down when close
    push_xy = grip[:, :2] + direction * np.minimum(dist, 0.03)
    push_xy -= (rel - along[:, None] * direction) * 0.5  # correct the lateral offset
    target[aligned, :2] = push_xy[aligned]
    target[aligned, 2] = LOW_Z
    return _toward(grip, target)


def pick_place_policy(obs: np.ndarray) -> np.ndarray:
    """simrl/PickPlace-v0: grasp from above, carry over the goal, place it there and hold."""
    grip, cube, goal = obs[:, GRIP], obs[:, CUBE], obs[:, CUBE_GOAL]
    fingers = obs[:, FINGERS].mean(axis=1)
    offset = cube - grip
    xy_off = np.linalg.norm(offset[:, :2], axis=1)
    held = (xy_off < 0.02) & (np.abs(offset[:, 2]) < 0.02) & (fingers > 0.01) & (fingers < 0.03)
    at_cube = (xy_off < 0.008) & (grip[:, 2] < cube[:, 2] + 0.012)

    target = cube + np.array([0.0, 0.0, SAFE_Z - CUBE_HALF])
    open_ = np.ones(len(obs))
    # above the cube (in x, y): lower around it with open fingers; at the bottom: close
    above = xy_off < 0.008
    target[above, 2] = cube[above, 2] + 0.003
    # not above, but low: rise first so as not to hit the cube
    rise = ~above & (grip[:, 2] < cube[:, 2] + 0.05) & (xy_off < 0.06)
    target[rise] = grip[rise] + np.array([0.0, 0.0, 0.05])
    open_[at_cube] = -1.0
    # holding it: carry it (grip + goal - cube) high first when far, then down to the goal
    carry = grip + (goal - cube)
    far = np.linalg.norm((goal - cube)[:, :2], axis=1) > 0.02
    carry[:, 2] = np.where(far, np.maximum(carry[:, 2], SAFE_Z + 0.03), carry[:, 2])
    target[held] = carry[held]
    open_[held] = -1.0
    return np.concatenate([_toward(grip, target), open_[:, None]], axis=1)


POLICIES: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "simrl/Reach-v0": reach_policy,
    "simrl/Push-v0": push_policy,
    "simrl/PickPlace-v0": pick_place_policy,
}


def scripted_policy(env_id: str) -> Callable[[np.ndarray], np.ndarray]:
    """The scripted controller of an arm task id (obs -> actions, vectorised over rows)."""
    if env_id not in POLICIES:
        raise ValueError(
            f"no scripted policy for env id {env_id!r}; choose from {sorted(POLICIES)}"
        )
    return POLICIES[env_id]
