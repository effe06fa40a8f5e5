"""`simrl-train`: one training run, or a sweep with `-m` (Hydra app over `conf/config.yaml`).

    simrl-train algo=grpo env=reacher seed=1
    simrl-train -m algo=grpo,ppo seed=0,1,2 hydra/launcher=joblib

Every run directory holds the run loop's outputs (summary.json, metrics.csv, config.yaml,
checkpoints/, tb/, learning_curve.png) and Hydra's `.hydra/` (config, overrides). Inside a sweep a
failing run writes `summary.json` with status "failed" and its error, and the sweep goes on;
`simrl-report` lists it. Run as a module too: `python -m simrl.cli.train ...`.
"""

from __future__ import annotations

import os
import sys
import traceback
from pathlib import Path
from typing import Any

from omegaconf import DictConfig

from simrl.cli import schema  # noqa: F401  (registers the structured configs)
from simrl.cli.app import fail, run_app
from simrl.cli.validate import build_configs

APP = "simrl-train"


def _cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _hydra_state() -> tuple[bool, Any]:
    """(is this run part of a multirun?, the launcher's config or None)."""
    from hydra.core.hydra_config import HydraConfig
    from hydra.types import RunMode

    if not HydraConfig.initialized():
        return False, None
    hc = HydraConfig.get()
    return hc.mode == RunMode.MULTIRUN, hc.get("launcher")


def sweep_threads(multirun: bool, launcher: Any, cpus: int | None = None) -> int:
    """Torch threads for a run when `num_threads=0`: all cores for a lone run (0 = torch default);
    cores / parallel jobs for a joblib sweep; Ray's per-task num_cpus; submitit's cpus_per_task
    (1 for submitit_local without it, which starts all runs at once).

    Always explicit (never 0) in a sweep, because worker processes are reused between runs.
    """
    cpus = cpus or _cpus()
    if not multirun or launcher is None:
        return 0
    target = str(launcher.get("_target_", ""))
    if "Joblib" in target:
        n_jobs = int(launcher.get("n_jobs", -1) or -1)
        n_jobs = cpus if n_jobs < 0 else n_jobs
        return max(1, cpus // max(1, n_jobs))
    if "Ray" in target:
        remote = (launcher.get("ray") or {}).get("remote") or {}
        return max(1, int(remote.get("num_cpus", 1) or 1))
    if "submitit" in target:
        per_task = launcher.get("cpus_per_task")
        if per_task:
            return max(1, int(per_task))
        return 1 if "LocalLauncher" in target else cpus  # local: all runs at once on this box
    if "BasicLauncher" in target:
        return _DEFAULT_THREADS  # sequential in this process: undo a previous run's setting
    return 1


def lone_run_threads(cfg: DictConfig, cpus: int | None = None) -> int:
    """Torch threads for a lone run when `num_threads=0`.

    Cores narrower than 512 run their matmuls faster on one thread (GRPO on Reacher-v5 with the
    small core: 54 s on 1 thread vs 261 s on 2 on this shared 2-core box), so they get 1 thread;
    wider cores get all cores.
    """
    width = int(cfg.get("model", {}).get("width", 0) or 0)
    return 1 if 0 < width < 512 else (cpus or _cpus())


def _default_threads() -> int:
    import torch

    return torch.get_num_threads()


_DEFAULT_THREADS = _default_threads()


def write_failure(run_dir: Path, error: str, details: str, cfg: DictConfig | None) -> dict:
    """Mark `run_dir` failed: summary.json (status, error) and error.log (the traceback)."""
    import json

    from simrl.files import atomic_write_text
    from simrl.runs.summary import write_summary

    path = run_dir / "summary.json"
    summary: dict[str, Any] = {}
    if path.exists():
        try:
            summary = json.loads(path.read_text())
        except ValueError:
            summary = {}
    if cfg is not None and not summary:
        algo = cfg.get("algo") or {}
        env = cfg.get("env") or {}
        summary = {"algo": algo.get("name"), "env_id": env.get("id"), "seed": cfg.get("seed")}
    summary["status"] = "failed"
    summary["error"] = summary.get("error") or error
    run_dir.mkdir(parents=True, exist_ok=True)
    write_summary(path, summary)
    atomic_write_text(run_dir / "error.log", details)
    return summary


def train_job(cfg: DictConfig) -> dict[str, Any]:
    """Hydra task: validate, train into Hydra's output dir, return the summary.

    In a sweep, errors become a failed summary.json and the sweep goes on; a lone run prints one
    error line and exits non-zero.
    """
    from hydra.core.hydra_config import HydraConfig

    from simrl.cli.validate import one_line

    run_dir = Path(HydraConfig.get().runtime.output_dir)
    multirun, launcher = _hydra_state()
    try:
        threads = int(cfg.num_threads) or sweep_threads(multirun, launcher) or lone_run_threads(cfg)
        summary = build_configs(cfg, num_threads=threads).train(run_dir)
    except KeyboardInterrupt:
        raise
    except Exception as exc:
        message = one_line(exc)
        write_failure(run_dir, message, traceback.format_exc(), cfg)
        if multirun:
            print(f"{APP}: run failed ({run_dir}): {message}", file=sys.stderr, flush=True)
            return {"status": "failed", "error": message}
        fail(APP, f"{message} (details: {run_dir / 'error.log'})", code=1)
    if summary.get("status") == "failed" and not multirun:
        fail(APP, f"run failed: {summary.get('error')} ({run_dir})", code=1)
    return summary


def resume_in_place(argv: list[str]) -> list[str]:
    """`resume=RUN` of a Hydra run dir: rerun with that run's own overrides (then the command
    line's), write into the same directory, and keep its original `.hydra/` untouched.

    Returns `argv` unchanged for a sweep, a checkpoint outside a run dir or no resume at all.
    """
    import yaml

    if "-m" in argv or "--multirun" in argv:
        return argv
    resume = [a.split("=", 1)[1] for a in argv if a.split("=", 1)[0] == "resume"]
    if not resume or resume[-1] in ("null", ""):
        return argv
    path = Path(resume[-1].strip("'\""))
    run_dir = path if path.is_dir() else path.parent.parent  # <run>/checkpoints/last.pt
    overrides_file = run_dir / ".hydra" / "overrides.yaml"
    if not overrides_file.is_file():
        return argv
    original = [str(o) for o in yaml.safe_load(overrides_file.read_text()) or []]
    original = [o for o in original if o.split("=", 1)[0].lstrip("+~") != "resume"]
    from simrl.cli.app import quote_paths

    return quote_paths(
        [
            *original,
            *argv,
            f"hydra.run.dir={run_dir}",
            "hydra.output_subdir=.hydra/resume_${now:%Y-%m-%d_%H-%M-%S}",
        ],
        keys=("hydra.run.dir",),
    )


def main(argv: list[str] | None = None) -> None:
    """Entry point of `simrl-train` (console script and `python -m simrl.cli.train`)."""
    from simrl.cli import callbacks

    argv = resume_in_place(list(sys.argv[1:] if argv is None else argv))
    run_app(APP, "config", train_job, check=build_configs, argv=argv)
    failed = callbacks.last_sweep_failures()
    if failed:
        fail(APP, f"{failed[0]} of {failed[1]} runs failed; see {failed[2]}", code=1)


if __name__ == "__main__":
    main()
