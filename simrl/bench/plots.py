"""Comparison plots: learning curves (mean ± std over seeds) and memory/compute bars."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from simrl.bench.results import mean_curve

COLORS = {"grpo": "tab:blue", "ppo": "tab:orange"}
BARS = (
    ("params_trainable", "trainable params"),
    ("optimizer_state_bytes", "optimizer state (B)"),
    ("peak_learner_memory_bytes", "peak learner memory (B)"),
    ("learner_flops_per_sample", "FLOPs / sample (1 pass)"),
    ("learner_flops_per_collected_sample", "FLOPs / collected sample"),
    ("update_time_s_mean", "s / update"),
)


def _atomic_savefig(fig: Any, path: Path) -> None:
    tmp = path.with_name(f".{path.stem}.tmp{path.suffix}")
    fig.savefig(tmp, dpi=110, bbox_inches="tight")
    tmp.replace(path)


def plot_learning_curves(records: list[dict[str, Any]], path: Path, title: str) -> Path:
    """Return vs env steps (mean ± std over seeds, seeds thin) and vs wall-clock (each seed)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import EngFormatter

    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    panels = ((axes[0], "env_steps", "env steps"), (axes[1], "wall_s", "wall-clock (s, log scale)"))
    for ax, x_key, xlabel in panels:
        for algo in sorted({r["algo"] for r in records}):
            curves = [r["curve"] for r in records if r["algo"] == algo and r.get("curve")]
            color = COLORS.get(algo)
            # Wall-clock differs between seeds on a shared machine, so that panel shows each seed
            # (a mean over the common time range would hide most of the runs).
            per_seed = x_key == "wall_s"
            for i, curve in enumerate(curves):
                pts = [
                    (p[x_key], p["return_mean"]) for p in curve if p.get("return_mean") is not None
                ]
                if pts:
                    label = f"{algo} (each seed, n={len(curves)})" if per_seed and i == 0 else None
                    alpha, lw = (0.8, 1.2) if per_seed else (0.25, 0.8)
                    ax.plot(*zip(*pts, strict=True), color=color, alpha=alpha, lw=lw, label=label)
            c = mean_curve(curves, x_key)
            if per_seed or not c["x"]:
                continue
            ax.plot(c["x"], c["mean"], label=f"{algo} (mean ± std, n={len(curves)})", color=color)
            lo = [m - s for m, s in zip(c["mean"], c["std"], strict=True)]
            hi = [m + s for m, s in zip(c["mean"], c["std"], strict=True)]
            ax.fill_between(c["x"], lo, hi, alpha=0.2, color=color)
        ax.set_xlabel(xlabel)
        ax.set_ylabel("deterministic eval return")
        ax.grid(alpha=0.3)
        ax.legend()
    axes[0].xaxis.set_major_formatter(EngFormatter())
    axes[1].set_xscale("log")
    fig.suptitle(title)
    _atomic_savefig(fig, path)
    plt.close(fig)
    return path


def plot_bars(agg: dict[str, dict[str, Any]], path: Path, title: str) -> Path:
    """One small bar chart per memory/compute figure, GRPO next to PPO (mean ± std over seeds)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    algos = sorted(agg)
    fig, axes = plt.subplots(2, 3, figsize=(11, 6))
    for ax, (key, label) in zip(axes.flat, BARS, strict=True):
        means = [agg[a][key]["mean"] or 0.0 for a in algos]
        stds = [agg[a][key]["std"] or 0.0 for a in algos]
        ax.bar(algos, means, yerr=stds, color=[COLORS.get(a, "gray") for a in algos])
        ax.set_title(label, fontsize=10)
        ax.ticklabel_format(axis="y", style="sci", scilimits=(-2, 4))
        ax.grid(axis="y", alpha=0.3)
    fig.suptitle(title)
    fig.tight_layout()
    _atomic_savefig(fig, path)
    plt.close(fig)
    return path
