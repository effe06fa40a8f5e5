"""Registry, device resolution, config (de)serialization, summary JSON safety."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pytest
import torch

from simrl.algos.registry import available_algos, get_algo
from simrl.nn.device import resolve_device
from simrl.runs.plain import from_plain, to_plain
from simrl.runs.summary import write_summary


def test_unknown_algo_lists_choices() -> None:
    assert available_algos() == ["grpo", "ppo"]
    with pytest.raises(ValueError, match=r"unknown algo 'sac'; choose one of \['grpo', 'ppo'\]"):
        get_algo("sac")


def test_device_resolution() -> None:
    assert resolve_device("auto") == ("cuda" if torch.cuda.is_available() else "cpu")
    assert resolve_device("CPU") == "cpu"
    with pytest.raises(ValueError, match="unknown device 'gpu0'"):
        resolve_device("gpu0")
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match="CUDA is not available"):
            resolve_device("cuda:0")


@dataclass
class _Inner:
    width: int = 64
    acts: tuple = ("tanh",)


@dataclass
class _Outer:
    lr: float = 3e-4
    inner: _Inner = field(default_factory=_Inner)
    maybe: _Inner | None = None
    opts: dict = field(default_factory=dict)


def test_config_roundtrip_with_nested_dataclasses() -> None:
    cfg = _Outer(
        lr=np.float64(1e-3), inner=_Inner(width=128), maybe=_Inner(width=7), opts={"a": np.int64(2)}
    )
    plain = to_plain(cfg)
    assert plain == {
        "lr": 1e-3,
        "inner": {"width": 128, "acts": ["tanh"]},
        "maybe": {"width": 7, "acts": ["tanh"]},
        "opts": {"a": 2},
    }
    assert type(plain["lr"]) is float and type(plain["opts"]["a"]) is int  # safe for weights_only
    back = from_plain(_Outer, {**plain, "unknown_key": 1})
    assert (
        back.inner == _Inner(width=128, acts=["tanh"]) and back.maybe.width == 7 and back.lr == 1e-3
    )


def test_summary_is_strict_json(tmp_path: Path) -> None:
    write_summary(
        tmp_path / "s.json", {"a": float("nan"), "b": np.float32(1.5), "c": [math.inf, 2]}
    )
    assert json.loads((tmp_path / "s.json").read_text()) == {"a": None, "b": 1.5, "c": [None, 2]}


def test_summary_peak_memory_covers_the_whole_history() -> None:
    """A resumed run's meter may know only its own process's peak; the run's history knows more."""
    from types import SimpleNamespace

    from simrl.nn.compute import ComputeConfig, resolve_compute
    from simrl.runs.config import RunConfig
    from simrl.runs.state import RunState
    from simrl.runs.summary import REQUIRED_SUMMARY_KEYS, build_summary
    from simrl.runs.update_meter import UpdateMeter

    trainer = SimpleNamespace(env_steps=20, iteration=2, learner_stats=lambda: {})
    state = RunState(
        history=[
            {"peak_learner_memory_bytes": 5000.0, "update_time_s": 1.0},
            {"peak_learner_memory_bytes": float("nan"), "update_time_s": 3.0},
        ],
        train_s=4.0,
        wall_s=8.0,
    )
    out = build_summary(
        algo="fake", env_id="E", run=RunConfig(), compute=resolve_compute(ComputeConfig()),
        meter=UpdateMeter("cpu"), trainer=trainer, state=state, status="completed", error=None,
        resumed_from=None, checkpoint=None,
    )  # fmt: skip
    assert out["peak_learner_memory_bytes"] == 5000
    assert out["env_steps_per_s"] == 5.0 and out["update_time_s_total"] == 4.0
    assert out["update_time_share"] == 0.5
    assert out["final_return_mean"] is None and out["success_rate"] is None  # no eval yet
    assert set(REQUIRED_SUMMARY_KEYS) <= out.keys()
    assert out["device"] == "cpu" and out["precision_effective"] == "fp32"


def test_omegaconf_containers_become_plain() -> None:
    from omegaconf import OmegaConf

    cfg = OmegaConf.create({"a": [1, 2, {"b": 3.5}], "c": {"d": None}})
    assert to_plain(cfg) == {"a": [1, 2, {"b": 3.5}], "c": {"d": None}}
