"""Per-step overhead of the generic path: GymGroupVecEnv vs a plain loop over the same envs.

For each env id, one GymGroupVecEnv of `--rows` rows (autoreset disabled, so neither side resets)
is stepped `--steps` times with fixed random actions, and so is a plain Python loop calling
``env.step(action)`` on the very same unwrapped env objects with the same actions. Before each
timed side the whole env is restored from one `state_dict()`, so both sides simulate the identical
(bit-exact) trajectories and differ only in the per-step Python around ``env.step``. Times are
CPU time of this process (`time.process_time`), so waiting for a busy core is not counted. A third
timing steps the backend alone (`_b_step`: the row loop, observation flattening, info and
divergence checks, without GroupEnv's shared bookkeeping), to split the overhead. The sides
alternate (`--repeats` rounds) so a busy machine slows them alike; reported are median
env-steps/s and the median per-round ratio plain time / generic time (overhead = 1 - ratio).

    python scripts/bench_generic.py                       # Ant-v5 and the tests' GoalPoint env
    python scripts/bench_generic.py --envs HalfCheetah-v5 --rows 32 --steps 500

Writes scripts/results/bench_generic.json.
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

import gymnasium as gym
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
GOAL_POINT = "testenvs.goal_point:simrl_test/GoalPoint-v0"


def _actions(space: gym.spaces.Box, rows: int, steps: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return rng.uniform(space.low, space.high, size=(steps, rows, space.shape[0]))


def _time_generic(env, actions: np.ndarray) -> float:
    t0 = time.process_time()
    for a in actions:
        env.step(a)
    return time.process_time() - t0


def _time_plain(envs: list, actions: np.ndarray) -> float:
    t0 = time.process_time()
    for a in actions:
        for i, env in enumerate(envs):
            env.step(a[i])
    return time.process_time() - t0


def _time_backend(env, actions: np.ndarray) -> float:
    t0 = time.process_time()
    for a in actions:
        env._b_step(a)
    return time.process_time() - t0


def bench(env_id: str, rows: int, steps: int, repeats: int, seed: int) -> dict:
    """Alternating timings of the three sides on `env_id` from one saved state; medians, ratios."""
    from simrl.sim import make_group_env

    env = make_group_env(env_id, num_groups=rows, seed=seed, autoreset_mode="disabled")
    env.reset()
    actions = _actions(env.single_action_space, rows, steps, seed)
    plain = env.envs  # the very same unwrapped env objects
    start = env.state_dict()
    sides = {
        "generic": lambda acts: _time_generic(env, acts),
        "backend_only": lambda acts: _time_backend(env, acts),
        "plain": lambda acts: _time_plain(plain, acts),
    }
    for run in sides.values():  # warm up caches and lazy allocations
        env.load_state_dict(start)
        run(actions[:10])
    times: dict[str, list[float]] = {name: [] for name in sides}
    for _ in range(repeats):
        for name, run in sides.items():
            env.load_state_dict(start)
            times[name].append(run(actions))
    env.close()
    n = rows * steps
    ratios = [p / g for g, p in zip(times["generic"], times["plain"], strict=True)]
    backend = [p / b for b, p in zip(times["backend_only"], times["plain"], strict=True)]
    return {
        "env_id": env_id,
        "rows": rows,
        "steps": steps,
        "repeats": repeats,
        "steps_per_s": {k: float(np.median([n / t for t in v])) for k, v in times.items()},
        "ratio_generic_to_plain": float(np.median(ratios)),
        "overhead_generic": float(1.0 - np.median(ratios)),
        "ratio_backend_only_to_plain": float(np.median(backend)),
        "ratios_per_round": [round(r, 4) for r in ratios],
        "us_per_row_step": {k: float(np.median(v)) / n * 1e6 for k, v in times.items()},
    }


def main(argv: list[str] | None = None) -> dict:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--envs", nargs="+", default=["Ant-v5", GOAL_POINT])
    p.add_argument("--rows", type=int, default=32)
    p.add_argument("--steps", type=int, default=500)
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", default=str(ROOT / "scripts" / "results" / "bench_generic.json"))
    args = p.parse_args(argv)
    out_path = Path(args.out).resolve()
    sys.path.insert(0, str(ROOT / "tests"))  # the tests' GoalPoint env (testenvs package)
    os.chdir(tempfile.mkdtemp(prefix="bench_generic_"))  # MuJoCo logs warnings to the cwd
    from simrl.files import atomic_write_text

    load = [round(x, 2) for x in os.getloadavg()]
    started = time.strftime("%Y-%m-%d %H:%M", time.gmtime())
    results = []
    for env_id in args.envs:
        r = bench(env_id, args.rows, args.steps, args.repeats, args.seed)
        results.append(r)
        us = r["us_per_row_step"]
        print(
            f"{env_id}: generic {r['steps_per_s']['generic']:.0f} steps/s, plain loop "
            f"{r['steps_per_s']['plain']:.0f}; generic/plain {r['ratio_generic_to_plain']:.3f} "
            f"(overhead {r['overhead_generic']:+.1%}); per row-step: plain {us['plain']:.1f} us, "
            f"backend {us['backend_only']:.1f} us, generic {us['generic']:.1f} us"
        )
    out = {
        "command": "python scripts/bench_generic.py " + " ".join(argv or sys.argv[1:]),
        "machine": {
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
            "load_average_at_start": load,
        },
        "utc": started,
        "timer": "time.process_time (CPU time of this process)",
        "results": results,
    }
    atomic_write_text(out_path, json.dumps(out, indent=2) + "\n")
    print(f"wrote {out_path}")
    return out


if __name__ == "__main__":
    main()
