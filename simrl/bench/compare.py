"""Run GRPO and PPO side by side (same env, core, precision, budget, seeds), then write the results.

`run_jobs` trains every (seed, algo) pair with `simrl.runs.run_training`, interleaved by seed so
machine noise hits both algorithms alike; `write_results` reads the run directories back and writes
`results.json`, `report.md` and the plots. Both are plain functions over the owners' dataclasses
(no Hydra), used by `simrl-bench`.
"""

from __future__ import annotations

import json
import time
import traceback
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import yaml

from simrl.bench.figures import (
    FLOP_KEYS,
    MEMORY_KEYS,
    add_equal_wall_clock,
    aggregate,
    goals,
    load_record,
    ratios,
    robust,
)
from simrl.bench.plots import plot_bars, plot_learning_curves
from simrl.bench.report import render_report
from simrl.files import atomic_write_text
from simrl.messages import first_line
from simrl.results.format import fmt
from simrl.runs.plain import to_plain
from simrl.runs.spec import TrainSpec
from simrl.runs.summary import json_safe, write_summary


@dataclass
class BenchJob:
    """One training run of the comparison: a seed of one side."""

    seed: int
    spec: TrainSpec

    @property
    def name(self) -> str:
        return f"{self.spec.algo}_seed{self.seed}"


def plan_jobs(built: dict[str, TrainSpec], seeds: list[int]) -> list[BenchJob]:
    """Jobs interleaved by seed: grpo s0, ppo s0, grpo s1, ... (`built[algo]`: each side's
    spec, all with the same env, model, precision and budget)."""
    jobs = []
    for seed in seeds:
        for spec in built.values():
            config = {**(spec.config_dict or {}), "seed": seed}
            run = replace(spec.run, seed=seed)
            jobs.append(BenchJob(seed, replace(spec, run=run, config_dict=config)))
    return jobs


# Config keys that change a run's results; the others (progress, tensorboard, threads, ...) do not.
RESULT_KEYS = (
    "algo", "env", "model", "precision", "seed", "total_env_steps", "device", "compile",
    "precision_strict", "eval_every", "eval_every_steps", "eval_episodes",
)  # fmt: skip


def _reusable(run_dir: Path, config: dict[str, Any]) -> bool:
    """Whether run_dir holds a completed run with this job's result-affecting settings.

    So changing e.g. `grpo.lr` and rerunning into the same directory retrains that side and reuses
    the other.
    """
    try:
        if json.loads((run_dir / "summary.json").read_text()).get("status") != "completed":
            return False
        saved = yaml.safe_load((run_dir / "config.yaml").read_text()) or {}
    except (OSError, ValueError, yaml.YAMLError):
        return False
    want = to_plain(config)
    return all(saved.get(k) == want.get(k) for k in RESULT_KEYS if k in want)


def _set_aside(run_dir: Path) -> Path:
    """Rename an old run directory to <name>.old-<k> (nothing saved is ever deleted)."""
    k = 1
    while (dest := run_dir.with_name(f"{run_dir.name}.old-{k}")).exists():
        k += 1
    run_dir.rename(dest)
    return dest


def run_jobs(
    jobs: list[BenchJob], out_dir: Path, skip_done: bool = True, log: Any = print
) -> list[Path]:
    """Train every job into out_dir/runs/<algo>_seed<k>/; a failing run is recorded, not fatal."""
    from simrl.runs import run_training

    dirs = []
    for i, job in enumerate(jobs, 1):
        run_dir = Path(out_dir) / "runs" / job.name
        dirs.append(run_dir)
        head = f"[{i}/{len(jobs)}] {job.spec.algo} seed {job.seed}"
        if skip_done and _reusable(run_dir, job.spec.config_dict):
            log(f"{head}: already completed with the same settings in {run_dir}, reused")
            continue
        if run_dir.exists() and any(run_dir.iterdir()):
            kept = _set_aside(run_dir)
            log(f"{head}: {run_dir} held another or unfinished run, kept as {kept.name}")
        log(
            f"{head}: training {job.spec.env.id} for {job.spec.run.total_env_steps:,} env steps -> {run_dir}"
        )
        t0 = time.perf_counter()
        try:
            s = run_training(job.spec, run_dir)
            log(
                f"{head}: {s.get('status')} in {time.perf_counter() - t0:.0f} s, final return "
                f"{fmt(s.get('final_return_mean'))}, peak learner memory "
                f"{fmt(s.get('peak_learner_memory_bytes'))} B, FLOPs/sample "
                f"{fmt(s.get('learner_flops_per_sample'))}"
            )
        except KeyboardInterrupt:
            raise
        except Exception as exc:
            message = first_line(exc, with_type=True)
            log(f"{head}: FAILED: {message}")
            run_dir.mkdir(parents=True, exist_ok=True)
            path = run_dir / "summary.json"
            summary = json.loads(path.read_text()) if path.exists() else {}
            summary.update(
                algo=job.spec.algo, seed=job.seed, env_id=job.spec.env.id, status="failed"
            )
            summary.setdefault("error", message)
            write_summary(path, summary)
            atomic_write_text(run_dir / "error.log", traceback.format_exc())
    return dirs


def _distinct(run_dirs: list[Path]) -> list[Path]:
    """`run_dirs` without repeats of the same directory, in order."""
    seen: dict[Path, Path] = {}
    for d in run_dirs:
        seen.setdefault(Path(d).resolve(), Path(d))
    return list(seen.values())


def collect(
    run_dirs: list[Path], setup: dict[str, Any], memory_dirs: list[Path] | None = None
) -> dict[str, Any]:
    """Records, per-algo aggregates, GRPO/PPO ratios, rliable statistics and goals of the given
    run dirs (the plots are added by `write_results`). With `memory_dirs` (the memory pass at
    equal per-pass batches), the memory figures come from those runs."""
    threshold = setup.get("threshold")
    distinct = _distinct(run_dirs)  # each run counted once, however often it is listed
    records = [r for r in (load_record(d, threshold) for d in distinct) if r is not None]
    ok = [r for r in records if r.get("status") == "completed"]
    add_equal_wall_clock(ok)
    agg = aggregate(ok) if ok else {}
    memory = [r for r in (load_record(d, None) for d in _distinct(memory_dirs or [])) if r]
    memory_ok = aggregate([r for r in memory if r.get("status") == "completed"])
    for algo, figures in memory_ok.items():
        if algo in agg:
            agg[algo].update({k: figures[k] for k in MEMORY_KEYS})
            agg[algo]["memory_from"] = "memory pass (equal per-pass batches)"
            if figures.get("peak_memory_method"):
                agg[algo]["peak_memory_method"] = figures["peak_memory_method"]
            if all(agg[algo][k]["mean"] is None for k in FLOP_KEYS):  # learning runs unmetered
                agg[algo].update({k: figures[k] for k in FLOP_KEYS})
                agg[algo]["flops_from"] = "memory pass (learning runs not metered)"
    rat = ratios(agg)
    results: dict[str, Any] = {
        "setup": setup,
        "aggregate": agg,
        "ratios": rat,
        "robust": robust(ok) if ok else {},
        "goals": goals(agg, rat) if rat else [],
        "runs": records,
        "memory_runs": [
            {k: r.get(k) for k in ("algo", "status", "run_dir", *MEMORY_KEYS)} for r in memory
        ],
        "plots": {},
    }
    return results


def write_results(
    run_dirs: list[Path],
    out_dir: Path,
    setup: dict[str, Any],
    plots: bool = True,
    memory_dirs: list[Path] | None = None,
) -> dict[str, Any]:
    """Write results.json, report.md, learning_curves.png and memory_compute.png into out_dir
    (memory figures from `memory_dirs` when given, see `collect`)."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    results = collect(run_dirs, setup, memory_dirs)
    ok = [r for r in results["runs"] if r.get("status") == "completed"]
    if plots and ok:
        title = f"GRPO vs PPO on {setup.get('env_id')} ({setup.get('model')} core)"
        try:
            if plot_learning_curves(ok, out_dir / "learning_curves.png", title) is not None:
                results["plots"]["learning curves"] = "learning_curves.png"
            plot_bars(results["aggregate"], out_dir / "memory_compute.png", title)
            results["plots"]["memory and compute"] = "memory_compute.png"
        except Exception as exc:  # plots must never cost the numbers
            results["plot_error"] = f"{type(exc).__name__}: {exc}"
    atomic_write_text(
        out_dir / "results.json", json.dumps(json_safe(results), indent=2, allow_nan=False) + "\n"
    )
    atomic_write_text(out_dir / "report.md", render_report(json_safe(results)))
    return results
