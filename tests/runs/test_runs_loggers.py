"""`logger=`: W&B offline and a local MLflow store get the config, every metrics row and the final
figures; TensorBoard gets hparams; csv writes no tb/; a missing extra is one line naming it.

Reference: the run's own metrics.csv and summary.json (what the tracker got must be what the run
wrote), with the fake trainer of `_runs_fakes` (8 iterations of 40 env steps).
"""

from __future__ import annotations

import csv
import json
import struct
from pathlib import Path

import pytest
from _runs_fakes import FakeAlgoConfig, FakeModelConfig, fake_factory, make_fake_env

import simrl.runs.loggers as loggers
from simrl.runs import run_training
from simrl.runs.config import RunConfig
from simrl.runs.spec import TrainSpec
from simrl.sim.config import EnvConfig

ITERS, STEPS = 8, 40


def _run(run_dir: Path, logger: str, tensorboard: bool = False) -> dict:
    run = RunConfig(
        seed=3, total_env_steps=ITERS * STEPS, eval_every=2, eval_episodes=3, checkpoint_every=0,
        progress=False, tensorboard=tensorboard, logger=logger,
    )  # fmt: skip
    spec = TrainSpec(
        "fake",
        EnvConfig(id="Fake-v0"),
        FakeModelConfig(),
        FakeAlgoConfig(),
        run,
        config_dict={"note": "test", "model": {"hidden": 8}},
    )
    return run_training(
        spec, run_dir, trainer_factory=fake_factory, env_factory=make_fake_env,
    )  # fmt: skip


def _csv(run_dir: Path) -> list[dict]:
    with open(run_dir / "metrics.csv") as f:
        return list(csv.DictReader(f))


def _wandb_records(path: Path) -> list:
    """The records of an offline W&B run file (`run-*.wandb`): a LevelDB-style log after a
    7-byte file header, in 32 KiB blocks of [crc u32, length u16, type u8] chunks (1 full,
    2 first, 3 middle, 4 last), each record a `wandb_internal_pb2.Record`."""
    from wandb.proto import wandb_internal_pb2

    data, block, out, parts = path.read_bytes(), 32768, [], b""
    assert data[:4] == b":W&B"
    pos = 7
    while pos + 7 <= len(data):
        if block - pos % block < 7:  # too little left in the block for a header: padding
            pos += block - pos % block
            continue
        _crc, length, kind = struct.unpack("<IHB", data[pos : pos + 7])
        parts += data[pos + 7 : pos + 7 + length]
        pos += 7 + length
        if kind in (1, 4):
            record = wandb_internal_pb2.Record()
            record.ParseFromString(parts)
            out.append(record)
            parts = b""
    return out


def test_wandb_offline_gets_config_every_row_and_final_metrics(tmp_path: Path, monkeypatch) -> None:
    pytest.importorskip("wandb")
    for var in ("WANDB_MODE", "WANDB_API_KEY", "WANDB_BASE_URL", "WANDB_DIR", "WANDB_PROJECT"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("WANDB_SILENT", "true")
    summary = _run(tmp_path / "run", "wandb")
    (offline,) = (tmp_path / "run" / "wandb").glob("offline-run-*/run-*.wandb")  # no network
    records = _wandb_records(offline)
    kind = [r.WhichOneof("record_type") for r in records]

    def values(items) -> dict:
        return {i.key or "/".join(i.nested_key): json.loads(i.value_json) for i in items}

    (run,) = [r.run for r, k in zip(records, kind, strict=True) if k == "run"]
    config = values(run.config.update)
    assert config["note"] == "test" and config["model"] == {"hidden": 8}
    history = [values(r.history.item) for r, k in zip(records, kind, strict=True) if k == "history"]
    rows = _csv(tmp_path / "run")
    assert [h["_step"] for h in history] == [int(r["env_steps"]) for r in rows]
    assert [h["train/return_mean"] for h in history] == pytest.approx(
        [float(r["return_mean"]) for r in rows]
    )
    final = {}
    for r, k in zip(records, kind, strict=True):
        if k == "summary":
            final.update(values(r.summary.update))
    assert final["final/final_return_mean"] == pytest.approx(summary["final_return_mean"])
    assert final["status"] == "completed"
    assert [r.exit.exit_code for r, k in zip(records, kind, strict=True) if k == "exit"] == [0]
    assert not (tmp_path / "run" / "tb").exists()


def test_mlflow_local_store_gets_every_row(tmp_path: Path, monkeypatch) -> None:
    mlflow = pytest.importorskip("mlflow")
    for var in ("MLFLOW_TRACKING_URI", "MLFLOW_EXPERIMENT_NAME"):
        monkeypatch.delenv(var, raising=False)
    summary = _run(tmp_path / "run", "mlflow")
    client = mlflow.MlflowClient(tracking_uri=(tmp_path / "run" / "mlruns").resolve().as_uri())
    (run,) = client.search_runs([client.get_experiment_by_name("simrl").experiment_id])
    assert run.info.status == "FINISHED" and run.info.run_name == "run"
    assert run.data.params["note"] == "test" and run.data.params["model.hidden"] == "8"
    assert run.data.metrics["final/final_return_mean"] == pytest.approx(
        summary["final_return_mean"]
    )
    history = client.get_metric_history(run.info.run_id, "train/return_mean")
    rows = _csv(tmp_path / "run")
    assert [m.step for m in history] == [int(r["env_steps"]) for r in rows]
    assert [m.value for m in history] == pytest.approx([float(r["return_mean"]) for r in rows])


def test_csv_writes_no_tensorboard_and_tensorboard_gets_hparams(tmp_path: Path) -> None:
    _run(tmp_path / "csv", "csv", tensorboard=True)
    assert len(_csv(tmp_path / "csv")) == ITERS and not (tmp_path / "csv" / "tb").exists()
    _run(tmp_path / "tb", "tensorboard", tensorboard=True)
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    events = EventAccumulator(str(tmp_path / "tb" / "tb")).Reload()
    assert "_hparams_/session_start_info" in events.summary_metadata


def test_missing_extra_is_one_line_naming_it(monkeypatch) -> None:
    real = loggers.importlib.util.find_spec
    monkeypatch.setattr(
        loggers.importlib.util, "find_spec", lambda name: None if name == "wandb" else real(name)
    )
    with pytest.raises(ValueError, match=r"logger=wandb needs wandb: pip install 'simrl\[wandb\]'"):
        RunConfig(logger="wandb")
    with pytest.raises(ValueError, match="logger"):
        RunConfig(logger="nosuch")
