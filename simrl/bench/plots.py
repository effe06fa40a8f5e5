"""Comparison plots: learning curves (by `simrl.results.plots`) and memory/compute bars."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from simrl.files import atomic_write_bytes

COLORS = {"grpo": "tab:blue", "ppo": "tab:orange"}
BARS = (
    ("params_trainable", "trainable params"),
    ("optimizer_state_bytes", "optimizer state (B)"),
    ("peak_learner_memory_bytes", "peak learner memory (B)"),
    ("learner_flops_per_sample", "FLOPs / sample (1 pass)"),
    ("learner_flops_per_collected_sample", "FLOPs / collected sample"),
    ("update_time_s_mean", "s / update"),
)


def plot_learning_curves(records: list[dict[str, Any]], path: Path, title: str) -> Path | None:
    """Return (and success, where the task has it) vs env steps (mean ± std over seeds, each seed
    thin) and vs wall-clock (each seed: wall-clock differs between seeds on a shared machine, so a
    mean over their common range would hide most of the runs)."""
    from simrl.results.plots import Panel, Series, plot_panels

    algos = sorted({r["algo"] for r in records})
    series = [
        Series(a, [r["curve"] for r in records if r["algo"] == a and r.get("curve")], COLORS.get(a))
        for a in algos
    ]
    rows = [
        [
            Panel(series, x=x, y=y, runs="each" if x == "wall_s" else "thin", log_x=x == "wall_s",
                  xlabel="wall-clock (s, log scale)" if x == "wall_s" else None,
                  ylim=(-0.02, 1.02) if y == "success_rate" else None)
            for x in ("env_steps", "wall_s")
        ]
        for y in ("return_mean", "success_rate")
    ]  # fmt: skip
    return plot_panels(path, rows, title=title)


def plot_bars(agg: dict[str, dict[str, Any]], path: Path, title: str) -> Path:
    """One small bar chart per memory/compute figure, GRPO next to PPO (mean ± sample std)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    algos = sorted(agg)
    fig = Figure(figsize=(11, 6))
    FigureCanvasAgg(fig)
    axes = fig.subplots(2, 3)
    for ax, (key, label) in zip(axes.flat, BARS, strict=True):
        means = [agg[a][key]["mean"] or 0.0 for a in algos]
        stds = [agg[a][key]["std"] or 0.0 for a in algos]
        ax.bar(algos, means, yerr=stds, color=[COLORS.get(a, "gray") for a in algos])
        ax.set_title(label, fontsize=10)
        ax.ticklabel_format(axis="y", style="sci", scilimits=(-2, 4))
        ax.grid(axis="y", alpha=0.3)
    fig.suptitle(title)
    fig.tight_layout()
    path = Path(path)
    atomic_write_bytes(path, lambda f: fig.savefig(f, format="png", dpi=110, bbox_inches="tight"))
    return path
