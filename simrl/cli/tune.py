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

import sys
import traceback
from pathlib import Path
from typing import Any

from hydra.core.config_store import ConfigStore
from omegaconf import DictConfig, OmegaConf

from simrl.cli.app import fail
from simrl.config import schema  # noqa: F401  (registers the train schema)
from simrl.config.build import build_configs
from simrl.config.dirs import check_out_dir
from simrl.config.errors import one_line
from simrl.config.sweep import CONFIG_MODULE
from simrl.runs.summary import write_failure
from simrl.tune.checks import check_metric, check_same_study, check_space_limits, default_study_name
from simrl.tune.space import TuneConfig, check_tune, flatten_space
from simrl.tune.study import run_study

ConfigStore.instance().store(name="tune_schema", node=TuneConfig)
APP = "simrl-tune"


def compose_train(overrides: list[str]) -> DictConfig:
    """The simrl-train config for `overrides` (Hydra compose API, same conf as simrl-train)."""
    from hydra import compose, initialize_config_module

    with initialize_config_module(CONFIG_MODULE, version_base="1.3"):
        return compose("config", overrides=overrides)


def split_overrides(argv: list[str]) -> tuple[list[str], list[str]]:
    """(tune overrides: keys starting with `tune`, train overrides: the rest)."""
    tune, train = [], []
    for item in argv:
        key = item.split("=", 1)[0].lstrip("+~")
        (tune if key == "tune" or key.startswith("tune.") else train).append(item)
    return tune, train


def train_trial(overrides: list[str], run_dir: Path) -> dict[str, Any]:
    """One trial's run: compose and check its config like simrl-train, keep `.hydra/` beside it
    (simrl-report reads it), train; a failure leaves a failed summary and one line."""
    cfg = compose_train(overrides)
    hydra_dir = run_dir / ".hydra"
    hydra_dir.mkdir(parents=True, exist_ok=True)
    (hydra_dir / "config.yaml").write_text(OmegaConf.to_yaml(cfg))
    (hydra_dir / "overrides.yaml").write_text(OmegaConf.to_yaml(OmegaConf.create(overrides)))
    try:
        return build_configs(cfg).train(run_dir)
    except Exception as exc:
        message = one_line(exc)
        write_failure(run_dir, message, traceback.format_exc(), cfg)
        raise ValueError(message) from None


def _load_tune(tune_overrides: list[str]) -> TuneConfig:
    from hydra import compose, initialize_config_module

    with initialize_config_module(CONFIG_MODULE, version_base="1.3"):
        cfg = compose("tune", overrides=tune_overrides)
    node = OmegaConf.to_object(cfg.tune)
    assert isinstance(node, TuneConfig)
    node.space = flatten_space(node.space)
    return node


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
    best = run_study(
        tune_cfg,
        train_overrides,
        train_trial,
        run={"env_id": built.env.id, "algo": built.algo},
        log=lambda line: print(f"{APP}: {line}"),
    )
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
