"""Task resets drawn by the direction of their goal (`curriculum.direction_bins`).

A goal task's reset puts the object somewhere and the goal somewhere else; which way the object
must go (the direction from the object to the goal in the x-y plane) often decides whether a
policy can solve it: a pushing policy that has learned to push away from the robot may never
have touched the cube when the goal lies toward it. With binary outcomes the directions it never
solves give groups without gradient, and so do the ones it always solves.

`GoalDirections` splits the directions into B equal bins (bin 0 starts at -180 degrees) and
counts each bin's success over the groups started from the task's resets there (faded past
`memory` episodes, like an archive candidate's). A group about to start from a task reset is
kept with probability

    a = floor + (1 - floor) * w / max(w),   w = (4 p (1 - p)) ** sharpness + explore / sqrt(1 + groups),

p the bin's success rate, floor = 1 / (B + 1); otherwise it is reset again (at most `TRIES`
draws, the last one kept). Starts stay the task's own configurations, tilted toward the
directions where groups mix successes and failures: the edge of what the policy can do, which
moves as neighbouring directions are learned (goals of intermediate difficulty, Florensa et al.
2017, over the task's own distribution). Every direction keeps at least the `floor` share.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from simrl.sim.start_weights import record, start_weight, success_rate

TRIES = 8  # most task resets drawn for one group


def direction_bin(achieved: np.ndarray, desired: np.ndarray, bins: int) -> np.ndarray:
    """Bin (n,) of the x-y direction from each object (`achieved`, (n, d >= 2)) to its goal."""
    delta = np.asarray(desired, np.float64)[:, :2] - np.asarray(achieved, np.float64)[:, :2]
    angle = np.arctan2(delta[:, 1], delta[:, 0])  # [-pi, pi]
    return np.minimum(((angle + np.pi) / (2 * np.pi) * bins).astype(np.int64), bins - 1)


class GoalDirections:
    """Success counts per goal direction and the chance of keeping a reset (module docstring)."""

    def __init__(
        self,
        bins: int,
        *,
        prior: float = 0.5,
        sharpness: float = 2.0,
        explore: float = 0.05,
        memory: int = 64,
    ) -> None:
        if bins < 1:
            raise ValueError(f"direction bins must be >= 1, got {bins}")
        self.bins, self.prior, self.sharpness = int(bins), float(prior), float(sharpness)
        self.explore, self.memory = float(explore), int(memory)
        self.stats = np.zeros((3, self.bins))  # faded successes, episodes, groups per bin
        self.redraws = self.kept = 0  # since the last metrics: extra resets drawn, groups kept

    @property
    def floor(self) -> float:
        return 1.0 / (self.bins + 1)

    def success_rate(self) -> np.ndarray:
        return success_rate(self.stats[0], self.stats[1], self.prior)

    def keep_prob(self) -> np.ndarray:
        """Chance (B,) that a task reset whose goal lies in each bin is kept."""
        w = start_weight(self.success_rate(), self.stats[2], self.sharpness, self.explore)
        return self.floor + (1.0 - self.floor) * w / w.max()

    def keep(
        self, rng: np.random.Generator, achieved: np.ndarray, desired: np.ndarray, last: bool
    ) -> np.ndarray:
        """Which of these resets (rows of objects and goals) to keep; all on the `last` try."""
        if last:
            keep = np.ones(len(achieved), bool)
        else:
            a = self.keep_prob()[direction_bin(achieved, desired, self.bins)]
            keep = rng.random(len(achieved)) < a
        self.redraws += int(np.count_nonzero(~keep))
        self.kept += int(np.count_nonzero(keep))
        return keep

    def count(self, b: int, k: int, m: int) -> None:
        """A group from a task reset in bin `b` ended with k of m rows solved."""
        record(*self.stats, int(b), k, m, self.memory)

    def metrics(self) -> dict[str, float]:
        """Resets drawn per group kept since the last call, the number of tried bins at a
        success rate of one half or more, and (B <= 16) each bin's rate."""
        p = self.success_rate()
        tried = self.stats[2] > 0
        out = {
            "curriculum/dir_draws": (self.kept + self.redraws) / self.kept
            if self.kept
            else float("nan"),
            "curriculum/dir_solved_bins": float(np.count_nonzero(p[tried] >= 0.5)),
        }
        if self.bins <= 16:
            out.update({f"curriculum/dir_p{b}": float(pb) for b, pb in enumerate(p)})
        self.redraws = self.kept = 0
        return out

    def state_dict(self) -> dict[str, Any]:
        return {"dir_stats": self.stats.copy()}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Counts saved with the same number of bins (other states: none)."""
        saved = state.get("dir_stats")
        if saved is not None and np.shape(saved) == self.stats.shape:
            self.stats = np.asarray(saved, np.float64).copy()
