"""SB3 PPO learning curves (success rate) on the suite's arm tasks, through the library's run loop.

Standard SB3 PPO settings (a 2x64 tanh network each for policy and value, as SB3's MlpPolicy;
lr 3e-4, 2048 steps per rollout over `--n-envs` rows of the batched env, batch 64, 10 epochs, gamma
0.99, GAE 0.95, clip 0.2), no observation or reward normalisation (--normalize: VecNormalize, as
rl-zoo does for MuJoCo tasks). Each run is a `simrl.runs.run_training` run of the `ppo` algorithm
(its run directory under --runs-dir); about every `--eval-every` env steps the run loop evaluates the
deterministic policy (`simrl.runs.evaluate.evaluate_policy`) on `--eval-episodes` seeded episodes
(success = `is_success` at the last step).

    nice -n 10 python scripts/bench_tasks_ppo.py --tasks reach --steps 200000
    nice -n 10 python scripts/bench_tasks_ppo.py --tasks push pick_place --steps 100000

Writes a table, JSON (--out, default scripts/results/tasks_ppo.json; merged with the tasks
already in it) and a plot of the curves next to it (.png).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path
from typing import Any

from simrl.algos.ppo import PPOConfig
from simrl.files import atomic_write_text
from simrl.nn import core_preset
from simrl.nn.compute import ComputeConfig
from simrl.results import fmt, load_run
from simrl.results.plots import Panel, Series, plot_panels
from simrl.runs import run_training
from simrl.runs.config import RunConfig
from simrl.runs.summary import json_safe
from simrl.sim.config import EnvConfig

TASKS = {"reach": "simrl/Reach-v0", "push": "simrl/Push-v0", "pick_place": "simrl/PickPlace-v0"}
ROLLOUT = 2048  # samples per PPO rollout (SB3's default n_steps for one env)


def curve_of(run_dir: Path) -> list[dict[str, Any]]:
    """The run's evaluations: env steps, rollout (training) success, deterministic eval success and
    return, run wall-clock."""
    run = load_run(run_dir)
    assert run is not None, f"no summary.json in {run_dir}"
    rollout = {row.get("env_steps"): row.get("success_rate") for row in run.metrics}
    return [
        {
            "env_steps": int(p["env_steps"]),
            "rollout_success": rollout.get(p["env_steps"]),
            "eval_success": p["success_rate"],
            "eval_return": p["return_mean"],
            "wall_s": p["wall_s"],
        }
        for p in run.curve
    ]


def run(
    task: str,
    steps: int,
    n_envs: int,
    every: int,
    episodes: int,
    seed: int,
    normalize: bool,
    run_dir: Path,
) -> dict:
    """Train PPO on one task with the library's run loop; return its curve and settings."""
    env_id = TASKS[task]
    n_steps = ROLLOUT // n_envs
    algo = PPOConfig(
        n_envs=n_envs,
        n_steps=n_steps,
        batch_size=64,
        normalize_obs=normalize,
        normalize_reward=normalize,
    )
    cfg = RunConfig(
        seed=seed,
        total_env_steps=steps,
        eval_every=max(1, round(every / ROLLOUT)),
        eval_episodes=episodes,
        checkpoint_every=0,
        tensorboard=False,
    )
    summary = run_training(
        "ppo",
        EnvConfig(id=env_id),
        core_preset("small"),
        algo,
        cfg,
        run_dir,
        compute=ComputeConfig(device="cpu", num_threads=1),
    )
    curve = curve_of(run_dir)
    successes = [p["eval_success"] for p in curve if p["eval_success"] is not None]
    return {
        "env_id": env_id,
        "status": summary.get("status"),
        "env_steps": int(summary.get("env_steps") or 0),
        "wall_s": summary.get("wall_s"),
        "final_eval_success": summary.get("success_rate"),
        "best_eval_success": max(successes) if successes else None,
        "curve": curve,
        "settings": {
            "n_envs": n_envs,
            "n_steps": n_steps,
            "batch_size": 64,
            "seed": seed,
            "eval_episodes": episodes,
            "eval_every_iterations": cfg.eval_every,
            "vec_normalize": normalize,
            "policy": "simrl PPO: SB3 PPO with a small (2x64 tanh) core each for policy and value",
        },
        "run_dir": str(run_dir),
    }


def plot(results: dict, path: Path) -> None:
    """Deterministic eval success vs env steps, one line per task."""
    series = [
        Series(name, [[{"env_steps": p["env_steps"], "success_rate": p["eval_success"]}
                       for p in res["curve"]]], marker="o")
        for name, res in results.items()
        if not name.startswith("_")
    ]  # fmt: skip
    panel = Panel(
        series,
        y="success_rate",
        ylabel="success rate (deterministic eval)",
        title="SB3 PPO on simrl arm tasks",
        ylim=(-0.02, 1.02),
    )
    plot_panels(path, [[panel]], panel_size=(6, 3.6))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", nargs="+", default=list(TASKS), choices=list(TASKS))
    parser.add_argument("--steps", type=int, default=200_000, help="env steps per task")
    parser.add_argument("--n-envs", type=int, default=16)
    parser.add_argument("--eval-every", type=int, default=20_000)
    parser.add_argument("--eval-episodes", type=int, default=100)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--normalize",
        action="store_true",
        help="wrap in VecNormalize (obs and reward, rl-zoo style)",
    )
    parser.add_argument("--out", type=Path, default=Path("scripts/results/tasks_ppo.json"))
    parser.add_argument(
        "--runs-dir",
        type=Path,
        default=None,
        help="where the run directories go (default outputs/tasks_ppo/<date-time>)",
    )
    args = parser.parse_args(argv)
    if args.steps < 1 or args.n_envs < 1 or ROLLOUT % args.n_envs:
        parser.error(
            f"--steps must be >= 1 and --n-envs divide {ROLLOUT}, got {args.steps}, {args.n_envs}"
        )
    runs_dir = args.runs_dir or Path("outputs") / "tasks_ppo" / time.strftime("%Y%m%d-%H%M%S")
    results = json.loads(args.out.read_text()) if args.out.exists() else {}
    for task in args.tasks:
        print(f"PPO on {TASKS[task]} for {args.steps} env steps", flush=True)
        results[task] = run(
            task,
            args.steps,
            args.n_envs,
            args.eval_every,
            args.eval_episodes,
            args.seed,
            args.normalize,
            runs_dir / f"{task}_seed{args.seed}",
        )
        results.setdefault("_meta", {})[task] = {
            "command": " ".join(sys.argv if argv is None else ["bench_tasks_ppo.py", *argv]),
            "date": time.strftime("%Y-%m-%d %H:%M"),
            "machine": f"{platform.processor() or platform.machine()}, {os.cpu_count()} cpus",
        }
        atomic_write_text(args.out, json.dumps(json_safe(results), indent=2))
    print(f"\n{'task':<12} {'env steps':>10} {'wall s':>8} {'final success':>14} {'best':>6}")
    for task, res in results.items():
        if task.startswith("_"):
            continue
        print(
            f"{task:<12} {fmt(res['env_steps']):>10} {fmt(res['wall_s'], 3):>8} "
            f"{fmt(res['final_eval_success'], 2):>14} {fmt(res['best_eval_success'], 2):>6}"
        )
    plot(results, args.out.with_suffix(".png"))
    print(f"wrote {args.out} and {args.out.with_suffix('.png')}")


if __name__ == "__main__":
    main()
