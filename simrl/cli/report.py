"""`simrl-report DIR`: table, CSV, markdown and learning curves for the runs under DIR (a sweep).

    simrl-report multirun/2026-11-28/12-00-00            # writes DIR/report/
    simrl-report outputs --out /tmp/report

Writes `report.csv` (one row per group: mean, std and n over seeds), `runs.csv` (one row per run,
failed ones with their error), `report.md`, `curves.png` (mean +- std of the deterministic
evaluation return vs env steps, one line per group), `curves_wall.png` (vs wall-clock) and
`curves/<group>.png`. Std is the sample std over seeds (blank for a single seed).
"""

from __future__ import annotations

import argparse
import csv
import io
import math
import re
import sys
from pathlib import Path
from typing import Any

from simrl.cli.aggregate import STATS, GroupStats, RunRecord, aggregate, load_runs, mean_curve

APP = "simrl-report"


def _fmt(value: Any, digits: int = 4) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return ""
    if isinstance(value, float):
        if value != 0 and (abs(value) >= 1e5 or abs(value) < 1e-3):
            return f"{value:.3e}"
        return f"{value:.{digits}g}"
    return str(value)


def group_rows(groups: list[GroupStats]) -> list[dict[str, Any]]:
    """One flat dict per group (the CSV and markdown rows)."""
    rows = []
    for g in groups:
        row: dict[str, Any] = {"group": g.label, "n": len(g.completed), "failed": len(g.failed)}
        for col, _ in STATS:
            mean, std, _n = g.stats[col]
            row[f"{col}_mean"] = mean
            row[f"{col}_std"] = std
        row["seeds"] = " ".join(str(s) for s in g.seeds)
        rows.append(row)
    return rows


def run_rows(groups: list[GroupStats]) -> list[dict[str, Any]]:
    """One flat dict per run, failed runs included with their error."""
    rows = []
    for g in groups:
        for r in g.runs:
            row = {
                "group": g.label,
                "run_dir": str(r.path),
                "status": r.summary.get("status", "completed"),
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
        writer = csv.DictWriter(buf, fieldnames=list(rows[0]))
        writer.writeheader()
        for row in rows:
            writer.writerow({k: _fmt(v, 8) if isinstance(v, float) else v for k, v in row.items()})
    atomic_write_text(path, buf.getvalue())


def markdown(root: Path, groups: list[GroupStats], plots: list[str]) -> str:
    """The report as markdown: group table, failed runs, plots."""
    lines = [f"# simrl report: {root}", ""]
    n_runs = sum(len(g.runs) for g in groups)
    n_failed = sum(len(g.failed) for g in groups)
    lines += [f"{n_runs} runs in {len(groups)} groups, {n_failed} failed.", ""]
    if groups and groups[0].common:
        lines += [f"Overrides shared by all groups: `{' '.join(groups[0].common)}`", ""]
    head = [
        "group",
        "n",
        "return",
        "success",
        "peak mem (MB)",
        "FLOPs/sample",
        "env-steps/s",
        "wall s",
    ]
    lines += ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for g in groups:
        s = g.stats

        def ms(col: str, scale: float = 1.0, s: dict = s) -> str:
            mean, std, n = s[col]
            if n == 0:
                return "-"
            text = _fmt(mean / scale)
            return text + (f" ± {_fmt(std / scale)}" if n > 1 else "")

        cells = [
            f"`{g.label}`",
            f"{len(g.completed)}" + (f" (+{len(g.failed)} failed)" if g.failed else ""),
            ms("return"),
            ms("success"),
            ms("peak_memory_bytes", 1e6),
            ms("flops_per_sample"),
            ms("env_steps_per_s"),
            ms("wall_s"),
        ]
        lines.append("| " + " | ".join(cells) + " |")
    lines += ["", "Mean ± sample std over seeds of the final deterministic evaluation.", ""]
    failed = [r for g in groups for r in g.failed]
    if failed:
        lines += ["## Failed runs", ""]
        lines += [f"- `{r.path}`: {r.summary.get('error') or 'unknown error'}" for r in failed]
        lines.append("")
    for plot in plots:
        lines += [f"![{plot}]({plot})", ""]
    return "\n".join(lines)


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.=,-]+", "_", text)[:120] or "defaults"


def plot_groups(groups: list[GroupStats], out: Path) -> list[str]:
    """curves.png, curves_wall.png and curves/<group>.png; returns the relative paths written."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    written = []
    for x, name, xlabel in (
        ("env_steps", "curves.png", "env steps"),
        ("wall_s", "curves_wall.png", "wall-clock (s)"),
    ):
        fig, ax = plt.subplots(figsize=(7, 4.5))
        drawn = False
        for g in groups:
            drawn |= _draw(ax, g.completed, x, g.label)
        if drawn:
            _finish(ax, xlabel)
            fig.savefig(out / name, dpi=110, bbox_inches="tight")
            written.append(name)
        plt.close(fig)
    (out / "curves").mkdir(exist_ok=True)
    for g in groups:
        fig, ax = plt.subplots(figsize=(6, 4))
        if _draw(ax, g.completed, "env_steps", f"{g.label} (n={len(g.completed)})"):
            _finish(ax, "env steps")
            ax.set_title(g.label, fontsize=8)
            name = f"curves/{_slug(g.label)}.png"
            fig.savefig(out / name, dpi=100, bbox_inches="tight")
            written.append(name)
        plt.close(fig)
    return written


def _draw(ax: Any, runs: list[RunRecord], x: str, label: str) -> bool:
    grid, mean, std = mean_curve(runs, x=x)
    if grid.size == 0:
        return False
    if grid.size == 1:  # one evaluation point: an error bar instead of an invisible band
        ax.errorbar(grid, mean, yerr=std, label=label, marker="o", capsize=4)
        return True
    (line,) = ax.plot(grid, mean, label=label, marker="." if grid.size < 20 else None)
    ax.fill_between(grid, mean - std, mean + std, color=line.get_color(), alpha=0.2)
    return True


def _finish(ax: Any, xlabel: str) -> None:
    ax.set_xlabel(xlabel)
    ax.set_ylabel("deterministic eval return (mean ± std over seeds)")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7)


def write_report(root: str | Path, out: str | Path | None = None, plots: bool = True) -> Path:
    """Aggregate the runs under `root` and write the report files into `out` (default root/report)."""
    from simrl.files import atomic_write_text

    root = Path(root)
    records = load_runs(root)
    if not records:
        raise ValueError(f"no runs (summary.json) under {root}")
    groups = aggregate(records)
    out = Path(out) if out is not None else root / "report"
    out.mkdir(parents=True, exist_ok=True)
    _write_csv(out / "report.csv", group_rows(groups))
    _write_csv(out / "runs.csv", run_rows(groups))
    images = plot_groups(groups, out) if plots else []
    atomic_write_text(out / "report.md", markdown(root, groups, images))
    return out


def print_table(groups: list[GroupStats]) -> None:
    """The group table on the console (rich)."""
    from rich.console import Console
    from rich.table import Table

    table = Table(title="simrl report (mean ± std over seeds)")
    for col in ("group", "n", "failed", "return", "success", "peak MB", "FLOPs/sample", "steps/s"):
        table.add_column(col)
    for row in group_rows(groups):

        def ms(col: str, scale: float = 1.0, row: dict = row) -> str:
            mean, std = row[f"{col}_mean"], row[f"{col}_std"]
            if not math.isfinite(mean):
                return "-"
            return _fmt(mean / scale) + (f" ± {_fmt(std / scale)}" if math.isfinite(std) else "")

        table.add_row(
            row["group"],
            str(row["n"]),
            str(row["failed"]),
            ms("return"),
            ms("success"),
            ms("peak_memory_bytes", 1e6),
            ms("flops_per_sample"),
            ms("env_steps_per_s"),
        )
    Console(width=None if sys.stdout.isatty() else 160).print(table)


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line instead of usage + error
        print(f"{APP}: error: {message} (see {APP} --help)", file=sys.stderr)
        sys.exit(2)


def main(argv: list[str] | None = None) -> None:
    """Entry point of `simrl-report`."""
    parser = _Parser(prog=APP, description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("dir", help="directory holding runs (a sweep dir, outputs/, ...)")
    parser.add_argument(
        "--out", default=None, help="where to write the report (default DIR/report)"
    )
    parser.add_argument("--no-plots", action="store_true", help="skip the PNG plots")
    args = parser.parse_args(argv)
    try:
        out = write_report(args.dir, args.out, plots=not args.no_plots)
    except ValueError as exc:
        print(f"{APP}: error: {exc}", file=sys.stderr)
        sys.exit(2)
    print_table(aggregate(load_runs(args.dir)))
    print(f"report written to {out} (report.md, report.csv, runs.csv, curves.png)")


if __name__ == "__main__":
    main()
