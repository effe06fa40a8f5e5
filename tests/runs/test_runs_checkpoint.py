"""Checkpoint files: atomic writes, weights_only loads, clear one-line errors for bad files."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

import simrl.runs.checkpoint as ck
from simrl.runs.checkpoint import CheckpointError, load_checkpoint, make_payload, save_checkpoint


def _payload(value: float) -> dict:
    return make_payload(
        algo="fake",
        env_id="Fake-v0",
        obs_dim=3,
        act_dim=2,
        iteration=1,
        env_steps=10,
        trainer_state={"w": torch.full((4,), value), "step": 1},
        configs={"env": {"id": "Fake-v0"}},
        config={"seed": 0},
        run_state={"history": [{"return_mean": float("nan")}]},
    )


def test_roundtrip_weights_only(tmp_path: Path) -> None:
    path = tmp_path / "ckpt" / "last.pt"
    save_checkpoint(path, _payload(1.5))
    loaded = load_checkpoint(path)
    assert torch.equal(loaded["trainer"]["w"], torch.full((4,), 1.5))
    assert loaded["format_version"] == ck.FORMAT_VERSION and loaded["path"] == str(path)


def test_crash_mid_write_leaves_old_file_intact(tmp_path: Path, monkeypatch) -> None:
    path = tmp_path / "last.pt"
    save_checkpoint(path, _payload(1.0))
    old = path.read_bytes()

    def crashing_save(obj, f):  # writes half a file, then dies
        f.write(old[: len(old) // 2])
        raise OSError("disk full")

    monkeypatch.setattr(ck.torch, "save", crashing_save)
    with pytest.raises(OSError, match="disk full"):
        save_checkpoint(path, _payload(2.0))
    assert path.read_bytes() == old
    assert sorted(p.name for p in tmp_path.iterdir()) == ["last.pt"]  # no temp file left
    monkeypatch.undo()
    assert torch.equal(load_checkpoint(path)["trainer"]["w"], torch.full((4,), 1.0))


def test_truncated_and_garbage_files_give_one_line_errors(tmp_path: Path) -> None:
    good = tmp_path / "good.pt"
    save_checkpoint(good, _payload(1.0))
    truncated = tmp_path / "truncated.pt"
    truncated.write_bytes(good.read_bytes()[:200])
    garbage = tmp_path / "garbage.pt"
    garbage.write_bytes(b"not a checkpoint at all")
    for bad in (truncated, garbage):
        with pytest.raises(
            CheckpointError, match="cannot be read, truncated or not a checkpoint"
        ) as info:
            load_checkpoint(bad)
        assert str(bad) in str(info.value) and "\n" not in str(info.value)


def test_unsafe_pickle_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "evil.pt"
    torch.save({"kind": ck.KIND, "obj": Path("/x")}, path)  # an arbitrary class: needs unpickling
    with pytest.raises(CheckpointError, match=r"refused, it holds Python objects") as info:
        load_checkpoint(path)
    text = str(info.value)
    assert "GLOBAL pathlib" in text and "weights_only=False" not in text and "\n" not in text


def test_not_simrl_wrong_version_missing_entries(tmp_path: Path) -> None:
    path = tmp_path / "x.pt"
    torch.save({"a": 1}, path)
    with pytest.raises(CheckpointError, match="not a simrl checkpoint"):
        load_checkpoint(path)
    torch.save({**_payload(1.0), "format_version": 99}, path)
    with pytest.raises(CheckpointError, match="format version 99 is not supported"):
        load_checkpoint(path)
    p = _payload(1.0)
    del p["trainer"]
    torch.save(p, path)
    with pytest.raises(CheckpointError, match=r"missing entries \['trainer'\]"):
        load_checkpoint(path)


def test_missing_paths(tmp_path: Path) -> None:
    with pytest.raises(CheckpointError, match="file not found"):
        load_checkpoint(tmp_path / "nope.pt")
    with pytest.raises(CheckpointError, match="no checkpoints/last.pt in run directory"):
        load_checkpoint(tmp_path)


def test_check_compatible_names_the_field(tmp_path: Path) -> None:
    payload = {**_payload(1.0), "path": "ck.pt"}
    ck.check_compatible(payload, algo="fake", env_id="Fake-v0", obs_dim=3, act_dim=2)
    with pytest.raises(
        CheckpointError,
        match=r"checkpoint ck.pt: act_dim mismatch, checkpoint has 2 but this run has 7",
    ):
        ck.check_compatible(payload, algo="fake", env_id="Fake-v0", obs_dim=3, act_dim=7)
