"""GroupEnv: the backend-independent half of a grouped vector env (groups, autoreset, checks).

Rows are laid out group-major: group g owns rows ``g*G .. g*G+G-1`` (G = group_size). A backend
(`GroupVecEnv` on `mujoco.batch`, `GymGroupVecEnv` for the generic path) supplies physics; this class
owns the episode bookkeeping that must be identical for both.

Episode-end semantics (chosen so a group always shares one start state):
- A group is (re-)seeded as a whole: one start state is drawn from the task's reset distribution
  and copied exactly into all G rows (physics + task episode state + step counter).
- With autoreset ("next_step" or "same_step"), when any row of a group ends (terminated or
  truncated), the whole group is re-seeded. Rows of that group which had not ended are reported
  ``truncated=True`` in that step (their episode is cut, "group truncation"), so every row's episode
  ends cleanly. With group_size 1 this is exactly Gymnasium's per-env autoreset. Truncation-only
  tasks (Reacher, Pusher) end all rows of a group in the same step anyway.
- "next_step" (Gymnasium default): the step after an episode end resets the group instead of
  stepping it: obs is the start obs, reward 0, terminated/truncated False, the action is ignored.
- "same_step": the group is reset within the ending step; the returned obs is the start obs, the
  final obs is in ``info["final_obs"]`` (all rows, float array) with mask ``info["_final_obs"]``.
- "disabled": nothing is reset automatically; call `reset_groups` (GRPO rollouts do). A row
  stepped past its end keeps simulating, its truncated flag stays True; `step(..., active=)`
  leaves rows out instead (not simulated where the backend can skip them, see `step`).
- Divergence (NaN/Inf state, MuJoCo BADQACC/BADQPOS/BADQVEL/BADCTRL warnings, SimulationError): the
  row's group is re-seeded at once in every mode, its rows are reported ``truncated=True``, with
  ``info["diverged"]`` True and reward 0; `diverged_count` counts such rows. The diverged state is
  never returned: obs (and same_step's final_obs) of those rows is the new start obs.
"""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium.vector.utils import batch_space

from simrl.sim.arg_checks import AUTORESET_MODES
from simrl.sim.goal_directions import TRIES
from simrl.sim.reward_terms import zero_terms
from simrl.sim.sampling import generator_from_state


def select_rows(snapshot: dict[str, Any], index: np.ndarray) -> dict[str, Any]:
    """Rows `index` (repeats allowed) of a `get_state` snapshot: every array whose leading
    dimension is the snapshot's row count is indexed, nested dicts recursively."""
    n = len(snapshot["elapsed"])

    def pick(x: Any) -> Any:
        if isinstance(x, dict):
            return {k: pick(v) for k, v in x.items()}
        if isinstance(x, np.ndarray) and x.ndim and len(x) == n:
            return x[index]
        if isinstance(x, list) and len(x) == n:
            return [x[i] for i in np.asarray(index).tolist()]
        return x

    return pick(snapshot)


class GroupEnv(gym.vector.VectorEnv):
    """Grouped vector env over `num_groups * group_size` rows; subclasses implement the `_b_*` hooks."""

    metadata: dict[str, Any] = {"render_modes": ["rgb_array"]}
    render_mode = "rgb_array"

    def __init__(
        self,
        env_id: str,
        num_groups: int,
        group_size: int,
        seed: int | None,
        autoreset_mode: str,
        observation_space: gym.spaces.Box,
        action_space: gym.spaces.Box,
        max_episode_steps: int | None,
        has_success: bool,
    ) -> None:
        self.env_id = env_id
        self.num_groups = int(num_groups)
        self.group_size = int(group_size)
        self.num_envs = self.num_groups * self.group_size
        self.autoreset_mode = autoreset_mode
        self.metadata = {
            "render_modes": ["rgb_array"],
            "autoreset_mode": AUTORESET_MODES[autoreset_mode],
        }
        self.single_observation_space = observation_space
        self.single_action_space = action_space
        self.observation_space = batch_space(observation_space, self.num_envs)
        self.action_space = batch_space(action_space, self.num_envs)
        self.max_episode_steps = max_episode_steps
        self.has_success = has_success
        self.diverged_count = 0
        self._seed = seed
        self._rng = np.random.default_rng(seed)
        self._elapsed = np.zeros(self.num_envs, np.int64)
        self._pending = np.zeros(self.num_groups, bool)  # next_step: groups reset at next step
        self._obs = np.zeros((self.num_envs, observation_space.shape[0]), np.float64)
        self._act_shape = (self.num_envs, action_space.shape[0])
        self._needs_first_reset = True
        self.start_states: Any = None  # a simrl.sim.start_states.StartStates, or None
        self._start_row = np.full(self.num_envs, -1, np.int64)  # bank row each episode began at
        self._reported = np.zeros(self.num_envs, bool)  # episode end already reported
        self.outcome_reward = False  # train on success alone (`set_outcome_reward`)

    # ------------------------------------------------------------------ backend hooks
    def _b_reset_groups(self, groups: np.ndarray) -> None:
        """Draw one start state per group (self._rng), copy it to the group's rows, fill self._obs."""
        raise NotImplementedError

    def _b_step(
        self, actions: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, dict[str, np.ndarray], np.ndarray]:
        """Step all rows: (obs, reward, terminated, info, diverged mask)."""
        raise NotImplementedError

    def _b_copy(self, src: np.ndarray, dst: np.ndarray) -> None:
        """Copy the exact physics + task episode state of rows src to rows dst."""
        raise NotImplementedError

    def _b_get(self, rows: np.ndarray) -> dict[str, Any]:
        raise NotImplementedError

    def _b_set(self, rows: np.ndarray, snap: dict[str, Any]) -> None:
        raise NotImplementedError

    def _b_export(self, rows: np.ndarray) -> dict[str, Any]:
        """Like `_b_get` but only arrays/dicts/lists/scalars (checkpoint-safe); default `_b_get`."""
        return self._b_get(rows)

    # True when `_b_step_rows` steps only the rows asked for (rollouts then pass `active`)
    skips_inactive_rows = False

    def _b_step_rows(
        self, actions: np.ndarray, rows: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, dict[str, np.ndarray], np.ndarray]:
        """Step at least `rows` (all rows here: a backend that steps the whole batch at once)."""
        return self._b_step(actions)

    def _b_achieved_goal(self, rows: np.ndarray) -> np.ndarray | None:
        """What a goal-conditioned task compares its goal with (rows, goal_dim); None if no goal."""
        return None

    def _b_desired_goal(self, rows: np.ndarray) -> np.ndarray | None:
        """The goal of `rows` (rows, goal_dim), comparable with `_b_achieved_goal`; None if none."""
        return None

    def _b_set_goal(self, rows: np.ndarray, goal: np.ndarray) -> None:
        """Give `rows` another goal and refresh their observations (goal-conditioned tasks)."""
        raise NotImplementedError(f"env {self.env_id!r} has no goal to set")

    def _b_approach(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
        """(grip point, point just above the object) of `rows`, each (rows, 3); None for an
        env without an arm and an object (see `simrl.sim.task.Task.approach`)."""
        return None

    def _b_place_grip(self, rows: np.ndarray, grip: np.ndarray) -> None:
        """Move the arm of `rows` to grip point `grip` and refresh their observations."""
        raise NotImplementedError(f"env {self.env_id!r} has no arm to move")

    def has_approach(self) -> bool:
        """Whether the task has an arm and an object, so starts can move the arm nearer."""
        return self._b_approach(np.zeros(1, np.int64)) is not None

    def has_goal_directions(self) -> bool:
        """Whether the task has goals with an x-y position (`curriculum.direction_bins`)."""
        goal = self._b_achieved_goal(np.zeros(1, np.int64))
        return goal is not None and np.shape(goal)[-1] >= 2

    def no_goal_directions(self) -> str:
        """Why `curriculum.direction_bins` > 0 is refused here (envs without goal directions)."""
        return (
            "needs a goal task whose goals have an x-y position (simrl/Push-v0, "
            f"simrl/PickPlace-v0); env {self.env_id!r} has none"
        )

    def no_approach(self) -> str:
        """Why `curriculum.arm_steps` > 0 is refused here (envs without `has_approach`)."""
        return (
            "needs a task with an arm and an object to approach (simrl/Push-v0, "
            f"simrl/PickPlace-v0); env {self.env_id!r} has none"
        )

    def task_options(self) -> dict[str, Any]:
        """The options that shape this env's states, resolved (defaults filled in): what a saved
        start-state bank must match."""
        raise NotImplementedError

    # ------------------------------------------------------------------ helpers
    def group_rows(self, groups: np.ndarray) -> np.ndarray:
        """Sorted row indices of `groups`."""
        groups = np.asarray(groups, np.int64)
        return (groups[:, None] * self.group_size + np.arange(self.group_size)).ravel()

    def _check_groups(self, group_ids: Any) -> np.ndarray:
        g = np.unique(np.asarray(group_ids, np.int64).ravel())
        if g.size and (g[0] < 0 or g[-1] >= self.num_groups):
            raise ValueError(f"group ids must be in [0, {self.num_groups}), got {g.tolist()}")
        return g

    def _check_rows(self, rows: Any, name: str = "rows") -> np.ndarray:
        r = np.asarray(rows)
        if r.dtype == bool:
            if r.shape != (self.num_envs,):
                raise ValueError(f"{name} mask must have shape ({self.num_envs},), got {r.shape}")
            return np.flatnonzero(r)
        r = np.atleast_1d(r).astype(np.int64, casting="same_kind").ravel()
        if r.size and (r.min() < 0 or r.max() >= self.num_envs):
            raise ValueError(f"{name} must be in [0, {self.num_envs}), got {r.tolist()}")
        return r

    def _check_active(self, active: Any) -> np.ndarray:
        """The bool mask of rows to step (`step(..., active=)`), checked."""
        live = np.asarray(active)
        if live.dtype != bool or live.shape != (self.num_envs,):
            raise ValueError(
                f"active must be a bool mask of shape ({self.num_envs},), got {live.dtype} "
                f"{live.shape}"
            )
        if self.autoreset_mode != "disabled":
            raise ValueError(
                f"active rows need autoreset_mode='disabled', not {self.autoreset_mode!r}"
            )
        return live

    def _check_actions(self, actions: Any) -> np.ndarray:
        a = np.asarray(actions)
        if a.shape != self._act_shape:
            if a.shape == self._act_shape[1:] and self.num_envs == 1:
                a = a[None]
            else:
                raise ValueError(f"actions must have shape {self._act_shape}, got {a.shape}")
        if a.dtype.kind not in "fiu":
            raise ValueError(f"actions must be a float array, got dtype {a.dtype}")
        if a.dtype.kind != "f":
            a = a.astype(np.float64)
        if not np.isfinite(a).all():
            bad = np.flatnonzero(~np.isfinite(a).all(axis=1))
            raise ValueError(f"actions contain NaN/Inf in rows {bad[:10].tolist()}")
        return a

    def _do_reset_groups(self, groups: np.ndarray) -> np.ndarray:
        """Re-seed `groups` (from the task's reset or the start states); return their rows."""
        rows = self.group_rows(groups)
        if groups.size:
            self._b_reset_groups(groups)
            self._elapsed[rows] = 0
            self._pending[groups] = False
            self._reported[rows] = False
            self._start_row[rows] = -1
            if self.start_states is not None:
                self.start_states.forget(rows)
                self._start_from_bank(groups)
        return rows

    def _start_from_bank(self, groups: np.ndarray) -> None:
        """Overwrite the groups that the start states pick with their bank states (exact); with
        start states that track the task's own resets too, tell them those groups' start states."""
        picks = self.start_states.draw(self._rng, groups.size)
        chosen = picks >= 0
        own = groups[~chosen]
        if own.size and self.start_states.tracks_resets:
            self._redraw_by_direction(own)
            first = own * self.group_size  # every row of a group holds the same start state
            self._start_row[self.group_rows(own)] = self._track_resets(own, first)
        if not chosen.any():
            return
        rows = self.group_rows(groups[chosen])
        bank_rows = np.repeat(picks[chosen], self.group_size)
        snap = self.start_states.bank.take(bank_rows)
        self._b_set(rows, snap)
        self._elapsed[rows] = snap["elapsed"]
        self._obs[rows] = snap["obs"]
        self._start_row[rows] = bank_rows
        goal = snap.get("goal")  # hindsight start states: the same state with another goal
        if goal is not None:
            relabel = np.isfinite(goal).all(axis=1)
            if relabel.any():
                self._b_set_goal(rows[relabel], goal[relabel])
        arm = snap.get("arm")  # nearer-arm start states: the arm moved toward the object
        if arm is not None:
            moved = np.isfinite(arm).all(axis=1)
            if moved.any():
                self._b_place_grip(rows[moved], arm[moved])
        if hasattr(self.start_states, "started"):  # AdaptiveStarts
            first = groups[chosen] * self.group_size
            self.start_states.started(first, self._b_achieved_goal(first))

    def _redraw_by_direction(self, groups: np.ndarray) -> None:
        """Reset `groups` again (a few times at most) where the start states' goal directions
        say so (`simrl.sim.goal_directions`; nothing without them)."""
        directions = getattr(self.start_states, "directions", None)
        if directions is None:
            return
        for attempt in range(TRIES):  # the last draw is kept
            first = groups * self.group_size
            achieved, desired = self._b_achieved_goal(first), self._b_desired_goal(first)
            if achieved is None or desired is None:
                return
            groups = groups[~directions.keep(self._rng, achieved, desired, attempt == TRIES - 1)]
            if not groups.size:
                return
            self._b_reset_groups(groups)

    def _track_resets(self, own: np.ndarray, first: np.ndarray) -> np.ndarray:
        """Hand the groups `own` (first rows `first`), just reset by the task, to the start-state
        sampler, giving them its nearer-goal / nearer-arm variants; their rows' start ids."""
        states = self.start_states
        achieved, desired = self._b_achieved_goal(first), self._b_desired_goal(first)
        goal = arm = None
        if getattr(states, "goal_steps", 0) and achieved is not None and desired is not None:
            goal = states.goal_starts(self._rng, achieved, desired)
        approach = self._b_approach(first) if getattr(states, "arm_steps", 0) else None
        if approach is not None:
            arm = states.arm_starts(self._rng, *approach)
        ids = states.track_resets(
            first, self.get_state(first), achieved=achieved, desired=desired, arm=arm, goal=goal
        )
        for value, apply in ((goal, self._b_set_goal), (arm, self._b_place_grip)):
            moved = np.zeros(len(own), bool) if value is None else np.isfinite(value).all(axis=1)
            if moved.any():
                apply(self.group_rows(own[moved]), np.repeat(value[moved], self.group_size, axis=0))
        return np.repeat(ids, self.group_size)

    def set_start_states(self, start_states: Any) -> None:
        """Let group re-seeds draw from `start_states` (a `simrl.sim.start_states.StartStates`
        whose bank was recorded on this env id and options); None restores the task's resets."""
        if start_states is not None:
            start_states.bank.check(self.env_id, self.task_options())
            bins = int(getattr(start_states, "direction_bins", 0))
            if bins and not self.has_goal_directions():
                raise ValueError(
                    f"curriculum.direction_bins={bins} {self.no_goal_directions()}: use 0"
                )
            steps = int(getattr(start_states, "arm_steps", 0))
            if steps and not self.has_approach():
                raise ValueError(f"curriculum.arm_steps={steps} {self.no_approach()}: use 0")
        self.start_states = start_states

    def set_outcome_reward(self, on: bool) -> None:
        """Reward 1.0 on steps where the env reports success, else 0 (the env's own reward is
        replaced; `info` keeps its terms). Refused (one line) for an env without success."""
        if on and not self.has_success:
            raise ValueError(
                f"env {self.env_id!r} reports no success (info['is_success'] or "
                "info['success']) for an outcome reward"
            )
        self.outcome_reward = bool(on)

    def _record_trails(self, done: np.ndarray) -> None:
        """Snapshots along tracked episodes, every `trail_every` steps, for the start states."""
        every = self.start_states.trail_every
        live = (self._start_row >= 0) & ~done & ~self._reported & (self._elapsed % every == 0)
        live &= ~np.repeat(self._pending, self.group_size)
        rows = np.flatnonzero(live)
        if rows.size:
            self.start_states.record_trail(rows, self._start_row[rows], self.get_state(rows))

    def _report_episode_ends(
        self, done: np.ndarray, info: dict[str, Any], diverged: np.ndarray
    ) -> None:
        """Tell the start states how the episodes that began from the bank ended."""
        ended = done & ~self._reported
        self._reported |= done
        from_bank = ended & (self._start_row >= 0)
        if self.start_states is None or not from_bank.any():
            return
        success = np.asarray(info.get("is_success", np.zeros(self.num_envs)), bool) & ~diverged
        rows = np.flatnonzero(from_bank)
        self.start_states.report(
            self._start_row[rows],
            success[rows],
            env_rows=rows,
            groups=rows // self.group_size,
            achieved=self._b_achieved_goal(rows),
        )

    # ------------------------------------------------------------------ public API
    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[np.ndarray, dict[str, Any]]:
        """Re-seed every group (or the groups of ``options["reset_mask"]``); return (obs, info)."""
        if seed is not None:
            self._seed = seed
            self._rng = np.random.default_rng(seed)
        groups = np.arange(self.num_groups)
        if options and "reset_mask" in options and not self._needs_first_reset:
            mask = self._check_rows(np.asarray(options["reset_mask"], bool), "reset_mask")
            groups = np.unique(mask // self.group_size)
        self._do_reset_groups(groups)
        self._needs_first_reset = False
        return self._obs.copy(), {}

    def reset_groups(self, group_ids: Any) -> np.ndarray:
        """Fresh start states for `group_ids` (each copied to its G rows); return obs of all rows."""
        groups = self._check_groups(group_ids)
        self._do_reset_groups(groups)
        return self._obs.copy()

    def step(
        self, actions: Any, active: Any = None
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, dict[str, Any]]:
        """Step every row with `actions` (num_envs, act_dim); see the module doc for episode ends.

        `active` (bool mask, autoreset "disabled" only): the rows whose episode goes on. The
        others' outputs are void (reward 0, not terminated or truncated, never diverged, their
        step counter stands still); a backend that can (`skips_inactive_rows`, the generic
        path) does not simulate them at all, the batched one steps them with the batch. Active
        rows get exactly what a full step gives them.
        """
        a = self._check_actions(actions)
        if self._needs_first_reset:
            raise ValueError("call reset() before step()")
        pending = np.flatnonzero(self._pending)
        if active is None:
            obs, reward, terminated, info, diverged = self._b_step(a)
        else:
            live = self._check_active(active)
            obs, reward, terminated, info, diverged = self._b_step_rows(a, np.flatnonzero(live))
            idle = np.flatnonzero(~live)
            reward = np.where(live, reward, 0.0)
            terminated, diverged = terminated & live, diverged & live
            zero_terms(info, idle)
            if "is_success" in info:
                info["is_success"] = np.asarray(info["is_success"], bool) & live
        if pending.size:
            diverged[self.group_rows(pending)] = False  # reset below anyway
        if self.outcome_reward:
            reward = np.asarray(info["is_success"], bool).astype(np.float64)
        self._elapsed += 1 if active is None else live
        truncated = (
            self._elapsed >= self.max_episode_steps
            if self.max_episode_steps
            else np.zeros(self.num_envs, bool)
        )
        if active is not None:
            truncated &= live
        if self.start_states is not None and self.start_states.trail_every:
            self._record_trails(terminated | truncated | diverged)
        self._report_episode_ends(terminated | truncated | diverged, info, diverged)
        if diverged.any():
            self.diverged_count += int(diverged.sum())
            reward = np.where(diverged, 0.0, reward)
            zero_terms(info, diverged)
            terminated = terminated & ~diverged
            groups = np.unique(np.flatnonzero(diverged) // self.group_size)
            truncated = truncated | diverged
            truncated[self.group_rows(groups)] |= ~terminated[self.group_rows(groups)]
            self._do_reset_groups(groups)
            obs = self._obs
        info["diverged"] = diverged
        if pending.size:  # next_step: these groups ended last step; reset instead of stepping
            rows = self._do_reset_groups(pending)
            obs = self._obs
            reward[rows] = 0.0
            zero_terms(info, rows)
            terminated[rows] = False
            truncated[rows] = False
            if "is_success" in info:
                info["is_success"] = np.array(info["is_success"], bool)
                info["is_success"][rows] = False
        if self.autoreset_mode != "disabled":
            done = terminated | truncated
            gdone = done.reshape(self.num_groups, self.group_size).any(axis=1)
            if gdone.any():
                truncated = truncated | (np.repeat(gdone, self.group_size) & ~terminated)
                ended = np.flatnonzero(gdone)
                if self.autoreset_mode == "next_step":
                    self._pending[ended] = True
                else:
                    info["final_obs"] = obs.copy()
                    info["_final_obs"] = np.repeat(gdone, self.group_size)
                    self._do_reset_groups(ended)
                    obs = self._obs
        return obs.copy(), reward, terminated, truncated, info

    def clone_state(self, src_rows: Any, dst_rows: Any) -> np.ndarray:
        """Copy exact physics + episode state (task state, step count) of src rows into dst rows.

        `src_rows` broadcasts against `dst_rows` (one source to many). Returns the obs of all rows.
        """
        dst = self._check_rows(dst_rows, "dst_rows")
        src = np.broadcast_to(self._check_rows(src_rows, "src_rows"), dst.shape).copy()
        keep = src != dst  # copying a row onto itself is a no-op
        src, dst = src[keep], dst[keep]
        if np.unique(dst).size != dst.size:
            raise ValueError(f"dst_rows has repeated rows: {dst.tolist()}")
        if np.intersect1d(src, dst).size:
            raise ValueError("src_rows and dst_rows overlap; copy through get_state/set_state")
        self._b_copy(src, dst)
        if self.start_states is not None:
            self.start_states.forget(dst)
        self._elapsed[dst] = self._elapsed[src]
        self._start_row[dst] = self._start_row[src]
        self._reported[dst] = self._reported[src]
        self._obs[dst] = self._obs[src]
        self._clear_pending(dst)
        return self._obs.copy()

    def _clear_pending(self, rows: np.ndarray) -> None:
        """Groups whose rows were all overwritten no longer wait for a next_step reset."""
        covered = np.bincount(rows // self.group_size, minlength=self.num_groups)
        self._pending[covered >= self.group_size] = False

    def get_state(self, rows: Any = None) -> dict[str, Any]:
        """Exportable snapshot of `rows` (default all): physics, task state, counters, last obs."""
        r = np.arange(self.num_envs) if rows is None else self._check_rows(rows)
        snap = self._b_get(r)
        snap.update(env_id=self.env_id, elapsed=self._elapsed[r].copy(), obs=self._obs[r].copy())
        return snap

    def set_state(self, rows: Any, snap: dict[str, Any]) -> np.ndarray:
        """Load a `get_state` snapshot (same env id/options) into `rows`; return obs of all rows."""
        r = self._check_rows(rows)
        if snap.get("env_id") != self.env_id:
            raise ValueError(f"snapshot is of {snap.get('env_id')!r}, this env is {self.env_id!r}")
        if len(snap["elapsed"]) != len(r):
            raise ValueError(f"snapshot holds {len(snap['elapsed'])} rows, got {len(r)} rows")
        self._b_set(r, snap)
        if self.start_states is not None:
            self.start_states.forget(r)
        self._elapsed[r] = snap["elapsed"]
        self._obs[r] = snap["obs"]
        self._start_row[r] = -1  # an episode of its own, not one begun from the start states
        self._reported[r] = False
        self._clear_pending(np.unique(r))
        self._needs_first_reset = False
        return self._obs.copy()

    def state_dict(self) -> dict[str, Any]:
        """Whole-env state for checkpoints: every row, the reset RNG, pending resets, counters.

        Only numpy arrays, dicts, lists, strings and Python scalars: map arrays to tensors (and
        back, or pass the tensors: `load_state_dict` takes array-likes) for torch weights_only.
        """
        rows = np.arange(self.num_envs)
        return {
            "env_id": self.env_id,
            "num_envs": self.num_envs,
            "rows": self._b_export(rows),
            "elapsed": self._elapsed.copy(),
            "obs": self._obs.copy(),
            "pending": self._pending.copy(),
            "rng": self._rng.bit_generator.state,
            "diverged_count": self.diverged_count,
            "needs_first_reset": self._needs_first_reset,
            "start_row": self._start_row.copy(),
            "reported": self._reported.copy(),
            "start_states": None if self.start_states is None else self.start_states.state_dict(),
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore `state_dict()` output into an env of the same id, options and layout."""
        if state.get("env_id") != self.env_id or state.get("num_envs") != self.num_envs:
            raise ValueError(
                f"state is of {state.get('env_id')!r} x {state.get('num_envs')} rows, "
                f"this env is {self.env_id!r} x {self.num_envs}"
            )
        self._b_set(np.arange(self.num_envs), state["rows"])
        self._elapsed[:] = np.asarray(state["elapsed"])
        self._obs[:] = np.asarray(state["obs"])
        self._pending[:] = np.asarray(state["pending"])
        self._rng = generator_from_state(state["rng"])
        self.diverged_count = int(state["diverged_count"])
        self._needs_first_reset = bool(state["needs_first_reset"])
        self._start_row[:] = np.asarray(state.get("start_row", -1))
        self._reported[:] = np.asarray(state.get("reported", False))
        saved = state.get("start_states")
        if (saved is None) != (self.start_states is None):
            raise ValueError(
                "state was saved with start states "
                f"{'off' if saved is None else 'on'}, this env has them "
                f"{'off' if self.start_states is None else 'on'}"
            )
        if saved is not None:
            self.start_states.load_state_dict(saved)

    @property
    def elapsed_steps(self) -> np.ndarray:
        """Steps since each row's episode start (copy)."""
        return self._elapsed.copy()

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}({self.env_id}, num_groups={self.num_groups}, "
            f"group_size={self.group_size})"
        )
