"""End to end through the entry points: a local sweep (basic and joblib launchers), a failing run
inside a sweep, the report on it, simrl-eval on a run, bad overrides and --help."""

from __future__ import annotations

import csv
import json
import math
import statistics
from pathlib import Path

import pytest

from simrl.results import group_runs, load_runs, mean_curve
from simrl.results.sweep_report import write_report

from .conftest import GOAL_POINT, TESTS_ON_PATH, TINY, cpus, only_sweep_dir, run_cli, summary

# run dirs of the basic sweep: named by the swept keys only
OK = "+env.options.crash_after_resets=0,seed={seed}"
BAD = "+env.options.crash_after_resets=2,seed={seed}"
OK_GROUP, BAD_GROUP = "env.options.crash_after_resets=0", "env.options.crash_after_resets=2"


def _proc(sweep):
    return json.loads((sweep / "proc.json").read_text())


def test_sweep_runs_all_points_and_survives_a_failing_run(basic_sweep):
    proc = _proc(basic_sweep)
    # two of four runs failed: the sweep still ran all four and says so with status 1
    assert proc["returncode"] == 1, proc["stderr"][-2000:]
    assert "sweep finished: 4 runs, 2 failed" in proc["stdout"]
    assert (
        proc["stderr"].strip().splitlines()[-1].startswith("simrl-train: error: 2 of 4 runs failed")
    )
    names = sorted(p.name for p in basic_sweep.iterdir() if p.is_dir() and p.name != "report")
    # run dirs are named by the swept keys only
    assert names == [OK.format(seed=0), OK.format(seed=1), BAD.format(seed=0), BAD.format(seed=1)]
    assert (basic_sweep / "multirun.yaml").exists()
    for seed in (0, 1):
        ok = basic_sweep / OK.format(seed=seed)
        s = summary(ok)
        assert (s["status"], s["seed"], s["env_steps"], s["algo"]) == (
            "completed",
            seed,
            800,
            "grpo",
        )
        assert math.isfinite(s["final_return_mean"])
        for name in ("metrics.csv", "config.yaml", ".hydra/overrides.yaml", ".hydra/config.yaml"):
            assert (ok / name).exists(), name
        bad = summary(basic_sweep / BAD.format(seed=seed))
        assert bad["status"] == "failed"
        assert bad["error"] == "RuntimeError: GoalPoint crashed at reset 3 (crash_after_resets)"
        assert (basic_sweep / BAD.format(seed=seed) / "error.log").exists()


def test_report_aggregates_over_seeds_and_lists_failures(basic_sweep):
    out = write_report(basic_sweep)
    ok = [summary(basic_sweep / OK.format(seed=s)) for s in (0, 1)]
    returns = [s["final_return_mean"] for s in ok]
    with open(out / "report.csv") as fh:
        rows = {r["group"]: r for r in csv.DictReader(fh)}
    assert set(rows) == {OK_GROUP, BAD_GROUP}
    good = rows[OK_GROUP]
    assert (good["n"], good["failed"], good["seeds"]) == ("2", "0", "0 1")
    assert float(good["return_mean"]) == pytest.approx(statistics.mean(returns), rel=1e-6)
    assert float(good["return_std"]) == pytest.approx(statistics.stdev(returns), rel=1e-6)
    flops = [s["learner_flops_per_sample"] for s in ok]
    assert float(good["flops_per_sample_mean"]) == pytest.approx(statistics.mean(flops), rel=1e-6)
    bad = rows[BAD_GROUP]
    assert (bad["n"], bad["failed"]) == ("0", "2")
    md = (out / "report.md").read_text()
    assert "## Failed runs" in md and md.count("GoalPoint crashed at reset 3") == 2
    with open(out / "runs.csv") as fh:
        statuses = sorted(r["status"] for r in csv.DictReader(fh))
    assert statuses == ["completed", "completed", "failed", "failed"]
    assert (out / "curves.png").stat().st_size > 0
    assert len(list((out / "curves").glob("*.png"))) == 1  # failed group has no curve
    # the curve is the mean over seeds at each evaluation point
    groups = group_runs(load_runs(basic_sweep), robust=False)
    (group,) = [g for g in groups if g.label == OK_GROUP]
    last = [s["eval_curve"][-1]["return_mean"] for s in ok]
    grid, mean, _, _ = mean_curve([r.curve for r in group.completed])
    assert grid[-1] == 800 and mean[-1] == pytest.approx(statistics.mean(last))
    assert float(good["return_iqm"]) == pytest.approx(statistics.mean(returns), rel=1e-6)


def test_report_cli_errors_are_one_line(tmp_path, capsys):
    from simrl.cli.report import main

    with pytest.raises(SystemExit) as info:
        main([str(tmp_path / "missing")])
    assert info.value.code == 2
    assert capsys.readouterr().err.strip().splitlines() == [
        f"simrl-report: error: dir={tmp_path / 'missing'} is not a directory (give a sweep or outputs dir)"
    ]


def test_joblib_sweep_matches_basic_runs_with_reused_workers(basic_sweep, tmp_path):
    """loky reuses its 2 workers for 3 runs; seeds and torch threads stay per run, so each seed's
    run equals the basic launcher's run of the same seed (same thread count) bit for bit."""
    proc = run_cli(
        "train",
        "-m",
        "hydra/launcher=joblib",
        "hydra.launcher.n_jobs=2",
        "seed=2,1,0",
        "env=gym",
        f"env.id={GOAL_POINT}",
        "+env.options.crash_after_resets=0",
        *TINY,
        cwd=tmp_path,
        env=TESTS_ON_PATH,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    sweep = only_sweep_dir(tmp_path)
    assert sorted(p.name for p in sweep.iterdir() if p.is_dir()) == ["seed=0", "seed=1", "seed=2"]
    for seed in (0, 1):
        mine = summary(sweep / f"seed={seed}")
        ref = summary(basic_sweep / OK.format(seed=seed))
        assert mine["num_threads"] == max(1, cpus() // 2)
        assert mine["final_return_mean"] == ref["final_return_mean"]
        assert mine["eval_curve"] == [
            {**p, "wall_s": mine["eval_curve"][i]["wall_s"]}
            for i, p in enumerate(ref["eval_curve"])
        ]


def test_eval_cli_on_a_sweep_run(basic_sweep, capsys):
    run_dir = basic_sweep / OK.format(seed=0)
    proc = run_cli(
        "eval", f"checkpoint={run_dir}", "episodes=2", cwd=basic_sweep, env=TESTS_ON_PATH
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    result = json.loads((run_dir / "eval.json").read_text())
    assert result["episodes"] == 2 and len(result["returns"]) == 2
    # same start states as the run's own final evaluation (run's eval seed, deterministic policy)
    assert result["return_mean"] == pytest.approx(summary(run_dir)["final_return_mean"], rel=1e-6)
    from simrl.cli.eval import main

    with pytest.raises(SystemExit) as info:
        main(["episodes=2"])
    assert info.value.code == 2
    assert capsys.readouterr().err.strip().splitlines() == [
        "simrl-eval: error: checkpoint=??? is required: simrl-eval checkpoint=RUN_DIR_OR_FILE"
    ]


def test_bad_override_exits_2_with_one_line(tmp_path):
    proc = run_cli("train", "algo.clip_low=-1", cwd=tmp_path)
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == [
        "simrl-train: error: algo.clip_low=-1.0 must be a number in [0.0, 1.0]"
    ]
    assert not (tmp_path / "outputs").exists()  # nothing started


def _help(main, capsys) -> str:
    """Run an entry point's --help in process (Hydra prints it and exits 0)."""
    from hydra.core.global_hydra import GlobalHydra

    try:
        with pytest.raises(SystemExit) as info:
            main(["--help"])
    finally:
        GlobalHydra.instance().clear()
    assert info.value.code in (0, None)
    return capsys.readouterr().out


EXPERIMENTS = Path(__file__).resolve().parents[2] / "conf" / "experiment"


def test_help_lists_groups_and_common_overrides(capsys):
    from simrl.cli import eval as eval_cli
    from simrl.cli import train

    out = _help(train.main, capsys)
    for line in (
        "algo: grpo, ppo",
        "env: gym, pick_place, push, pusher, reach, reacher",
        "model: base, large, small, xl",
        "precision: auto, bf16, fp32, fp8",
        "experiment: " + ", ".join(sorted(p.stem for p in EXPERIMENTS.glob("*.yaml"))),
        "hydra/launcher: basic, joblib, ray_local, ray_cluster, slurm, submitit_local",
        "Common overrides:",
        "simrl-train -m algo=grpo,ppo env=reacher seed=0,1,2",
        "hydra/launcher=joblib",
    ):
        assert line in out, line
    groups = out.split("Common overrides")[0]
    assert "schema" not in groups and "tune:" not in groups
    assert "simrl-eval checkpoint=RUN_DIR_OR_FILE" in _help(eval_cli.main, capsys)


def test_resume_a_sweep_run_in_place(basic_sweep, tmp_path):
    """`simrl-train resume=RUN_DIR` (a sweep dir name full of '=' and ',') takes the run's own
    overrides from .hydra/overrides.yaml, continues in the same directory and keeps .hydra/."""
    import shutil

    src = basic_sweep / OK.format(seed=1)
    run_dir = tmp_path / src.name
    shutil.copytree(src, run_dir)
    overrides_before = (run_dir / ".hydra/overrides.yaml").read_text()
    proc = run_cli(
        "train", f"resume={run_dir}", "total_env_steps=1200", cwd=tmp_path, env=TESTS_ON_PATH
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    s = summary(run_dir)
    assert (s["status"], s["env_steps"], s["seed"]) == ("completed", 1200, 1)
    assert s["resumed_from"].endswith("checkpoints/last.pt")
    assert [p["env_steps"] for p in s["eval_curve"]] == [400, 800, 1200]
    assert (run_dir / ".hydra/overrides.yaml").read_text() == overrides_before
    assert len(list((run_dir / ".hydra").glob("resume_*/overrides.yaml"))) == 1
    assert not (tmp_path / "outputs").exists()
