"""`simrl-train`: one training run, or a sweep with `-m` (Hydra app over `conf/config.yaml`).

    simrl-train algo=grpo env=reacher seed=1
    simrl-train -m algo=grpo,ppo seed=0,1,2 hydra/launcher=joblib

Every run directory holds the run loop's outputs (summary.json, metrics.csv, config.yaml,
checkpoints/, tb/, learning_curve.png) and Hydra's `.hydra/` (config, overrides). Inside a sweep a
failing run writes `summary.json` with status "failed" and its error, and the sweep goes on;
`simrl-report` lists it. Run as a module too: `python -m simrl.cli.train ...`.
"""

from __future__ import annotations

import signal
import sys
import traceback
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from omegaconf import DictConfig, OmegaConf

from simrl.cli.app import fail, quote_paths, run_app
from simrl.config import schema  # noqa: F401  (registers the structured configs)
from simrl.config.build import build_configs, check_alias_conflicts
from simrl.config.dirs import (
    check_hydra_dirs,
    check_run_dir,
    check_sweep_dir,
    planned_dir,
    run_dir_of,
    saved_settings,
)
from simrl.config.launchers import last_sweep_failures, sweep_threads
from simrl.runs.ownership import RunDirLock, run_files
from simrl.runs.spec import RunCallback
from simrl.runs.summary import requeued_summary, write_failure

APP = "simrl-train"


def _hydra_state() -> tuple[bool, Any]:
    """(is this run part of a multirun?, the launcher's config or None)."""
    from hydra.core.hydra_config import HydraConfig
    from hydra.types import RunMode

    if not HydraConfig.initialized():
        return False, None
    hc = HydraConfig.get()
    return hc.mode == RunMode.MULTIRUN, hc.get("launcher")


def train_job(cfg: DictConfig, callbacks: Sequence[RunCallback] = ()) -> dict[str, Any]:
    """Hydra task: validate, train into Hydra's output dir, return the summary (`callbacks`:
    passed to the run, see `simrl.runs.RunCallback`).

    In a sweep, errors become a failed summary.json and the sweep goes on; a lone run prints one
    error line and exits non-zero. A run stopped by SIGINT / SIGTERM (checkpointed) exits with
    128 + the signal number (130 / 143). A job that finds a stopped run's checkpoint in its own
    directory (a requeued SLURM job: the same sweep directory) resumes it.
    """
    from hydra.core.hydra_config import HydraConfig

    from simrl.runs.ownership import RunDirBusy

    run_dir = Path(HydraConfig.get().runtime.output_dir)
    multirun, launcher = _hydra_state()
    try:
        lock = RunDirLock.acquire(run_dir)
    except RunDirBusy as exc:
        if multirun:
            print(f"{APP}: run refused: {exc}", file=sys.stderr, flush=True)
            return {"status": "refused", "error": str(exc)}
        fail(APP, exc)
    _note_stale(lock)
    fresh = not run_files(run_dir) or run_files(run_dir) == [".hydra"]
    try:
        return _train_in(run_dir, cfg, multirun, launcher, callbacks)
    except KeyboardInterrupt:
        if fresh and cfg.get("resume") is None and run_files(run_dir) in ([], [".hydra"]):
            import shutil

            shutil.rmtree(run_dir, ignore_errors=True)  # nothing had started: keep no husk
        raise
    finally:
        lock.release()


def _train_in(
    run_dir: Path, cfg: DictConfig, multirun: bool, launcher: Any, callbacks: Sequence[RunCallback]
) -> dict[str, Any]:
    from simrl.config.errors import one_line

    try:
        threads = int(cfg.num_threads) or sweep_threads(multirun, launcher)
        built = build_configs(cfg, num_threads=threads or None)
        done = requeued_summary(run_dir) if built.run.resume is None else None
        if done is not None:
            if done.get("status") == "completed":
                return done
            built.run.resume = str(run_dir)
        summary = built.train(run_dir, callbacks=callbacks)
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
    if summary.get("status") == "stopped":
        number = int(getattr(signal, str(summary.get("stop_signal") or "SIGINT")))
        print(
            f"{APP}: {summary.get('error')}; checkpoint {summary.get('checkpoint')}; continue "
            f"with: {APP} resume={run_dir}",
            file=sys.stderr,
            flush=True,
        )
        sys.exit(128 + number)
    return summary


def check_train(cfg: DictConfig) -> None:
    """The up-front check of `simrl-train`: the run directory, then every value
    (`build_configs`)."""
    check_hydra_dirs(cfg)
    check_run_dir(cfg)
    check_sweep_dir(cfg)
    built = build_configs(cfg)
    task = OmegaConf.select(cfg, "hydra.overrides.task", default=None) or []
    check_alias_conflicts([str(o) for o in task], type(built.algo_cfg))


def claim_run_dir(cfg: DictConfig) -> None:
    """Lock an explicit run directory before Hydra writes into it, so two processes started
    with the same new directory cannot both use it (the second is refused)."""
    target = planned_dir(cfg, "hydra.run.dir")
    if target is not None:
        if not target.exists():
            _CREATED.append(target)
        _note_stale(RunDirLock.acquire(target))


_CREATED: list[Path] = []  # run dirs this process created by claiming them


def _drop_unstarted_dirs() -> None:
    """Remove run dirs this process created that hold no run (stopped before it started)."""
    import shutil

    for target in _CREATED:
        if target.is_dir() and run_files(target) in ([], [".hydra"]):
            shutil.rmtree(target, ignore_errors=True)


def _note_stale(lock: Any) -> None:
    note = lock.stale_note()
    if note:
        print(f"{APP}: note: {note}", file=sys.stderr, flush=True)
        lock.stale_owner = None


def resume_in_place(argv: list[str]) -> list[str]:
    """`resume=RUN` of a Hydra run dir: rerun with that run's own overrides (then the command
    line's), write into the same directory, and keep its original `.hydra/` untouched.

    Returns `argv` unchanged for a sweep, a checkpoint outside a run dir or no resume at all.
    """
    if "-m" in argv or "--multirun" in argv:
        return argv
    resume = [a.split("=", 1)[1] for a in argv if a.split("=", 1)[0] == "resume"]
    if not resume or resume[-1] in ("null", ""):
        return argv
    run_dir = run_dir_of(resume[-1].strip("'\""))  # a run dir, or <run>/checkpoints/last.pt
    try:
        original = saved_settings(run_dir)
    except ValueError as exc:
        fail(APP, f"resume={resume[-1]} refused: {exc}")
    if original is None:
        return argv
    return quote_paths(
        [
            *original,
            *argv,
            f"hydra.run.dir={run_dir}",
            "hydra.output_subdir=.hydra/resume_${now:%Y-%m-%d_%H-%M-%S}",
        ],
        keys=("hydra.run.dir",),
    )


def main(argv: list[str] | None = None, callbacks: Sequence[RunCallback] = ()) -> None:
    """Entry point of `simrl-train` (console script and `python -m simrl.cli.train`); from
    Python, `callbacks` are handed to every run this command starts (`simrl.runs.RunCallback`)."""

    argv = resume_in_place(list(sys.argv[1:] if argv is None else argv))
    hooks = tuple(callbacks)

    def job(cfg: DictConfig) -> dict[str, Any]:
        return train_job(cfg, hooks)

    try:
        run_app(APP, "config", job, check=check_train, argv=argv, claim=claim_run_dir)
    finally:
        _drop_unstarted_dirs()
    failed = last_sweep_failures()
    if failed:
        fail(APP, f"{failed[0]} of {failed[1]} runs failed; see {failed[2]}", code=1)


if __name__ == "__main__":
    main()
