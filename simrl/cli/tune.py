"""`simrl-tune`: hyperparameter search with current Optuna over simrl-train runs.

    simrl-tune tune.n_trials=30 env=reacher total_env_steps=100000   # study grpo_Reacher-v5
    simrl-tune tune.n_trials=40 env=reacher              # resumes it (n_trials is the total)
    simrl-tune tune=ppo tune.n_trials=30 env=reacher        # the PPO baseline's search space
    simrl-tune tune.space.algo.lr.high=1e-2 ~tune.space.algo.beta       # edit the space

The Hydra Optuna sweeper pins optuna < 3, so this drives Optuna 4/5 directly: the search settings
and space come from `conf/tune.yaml` (group `tune`, default `tune/grpo.yaml`), every trial's
config is composed with Hydra's compose API from `conf/config.yaml` plus the command line's other
overrides plus the sampled values, validated like simrl-train, and trained into OUT/trial_NNNN.
The objective is the run's final deterministic evaluation return (summary.json), taken at the
trial's budget: every trial gets the same `total_env_steps`, GRPO's last iteration stops within
one group's episodes of it and PPO's within one rollout (trials.csv lists the steps of each final
evaluation, and the error of every trial that did not complete). The study lives
in the storage (SQLite by default) and is loaded if it exists, so an interrupted search continues
where it stopped: `n_trials` is the study's total. A study is named `<algo>_<env id>` unless
`tune.study_name` is given and never mixes envs or algorithms (a named study of another is
refused). Before any trial, `tune.metric` is checked against the numbers a run writes and every
bound of `tune.space` against what training accepts. Results: OUT/best.json, OUT/trials.csv
(OUT: `tune.out`, default tune/<study name>).
"""

from __future__ import annotations

import csv
import io
import json
import math
import shutil
import sys
from pathlib import Path
from typing import Any

from omegaconf import DictConfig, OmegaConf

from simrl.cli.app import CONFIG_MODULE, fail
from simrl.cli.errors import one_line
from simrl.cli.outdir import check_out_dir
from simrl.cli.tune_checks import (
    check_metric,
    check_same_study,
    check_space_limits,
    default_study_name,
)
from simrl.cli.tune_space import (  # noqa: F401  (re-exported for users and tests)
    TuneConfig,
    check_space,
    check_tune,
    flatten_space,
    split_overrides,
    suggest,
)
from simrl.config import schema  # noqa: F401  (registers the train schema)
from simrl.config.build import build_configs

APP = "simrl-tune"


def compose_train(overrides: list[str]) -> DictConfig:
    """The simrl-train config for `overrides` (Hydra compose API, same conf as simrl-train)."""
    from hydra import compose, initialize_config_module

    with initialize_config_module(CONFIG_MODULE, version_base="1.3"):
        return compose("config", overrides=overrides)


def _write_trial_config(run_dir: Path, cfg: DictConfig, overrides: list[str]) -> None:
    """`.hydra/config.yaml` and `.hydra/overrides.yaml` like a Hydra run (simrl-report reads them)."""
    hydra_dir = run_dir / ".hydra"
    hydra_dir.mkdir(parents=True, exist_ok=True)
    (hydra_dir / "config.yaml").write_text(OmegaConf.to_yaml(cfg))
    (hydra_dir / "overrides.yaml").write_text(OmegaConf.to_yaml(OmegaConf.create(overrides)))


def run_trial(trial: Any, tune: TuneConfig, train_overrides: list[str]) -> float:
    """Objective: train one sampled config, return `tune.metric` from its summary."""
    from simrl.cli.train import write_failure

    overrides = [*train_overrides, *suggest(trial, tune.space)]
    run_dir = Path(tune.out) / f"trial_{trial.number:04d}"
    if run_dir.exists():
        shutil.rmtree(run_dir)  # a trial number is new in this study: leftovers are stale
    cfg = compose_train(overrides)
    _write_trial_config(run_dir, cfg, overrides)
    trial.set_user_attr("run_dir", str(run_dir))
    trial.set_user_attr("overrides", overrides)
    try:
        summary = build_configs(cfg).train(run_dir)
    except Exception as exc:
        import traceback

        message = one_line(exc)
        trial.set_user_attr("error", message)
        write_failure(run_dir, message, traceback.format_exc(), cfg)
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


def _load_tune(tune_overrides: list[str]) -> TuneConfig:
    from hydra import compose, initialize_config_module

    with initialize_config_module(CONFIG_MODULE, version_base="1.3"):
        cfg = compose("tune", overrides=tune_overrides)
    node = OmegaConf.to_object(cfg.tune)
    assert isinstance(node, TuneConfig)
    node.space = flatten_space(node.space)
    return node


def _prepare_storage(storage: str) -> None:
    if storage.startswith("sqlite:///"):
        Path(storage[len("sqlite:///") :]).parent.mkdir(parents=True, exist_ok=True)


def write_results(study: Any, tune: TuneConfig) -> dict[str, Any]:
    """OUT/trials.csv (every trial) and OUT/best.json (best value, params, command to rerun)."""
    import optuna

    from simrl.files import atomic_write_text

    out = Path(tune.out)
    out.mkdir(parents=True, exist_ok=True)
    buf = io.StringIO()
    keys = list(tune.space)
    writer = csv.writer(buf)
    writer.writerow(["number", "state", "value", "env_steps", *keys, "run_dir", "error"])
    for t in study.trials:
        writer.writerow(
            [
                t.number,
                t.state.name,
                t.value,
                t.user_attrs.get("env_steps"),
                *[t.params.get(k) for k in keys],
                t.user_attrs.get("run_dir"),
                trial_error(t),
            ]
        )
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


def tune(
    tune_cfg: TuneConfig, train_overrides: list[str], run: dict[str, str] | None = None
) -> dict[str, Any]:
    """Create or load the study, run the missing trials, write the results; return best.json.

    `run` (`env_id`, `algo`) is recorded on the study, so a later search of another env or
    algorithm under the same name is refused."""
    import optuna

    assert tune_cfg.study_name and tune_cfg.out, "main() names the study and its folder"
    _prepare_storage(tune_cfg.storage)
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
    print(
        f"{APP}: study {tune_cfg.study_name!r} in {tune_cfg.storage}: {finished} finished, running {remaining}"
    )
    if remaining:
        study.optimize(
            lambda trial: run_trial(trial, tune_cfg, train_overrides),
            n_trials=remaining,
            catch=(Exception,),
        )
    return write_results(study, tune_cfg)


def main(argv: list[str] | None = None) -> None:
    """Entry point of `simrl-tune`."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if any(a in ("-h", "--help") for a in argv):
        print(__doc__)
        return
    tune_overrides, train_overrides = split_overrides(argv)
    try:
        tune_cfg = _load_tune(tune_overrides)
        check_tune(tune_cfg)
        check_metric(tune_cfg.metric)
        train_overrides = [*tune_cfg.overrides, *train_overrides]
        built = build_configs(compose_train(train_overrides))  # the fixed part, valid on its own
        check_space_limits(tune_cfg.space, built)
        tune_cfg.study_name = tune_cfg.study_name or default_study_name(built)
        tune_cfg.out = tune_cfg.out or str(Path("tune") / tune_cfg.study_name)
        check_out_dir("tune.out", tune_cfg.out)
        check_same_study(tune_cfg.storage, tune_cfg.study_name, built)
    except Exception as exc:
        fail(APP, one_line(exc, argv))
    best = tune(tune_cfg, train_overrides, run={"env_id": built.env.id, "algo": built.algo})
    if "best_value" not in best:
        fail(APP, f"no trial completed; see {Path(tune_cfg.out) / 'trials.csv'}", code=1)
    print(
        f"{APP}: best {tune_cfg.metric}={best['best_value']:.4g} (trial {best['best_trial']}): {best['command']}"
    )
    print(
        f"{APP}: results in {Path(tune_cfg.out)} (best.json, trials.csv); simrl-report {tune_cfg.out}"
    )


if __name__ == "__main__":
    main()
