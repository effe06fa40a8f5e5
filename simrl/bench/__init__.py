"""GRPO-vs-PPO comparison: run both side by side, meter them, write results.json, report.md, plots.

`tables` combines several comparisons (`simrl-report mode=compare|robust`); `scripted` evaluates
the arm tasks' scripted controllers (`simrl-eval policy=scripted`).
"""

from simrl.bench.compare import BenchJob, collect, plan_jobs, run_jobs, write_results
from simrl.bench.config import DEFAULT_THRESHOLDS, BenchConfig
from simrl.bench.figures import aggregate, goals, ratios, robust, run_record

__all__ = [
    "DEFAULT_THRESHOLDS",
    "BenchConfig",
    "BenchJob",
    "aggregate",
    "collect",
    "goals",
    "plan_jobs",
    "ratios",
    "robust",
    "run_jobs",
    "run_record",
    "write_results",
]
