"""The report of a sweep: its groups (runs sharing their settings, all seeds) as CSV rows, a
markdown page, a console table and learning-curve figures (`simrl.results.sweep_plots`); what
`simrl-report DIR` writes (see `simrl.cli.report` for the files and their meaning).
"""

from __future__ import annotations

import csv
import io
import sys
from pathlib import Path
from typing import Any

from simrl.results import (
    BOOTSTRAP_REPS,
    BOOTSTRAP_SEED,
    ROBUST,
    STATS,
    Group,
    first_reached,
    fmt,
    fmt_interval,
    fmt_mean_std,
    fmt_steps,
    group_runs,
    load_runs,
)
from simrl.results.sweep_plots import plot_groups

# (column, header, scale) of the markdown and console tables.
SHOWN = (
    ("return", "return", 1.0),
    ("success", "success", 1.0),
    ("peak_memory_bytes", "peak mem (MB)", 1e6),
    ("flops_per_sample", "FLOPs/sample", 1.0),
    ("env_steps_per_s", "env-steps/s", 1.0),
    ("wall_s", "wall s", 1.0),
)


def group_rows(groups: list[Group], target: float | None = None) -> list[dict[str, Any]]:
    """One flat dict per group (the CSV rows)."""
    rows = []
    for g in groups:
        row: dict[str, Any] = {
            "group": g.label,
            "env_id": " ".join(g.env_ids),
            "n": len(g.completed),
            "stopped": len(g.stopped),
            "failed": len(g.failed),
        }
        for col, _ in STATS:
            mean, std, _n = g.stats[col]
            row[f"{col}_mean"] = mean
            row[f"{col}_std"] = std
        for col in ROBUST:
            if col in g.iqm:
                est = g.iqm[col]
                row[f"{col}_iqm"], row[f"{col}_iqm_low"], row[f"{col}_iqm_high"] = est[:3]
        row["seeds"] = " ".join(str(s) for s in g.seeds)
        if target is not None:
            row["target"] = target
            row["target_first_reached"] = " ".join(fmt_steps(v) for v in first_reached(g, target))
        rows.append(row)
    return rows


def run_rows(groups: list[Group]) -> list[dict[str, Any]]:
    """One flat dict per run, failed runs included with their error."""
    rows = []
    for g in groups:
        for r in g.runs:
            row = {
                "group": g.label,
                "run_dir": str(r.path),
                "status": r.status,
                "seed": r.summary.get("seed"),
            }
            row.update({key: r.summary.get(key) for _, key in STATS})
            row["error"] = r.summary.get("error") or ""
            rows.append(row)
    return rows


def _write_csv(path: Path, rows: list[dict[str, Any]]) -> None:
    from simrl.files import atomic_write_text

    buf = io.StringIO()
    if rows:
        fields = list(dict.fromkeys(k for row in rows for k in row))
        writer = csv.DictWriter(buf, fieldnames=fields)
        writer.writeheader()
        for row in rows:
            writer.writerow(
                {k: fmt(v, 8, "") if isinstance(v, float) else v for k, v in row.items()}
            )
    atomic_write_text(path, buf.getvalue())


def _cells(g: Group) -> dict[str, str]:
    """The table cells of one group: mean ± std per SHOWN column, IQM [95% CI] per ROBUST one."""
    out = {}
    for col, _, scale in SHOWN:
        mean, std, n = g.stats[col]
        out[col] = fmt_mean_std(mean, std, scale=scale) if n else "-"
    for col in ROBUST:
        est = g.iqm.get(col)
        out[f"{col}_iqm"] = fmt_interval(*est[:3]) if est is not None and est.n else "-"
    return out


def _header(target: float | None = None) -> list[str]:
    head = []
    for col, title, _ in SHOWN:
        head.append(title)
        if col in ROBUST:
            head.append(f"{title} IQM [95% CI]")
    if target is not None:
        head.append(f"first reached {fmt(target)} (env steps per seed)")
    return head


def target_cell(g: Group, target: float) -> str:
    """`2/3: 307,200 / 512,000 / -`: seeds that reached the target, and when each first did."""
    steps = first_reached(g, target)
    hit = sum(s is not None for s in steps)
    return f"{hit}/{len(steps)}: " + " / ".join(fmt_steps(s) for s in steps) if steps else "-"


def _row_cells(g: Group, target: float | None = None) -> list[str]:
    cells = _cells(g)
    out = []
    for col, _, _ in SHOWN:
        out.append(cells[col])
        if col in ROBUST:
            out.append(cells[f"{col}_iqm"])
    if target is not None:
        out.append(target_cell(g, target))
    return out


def _extra_counts(g: Group) -> str:
    """` (+1 stopped, +2 failed)` beside a group's completed count ('' when none)."""
    extra = [f"+{len(runs)} {what}" for what, runs in (("stopped", g.stopped), ("failed", g.failed))
             if runs]  # fmt: skip
    return f" ({', '.join(extra)})" if extra else ""


def _progress(r: Any) -> str:
    """`stopped at 12000 of 80000 env steps (SIGINT)` for a stopped run."""
    steps, budget = r.summary.get("env_steps"), r.summary.get("total_env_steps")
    text = f"{r.status} at {steps if steps is not None else '?'}"
    text += f" of {budget} env steps" if budget is not None else " env steps"
    signal = r.summary.get("stop_signal")
    return text + (f" ({signal})" if signal else "")


def markdown(root: Path, groups: list[Group], plots: list[str], target: float | None = None) -> str:
    """The report as markdown: group table, failed runs, plots."""
    lines = [f"# simrl report: {root}", ""]
    n_runs = sum(len(g.runs) for g in groups)
    n_failed = sum(len(g.failed) for g in groups)
    n_stopped = sum(len(g.stopped) for g in groups)
    lines += [
        f"{n_runs} runs in {len(groups)} groups: {n_runs - n_failed - n_stopped} completed, "
        f"{n_stopped} stopped before their budget, {n_failed} failed.",
        "",
    ]
    if groups and groups[0].common:
        lines += [f"Overrides shared by all groups: `{' '.join(groups[0].common)}`", ""]
    head = ["group", "n", *_header(target)]
    lines += ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for g in groups:
        n = f"{len(g.completed)}" + _extra_counts(g)
        lines.append("| " + " | ".join([f"`{g.label}`", n, *_row_cells(g, target)]) + " |")
    lines += [
        "",
        "Mean ± sample std (ddof=1) over seeds of the final deterministic evaluation, n completed "
        "runs (stopped and failed ones are counted apart, not averaged). IQM: "
        "rliable's interquartile mean over seeds (below 4 seeds nothing is trimmed: the mean) with "
        f"its 95% stratified-bootstrap interval ({BOOTSTRAP_REPS} resamples, seed {BOOTSTRAP_SEED}; "
        "none for a single seed).",
        "",
    ]
    if target is not None:
        lines += [
            f"First reached {fmt(target)}: completed seeds whose deterministic evaluation return "
            "reached the target, and the env steps of each seed's first such evaluation (in seed "
            "order; - never).",
            "",
        ]
    stopped = [r for g in groups for r in g.stopped]
    if stopped:
        lines += ["## Stopped runs (not in the statistics; `simrl-train resume=RUN` continues)", ""]
        lines += [f"- `{r.path}`: {_progress(r)}" for r in stopped]
        lines.append("")
    failed = [r for g in groups for r in g.failed]
    if failed:
        lines += ["## Failed runs", ""]
        lines += [f"- `{r.path}`: {r.summary.get('error') or 'unknown error'}" for r in failed]
        lines.append("")
    for plot in plots:
        lines += [f"![{plot}]({plot})", ""]
    return "\n".join(lines)


def load_groups(root: str | Path) -> list[Group]:
    """The groups of the runs under `root` (ValueError when there are none)."""
    records = load_runs(root)
    if not records:
        raise ValueError(f"no runs (summary.json) under {root}")
    return group_runs(records)


def write_report(
    root: str | Path,
    out: str | Path | None = None,
    plots: bool = True,
    groups: list[Group] | None = None,
) -> Path:
    """Write the report files of the runs under `root` into `out` (default root/report).

    `groups` (from `load_groups(root)`) saves reading and bootstrapping them again.
    """
    root = Path(root)
    out = Path(out) if out is not None else root / "report"
    write_report_files(root, out, plots, load_groups(root) if groups is None else groups)
    return out


def write_report_files(
    root: Path, out: Path, plots: bool, groups: list[Group], target: float | None = None
) -> list[str]:
    """The report files in `out`; returns their names (plots only where drawn)."""
    from simrl.files import atomic_write_text

    out.mkdir(parents=True, exist_ok=True)
    _write_csv(out / "report.csv", group_rows(groups, target))
    _write_csv(out / "runs.csv", run_rows(groups))
    images = plot_groups(groups, out, target) if plots else []
    atomic_write_text(out / "report.md", markdown(root, groups, images, target))
    return ["report.md", "report.csv", "runs.csv", *images]


def print_table(groups: list[Group], target: float | None = None) -> None:
    """The group table on the console (rich)."""
    from rich.console import Console
    from rich.table import Table

    table = Table(title="simrl report (mean ± std over seeds; IQM [95% CI])")
    for col in ("group", "n", "stopped", "failed", *_header(target)):
        table.add_column(col)
    for g in groups:
        counts = (str(len(g.completed)), str(len(g.stopped)), str(len(g.failed)))
        table.add_row(g.label, *counts, *_row_cells(g, target))
    Console(width=None if sys.stdout.isatty() else 200).print(table)
