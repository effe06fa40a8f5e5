"""Shared helpers of the CLI tests: tiny budgets and running the entry points as subprocesses."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

# Two GRPO iterations of 2 groups x 4 rows x 50 steps on Reacher-v5, evaluated after each.
TINY = [
    "total_env_steps=800",
    "algo.num_groups=2",
    "algo.group_size=4",
    "eval_episodes=2",
    "eval_every=1",
    "checkpoint_every=0",
    "progress=false",
    "tensorboard=false",
]


def cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def run_cli(module: str, *args: str, cwd: Path, env: dict | None = None, timeout: float = 300):
    """Run `python -m simrl.cli.<module> args...` in `cwd`; return the CompletedProcess."""
    full_env = {**os.environ, "MUJOCO_GL": os.environ.get("MUJOCO_GL", "egl"), **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", f"simrl.cli.{module}", *args],
        cwd=cwd,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def only_sweep_dir(root: Path) -> Path:
    """The single sweep directory multirun/<date>/<time> under `root`."""
    dirs = [p for p in (root / "multirun").glob("*/*") if p.is_dir()]
    assert len(dirs) == 1, dirs
    return dirs[0]


def summary(run_dir: Path) -> dict:
    return json.loads((run_dir / "summary.json").read_text())


def snapshot(root: Path) -> dict[str, bytes]:
    """Every file below `root` with its bytes (to show a refused command changed nothing)."""
    return {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*") if p.is_file()}


@pytest.fixture(scope="session")
def finished_run(tmp_path_factory) -> Path:
    """A completed GRPO run on simrl/Reach-v0 (the default env) with checkpoints, made through
    the CLI once per session; tests that change it work on a copy."""
    cwd = tmp_path_factory.mktemp("finished")
    proc = run_cli("train", *TINY, "checkpoint_every=1", "hydra.run.dir=run", cwd=cwd)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert summary(cwd / "run")["status"] == "completed"
    return cwd / "run"


GOAL_POINT = "testenvs.goal_point:simrl_test/GoalPoint-v0"  # the tests' own MuJoCo env
TESTS_ON_PATH = {"PYTHONPATH": str(Path(__file__).resolve().parents[1])}  # imports `testenvs`


@pytest.fixture(scope="module")
def basic_sweep(tmp_path_factory) -> Path:
    """`simrl-train -m seed=0,1 +env.options.crash_after_resets=0,2` on the tests' GoalPoint env
    with the basic launcher: the two runs whose env crashes at its third reset fail while running
    (every value is valid, so the up-front check passes), the others complete."""
    cwd = tmp_path_factory.mktemp("basic_sweep")
    threads = max(1, cpus() // 2)  # what a 2-job joblib sweep gives each run
    proc = run_cli(
        "train",
        "-m",
        "env=gym",
        f"env.id={GOAL_POINT}",
        "seed=0,1",
        "+env.options.crash_after_resets=0,2",
        f"num_threads={threads}",
        *TINY,
        cwd=cwd,
        env=TESTS_ON_PATH,
    )
    sweep = only_sweep_dir(cwd)
    sweep.joinpath("proc.json").write_text(
        json.dumps({"returncode": proc.returncode, "stdout": proc.stdout, "stderr": proc.stderr})
    )
    return sweep
