"""SB3 PPO learning curves (success rate) on the suite's arm tasks, batched through SB3VecEnv.

Standard SB3 PPO settings (MlpPolicy 2x64 tanh, lr 3e-4, 2048 steps per rollout, batch 64,
10 epochs, gamma 0.99, GAE 0.95, clip 0.2), 16 rows of the batched env, no observation or reward
normalisation (--normalize: VecNormalize, as rl-zoo does for MuJoCo tasks). Every `--eval-every`
env steps the deterministic policy is evaluated on a fresh batch of `--eval-episodes` seeded
episodes (success = `is_success` at the last step).

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
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from stable_baselines3 import PPO
from stable_baselines3.common.callbacks import BaseCallback
from stable_baselines3.common.vec_env import VecNormalize

from simrl.sim import make_group_env
from simrl.sim.sb3 import SB3VecEnv

TASKS = {"reach": "simrl/Reach-v0", "push": "simrl/Push-v0", "pick_place": "simrl/PickPlace-v0"}


def evaluate(model: PPO, env_id: str, episodes: int, seed: int) -> tuple[float, float]:
    """(success rate at the final step, mean return) of the deterministic policy."""
    env = make_group_env(env_id, num_groups=episodes, seed=seed, autoreset_mode="disabled")
    obs, _ = env.reset()
    norm = model.get_vec_normalize_env()
    ret = np.zeros(episodes)
    for _ in range(env.max_episode_steps):
        action, _ = model.predict(
            obs if norm is None else norm.normalize_obs(obs), deterministic=True
        )
        obs, reward, _, _, info = env.step(action)
        ret += reward
    env.close()
    return float(info["is_success"].mean()), float(ret.mean())


class Curve(BaseCallback):
    """Records (env steps, rollout success, deterministic eval success, eval return, wall s)."""

    def __init__(self, env_id: str, every: int, episodes: int, seed: int) -> None:
        super().__init__()
        self.env_id, self.every, self.episodes, self.seed = env_id, every, episodes, seed
        self.points: list[dict[str, float]] = []
        self.next_eval = 0
        self.t0 = time.perf_counter()

    def _on_step(self) -> bool:
        return True

    def _on_rollout_end(self) -> None:
        if self.num_timesteps < self.next_eval:
            return
        self.next_eval = self.num_timesteps + self.every
        self.record()

    def record(self) -> None:
        buf = self.model.ep_success_buffer
        train = float(np.mean(buf)) if len(buf) else float("nan")
        success, ret = evaluate(self.model, self.env_id, self.episodes, self.seed + 10_000)
        point = {
            "env_steps": int(self.num_timesteps),
            "rollout_success": train,
            "eval_success": success,
            "eval_return": ret,
            "wall_s": time.perf_counter() - self.t0,
        }
        self.points.append(point)
        print(
            f"  {self.env_id} {point['env_steps']:>7d} steps  eval success {success:5.2f}  "
            f"rollout success {train:5.2f}  eval return {ret:8.2f}  {point['wall_s']:6.0f} s",
            flush=True,
        )


def run(
    task: str, steps: int, n_envs: int, every: int, episodes: int, seed: int, normalize: bool
) -> dict:
    env_id = TASKS[task]
    torch.manual_seed(seed)
    venv = SB3VecEnv(
        make_group_env(env_id, num_groups=n_envs, seed=seed, autoreset_mode="same_step")
    )
    if normalize:
        venv = VecNormalize(venv, gamma=0.99)
    model = PPO("MlpPolicy", venv, n_steps=2048 // n_envs, batch_size=64, seed=seed, device="cpu")
    curve = Curve(env_id, every, episodes, seed)
    t0 = time.perf_counter()
    model.learn(total_timesteps=steps, callback=curve)
    if curve.points[-1]["env_steps"] != model.num_timesteps:
        curve.record()
    wall = time.perf_counter() - t0
    venv.close()
    return {
        "env_id": env_id,
        "env_steps": int(model.num_timesteps),
        "wall_s": wall,
        "final_eval_success": curve.points[-1]["eval_success"],
        "best_eval_success": max(p["eval_success"] for p in curve.points),
        "curve": curve.points,
        "settings": {
            "n_envs": n_envs,
            "n_steps": 2048 // n_envs,
            "batch_size": 64,
            "seed": seed,
            "eval_episodes": episodes,
            "vec_normalize": normalize,
            "policy": "MlpPolicy (SB3 defaults otherwise)",
        },
    }


def write_json(path: Path, data: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    with os.fdopen(fd, "w") as f:
        json.dump(data, f, indent=2)
    os.replace(tmp, path)


def plot(results: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 3.6))
    for name, res in results.items():
        if name.startswith("_"):
            continue
        xs = [p["env_steps"] for p in res["curve"]]
        ax.plot(xs, [p["eval_success"] for p in res["curve"]], marker="o", ms=3, label=name)
    ax.set_xlabel("env steps")
    ax.set_ylabel("success rate (deterministic eval)")
    ax.set_ylim(-0.02, 1.02)
    ax.grid(alpha=0.3)
    ax.legend()
    ax.set_title("SB3 PPO on simrl arm tasks")
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def main() -> None:
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
    args = parser.parse_args()
    if args.steps < 1 or args.n_envs < 1 or 2048 % args.n_envs:
        parser.error(
            f"--steps must be >= 1 and --n-envs divide 2048, got {args.steps}, {args.n_envs}"
        )
    torch.set_num_threads(1)
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
        )
        results.setdefault("_meta", {})[task] = {
            "command": " ".join(sys.argv),
            "date": time.strftime("%Y-%m-%d %H:%M"),
            "machine": f"{platform.processor() or platform.machine()}, {os.cpu_count()} cpus",
        }
        write_json(args.out, results)
    print(f"\n{'task':<12} {'env steps':>10} {'wall s':>8} {'final success':>14} {'best':>6}")
    for task, res in results.items():
        if task.startswith("_"):
            continue
        print(
            f"{task:<12} {res['env_steps']:>10d} {res['wall_s']:>8.0f} "
            f"{res['final_eval_success']:>14.2f} {res['best_eval_success']:>6.2f}"
        )
    plot(results, args.out.with_suffix(".png"))
    print(f"wrote {args.out} and {args.out.with_suffix('.png')}")


if __name__ == "__main__":
    main()
