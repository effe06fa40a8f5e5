"""Settings of a GRPO-vs-PPO comparison (the `bench` node of `simrl-bench`), as a plain dataclass."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from simrl.algos.registry import available_algos
from simrl.config.fields import check_fields, limit

# Deterministic-eval return that counts as "solved enough" for steps/seconds-to-threshold.
# Reacher: better than -10 (zero action -13.0, random -43); Pusher: the CleanRL PPO 1M-step level.
DEFAULT_THRESHOLDS: dict[str, float] = {"Reacher-v5": -10.0, "Pusher-v5": -40.0}
QUICK_SEEDS: list[int] = [0]
QUICK_GRPO_ITERATIONS = 3  # quick mode's budget: this many GRPO iterations' worth of env steps


@dataclass
class BenchConfig:
    """Which algorithms and seeds, the threshold, quick mode and output options."""

    algos: list[str] = field(default_factory=lambda: ["grpo", "ppo"])
    seeds: list[int] = field(default_factory=lambda: [0, 1, 2])
    quick: bool = False  # one seed, a budget of a few GRPO iterations, no checkpoints/TensorBoard
    threshold: float | None = None  # eval return for steps/seconds-to-threshold; None: env default
    eval_points: int = limit(20, ge=1)  # deterministic evaluations per run (approx.)
    skip_done: bool = True  # reuse runs whose summary.json says "completed" (continue a bench)
    plots: bool = True

    def __post_init__(self) -> None:
        self.validate()

    def validate(self) -> None:
        """One-line ValueErrors for bad values."""
        check_fields(self, owner="bench")
        known = available_algos()
        if not self.algos or any(a not in known for a in self.algos):
            raise ValueError(
                f"bench.algos={list(self.algos)} must be a non-empty list from {known}"
            )
        if len(set(self.algos)) != len(self.algos):
            raise ValueError(f"bench.algos={list(self.algos)} lists an algorithm twice")
        if not self.seeds or any(
            not isinstance(s, int) or isinstance(s, bool) or s < 0 for s in self.seeds
        ):
            raise ValueError(
                f"bench.seeds={list(self.seeds)} must be a non-empty list of ints >= 0"
            )
        repeated = sorted({s for s in self.seeds if list(self.seeds).count(s) > 1})
        if repeated:  # a repeat would be the same run counted twice (n=2, std 0)
            raise ValueError(
                f"bench.seeds={list(self.seeds)} lists seed {', '.join(map(str, repeated))} "
                "more than once; allowed: distinct seeds, e.g. [0,1,2]"
            )

    def threshold_for(self, env_id: str) -> float | None:
        """The threshold in use for `env_id` (explicit value, else the env's default, else None)."""
        if self.threshold is not None:
            return float(self.threshold)
        return DEFAULT_THRESHOLDS.get(env_id)


def grpo_iteration_steps(grpo_cfg: Any, max_episode_steps: int) -> int:
    """Env steps of one GRPO iteration: groups x group size x horizon (full episode if 0)."""
    horizon = getattr(grpo_cfg, "horizon", 0) or max_episode_steps
    return int(grpo_cfg.num_groups * grpo_cfg.group_size * horizon)
