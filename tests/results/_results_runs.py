"""Small run directories for the tests: what `simrl.runs.run_training` leaves, minimal."""

from __future__ import annotations

import csv
import json
from pathlib import Path


def write_run(
    run_dir: Path,
    *,
    algo: str = "grpo",
    seed: int = 0,
    ret: float | None = -5.0,
    success: float | None = None,
    curve: list[tuple[float, float, float]] | None = None,
    overrides: list[str] | None = None,
    status: str = "completed",
    metrics: list[dict] | None = None,
    **extra,
) -> Path:
    """summary.json (+ .hydra/overrides.yaml, metrics.csv, config.yaml when given) in run_dir."""
    run_dir.mkdir(parents=True, exist_ok=True)
    curve = curve if curve is not None else [(400, 1.0, ret or 0.0)]
    summary = {
        "algo": algo,
        "env_id": "Reacher-v5",
        "seed": seed,
        "status": status,
        "env_steps": 400,
        "wall_s": 2.0,
        "final_return_mean": ret,
        "success_rate": success,
        "learner_flops_per_sample": 1000.0,
        "peak_learner_memory_bytes": 2_000_000,
        "env_steps_per_s": 200.0,
        "eval_curve": [
            {"env_steps": s, "wall_s": w, "return_mean": r, "success_rate": success}
            for s, w, r in curve
        ],
        **extra,
    }
    (run_dir / "summary.json").write_text(json.dumps(summary))
    if overrides is not None:
        (run_dir / ".hydra").mkdir(exist_ok=True)
        (run_dir / ".hydra" / "overrides.yaml").write_text("".join(f"- {o}\n" for o in overrides))
    if metrics is not None:
        with (run_dir / "metrics.csv").open("w", newline="") as fh:
            writer = csv.DictWriter(fh, list(metrics[0]))
            writer.writeheader()
            writer.writerows(metrics)
    (run_dir / "config.yaml").write_text(f"algo:\n  name: {algo}\n  epochs: 5\nseed: {seed}\n")
    return run_dir
