"""GRPO benchmark: Reacher-v5 / Pusher-v5 learning curves (3 seeds) and an estimator comparison.

Targets (issue 3): Reacher-v5 mean deterministic return >= -4.5 within 1M env steps, Pusher-v5
>= -30 within 2M. Every run uses the default GRPOConfig (plus the per-env overrides printed in the
JSON), is evaluated deterministically on `--eval-episodes` fixed start states every few
iterations, and records curves against env steps and wall-clock. Writes JSON + PNG into --out.

    nice -n 10 python scripts/bench_grpo.py                       # full budget
    nice -n 10 python scripts/bench_grpo.py --reacher-steps 300000 --pusher-steps 500000 \
        --compare-steps 200000 --seeds 0 1 2
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from simrl.algos.base import RunConfig
from simrl.algos.grpo import GRPOConfig, make_trainer
from simrl.nn import core_preset
from simrl.sim import make_group_env
from simrl.sim.config import EnvConfig

TARGETS = {"Reacher-v5": -4.5, "Pusher-v5": -30.0}
ENV_OVERRIDES: dict[str, dict] = {"Reacher-v5": {}, "Pusher-v5": {}}


def evaluate(trainer, env_id: str, episodes: int, seed: int) -> float:
    """Mean deterministic return over `episodes` fixed start states (one row each)."""
    env = make_group_env(
        env_id, num_groups=episodes, group_size=1, seed=seed, autoreset_mode="disabled"
    )
    try:
        obs, _ = env.reset(seed=seed)
        total = np.zeros(episodes)
        done = np.zeros(episodes, dtype=bool)
        while not done.all():
            obs, reward, term, trunc, _ = env.step(trainer.act(obs, deterministic=True))
            total += np.where(done, 0.0, reward)
            done |= term | trunc
    finally:
        env.close()
    return float(total.mean())


def run_one(
    env_id: str, seed: int, steps: int, overrides: dict, eval_every: int, episodes: int
) -> dict:
    """Train one GRPO run; return its curve (env steps, wall-clock, eval and train returns)."""
    cfg = GRPOConfig(**{**ENV_OVERRIDES.get(env_id, {}), **overrides})
    run = RunConfig(seed=seed, total_env_steps=steps, num_threads=1)
    trainer = make_trainer(EnvConfig(id=env_id), core_preset("small"), cfg, run)
    eval_seed = 10_000 + seed
    curve = {
        "env_steps": [0],
        "wall_s": [0.0],
        "eval_return": [evaluate(trainer, env_id, episodes, eval_seed)],
        "train_return": [float("nan")],
    }
    t0 = time.perf_counter()
    train_time = 0.0
    metrics: dict = {}
    while trainer.env_steps < steps:
        t_it = time.perf_counter()
        metrics = trainer.iterate()
        train_time += time.perf_counter() - t_it
        if metrics.get("nonfinite_consecutive", 0) >= 3:
            print(f"  {env_id} seed {seed}: 3 non-finite updates in a row, stopping", flush=True)
            break
        if trainer.iteration % eval_every == 0 or trainer.env_steps >= steps:
            curve["env_steps"].append(trainer.env_steps)
            curve["wall_s"].append(train_time)
            curve["eval_return"].append(evaluate(trainer, env_id, episodes, eval_seed))
            curve["train_return"].append(metrics["return_mean"])
            print(
                f"  {env_id} {cfg.advantage} seed {seed}: {trainer.env_steps:>9d} steps "
                f"{train_time:7.1f}s eval {curve['eval_return'][-1]:8.2f} "
                f"train {metrics['return_mean']:8.2f}",
                flush=True,
            )
    return {
        "env_id": env_id,
        "seed": seed,
        "config": cfg.to_dict(),
        "env_steps": trainer.env_steps,
        "train_wall_s": train_time,
        "total_wall_s": time.perf_counter() - t0,
        "final_eval_return": curve["eval_return"][-1],
        "best_eval_return": max(curve["eval_return"]),
        "curve": curve,
        "learner_stats": trainer.learner_stats(),
    }


def parse_fields(items: list[str], defaults: GRPOConfig) -> dict:
    """["lr=1e-3", "drop_zero_var=true"] -> typed GRPOConfig overrides."""
    out = {}
    for item in items:
        key, _, value = item.partition("=")
        if not hasattr(defaults, key):
            raise ValueError(f"unknown GRPOConfig field {key!r}")
        typ = type(getattr(defaults, key))
        out[key] = (value.lower() == "true") if typ is bool else typ(value)
    return out


def parse_spec(spec: str, defaults: GRPOConfig) -> tuple[str, dict]:
    """ "vine:vine_every=25,vine_samples=2" -> ("vine", {"vine_every": 25, "vine_samples": 2})."""
    kind, _, rest = spec.partition(":")
    return kind, parse_fields([x for x in rest.split(",") if x], defaults)


def summarise(runs: list[dict], target: float | None) -> dict:
    finals = np.array([r["final_eval_return"] for r in runs])
    out = {
        "final_mean": float(finals.mean()),
        "final_std": float(finals.std()),
        "finals": finals.tolist(),
        "env_steps": int(np.mean([r["env_steps"] for r in runs])),
        "train_wall_s_mean": float(np.mean([r["train_wall_s"] for r in runs])),
    }
    if target is not None:
        out.update(
            target=target, met=bool(finals.mean() >= target), gap=float(target - finals.mean())
        )
    return out


def atomic_write(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    with os.fdopen(fd, "w") as f:
        f.write(text)
    os.chmod(tmp, 0o644)  # mkstemp makes it private; results are for everyone
    os.replace(tmp, path)


def plot(results: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import FuncFormatter

    steps_fmt = FuncFormatter(lambda x, _: f"{x / 1e6:g}M" if x >= 1e6 else f"{x / 1e3:g}k")

    panels = [(env_id, runs) for env_id, runs in results["main"].items()]
    if results["compare"]:
        panels.append(("estimators", results["compare"]))
    fig, axes = plt.subplots(2, len(panels), figsize=(5 * len(panels), 7), squeeze=False)
    for col, (name, runs) in enumerate(panels):
        groups: dict[str, list[dict]] = {}
        for r in runs:
            key = r.get("label", r["config"]["advantage"]) if name == "estimators" else r["env_id"]
            groups.setdefault(key, []).append(r)
        for i, (key, rs) in enumerate(groups.items()):
            color = f"C{i}"
            for r in rs:
                c = r["curve"]
                axes[0, col].plot(c["env_steps"], c["eval_return"], color=color, alpha=0.35)
                axes[1, col].plot(c["wall_s"], c["eval_return"], color=color, alpha=0.35)
            n = min(len(r["curve"]["env_steps"]) for r in rs)
            mean = np.mean([r["curve"]["eval_return"][:n] for r in rs], axis=0)
            axes[0, col].plot(rs[0]["curve"]["env_steps"][:n], mean, color=color, lw=2, label=key)
        env_id = runs[0]["env_id"]
        for row in range(2):
            if env_id in TARGETS:
                axes[row, col].axhline(TARGETS[env_id], color="k", ls="--", lw=1, label="target")
            axes[row, col].set_ylabel("deterministic return")
            axes[row, col].grid(alpha=0.3)
        axes[0, col].set_title(f"GRPO {name}" + (f" ({env_id})" if name == "estimators" else ""))
        axes[0, col].set_xlabel("env steps")
        axes[0, col].xaxis.set_major_formatter(steps_fmt)
        axes[1, col].set_xlabel("learner wall-clock (s, shared 2-core CPU)")
        axes[0, col].legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument(
        "--envs",
        nargs="*",
        default=["Reacher-v5", "Pusher-v5"],
        choices=sorted(TARGETS),
        help="envs of the main (3-seed) runs; none = only the estimator comparison",
    )
    p.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    p.add_argument("--reacher-steps", type=int, default=1_000_000)
    p.add_argument("--pusher-steps", type=int, default=2_000_000)
    p.add_argument("--compare-env", default="Reacher-v5", choices=sorted(TARGETS))
    p.add_argument("--compare-steps", type=int, default=300_000, help="0 skips the comparison")
    p.add_argument("--compare-seeds", nargs="+", type=int, default=[0])
    p.add_argument(
        "--estimators",
        nargs="+",
        default=["outcome", "process", "rtg", "rloo", "vine", "vine:vine_every=25,vine_samples=2"],
        help="advantage[:field=value,...] per comparison run",
    )
    p.add_argument("--eval-every", type=int, default=4, help="iterations between evaluations")
    p.add_argument("--eval-episodes", type=int, default=32)
    p.add_argument(
        "--set",
        nargs="*",
        default=[],
        metavar="FIELD=VALUE",
        help="GRPOConfig overrides for every run, e.g. lr=1e-3",
    )
    p.add_argument("--out", type=Path, default=Path(__file__).parent / "results")
    p.add_argument("--name", default="grpo_bench", help="file stem of the JSON and PNG")
    args = p.parse_args(argv)
    torch.set_num_threads(1)
    defaults = GRPOConfig()
    try:
        overrides = parse_fields(args.set, defaults)
        GRPOConfig(**overrides)  # validate before any work
        for spec in args.estimators:
            kind, extra = parse_spec(spec, defaults)
            GRPOConfig(**{**overrides, **extra, "advantage": kind})
    except ValueError as exc:
        p.error(str(exc))
    args.out.mkdir(parents=True, exist_ok=True)
    budgets = {"Reacher-v5": args.reacher_steps, "Pusher-v5": args.pusher_steps}
    results: dict = {
        "date": time.strftime("%Y-%m-%d"),
        "machine": f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, shared",
        "command": " ".join(
            [Path(sys.argv[0]).name, *(argv if argv is not None else sys.argv[1:])]
        ),
        "defaults": dataclasses.asdict(defaults),
        "env_overrides": ENV_OVERRIDES,
        "overrides": overrides,
        "main": {},
        "compare": [],
        "summary": {},
    }
    json_path = args.out / f"{args.name}.json"
    for env_id in args.envs:
        runs = []
        for seed in args.seeds:
            runs.append(
                run_one(
                    env_id, seed, budgets[env_id], overrides, args.eval_every, args.eval_episodes
                )
            )
            results["main"][env_id] = runs
            atomic_write(json_path, json.dumps(results, indent=1))
        results["summary"][env_id] = summarise(runs, TARGETS[env_id])
    if args.compare_steps > 0:
        for spec in args.estimators:
            kind, extra = parse_spec(spec, defaults)
            kind_runs = []
            for seed in args.compare_seeds:
                r = run_one(
                    args.compare_env,
                    seed,
                    args.compare_steps,
                    {**overrides, **extra, "advantage": kind},
                    args.eval_every,
                    args.eval_episodes,
                )
                r["label"] = spec
                kind_runs.append(r)
                results["compare"].append(r)
                atomic_write(json_path, json.dumps(results, indent=1))
            results["summary"][f"compare/{spec}"] = summarise(kind_runs, None)
    atomic_write(json_path, json.dumps(results, indent=1))
    png = args.out / f"{args.name}.png"
    plot(results, png)
    print(
        f"\n{'run':<22}{'steps':>10}{'final mean':>12}{'std':>8}{'target':>9}{'gap':>8}{'train s':>9}"
    )
    for name, s in results["summary"].items():
        tgt = f"{s['target']:.1f}" if "target" in s else "-"
        gap = f"{s['gap']:+.2f}" if "gap" in s else "-"
        print(
            f"{name:<22}{s['env_steps']:>10d}{s['final_mean']:>12.2f}{s['final_std']:>8.2f}"
            f"{tgt:>9}{gap:>8}{s['train_wall_s_mean']:>9.0f}"
        )
    print(f"wrote {json_path} and {png}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
