"""simrl-report's figures of a sweep: curves.png and curves_wall.png (one column per env), curves/<group>.png.

Every figure has a return row and, where the runs have one, a success-rate row. Against env steps
each group is drawn as its mean ± std over seeds; against wall-clock each run is drawn (seeds
rarely share a wall-clock range). A group's own figure carries its final IQM [95% CI] and counts
its stopped and failed runs. Panels without data carry a note (`simrl.results.plots`).
"""

from __future__ import annotations

import re
from pathlib import Path

from simrl.results import Group, fmt_interval
from simrl.results.plots import Panel, Series

RETURN_LABEL = "deterministic eval return"
SUCCESS_LABEL = "deterministic eval success rate"
X_AXES = (("env_steps", "curves.png", "mean"), ("wall_s", "curves_wall.png", "each"))


def slug(text: str) -> str:
    """A file-name-safe form of a group label."""
    return re.sub(r"[^A-Za-z0-9_.=,-]+", "_", text)[:120] or "defaults"


def has_success(groups: list[Group]) -> bool:
    """Whether any completed run of `groups` has a success rate in its curve."""
    return any(
        p.get("success_rate") not in (None, "")
        for g in groups
        for r in g.completed
        for p in r.curve
    )


def _env_series(groups: list[Group], env_id: str) -> list[Series]:
    """One series per group with completed runs on `env_id` (their curves only)."""
    out = []
    for i, g in enumerate(groups):
        curves = [r.curve for r in g.completed if r.env_id == env_id]
        if curves:
            out.append(Series(g.label, curves, color=f"C{i % 10}"))
    return out


def overview_rows(
    groups: list[Group], x: str, runs: str, target: float | None = None
) -> list[list[Panel]]:
    """A return row (with the target line, if any) and (where any run has one) a success row,
    one column per env."""
    hlines = {f"target {target:g}": target} if target is not None else {}
    envs = sorted({r.env_id for g in groups for r in g.completed})
    titled = len(envs) > 1
    spread = "each run" if runs == "each" else "mean ± std over seeds"
    returns, success = [], []
    for env_id in envs:
        series = _env_series(groups, env_id)
        title = env_id if titled else ""
        returns.append(
            Panel(
                series,
                x=x,
                runs=runs,
                title=title,
                ylabel=f"{RETURN_LABEL} ({spread})",
                hlines=hlines,
            )
        )
        success.append(
            Panel(
                series,
                x=x,
                y="success_rate",
                runs=runs,
                ylim=(-0.02, 1.02),
                title=title,
                ylabel=f"{SUCCESS_LABEL} ({spread})",
            )  # fmt: skip
        )
    return [returns, success] if has_success(groups) else [returns]


def group_title(g: Group) -> str:
    """The group's label, its run counts and the final IQM [95% CI] of return and success."""
    counts = f"n={len(g.completed)}"
    if g.stopped:
        counts += f", {len(g.stopped)} stopped"
    if g.failed:
        counts += f", {len(g.failed)} failed"
    parts = [f"{g.label} ({counts})"]
    for col, name in (("return", "return"), ("success", "success")):
        est = g.iqm.get(col)
        if est is not None and est.n:
            parts.append(f"final {name} IQM {fmt_interval(*est[:3])}")
    return "\n".join([parts[0], "; ".join(parts[1:])] if len(parts) > 1 else parts)


def group_rows(g: Group) -> list[list[Panel]]:
    """The rows of one group's figure: return, then success where its runs have one."""
    series = [Series("seeds", [r.curve for r in g.completed])]  # the group is in the title
    rows = [[Panel(series, title=group_title(g), runs="thin")]]
    if has_success([g]):
        rows.append([Panel(series, y="success_rate", ylim=(-0.02, 1.02), runs="thin")])
    return rows


def plot_groups(groups: list[Group], out: Path, target: float | None = None) -> list[str]:
    """curves.png, curves_wall.png and curves/<group>.png; returns the relative paths written."""
    from simrl.results import plots

    written = []
    for x, name, runs in X_AXES:
        rows = overview_rows(groups, x, runs, target)
        ncols = max((len(r) for r in rows), default=1)
        if plots.plot_panels(out / name, rows, panel_size=(7, 4.5) if ncols == 1 else (5.5, 4)):
            written.append(name)
    (out / "curves").mkdir(exist_ok=True)
    for g in groups:
        name = f"curves/{slug(g.label)}.png"
        if plots.plot_panels(out / name, group_rows(g), panel_size=(6, 4), dpi=100) is not None:
            written.append(name)
    return written
