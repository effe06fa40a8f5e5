"""Read run directories back: summary.json, metrics.csv, config.yaml, .hydra/overrides.yaml.

A run directory is what `simrl.runs.run_training` leaves (or a failed summary.json written by the
CLI for a run that could not start). Every reader parses numbers with `num`, so a CSV string, a
None, a NaN or a bool all read the same way everywhere.
"""

from __future__ import annotations

import csv
import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# Keys that never define a group of runs: they differ between repeats or do not change results.
IGNORED_KEYS = frozenset(
    {"seed", "progress", "device", "resume", "tensorboard", "num_threads", "env.num_threads"}
)


def num(value: Any) -> float | None:
    """A finite float, or None (None, "", NaN/inf, bools and non-numeric strings)."""
    if value is None or isinstance(value, bool) or value == "":
        return None
    try:
        out = float(value)
    except (TypeError, ValueError):
        return None
    return out if math.isfinite(out) else None


@dataclass
class RunRecord:
    """One run directory: summary, metrics rows, saved config, Hydra overrides, evaluation curve.

    `curve` holds the deterministic evaluations as dicts with env_steps, wall_s, return_mean and
    success_rate (None where missing).
    """

    path: Path
    summary: dict[str, Any]
    overrides: list[str] = field(default_factory=list)
    config: dict[str, Any] = field(default_factory=dict)
    metrics: list[dict[str, float | None]] = field(default_factory=list)
    curve: list[dict[str, float | None]] = field(default_factory=list)

    @property
    def status(self) -> str:
        return str(self.summary.get("status", "completed"))

    @property
    def completed(self) -> bool:
        return self.status == "completed"

    @property
    def stopped(self) -> bool:
        """Stopped by a signal before its budget (resumable): neither completed nor failed."""
        return self.status == "stopped"

    @property
    def failed(self) -> bool:
        """Neither completed nor stopped (failed, unreadable, or an unknown status)."""
        return not (self.completed or self.stopped)

    @property
    def env_id(self) -> str:
        return str(self.summary.get("env_id") or self.config.get("env", {}).get("id") or "?")

    @property
    def group_key(self) -> tuple[str, ...]:
        """Overrides that define the run's group (sorted; seed and IGNORED_KEYS removed). A
        budget override shows the run's actual budget (summary.json), which a resume with a
        new `total_env_steps` changes while the first command's overrides stay as they were."""
        keep = []
        budget = num(self.summary.get("total_env_steps"))
        for item in self.overrides:
            key = item.split("=", 1)[0].lstrip("+~")
            if key == "total_env_steps" and budget is not None:
                item = f"total_env_steps={int(budget)}"
            if key not in IGNORED_KEYS:
                keep.append(item.lstrip("+"))
        if not keep:  # no overrides recorded: fall back to what the summary says
            keep = [f"algo={self.summary.get('algo')}", f"env={self.summary.get('env_id')}"]
        return tuple(sorted(keep))


def read_metrics(path: Path) -> list[dict[str, float | None]]:
    """metrics.csv rows as dicts of floats (None where empty or not a number); [] if absent."""
    path = Path(path)
    if not path.exists():
        return []
    with path.open(newline="") as fh:
        return [{k: num(v) for k, v in row.items()} for row in csv.DictReader(fh)]


def _read_yaml(path: Path) -> Any:
    if not path.exists():
        return None
    import yaml

    try:
        return yaml.safe_load(path.read_text())
    except yaml.YAMLError:
        return None


def read_overrides(run_dir: Path) -> list[str]:
    """The run's Hydra overrides (`.hydra/overrides.yaml`), [] outside Hydra."""
    data = _read_yaml(Path(run_dir) / ".hydra" / "overrides.yaml")
    return [str(x) for x in data] if isinstance(data, list) else []


def eval_curve(
    summary: dict[str, Any], metrics: list[dict[str, float | None]]
) -> list[dict[str, float | None]]:
    """Evaluation points from summary.json's eval_curve, else from metrics.csv's eval columns.

    Points without a number of env steps or a return are left out.
    """

    def valid(points: list[dict[str, float | None]]) -> list[dict[str, float | None]]:
        return [p for p in points if p["env_steps"] is not None and p["return_mean"] is not None]

    saved = valid(
        [
            {
                "env_steps": num(p.get("env_steps")),
                "wall_s": num(p.get("wall_s")),
                "return_mean": num(p.get("return_mean")),
                "success_rate": num(p.get("success_rate")),
            }
            for p in summary.get("eval_curve") or []
            if isinstance(p, dict)
        ]
    )
    return saved or valid(
        [
            {
                "env_steps": row.get("env_steps"),
                "wall_s": row.get("wall_s"),
                "return_mean": row.get("eval_return_mean"),
                "success_rate": row.get("eval_success_rate"),
            }
            for row in metrics
        ]
    )


def load_run(run_dir: str | Path) -> RunRecord | None:
    """The record of one run directory, or None when it holds no summary.json.

    An unreadable summary.json gives a failed record saying so.
    """
    run_dir = Path(run_dir)
    path = run_dir / "summary.json"
    if not path.exists():
        return None
    try:
        summary = json.loads(path.read_text())
    except ValueError as exc:
        summary = {"status": "failed", "error": f"unreadable summary.json: {exc}"}
    if not isinstance(summary, dict):
        summary = {"status": "failed", "error": "unreadable summary.json: not a JSON object"}
    config = _read_yaml(run_dir / "config.yaml")
    metrics = read_metrics(run_dir / "metrics.csv")
    return RunRecord(
        path=run_dir,
        summary=summary,
        overrides=read_overrides(run_dir),
        config=config if isinstance(config, dict) else {},
        metrics=metrics,
        curve=eval_curve(summary, metrics),
    )


def load_runs(root: str | Path) -> list[RunRecord]:
    """Every run under `root` (directories holding summary.json), sorted by path.

    A `report/` folder directly under `root` (simrl-report's output) is skipped.
    """
    root = Path(root)
    if not root.is_dir():
        raise ValueError(f"{root} is not a directory (give a sweep or outputs directory)")
    records = []
    for path in sorted(root.rglob("summary.json")):
        if path.parent.relative_to(root).parts[:1] == ("report",):
            continue
        rec = load_run(path.parent)
        if rec is not None:
            records.append(rec)
    return records
