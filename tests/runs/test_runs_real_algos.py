"""End to end with the real GRPO trainer on Reacher-v5: outputs, resume exactness, eval_checkpoint."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
import torch

grpo = pytest.importorskip("simrl.algos.grpo")

from simrl.nn import core_preset  # noqa: E402
from simrl.nn.compute import ComputeConfig  # noqa: E402
from simrl.runs import CheckpointError, evaluate_checkpoint, load_checkpoint, run_training  # noqa: E402
from simrl.runs.config import RunConfig  # noqa: E402
from simrl.runs.spec import TrainSpec  # noqa: E402
from simrl.runs.summary import REQUIRED_SUMMARY_KEYS  # noqa: E402
from simrl.sim.config import EnvConfig  # noqa: E402

GROUPS, G, STEPS = 2, 4, 50  # Reacher-v5 episodes are 50 steps
PER_ITER = GROUPS * G * STEPS
CPU_CFG = ComputeConfig(device="cpu", num_threads=1)


def _algo() -> grpo.GRPOConfig:
    return grpo.GRPOConfig(num_groups=GROUPS, group_size=G, epochs=2, minibatch_size=128)


def _run(run_dir: Path, iters: int = 4, width: int = 16, env_id: str = "Reacher-v5", **kw) -> dict:
    settings = dict(
        seed=7, eval_every=2, eval_episodes=2, checkpoint_every=2, progress=False,
        tensorboard=False,
    )  # fmt: skip
    run = RunConfig(total_env_steps=iters * PER_ITER, **{**settings, **kw})
    model = core_preset("small", width=width)
    spec = TrainSpec(
        "grpo", EnvConfig(id=env_id), model, _algo(), run, CPU_CFG, config_dict={"x": 1}
    )
    return run_training(spec, run_dir)


def _params(run_dir: Path) -> dict[str, torch.Tensor]:
    """Every tensor of the saved trainer state (weights, optimizer moments, RNG, normalizer)."""
    return _tensors(load_checkpoint(run_dir)["trainer"])


def _interrupt_once(monkeypatch, cls: type, at_iteration: int) -> None:
    """Make `cls.collect` raise KeyboardInterrupt (Ctrl-C) once, when starting `at_iteration`.

    An interrupted run keeps its budget (lr schedules depend on total_env_steps), so this is the
    faithful way to cut a run short.
    """
    original, armed = cls.collect, {"on": True}

    def collect(self):
        if armed["on"] and self.iteration == at_iteration:
            armed["on"] = False
            raise KeyboardInterrupt
        return original(self)

    monkeypatch.setattr(cls, "collect", collect)


def test_grpo_run_outputs_and_resume_exactness(tmp_path: Path, monkeypatch) -> None:
    full = _run(tmp_path / "full")
    assert full["status"] == "completed" and full["env_steps"] == 4 * PER_ITER
    for key in REQUIRED_SUMMARY_KEYS:
        assert key in full
    assert full["params_trainable"] > 0 and full["precision_effective"] == "fp32"
    assert full["success_rate"] is None  # Reacher has no success signal
    with open(tmp_path / "full" / "metrics.csv") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 4 and {"zero_var_frac", "clip_frac", "grad_norm"} <= rows[0].keys()

    # Ctrl-C during iteration 4 (last checkpoint: 2), then resume: same weights and optimizer.
    _interrupt_once(monkeypatch, grpo.GRPOTrainer, 3)
    assert _run(tmp_path / "part")["status"] == "stopped"
    assert load_checkpoint(tmp_path / "part")["iteration"] == 2
    resumed = _run(tmp_path / "part", resume=str(tmp_path / "part"))
    assert resumed["iterations"] == 4
    full_state, part_state = _params(tmp_path / "full"), _params(tmp_path / "part")
    assert full_state.keys() == part_state.keys() and len(full_state) > 5
    assert [k for k in full_state if not torch.equal(full_state[k], part_state[k])] == []
    assert resumed["final_return_mean"] == full["final_return_mean"]

    # evaluate_checkpoint rebuilds GRPO from the checkpoint and reproduces the run's final eval
    out = evaluate_checkpoint(tmp_path / "full", episodes=2, device="cpu", print_table=False)
    assert out["return_mean"] == pytest.approx(full["final_return_mean"], abs=1e-9)
    summary = json.loads((tmp_path / "full" / "summary.json").read_text())
    assert summary["final_return_mean"] == pytest.approx(full["final_return_mean"])

    # A different core width or env is refused with one line naming the file.
    ckpt = str(tmp_path / "full" / "checkpoints" / "last.pt")
    with pytest.raises(CheckpointError, match="does not fit this run's model") as info:
        _run(tmp_path / "wide", width=32, resume=ckpt)
    assert ckpt in str(info.value) and "\n" not in str(info.value)
    with pytest.raises(CheckpointError, match="env_id mismatch"):
        _run(tmp_path / "pusher", env_id="Pusher-v5", resume=ckpt)


def _tensors(tree: object, prefix: str = "") -> dict[str, torch.Tensor]:
    out: dict[str, torch.Tensor] = {}
    if isinstance(tree, dict):
        for k, v in tree.items():
            out.update(_tensors(v, f"{prefix}{k}."))
    elif isinstance(tree, (list, tuple)):
        for i, v in enumerate(tree):
            out.update(_tensors(v, f"{prefix}{i}."))
    elif torch.is_tensor(tree):
        out[prefix] = tree
    return out


def test_ppo_run_resume_exactness(tmp_path: Path, monkeypatch) -> None:
    ppo = pytest.importorskip("simrl.algos.ppo")
    algo = ppo.PPOConfig(n_envs=2, n_steps=64, batch_size=64, n_epochs=2)

    def run(run_dir: Path, iters: int, **kw) -> dict:
        cfg = RunConfig(
            seed=3, total_env_steps=iters * 128, eval_every=2, eval_episodes=2,
            checkpoint_every=2, progress=False, tensorboard=False, **kw,
        )  # fmt: skip
        model = core_preset("small", width=16)
        env = EnvConfig(id="Reacher-v5")
        return run_training(TrainSpec("ppo", env, model, algo, cfg, CPU_CFG, {}), run_dir)

    full = run(tmp_path / "full", 4)
    _interrupt_once(monkeypatch, ppo.PPOTrainer, 3)
    assert run(tmp_path / "part", 4)["status"] == "stopped"
    resumed = run(tmp_path / "part", 4, resume=str(tmp_path / "part"))
    assert full["status"] == resumed["status"] == "completed" and resumed["env_steps"] == 512
    a = _tensors(load_checkpoint(tmp_path / "full")["trainer"])
    b = _tensors(load_checkpoint(tmp_path / "part")["trainer"])
    assert a.keys() == b.keys() and len(a) > 0
    assert [k for k in a if not torch.equal(a[k], b[k])] == []
    assert resumed["final_return_mean"] == full["final_return_mean"]


def test_grpo_nan_guard_stops_and_keeps_last_good_checkpoint(tmp_path: Path, monkeypatch) -> None:
    """From iteration 3 on every gradient norm is NaN: GRPO skips, the loop stops after 3 in a row."""
    poison = {"on": False}
    collect, clip = grpo.GRPOTrainer.collect, torch.nn.utils.clip_grad_norm_

    def gated_collect(self):
        poison["on"] = self.iteration >= 2
        return collect(self)

    def nan_clip(params, max_norm, *args, **kwargs):
        norm = clip(params, max_norm, *args, **kwargs)
        return norm * float("nan") if poison["on"] else norm

    monkeypatch.setattr(grpo.GRPOTrainer, "collect", gated_collect)
    monkeypatch.setattr(torch.nn.utils, "clip_grad_norm_", nan_clip)
    out = _run(tmp_path / "nan", iters=10, checkpoint_every=1)
    assert out["status"] == "failed" and out["iterations"] == 5 and out["nonfinite_updates"] == 3
    assert "iterations 3..5" in out["error"] and "last.pt" in out["error"]
    assert load_checkpoint(tmp_path / "nan")["iteration"] == 2
    with open(tmp_path / "nan" / "metrics.csv") as f:
        assert len(list(csv.DictReader(f))) == 5
