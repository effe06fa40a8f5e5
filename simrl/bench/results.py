"""Turn the run directories of a GRPO-vs-PPO comparison into numbers: per run, per algo, ratios.

Pure functions over plain data (summary.json, metrics.csv), so the report can be rebuilt or tested
on synthetic runs. Every run directory is one `simrl.runs.run_training` output.
"""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path
from typing import Any

import numpy as np

# metric -> (summary/derived key, goal direction for the GRPO/PPO ratio)
MEMORY_KEYS = ("params_trainable", "optimizer_state_bytes", "peak_learner_memory_bytes")
COMPUTE_KEYS = (
    "learner_flops_per_sample",
    "learner_flops_per_update",
    "learner_flops_per_collected_sample",
    "samples_per_update",
    "update_time_s_mean",
    "update_time_share",
    "env_steps_per_s",
    "learner_samples_per_s",
    "wall_s",
)
LEARNING_KEYS = (
    "env_steps",
    "final_return_mean",
    "best_eval_return",
    "success_rate",
    "steps_to_threshold",
    "seconds_to_threshold",
)


def _num(value: Any) -> float | None:
    """A finite float or None (CSV strings, None, NaN all handled)."""
    if value is None or value == "":
        return None
    try:
        out = float(value)
    except (TypeError, ValueError):
        return None
    return out if math.isfinite(out) else None


def read_metrics(path: Path) -> list[dict[str, Any]]:
    """metrics.csv rows as dicts of floats (None where empty)."""
    if not path.exists():
        return []
    with path.open(newline="") as f:
        return [{k: _num(v) for k, v in row.items()} for row in csv.DictReader(f)]


def first_crossing(points: list[tuple[float, float, float]], threshold: float | None) -> tuple:
    """(env_steps, wall_s) of the first eval point with return >= threshold, else (None, None).

    `points` are (env_steps, wall_s, return) in run order.
    """
    if threshold is None:
        return None, None
    for steps, wall, ret in points:
        if ret is not None and ret >= threshold:
            return steps, wall
    return None, None


def run_record(
    summary: dict[str, Any], metrics: list[dict[str, Any]], threshold: float | None, algo_cfg: dict
) -> dict[str, Any]:
    """One run's numbers: the summary's learner stats plus derived compute and learning figures."""
    rec: dict[str, Any] = {
        k: summary.get(k)
        for k in (
            "algo",
            "env_id",
            "seed",
            "status",
            "env_steps",
            "iterations",
            "wall_s",
            "env_steps_per_s",
            "update_time_share",
            "final_return_mean",
            "best_eval_return",
            "success_rate",
            "precision_requested",
            "precision_effective",
            "peak_memory_method",
            *MEMORY_KEYS,
            "learner_flops_per_sample",
        )
    }
    iterations = summary.get("iterations") or len(metrics) or None
    rows = [r for r in metrics if r.get("update_time_s") is not None]
    # Updates run under the CPU memory meter are slower: GRPO marks them (`memory_metered`, its
    # first update and any larger batch); PPO meters its first. Leave them out when there are others.
    if any("memory_metered" in r for r in rows):
        plain = [r["update_time_s"] for r in rows if not r.get("memory_metered")]
    else:
        plain = [r["update_time_s"] for r in rows[1:]]
    timed = plain or [r["update_time_s"] for r in rows]
    rec["update_time_s_mean"] = float(np.mean(timed)) if timed else None
    samples = summary.get("samples_per_update")
    if samples is None and iterations and summary.get("env_steps"):
        samples = summary["env_steps"] / iterations
    rec["samples_per_update"] = samples
    rec["learner_samples_per_s"] = (
        samples / rec["update_time_s_mean"] if samples and rec["update_time_s_mean"] else None
    )
    per_pass = _num(summary.get("learner_flops_per_sample"))
    per_update = _num(summary.get("learner_flops_per_update"))
    if per_update is None and per_pass is not None and samples:
        epochs = [r["epochs_done"] for r in metrics if r.get("epochs_done") is not None]
        n_epochs = float(np.mean(epochs)) if epochs else _num(algo_cfg.get("epochs")) or 1.0
        per_update = per_pass * n_epochs * samples
    rec["learner_flops_per_update"] = per_update
    rec["learner_flops_per_collected_sample"] = (
        per_update / samples if per_update and samples else None
    )
    curve = summary.get("eval_curve") or []
    points = [(p.get("env_steps"), p.get("wall_s"), _num(p.get("return_mean"))) for p in curve]
    rec["curve"] = [{"env_steps": s, "wall_s": w, "return_mean": r} for s, w, r in points]
    rec["success_curve"] = [_num(p.get("success_rate")) for p in curve]
    rec["steps_to_threshold"], rec["seconds_to_threshold"] = first_crossing(points, threshold)
    return rec


def load_run(run_dir: Path, threshold: float | None) -> dict[str, Any] | None:
    """Record of one run directory, or None when it has no summary.json."""
    path = Path(run_dir) / "summary.json"
    if not path.exists():
        return None
    summary = json.loads(path.read_text())
    algo_cfg: dict = {}
    cfg_path = Path(run_dir) / "config.yaml"
    if cfg_path.exists():
        import yaml

        cfg = yaml.safe_load(cfg_path.read_text()) or {}
        algo_cfg = cfg.get("algo") if isinstance(cfg.get("algo"), dict) else {}
    rec = run_record(summary, read_metrics(Path(run_dir) / "metrics.csv"), threshold, algo_cfg)
    rec["run_dir"] = str(run_dir)
    return rec


def _stat(values: list[Any]) -> dict[str, Any]:
    nums = [v for v in (_num(x) for x in values) if v is not None]
    if not nums:
        return {"mean": None, "std": None, "n": 0}
    std = float(np.std(nums, ddof=1)) if len(nums) > 1 else None
    return {"mean": float(np.mean(nums)), "std": std, "n": len(nums)}


def aggregate(records: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Per algo: mean/std/n over seeds of every memory, compute and learning figure.

    For steps/seconds to threshold, `n` counts the seeds that reached it (`of` = all seeds).
    """
    out: dict[str, dict[str, Any]] = {}
    for algo in sorted({r["algo"] for r in records}):
        runs = [r for r in records if r["algo"] == algo]
        agg: dict[str, Any] = {"seeds": [r.get("seed") for r in runs]}
        for key in (*MEMORY_KEYS, *COMPUTE_KEYS, *LEARNING_KEYS):
            agg[key] = _stat([r.get(key) for r in runs])
            agg[key]["of"] = len(runs)
        agg["precision_effective"] = sorted({str(r.get("precision_effective")) for r in runs})
        agg["peak_memory_method"] = sorted({str(r.get("peak_memory_method")) for r in runs})
        out[algo] = agg
    return out


def ratios(agg: dict[str, dict[str, Any]], num: str = "grpo", den: str = "ppo") -> dict[str, Any]:
    """num/den of the seed means of each figure (None where either is missing or den is 0).

    Returns are negative on the MuJoCo tasks, so learning figures also get `num - den`.
    """
    if num not in agg or den not in agg:
        return {}
    out: dict[str, Any] = {}
    for key in (*MEMORY_KEYS, *COMPUTE_KEYS, *LEARNING_KEYS):
        a, b = agg[num][key]["mean"], agg[den][key]["mean"]
        out[key] = a / b if a is not None and b not in (None, 0) else None
    for key in ("final_return_mean", "best_eval_return", "success_rate"):
        a, b = agg[num][key]["mean"], agg[den][key]["mean"]
        out[f"{key}_diff"] = a - b if a is not None and b is not None else None
    return out


def mean_curve(
    curves: list[list[dict[str, Any]]], x_key: str, points: int = 50
) -> dict[str, list[float]]:
    """Mean and std over seeds of return vs `x_key` (env_steps or wall_s), on a common grid.

    Each seed's curve is linearly interpolated on the grid between its first and last points; the
    grid ends at the shortest seed's end so every point averages all seeds.
    """
    clean = []
    for curve in curves:
        pts = [(p[x_key], p["return_mean"]) for p in curve if p.get(x_key) is not None]
        pts = [(float(x), float(y)) for x, y in pts if y is not None]
        if pts:
            clean.append(sorted(pts))
    if not clean:
        return {"x": [], "mean": [], "std": []}
    lo = max(c[0][0] for c in clean)
    hi = min(c[-1][0] for c in clean)
    grid = np.linspace(lo, hi, points) if hi > lo else np.array([hi])
    ys = np.array([np.interp(grid, [x for x, _ in c], [y for _, y in c]) for c in clean])
    return {
        "x": grid.tolist(),
        "mean": ys.mean(axis=0).tolist(),
        "std": ys.std(axis=0).tolist() if len(clean) > 1 else [0.0] * len(grid),
    }


def goals(agg: dict[str, dict[str, Any]], r: dict[str, Any]) -> list[dict[str, Any]]:
    """The issue's three goals, each with the measured value and pass/fail (None: not measured)."""

    def check(value: Any, ok: Any) -> Any:
        return None if value is None else bool(ok(value))

    mem, flops, diff = (
        r.get("peak_learner_memory_bytes"),
        r.get("learner_flops_per_sample"),
        r.get("final_return_mean_diff"),
    )
    return [
        {
            "goal": "GRPO peak learner memory <= 0.6x PPO's",
            "value": mem,
            "met": check(mem, lambda v: v <= 0.6),
        },
        {
            "goal": "GRPO learner FLOPs per sample <= 0.6x PPO's",
            "value": flops,
            "met": check(flops, lambda v: v <= 0.6),
        },
        {
            "goal": "GRPO final return >= PPO's at the same env-step budget",
            "value": diff,
            "met": check(diff, lambda v: v >= 0),
        },
    ]
