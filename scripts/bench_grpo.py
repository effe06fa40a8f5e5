"""GRPO benchmark: Reacher-v5 / Pusher-v5 learning curves (3 seeds) and an estimator comparison.

Targets: Reacher-v5 mean deterministic return >= -4.5 within 1M env steps, Pusher-v5 >= -30 within
2M. Every run is a `simrl.runs.run_training` run (its run directory under --runs-dir) with the
default GRPOConfig plus the per-env overrides printed in the JSON, evaluated deterministically by the
run loop (`simrl.runs.evaluate.evaluate_policy`) on `--eval-episodes` fixed start states every
`--eval-every` iterations. Curves are recorded against env steps and learner wall-clock; statistics
over seeds come from `simrl.results` (mean ± sample std, ddof=1; IQM with a 95% bootstrap
interval). Writes JSON + PNG into --out.

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
import re
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from simrl.algos.grpo import GRPOConfig
from simrl.files import atomic_write_text
from simrl.nn import core_preset
from simrl.nn.compute import ComputeConfig
from simrl.results import fmt, fmt_interval, iqm, load_run, mean_std
from simrl.results.plots import Panel, Series, plot_panels
from simrl.runs import run_training
from simrl.runs.config import RunConfig
from simrl.runs.summary import LEARNER_KEYS, json_safe
from simrl.sim.config import EnvConfig

TARGETS = {"Reacher-v5": -4.5, "Pusher-v5": -30.0}
ENV_OVERRIDES: dict[str, dict] = {"Reacher-v5": {}, "Pusher-v5": {}}


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.=-]+", "_", text)


def curve_of(run_dir: Path) -> dict[str, list[float]]:
    """The run's evaluations as columns: env steps, learner wall-clock (training time up to the
    evaluation, without evaluation time), deterministic eval return, train (sampled) return."""
    run = load_run(run_dir)
    assert run is not None, f"no summary.json in {run_dir}"
    train_s, train_ret = {}, {}
    elapsed = 0.0
    for row in run.metrics:
        elapsed += row.get("iter_time_s") or 0.0
        if row.get("env_steps") is not None:
            train_s[row["env_steps"]] = elapsed
            train_ret[row["env_steps"]] = row.get("return_mean")
    steps = [p["env_steps"] for p in run.curve]
    return {
        "env_steps": [int(s) for s in steps],
        "wall_s": [train_s.get(s, np.nan) for s in steps],
        "eval_return": [p["return_mean"] for p in run.curve],
        "train_return": [train_ret.get(s, np.nan) for s in steps],
    }


def run_one(
    env_id: str,
    seed: int,
    steps: int,
    overrides: dict,
    eval_every: int,
    episodes: int,
    run_dir: Path,
) -> dict:
    """Train one GRPO run with the library's run loop; return its curve and figures."""
    cfg = GRPOConfig(**{**ENV_OVERRIDES.get(env_id, {}), **overrides})
    run = RunConfig(
        seed=seed,
        total_env_steps=steps,
        eval_every=eval_every,
        eval_episodes=episodes,
        checkpoint_every=0,
        tensorboard=False,
    )
    print(f"{env_id} {cfg.advantage} seed {seed}: {steps:,} env steps -> {run_dir}", flush=True)
    summary = run_training(
        "grpo",
        EnvConfig(id=env_id),
        core_preset("small"),
        cfg,
        run,
        run_dir,
        compute=ComputeConfig(num_threads=1),
    )
    curve = curve_of(run_dir)
    return {
        "env_id": env_id,
        "seed": seed,
        "status": summary.get("status"),
        "config": cfg.to_dict(),
        "env_steps": summary.get("env_steps"),
        "train_wall_s": summary.get("train_s"),
        "total_wall_s": summary.get("wall_s"),
        "final_eval_return": summary.get("final_return_mean"),
        "best_eval_return": summary.get("best_eval_return"),
        "curve": curve,
        "learner_stats": {k: summary.get(k) for k in LEARNER_KEYS},
        "run_dir": str(run_dir),
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
    """Final returns over seeds: mean ± sample std (ddof=1), IQM [95% CI], target gap."""
    finals = [r["final_eval_return"] for r in runs]
    stat, est = mean_std(finals), iqm(finals)
    out: dict[str, Any] = {
        "final_mean": stat.mean,
        "final_std": stat.std,  # sample std (ddof=1); NaN (null) for one seed
        "final_iqm": est.value,
        "final_iqm_ci95": [est.low, est.high],
        "finals": finals,
        "env_steps": int(np.mean([r["env_steps"] for r in runs])),
        "train_wall_s_mean": float(np.mean([r["train_wall_s"] for r in runs])),
    }
    if target is not None:
        out.update(target=target, met=bool(stat.mean >= target), gap=float(target - stat.mean))
    return out


def _points(run: dict) -> list[dict[str, Any]]:
    c = run["curve"]
    return [
        {"env_steps": s, "wall_s": w, "return_mean": r}
        for s, w, r in zip(c["env_steps"], c["wall_s"], c["eval_return"], strict=True)
    ]


def plot(results: dict, path: Path) -> None:
    """Per env (and the estimator comparison): eval return vs env steps (mean ± std over seeds,
    each seed thin) and vs learner wall-clock (each seed)."""
    panels = [(env_id, runs) for env_id, runs in results["main"].items()]
    if results["compare"]:
        panels.append(("estimators", results["compare"]))
    columns = []
    for name, runs in panels:
        groups: dict[str, list[dict]] = {}
        for r in runs:
            key = r.get("label", r["config"]["advantage"]) if name == "estimators" else r["env_id"]
            groups.setdefault(key, []).append(r)
        series = [Series(key, [_points(r) for r in rs]) for key, rs in groups.items()]
        env_id = runs[0]["env_id"]
        target = {"target": TARGETS[env_id]} if env_id in TARGETS else {}
        title = f"GRPO {name}" + (f" ({env_id})" if name == "estimators" else "")
        columns.append(
            (
                Panel(series, runs="thin", hlines=target, title=title),
                Panel(
                    series,
                    x="wall_s",
                    runs="each",
                    hlines=target,
                    xlabel="learner wall-clock (s, shared 2-core CPU)",
                ),
            )
        )
    rows = [[c[0] for c in columns], [c[1] for c in columns]]
    plot_panels(path, rows, panel_size=(5, 3.5))


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
    p.add_argument(
        "--runs-dir",
        type=Path,
        default=None,
        help="where the run directories go (default outputs/<name>/<date-time>)",
    )
    args = p.parse_args(argv)
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
    runs_dir = args.runs_dir or Path("outputs") / args.name / time.strftime("%Y%m%d-%H%M%S")
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
        "runs_dir": str(runs_dir),
        "main": {},
        "compare": [],
        "summary": {},
    }
    json_path = args.out / f"{args.name}.json"

    def save() -> None:
        atomic_write_text(json_path, json.dumps(json_safe(results), indent=1))

    for env_id in args.envs:
        runs = []
        for seed in args.seeds:
            run_dir = runs_dir / f"{env_id}_seed{seed}"
            runs.append(
                run_one(
                    env_id,
                    seed,
                    budgets[env_id],
                    overrides,
                    args.eval_every,
                    args.eval_episodes,
                    run_dir,
                )
            )
            results["main"][env_id] = runs
            save()
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
                    runs_dir / f"compare_{args.compare_env}_{_slug(spec)}_seed{seed}",
                )
                r["label"] = spec
                kind_runs.append(r)
                results["compare"].append(r)
                save()
            results["summary"][f"compare/{spec}"] = summarise(kind_runs, None)
    save()
    png = args.out / f"{args.name}.png"
    plot(results, png)
    head = ["run", "steps", "final mean", "std", "IQM [95% CI]", "target", "gap", "train s"]
    print("\n" + " | ".join(head))
    for name, s in results["summary"].items():
        cells = [
            name,
            fmt(s["env_steps"]),
            fmt(s["final_mean"]),
            fmt(s["final_std"]),
            fmt_interval(s["final_iqm"], *s["final_iqm_ci95"]),
            fmt(s.get("target")),
            fmt(s.get("gap")),
            fmt(s["train_wall_s_mean"], 3),
        ]
        print(" | ".join(cells))
    print(f"wrote {json_path} and {png}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
