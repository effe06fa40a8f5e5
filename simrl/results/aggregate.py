"""Group the runs of a sweep by their settings and compute each group's statistics over seeds.

`seed_stats` is the one aggregation over seeds in simrl (the benchmark's per-algo figures use it
too). Runs are grouped by their Hydra overrides minus the seed and the keys that do not change results
(`simrl.results.run_dirs.IGNORED_KEYS`), so the runs of `simrl-train -m algo=grpo,ppo seed=0,1,2` fall
into two groups of three. Each group gets mean ± sample std (ddof=1) of every STATS column over its
completed runs (stopped and failed runs are counted and listed, not averaged), and the IQM with
its 95% bootstrap interval of the ROBUST columns. `first_reached` gives, per seed, the env steps at
which a run first reached a target return.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from simrl.results.run_dirs import RunRecord
from simrl.results.stats import Estimate, Stat, iqm, mean_std

# (column, summary key) aggregated over the seeds of a group.
STATS: tuple[tuple[str, str], ...] = (
    ("return", "final_return_mean"),
    ("success", "success_rate"),
    ("peak_memory_bytes", "peak_learner_memory_bytes"),
    ("flops_per_sample", "learner_flops_per_sample"),
    ("env_steps_per_s", "env_steps_per_s"),
    ("wall_s", "wall_s"),
    ("env_steps", "env_steps"),
)
# Columns that also get the IQM with its confidence interval (the learning outcomes).
ROBUST: tuple[str, ...] = ("return", "success")


def seed_stats(
    rows: Sequence[Mapping[str, Any]],
    keys: Iterable[str | tuple[str, str]],
    robust: Iterable[str] = (),
) -> tuple[dict[str, Stat], dict[str, Estimate]]:
    """The one aggregation over seeds: per key, mean ± sample std (ddof=1) of the rows' values,
    and for the `robust` keys the IQM with its 95% bootstrap interval.

    A key is a name, or a (column, row key) pair that reports `row[row key]` as `column`. Both
    the sweep report (`group_runs`, rows = summaries) and the GRPO-vs-PPO benchmark
    (`simrl.bench.figures.aggregate`, rows = per-run figures) aggregate through it.
    """
    pairs = [(k, k) if isinstance(k, str) else k for k in keys]
    values = {col: [row.get(key) for row in rows] for col, key in pairs}
    return (
        {col: mean_std(v) for col, v in values.items()},
        {col: iqm(values[col]) for col in robust},
    )


@dataclass
class Group:
    """Runs sharing their settings (all seeds), with statistics over the completed ones."""

    key: tuple[str, ...]
    runs: list[RunRecord]
    stats: dict[str, Stat]
    iqm: dict[str, Estimate] = field(default_factory=dict)
    common: tuple[str, ...] = ()  # overrides shared by every group (left out of the label)

    @property
    def label(self) -> str:
        return ",".join(k for k in self.key if k not in self.common) or "(defaults)"

    @property
    def completed(self) -> list[RunRecord]:
        """The runs the statistics are over: those that reached their budget."""
        return [r for r in self.runs if r.completed]

    @property
    def stopped(self) -> list[RunRecord]:
        """Runs stopped before their budget (listed and counted, not in the statistics)."""
        return [r for r in self.runs if r.stopped]

    @property
    def failed(self) -> list[RunRecord]:
        return [r for r in self.runs if r.failed]

    @property
    def env_ids(self) -> list[str]:
        return sorted({r.env_id for r in self.runs})

    @property
    def seeds(self) -> list[Any]:
        return sorted({r.summary.get("seed") for r in self.completed}, key=str)


def first_crossing(points: list[tuple[Any, Any, Any]], threshold: float | None) -> tuple:
    """(env_steps, wall_s) of the first eval point with return >= threshold, else (None, None).

    `points` are (env_steps, wall_s, return) in run order.
    """
    if threshold is None:
        return None, None
    for steps, wall, ret in points:
        if ret is not None and ret >= threshold:
            return steps, wall
    return None, None


def first_reached(group: Group, target: float) -> list[Any]:
    """Per completed run (in seed order): env steps of its first evaluation with return >= target
    (None where it never got there)."""
    runs = sorted(group.completed, key=lambda r: str(r.summary.get("seed")))
    return [
        first_crossing([(p["env_steps"], p["wall_s"], p["return_mean"]) for p in r.curve], target)[
            0
        ]
        for r in runs
    ]


def group_runs(records: list[RunRecord], robust: bool = True) -> list[Group]:
    """Groups sorted by key; `robust=False` skips the IQM bootstrap (faster, no rliable)."""
    groups: dict[tuple[str, ...], list[RunRecord]] = {}
    for rec in records:
        groups.setdefault(rec.group_key, []).append(rec)
    out = []
    for key in sorted(groups):
        runs = groups[key]
        done = [r.summary for r in runs if r.completed]
        stats, estimates = seed_stats(done, STATS, ROBUST if robust else ())
        out.append(Group(key, runs, stats, estimates))
    common = set.intersection(*(set(g.key) for g in out)) if len(out) > 1 else set()
    for g in out:
        g.common = tuple(sorted(common))
    return out
