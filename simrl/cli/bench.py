"""`simrl-bench`: GRPO and SB3 PPO side by side on one env, core, precision, budget and seeds.

    simrl-bench env=reacher model=base bench.seeds=[0,1,2]
    simrl-bench bench.quick=true                       # a first look in a couple of minutes
    simrl-bench -m model=base,large total_env_steps=20000   # a sweep of comparisons

Writes into Hydra's output dir: runs/<algo>_seed<k>/ (each a full run directory), memory/runs/
(one metered iteration per side at equal per-pass batches: the memory figures), results.json,
report.md, learning_curves.png and memory_compute.png. Learning and speed are compared with each
learner at its own settings (GRPO's automatic micro-batch included); memory at equal per-pass
batches (GRPO's micro-batch = PPO's minibatch), in that separate pass. Algorithm settings:
`grpo.KEY=VALUE` and `ppo.KEY=VALUE` (every GRPOConfig / PPOConfig field); `algo@grpo=OPTION`
picks another conf/algo file for a side.
"""

from __future__ import annotations

import shlex
import sys
from dataclasses import field, replace
from pathlib import Path
from typing import Any

from hydra.core.config_store import ConfigStore
from omegaconf import MISSING, DictConfig, OmegaConf

from simrl.bench.config import QUICK_GRPO_ITERATIONS, QUICK_SEEDS, BenchConfig, grpo_iteration_steps
from simrl.cli.app import fail, run_app
from simrl.config import schema
from simrl.config.build import build_configs
from simrl.nn.device import resolve_device
from simrl.runs.config import RunConfig

APP = "simrl-bench"
QUICK_EVAL_EPISODES = 8


def _bench_schema() -> type:
    bench_node = schema.make_node("BenchNode", BenchConfig, [])
    extra = [
        ("env", schema.EnvNode, field(default_factory=schema.EnvNode)),
        ("model", schema.ModelNode, field(default_factory=schema.ModelNode)),
        ("precision", schema.PrecisionNode, field(default_factory=schema.PrecisionNode)),
        ("curriculum", schema.CurriculumNode, field(default_factory=schema.CurriculumNode)),
        # typed by conf/algo/<name>.yaml (its /<name>_schema), as simrl-train's `algo` is
        ("grpo", Any, field(default=MISSING)),
        ("ppo", Any, field(default=MISSING)),
        ("bench", bench_node, field(default_factory=bench_node)),
    ]
    return schema.make_node("BenchRoot", RunConfig, [*extra, *schema.compute_fields()])


ConfigStore.instance().store(name="bench_schema", node=_bench_schema())


def bench_settings(cfg: DictConfig) -> BenchConfig:
    """The validated `bench` node."""
    data = OmegaConf.to_container(cfg.bench, resolve=True)
    assert isinstance(data, dict)
    return BenchConfig(**data)


def algo_config(cfg: DictConfig, algo: str) -> DictConfig:
    """The `simrl-train`-shaped config of one side: `algo` = cfg[algo], the rest shared."""
    keep = [k for k in cfg if k not in ("grpo", "ppo", "bench", "hydra")]
    sub = OmegaConf.to_container(OmegaConf.masked_copy(cfg, keep), resolve=True)
    assert isinstance(sub, dict)
    sub["algo"] = OmegaConf.to_container(cfg[algo], resolve=True)
    return OmegaConf.create(sub)


def _iteration_steps(algo: str, algo_cfg: Any, max_episode_steps: int) -> int:
    if algo == "ppo":
        return int(algo_cfg.n_envs * algo_cfg.n_steps)
    if algo == "grpo":
        return grpo_iteration_steps(algo_cfg, max_episode_steps)
    return 1


def _max_episode_steps(env_cfg: Any) -> int:
    from simrl.sim import make_group_env

    env = make_group_env(env_cfg.id, num_groups=1, group_size=1, seed=0, **dict(env_cfg.options))
    try:
        return int(env.max_episode_steps or 1000)
    finally:
        env.close()


def _build_side(cfg: DictConfig, algo: str, num_threads: int | None = None) -> Any:
    """`build_configs` for one side; its errors name the side's key (`ppo.n_epochs`, not `algo.`)."""
    return build_configs(algo_config(cfg, algo), num_threads=num_threads, algo_key=algo)


def build_bench(cfg: DictConfig, num_threads: int | None = None) -> tuple[BenchConfig, dict, dict]:
    """Validate everything and return (bench settings, each side's `TrainSpec`, setup dict).

    Both sides share env, model, precision, device, seeds and env-step budget; each side's
    `eval_every` is set so both evaluate about `bench.eval_points` times per run at similar env
    steps (their iterations differ in size).
    """
    bench = bench_settings(cfg)
    built = {a: _build_side(cfg, a, num_threads) for a in bench.algos}
    first = next(iter(built.values()))
    seeds = QUICK_SEEDS if bench.quick else list(bench.seeds)
    horizon = _max_episode_steps(first.env)
    per_iter = {a: _iteration_steps(a, b.algo_cfg, horizon) for a, b in built.items()}
    budget = first.run.total_env_steps
    if bench.quick:
        budget = QUICK_GRPO_ITERATIONS * max(per_iter.values())
    out = {}
    for algo, b in built.items():
        eval_every = max(1, round(budget / (per_iter[algo] * bench.eval_points)))
        changes: dict[str, Any] = {"total_env_steps": budget, "eval_every": eval_every}
        if bench.quick:
            changes.update(eval_episodes=QUICK_EVAL_EPISODES, checkpoint_every=0, tensorboard=False)
        # config.yaml records every setting the run is given here
        config_dict = {**b.config_dict, **changes}
        out[algo] = replace(b, run=replace(b.run, **changes), config_dict=config_dict)
    setup = {
        "env_id": first.env.id,
        "model": cfg.model.get("name", "custom"),
        "precision_requested": first.compute.precision,
        "device": resolve_device(first.compute.device),
        "per_pass_batch": _equal_per_pass_batches(built) or None,
        "total_env_steps": budget,
        "seeds": seeds,
        "threshold": bench.threshold_for(first.env.id),
        "iteration_env_steps": per_iter,
        "quick": bench.quick,
        "command": " ".join([APP, *map(shlex.quote, sys.argv[1:])]),
    }
    if "ppo" in built:  # which PPO: the zoo's tuned entry or simrl's SB3 defaults
        from simrl.algos.ppo.trainer import ppo_settings_name

        setup["ppo_settings"] = ppo_settings_name(built["ppo"].algo_cfg, first.env.id)
    return replace(bench, seeds=seeds), out, setup


def _equal_per_pass_batches(built: dict[str, Any]) -> int:
    """GRPO's micro-batch for the comparison: with `grpo.micro_batch_size=0` (auto) and PPO on
    the other side, PPO's minibatch, so both learners hold the activations of equally many
    samples per forward/backward and the memory figures compare like with like (0: no change)."""
    grpo, ppo = built.get("grpo"), built.get("ppo")
    if grpo is None or ppo is None or grpo.algo_cfg.micro_batch_size:
        return 0
    return int(ppo.algo_cfg.batch_size)


def memory_specs(built: dict[str, Any], setup: dict[str, Any]) -> dict[str, Any]:
    """Per side, two iterations at equal per-pass batches (GRPO's micro-batch = PPO's
    minibatch), the second memory-metered (the first builds the process's one-time internals):
    the runs whose peak memory the comparison reports."""
    equal_pass = setup.get("per_pass_batch")
    out = {}
    for algo, spec in built.items():
        algo_cfg, config = spec.algo_cfg, dict(spec.config_dict or {})
        if algo == "grpo" and equal_pass:
            algo_cfg = replace(algo_cfg, micro_batch_size=equal_pass)
            config["algo"] = {**config["algo"], "micro_batch_size": equal_pass}
        changes = {
            "total_env_steps": 2 * int(setup["iteration_env_steps"][algo]), "eval_every": 0,
            "eval_every_steps": 0, "eval_episodes": 1, "checkpoint_every": 0,
            "tensorboard": False, "progress": False, "meters": True,
        }  # fmt: skip
        config.update(changes)  # config.yaml records the settings the pass ran with
        run = replace(spec.run, **changes)
        out[algo] = replace(spec, algo_cfg=algo_cfg, run=run, config_dict=config)
    return out


def check_bench(cfg: DictConfig) -> None:
    """Up-front check used by `run_app` for every point of the command line."""
    from simrl.cli.outdir import check_hydra_dirs

    check_hydra_dirs(cfg)
    if "hydra" in cfg:
        cfg = OmegaConf.masked_copy(cfg, [k for k in cfg if k != "hydra"])
    for algo in bench_settings(cfg).algos:
        _build_side(cfg, algo)


def bench_job(cfg: DictConfig) -> dict[str, Any]:
    """Hydra task: run the comparison into Hydra's output dir and write the report."""
    from hydra.core.hydra_config import HydraConfig

    from simrl.bench.compare import plan_jobs, run_jobs, write_results
    from simrl.cli.errors import one_line

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
    _print_summary(results, out_dir)
    return results


def _print_summary(results: dict[str, Any], out_dir: Path) -> None:
    from rich.console import Console
    from rich.table import Table

    from simrl.bench.report import LABELS, fmt, ratio_cell

    agg, rat = results["aggregate"], results["ratios"]
    table = Table(title="GRPO vs PPO", title_justify="left")
    for col in ("metric", *agg, "GRPO vs PPO"):  # cells: a ratio (0.41x) or a diff
        table.add_column(col)
    keys = (
        "params_trainable",
        "peak_learner_memory_bytes",
        "learner_flops_per_sample",
        "learner_flops_per_collected_sample",
        "update_time_s_mean",
        "env_steps_per_s",
        "final_return_mean",
        "steps_to_threshold",
    )
    for key in keys:
        table.add_row(LABELS[key], *(fmt(agg[a][key]["mean"]) for a in agg), ratio_cell(rat, key))
    console = Console()
    console.print(table)
    for g in results.get("goals", []):
        console.print(f"goal: {g['goal']}: {fmt(g['value'])} -> {g['met']}")
    console.print(f"report: {out_dir / 'report.md'}\nresults: {out_dir / 'results.json'}")


def main(argv: list[str] | None = None) -> None:
    """Entry point of `simrl-bench` (console script and `python -m simrl.cli.bench`)."""
    run_app(APP, "bench", bench_job, check=check_bench, argv=argv)


if __name__ == "__main__":
    main()
