"""Preemption through submitit (SLURM's path, run locally with `hydra/launcher=submitit_local`):
the preempted run saves a checkpoint, submitit requeues the job, and the requeued job resumes
from that checkpoint in the same run directory, ending where an uninterrupted run ends."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys

import pytest
import torch

from simrl.runs import load_checkpoint

from .conftest import TESTS_ON_PATH, TINY, only_sweep_dir, run_cli, summary

NEEDS_SUBMITIT = pytest.mark.skipif(
    importlib.util.find_spec("hydra_plugins.hydra_submitit_launcher") is None,
    reason="needs the slurm extra: pip install 'simrl[slurm]'",
)
CKPT = [a for a in TINY if not a.startswith("checkpoint_every")] + ["checkpoint_every=1"]


@NEEDS_SUBMITIT
@pytest.mark.slow
def test_preempted_submitit_job_is_requeued_and_resumes_exactly(tmp_path):
    preempted = tmp_path / "preempted"
    preempted.mkdir()
    # the job (and its callback) travels to submitit's worker pickled, and again when requeued
    driver = (
        "import sys\nfrom testenvs.preempt import PreemptOnce\nfrom simrl.cli.train import main\n"
        "main(sys.argv[1:], callbacks=[PreemptOnce()])\n"
    )
    args = ["-m", "hydra/launcher=submitit_local", "seed=3", "num_threads=1", *CKPT]
    proc = subprocess.run(
        [sys.executable, "-c", driver, *args],
        cwd=preempted,
        env={**os.environ, **TESTS_ON_PATH},
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    (run_dir,) = [p for p in only_sweep_dir(preempted).iterdir() if p.is_dir() and p.name[0] != "."]
    assert (run_dir / "preempted.marker").exists()  # the job was signalled once
    s = summary(run_dir)
    assert s["status"] == "completed" and s["env_steps"] == 800
    assert s["resumed_from"] and s["resumed_from"].endswith("checkpoints/last.pt")
    # the same run without preemption ends with the same weights
    straight = tmp_path / "straight"
    straight.mkdir()
    proc = run_cli("train", "seed=3", "num_threads=1", *CKPT, "hydra.run.dir=run", cwd=straight)
    assert proc.returncode == 0, proc.stderr[-3000:]
    a = load_checkpoint(run_dir)["trainer"]["policy"]
    b = load_checkpoint(straight / "run")["trainer"]["policy"]
    assert all(torch.equal(a[k], b[k]) for k in a)
