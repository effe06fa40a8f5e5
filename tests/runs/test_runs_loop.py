"""Run loop with a fake trainer: outputs, resume exactness, NaN guard, mismatched checkpoints."""

from __future__ import annotations

import csv
import json
from dataclasses import replace
from pathlib import Path

import pytest
import torch
from _runs_fakes import FakeAlgoConfig, FakeBatch, FakeModelConfig, fake_factory, make_fake_env

from simrl.nn.compute import ComputeConfig
from simrl.runs import CheckpointError, load_checkpoint, run_training
from simrl.runs.config import RunConfig
from simrl.runs.spec import TrainSpec
from simrl.runs.summary import REQUIRED_SUMMARY_KEYS
from simrl.sim.config import EnvConfig

STEPS_PER_ITER = 2 * 4 * 5  # num_groups * group_size * horizon


def _run(tmp_path: Path, name: str = "run", algo_cfg=None, model_cfg=None, env_cfg=None, **run_kw):
    run_kw.setdefault("total_env_steps", 8 * STEPS_PER_ITER)
    run_kw.setdefault("eval_every", 2)
    run_kw.setdefault("eval_episodes", 3)
    run_kw.setdefault("checkpoint_every", 2)
    run_kw.setdefault("progress", False)
    run_kw.setdefault("tensorboard", False)
    run = RunConfig(seed=3, **run_kw)
    spec = TrainSpec(
        "fake",
        env_cfg or EnvConfig(id="Fake-v0"),
        model_cfg or FakeModelConfig(),
        algo_cfg or FakeAlgoConfig(),
        run,
        config_dict={"note": "test"},
    )
    return run_training(
        spec,
        tmp_path / name,
        trainer_factory=fake_factory,
        env_factory=make_fake_env,
    )


def _params(ckpt: Path) -> torch.Tensor:
    state = load_checkpoint(ckpt)["trainer"]
    return torch.cat([*(v.flatten() for v in state["model"].values()), state["log_std"]])


def test_outputs_summary_metrics_and_plot(tmp_path: Path) -> None:
    summary = _run(tmp_path, tensorboard=True)
    run_dir = tmp_path / "run"
    on_disk = json.loads((run_dir / "summary.json").read_text())
    for key in REQUIRED_SUMMARY_KEYS:
        assert key in on_disk, key
    assert on_disk["status"] == "completed" and summary["status"] == "completed"
    assert on_disk["env_steps"] == 8 * STEPS_PER_ITER and on_disk["iterations"] == 8
    assert on_disk["params_trainable"] == 3 * 8 + 8 + 8 * 2 + 2 + 2  # learner_stats passed through
    assert on_disk["precision_effective"] == "fp32"
    # eval at iterations 2, 4, 6, 8 (the last one is also the final eval)
    assert [p["iteration"] for p in on_disk["eval_curve"]] == [2, 4, 6, 8]
    assert on_disk["final_return_mean"] == on_disk["eval_curve"][-1]["return_mean"]
    assert 0.0 <= on_disk["success_rate"] <= 1.0
    with open(run_dir / "metrics.csv") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 8
    assert [int(r["iteration"]) for r in rows] == list(range(1, 9))
    assert rows[0].keys() >= {"return_mean", "loss", "env_steps_per_s", "eval_return_mean"}
    assert rows[0]["eval_return_mean"] == "" and rows[1]["eval_return_mean"] != ""
    assert (run_dir / "learning_curve.png").stat().st_size > 1000
    assert (run_dir / "config.yaml").read_text().strip() == "note: test"
    assert any((run_dir / "tb").iterdir())
    ckpt = load_checkpoint(run_dir)  # a run dir resolves to checkpoints/last.pt
    assert ckpt["iteration"] == 8 and ckpt["algo"] == "fake" and ckpt["obs_dim"] == 3
    assert (run_dir / "checkpoints" / "best.pt").exists()


def test_same_seed_same_run(tmp_path: Path) -> None:
    _run(tmp_path, "a", total_env_steps=3 * STEPS_PER_ITER)
    _run(tmp_path, "b", total_env_steps=3 * STEPS_PER_ITER)
    a, b = tmp_path / "a" / "checkpoints" / "last.pt", tmp_path / "b" / "checkpoints" / "last.pt"
    assert torch.equal(_params(a), _params(b))


def test_interrupted_and_resumed_run_ends_with_identical_params(tmp_path: Path) -> None:
    _run(tmp_path, "full")
    # Interrupted at the start of iteration 6 (0-based 5): the last checkpoint is iteration 4.
    stopped = _run(tmp_path, "part", algo_cfg=FakeAlgoConfig(interrupt_at=5), tensorboard=True)
    assert stopped["status"] == "stopped"
    assert load_checkpoint(tmp_path / "part")["iteration"] == 4
    assert json.loads((tmp_path / "part" / "summary.json").read_text())["status"] == "stopped"
    resumed = _run(tmp_path, "part", resume=str(tmp_path / "part"), tensorboard=True)
    assert resumed["status"] == "completed" and resumed["resumed_from"].endswith("last.pt")
    full, part = (
        tmp_path / "full" / "checkpoints" / "last.pt",
        tmp_path / "part" / "checkpoints" / "last.pt",
    )
    assert torch.equal(_params(full), _params(part))
    # The resumed run dir is complete: 8 metric rows, the same eval curve as the uninterrupted run.
    with open(tmp_path / "part" / "metrics.csv") as f:
        assert [int(r["iteration"]) for r in csv.DictReader(f)] == list(range(1, 9))
    full_sum = json.loads((tmp_path / "full" / "summary.json").read_text())
    part_sum = json.loads((tmp_path / "part" / "summary.json").read_text())
    strip = [{k: v for k, v in p.items() if k != "wall_s"} for p in full_sum["eval_curve"]]
    assert strip == [{k: v for k, v in p.items() if k != "wall_s"} for p in part_sum["eval_curve"]]
    assert part_sum["final_return_mean"] == full_sum["final_return_mean"]


def test_resume_into_new_dir_and_extend_budget(tmp_path: Path) -> None:
    _run(tmp_path, "a", total_env_steps=4 * STEPS_PER_ITER)
    out = _run(
        tmp_path,
        "b",
        total_env_steps=6 * STEPS_PER_ITER,
        resume=str(tmp_path / "a" / "checkpoints" / "last.pt"),
    )
    assert out["iterations"] == 6
    with open(tmp_path / "b" / "metrics.csv") as f:
        assert len(list(csv.DictReader(f))) == 6


def test_nan_guard_stops_after_three_and_keeps_last_good_checkpoint(tmp_path: Path) -> None:
    out = _run(tmp_path, algo_cfg=FakeAlgoConfig(nan_from_iteration=3), checkpoint_every=1)
    assert out["status"] == "failed"
    assert "3 non-finite updates in a row" in out["error"] and "iterations 3..5" in out["error"]
    assert out["nonfinite_updates"] == 3 and out["iterations"] == 5
    assert load_checkpoint(tmp_path / "run")["iteration"] == 2
    assert json.loads((tmp_path / "run" / "summary.json").read_text())["status"] == "failed"
    with open(tmp_path / "run" / "metrics.csv") as f:
        assert len(list(csv.DictReader(f))) == 5


def test_mismatched_checkpoints_are_refused_and_nothing_is_lost(tmp_path: Path) -> None:
    _run(tmp_path, "a", total_env_steps=2 * STEPS_PER_ITER)
    ckpt = tmp_path / "a" / "checkpoints" / "last.pt"
    before = ckpt.read_bytes()
    resume = str(ckpt)
    with pytest.raises(
        CheckpointError, match=r"obs_dim mismatch, checkpoint has 3 but this run has 4"
    ):
        _run(tmp_path, "b", env_cfg=EnvConfig(id="Fake-v0", options={"obs_dim": 4}), resume=resume)
    with pytest.raises(CheckpointError, match=r"env_id mismatch.*'Fake-v0'.*'Other-v0'"):
        _run(tmp_path, "b", env_cfg=EnvConfig(id="Other-v0"), resume=resume)
    with pytest.raises(CheckpointError, match=r"does not fit this run's model") as info:
        _run(tmp_path, "b", model_cfg=FakeModelConfig(hidden=16), resume=resume)
    assert str(ckpt) in str(info.value) and "\n" not in str(info.value)
    with pytest.raises(CheckpointError, match=r"algo mismatch"):
        run_training(
            TrainSpec(
                "other", EnvConfig(id="Fake-v0"), FakeModelConfig(), FakeAlgoConfig(),
                RunConfig(resume=resume, progress=False, tensorboard=False), config_dict={},
            ),
            tmp_path / "c", trainer_factory=fake_factory, env_factory=make_fake_env,
        )  # fmt: skip
    assert ckpt.read_bytes() == before
    assert not (tmp_path / "b" / "summary.json").exists()  # refused before any work


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("total_env_steps", 0, "total_env_steps=0 must be an integer >= 1"),
        ("eval_episodes", 0, r"eval_episodes=0 must be an integer in \[1, 65536\]"),
        ("checkpoint_every", -1, "checkpoint_every=-1 must be an integer >= 0"),
        ("device", "tpu", "unknown device 'tpu'"),
    ],
)
def test_bad_run_settings_one_line_errors(tmp_path: Path, field: str, value, message: str) -> None:
    run, compute = RunConfig(progress=False), ComputeConfig()
    with pytest.raises(ValueError, match=message) as err:  # settings refuse a bad value at once
        if hasattr(run, field):
            run = replace(run, **{field: value})
        else:
            compute = replace(compute, **{field: value})
        run_training(
            TrainSpec(
                "fake", EnvConfig(id="Fake-v0"), FakeModelConfig(), FakeAlgoConfig(), run,
                compute=compute, config_dict={},
            ),
            tmp_path / "r", trainer_factory=fake_factory, env_factory=make_fake_env,
        )  # fmt: skip
    assert "\n" not in str(err.value)
    assert not (tmp_path / "r").exists()


def test_trainer_that_makes_no_progress_fails_cleanly(tmp_path: Path) -> None:
    def stuck_factory(*args, **kw):
        trainer = fake_factory(*args, **kw)
        trainer.collect = lambda: FakeBatch(0, [], [], [], {}, 0.0)
        trainer.update = lambda batch: {"return_mean": 0.0}
        return trainer

    with pytest.raises(RuntimeError, match="consumed no env steps at iteration 0"):
        run_training(
            TrainSpec(
                "fake", EnvConfig(id="Fake-v0"), FakeModelConfig(), FakeAlgoConfig(),
                RunConfig(progress=False, tensorboard=False), config_dict={},
            ),
            tmp_path / "r", trainer_factory=stuck_factory, env_factory=make_fake_env,
        )  # fmt: skip
    summary = json.loads((tmp_path / "r" / "summary.json").read_text())
    assert summary["status"] == "failed" and "consumed no env steps" in summary["error"]


def test_run_training_names_what_it_takes_when_given_something_else(tmp_path: Path) -> None:
    """The old positional form (`run_training("fake", env, ...)`) is one line naming TrainSpec."""
    with pytest.raises(TypeError) as err:
        run_training("fake", tmp_path / "r")  # type: ignore[arg-type]
    text = str(err.value)
    assert "\n" not in text and "TrainSpec" in text and "str" in text
    assert not (tmp_path / "r").exists()
