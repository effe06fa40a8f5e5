"""`simrl-bench` end to end on a tiny budget, and its one-line errors."""

import csv
import json

import pytest

from simrl.cli.bench import main

TINY = [
    "model=small",
    "total_env_steps=400",
    "grpo.num_groups=2",
    "grpo.group_size=2",  # 2 x 2 x 50 = 200 env steps per GRPO iteration
    "ppo.n_envs=2",
    "ppo.n_steps=50",  # 100 env steps per PPO iteration
    "ppo.batch_size=50",
    "ppo.n_epochs=1",
    "eval_episodes=2",
    "bench.seeds=[0]",
    "bench.eval_points=2",
    "progress=false",
    "tensorboard=false",
    "num_threads=1",
]


@pytest.mark.slow
def test_tiny_bench_end_to_end(tmp_path, capsys):
    main([*TINY, f"hydra.run.dir={tmp_path}"])
    res = json.loads((tmp_path / "results.json").read_text())
    assert sorted(res["aggregate"]) == ["grpo", "ppo"]
    assert res["setup"]["iteration_env_steps"] == {"grpo": 200, "ppo": 100}
    for run in res["runs"]:
        assert run["status"] == "completed" and run["env_steps"] == 400
    # PPO: a second Core of the same preset plus a value head -> about twice GRPO's parameters
    assert 1.9 < 1 / res["ratios"]["params_trainable"] < 2.1
    assert (tmp_path / "report.md").exists() and (tmp_path / "learning_curves.png").exists()
    # memory at equal per-pass batches, in its own two-iteration pass; learning at own settings
    assert res["setup"]["per_pass_batch"] == 50
    learn = (tmp_path / "runs" / "grpo_seed0" / "config.yaml").read_text()
    memory = (tmp_path / "memory" / "runs" / "grpo_seed0" / "config.yaml").read_text()
    assert "micro_batch_size: 0" in learn and "micro_batch_size: 50" in memory
    mem = {r["algo"]: r for r in res["memory_runs"]}
    assert sorted(mem) == ["grpo", "ppo"] and all(r["status"] == "completed" for r in mem.values())
    for algo in ("grpo", "ppo"):  # two iterations: the second is the memory-metered one
        with open(tmp_path / "memory" / "runs" / f"{algo}_seed0" / "metrics.csv") as f:
            rows = list(csv.DictReader(f))
        assert [float(r["memory_metered"]) for r in rows] == [0.0, 1.0], algo
    for algo in ("grpo", "ppo"):
        agg = res["aggregate"][algo]
        assert agg["memory_from"].startswith("memory pass")
        want = mem[algo]["peak_learner_memory_bytes"]
        assert agg["peak_learner_memory_bytes"]["mean"] == want
    out = capsys.readouterr().out
    assert "[1/2] grpo seed 0" in out and "[2/2] ppo seed 0" in out
    # Same directory again: completed runs are reused, not retrained.
    main([*TINY, f"hydra.run.dir={tmp_path}"])
    assert "already completed with the same settings" in capsys.readouterr().out
    # A changed GRPO setting retrains GRPO only; the old GRPO run is kept aside, not deleted.
    main([*TINY, "grpo.lr=0.001", f"hydra.run.dir={tmp_path}"])
    out = capsys.readouterr().out
    assert "[1/2] grpo seed 0: training" in out and "kept as grpo_seed0.old-1" in out
    assert "[2/2] ppo seed 0: already completed" in out
    assert (tmp_path / "runs" / "grpo_seed0.old-1" / "summary.json").exists()
    saved = (tmp_path / "runs" / "grpo_seed0" / "config.yaml").read_text()
    assert "lr: 0.001" in saved


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ("ppo.n_epochs=0", "simrl-bench: error: ppo.n_epochs=0 must be an integer >= 1"),
        ("grpo.clip_low=-1", "simrl-bench: error: grpo.clip_low=-1"),
        ("bench.seeds=[]", "simrl-bench: error: bench.seeds=[] must be a non-empty list"),
        ("model=huge", "simrl-bench: error: model=huge is not an option of group model"),
    ],
)
def test_bad_override_one_line(override, message, capsys):
    with pytest.raises(SystemExit) as info:
        main([override])
    assert info.value.code == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith(message) and "\n" not in err


def test_quick_mode_records_its_changes_in_the_runs_config() -> None:
    """bench.quick shortens the runs; each run's config.yaml (its `config_dict`) says exactly
    what it ran with, the same values as the run settings."""
    from hydra import compose, initialize_config_module

    from simrl.cli.bench import build_bench
    from simrl.config.schema import register

    register()
    with initialize_config_module("simrl.conf", version_base="1.3"):
        cfg = compose("bench", overrides=[*TINY, "bench.quick=true", "checkpoint_every=5"])
    bench, built, setup = build_bench(cfg)
    assert bench.seeds == [0] and setup["quick"] is True
    for spec in built.values():
        for key in ("total_env_steps", "eval_every", "eval_episodes", "checkpoint_every"):
            assert spec.config_dict[key] == getattr(spec.run, key), key
        assert spec.run.checkpoint_every == 0 and spec.config_dict["tensorboard"] is False
        assert spec.config_dict["total_env_steps"] == 3 * 200  # three GRPO iterations


@pytest.mark.parametrize("every_steps", [0, 100])
def test_eval_schedule_in_env_steps_is_kept(every_steps: int) -> None:
    """A config that evaluates every N env steps (the locomotion presets) keeps that schedule on
    both sides, so a run made with `simrl-train` and the same settings is reused by the bench;
    without it each side evaluates about `bench.eval_points` times (400 steps / 2 points: every
    200 steps = 1 GRPO iteration of 200, 2 PPO iterations of 100)."""
    from hydra import compose, initialize_config_module

    from simrl.cli.bench import build_bench
    from simrl.config.schema import register

    register()
    with initialize_config_module("simrl.conf", version_base="1.3"):
        cfg = compose("bench", overrides=[*TINY, "eval_every=7", f"eval_every_steps={every_steps}"])
    _, built, _ = build_bench(cfg)
    want = {"grpo": 1, "ppo": 2} if every_steps == 0 else {"grpo": 7, "ppo": 7}
    for algo, spec in built.items():
        assert spec.run.eval_every == spec.config_dict["eval_every"] == want[algo], algo
        assert spec.run.eval_every_steps == spec.config_dict["eval_every_steps"] == every_steps
