"""A run directory is data, never code; runs are never overwritten or mixed.

Each test protects one promise of the README's reliability section: resuming takes nothing from
the run dir that could import or call code; a directory holding a run (in any spelling of its
path) is refused unless explicitly resumed; an explicit resume must continue the same run (algo,
env, options, curriculum, model, seed); one process owns a run dir at a time, and a lock left by
a killed process is recognised and reported.
"""

from __future__ import annotations

import json
import os
import pickle
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from simrl.config.dirs import run_setting
from simrl.runs.ownership import LOCK_NAME, RunDirBusy, RunDirLock, run_files

from .conftest import TINY, run_cli, snapshot, summary


def _copy(src: Path, dst: Path) -> Path:
    shutil.copytree(src, dst)
    return dst


class _Marker:
    """A pickle that, if ever unpickled with code execution allowed, creates a file."""

    def __init__(self, path: Path) -> None:
        self.path = str(path)

    def __reduce__(self):
        return (Path.touch, (Path(self.path),))


def test_resume_never_runs_code_named_in_the_run_dir(finished_run, tmp_path):
    run = _copy(finished_run, tmp_path / "run")
    marker = tmp_path / "PWNED"
    payload = tmp_path / "payload.pkl"
    payload.write_bytes(pickle.dumps(_Marker(marker)))
    overrides = run / ".hydra" / "overrides.yaml"
    saved = yaml.safe_load(overrides.read_text())
    saved += [
        "+hydra.callbacks.x._target_=torch.load",
        f"+hydra.callbacks.x.f={payload}",
        "+hydra.callbacks.x.weights_only=false",
        "+env.options._target_=os.system",
    ]
    overrides.write_text(yaml.safe_dump(saved))
    proc = run_cli("train", f"resume={run}", "total_env_steps=1600", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert not marker.exists()
    assert summary(run)["env_steps"] == 1600


@pytest.mark.parametrize(
    "override",
    [
        "+hydra.callbacks.x._target_=torch.load",
        "hydra/launcher=joblib",
        "hydra.run.dir=/elsewhere",
        "+model._target_=os.system",
        "algo.lr=${oc.env:HOME}",
        "resume=/x",
    ],
)
def test_saved_overrides_that_are_not_plain_settings_are_dropped(override):
    assert not run_setting(override)
    assert run_setting("algo.lr=0.001") and run_setting("+env.options.crash_after_resets=2")


@pytest.mark.parametrize("form", ["literal", "interpolated", "relative", "symlink"])
def test_a_dir_holding_a_run_is_refused_in_every_spelling(finished_run, tmp_path, form):
    run = _copy(finished_run, tmp_path / "runs" / "done")
    (tmp_path / "other").mkdir()
    spelled = {
        "literal": str(run),
        "interpolated": "${oc.env:PWD}/runs/done",
        "relative": "other/../runs/./done",
        "symlink": "link",
    }[form]
    (tmp_path / "link").symlink_to(run)
    before = snapshot(run)
    proc = run_cli(
        "train", *TINY, f"hydra.run.dir={spelled}", cwd=tmp_path, env={"PWD": str(tmp_path)}
    )
    lines = proc.stderr.strip().splitlines()
    assert proc.returncode == 2 and len(lines) == 1, proc.stderr[-2000:]
    assert "holds another run" in lines[0] and "hydra.run.dir=" in lines[0]
    assert snapshot(run) == before


def test_a_killed_run_is_not_continued_under_another_config(finished_run, tmp_path):
    """A run dir with a checkpoint and no summary (killed): a plain run into it is refused, and
    so is a resume that changes the seed; the files stay as they were."""
    run = _copy(finished_run, tmp_path / "killed")
    (run / "summary.json").unlink()
    before = snapshot(run)
    proc = run_cli("train", *TINY, f"hydra.run.dir={run}", "seed=7", "algo.lr=0.05", cwd=tmp_path)
    assert proc.returncode == 2 and "holds another run (config.yaml" in proc.stderr
    proc = run_cli("train", f"resume={run}", "seed=7", cwd=tmp_path)
    assert proc.returncode == 2 and "seed mismatch" in proc.stderr, proc.stderr
    assert snapshot(run) == before


@pytest.mark.parametrize(
    ("overrides", "expect"),
    [
        (["curriculum=bank"], "env.curriculum.name mismatch"),
        (["env.options.reward=sparse"], "env.options mismatch"),
        (["model=base"], "does not match this model/env"),
    ],
)
def test_an_incompatible_resume_is_refused_before_anything_is_written(
    finished_run, tmp_path, overrides, expect
):
    run = _copy(finished_run, tmp_path / "run")
    before = snapshot(run)
    proc = run_cli("train", f"resume={run}", "total_env_steps=1600", *overrides, cwd=tmp_path)
    lines = proc.stderr.strip().splitlines()
    assert proc.returncode == 2 and len(lines) == 1, proc.stderr[-2000:]
    assert expect in lines[0]
    assert snapshot(run) == before  # summary still "completed", no error.log


def test_two_runs_never_share_a_new_run_dir(tmp_path):
    cmd = [sys.executable, "-m", "simrl.cli.train", *TINY, "hydra.run.dir=same"]
    env = {**os.environ, "MUJOCO_GL": os.environ.get("MUJOCO_GL", "egl")}
    procs = [
        subprocess.Popen([*cmd, f"seed={seed}"], cwd=tmp_path, env=env, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
        for seed in (1, 2)
    ]  # fmt: skip
    results = [(p, *p.communicate(timeout=300)) for p in procs]
    codes = sorted(p.returncode for p, _, _ in results)
    assert codes == [0, 2], [err[-500:] for _, _, err in results]
    (_, _, refused_err) = next(r for r in results if r[0].returncode == 2)
    assert "holds another run" in refused_err or "is in use by process" in refused_err
    winner = summary(tmp_path / "same")["seed"]  # the run dir holds the winner's files only
    assert f"seed: {winner}" in (tmp_path / "same" / "config.yaml").read_text()


def test_a_lock_left_by_a_killed_process_is_reported_and_taken_over(finished_run, tmp_path):
    run = _copy(finished_run, tmp_path / "run")
    dead = {"pid": 2**22 + 12345, "host": "gone"}
    (run / LOCK_NAME).write_text(json.dumps(dead))
    proc = run_cli("train", f"resume={run}", "total_env_steps=1600", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert f"left locked by process {dead['pid']} on gone" in proc.stderr
    assert (run / LOCK_NAME).read_text() == ""  # a clean end leaves no owner record


def test_a_live_owner_keeps_its_run_dir(tmp_path):
    """In-process view of the lock: a second process is refused while the first holds it."""
    lock = RunDirLock.acquire(tmp_path / "r")
    try:
        code = (
            "import sys; from simrl.runs.ownership import RunDirLock, RunDirBusy\n"
            "try:\n    RunDirLock.probe(sys.argv[1])\nexcept RunDirBusy as e:\n"
            "    print(e); sys.exit(3)\n"
        )
        proc = subprocess.run(
            [sys.executable, "-c", code, str(tmp_path / "r")], capture_output=True, text=True
        )
        assert proc.returncode == 3 and f"process {os.getpid()}" in proc.stdout
    finally:
        lock.release()
    RunDirLock.probe(tmp_path / "r")  # free again
    assert run_files(tmp_path / "r") == []
    assert issubclass(RunDirBusy, ValueError)


def test_train_log_holds_the_runs_lines(finished_run):
    """train.log (Hydra's job log) has the run's evaluation lines and its summary."""
    log = (finished_run / "train.log").read_text()
    assert "[simrl.run][INFO] iter 1 " in log and "[simrl.run][INFO] iter 2 " in log
    line = next(ln for ln in log.splitlines() if "[simrl.run][INFO] summary " in ln)
    logged = json.loads(line.split(" summary ", 1)[1])
    assert logged["status"] == "completed" and logged == summary(finished_run)
