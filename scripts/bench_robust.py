"""IQM and probability of improvement of stored `simrl-bench` results, as a markdown table.

    python scripts/bench_robust.py scripts/results/compare/{reacher,pusher,push}_{small,base} \
        scripts/results/compare/{reacher,push}_large

Each DIR holds one comparison's results.json (its per-seed runs). Prints, per comparison, the final
deterministic return's mean ± sample std (ddof=1) and IQM [95% CI] of GRPO and PPO and P(GRPO >
PPO) [95% CI] (the success rate's too where the task has one), then per core preset P(GRPO > PPO)
over all its tasks (rliable's average over tasks, runs x tasks bootstrap). Statistics come from
`simrl.bench.results.robust` / `simrl.results.stats`, with the same seeded bootstrap as the reports.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from simrl.bench.results import aggregate, robust
from simrl.results import fmt_interval, fmt_mean_std, probability_of_improvement


def load(path: Path) -> tuple[dict, list[dict]]:
    """(setup, completed runs) of one comparison dir."""
    res = json.loads((path / "results.json").read_text())
    return res["setup"], [r for r in res["runs"] if r.get("status") == "completed"]


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("dirs", nargs="+", type=Path)
    args = p.parse_args(argv)
    head = [
        "comparison",
        "seeds",
        "GRPO mean ± std",
        "GRPO IQM [95% CI]",
        "PPO mean ± std",
        "PPO IQM [95% CI]",
        "P(GRPO > PPO) [95% CI]",
        "success: P(GRPO > PPO)",
    ]
    print("| " + " | ".join(head) + " |")
    print("|" + "---|" * len(head))
    by_preset: dict[str, dict[str, dict[str, list]]] = {}
    for d in args.dirs:
        setup, runs = load(d)
        agg, rob = aggregate(runs), robust(runs)
        ret, iqm_ret = "final_return_mean", rob["iqm"].get("final_return_mean", {})
        poi = rob["probability_of_improvement"]
        cells = [f"{setup['env_id']} {setup['model']}, {setup['total_env_steps'] // 1000}k"]
        cells.append(str(len(agg.get("grpo", {}).get("seeds", []))))
        for algo in ("grpo", "ppo"):
            s, e = agg[algo][ret], iqm_ret.get(algo, {})
            cells += [
                fmt_mean_std(s["mean"], s["std"]),
                fmt_interval(e.get("value"), e.get("low"), e.get("high")),
            ]
        for key in ("final_return_mean", "success_rate"):
            e = poi.get(key, {})
            cells.append(fmt_interval(e.get("value"), e.get("low"), e.get("high")))
        print("| " + " | ".join(cells) + " |")
        per_seed = by_preset.setdefault(setup["model"], {"grpo": {}, "ppo": {}})
        for algo in ("grpo", "ppo"):
            ordered = sorted((r for r in runs if r["algo"] == algo), key=lambda r: r["seed"])
            per_seed[algo][setup["env_id"]] = [r[ret] for r in ordered]
    print("\nP(GRPO > PPO) on final return over each preset's tasks (runs x tasks):\n")
    print("| preset | tasks | P(GRPO > PPO) [95% CI] |\n|---|---|---|")
    for preset, sides in by_preset.items():
        tasks = sorted(set(sides["grpo"]) & set(sides["ppo"]))
        n = {len(sides[a][t]) for a in sides for t in tasks}
        if len(n) != 1:  # rliable's matrix needs the same number of seeds on every task
            continue

        def matrix(algo: str, tasks: list[str] = tasks, sides: dict = sides) -> list[list]:
            return [list(row) for row in zip(*(sides[algo][t] for t in tasks), strict=True)]

        est = probability_of_improvement(matrix("grpo"), matrix("ppo"))
        print(f"| {preset} | {', '.join(tasks)} | {fmt_interval(est.value, est.low, est.high)} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
