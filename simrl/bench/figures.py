"""The numbers of a GRPO-vs-PPO comparison: per run, per algo (over seeds), ratios and goals.

Run directories are read by `simrl.results` and statistics come from `simrl.results.stats` (mean ±
sample std with ddof=1; rliable's IQM and probability of improvement with seeded bootstrap 95%
intervals). What is specific to the comparison lives here: the derived compute figures of a run,
the per-algo aggregate kept in results.json, the GRPO/PPO ratios and the goals. Pure functions over
plain data, so a report can be rebuilt or tested on synthetic runs.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from simrl.results import (
    BOOTSTRAP_REPS,
    BOOTSTRAP_SEED,
    CONFIDENCE,
    eval_curve,
    first_crossing,
    iqm,
    load_run,
    num,
    probability_of_improvement,
)
from simrl.results.aggregate import seed_stats

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
    "return_at_equal_wall",
)
# FLOPs of one sample's forward+backward: the same at any batch, so the memory pass can supply
# them (its per-update figures are of its own short first iterations, not the learning runs').
FLOP_KEYS = ("learner_flops_per_sample",)
# Learning outcomes compared as GRPO - PPO (returns can be negative), not as a ratio.
DIFF_KEYS = ("final_return_mean", "best_eval_return", "success_rate", "return_at_equal_wall")
# Learning outcomes that also get the IQM and the probability of improvement (higher is better).
ROBUST_KEYS = ("final_return_mean", "return_at_equal_wall", "success_rate")


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
            "error",
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
    # Updates run under a meter are slower: the run loop marks them (`memory_metered`: the first
    # update and any larger batch; `metered`: those and the FLOP-counted one) and charges them a
    # plain update's time. Leave them out when there are others.
    if any("memory_metered" in r or "metered" in r for r in rows):
        plain = [
            r["update_time_s"] for r in rows if not r.get("memory_metered") and not r.get("metered")
        ]
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
    per_pass = num(summary.get("learner_flops_per_sample"))
    per_update = num(summary.get("learner_flops_per_update"))
    if per_update is None and per_pass is not None and samples:
        epochs = [r["epochs_done"] for r in metrics if r.get("epochs_done") is not None]
        n_epochs = float(np.mean(epochs)) if epochs else num(algo_cfg.get("epochs")) or 1.0
        per_update = per_pass * n_epochs * samples
    rec["learner_flops_per_update"] = per_update
    rec["learner_flops_per_collected_sample"] = (
        per_update / samples if per_update and samples else None
    )
    curve = eval_curve(summary, metrics)
    rec["curve"] = curve
    points = [(p["env_steps"], p["wall_s"], p["return_mean"]) for p in curve]
    rec["steps_to_threshold"], rec["seconds_to_threshold"] = first_crossing(points, threshold)
    return rec


def load_record(run_dir: str | Path, threshold: float | None) -> dict[str, Any] | None:
    """`run_record` of one run directory, or None when it has no summary.json."""
    run = load_run(run_dir)
    if run is None:
        return None
    algo_cfg = run.config.get("algo")
    rec = run_record(
        run.summary, run.metrics, threshold, algo_cfg if isinstance(algo_cfg, dict) else {}
    )
    rec["run_dir"] = str(run_dir)
    return rec


def return_at(curve: list[dict[str, Any]], wall_s: float) -> float | None:
    """The deterministic return of the last evaluation at or before `wall_s` seconds into the run
    (None before the first one)."""
    done = [p for p in curve if num(p.get("wall_s")) is not None and p["wall_s"] <= wall_s]
    return num(done[-1]["return_mean"]) if done else None


def add_equal_wall_clock(records: list[dict[str, Any]], x: str = "grpo", y: str = "ppo") -> None:
    """Set `return_at_equal_wall` and `equal_wall_s` on the runs of `x` and `y` that share a seed:
    each side's return at the wall time its evaluation curves share (the earlier of the two
    curves' last evaluations, so the shorter run's end), None on runs without a partner.

    A comparison at equal wall-clock is fair only between runs that shared the machine's load
    (run side by side, or alone one after the other), which the report says.
    """
    by_seed: dict[Any, dict[str, dict[str, Any]]] = {}
    for rec in records:
        rec["return_at_equal_wall"] = rec["equal_wall_s"] = None
        by_seed.setdefault(rec.get("seed"), {})[rec.get("algo")] = rec
    for pair in by_seed.values():
        if x not in pair or y not in pair:
            continue
        ends = [
            max((num(p.get("wall_s")) or 0.0) for p in pair[a]["curve"] or [{}]) for a in (x, y)
        ]
        if min(ends) <= 0:
            continue
        for algo in (x, y):
            pair[algo]["equal_wall_s"] = min(ends)
            pair[algo]["return_at_equal_wall"] = return_at(pair[algo]["curve"], min(ends))


def aggregate(records: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Per algo: mean, sample std (ddof=1) and n over seeds of every memory, compute and learning
    figure (`simrl.results.aggregate.seed_stats`).

    For steps/seconds to threshold, `n` counts the seeds that reached it (`of` = all seeds).
    """
    out: dict[str, dict[str, Any]] = {}
    for algo in sorted({r["algo"] for r in records}):
        runs = [r for r in records if r["algo"] == algo]
        stats, _ = seed_stats(runs, (*MEMORY_KEYS, *COMPUTE_KEYS, *LEARNING_KEYS))
        agg: dict[str, Any] = {"seeds": [r.get("seed") for r in runs]}
        agg.update({key: {**stat.as_dict(), "of": len(runs)} for key, stat in stats.items()})
        agg["precision_effective"] = sorted({str(r.get("precision_effective")) for r in runs})
        agg["peak_memory_method"] = sorted({str(r.get("peak_memory_method")) for r in runs})
        out[algo] = agg
    return out


def robust(records: list[dict[str, Any]], x: str = "grpo", y: str = "ppo") -> dict[str, Any]:
    """rliable's statistics of the learning outcomes (ROBUST_KEYS) over seeds.

    `iqm[key][algo]`: interquartile mean with its 95% stratified-bootstrap interval;
    `probability_of_improvement[key]`: P(a run of `x` beats a run of `y`) with its interval. Keys
    no run reports (success on a task without a success signal) are left out.
    """
    algos = sorted({r["algo"] for r in records})
    out: dict[str, Any] = {
        "iqm": {},
        "probability_of_improvement": {},
        "bootstrap": {"reps": BOOTSTRAP_REPS, "seed": BOOTSTRAP_SEED, "confidence": CONFIDENCE},
    }
    for key in ROBUST_KEYS:
        values = {a: [r.get(key) for r in records if r["algo"] == a] for a in algos}
        if not any(num(v) is not None for vals in values.values() for v in vals):
            continue
        out["iqm"][key] = {a: iqm(v).as_dict() for a, v in values.items()}
        if x in values and y in values:
            poi = probability_of_improvement(values[x], values[y]).as_dict()
            out["probability_of_improvement"][key] = {"x": x, "y": y, **poi}
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
    for key in DIFF_KEYS:
        a, b = agg[num][key]["mean"], agg[den][key]["mean"]
        out[f"{key}_diff"] = a - b if a is not None and b is not None else None
    return out


def goals(agg: dict[str, dict[str, Any]], r: dict[str, Any]) -> list[dict[str, Any]]:
    """The comparison's three goals for GRPO against PPO (memory, compute, return at the same
    budget), each with the measured value and pass/fail (None: not measured)."""

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
