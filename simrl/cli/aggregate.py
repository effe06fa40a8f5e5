"""Aggregate run directories (a sweep) into per-group statistics over seeds; pure functions.

A run is any directory holding `summary.json` (written by `simrl.runs.run_training`, or a failed
summary written by the CLI). Runs are grouped by their Hydra overrides (`.hydra/overrides.yaml`)
minus the seed and the keys that do not change results (progress, device, ...), so the runs of
`simrl-train -m algo=grpo,ppo seed=0,1,2` fall into two groups of three.
"""

from __future__ import annotations

import csv
import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

# Keys that never define a group (they differ between repeats or do not change results).
IGNORED_KEYS = frozenset(
    {"seed", "progress", "device", "resume", "tensorboard", "num_threads", "env.num_threads"}
)
# (column, summary key) averaged over the seeds of a group.
STATS: tuple[tuple[str, str], ...] = (
    ("return", "final_return_mean"),
    ("success", "success_rate"),
    ("peak_memory_bytes", "peak_learner_memory_bytes"),
    ("flops_per_sample", "learner_flops_per_sample"),
    ("env_steps_per_s", "env_steps_per_s"),
    ("wall_s", "wall_s"),
    ("env_steps", "env_steps"),
)


@dataclass
class RunRecord:
    """One run directory: its summary, its overrides and its evaluation curve."""

    path: Path
    summary: dict[str, Any]
    overrides: list[str]
    curve: list[dict[str, float]] = field(default_factory=list)  # env_steps, wall_s, return_mean

    @property
    def failed(self) -> bool:
        return self.summary.get("status") == "failed"

    @property
    def group_key(self) -> tuple[str, ...]:
        """Overrides that define the group (sorted; seed and the ignored keys removed)."""
        keep = []
        for item in self.overrides:
            key = item.split("=", 1)[0].lstrip("+~")
            if key not in IGNORED_KEYS:
                keep.append(item.lstrip("+"))
        if not keep:  # no overrides recorded: fall back to what the summary says
            keep = [f"algo={self.summary.get('algo')}", f"env={self.summary.get('env_id')}"]
        return tuple(sorted(keep))


@dataclass
class GroupStats:
    """Statistics of one group over its completed runs (seeds)."""

    key: tuple[str, ...]
    runs: list[RunRecord]
    stats: dict[str, tuple[float, float, int]]  # column -> (mean, std, n)

    common: tuple[str, ...] = ()  # overrides shared by every group (left out of the label)

    @property
    def label(self) -> str:
        return ",".join(k for k in self.key if k not in self.common) or "(defaults)"

    @property
    def completed(self) -> list[RunRecord]:
        return [r for r in self.runs if not r.failed]

    @property
    def failed(self) -> list[RunRecord]:
        return [r for r in self.runs if r.failed]

    @property
    def seeds(self) -> list[Any]:
        return sorted({r.summary.get("seed") for r in self.completed}, key=str)


def _read_overrides(run_dir: Path) -> list[str]:
    path = run_dir / ".hydra" / "overrides.yaml"
    if not path.exists():
        return []
    import yaml

    data = yaml.safe_load(path.read_text()) or []
    return [str(x) for x in data]


def _read_curve(run_dir: Path, summary: dict[str, Any]) -> list[dict[str, float]]:
    """Evaluation points from summary.json's eval_curve, else metrics.csv's eval columns."""
    points = []
    for p in summary.get("eval_curve") or []:
        if isinstance(p, dict) and _num(p.get("env_steps")) and _num(p.get("return_mean")):
            points.append(
                {
                    "env_steps": float(p["env_steps"]),
                    "wall_s": float(p.get("wall_s") or math.nan),
                    "return_mean": float(p["return_mean"]),
                }
            )
    if points or not (run_dir / "metrics.csv").exists():
        return points
    with open(run_dir / "metrics.csv", newline="") as fh:
        for row in csv.DictReader(fh):
            y = _float(row.get("eval_return_mean"))
            x = _float(row.get("env_steps"))
            if math.isfinite(x) and math.isfinite(y):
                points.append(
                    {"env_steps": x, "wall_s": _float(row.get("wall_s")), "return_mean": y}
                )
    return points


def _num(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _float(value: Any) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return math.nan


def load_runs(root: str | Path) -> list[RunRecord]:
    """Every run under `root` (directories holding summary.json), sorted by path."""
    root = Path(root)
    if not root.is_dir():
        raise ValueError(f"{root} is not a directory (give a sweep or outputs directory)")
    records = []
    for path in sorted(root.rglob("summary.json")):
        run_dir = path.parent
        if "report" in run_dir.relative_to(root).parts[:1]:
            continue
        try:
            summary = json.loads(path.read_text())
        except ValueError as exc:
            summary = {"status": "failed", "error": f"unreadable summary.json: {exc}"}
        records.append(RunRecord(run_dir, summary, _read_overrides(run_dir)))
        records[-1].curve = _read_curve(run_dir, summary)
    return records


def mean_std(values: list[float]) -> tuple[float, float, int]:
    """(mean, sample std (ddof=1; nan for one value), n) over the finite values."""
    vals = np.array([v for v in values if _num(v)], dtype=float)
    if vals.size == 0:
        return math.nan, math.nan, 0
    std = float(vals.std(ddof=1)) if vals.size > 1 else math.nan
    return float(vals.mean()), std, int(vals.size)


def aggregate(records: list[RunRecord]) -> list[GroupStats]:
    """Group runs by `group_key` and average the STATS columns over completed runs."""
    groups: dict[tuple[str, ...], list[RunRecord]] = {}
    for rec in records:
        groups.setdefault(rec.group_key, []).append(rec)
    out = []
    for key in sorted(groups):
        runs = groups[key]
        done = [r for r in runs if not r.failed]
        stats = {col: mean_std([r.summary.get(k) for r in done]) for col, k in STATS}
        out.append(GroupStats(key, runs, stats))
    common = set.intersection(*(set(g.key) for g in out)) if len(out) > 1 else set()
    for g in out:
        g.common = tuple(sorted(common))
    return out


def mean_curve(
    runs: list[RunRecord], x: str = "env_steps", y: str = "return_mean"
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(x grid, mean, std) of the runs' curves on the union of their x values, restricted to the
    range every run covers (linear interpolation between evaluation points)."""
    curves = []
    for r in runs:
        pts = sorted((p[x], p[y]) for p in r.curve if _num(p.get(x)) and _num(p.get(y)))
        if pts:
            curves.append(np.array(pts, dtype=float))
    if not curves:
        empty = np.zeros(0)
        return empty, empty, empty
    lo = max(c[0, 0] for c in curves)
    hi = min(c[-1, 0] for c in curves)
    grid = np.unique(np.concatenate([c[:, 0] for c in curves]))
    grid = grid[(grid >= lo) & (grid <= hi)]
    ys = np.stack([np.interp(grid, c[:, 0], c[:, 1]) for c in curves])
    std = ys.std(axis=0, ddof=1) if len(curves) > 1 else np.zeros_like(grid)
    return grid, ys.mean(axis=0), std
