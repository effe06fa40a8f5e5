"""`report.md` of a GRPO-vs-PPO comparison: setup, memory, compute and learning tables, IQM and
probability of improvement, goals. A renderer only: every number comes from `results.json`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from simrl.bench.figures import COMPUTE_KEYS, DIFF_KEYS, LEARNING_KEYS, MEMORY_KEYS
from simrl.results.format import fmt, fmt_diff, fmt_interval, fmt_mean_std, fmt_ratio

LABELS = {
    "params_trainable": "trainable parameters",
    "optimizer_state_bytes": "optimizer state (bytes)",
    "peak_learner_memory_bytes": "peak learner memory (bytes)",
    "learner_flops_per_sample": "learner FLOPs per sample (one fwd+bwd pass)",
    "learner_flops_per_update": "learner FLOPs per update",
    "learner_flops_per_collected_sample": "learner FLOPs per collected sample (all epochs)",
    "samples_per_update": "samples per update",
    "update_time_s_mean": "wall time per update (s)",
    "update_time_share": "update share of run wall time",
    "env_steps_per_s": "env steps/s (whole run)",
    "learner_samples_per_s": "learner samples/s",
    "wall_s": "run wall time (s)",
    "env_steps": "env steps used",
    "final_return_mean": "final deterministic return",
    "best_eval_return": "best deterministic return",
    "success_rate": "final success rate",
    "steps_to_threshold": "env steps to threshold",
    "seconds_to_threshold": "seconds to threshold",
    "return_at_equal_wall": "return at equal wall-clock (same seed)",
}
SECTIONS = (("Memory", MEMORY_KEYS), ("Compute", COMPUTE_KEYS), ("Learning", LEARNING_KEYS))


def _cell(stat: dict[str, Any], key: str) -> str:
    if stat["mean"] is None:
        return "not reached" if key.endswith("_threshold") and stat.get("of") else "-"
    text = fmt_mean_std(stat["mean"], stat.get("std"))
    if key.endswith("_threshold") and stat["n"] < stat.get("of", stat["n"]):
        text += f" ({stat['n']}/{stat['of']} seeds)"
    return text


def ratio_cell(ratios: dict[str, Any], key: str) -> str:
    """GRPO vs PPO for one figure: the difference for learning outcomes (`+2.75 (diff)`, returns
    can be negative), else the ratio (`0.412x`)."""
    if key in DIFF_KEYS:
        diff = ratios.get(f"{key}_diff")
        return "-" if diff is None else f"{fmt_diff(diff)} (diff)"
    return fmt_ratio(ratios.get(key))


def table(agg: dict[str, Any], ratios: dict[str, Any], keys: tuple[str, ...]) -> list[str]:
    """Markdown rows: metric | GRPO | PPO | GRPO/PPO (mean ± sample std over seeds)."""
    lines = ["| metric | GRPO | PPO | GRPO/PPO |", "|---|---|---|---|"]
    for key in keys:
        g = _cell(agg["grpo"][key], key) if "grpo" in agg else "-"
        p = _cell(agg["ppo"][key], key) if "ppo" in agg else "-"
        lines.append(f"| {LABELS.get(key, key)} | {g} | {p} | {ratio_cell(ratios, key)} |")
    return lines


def robust_table(results: dict[str, Any]) -> list[str]:
    """Markdown rows: per learning outcome, each algo's mean ± std (n) beside its IQM [95% CI],
    and P(GRPO > PPO) [95% CI]; [] when results.json has no such statistics."""
    rob, agg = results.get("robust") or {}, results["aggregate"]
    if not rob.get("iqm"):
        return []
    algos = [a for a in ("grpo", "ppo") if a in agg] + sorted(set(agg) - {"grpo", "ppo"})
    head = ["metric"]
    for a in algos:
        head += [f"{a.upper()} mean ± std (n)", f"{a.upper()} IQM [95% CI]"]
    head.append("P(GRPO > PPO) [95% CI]")
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for key, per_algo in rob["iqm"].items():
        cells = [LABELS.get(key, key)]
        for a in algos:
            s, e = agg[a][key], per_algo.get(a) or {}
            cells += [
                fmt_mean_std(s["mean"], s.get("std"), s.get("n")),
                fmt_interval(e.get("value"), e.get("low"), e.get("high")),
            ]
        poi = rob.get("probability_of_improvement", {}).get(key) or {}
        cells.append(fmt_interval(poi.get("value"), poi.get("low"), poi.get("high")))
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def render_report(results: dict[str, Any]) -> str:
    """The whole report.md text from `results.json`'s content."""
    setup, agg, ratios = results["setup"], results["aggregate"], results["ratios"]
    lines = [f"# GRPO vs SB3 PPO on {setup.get('env_id')} ({setup.get('model')} core)", ""]
    lines += [
        "| setup | value |",
        "|---|---|",
        *(
            f"| {k} | {fmt(v) if not isinstance(v, (list, dict)) else v} |"
            for k, v in setup.items()
        ),
        "",
    ]
    notes = {
        "Memory": (
            "Peak learner memory: bytes allocated during an update above the level at its start "
            f"(method: {', '.join(_methods(agg))}; CUDA: max_memory_allocated, CPU: every new "
            "tensor storage seen by a TorchDispatchMode, freed when its storage dies, plus the host "
            "arrays and objects tracemalloc sees, e.g. SB3's rollout-buffer copies). The run loop "
            "meters whole updates from the outside, the same way for both sides: the first update "
            "of a run (which also allocates Adam's state) and any later update with a larger "
            "batch, and takes the max. "
            + (
                "Memory figures come from a separate pass (memory/runs/: one metered iteration "
                f"per side) at equal per-pass batches: GRPO's micro-batch = PPO's minibatch "
                f"({setup['per_pass_batch']} samples), so both hold the activations of as many "
                "samples per forward/backward; the learning runs use each side's own settings "
                "(GRPO's automatic micro-batch included)."
                if setup.get("per_pass_batch")
                else "Per-pass batches as configured on each side (per_pass_batch not set)."
            )
        ),
        "Compute": (
            "FLOPs from torch.utils.flop_counter (matmuls, forward + backward), counted by the run "
            "loop around one whole update. Per sample = one forward+backward pass of one sample; "
            "per collected sample multiplies by the epochs. Clocks are fair: wall time, env "
            "steps/s and times per update leave out the meters' overhead (a metered update is "
            "charged the per-sample time of the run's unmetered updates; `meters=false` turns "
            "the meters off)."
            + (
                " The learning runs were not metered (`meters=false`): FLOPs per sample come "
                "from the memory pass (same core; they do not depend on the batch), the "
                "per-update figures are not measured."
                if any(a.get("flops_from") for a in agg.values())
                else ""
            )
        ),
        "Learning": (
            "Deterministic evaluation return at the end of the budget (mean ± sample std over "
            f"seeds); threshold = {fmt(setup.get('threshold'))}. Return at equal wall-clock: "
            "per seed, each side's last evaluation at or before the earlier of the two runs' "
            "last evaluations (the shorter run's end); fair only between runs that shared the "
            "machine's load (side by side, or each alone). The last column is GRPO - PPO for "
            "returns and success, a ratio otherwise."
        ),
    }
    for title, keys in SECTIONS:
        if setup.get("threshold") is None:  # no threshold: no steps/seconds-to-threshold rows
            keys = tuple(k for k in keys if not k.endswith("_threshold"))
        lines += [f"## {title}", "", notes[title], "", *table(agg, ratios, keys), ""]
    robust_rows = robust_table(results)
    if robust_rows:
        boot = results["robust"].get("bootstrap") or {}
        lines += [
            "## IQM and probability of improvement",
            "",
            "rliable's statistics over seeds, beside mean ± sample std (ddof=1) with the number of "
            "seeds: IQM = interquartile mean (the mean of the middle 50% of seeds; below 4 seeds "
            "nothing is trimmed and it equals the mean), P(GRPO > PPO) = probability that a GRPO "
            "seed scores higher than a PPO seed (ties count half). Intervals: 95% stratified "
            f"bootstrap ({fmt(boot.get('reps'))} resamples, seed {fmt(boot.get('seed'))}); none "
            "for a single seed.",
            "",
            *robust_rows,
            "",
        ]
    if results.get("goals"):
        lines += ["## Goals", "", "| goal | measured | met |", "|---|---|---|"]
        for g in results["goals"]:
            met = {True: "yes", False: "no", None: "not measured"}[g["met"]]
            lines.append(f"| {g['goal']} | {fmt(g['value'])} | {met} |")
        lines.append("")
    if results.get("plots"):
        lines += ["## Plots", ""]
        lines += [f"![{name}]({path})" for name, path in results["plots"].items()]
        lines.append("")
    lines += [
        "## Runs",
        "",
        "| algo | seed | status | env steps | wall s | final return | run dir |",
    ]
    lines.append("|---|---|---|---|---|---|---|")
    for r in results["runs"]:
        lines.append(
            f"| {r.get('algo')} | {r.get('seed')} | {r.get('status')} | {fmt(r.get('env_steps'))} "
            f"| {fmt(r.get('wall_s'))} | {fmt(r.get('final_return_mean'))} | {r.get('run_dir')} |"
        )
    if setup.get("command"):
        lines += ["", "Command:", "", "```", str(setup["command"]), "```"]
    return "\n".join(lines) + "\n"


def _methods(agg: dict[str, Any]) -> list[str]:
    found = {
        m for a in agg.values() for m in a.get("peak_memory_method", []) if m not in (None, "None")
    }
    return sorted(found) or ["-"]


def print_summary(results: dict[str, Any], out_dir: Path) -> None:
    from rich.console import Console
    from rich.table import Table

    """The comparison as a rich table on the terminal, then where the report and results are."""
    agg, rat = results["aggregate"], results["ratios"]
    grid = Table(title="GRPO vs PPO", title_justify="left")
    for col in ("metric", *agg, "GRPO vs PPO"):  # cells: a ratio (0.41x) or a diff
        grid.add_column(col)
    keys = (
        "params_trainable",
        "peak_learner_memory_bytes",
        "learner_flops_per_sample",
        "learner_flops_per_collected_sample",
        "update_time_s_mean",
        "env_steps_per_s",
        "final_return_mean",
        "steps_to_threshold",
    )
    for key in keys:
        grid.add_row(LABELS[key], *(fmt(agg[a][key]["mean"]) for a in agg), ratio_cell(rat, key))
    console = Console()
    console.print(grid)
    for g in results.get("goals", []):
        console.print(f"goal: {g['goal']}: {fmt(g['value'])} -> {g['met']}")
    console.print(f"report: {out_dir / 'report.md'}\nresults: {out_dir / 'results.json'}")
