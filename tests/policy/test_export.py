"""Exported models act as `Policy.predict` does: ONNX (onnxruntime), TorchScript (torch.jit), SB3 zip.

Reference: `simrl.load_policy(run).predict` on the same 1,000 random float32 observations (scaled
so that some hit the normalisation clip); ONNX and TorchScript within 1e-5 max abs, the SB3 zip
identically. The CLI refuses bad input with one line and exit status 2, writing nothing.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from _policy_runs import RUN_IDS, RUNS, SUITE

import simrl
from simrl.export import export_policy
from simrl.runs.checkpoint import KIND

ort = pytest.importorskip("onnxruntime")
TOLERANCE = 1e-5


def _observations(policy: simrl.Policy, n: int = 1000) -> np.ndarray:
    rng = np.random.default_rng(0)
    return (rng.standard_normal((n, *policy.observation_space.shape)) * 3.0).astype(np.float32)


@pytest.mark.filterwarnings("ignore:`torch.jit.load` is deprecated:DeprecationWarning")
@pytest.mark.parametrize("key", RUNS, ids=RUN_IDS)
def test_onnx_and_torchscript_match_predict(tiny_runs, key, tmp_path: Path) -> None:
    policy = simrl.load_policy(tiny_runs[key][0])
    obs = _observations(policy)
    reference, _ = policy.predict(obs, deterministic=True)

    onnx_path, spaces = export_policy(policy, "onnx", tmp_path / "policy")
    assert onnx_path == tmp_path / "policy.onnx" and spaces == tmp_path / "policy.spaces.json"
    (onnx_actions,) = ort.InferenceSession(str(onnx_path)).run(None, {"obs": obs})
    assert onnx_actions.shape == reference.shape
    assert np.abs(onnx_actions - reference).max() <= TOLERANCE

    ts_path, _ = export_policy(policy, "torchscript", tmp_path / "policy_ts.pt")
    with torch.no_grad():
        ts_actions = torch.jit.load(str(ts_path))(torch.from_numpy(obs)).numpy()
    assert np.abs(ts_actions - reference).max() <= TOLERANCE


@pytest.mark.parametrize("key", [k for k in RUNS if k[0] == "ppo"], ids=["suite", "generic"])
def test_ppo_sb3_zip_predicts_identically(tiny_runs, key, tmp_path: Path) -> None:
    from stable_baselines3 import PPO

    policy = simrl.load_policy(tiny_runs[key][0])
    path, _ = export_policy(policy, "sb3", tmp_path / "ppo")
    assert path == tmp_path / "ppo.zip"
    model = PPO.load(path, device="cpu")
    obs = _observations(policy)
    sb3_actions, _ = model.predict(obs, deterministic=True)
    np.testing.assert_array_equal(sb3_actions, policy.predict(obs)[0])
    assert model.observation_space == policy.observation_space


def test_spaces_json_describes_the_model(tiny_runs, tmp_path: Path) -> None:
    policy = simrl.load_policy(tiny_runs[("grpo", SUITE)][0])
    _, spaces = export_policy(policy, "onnx", tmp_path / "m.onnx")
    meta = json.loads(spaces.read_text())
    assert meta["env_id"] == SUITE and meta["algo"] == "grpo" and meta["file"] == "m.onnx"
    assert meta["input"] == {"name": "obs", "shape": [None, 23], "dtype": "float32"}
    assert meta["output"]["shape"] == [None, 3]
    assert (
        meta["action_space"]["low"] == [-1.0] * 3 and meta["observation_space"]["low"][0] == "-inf"
    )


def test_sb3_format_needs_a_ppo_run(tiny_runs, tmp_path: Path) -> None:
    policy = simrl.load_policy(tiny_runs[("grpo", SUITE)][0])
    with pytest.raises(ValueError, match="format=sb3 needs a PPO run"):
        export_policy(policy, "sb3", tmp_path / "x")
    assert not any(tmp_path.iterdir())


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "MUJOCO_GL": os.environ.get("MUJOCO_GL", "egl")}
    return subprocess.run(
        [sys.executable, "-m", "simrl.cli.export", *args],
        cwd=cwd, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip


def test_cli_exports_and_refuses_bad_input(tiny_runs, tmp_path: Path) -> None:
    run_dir = tiny_runs[("ppo", SUITE)][0]
    proc = _cli(f"checkpoint={run_dir}", "format=torchscript", "out=model.pt", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert (tmp_path / "model.pt").is_file() and (tmp_path / "model.spaces.json").is_file()

    bad = tmp_path / "bad"
    bad.mkdir()
    truncated = bad / "truncated.pt"
    truncated.write_bytes((run_dir / "checkpoints" / "last.pt").read_bytes()[:300])
    unsafe = bad / "unsafe.pt"
    torch.save({"kind": KIND, "obj": Path("/x")}, unsafe)
    grpo_run = tiny_runs[("grpo", SUITE)][0]
    cases = [
        ([f"checkpoint={truncated}"], "cannot be read, truncated or not a checkpoint"),
        ([f"checkpoint={unsafe}"], "refused, it holds Python objects"),
        ([f"checkpoint={grpo_run}", "format=sb3"], "format=sb3 needs a PPO run"),
    ]
    before = sorted(p.name for p in bad.iterdir())
    for args, expect in cases:
        proc = _cli(*args, "out=out/model", cwd=bad)
        lines = proc.stderr.strip().splitlines()
        assert proc.returncode == 2, proc.stderr[-2000:]
        assert len(lines) == 1 and lines[0].startswith("simrl-export: error: "), proc.stderr
        assert expect in lines[0], lines[0]
    assert sorted(p.name for p in bad.iterdir()) == before  # nothing written
    assert not (grpo_run / "export").exists()
