"""An Optuna study over training runs: create or resume it, run the missing trials, write results.

Each trial samples the search space (`simrl.tune.space.suggest`) into override strings and hands
them to `train(overrides, run_dir)`, which trains one run into OUT/trial_NNNN and returns its
summary (the CLI composes the config; this module knows nothing of Hydra). The objective is
`tune.metric` from that summary. The study lives in its storage (SQLite by default) and is
loaded if it exists, so an interrupted search continues: `n_trials` is the study's total.
"""

from __future__ import annotations

import csv
import io
import json
import math
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

from simrl.tune.space import TuneConfig, suggest

# train(overrides, run_dir) -> the run's summary; raises with a one-line message on a bad config
TrainTrial = Callable[[list[str], Path], dict[str, Any]]


def run_trial(trial: Any, tune: TuneConfig, train_overrides: list[str], train: TrainTrial) -> float:
    """Objective: train one sampled config, return `tune.metric` from its summary."""
    overrides = [*train_overrides, *suggest(trial, tune.space)]
    run_dir = Path(tune.out or ".") / f"trial_{trial.number:04d}"
    if run_dir.exists():
        shutil.rmtree(run_dir)  # a trial number is new in this study: leftovers are stale
    trial.set_user_attr("run_dir", str(run_dir))
    trial.set_user_attr("overrides", overrides)
    try:
        summary = train(overrides, run_dir)
    except Exception as exc:
        from simrl.messages import first_line

        trial.set_user_attr("error", first_line(exc))
        raise
    trial.set_user_attr("env_steps", summary.get("final_eval_env_steps"))
    value = summary.get(tune.metric)
    if (
        summary.get("status") != "completed"
        or not isinstance(value, (int, float))
        or not math.isfinite(value)
    ):
        message = f"{tune.metric}={value}, status {summary.get('status')}: {summary.get('error')}"
        trial.set_user_attr("error", message)
        raise RuntimeError(f"trial {trial.number}: {message}")
    return float(value)


def trial_error(trial: Any) -> str | None:
    """Why a trial did not complete: its recorded error, else its run directory's summary, else
    that its process stopped before the trial finished (a killed run)."""
    if trial.state.name == "COMPLETE":
        return None
    if trial.user_attrs.get("error"):
        return str(trial.user_attrs["error"])
    run_dir = trial.user_attrs.get("run_dir")
    try:
        summary = json.loads((Path(run_dir) / "summary.json").read_text()) if run_dir else {}
    except (OSError, ValueError):
        summary = {}
    if summary.get("error"):
        return f"{summary.get('status')}: {summary['error']}"
    if trial.state.name == "RUNNING":
        return "running"
    return "interrupted: the process running it stopped before the trial finished"


def write_results(study: Any, tune: TuneConfig) -> dict[str, Any]:
    """OUT/trials.csv (every trial) and OUT/best.json (best value, params, command to rerun)."""
    import optuna

    from simrl.files import atomic_write_text

    out = Path(tune.out or ".")
    out.mkdir(parents=True, exist_ok=True)
    buf = io.StringIO()
    keys = list(tune.space)
    writer = csv.writer(buf)
    writer.writerow(["number", "state", "value", "env_steps", *keys, "run_dir", "error"])
    for t in study.trials:
        writer.writerow(
            [t.number, t.state.name, t.value, t.user_attrs.get("env_steps"),
             *[t.params.get(k) for k in keys], t.user_attrs.get("run_dir"), trial_error(t)]
        )  # fmt: skip
    atomic_write_text(out / "trials.csv", buf.getvalue())
    done = [t for t in study.trials if t.state == optuna.trial.TrialState.COMPLETE]
    best: dict[str, Any] = {
        "study_name": tune.study_name,
        "storage": tune.storage,
        "n_complete": len(done),
    }
    if done:
        t = study.best_trial
        best.update(
            best_value=t.value,
            best_trial=t.number,
            best_params=t.params,
            best_run_dir=t.user_attrs.get("run_dir"),
            command="simrl-train " + " ".join(t.user_attrs.get("overrides", [])),
        )
    atomic_write_text(out / "best.json", json.dumps(best, indent=2, default=str) + "\n")
    return best


def run_study(
    tune_cfg: TuneConfig,
    train_overrides: list[str],
    train: TrainTrial,
    run: dict[str, str] | None = None,
    log: Callable[[str], None] = print,
) -> dict[str, Any]:
    """Create or load the study, run the missing trials, write the results; return best.json.

    `run` (`env_id`, `algo`) is recorded on the study, so a later search of another env or
    algorithm under the same name is refused."""
    import optuna

    assert tune_cfg.study_name and tune_cfg.out, "the caller names the study and its folder"
    if tune_cfg.storage.startswith("sqlite:///"):
        Path(tune_cfg.storage[len("sqlite:///") :]).parent.mkdir(parents=True, exist_ok=True)
    study = optuna.create_study(
        study_name=tune_cfg.study_name,
        storage=tune_cfg.storage,
        direction=tune_cfg.direction,
        load_if_exists=True,
    )
    for key, value in (run or {}).items():
        if key not in study.user_attrs:
            study.set_user_attr(key, value)
    states = optuna.trial.TrialState
    if tune_cfg.fail_stale:
        for t in study.get_trials(deepcopy=False, states=(states.RUNNING,)):
            study.tell(t.number, state=states.FAIL)  # left by an interrupted process
    finished = len(
        study.get_trials(deepcopy=False, states=(states.COMPLETE, states.FAIL, states.PRUNED))
    )
    remaining = max(0, tune_cfg.n_trials - finished)
    seed = tune_cfg.seed + len(study.trials)  # a resumed study must not replay the same samples
    study.sampler = (
        optuna.samplers.TPESampler(seed=seed)
        if tune_cfg.sampler == "tpe"
        else optuna.samplers.RandomSampler(seed=seed)
    )
    log(
        f"study {tune_cfg.study_name!r} in {tune_cfg.storage}: {finished} finished, running {remaining}"
    )
    if remaining:
        study.optimize(
            lambda trial: run_trial(trial, tune_cfg, train_overrides, train),
            n_trials=remaining,
            catch=(Exception,),
        )
    return write_results(study, tune_cfg)
