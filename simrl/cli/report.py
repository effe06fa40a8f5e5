"""`simrl-report DIR`: table, CSV, markdown and learning curves for the runs under DIR (a sweep).

    simrl-report multirun/2026-11-28/12-00-00            # writes DIR/report/
    simrl-report outputs out=/tmp/report plots=false     # (`--out PATH`, `--no-plots` also work)
    simrl-report DIR target=-4.5                        # + when each seed first reached -4.5
    simrl-report mode=compare DIR1 DIR2 ... out=DIR     # simrl-bench dirs: one GRPO/PPO table
    simrl-report mode=robust DIR1 DIR2 ... [out=DIR]    # their IQM and P(GRPO > PPO) tables

Writes `report.csv` (one row per group: mean, std and n over seeds, IQM and its 95% interval),
`runs.csv` (one row per run with its status, failed ones with their error), `report.md`,
`curves.png` (deterministic evaluation return, and success rate where the task has one, vs env
steps: mean +- std per group, one column per env), `curves_wall.png` (vs wall-clock, each run)
and `curves/<group>.png` (with its final IQM). Statistics are over completed runs; runs stopped
before their budget and failed runs are counted and listed apart. A group's `total_env_steps` is
the runs' actual budget (a resume may raise it). Std is the sample std over seeds (ddof=1; blank
for a single seed); IQM is rliable's interquartile mean with a stratified-bootstrap 95% CI.
`target=R` adds the env steps at which each seed's evaluation return first reached R.
`mode=compare` and `mode=robust` read `simrl-bench` output dirs instead (`simrl.bench.tables`):
compare writes out/compare.{json,md} and copies each dir's report files to out/<dir name>/
(`rewrite=true` first rebuilds each dir's results from its runs/); robust writes out/robust.md.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from simrl.messages import UsageError as ConfigError
from simrl.results.sweep_report import load_groups, print_table, write_report_files

APP = "simrl-report"


def main(argv: list[str] | None = None) -> None:
    """Entry point of `simrl-report` (`DIR [out=PATH] [plots=false]`; `--out`, `--no-plots`)."""
    from simrl.cli.app import fail, interrupts_exit
    from simrl.cli.report_args import parse_args
    from simrl.config.dirs import check_out_dir

    argv = list(sys.argv[1:] if argv is None else argv)
    if any(a in ("-h", "--help") for a in argv):
        print(__doc__)
        return
    with interrupts_exit(APP):
        try:
            args = parse_args(argv)
            if args.mode != "sweep":
                bench_mode(args)
                return
            if not Path(args.dir).is_dir():
                raise ConfigError(
                    "dir", args.dir, "is not a directory (give a sweep or outputs dir)"
                )
            out = Path(args.out) if args.out is not None else Path(args.dir) / "report"
            check_out_dir("out", out)
            groups = load_groups(args.dir)
        except ValueError as exc:
            fail(APP, exc)
        names = write_report_files(Path(args.dir), out, args.plots, groups, args.target)
        print_table(groups, args.target)
        print(f"report written to {out} ({files_line(names, args.plots)})")


def bench_mode(args: Any) -> None:
    """`mode=compare|robust` over simrl-bench output dirs: checked first, then the tables."""
    from simrl.bench.tables import compare_report, robust_report
    from simrl.config.dirs import check_out_dir

    for d in args.dirs:
        if not (Path(d) / "results.json").is_file():
            raise ConfigError("dir", d, "has no results.json (give simrl-bench output dirs)")
        if args.rewrite and not (Path(d) / "runs").is_dir():
            raise ConfigError("rewrite", "true", f"needs {d}/runs (the run dirs to rebuild from)")
    if args.out is not None:
        check_out_dir("out", args.out)
    if args.mode == "compare":
        print(compare_report(args.dirs, args.out, args.rewrite), end="")
    else:
        print(robust_report(args.dirs, args.out), end="")
    if args.out is not None:
        print(f"{args.mode} tables written to {args.out}")


def files_line(names: list[str], plots: bool) -> str:
    """`report.md, ..., curves.png, curves/ (3 group plots)`, or `..., no plots (plots=false)`."""
    top = [n for n in names if not n.startswith("curves/")]
    per_group = len(names) - len(top)
    if per_group:
        top.append(f"curves/ ({per_group} group plots)")
    if not plots:
        top.append("no plots (plots=false)")
    return ", ".join(top)


if __name__ == "__main__":
    main()
