"""The levels of the adaptive curriculum's reset variants (`curriculum.variant_levels`).

A reset variant (`simrl.sim.adaptive_starts`: `goal_steps` / `arm_steps` = K) moves the goal or the
arm j / (K + 1) of the way toward an easier configuration, j in 0..K (0: the reset itself).
`uniform` draws j uniformly. `adaptive` keeps j = 0's uniform share 1 / (K + 1) and draws the levels
1..K by the archive's weight on each level's own success rate,

    w = (4 p (1 - p)) ** sharpness + explore / sqrt(1 + groups),   p = (s + a) / (n + 2 a),

counted over the groups started at that level and faded past `memory` episodes like a candidate's,
so groups start where success is intermediate and move back toward the reset as nearer levels are
learned (a reverse curriculum over the task's own configurations, with no demonstrations).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from simrl.sim.start_weights import record, start_weight, success_rate

VARIANTS = ("goal", "arm")  # the kinds of reset variants (columns of a (n, 2) array of levels)


class VariantLevels:
    """Draws and counts the levels of each kind of reset variant (see the module docstring)."""

    def __init__(
        self,
        goal_steps: int,
        arm_steps: int,
        mode: str = "uniform",
        *,
        prior: float = 0.5,
        sharpness: float = 2.0,
        explore: float = 0.05,
        memory: int = 64,
    ) -> None:
        self.mode, self.prior, self.sharpness = str(mode), float(prior), float(sharpness)
        self.explore, self.memory = float(explore), int(memory)
        # per kind and level j: faded success count, episode count, groups started
        self.stats = {
            kind: np.zeros((3, int(steps) + 1))
            for kind, steps in zip(VARIANTS, (goal_steps, arm_steps), strict=True)
        }
        self.drawn = np.zeros((2, 2))  # per kind, since the last metrics: sum of j / K, draws

    def steps(self, kind: str) -> int:
        return self.stats[kind].shape[1] - 1

    def probs(self, kind: str) -> np.ndarray:
        """Chance of each level j = 0..K of a `kind` variant."""
        steps = self.steps(kind)
        if self.mode == "uniform" or steps == 0:
            return np.full(steps + 1, 1.0 / (steps + 1))
        succ, trials, groups = self.stats[kind][:, 1:]
        w = start_weight(
            success_rate(succ, trials, self.prior), groups, self.sharpness, self.explore
        )
        return np.concatenate([[1.0 / (steps + 1)], steps / (steps + 1) * w / w.sum()])

    def draw(self, rng: np.random.Generator, kind: str, n: int) -> np.ndarray:
        """Levels (n,) of `kind` for n groups about to start from the task's resets."""
        steps = self.steps(kind)
        if self.mode == "uniform":
            j = rng.integers(0, steps + 1, size=n)
        else:
            j = rng.choice(steps + 1, size=n, p=self.probs(kind))
        self.drawn[VARIANTS.index(kind)] += (float(j.sum()) / max(steps, 1), n)
        return j

    def count(self, levels: np.ndarray, k: int, m: int) -> None:
        """A group started at levels `levels` (goal j, arm j) ended with k of m rows solved."""
        for kind, j in zip(VARIANTS, levels, strict=True):
            stats = self.stats[kind]
            if stats.shape[1] > 1:
                record(*stats, int(j), k, m, self.memory)

    def metrics(self) -> dict[str, float]:
        """Per kind in use: the mean level drawn (j / K) since the last call, and (K <= 8) each
        level's success rate."""
        out = {}
        for col, kind in enumerate(VARIANTS):
            stats = self.stats[kind]
            if stats.shape[1] > 1:
                total, n = self.drawn[col]
                out[f"curriculum/{kind}_level"] = total / n if n else float("nan")
                if stats.shape[1] <= 9:
                    p = success_rate(stats[0], stats[1], self.prior)
                    out.update({f"curriculum/{kind}_p{j}": float(pj) for j, pj in enumerate(p)})
        self.drawn[:] = 0
        return out

    def state_dict(self) -> dict[str, Any]:
        return {f"level_stats_{kind}": self.stats[kind].copy() for kind in VARIANTS} | {
            "level_drawn": self.drawn.copy()
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Counts saved with the same numbers of levels (states saved before levels: none)."""
        for kind in VARIANTS:
            saved = state.get(f"level_stats_{kind}")
            if saved is not None and np.shape(saved) == self.stats[kind].shape:
                self.stats[kind] = np.asarray(saved, np.float64).copy()
        self.drawn = np.asarray(state.get("level_drawn", np.zeros((2, 2))), np.float64).copy()
