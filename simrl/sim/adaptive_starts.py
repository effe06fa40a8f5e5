"""Adaptive start states: an archive of exact snapshots, started where groups learn most.

With a binary outcome, a group of G rollouts from one start state carries gradient only if it
mixes successes and failures, which is likely when the policy's success rate p from that state is
intermediate (the chance grows with p (1 - p)). `AdaptiveStarts` keeps an archive of candidate
start states (exact `GroupEnv.get_state` snapshots) with success counts, and re-seeds groups from
it by weight

    w = (4 p (1 - p)) ** sharpness + explore / sqrt(1 + visits),   p = (s + a) / (n + 2 a)

(s successes in n episodes, Beta(a, a) prior `prior`; a group of G is G episodes; counts past
`memory` episodes are scaled down so p follows the improving policy). A share `reset_frac` of the
groups always starts from the task's own resets. Candidates come from

- demonstrations (`demo`): every state of the few demos given, up to each demo's first step of
  lasting success (a reverse curriculum emerges: the states just before a demo's success are
  learned first, then earlier ones become intermediate);
- the task's own resets (`reset`): a reset-started group that succeeded at least once is kept,
  with its counts (so resets of intermediate difficulty are revisited);
- the policy's own rollouts (`rollout`): every `trail_every` steps the env keeps a snapshot of
  each tracked row; when a row ends solved from a start that is not yet easy (a task reset, or
  an archive state whose success rate was below one half), the snapshots of one
  solved row of the group become candidates with one success in one episode (new
  demonstrations, of configurations the demos never showed);
- hindsight (`hindsight`): a failed group's start state with the goal moved to where its
  furthest-moving row left the object (that row solved it);
- nearer goals and nearer arms (`nearer`, `arm`): variants of the task's resets. With
  `goal_steps` K > 0 (goal tasks) a group from the task's resets gets its goal moved j / (K + 1)
  of the way from the object to the task's goal; with `arm_steps` K > 0 (tasks with an arm and an
  object) its arm's grip point moved j / (K + 1) of the way toward a point just above the object,
  at rest there (j drawn per group and setting; 0 leaves that part of the reset as it is). They
  are the task's own configurations made easier; like a reset start, a variant is kept (with its
  goal and arm) only when a row of its group succeeded, so untried candidates never crowd the
  archive. `variant_levels` says how j is drawn: `uniform` over 0..K, or `adaptive`, by each
  level's own success rate (`simrl.sim.variant_levels`).
- goal directions (`direction_bins` B > 0, goal tasks): the task's resets a group starts from are
  drawn again, up to a few times, where their goal's direction (from the object, in the x-y
  plane) falls in a bin whose groups all fail or all succeed, so reset groups go where success is
  intermediate (`simrl.sim.goal_directions`).

When the archive holds more than `capacity` candidates, those of the lowest weight go (the oldest
first on ties); demonstration states always stay (their early states are too hard at first and
are the curriculum's later stages; at most `capacity` of them, evenly spaced, are kept). Inspirations: Florensa et al. 2017 (goals of intermediate difficulty), RFCL (Tao et
al. 2024, reverse-forward curriculum from few demos), DAPO's dynamic sampling (equal-reward groups
carry no gradient).

The env (`simrl.sim.group_base.GroupEnv`) drives it: `draw` when groups are re-seeded,
`track_resets` for the groups that start from the task's resets, `record_trail` along episodes and
`report` at each tracked episode's end (final-step success, the evaluation convention). Both
learners train through the env, so GRPO's groups and PPO's SB3 adapter use the same sampler;
evaluation envs never get start states. Its state (`state_dict`) is arrays and plain values.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from simrl.sim.goal_directions import GoalDirections, direction_bin
from simrl.sim.start_states import (
    CurriculumConfig,
    StartBank,
    StartStates,
    _flatten,
    _unflatten,
)
from simrl.sim.start_weights import record, start_weight, success_rate
from simrl.sim.variant_levels import VARIANTS, VariantLevels

SOURCES = ("demo", "reset", "rollout", "hindsight", "nearer", "arm")
P_BINS = (0.0, 0.2, 0.4, 0.6, 0.8, 1.0)  # the logged histogram of success rates


# ------------------------------------------------------------------------- snapshot trees
def _strip(snap: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in snap.items() if k != "env_id"}


def _take(tree: Any, index: np.ndarray, n: int) -> Any:
    """Rows `index` of a snapshot tree whose arrays have `n` rows."""
    if isinstance(tree, dict):
        return {k: _take(v, index, n) for k, v in tree.items()}
    if isinstance(tree, np.ndarray) and tree.ndim and len(tree) == n:
        return tree[index]
    if isinstance(tree, list) and len(tree) == n:
        return [tree[i] for i in np.asarray(index).tolist()]
    return tree


def _concat(a: Any, b: Any, na: int, nb: int) -> Any:
    """Rows of tree `b` (nb rows) after those of `a` (na rows)."""
    if isinstance(a, dict):
        return {k: _concat(a[k], b[k], na, nb) for k in a}
    if isinstance(a, np.ndarray) and a.ndim and len(a) == na:
        return np.concatenate([a, np.asarray(b)])
    if isinstance(a, list) and len(a) == na:
        return a + list(b)
    return a


class Rows:
    """A growable table of snapshot rows (a tree of arrays with one leading dimension)."""

    def __init__(self) -> None:
        self.tree: dict[str, Any] | None = None
        self.n = 0

    def add(self, snap: dict[str, Any], count: int) -> None:
        snap = _strip(snap)
        self.tree = snap if self.tree is None else _concat(self.tree, snap, self.n, count)
        self.n += count

    def take(self, index: np.ndarray) -> dict[str, Any]:
        assert self.tree is not None
        return _take(self.tree, np.asarray(index, np.int64), self.n)

    def keep(self, mask: np.ndarray) -> None:
        if self.tree is not None:
            self.tree = _take(self.tree, np.flatnonzero(mask), self.n)
        self.n = int(np.count_nonzero(mask))

    def state(self) -> dict[str, np.ndarray]:
        return {} if self.tree is None else _flatten(self.tree)

    @classmethod
    def from_state(cls, flat: dict[str, Any], n: int) -> Rows:
        rows = cls()
        if flat:
            rows.tree = _unflatten({k: np.asarray(v) for k, v in flat.items()})
        rows.n = int(n)
        return rows


# ---------------------------------------------------------------------------------- archive
class Archive:
    """Candidate start states with their success counts; ids (`uid`) are never reused."""

    def __init__(self, env_id: str | None, options: dict[str, Any] | None) -> None:
        self.env_id = env_id
        self.options = None if options is None else dict(sorted(options.items()))
        self.rows = Rows()
        self.uid = np.zeros(0, np.int64)
        self.source = np.zeros(0, np.int64)  # index into SOURCES
        self.succ = np.zeros(0, np.float64)  # (faded) successes
        self.trials = np.zeros(0, np.float64)  # (faded) episodes
        self.visits = np.zeros(0, np.int64)  # groups reported
        self.goal: np.ndarray | None = None  # (K, goal_dim) hindsight goals, NaN rows: none
        self.arm: np.ndarray | None = None  # (K, 3) grip points of nearer-arm starts, NaN: none

    def __len__(self) -> int:
        return len(self.uid)

    def check(self, env_id: str, options: dict[str, Any]) -> None:
        """Refuse (one line) demonstrations of another env id or options; an archive without
        demonstrations takes the env's."""
        options = dict(sorted(options.items()))
        if self.env_id is None:
            self.env_id, self.options = env_id, options
            return
        StartBank(self.env_id, self.options or {}, {}, [], [], []).check(env_id, options)

    def add(
        self,
        snap: dict[str, Any],
        uids: np.ndarray,
        source: str,
        succ: Any,
        trials: Any,
        goal: np.ndarray | None = None,
        arm: np.ndarray | None = None,
    ) -> None:
        """Candidates `uids` (snapshot rows `snap`) with their counts and, for hindsight start
        states, the goal that replaces the snapshot's (for nearer-arm ones, the grip point)."""
        k = len(uids)
        self.goal = _extend(self.goal, goal, len(self), k)
        self.arm = _extend(self.arm, arm, len(self), k)
        self.rows.add(snap, k)
        self.uid = np.concatenate([self.uid, np.asarray(uids, np.int64)])
        self.source = np.concatenate([self.source, np.full(k, SOURCES.index(source))])
        self.succ = np.concatenate([self.succ, np.broadcast_to(np.asarray(succ, float), k)])
        self.trials = np.concatenate([self.trials, np.broadcast_to(np.asarray(trials, float), k)])
        self.visits = np.concatenate([self.visits, np.zeros(k, np.int64)])

    def keep(self, mask: np.ndarray) -> None:
        self.rows.keep(mask)
        for name in ("uid", "source", "succ", "trials", "visits"):
            setattr(self, name, getattr(self, name)[mask])
        if self.goal is not None:
            self.goal = self.goal[mask]
        if self.arm is not None:
            self.arm = self.arm[mask]

    def slots(self, uids: np.ndarray) -> np.ndarray:
        """Archive positions of `uids` (-1 for ids no longer held)."""
        uids = np.asarray(uids, np.int64)
        if not len(self.uid):
            return np.full(len(uids), -1, np.int64)
        order = np.argsort(self.uid)
        pos = np.minimum(np.searchsorted(self.uid[order], uids), len(order) - 1)
        return np.where(self.uid[order[pos]] == uids, order[pos], -1)

    def take(self, uids: np.ndarray) -> dict[str, Any]:
        """A `set_state` snapshot of the candidates `uids` (repeats allowed; all held)."""
        slots = self.slots(np.asarray(uids, np.int64))
        assert (slots >= 0).all(), "drawn start states are held"
        snap = {**self.rows.take(slots), "env_id": self.env_id}
        if self.goal is not None:
            snap["goal"] = self.goal[slots]
        if self.arm is not None:
            snap["arm"] = self.arm[slots]
        return snap


def _extend(old: np.ndarray | None, new: np.ndarray | None, n: int, k: int) -> np.ndarray | None:
    """Per-candidate overrides `old` (n rows, or None: none yet) with `k` more rows: `new`, or
    NaN rows (no override) when None."""
    if new is None and old is None:
        return None
    width = np.shape(new)[-1] if old is None else old.shape[1]
    if old is None:
        old = np.full((n, width), np.nan)
    rows = np.full((k, width), np.nan) if new is None else new
    return np.concatenate([old, np.broadcast_to(rows, (k, width))])


# ---------------------------------------------------------------------------------- sampler
class AdaptiveStarts(StartStates):
    """Start groups where their success is intermediate (see the module docstring)."""

    tracks_resets = True

    def __init__(
        self,
        demos: StartBank | None,
        *,
        reset_frac: float = 0.25,
        capacity: int = 2048,
        prior: float = 0.5,
        sharpness: float = 2.0,
        explore: float = 0.05,
        memory: int = 64,
        trail_every: int = 10,
        hindsight: bool = True,
        hindsight_move: float = 0.05,
        goal_steps: int = 0,
        arm_steps: int = 0,
        variant_levels: str = "uniform",
        direction_bins: int = 0,
    ) -> None:
        env_id = None if demos is None else demos.env_id
        self.bank = Archive(env_id, None if demos is None else demos.options)
        self.prob = 1.0 - float(reset_frac)
        self.capacity, self.prior, self.sharpness = int(capacity), float(prior), float(sharpness)
        self.explore, self.memory, self.trail_every = float(explore), int(memory), int(trail_every)
        self.next_uid = 0
        self.pending = Rows()  # start states of reset-started groups in flight
        self.pending_uid = np.zeros(0, np.int64)
        self.pending_row = np.zeros(0, np.int64)  # the group's first env row
        self.pending_achieved: np.ndarray | None = None  # their achieved goals at the start
        self.pending_arm: np.ndarray | None = None  # their arm's grip point if moved, else NaN
        self.pending_goal: np.ndarray | None = None  # their goal if moved nearer, else NaN
        self.hindsight, self.hindsight_move = bool(hindsight), float(hindsight_move)
        self.goal_steps = int(goal_steps)
        self.arm_steps = int(arm_steps)
        self.levels = VariantLevels(
            self.goal_steps, self.arm_steps, variant_levels, prior=self.prior,
            sharpness=self.sharpness, explore=self.explore, memory=self.memory,
        )  # fmt: skip
        self.pending_level = np.zeros((0, 2), np.int64)  # (goal j, arm j) of groups in flight
        self.direction_bins = int(direction_bins)
        self.directions = (
            GoalDirections(
                self.direction_bins,
                prior=self.prior,
                sharpness=self.sharpness,
                explore=self.explore,
                memory=self.memory,
            )  # fmt: skip
            if self.direction_bins
            else None
        )
        self.pending_bin = np.zeros(0, np.int64)  # goal-direction bin of groups in flight, or -1
        self.next_level = np.zeros((0, 2), np.int64)  # levels drawn for the groups about to start
        self.start_row = np.zeros(0, np.int64)  # first env row of groups started from the archive
        self.start_ach: np.ndarray | None = None  # ... and their achieved goals at the start
        self.trail = Rows()  # snapshots along tracked episodes in flight
        self.trail_row = np.zeros(0, np.int64)  # env row of each trail snapshot
        self._clear_stats()
        self.drawn = self.seeded = 0
        if demos is not None and len(demos):  # up to each demo's success: later ones are solved
            rows = np.flatnonzero(demos.step <= demos.solved_at[demos.demo])
            if len(demos) > self.capacity:  # evenly spaced states of the demos
                rows = rows[np.linspace(0, len(rows) - 1, self.capacity).round().astype(np.int64)]
            self.bank.add(_strip(demos.take(rows)), self._new_uids(len(rows)), "demo", 0.0, 0.0)

    @classmethod
    def from_config(cls, cfg: CurriculumConfig, demos: StartBank | None) -> AdaptiveStarts:
        """The sampler of a `curriculum=adaptive` config with its demonstrations (or None)."""
        return cls(
            demos,
            reset_frac=cfg.reset_frac,
            capacity=cfg.capacity,
            prior=cfg.prior,
            sharpness=cfg.sharpness,
            explore=cfg.explore,
            memory=cfg.memory,
            trail_every=cfg.trail_every,
            hindsight=cfg.hindsight,
            hindsight_move=cfg.hindsight_move,
            goal_steps=cfg.goal_steps,
            arm_steps=cfg.arm_steps,
            variant_levels=cfg.variant_levels,
            direction_bins=cfg.direction_bins,
        )

    def _new_uids(self, n: int) -> np.ndarray:
        uids = np.arange(self.next_uid, self.next_uid + n, dtype=np.int64)
        self.next_uid += n
        return uids

    def _clear_stats(self) -> None:
        self.groups = self.mixed = 0  # reported groups of more than one row, mixed outcomes
        self.reset_eps = self.reset_succ = 0  # episodes from the task's own resets
        self.variant_eps = self.variant_succ = 0  # episodes from nearer-goal / nearer-arm resets
        self.archive_eps = self.archive_succ = 0  # episodes from archive states
        self.added = np.zeros(len(SOURCES), np.int64)

    # ------------------------------------------------------------------ weights
    def success_rate(self) -> np.ndarray:
        """Posterior-mean success rate of every candidate."""
        return success_rate(self.bank.succ, self.bank.trials, self.prior)

    def weights(self) -> np.ndarray:
        """Sampling weight of every candidate (see the module docstring)."""
        return start_weight(self.success_rate(), self.bank.visits, self.sharpness, self.explore)

    # ------------------------------------------------------------------ env hooks
    def active_prob(self) -> float:
        return self.prob if len(self.bank) else 0.0

    def pick(self, rng: np.random.Generator, n: int) -> np.ndarray:
        w = self.weights()
        return self.bank.uid[rng.choice(len(w), size=n, p=w / w.sum())]

    def track_resets(
        self,
        env_rows: np.ndarray,
        snap: dict[str, Any],
        achieved: np.ndarray | None = None,
        desired: np.ndarray | None = None,
        arm: np.ndarray | None = None,
        goal: np.ndarray | None = None,
    ) -> np.ndarray:
        """Ids for the start states `snap` of groups re-seeded from the task's own resets (one
        env row of each group: `env_rows`; `achieved`, `desired`: their achieved goals and
        goals, if any; `arm`, `goal`: the grip points and goals they were given instead of the
        reset's, NaN rows: not moved, see `arm_starts` and `goal_starts`)."""
        k = len(env_rows)
        self.pending_arm = _extend(self.pending_arm, arm, self.pending.n, k)
        self.pending_goal = _extend(self.pending_goal, goal, self.pending.n, k)
        if achieved is not None:
            old = self.pending_achieved
            achieved = np.asarray(achieved, np.float64)
            if old is None:
                old = np.zeros((self.pending.n, achieved.shape[1]))
            self.pending_achieved = np.concatenate([old, achieved])
        levels = self.next_level if len(self.next_level) == k else np.zeros((k, 2), np.int64)
        self.pending_level = np.concatenate([self.pending_level, levels])
        self.next_level = np.zeros((0, 2), np.int64)
        bins = np.full(k, -1, np.int64)
        if self.directions is not None and achieved is not None and desired is not None:
            bins = direction_bin(achieved, desired, self.direction_bins)
        self.pending_bin = np.concatenate([self.pending_bin, bins])
        uids = self._new_uids(k)
        self.pending.add(snap, k)
        self.pending_uid = np.concatenate([self.pending_uid, uids])
        self.pending_row = np.concatenate([self.pending_row, np.asarray(env_rows, np.int64)])
        return uids

    def started(self, env_rows: np.ndarray, achieved: np.ndarray | None) -> None:
        """Groups (first env rows `env_rows`) started from archive states whose achieved goals
        are `achieved` (kept for hindsight start states)."""
        if achieved is None or not self.hindsight:
            return
        achieved = np.asarray(achieved, np.float64)
        old = self.start_ach if self.start_ach is not None else np.zeros((0, achieved.shape[1]))
        self.start_ach = np.concatenate([old, achieved])
        self.start_row = np.concatenate([self.start_row, np.asarray(env_rows, np.int64)])

    def _drop_pending(self, keep: np.ndarray) -> None:
        if not keep.all():
            self.pending.keep(keep)
            self.pending_uid = self.pending_uid[keep]
            self.pending_row = self.pending_row[keep]
            self.pending_level = self.pending_level[keep]
            self.pending_bin = self.pending_bin[keep]
            if self.pending_achieved is not None:
                self.pending_achieved = self.pending_achieved[keep]
            if self.pending_arm is not None:
                self.pending_arm = self.pending_arm[keep]
            if self.pending_goal is not None:
                self.pending_goal = self.pending_goal[keep]

    def record_trail(self, env_rows: np.ndarray, uids: np.ndarray, snap: dict[str, Any]) -> None:
        """Snapshots of tracked rows mid-episode (kept until the rows' episodes end)."""
        self.trail.add(snap, len(env_rows))
        self.trail_row = np.concatenate([self.trail_row, np.asarray(env_rows, np.int64)])

    def forget(self, env_rows: np.ndarray) -> None:
        if len(self.start_row):
            keep = ~np.isin(self.start_row, env_rows)
            self.start_row = self.start_row[keep]
            self.start_ach = None if self.start_ach is None else self.start_ach[keep]
        if self.pending.n:
            self._drop_pending(~np.isin(self.pending_row, env_rows))
        if self.trail.n:
            keep = ~np.isin(self.trail_row, env_rows)
            if not keep.all():
                self.trail.keep(keep)
                self.trail_row = self.trail_row[keep]

    def report(
        self,
        rows: np.ndarray,
        success: np.ndarray,
        env_rows: np.ndarray | None = None,
        groups: np.ndarray | None = None,
        achieved: np.ndarray | None = None,
    ) -> None:
        """Tracked episodes (start ids `rows`) ended with final-step `success` (and achieved goals
        `achieved`): update counts, keep informative reset starts, the trails of solved rows and
        hindsight start states, evict past `capacity`."""
        rows = np.asarray(rows, np.int64)
        success = np.asarray(success, bool)
        env_rows = np.arange(len(rows)) if env_rows is None else np.asarray(env_rows, np.int64)
        groups = env_rows if groups is None else np.asarray(groups, np.int64)
        for g in np.unique(groups):
            at = np.flatnonzero(groups == g)
            ach = None if achieved is None else np.asarray(achieved, np.float64)[at]
            self._report_group(int(rows[at[0]]), success[at], env_rows[at], ach)
        self.forget(env_rows)
        self._evict()

    def _report_group(
        self, uid: int, success: np.ndarray, env_rows: np.ndarray, achieved: np.ndarray | None
    ) -> None:
        k, m = int(success.sum()), len(success)
        if m > 1:
            self.groups += 1
            self.mixed += int(0 < k < m)
        slot = int(self.bank.slots(np.array([uid]))[0])
        pend = np.flatnonzero(self.pending_uid == uid)
        # a solved row's trail is worth keeping when its start is not yet easy: the task's
        # reset (new configurations), or an archive state of success rate below one half
        hard = pend.size > 0 or (slot >= 0 and self.success_rate()[slot] < 0.5)
        if pend.size:  # a group from the task's own reset
            snap = self.pending.take(pend[:1])
            start = None if self.pending_achieved is None else self.pending_achieved[pend[0]]
            arm = None if self.pending_arm is None else _moved(self.pending_arm[pend[:1]])
            goal = None if self.pending_goal is None else _moved(self.pending_goal[pend[:1]])
            self.levels.count(self.pending_level[pend[0]], k, m)
            if self.directions is not None and self.pending_bin[pend[0]] >= 0:
                self.directions.count(self.pending_bin[pend[0]], k, m)
            self._drop_pending(self.pending_uid != uid)
            if arm is None and goal is None:
                self.reset_eps += m
                self.reset_succ += k
            else:  # a nearer-goal / nearer-arm variant of the reset
                self.variant_eps += m
                self.variant_succ += k
            source = (
                "reset" if arm is None and goal is None else "arm" if goal is None else "nearer"
            )
            if k:
                self.bank.add(snap, np.array([uid]), source, float(k), float(m), goal, arm)
                self.added[SOURCES.index(source)] += 1
            elif self.hindsight and achieved is not None and start is not None:
                self._add_hindsight(snap, start, achieved, env_rows, arm)
        elif slot >= 0:
            if not k and achieved is not None and self.start_ach is not None:
                at = np.flatnonzero(self.start_row == env_rows.min())
                if at.size:
                    snap = self.bank.take(np.array([uid]))
                    arm = snap.get("arm")  # the start's arm, when it was moved nearer
                    snap = {n: v for n, v in snap.items() if n not in ("env_id", "goal", "arm")}
                    self._add_hindsight(snap, self.start_ach[at[0]], achieved, env_rows, arm)
            self.archive_eps += m
            self.archive_succ += k
            record(self.bank.succ, self.bank.trials, self.bank.visits, slot, k, m, self.memory)
        if k and hard and self.trail.n:  # the states along one solved row become candidates
            row = env_rows[np.flatnonzero(success)[0]]
            at = np.flatnonzero(self.trail_row == row)
            if not pend.size:  # from an archive state: only the first (the hardest) one
                at = at[:1]
            if at.size:
                # each state carries its evidence: one episode that passed it ended solved
                self.bank.add(self.trail.take(at), self._new_uids(at.size), "rollout", 1.0, 1.0)
                self.added[SOURCES.index("rollout")] += at.size

    def _add_hindsight(
        self,
        start_snap: dict[str, Any],
        start: np.ndarray,
        achieved: np.ndarray,
        env_rows: Any,
        arm: np.ndarray | None = None,
    ) -> None:
        """A failed group: the row that moved the object furthest (at least `hindsight_move`)
        solved the goal where the object ended, so the group's start state with that goal is a
        start state with one success."""
        moved = np.linalg.norm(achieved - start, axis=1)
        j = int(np.argmax(moved))
        if moved[j] < self.hindsight_move:
            return
        goal = np.asarray(achieved[j], np.float64)[None]
        self.bank.add(
            _strip(start_snap), self._new_uids(1), "hindsight", 1.0, 1.0, goal=goal, arm=arm
        )
        self.added[SOURCES.index("hindsight")] += 1

    def arm_starts(
        self, rng: np.random.Generator, grip: np.ndarray, above: np.ndarray
    ) -> np.ndarray:
        """Grip points (k, 3) for k groups about to start from the task's resets: moved j / (K + 1)
        of the way from `grip` to `above` (K = `arm_steps`, j drawn by `variant_levels`); NaN
        rows (j = 0): the reset's arm as it is."""
        return self._variants(rng, "arm", grip, above)

    def goal_starts(
        self, rng: np.random.Generator, achieved: np.ndarray, desired: np.ndarray
    ) -> np.ndarray:
        """Goals (k, goal_dim) for k groups about to start from the task's resets: moved
        j / (K + 1) of the way from the object (`achieved`) to the task's goal (`desired`),
        K = `goal_steps`; NaN rows (j = 0): the task's goal."""
        return self._variants(rng, "goal", achieved, desired)

    def _variants(
        self, rng: np.random.Generator, kind: str, start: np.ndarray, end: np.ndarray
    ) -> np.ndarray:
        """Points j / (K + 1) of the way from `start` to `end` (rows), j drawn per row; NaN rows
        where j = 0. The levels are kept for the groups' `track_resets`."""
        j = self.levels.draw(rng, kind, len(start))
        if len(self.next_level) != len(j):
            self.next_level = np.zeros((len(j), 2), np.int64)
        self.next_level[:, VARIANTS.index(kind)] = j
        steps = self.levels.steps(kind)
        start, end = np.asarray(start, np.float64), np.asarray(end, np.float64)
        out = start + (j / (steps + 1))[:, None] * (end - start)
        out[j == 0] = np.nan
        return out

    def _evict(self) -> None:
        extra = len(self.bank) - self.capacity
        if extra <= 0:
            return
        w = self.weights()
        w[self.bank.source == SOURCES.index("demo")] = np.inf  # demo states stay: too hard now,
        order = np.lexsort((self.bank.uid, w))  # they are the curriculum's later stages
        keep = np.ones(len(self.bank), bool)
        keep[order[:extra]] = False
        self.bank.keep(keep)

    # ------------------------------------------------------------------ reporting and state
    def metrics(self) -> dict[str, float]:
        """Archive size by source, success-rate quantiles and histogram, informative share."""
        seeded = self.seeded
        out = super().metrics()
        out["curriculum/reset_frac"] = 1.0 - out["curriculum/bank_frac"] if seeded else 0.0
        b = self.bank
        out["curriculum/archive_size"] = float(len(b))
        for i, name in enumerate(SOURCES):
            out[f"curriculum/archive_{name}"] = float(np.count_nonzero(b.source == i))
            out[f"curriculum/added_{name}"] = float(self.added[i])
        visited = b.trials > 0
        p = self.success_rate()[visited]
        for q in (10, 50, 90):
            out[f"curriculum/p_q{q}"] = float(np.percentile(p, q)) if p.size else float("nan")
        hist = np.histogram(p, bins=P_BINS)[0] if p.size else np.zeros(len(P_BINS) - 1)
        for i, count in enumerate(hist):
            out[f"curriculum/p_hist{i}"] = float(count) / max(p.size, 1)
        out["curriculum/visited_frac"] = float(visited.mean()) if len(b) else 0.0
        out["curriculum/informative_frac"] = (
            self.mixed / self.groups if self.groups else float("nan")
        )
        out["curriculum/reset_success"] = (
            self.reset_succ / self.reset_eps if self.reset_eps else float("nan")
        )
        out["curriculum/variant_success"] = (
            self.variant_succ / self.variant_eps if self.variant_eps else float("nan")
        )
        out["curriculum/archive_success"] = (
            self.archive_succ / self.archive_eps if self.archive_eps else float("nan")
        )
        out.update(self.levels.metrics())
        if self.directions is not None:
            out.update(self.directions.metrics())
        self._clear_stats()
        return out

    def state_dict(self) -> dict[str, Any]:
        """Arrays and plain values only (the archive, counts, states in flight)."""
        b = self.bank
        return {
            "kind": "adaptive",
            "env_id": b.env_id,
            "options": json_options(b.options),
            "next_uid": self.next_uid,
            "archive": b.rows.state(),
            "archive_n": len(b),
            "uid": b.uid.copy(),
            "source": b.source.copy(),
            "succ": b.succ.copy(),
            "trials": b.trials.copy(),
            "visits": b.visits.copy(),
            "pending": self.pending.state(),
            "pending_uid": self.pending_uid.copy(),
            "pending_row": self.pending_row.copy(),
            "pending_achieved": _or_empty(self.pending_achieved),
            "pending_arm": _or_empty(self.pending_arm),
            "pending_goal": _or_empty(self.pending_goal),
            "variant_stats": np.array([self.variant_eps, self.variant_succ], np.int64),
            "pending_level": self.pending_level.copy(),
            "pending_bin": self.pending_bin.copy(),
            **self.levels.state_dict(),
            **({} if self.directions is None else self.directions.state_dict()),
            "goal": _or_empty(b.goal),
            "arm": _or_empty(b.arm),
            "start_row": self.start_row.copy(),
            "start_ach": _or_empty(self.start_ach),
            "trail": self.trail.state(),
            "trail_row": self.trail_row.copy(),
            "stats": np.array(
                [
                    self.groups,
                    self.mixed,
                    self.reset_eps,
                    self.reset_succ,
                    self.archive_eps,
                    self.archive_succ,
                    self.drawn,
                    self.seeded,
                    *self.added.tolist(),
                ],
                np.int64,
            ),  # fmt: skip
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        if state.get("kind") != "adaptive":
            raise ValueError(
                f"curriculum state is not of curriculum=adaptive ({state.get('kind')!r})"
            )
        b = self.bank
        if b.env_id is not None and state["env_id"] != b.env_id:
            raise ValueError(
                f"curriculum state is of {state['env_id']!r}, this env is {b.env_id!r}"
            )
        b.env_id = state["env_id"]
        b.options = None if state["options"] is None else dict(state["options"])
        self.next_uid = int(state["next_uid"])
        b.rows = Rows.from_state(state["archive"], int(state["archive_n"]))
        for name in ("uid", "source", "succ", "trials", "visits"):
            setattr(b, name, np.asarray(state[name]).copy())
        self.pending = Rows.from_state(state["pending"], len(state["pending_uid"]))
        self.pending_uid = np.asarray(state["pending_uid"], np.int64).copy()
        self.pending_row = np.asarray(state["pending_row"], np.int64).copy()
        self.pending_achieved = _or_none(state["pending_achieved"])
        self.pending_arm = _or_none(state.get("pending_arm", np.zeros((0, 0))))
        self.pending_goal = _or_none(state.get("pending_goal", np.zeros((0, 0))))
        self.variant_eps, self.variant_succ = (int(x) for x in state.get("variant_stats", (0, 0)))
        n_pending = len(self.pending_uid)  # states saved before variant levels: all level 0
        self.pending_level = np.asarray(
            state.get("pending_level", np.zeros((n_pending, 2))), np.int64
        ).copy()
        self.levels.load_state_dict(state)
        self.pending_bin = np.asarray(
            state.get("pending_bin", np.full(n_pending, -1)), np.int64
        ).copy()
        if self.directions is not None:
            self.directions.load_state_dict(state)
        b.goal = _or_none(state["goal"])
        b.arm = _or_none(state.get("arm", np.zeros((0, 0))))  # states saved before nearer arms
        self.start_row = np.asarray(state["start_row"], np.int64).copy()
        self.start_ach = _or_none(state["start_ach"])
        self.trail = Rows.from_state(state["trail"], len(state["trail_row"]))
        self.trail_row = np.asarray(state["trail_row"], np.int64).copy()
        stats = np.asarray(state["stats"]).tolist()
        (self.groups, self.mixed, self.reset_eps, self.reset_succ, self.archive_eps,
         self.archive_succ, self.drawn, self.seeded) = (int(x) for x in stats[:8])  # fmt: skip
        added = np.zeros(len(SOURCES), np.int64)  # states saved before a source was added
        added[: len(stats) - 8] = stats[8:]
        self.added = added


def _moved(row: np.ndarray) -> np.ndarray | None:
    """A one-row override (1, d), or None where it is NaN (not moved)."""
    return row if np.isfinite(row).all() else None


def _or_empty(x: np.ndarray | None) -> np.ndarray:
    return np.zeros((0, 0)) if x is None else x.copy()


def _or_none(x: Any) -> np.ndarray | None:
    x = np.asarray(x, np.float64)
    return None if x.shape == (0, 0) else x.copy()


def json_options(options: dict[str, Any] | None) -> dict[str, Any] | None:
    """Task options as plain values (a checkpoint holds no numpy scalars)."""
    if options is None:
        return None
    return {k: v.item() if isinstance(v, np.generic) else v for k, v in options.items()}
