"""Success of the Push-v0 outcome-only runs against env steps and wall-clock (BENCHMARKS.md 12h).

Reads the raw runs saved in scripts/results/solve_outcome/ and draws the preset (half the groups
from the task's resets), the preset before (a quarter), the goal-direction draws and SB3 PPO with
the same sampler: mean ± std over seeds against env steps, each run against wall-clock.

    python scripts/plot_outcome_curves.py [OUT.png]
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from simrl.results.plots import Panel, Series, plot_panels

RESULTS = Path(__file__).resolve().parent / "results" / "solve_outcome"
SERIES = (  # label, file, run names
    ("GRPO preset (reset_frac 0.5), seeds 0-8", "outcome_round9_2026-12-06.json",
     [f"rf05_s{s}" for s in range(5)] + [f"po9_s{s}" for s in range(5, 9)]),
    ("GRPO, reset_frac 0.25 (preset before)", "outcome_round8_2026-12-06.json", [f"po_fl15_s{s}" for s in range(5)]),
    ("GRPO, reset_frac 0.5 + direction_bins 8", "outcome_round9_2026-12-06.json", [f"dir8rf_s{s}" for s in range(5)]),
    ("SB3 PPO, same sampler (reset_frac 0.5)", "outcome_round9_2026-12-06.json", ["ppo_rf05_s1", "ppo_rf05_s4"]),
)  # fmt: skip


def curves(file: str, names: list[str]) -> list[list[dict[str, float]]]:
    """Evaluation curves ([env_steps, success, wall_s] rows) of the named runs, as point dicts."""
    runs = json.loads((RESULTS / file).read_text())["runs"]
    return [
        [{"env_steps": s, "success_rate": v, "wall_s": w} for s, v, w in runs[n]["eval_curve"]]
        for n in names
    ]


def main(out: str = "docs/images/push_outcome_curves.png") -> None:
    series = [Series(label, curves(file, names)) for label, file, names in SERIES]
    panels = [
        Panel(series, x="env_steps", y="success_rate", runs="thin", ylim=(0, 1)),
        Panel(series, x="wall_s", y="success_rate", runs="each", ylim=(0, 1)),
    ]
    title = "Push-v0, sparse reward, 64 deterministic eval episodes from the task's resets"
    print(plot_panels(out, [panels], title=title))


if __name__ == "__main__":
    main(*sys.argv[1:])
