"""A run's learning_curve.png: train and eval return vs env steps, success rate when the task has
one. Drawn by the one curve plotter, `simrl.results.plots`."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def plot_learning_curve(
    history: list[dict[str, Any]], eval_curve: list[dict[str, Any]], path: Path, title: str = ""
) -> Path:
    """Draw return (train mean, deterministic eval) and success (if any) against env steps."""
    from simrl.results.plots import Panel, Series, plot_panels

    def series(what: str) -> list[Series]:
        return [
            Series(f"train (sampled) {what}", [history], marker=""),
            Series(f"eval (deterministic) {what}", [eval_curve], marker="o"),
        ]

    rows = [
        [Panel(series("return"), y="return_mean", ylabel="episode return", title=title)],
        [Panel(series("success"), y="success_rate", ylim=(-0.02, 1.02))],
    ]
    out = plot_panels(path, rows, panel_size=(7, 3.2), dpi=100, allow_empty=True)
    assert out is not None
    return out
