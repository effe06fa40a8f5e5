"""simrl-tune refuses what training would refuse before any trial: an unknown metric, a space
outside the training limits or with NaN/inf bounds, a study of another env; studies are named by
algorithm and env."""

from __future__ import annotations

from pathlib import Path

import pytest

from simrl.cli.tune import main
from simrl.tune.checks import objective_metrics

STORE = ["tune.storage=sqlite:///study/optuna.db"]


def _refused(argv: list[str], capsys, root: Path) -> str:
    with pytest.raises(SystemExit) as info:
        main([*STORE, "env=reacher", *argv])
    assert info.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("simrl-tune: error: "), err
    assert sorted(root.rglob("*")) == []  # nothing written: no storage, no trial dirs
    return err[0]


@pytest.mark.parametrize(
    "override, expect",
    [
        ("tune.metric=no_such_key", "tune.metric=no_such_key is not a number a run writes"),
        ("tune.space.algo.gamma.low=nan", "tune.space.algo.gamma.low=nan must be a finite"),
        ("tune.space.algo.gamma.high=inf", "tune.space.algo.gamma.high=inf must be a finite"),
        ("tune.space.algo.lr.low=-1", "tune.space.algo.lr.low=-1"),
        (
            "+tune.space.algo.gama={type:float,low:0.1,high:0.2}",
            "tune.space.algo.gama={'type': 'float', 'low': 0.1, 'high': 0.2} names no setting; "
            "nearest: algo.gamma",
        ),
        (
            "tune.space.algo.group_size.choices=[1,4]",
            "tune.space.algo.group_size.choices=1 is outside what training accepts: "
            "algo.group_size must be",
        ),
    ],
)
def test_tune_refuses_bad_metric_and_space_before_any_trial(
    override, expect, tmp_path, monkeypatch, capsys
):
    monkeypatch.chdir(tmp_path)
    assert _refused([override], capsys, tmp_path).startswith(f"simrl-tune: error: {expect}")


def test_tune_space_outside_training_limits_is_refused(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    line = _refused(
        ["tune.space.algo.gamma.low=2", "tune.space.algo.gamma.high=5"], capsys, tmp_path
    )
    assert line == (
        "simrl-tune: error: tune.space.algo.gamma.low=2 is outside what training accepts: "
        "algo.gamma must be a number in [0.0, 1.0]"
    )


def test_tune_metric_choices_are_the_numbers_a_summary_holds():
    metrics = objective_metrics()
    assert {"final_return_mean", "success_rate", "best_eval_return", "wall_s"} <= set(metrics)
    assert not {"algo", "env_id", "status", "eval_curve", "seed"} & set(metrics)


def test_study_is_named_by_algo_and_env(tmp_path, monkeypatch):
    import simrl.cli.tune as tune_cli

    seen = {}

    def fake_tune(cfg, overrides, train, run=None, log=print):
        seen.update(name=cfg.study_name, out=cfg.out, run=run)
        return {"best_value": 0.0, "best_trial": 0, "command": "simrl-train"}

    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(tune_cli, "run_study", fake_tune)
    main([*STORE, "env=reacher"])
    assert seen == {
        "name": "grpo_Reacher-v5",
        "out": str(Path("tune") / "grpo_Reacher-v5"),
        "run": {"env_id": "Reacher-v5", "algo": "grpo"},
    }
    main([*STORE, "tune=ppo", "env=pusher"])
    assert seen["name"] == "ppo_Pusher-v5"
    main([*STORE, "env=reacher", "tune.study_name=mine"])
    assert (seen["name"], seen["out"]) == ("mine", str(Path("tune") / "mine"))


def test_a_study_never_mixes_envs(tmp_path, monkeypatch, capsys):
    import optuna

    monkeypatch.chdir(tmp_path)
    (tmp_path / "study").mkdir()
    study = optuna.create_study(study_name="mine", storage="sqlite:///study/optuna.db")
    study.set_user_attr("env_id", "Pusher-v5")
    study.set_user_attr("algo", "grpo")
    capsys.readouterr()  # Optuna's own log line of the study made here
    before = sorted(p.stat().st_mtime_ns for p in tmp_path.rglob("*"))
    with pytest.raises(SystemExit) as info:
        main([*STORE, "env=reacher", "tune.study_name=mine"])
    assert info.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [
        "simrl-tune: error: tune.study_name=mine holds trials of env_id Pusher-v5 in "
        "sqlite:///study/optuna.db; this search trains Reacher-v5: give another "
        "tune.study_name (default: grpo_Reacher-v5)"
    ]
    assert sorted(p.stat().st_mtime_ns for p in tmp_path.rglob("*")) == before
    assert not (tmp_path / "tune").exists()
