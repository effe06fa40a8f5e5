"""Success rates of the scripted controllers (`simrl.sim.tasks.scripted`) on the arm tasks.

Runs `scripted_policy(id)` on simrl/Reach-v0, simrl/Push-v0 and simrl/PickPlace-v0 for N seeded
episodes at once (one row per episode: `make_group_env(id, num_groups=N, group_size=1, seed=...,
autoreset_mode="disabled")`, stepped for the task's `max_episode_steps`), for Push and PickPlace
also with `domain_randomization=True`. Reports success at the final step (the number to quote),
success at any step, the mean final distance (`info["distance"]`, m), the mean return and the
episodes in which the simulation diverged (a diverged episode is re-seeded by the env and counted
as a failure). Prints a table and writes JSON atomically.

    python scripts/eval_scripted.py [--episodes 200] [--seed 0] [--envs ID ...]
        [--out scripts/results/eval_scripted.json]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import mujoco
import numpy as np

from simrl.files import atomic_write_text
from simrl.sim import make_group_env
from simrl.sim.tasks.scripted import POLICIES, scripted_policy

ENVS = tuple(POLICIES)  # simrl/Reach-v0, simrl/Push-v0, simrl/PickPlace-v0
DR_ENVS = ("simrl/Push-v0", "simrl/PickPlace-v0")  # tasks with the domain_randomization option


def evaluate(env_id: str, episodes: int, seed: int, domain_randomization: bool) -> dict:
    """Run `episodes` scripted episodes of `env_id` side by side; return the summary numbers."""
    options = {"domain_randomization": True} if domain_randomization else {}
    env = make_group_env(
        env_id,
        num_groups=episodes,
        group_size=1,
        seed=seed,
        autoreset_mode="disabled",
        **options,
    )
    policy = scripted_policy(env_id)
    start = time.perf_counter()
    obs, _ = env.reset(seed=seed)
    ret = np.zeros(env.num_envs)
    ever_success = np.zeros(env.num_envs, bool)
    diverged = np.zeros(env.num_envs, bool)
    for _ in range(env.max_episode_steps):
        obs, reward, _, truncated, info = env.step(policy(obs))
        ret += reward
        ever_success |= info["is_success"]
        diverged |= info["diverged"]
    wall = time.perf_counter() - start
    final_success = info["is_success"] & ~diverged
    distance = info.get("distance")
    env.close()
    return {
        "env_id": env_id,
        "domain_randomization": domain_randomization,
        "episodes": episodes,
        "seed": seed,
        "steps_per_episode": int(env.max_episode_steps),
        "all_truncated_at_end": bool(truncated.all()),
        "success_final": float(final_success.mean()),
        "success_any_step": float((ever_success & ~diverged).mean()),
        "final_distance_mean_m": None if distance is None else float(np.mean(distance)),
        "return_mean": float(ret.mean()),
        "diverged_episodes": int(diverged.sum()),
        "diverged_row_steps": int(env.diverged_count),
        "wall_s": wall,
    }


def table(results: list[dict]) -> str:
    head = (
        f"{'env':<19}{'DR':>4}{'episodes':>9} | {'success@end':>11}{'success@any':>12}"
        f"{'final d (m)':>12}{'return':>9}{'diverged':>9}"
    )
    lines = ["scripted controllers, seeded episodes (success: fraction of episodes)", head]
    lines.append("-" * len(head))
    for r in results:
        d = r["final_distance_mean_m"]
        lines.append(
            f"{r['env_id']:<19}{'yes' if r['domain_randomization'] else 'no':>4}"
            f"{r['episodes']:>9} | {r['success_final']:>11.3f}{r['success_any_step']:>12.3f}"
            f"{'-' if d is None else f'{d:.4f}':>12}{r['return_mean']:>9.2f}"
            f"{r['diverged_episodes']:>9}"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--episodes", type=int, default=200, help="seeded episodes per setting")
    parser.add_argument("--seed", type=int, default=0, help="reset seed (episodes are rows)")
    parser.add_argument("--envs", nargs="+", default=list(ENVS), help=f"from {list(ENVS)}")
    parser.add_argument("--out", type=Path, default=Path("scripts/results/eval_scripted.json"))
    args = parser.parse_args(argv)
    if args.episodes < 1:
        raise SystemExit(f"--episodes must be >= 1, got {args.episodes}")
    if args.seed < 0:
        raise SystemExit(f"--seed must be >= 0, got {args.seed}")
    bad = [e for e in args.envs if e not in ENVS]
    if bad:
        raise SystemExit(f"--envs: unknown env id(s) {bad}; choose from {list(ENVS)}")
    results = []
    for env_id in dict.fromkeys(args.envs):
        for dr in (False, True) if env_id in DR_ENVS else (False,):
            results.append(evaluate(env_id, args.episodes, args.seed, dr))
            print(f"  evaluated {env_id} dr={dr}", file=sys.stderr, flush=True)
    text = table(results)
    print(text)
    payload = {
        "command": " ".join([Path(sys.argv[0]).name, *(argv or sys.argv[1:])]),
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "machine": {"platform": platform.platform(), "cpus": os.cpu_count()},
        "versions": {"mujoco": mujoco.__version__, "numpy": np.__version__},
        "results": results,
        "table": text,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(args.out, json.dumps(payload, indent=2))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
