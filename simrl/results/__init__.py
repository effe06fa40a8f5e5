"""Results of runs: read run directories, statistics over seeds, one formatter, one curve plotter.

The layer below `simrl-report` and `simrl-bench`: `run_dirs` reads run directories into `RunRecord`s,
`stats` computes mean ± sample std (ddof=1) and rliable's IQM and probability of improvement with
seeded bootstrap intervals, `aggregate` groups a sweep's runs (and finds when a run first reached
a target), `format` is the number formatter of every table and `plots` draws every learning curve;
`sweep_report` and `sweep_plots` render a sweep's report (what `simrl-report DIR` writes).
Importing this package is cheap: matplotlib and rliable are imported only by the functions that use them.
"""

from simrl.results.aggregate import ROBUST, STATS, Group, first_crossing, first_reached, group_runs
from simrl.results.format import (
    fmt,
    fmt_diff,
    fmt_interval,
    fmt_mean_std,
    fmt_ratio,
    fmt_steps,
    md_table,
)
from simrl.results.run_dirs import IGNORED_KEYS, RunRecord, eval_curve, load_run, load_runs, num
from simrl.results.stats import (
    BOOTSTRAP_REPS,
    BOOTSTRAP_SEED,
    CONFIDENCE,
    CurveStats,
    Estimate,
    Stat,
    iqm,
    mean_curve,
    mean_std,
    probability_of_improvement,
    sample_std,
)

__all__ = [
    "BOOTSTRAP_REPS",
    "BOOTSTRAP_SEED",
    "CONFIDENCE",
    "IGNORED_KEYS",
    "ROBUST",
    "STATS",
    "CurveStats",
    "Estimate",
    "Group",
    "RunRecord",
    "Stat",
    "eval_curve",
    "first_crossing",
    "first_reached",
    "fmt",
    "fmt_diff",
    "fmt_interval",
    "fmt_mean_std",
    "fmt_ratio",
    "fmt_steps",
    "group_runs",
    "iqm",
    "load_run",
    "load_runs",
    "md_table",
    "mean_curve",
    "mean_std",
    "num",
    "probability_of_improvement",
    "sample_std",
]
