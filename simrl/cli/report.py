"""`simrl-report DIR`: table, CSV, markdown and learning curves for the runs under DIR (a sweep).

    simrl-report multirun/2026-11-28/12-00-00            # writes DIR/report/
    simrl-report outputs --out /tmp/report

Writes `report.csv` (one row per group: mean, std and n over seeds, IQM and its 95% interval),
`runs.csv` (one row per run, failed ones with their error), `report.md`, `curves.png` (mean +- std
of the deterministic evaluation return, and success rate where the task has one, vs env steps, one
line per group), `curves_wall.png` (vs wall-clock) and `curves/<group>.png`. Std is the sample std
over seeds (ddof=1; blank for a single seed); IQM is rliable's interquartile mean with a
stratified-bootstrap 95% confidence interval.
"""

from __future__ import annotations

import argparse
import csv
import io
import re
import sys
from pathlib import Path
from typing import Any

from simrl.results import (
    BOOTSTRAP_REPS,
    BOOTSTRAP_SEED,
    ROBUST,
    STATS,
    Group,
    fmt,
    fmt_interval,
    fmt_mean_std,
    group_runs,
    load_runs,
)

APP = "simrl-report"
# (column, header, scale) of the markdown and console tables.
SHOWN = (
    ("return", "return", 1.0),
    ("success", "success", 1.0),
    ("peak_memory_bytes", "peak mem (MB)", 1e6),
    ("flops_per_sample", "FLOPs/sample", 1.0),
    ("env_steps_per_s", "env-steps/s", 1.0),
    ("wall_s", "wall s", 1.0),
)


def group_rows(groups: list[Group]) -> list[dict[str, Any]]:
    """One flat dict per group (the CSV rows)."""
    rows = []
    for g in groups:
        row: dict[str, Any] = {"group": g.label, "n": len(g.completed), "failed": len(g.failed)}
        for col, _ in STATS:
            mean, std, _n = g.stats[col]
            row[f"{col}_mean"] = mean
            row[f"{col}_std"] = std
        for col in ROBUST:
            if col in g.iqm:
                est = g.iqm[col]
                row[f"{col}_iqm"], row[f"{col}_iqm_low"], row[f"{col}_iqm_high"] = est[:3]
        row["seeds"] = " ".join(str(s) for s in g.seeds)
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


def _header() -> list[str]:
    head = []
    for col, title, _ in SHOWN:
        head.append(title)
        if col in ROBUST:
            head.append(f"{title} IQM [95% CI]")
    return head


def _row_cells(g: Group) -> list[str]:
    cells = _cells(g)
    out = []
    for col, _, _ in SHOWN:
        out.append(cells[col])
        if col in ROBUST:
            out.append(cells[f"{col}_iqm"])
    return out


def markdown(root: Path, groups: list[Group], plots: list[str]) -> str:
    """The report as markdown: group table, failed runs, plots."""
    lines = [f"# simrl report: {root}", ""]
    n_runs = sum(len(g.runs) for g in groups)
    n_failed = sum(len(g.failed) for g in groups)
    lines += [f"{n_runs} runs in {len(groups)} groups, {n_failed} failed.", ""]
    if groups and groups[0].common:
        lines += [f"Overrides shared by all groups: `{' '.join(groups[0].common)}`", ""]
    head = ["group", "n", *_header()]
    lines += ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for g in groups:
        n = f"{len(g.completed)}" + (f" (+{len(g.failed)} failed)" if g.failed else "")
        lines.append("| " + " | ".join([f"`{g.label}`", n, *_row_cells(g)]) + " |")
    lines += [
        "",
        "Mean ± sample std (ddof=1) over seeds of the final deterministic evaluation, n seeds. IQM: "
        "rliable's interquartile mean over seeds (below 4 seeds nothing is trimmed: the mean) with "
        f"its 95% stratified-bootstrap interval ({BOOTSTRAP_REPS} resamples, seed {BOOTSTRAP_SEED}; "
        "none for a single seed).",
        "",
    ]
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


def plot_groups(groups: list[Group], out: Path) -> list[str]:
    """curves.png, curves_wall.png and curves/<group>.png; returns the relative paths written."""
    from simrl.results.plots import Panel, Series, plot_panels

    series = [Series(g.label, [r.curve for r in g.completed]) for g in groups]
    written = []
    has_success = any(
        p.get("success_rate") not in (None, "") for s in series for c in s.curves for p in c
    )
    for x, name in (("env_steps", "curves.png"), ("wall_s", "curves_wall.png")):
        rows = [[Panel(series, x=x, ylabel="deterministic eval return (mean ± std over seeds)")]]
        if has_success:  # a task with success: its rate under the return, same x
            label = "deterministic eval success (mean ± std over seeds)"
            rows.append([Panel(series, x=x, y="success_rate", ylim=(-0.02, 1.02), ylabel=label)])
        if plot_panels(out / name, rows, panel_size=(7, 4.5)) is not None:
            written.append(name)
    (out / "curves").mkdir(exist_ok=True)
    for g, s in zip(groups, series, strict=True):
        name = f"curves/{_slug(g.label)}.png"
        panel = Panel([Series(f"{g.label} (n={len(g.completed)})", s.curves)], title=g.label)
        if plot_panels(out / name, [[panel]], panel_size=(6, 4), dpi=100) is not None:
            written.append(name)
    return written


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
    from simrl.files import atomic_write_text

    root = Path(root)
    groups = load_groups(root) if groups is None else groups
    out = Path(out) if out is not None else root / "report"
    out.mkdir(parents=True, exist_ok=True)
    _write_csv(out / "report.csv", group_rows(groups))
    _write_csv(out / "runs.csv", run_rows(groups))
    images = plot_groups(groups, out) if plots else []
    atomic_write_text(out / "report.md", markdown(root, groups, images))
    return out


def print_table(groups: list[Group]) -> None:
    """The group table on the console (rich)."""
    from rich.console import Console
    from rich.table import Table

    table = Table(title="simrl report (mean ± std over seeds; IQM [95% CI])")
    for col in ("group", "n", "failed", *_header()):
        table.add_column(col)
    for g in groups:
        table.add_row(g.label, str(len(g.completed)), str(len(g.failed)), *_row_cells(g))
    Console(width=None if sys.stdout.isatty() else 200).print(table)


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
        groups = load_groups(args.dir)
        out = write_report(args.dir, args.out, plots=not args.no_plots, groups=groups)
    except ValueError as exc:
        print(f"{APP}: error: {exc}", file=sys.stderr)
        sys.exit(2)
    print_table(groups)
    print(f"report written to {out} (report.md, report.csv, runs.csv, curves.png)")


if __name__ == "__main__":
    main()
