"""Env-steps/s of the batched tasks, side by side in one run, random actions.

Compares Gymnasium SyncVectorEnv (`gymnasium.make(id)`), SB3 DummyVecEnv, simrl GroupVecEnv (1 and
2 threads) and bare `mujoco.batch.Batch.step` physics with no observation/reward work (the bound),
for Reacher-v5, Pusher-v5 and the suite's own simrl/Reach-v0, simrl/Push-v0, simrl/PickPlace-v0 at
64/256/1024 rows. The bound steps the task's model with its frame_skip from the task's reset state,
replaying the controls the task itself wrote for the same random actions (the arm tasks map
3-4 dim actions to 7 servo targets, so raw actions cannot be written to ctrl).
Measurements are interleaved: each round measures every method once, ratios are taken within a
round (so load drifts hit numerator and denominator alike) and the median over rounds is reported.
`--profile` adds a cProfile of GroupVecEnv.step (Pusher-v5, 256 rows, 2 threads).

    python scripts/bench_envs.py [--quick] [--envs ID ...] [--rows N ...] [--profile]
        [--out scripts/results/bench_envs.json]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path

import gymnasium as gym
import mujoco
import numpy as np
from stable_baselines3.common.vec_env import DummyVecEnv

from simrl.files import atomic_write_text
from simrl.sim import make_group_env

ENVS = ("Reacher-v5", "Pusher-v5", "simrl/Reach-v0", "simrl/Push-v0", "simrl/PickPlace-v0")
ROWS = (64, 256, 1024)
METHODS = ("sync_vector_env", "sb3_dummy_vec_env", "group_1t", "group_2t", "bare_1t", "bare_2t")
RATIOS = {  # name: (numerator, denominator)
    "group_2t/sync": ("group_2t", "sync_vector_env"),
    "group_2t/dummy": ("group_2t", "sb3_dummy_vec_env"),
    "group_1t/bare_1t": ("group_1t", "bare_1t"),
    "group_2t/bare_2t": ("group_2t", "bare_2t"),
}


def _timed(step: Callable[[int], None], n_rows: int, min_time: float) -> float:
    """Env-steps/s of `step(i)` called until `min_time` seconds have passed (after 2 warm-ups)."""
    step(0)
    step(1)
    calls, start = 0, time.perf_counter()
    while True:
        step(calls)
        calls += 1
        elapsed = time.perf_counter() - start
        if elapsed >= min_time:
            return calls * n_rows / elapsed


def _builders(env_id: str, n: int, actions: np.ndarray) -> dict[str, Callable[[], Callable]]:
    """Per method: a builder returning a `step(i)` closure over a freshly reset env."""
    k = len(actions)

    def sync() -> Callable[[int], None]:
        env = gym.vector.SyncVectorEnv([lambda: gym.make(env_id)] * n)
        env.reset(seed=0)
        return lambda i: env.step(actions[i % k])

    def dummy() -> Callable[[int], None]:
        env = DummyVecEnv([lambda: gym.make(env_id)] * n)
        env.seed(0)
        env.reset()
        return lambda i: env.step(actions[i % k])

    def group(threads: int) -> Callable[[], Callable[[int], None]]:
        def build() -> Callable[[int], None]:
            env = make_group_env(env_id, num_groups=n, seed=0, num_threads=threads)
            env.reset()
            return lambda i: env.step(actions[i % k])

        return build

    def bare(threads: int) -> Callable[[], Callable[[int], None]]:
        def build() -> Callable[[int], None]:
            env = make_group_env(env_id, num_groups=n, seed=0, num_threads=threads)
            batch, frame_skip = env.batch, env.task.frame_skip
            ctrl = batch.bind("ctrl")
            env.reset()
            controls = []  # the controls the task writes for each action set, replayed below
            for a in actions:
                env.step(a)
                controls.append(np.array(ctrl[:]))
            env.reset()

            def step(i: int) -> None:
                ctrl[:] = controls[i % k]
                batch.step(nstep=frame_skip)

            return step

        return build

    return {
        "sync_vector_env": sync,
        "sb3_dummy_vec_env": dummy,
        "group_1t": group(1),
        "group_2t": group(2),
        "bare_1t": bare(1),
        "bare_2t": bare(2),
    }


def run(envs: tuple[str, ...], rows: tuple[int, ...], repeats: int, min_time: float) -> dict:
    results: dict = {}
    for env_id in envs:
        space = gym.make(env_id).action_space
        for n in rows:
            rng = np.random.default_rng(0)
            actions = rng.uniform(space.low, space.high, size=(16, n, space.shape[0]))
            actions = actions.astype(np.float32)
            builders = _builders(env_id, n, actions)
            steps = {m: builders[m]() for m in METHODS}
            samples: dict[str, list[float]] = {m: [] for m in METHODS}
            for _ in range(repeats):  # interleaved, so drift hits every method alike
                for m in METHODS:
                    samples[m].append(_timed(steps[m], n, min_time))
            med = {m: statistics.median(v) for m, v in samples.items()}
            ratios = {
                name: statistics.median(a / b for a, b in zip(samples[x], samples[y], strict=True))
                for name, (x, y) in RATIOS.items()
            }
            results[f"{env_id}/{n}"] = {
                "env_id": env_id,
                "rows": n,
                "steps_per_s": med,
                "ratios": ratios,
                "samples": samples,
            }
            print(f"  measured {env_id} x {n}", file=sys.stderr, flush=True)
    return results


def table(results: dict) -> str:
    head = (
        f"{'env':<19}{'rows':>6} | {'sync':>8}{'dummy':>8}{'grp1t':>8}{'grp2t':>8}"
        f"{'bare1t':>8}{'bare2t':>8} | {'g2/sync':>8}{'g2/dummy':>9}{'g1/bare1':>9}{'g2/bare2':>9}"
    )
    lines = ["env-steps/s (median over rounds); ratios: median of per-round ratios", head]
    lines.insert(2, "-" * len(head))
    for r in results.values():
        s = r["steps_per_s"]
        vals = "".join(f"{s[m]:>8.0f}" for m in METHODS)
        q = r["ratios"]
        ratios = f"{q['group_2t/sync']:>8.2f}{q['group_2t/dummy']:>9.2f}"
        ratios += f"{q['group_1t/bare_1t']:>9.2f}{q['group_2t/bare_2t']:>9.2f}"
        lines.append(f"{r['env_id']:<19}{r['rows']:>6} | {vals} | {ratios}")
    return "\n".join(lines)


def profile_group_step(env_id: str = "Pusher-v5", n: int = 256, calls: int = 200) -> str:
    """cProfile of GroupVecEnv.step: how much of a step is physics (mujoco._batch.step)."""
    import cProfile
    import io
    import pstats

    env = make_group_env(env_id, num_groups=n, seed=0, num_threads=2)
    env.reset()
    space = env.single_action_space
    actions = np.random.default_rng(0).uniform(space.low, space.high, size=(16, n, 7))
    prof = cProfile.Profile()
    prof.enable()
    for i in range(calls):
        env.step(actions[i % 16])
    prof.disable()
    out = io.StringIO()
    pstats.Stats(prof, stream=out).sort_stats("tottime").print_stats(8)
    return out.getvalue()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="64 and 256 rows, 2 repeats, 0.2 s")
    parser.add_argument("--envs", nargs="+", default=list(ENVS), help=f"env ids, from {ENVS}")
    parser.add_argument("--rows", nargs="+", type=int, default=None, help=f"default {ROWS}")
    parser.add_argument("--out", type=Path, default=Path("scripts/results/bench_envs.json"))
    parser.add_argument("--repeats", type=int, default=5, help="rounds per configuration")
    parser.add_argument("--min-time", type=float, default=0.5, help="seconds per measurement")
    parser.add_argument("--profile", action="store_true", help="cProfile GroupVecEnv.step")
    args = parser.parse_args(argv)
    if args.repeats < 1 or args.min_time <= 0:
        raise SystemExit(
            f"--repeats must be >= 1 and --min-time > 0, got {args.repeats}, {args.min_time}"
        )
    bad = [e for e in args.envs if e not in ENVS]
    if bad:
        raise SystemExit(f"--envs: unknown env id(s) {bad}; choose from {list(ENVS)}")
    if args.rows is not None and any(n < 1 for n in args.rows):
        raise SystemExit(f"--rows must all be >= 1, got {args.rows}")
    rows, repeats, min_time = ROWS, args.repeats, args.min_time
    if args.quick:
        rows, repeats, min_time = (64, 256), 2, 0.2
    if args.rows is not None:
        rows = tuple(args.rows)
    envs = tuple(dict.fromkeys(args.envs))
    results = run(envs, rows, repeats, min_time)
    text = table(results)
    print(text)
    payload = {
        "command": " ".join([Path(sys.argv[0]).name, *(argv or sys.argv[1:])]),
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "machine": {
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
            "processor": platform.processor(),
        },
        "versions": {
            "mujoco": mujoco.__version__,
            "gymnasium": gym.__version__,
            "numpy": np.__version__,
        },
        "settings": {"envs": envs, "rows": rows, "repeats": repeats, "min_time_s": min_time},
        "results": results,
        "table": text,
    }
    if args.profile:
        payload["profile"] = profile_group_step()
        print(payload["profile"])
    args.out.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(args.out, json.dumps(payload, indent=2))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
