"""The one learning-curve plotter: mean ± std band over runs (seeds) against env steps or wall-clock.

Used for a run's learning_curve.png (`simrl.runs.plots`), simrl-report's curves, simrl-bench's
learning_curves.png and the benchmark scripts' figures. A figure is a grid of `Panel`s; a panel
draws `Series` (one label, the curves of its runs). A series of several runs is drawn as its mean
with a ± sample-std (ddof=1) band (`simrl.results.stats.mean_curve`), a single run as its line.
Matplotlib's Agg canvas is used directly (no pyplot, no global backend switch: works headless and
inside other programs) and files are written atomically.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from simrl.files import atomic_write_bytes
from simrl.results.run_dirs import num
from simrl.results.stats import mean_curve

X_LABELS = {"env_steps": "env steps", "wall_s": "wall-clock (s)"}
LABEL_CHARS = 70  # legend labels are shortened beyond this
INSIDE_ENTRIES = 4  # legends with more entries go below the axes
Y_LABELS = {
    "return_mean": "deterministic eval return",
    "success_rate": "success rate",
}


@dataclass
class Series:
    """One line of a panel: the curves (lists of point dicts) of its runs, one per seed."""

    label: str
    curves: Sequence[Sequence[Mapping[str, Any]]]
    color: str | None = None
    marker: str | None = None  # None: "." on short curves


@dataclass
class Panel:
    """One axes: its series of `y` against `x`.

    `runs`: "mean" draws each series' mean ± std, "thin" adds each run as a thin line behind it,
    "each" draws only the runs (for wall-clock, where seeds rarely share a common range).
    """

    series: list[Series]
    x: str = "env_steps"
    y: str = "return_mean"
    title: str = ""
    xlabel: str | None = None
    ylabel: str | None = None
    runs: str = "mean"
    log_x: bool = False
    hlines: dict[str, float] = field(default_factory=dict)  # label -> y (targets, thresholds)
    ylim: tuple[float, float] | None = None


def _points(curve: Sequence[Mapping[str, Any]], x: str, y: str) -> tuple[list, list]:
    pts = sorted(
        (num(p.get(x)), num(p.get(y)))
        for p in curve
        if num(p.get(x)) is not None and num(p.get(y)) is not None
    )
    return [p[0] for p in pts], [p[1] for p in pts]


def draw_panel(ax: Any, panel: Panel) -> bool:
    """Draw `panel` on a matplotlib axes; False (and a note on the axes) when none of its series
    has a point. Runs whose x ranges do not overlap have no mean: each is drawn instead."""
    drawn = False
    for i, s in enumerate(panel.series):
        color = s.color or f"C{i}"
        name = _short(s.label, LABEL_CHARS - 30)  # room for the suffix (n, what is drawn)
        runs = [c for c in s.curves if _points(c, panel.x, panel.y)[0]]
        each = panel.runs == "each"
        if each or (panel.runs == "thin" and len(runs) > 1):
            for k, curve in enumerate(runs):
                xs, ys = _points(curve, panel.x, panel.y)
                label = f"{name} (each run, n={len(runs)})" if each and k == 0 else None
                alpha, lw = (0.8, 1.2) if each else (0.25, 0.8)
                ax.plot(xs, ys, color=color, alpha=alpha, lw=lw, label=label)
                drawn = True
            if each:
                continue
        c = mean_curve(runs, panel.x, panel.y)
        if c.x.size == 0:  # the runs' x ranges do not overlap: no mean, so draw each run
            for k, curve in enumerate(runs):
                xs, ys = _points(curve, panel.x, panel.y)
                label = f"{name} (each run, no common range, n={len(runs)})" if k == 0 else None
                ax.plot(xs, ys, color=color, alpha=0.8, lw=1.2, marker=".", label=label)
                drawn = True
            continue
        drawn = True
        band = c.n > 1
        label = f"{name} (mean ± std, n={c.n})" if band else s.label
        if c.x.size == 1:  # one point: a marker with an error bar instead of an invisible band
            yerr = c.std if band else None
            ax.errorbar(c.x, c.mean, yerr=yerr, color=color, label=label, marker="o", capsize=4)
            continue
        marker = s.marker if s.marker is not None else ("." if c.x.size < 20 else None)
        ax.plot(c.x, c.mean, color=color, label=label, marker=marker)
        if band:
            ax.fill_between(c.x, c.mean - c.std, c.mean + c.std, color=color, alpha=0.2)
    if drawn:
        for k, (label, value) in enumerate(panel.hlines.items()):
            ax.axhline(value, color="k", ls="--" if k == 0 else ":", lw=1, label=label)
    ax.set_xlabel(panel.xlabel or X_LABELS.get(panel.x, panel.x))
    ax.set_ylabel(panel.ylabel or Y_LABELS.get(panel.y, panel.y))
    if panel.title:
        ax.set_title(panel.title, fontsize=9)
    if panel.log_x:
        from matplotlib.ticker import LogLocator, NullFormatter, ScalarFormatter

        ax.set_xscale("log")
        # labels at 1, 2, 5 x 10^k in plain numbers; matplotlib's default labels every minor tick
        # of a short log range and they overlap
        ax.xaxis.set_major_locator(LogLocator(subs=(1.0, 2.0, 5.0)))
        ax.xaxis.set_major_formatter(ScalarFormatter())
        ax.xaxis.set_minor_formatter(NullFormatter())
    elif panel.x == "env_steps":
        from matplotlib.ticker import EngFormatter

        ax.xaxis.set_major_formatter(EngFormatter())
    if panel.ylim is not None:
        ax.set_ylim(*panel.ylim)
    ax.grid(alpha=0.3)
    if drawn:
        _legend(ax)
    else:
        what = Y_LABELS.get(panel.y, panel.y)
        ax.text(0.5, 0.5, f"no {what} in these runs", ha="center", va="center",
                transform=ax.transAxes, color="0.4")  # fmt: skip
    return drawn


def _short(text: str, chars: int) -> str:
    """`text` cut to `chars` characters (an ellipsis marks the cut)."""
    return text if len(text) <= chars else text[: chars - 1] + "…"


def _legend(ax: Any) -> None:
    """A legend that fits: inside the axes when short, else below them (the figure is saved
    with a tight bounding box, so it grows to hold it); long labels are shortened."""
    handles, labels = ax.get_legend_handles_labels()
    labels = [_short(lab, LABEL_CHARS) for lab in labels]
    if len(labels) <= INSIDE_ENTRIES and max(map(len, labels), default=0) <= 40:
        ax.legend(handles, labels, fontsize=7, loc="best")
        return
    ax.legend(handles, labels, fontsize=6, loc="upper left", bbox_to_anchor=(0.0, -0.2),
              ncol=2 if len(labels) > 8 else 1, frameon=False)  # fmt: skip


def plot_panels(
    path: str | Path,
    rows: list[list[Panel]],
    title: str = "",
    panel_size: tuple[float, float] = (5.5, 3.6),
    dpi: int = 110,
    allow_empty: bool = False,
) -> Path | None:
    """Draw a grid of panels (rows of columns) into a PNG at `path`, written atomically.

    Rows in which no panel has a point are dropped; when nothing is left, returns None and writes
    nothing, or with `allow_empty` draws the first row's axes with a note. A panel without points
    in a kept row carries a note saying so.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    kept = [row for row in rows if row and any(_has_points(p) for p in row)]
    if not kept and not (allow_empty and rows and rows[0]):
        return None
    rows = kept or rows[:1]
    ncols = max(len(row) for row in rows)
    fig = Figure(figsize=(panel_size[0] * ncols, panel_size[1] * len(rows)))
    FigureCanvasAgg(fig)
    axes = np.asarray(fig.subplots(len(rows), ncols, squeeze=False))
    for r, row in enumerate(rows):
        for c in range(ncols):
            if c >= len(row):
                axes[r, c].set_visible(False)
            else:  # a panel without points says so (a note), never an empty white box
                draw_panel(axes[r, c], row[c])
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    path = Path(path)
    atomic_write_bytes(
        path, lambda f: fig.savefig(f, format="png", dpi=dpi, bbox_inches="tight", pad_inches=0.2)
    )
    return path


def _has_points(panel: Panel) -> bool:
    return any(_points(c, panel.x, panel.y)[0] for s in panel.series for c in s.curves)
