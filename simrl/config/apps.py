"""The settings of simrl-eval, simrl-export and simrl-bench as Hydra structured configs.

simrl-train's schema is `simrl.config.schema`; simrl-bench reuses its nodes and adds a `grpo` and a
`ppo` side (each built like simrl-train's `algo`, errors naming the side's key) and the `bench`
node. Registered with Hydra's ConfigStore on import.
"""

from __future__ import annotations

import dataclasses
import typing
from dataclasses import dataclass, field
from typing import Any, Optional

from hydra.core.config_store import ConfigStore
from omegaconf import MISSING, DictConfig, OmegaConf

from simrl.bench.config import BenchConfig
from simrl.config import schema
from simrl.config.build import build_configs
from simrl.config.fields import MAX_ROWS, check_fields, check_value, limit
from simrl.runs.config import RunConfig
from simrl.runs.video import VIDEO_FORMATS


@dataclass
class VideoConfig:
    """Filming the evaluation (`video=true` is short for `video.record=true`)."""

    record: bool = False
    episodes: int = limit(4, ge=1, le=MAX_ROWS)  # the first N evaluation episodes, in a grid
    format: str = limit("mp4", choices=VIDEO_FORMATS)
    size: int = limit(320, ge=16)  # each episode's tile, pixels a side
    dir: Optional[str] = None  # noqa: UP045  (null = the run directory's videos/)


@dataclass
class ScriptedEnvConfig:
    """The task of `policy=scripted` (id null: every scripted task, with and without DR)."""

    id: Optional[str] = None  # noqa: UP045
    domain_randomization: bool = False
    reward: Optional[str] = None  # noqa: UP045  (the task's reward option; null = its default)


@dataclass
class EvalConfig:
    """Settings of one evaluation."""

    checkpoint: str = MISSING
    policy: str = limit("checkpoint", choices=("checkpoint", "scripted"))
    env: ScriptedEnvConfig = field(default_factory=ScriptedEnvConfig)
    episodes: int = limit(16, ge=1, le=MAX_ROWS)
    video: VideoConfig = field(default_factory=VideoConfig)
    deterministic: bool = True
    seed: Optional[int] = limit(None, ge=0)  # noqa: UP045 (OmegaConf needs typing.Optional)
    device: str = "auto"
    out: Optional[str] = None  # noqa: UP045


ConfigStore.instance().store(name="eval_schema", node=EvalConfig)


def check_limits(cfg: DictConfig) -> None:
    """simrl-eval's values against the limits declared on `EvalConfig` and `VideoConfig`
    (`limit(...)`), errors named by the key."""
    hints = typing.get_type_hints(EvalConfig)
    for f in dataclasses.fields(EvalConfig):
        if f.metadata.get("limits") is not None:
            check_value("", f.name, cfg[f.name], hints[f.name], f.metadata["limits"])
    check_fields(VideoConfig(**OmegaConf.to_container(cfg.video)), owner="video")


@dataclass
class ExportConfig:
    """Settings of one export."""

    checkpoint: str = MISSING
    format: str = "onnx"
    out: Optional[str] = None  # noqa: UP045 (OmegaConf needs typing.Optional)


ConfigStore.instance().store(name="export_schema", node=ExportConfig)


def bench_schema() -> type:
    """simrl-bench's root: simrl-train's run, env, model, precision and curriculum nodes, a
    `grpo` and a `ppo` side, and the `bench` settings."""
    bench_node = schema.make_node("BenchNode", BenchConfig, [])
    extra = [
        ("env", schema.EnvNode, field(default_factory=schema.EnvNode)),
        ("model", schema.ModelNode, field(default_factory=schema.ModelNode)),
        ("precision", schema.PrecisionNode, field(default_factory=schema.PrecisionNode)),
        ("curriculum", schema.CurriculumNode, field(default_factory=schema.CurriculumNode)),
        # typed by conf/algo/<name>.yaml (its /<name>_schema), as simrl-train's `algo` is
        ("grpo", Any, field(default=MISSING)),
        ("ppo", Any, field(default=MISSING)),
        ("bench", bench_node, field(default_factory=bench_node)),
    ]
    return schema.make_node("BenchRoot", RunConfig, [*extra, *schema.compute_fields()])


ConfigStore.instance().store(name="bench_schema", node=bench_schema())


def bench_settings(cfg: DictConfig) -> BenchConfig:
    """The validated `bench` node."""
    data = OmegaConf.to_container(cfg.bench, resolve=True)
    assert isinstance(data, dict)
    return BenchConfig(**data)


def algo_config(cfg: DictConfig, algo: str) -> DictConfig:
    """The `simrl-train`-shaped config of one side: `algo` = cfg[algo], the rest shared."""
    keep = [k for k in cfg if k not in ("grpo", "ppo", "bench", "hydra")]
    sub = OmegaConf.to_container(OmegaConf.masked_copy(cfg, keep), resolve=True)
    assert isinstance(sub, dict)
    sub["algo"] = OmegaConf.to_container(cfg[algo], resolve=True)
    return OmegaConf.create(sub)


def build_side(cfg: DictConfig, algo: str, num_threads: int | None = None) -> Any:
    """`build_configs` for one side; its errors name the side's key (`ppo.n_epochs`, not `algo.`)."""
    return build_configs(algo_config(cfg, algo), num_threads=num_threads, algo_key=algo)
