"""`simrl-bench`: GRPO and SB3 PPO side by side on one env, core, precision, budget and seeds.

    simrl-bench env=reacher model=base bench.seeds=[0,1,2]
    simrl-bench bench.quick=true                       # a first look in a couple of minutes
    simrl-bench -m model=base,large total_env_steps=20000   # a sweep of comparisons

Writes into Hydra's output dir: runs/<algo>_seed<k>/ (each a full run directory), memory/runs/
(one metered iteration per side at equal per-pass batches: the memory figures, and FLOPs per
sample when the learning runs are not metered), results.json,
report.md, learning_curves.png and memory_compute.png. Learning and speed are compared with each
learner at its own settings (GRPO's automatic micro-batch included); memory at equal per-pass
batches (GRPO's micro-batch = PPO's minibatch), in that separate pass. Algorithm settings:
`grpo.KEY=VALUE` and `ppo.KEY=VALUE` (every GRPOConfig / PPOConfig field); `algo@grpo=OPTION`
picks another conf/algo file for a side.
"""

from __future__ import annotations

import shlex
import sys
from pathlib import Path
from typing import Any

from omegaconf import DictConfig, OmegaConf

from simrl.bench.config import BenchConfig
from simrl.bench.setup import plan_bench
from simrl.cli.app import fail, run_app
from simrl.config.apps import bench_settings, build_side

APP = "simrl-bench"


def build_bench(cfg: DictConfig, num_threads: int | None = None) -> tuple[BenchConfig, dict, dict]:
    """Validate both sides and plan the comparison (`simrl.bench.setup.plan_bench`)."""
    bench = bench_settings(cfg)
    built = {a: build_side(cfg, a, num_threads) for a in bench.algos}
    command = " ".join([APP, *map(shlex.quote, sys.argv[1:])])
    return plan_bench(bench, built, cfg.model.get("name", "custom"), command)


def check_bench(cfg: DictConfig) -> None:
    """Up-front check used by `run_app` for every point of the command line."""
    from simrl.config.dirs import check_hydra_dirs

    check_hydra_dirs(cfg)
    if "hydra" in cfg:
        cfg = OmegaConf.masked_copy(cfg, [k for k in cfg if k != "hydra"])
    for algo in bench_settings(cfg).algos:
        build_side(cfg, algo)


def bench_job(cfg: DictConfig) -> dict[str, Any]:
    """Hydra task: run the comparison into Hydra's output dir and write the report."""
    from hydra.core.hydra_config import HydraConfig

    from simrl.bench.compare import plan_jobs, run_jobs, write_results
    from simrl.bench.report import print_summary
    from simrl.bench.setup import memory_specs
    from simrl.config.errors import one_line

    out_dir = Path(HydraConfig.get().runtime.output_dir)
    try:
        bench, built, setup = build_bench(cfg, num_threads=int(cfg.num_threads) or None)
    except Exception as exc:
        fail(APP, one_line(exc), code=2)
    jobs = plan_jobs(built, bench.seeds)
    print(
        f"{APP}: {' vs '.join(built)} on {setup['env_id']} ({setup['model']} core, precision "
        f"{setup['precision_requested']}), {setup['total_env_steps']:,} env steps x seeds "
        f"{bench.seeds} -> {out_dir}"
        + (
            f"; memory at equal per-pass batches (GRPO micro-batch = PPO minibatch = "
            f"{setup['per_pass_batch']}), learning at each side's own settings"
            if setup["per_pass_batch"]
            else ""
        ),
        flush=True,
    )

    def log(message: str) -> None:
        print(message, flush=True)

    memory_dirs = run_jobs(
        plan_jobs(memory_specs(built, setup), bench.seeds[:1]), out_dir / "memory",
        skip_done=bench.skip_done, log=lambda m: log(f"memory pass {m}"),
    )  # fmt: skip
    run_dirs = run_jobs(jobs, out_dir, skip_done=bench.skip_done, log=log)
    results = write_results(run_dirs, out_dir, setup, plots=bench.plots, memory_dirs=memory_dirs)
    print_summary(results, out_dir)
    return results


def main(argv: list[str] | None = None) -> None:
    """Entry point of `simrl-bench` (console script and `python -m simrl.cli.bench`)."""
    run_app(APP, "bench", bench_job, check=check_bench, argv=argv)


if __name__ == "__main__":
    main()
