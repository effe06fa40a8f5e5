"""simrl-tune: two tiny Optuna trials into SQLite, then a resume that adds only the missing one."""

from __future__ import annotations

import csv
import json

import pytest

from simrl.cli.tune import split_overrides
from simrl.config.build import ConfigError
from simrl.tune.space import check_space, flatten_space

from .conftest import TINY, summary

TUNE = [
    "tune.study_name=t",
    "tune.storage=sqlite:///study/optuna.db",
    "tune.out=study/t",
    # a small space so every trial stays tiny
    "tune.space={algo:{lr:{type:float,low:0.0001,high:0.003,log:true},"
    "advantage:{type:categorical,choices:[outcome,rtg]}}}",
]


def test_space_and_argument_split():
    space = {
        "algo": {"lr": {"type": "float", "low": 1e-4, "high": 1e-3}},
        "seed": {"type": "int", "low": 0, "high": 3},
    }
    assert flatten_space(space) == {
        "algo.lr": {"type": "float", "low": 1e-4, "high": 1e-3},
        "seed": {"type": "int", "low": 0, "high": 3},
    }
    assert split_overrides(["tune.n_trials=3", "tune=grpo", "~tune.space.algo.beta", "seed=1"]) == (
        ["tune.n_trials=3", "tune=grpo", "~tune.space.algo.beta"],
        ["seed=1"],
    )
    with pytest.raises(
        ConfigError, match=r"^tune.space.algo.lr.type=uniform is not a parameter type"
    ):
        check_space({"algo.lr": {"type": "uniform"}})


def _tune(capsys, *args: str) -> str:
    """Run simrl-tune in process (same code path as the console script); return its stdout."""
    from simrl.cli.tune import main

    main(list(args))
    return capsys.readouterr().out


def test_tune_two_trials_then_resume(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)  # storage and trial dirs are relative to the cwd
    out = _tune(capsys, "tune.n_trials=2", *TUNE, *TINY)
    assert "0 finished, running 2" in out
    best = json.loads((tmp_path / "study/t/best.json").read_text())
    with open(tmp_path / "study/t/trials.csv") as fh:
        first = list(csv.DictReader(fh))
    assert [r["state"] for r in first] == ["COMPLETE", "COMPLETE"]
    values = [float(r["value"]) for r in first]
    # the objective is the run's final deterministic return from its summary.json
    for row in first:
        assert float(row["value"]) == summary(tmp_path / row["run_dir"])["final_return_mean"]
        assert (tmp_path / row["run_dir"] / ".hydra/overrides.yaml").exists()
    assert best["best_value"] == max(values) and best["n_complete"] == 2
    assert best["command"].startswith("simrl-train algo=grpo total_env_steps=800")
    assert (tmp_path / "study/optuna.db").exists()

    out = _tune(capsys, "tune.n_trials=3", *TUNE, *TINY)
    assert "2 finished, running 1" in out
    with open(tmp_path / "study/t/trials.csv") as fh:
        rows = list(csv.DictReader(fh))
    assert [r["number"] for r in rows] == ["0", "1", "2"]
    assert [float(r["value"]) for r in rows[:2]] == values  # not rerun
    assert rows[2]["algo.lr"] != rows[0]["algo.lr"]  # the resumed sampler does not replay


def test_tune_bad_setting_is_one_line(capsys):
    from simrl.cli.tune import main

    with pytest.raises(SystemExit) as info:
        main(["tune.sampler=grid", *TUNE])
    assert info.value.code == 2
    assert capsys.readouterr().err.strip().splitlines() == [
        "simrl-tune: error: tune.sampler=grid is not one of the choices; allowed: tpe, random"
    ]
