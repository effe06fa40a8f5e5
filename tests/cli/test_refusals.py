"""Refused commands touch nothing; runs get directories of their own; output fits 80 columns.

Every refusal path of `simrl-train` (a bad value, an unknown key, a resume target it cannot
continue) exits with status 2 and one line naming the key, before anything is written: no new run
directory, and a resume target's files stay byte for byte as they were.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import TINY, run_cli, snapshot, summary


def _refused(args: list[str], cwd: Path, expect: str) -> None:
    proc = run_cli("train", *args, cwd=cwd)
    lines = proc.stderr.strip().splitlines()
    assert proc.returncode == 2, proc.stderr[-2000:]
    assert len(lines) == 1 and lines[0].startswith("simrl-train: error: "), proc.stderr
    assert expect in lines[0], lines[0]
    assert not (cwd / "outputs").exists() and not (cwd / "multirun").exists()


@pytest.mark.parametrize(
    ("overrides", "expect"),
    [
        (["algo=ppo"], "algo mismatch, checkpoint has 'grpo' but this run has 'ppo'"),
        (["env=push"], "env_id mismatch"),
        (["model.width=128"], "does not match this model/env: core.net.0.weight"),
        ([], "cannot be read, truncated or not a checkpoint"),  # (last.pt cut short below)
    ],
)
def test_refused_resume_leaves_the_target_untouched(finished_run, tmp_path, overrides, expect):
    target = tmp_path / "target"
    shutil.copytree(finished_run, target)
    if not overrides:
        ckpt = target / "checkpoints" / "last.pt"
        ckpt.write_bytes(ckpt.read_bytes()[:300])
    before = snapshot(target)
    resume = target
    if overrides == ["algo=ppo"]:  # a bare checkpoint file: the run's own GRPO keys do not apply
        resume = tmp_path / "ckpt" / "last.pt"
        resume.parent.mkdir()
        shutil.copy(target / "checkpoints" / "last.pt", resume)
    _refused([f"resume={resume}", *overrides], tmp_path, expect)
    assert snapshot(target) == before  # no summary rewrite, no error.log, no .hydra/resume_*


@pytest.mark.parametrize(
    ("overrides", "expect"),
    [
        (["seed=-1"], "seed=-1 must be an integer in [0, 4294967295]"),
        (["algo.lr=nan"], "algo.lr=nan must be a number in (0, 10], or 0 for auto"),
        (["algo.lr=inf"], "algo.lr=inf must be a number in (0, 10], or 0 for auto"),
        (["algo.beta=nan"], "algo.beta=nan must be a number >= 0"),
        (
            ["algo=ppo", "algo.learning_rate=nan"],
            "algo.learning_rate=nan must be a number in (0, 10.0]",
        ),
        (["+algo.nosuch=1"], "algo.nosuch=1: no such key; nearest: "),
        (["+precision.nosuch=1"], "precision.nosuch"),
        (["+env.curriculum=1"], "env.curriculum=1: no such key"),  # a top-level group
        (["curriculum=adaptive", "curriculum.variant_levels=x"], "curriculum.variant_levels=x"),
        (["env=push", "+env.options.approach=x"], "approach='x' for task 'simrl/Push-v0'"),
        (["experiment=nosuch"], "experiment=nosuch is not an option of group experiment"),
        (["env.options.reward=nosuch"], "reward='nosuch' for task 'simrl/Reach-v0' is not one of"),
        (["curriculum=nosuch"], "curriculum=nosuch is not an option of group curriculum"),
        (["curriculum.prob=2"], "curriculum.prob=2.0 must be a number in [0.0, 1.0]"),
        (["device=tpu"], "device=tpu cannot be used: unknown device 'tpu'"),
    ],
)
def test_bad_values_are_refused_up_front_and_write_nothing(tmp_path, overrides, expect):
    _refused(overrides, tmp_path, expect)


def test_emulated_fp8_is_a_real_key(tmp_path):
    """The fp8 fallback's advice (precision.emulate=true) is a key the command line accepts."""
    proc = run_cli("train", "--cfg", "job", "precision=fp8", "precision.emulate=true", cwd=tmp_path)
    assert proc.returncode == 0 and "emulate: true" in proc.stdout


def test_runs_started_together_get_directories_of_their_own(tmp_path):
    """Two runs asking for the same directory in the same second: each gets its own."""
    cmd = [sys.executable, "-m", "simrl.cli.train", *TINY, "hydra.run.dir=${simrl.new_dir:out/x}"]
    procs = [
        subprocess.Popen([*cmd, f"seed={seed}"], cwd=tmp_path, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
        for seed in (1, 2)
    ]  # fmt: skip
    for p in procs:
        _, err = p.communicate(timeout=300)
        assert p.returncode == 0, err[-2000:]
    dirs = sorted((tmp_path / "out").iterdir())
    assert [d.name for d in dirs] == ["x", "x-2"]
    seeds = sorted(summary(d)["seed"] for d in dirs)
    assert seeds == [1, 2]
    for d in dirs:  # each directory holds one run's files only
        assert f"seed: {summary(d)['seed']}" in (d / "config.yaml").read_text()


def test_output_fits_80_columns_one_record_per_line(finished_run, tmp_path):
    """Not on a terminal: one plain line per evaluation and per summary entry, none over 80
    columns except those that print a path, which is printed whole."""
    proc = run_cli("train", *[a for a in TINY if a != "progress=false"], "hydra.run.dir=r",
                   cwd=tmp_path)  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-2000:]
    lines = (proc.stdout + proc.stderr).splitlines()
    progress = [ln for ln in lines if ln.startswith("iter ")]
    assert len(progress) == 2  # eval_every=1, two iterations
    for line in lines:
        if "/" not in line:
            assert len(line) <= 80, line
    run_dir = str((tmp_path / "r").resolve())
    assert any(line.rstrip().endswith(run_dir) for line in lines)  # a path is never split
    assert any(line.strip().startswith("success_rate") for line in lines)
