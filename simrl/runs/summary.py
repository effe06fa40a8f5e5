"""A run's `summary.json` (the keys its readers rely on) and the tables printed at the end."""

from __future__ import annotations

import json
import logging
import math
import sys
from pathlib import Path
from typing import Any

import numpy as np

from simrl.files import atomic_write_text
from simrl.results.format import fmt
from simrl.runs.plain import to_plain

# Keys every summary.json holds: simrl-report, simrl-bench, simrl-tune and the benchmark scripts
# read them back from run directories (tests check them).
REQUIRED_SUMMARY_KEYS = (
    "algo",
    "env_id",
    "seed",
    "status",
    "env_steps",
    "wall_s",
    "final_return_mean",
    "success_rate",
    "params_trainable",
    "peak_learner_memory_bytes",
    "learner_flops_per_sample",
    "env_steps_per_s",
    "precision_requested",
    "precision_effective",
    "eval_curve",
)
LEARNER_KEYS = (
    "params_trainable",
    "optimizer_state_bytes",
    "peak_learner_memory_bytes",
    "learner_flops_per_sample",
    "precision_requested",
    "precision_effective",
)


def json_safe(value: Any) -> Any:
    """NaN/inf -> None, numpy/torch scalars -> Python, containers recursively (strict JSON)."""
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(v) for v in value]
    if isinstance(value, bool) or value is None or isinstance(value, (int, str)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if hasattr(value, "item"):
        return json_safe(value.item())
    return str(value)


def write_summary(path: Path, summary: dict[str, Any]) -> None:
    """Atomically write `summary` as strict JSON."""
    atomic_write_text(path, json.dumps(json_safe(summary), indent=2, allow_nan=False) + "\n")


def print_table(title: str, rows: dict[str, Any], file: Any = None) -> None:
    """Print `title:` then one `  key  value` line per row, keys aligned; values are never
    wrapped or cut (a path stays whole, so it can be copied from a log), plain text on any
    terminal width."""
    file = file or sys.stdout
    width = max((len(k) for k in rows), default=0)
    lines = [f"{title}:"] + [f"  {k.ljust(width)}  {fmt(v)}" for k, v in rows.items()]
    print("\n".join(lines), file=file, flush=True)


SHOWN_KEYS = (
    "status",
    "algo",
    "env_id",
    "seed",
    "env_steps",
    "iterations",
    "wall_s",
    "env_steps_per_s",
    "final_return_mean",
    "final_return_std",
    "success_rate",
    "best_eval_return",
    "params_trainable",
    "peak_learner_memory_bytes",
    "learner_flops_per_sample",
    "precision_effective",
    "device",
)


def print_run_report(summary: dict[str, Any], paths: dict[str, Any], file: Any = None) -> None:
    """Where the outputs are, then the compact summary (one record per line); the whole summary
    also goes to the run's log (`simrl.run`: train.log under simrl-train)."""
    logging.getLogger("simrl.run").info("summary %s", json.dumps(json_safe(summary)))
    print_table("Outputs", {k: v for k, v in paths.items() if v}, file)
    print_table("Run summary", {k: summary.get(k) for k in SHOWN_KEYS if k in summary}, file)


def build_summary(
    *,
    algo: str,
    env_id: str,
    run: Any,
    compute: Any,
    meter: Any,
    trainer: Any,
    state: Any,
    status: str,
    error: str | None,
    resumed_from: str | None,
    checkpoint: str | None,
) -> dict[str, Any]:
    """The summary.json content: the keys above, timing totals, learner and compute figures,
    the meters' figures and the eval curve."""
    try:
        stats = to_plain(trainer.learner_stats() or {})
    except Exception as exc:
        stats = {"learner_stats_error": f"{type(exc).__name__}: {exc}"}
    last_eval = state.eval_curve[-1] if state.eval_curve else {}
    last_row = state.history[-1] if state.history else {}

    def total(key: str) -> float | None:
        vals = [r.get(key) for r in state.history if isinstance(r.get(key), (int, float))]
        return float(np.nansum(vals)) if vals else None

    # clocks leave out the meters' overhead (simrl.runs.update_meter): state.train_s is as measured
    excluded = float(meter.excluded_s()) if hasattr(meter, "excluded_s") else 0.0
    train_s = state.train_s - excluded
    update_total = total("update_time_s")
    if update_total is not None and hasattr(meter, "late_charge_s"):
        update_total += float(meter.late_charge_s())
    out: dict[str, Any] = {
        "algo": algo,
        "env_id": env_id,
        "seed": run.seed,
        "status": status,
        "error": error,
        "env_steps": int(trainer.env_steps),
        "iterations": int(trainer.iteration),
        "total_env_steps": run.total_env_steps,
        "wall_s": state.wall_s,
        "train_s": train_s,
        "eval_s": state.eval_s,
        "env_steps_per_s": trainer.env_steps / train_s if train_s > 0 else None,
        "final_return_mean": last_eval.get("return_mean"),
        "final_return_std": last_eval.get("return_std"),
        "success_rate": last_eval.get("success_rate"),
        "final_eval_env_steps": last_eval.get("env_steps"),
        "best_eval_return": state.best_eval_return if state.eval_curve else None,
        "train_return_mean": last_row.get("return_mean"),
        "update_time_s_total": update_total,
        "rollout_time_s_total": total("rollout_time_s"),
        "update_time_share": update_total / state.wall_s if update_total and state.wall_s else None,
        "nonfinite_updates": state.nonfinite_total,
        # defaults for trainers whose learner_stats() lacks a key; their own values override
        **dict.fromkeys(LEARNER_KEYS),
        **compute.as_dict(),
        **stats,
        **meter.stats(),
        "resumed_from": resumed_from,
        "checkpoint": checkpoint,
        "eval_curve": state.eval_curve,
    }
    # A resumed trainer may only know its own process's peak; the history holds the whole run's.
    peaks = [
        r["peak_learner_memory_bytes"]
        for r in state.history
        if isinstance(r.get("peak_learner_memory_bytes"), (int, float))
        and math.isfinite(r["peak_learner_memory_bytes"])
    ]
    if peaks and max(peaks) > (out.get("peak_learner_memory_bytes") or 0):
        out["peak_learner_memory_bytes"] = int(max(peaks))
    return out


def write_failure(run_dir: Path, error: str, details: str, cfg: Any = None) -> dict:
    """Mark `run_dir` failed: summary.json (status, error) and error.log (the traceback); `cfg`
    (the composed config, a mapping) names the run when it has no summary yet."""
    path = run_dir / "summary.json"
    summary: dict[str, Any] = {}
    if path.exists():
        try:
            summary = json.loads(path.read_text())
        except ValueError:
            summary = {}
    if cfg is not None and not summary:
        algo = cfg.get("algo") or {}
        env = cfg.get("env") or {}
        summary = {"algo": algo.get("name"), "env_id": env.get("id"), "seed": cfg.get("seed")}
    summary["status"] = "failed"
    summary["error"] = summary.get("error") or error
    run_dir.mkdir(parents=True, exist_ok=True)
    write_summary(path, summary)
    atomic_write_text(run_dir / "error.log", details)
    return summary


def requeued_summary(run_dir: Path) -> dict[str, Any] | None:
    """The summary of a run already in `run_dir` that this job should continue (a stopped or
    unfinished run with a checkpoint: the job was requeued) or keep (completed); None if the
    directory holds no run."""
    if not (run_dir / "checkpoints" / "last.pt").is_file():
        return None
    try:
        summary = json.loads((run_dir / "summary.json").read_text())
    except (OSError, ValueError):
        summary = {}
    return summary if summary.get("status") != "failed" else None
