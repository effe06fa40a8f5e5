"""SIGINT / SIGTERM stop a run after the current iteration with a checkpoint and a summary that
describes it; the run then resumes to exactly the uninterrupted result. The signal is sent from
the run's own checkpoint callback (no sleeping), and the CLI exits with 128 + the signal."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from _runs_fakes import FakeAlgoConfig, FakeModelConfig, fake_factory, make_fake_env

from simrl.runs import RunCallback, TrainSpec, load_checkpoint, run_training
from simrl.runs.config import RunConfig
from simrl.sim.config import EnvConfig

PER_ITER = 2 * 4 * 5  # FakeAlgoConfig groups x group size x FakeGroupEnv horizon


class _OnCheckpoint(RunCallback):
    def __init__(self, fn) -> None:
        self.fn = fn

    def on_checkpoint(self, path: Path, iteration: int) -> None:
        self.fn(path, iteration)


def _train(run_dir: Path, on_checkpoint=None, **run_kw) -> dict:
    """A fake run; `on_checkpoint(path, iteration)` is called after each of its checkpoints."""
    run = RunConfig(
        seed=5, total_env_steps=6 * PER_ITER, eval_every=2, eval_episodes=2, checkpoint_every=1,
        progress=False, tensorboard=False, **run_kw,
    )  # fmt: skip
    spec = TrainSpec("fake", EnvConfig(id="Fake-v0"), FakeModelConfig(), FakeAlgoConfig(), run)
    return run_training(
        spec, run_dir, trainer_factory=fake_factory, env_factory=make_fake_env,
        callbacks=[_OnCheckpoint(on_checkpoint)] if on_checkpoint is not None else [],
    )  # fmt: skip


def _signal_at(sig: int, iteration: int):
    """A checkpoint callback that sends `sig` to this process once, after checkpoint `iteration`."""
    sent = {"done": False}

    def callback(path: Path, at: int) -> None:
        if not sent["done"] and at == iteration:
            sent["done"] = True
            os.kill(os.getpid(), sig)

    return callback


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_signal_stops_after_the_iteration_and_the_run_resumes_exactly(tmp_path: Path, sig) -> None:
    full = _train(tmp_path / "full")
    previous = signal.getsignal(sig)
    stopped = _train(tmp_path / "cut", on_checkpoint=_signal_at(sig, 2))
    assert signal.getsignal(sig) is previous  # the run's handlers are gone again
    # the signal came as checkpoint 2 was written, at the end of iteration 2: no new iteration
    # starts, and the summary describes that checkpoint
    assert stopped["status"] == "stopped" and stopped["stop_signal"] == signal.Signals(sig).name
    ckpt = load_checkpoint(tmp_path / "cut")
    assert ckpt["iteration"] == 2 == stopped["iterations"] == stopped["checkpoint_iteration"]
    assert ckpt["env_steps"] == 2 * PER_ITER == stopped["env_steps"]
    on_disk = json.loads((tmp_path / "cut" / "summary.json").read_text())
    assert (on_disk["status"], on_disk["iterations"]) == ("stopped", 2)
    resumed = _train(tmp_path / "cut", resume=str(tmp_path / "cut"))
    assert resumed["status"] == "completed" and resumed["env_steps"] == 6 * PER_ITER
    a = load_checkpoint(tmp_path / "full")["trainer"]["model"]
    b = load_checkpoint(tmp_path / "cut")["trainer"]["model"]
    assert all(torch.equal(a[k], b[k]) for k in a)
    assert resumed["final_return_mean"] == full["final_return_mean"]


def test_second_ctrl_c_abandons_the_iteration_and_the_summary_matches_the_checkpoint(
    tmp_path: Path,
) -> None:
    def twice(path: Path, at: int) -> None:
        if at == 2:
            os.kill(os.getpid(), signal.SIGINT)
            os.kill(os.getpid(), signal.SIGINT)  # the second one interrupts at once

    stopped = _train(tmp_path / "r", on_checkpoint=twice)
    ckpt = load_checkpoint(tmp_path / "r")
    assert stopped["status"] == "stopped"
    assert stopped["iterations"] == ckpt["iteration"] and stopped["env_steps"] == ckpt["env_steps"]


@pytest.mark.parametrize(("sig", "code"), [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
def test_cli_exits_with_128_plus_the_signal(tmp_path: Path, sig, code) -> None:
    """`simrl-train` stopped by a signal: exit status 130 / 143, summary `stopped`, checkpoint."""
    driver = (
        "import os, signal, sys\n"
        "from simrl.runs import RunCallback\n"
        "class Kill(RunCallback):\n"
        f"    def on_checkpoint(self, path, it): it == 1 and os.kill(os.getpid(), {int(sig)})\n"
        "from simrl.cli.train import main\n"
        "main(sys.argv[1:], callbacks=[Kill()])\n"
    )
    args = [
        "total_env_steps=2400", "algo.num_groups=2", "algo.group_size=4", "eval_episodes=2",
        "checkpoint_every=1", "progress=false", "tensorboard=false", "hydra.run.dir=run",
    ]  # fmt: skip
    env = {**os.environ, "MUJOCO_GL": os.environ.get("MUJOCO_GL", "egl")}
    proc = subprocess.run(
        [sys.executable, "-c", driver, *args],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert proc.returncode == code, proc.stderr[-2000:]
    summary = json.loads((tmp_path / "run" / "summary.json").read_text())
    # signalled as checkpoint 1 was written: the run stopped there
    assert summary["status"] == "stopped" and summary["iterations"] == 1
    assert load_checkpoint(tmp_path / "run")["iteration"] == 1
    assert "resume=" in proc.stderr.strip().splitlines()[-1]
