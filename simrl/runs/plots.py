"""Learning-curve PNG: train and eval return vs env steps, success rate when the task has one."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any


def _finite(xs: list[Any], ys: list[Any]) -> tuple[list[float], list[float]]:
    pairs = [
        (float(x), float(y))
        for x, y in zip(xs, ys, strict=True)
        if y is not None and isinstance(y, (int, float)) and math.isfinite(float(y))
    ]
    return [p[0] for p in pairs], [p[1] for p in pairs]


def plot_learning_curve(
    history: list[dict[str, Any]], eval_curve: list[dict[str, Any]], path: Path, title: str = ""
) -> Path:
    """Draw return (train mean, deterministic eval) and success (if any) against env steps."""
    # Agg canvas directly: no pyplot, no global backend switch, works headless.
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    steps = [r.get("env_steps") for r in history]
    train_x, train_y = _finite(steps, [r.get("return_mean") for r in history])
    eval_steps = [r.get("env_steps") for r in eval_curve]
    eval_x, eval_y = _finite(eval_steps, [r.get("return_mean") for r in eval_curve])
    succ_train = _finite(steps, [r.get("success_rate") for r in history])
    succ_eval = _finite(eval_steps, [r.get("success_rate") for r in eval_curve])
    has_success = bool(succ_train[0] or succ_eval[0])

    nrows = 2 if has_success else 1
    fig = Figure(figsize=(7, 3.2 * nrows))
    FigureCanvasAgg(fig)
    axes = fig.subplots(nrows, 1, sharex=True, squeeze=False)
    ax = axes[0][0]
    ax.plot(train_x, train_y, label="train (sampled) return", alpha=0.8)
    ax.plot(eval_x, eval_y, "o-", label="eval (deterministic) return")
    ax.set_ylabel("episode return")
    ax.grid(alpha=0.3)
    ax.legend(loc="best")
    if title:
        ax.set_title(title)
    if has_success:
        ax2 = axes[1][0]
        ax2.plot(*succ_train, label="train success")
        ax2.plot(*succ_eval, "o-", label="eval success")
        ax2.set_ylabel("success rate")
        ax2.set_ylim(-0.02, 1.02)
        ax2.grid(alpha=0.3)
        ax2.legend(loc="best")
    axes[-1][0].set_xlabel("env steps")
    fig.tight_layout()
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp.png")
    fig.savefig(tmp, dpi=100)
    tmp.replace(path)
    return path
