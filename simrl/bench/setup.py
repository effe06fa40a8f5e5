"""A GRPO-vs-PPO comparison planned from each side's checked `TrainSpec`: one budget and
evaluation cadence for both, the equal per-pass batch of the memory pass, and the setup that
results.json records. Knows nothing of Hydra (`simrl-bench` builds the specs)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from simrl.bench.config import QUICK_GRPO_ITERATIONS, QUICK_SEEDS, BenchConfig, grpo_iteration_steps
from simrl.nn.device import resolve_device

QUICK_EVAL_EPISODES = 8


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


def plan_bench(
    bench: BenchConfig, built: dict[str, Any], model: str, command: str
) -> tuple[BenchConfig, dict[str, Any], dict[str, Any]]:
    """(bench settings with the seeds to run, each side's `TrainSpec` for the comparison, the
    setup dict of results.json) from each side's checked spec (`built`).

    Both sides share env, model, precision, device, seeds and env-step budget. Where the config
    sets `eval_every_steps` (as the locomotion presets do), both sides already evaluate at the same
    env steps and keep it, so runs made with `simrl-train` are reused as they are; otherwise each
    side's `eval_every` is set so both evaluate about `bench.eval_points` times per run at similar
    env steps (their iterations differ in size).
    """
    first = next(iter(built.values()))
    seeds = QUICK_SEEDS if bench.quick else list(bench.seeds)
    horizon = _max_episode_steps(first.env)
    per_iter = {a: _iteration_steps(a, b.algo_cfg, horizon) for a, b in built.items()}
    budget = first.run.total_env_steps
    if bench.quick:
        budget = QUICK_GRPO_ITERATIONS * max(per_iter.values())
    out = {}
    for algo, b in built.items():
        changes: dict[str, Any] = {"total_env_steps": budget}
        if not b.run.eval_every_steps or bench.quick:
            eval_every = max(1, round(budget / (per_iter[algo] * bench.eval_points)))
            changes.update(eval_every=eval_every, eval_every_steps=0)
        if bench.quick:
            changes.update(eval_episodes=QUICK_EVAL_EPISODES, checkpoint_every=0, tensorboard=False)
        # config.yaml records every setting the run is given here
        config_dict = {**b.config_dict, **changes}
        out[algo] = replace(b, run=replace(b.run, **changes), config_dict=config_dict)
    setup = {
        "env_id": first.env.id,
        "model": model,
        "precision_requested": first.compute.precision,
        "device": resolve_device(first.compute.device),
        "per_pass_batch": _equal_per_pass_batches(built) or None,
        "total_env_steps": budget,
        "seeds": seeds,
        "threshold": bench.threshold_for(first.env.id),
        "iteration_env_steps": per_iter,
        "quick": bench.quick,
        "command": command,
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
