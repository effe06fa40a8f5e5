"""Hydra structured configs: the typed schema behind `conf/` (registered with Hydra's ConfigStore).

The nodes are generated from the owners' dataclasses (`EnvConfig`, `CoreConfig`, the algorithms'
configs, `RunConfig`), so a field added there is a config key here with its type and default. A
node adds what only the CLI needs: `name` (the group option, in run directory names) and, for
`env`, the task's budget. Hydra checks types while composing (`seed=abc`); values are checked
against the owners' limits when `simrl.config.build.build_configs` builds them, before any work.
"""

from __future__ import annotations

import dataclasses
import sys
import typing
from dataclasses import dataclass, field, make_dataclass
from typing import Any

from hydra.core.config_store import ConfigStore
from omegaconf import MISSING

from simrl.algos.registry import available_algos, get_algo
from simrl.config.resolvers import register_resolvers
from simrl.nn import CoreConfig
from simrl.nn.compute import ComputeConfig
from simrl.runs.config import RunConfig
from simrl.sim.config import EnvConfig
from simrl.sim.start_states import CurriculumConfig

# ComputeConfig fields set through the `precision` group: field <- precision.<key>
COMPUTE_FIELDS_IN_PRECISION = {
    "precision": "name",
    "fp8_recipe": "recipe",
    "fp8_emulate": "emulate",
}
# Integer keys that also take a whole float (`total_env_steps=1e6`, the RL Zoo's habit): untyped
# here (OmegaConf refuses a float for an int node), `integral_keys` converts them before validation.
INTEGRAL_KEYS = ("total_env_steps",)
Fields = list[tuple[str, Any, Any]]  # (name, type, dataclass field) of each field of a node


def aliases(cls: type) -> dict[str, tuple[str, Any]]:
    """Other libraries' names of the settings of `cls` (its module's `TRL_ALIASES`)."""
    return getattr(sys.modules[cls.__module__], "TRL_ALIASES", {})


def node_fields(cls: type, exclude: tuple[str, ...] = ()) -> Fields:
    """(name, type, dataclass field) of each init field of dataclass `cls` not in `exclude`."""
    hints = typing.get_type_hints(cls)
    out = []
    for f in dataclasses.fields(cls):
        if f.init and f.name not in exclude:
            tp = Any if f.name in INTEGRAL_KEYS else hints.get(f.name, Any)
            required = f.default is f.default_factory is dataclasses.MISSING
            default = MISSING if required else f.default  # MISSING: OmegaConf's "???"
            out.append((f.name, tp, field(default=default, default_factory=f.default_factory)))
    return out


def integral_keys(data: dict[str, Any]) -> dict[str, Any]:
    """`data` (a composed config) with the INTEGRAL_KEYS, at the top and under `env`, as ints where
    they are whole numbers (`1e6` -> 1000000); other values are left for the owners to refuse."""
    for node in (data, data.get("env")):
        for key in INTEGRAL_KEYS:
            value = node.get(key) if isinstance(node, dict) else None
            if isinstance(value, float) and value.is_integer():
                node[key] = int(value)
    return data


def make_node(
    name: str, cls: type, extra: Fields, exclude: tuple[str, ...] = (), tail: Fields | None = None
) -> type:
    """A flat dataclass: `extra` fields, the fields of `cls` (types OmegaConf-safe), then `tail`.
    Not a subclass: the owner's `__post_init__` must not run on Hydra's partial nodes."""
    taken = {e[0] for e in extra}
    node = make_dataclass(name, [*extra, *node_fields(cls, (*exclude, *taken)), *(tail or [])])
    node.__doc__ = f"Hydra node for {cls.__module__}.{cls.__qualname__} (+ {sorted(taken)})."
    return node


def algo_node(algo: str) -> type:
    """Schema node of algorithm `algo`: `name`, its config's fields, and other libraries' names
    of the same settings (TRL's GRPOConfig; null = unused)."""
    cls = get_algo(algo).config_cls
    names = {f.name for f in dataclasses.fields(cls)}
    tail = [(a, Any, field(default=None)) for a in aliases(cls) if a not in names]
    return make_node(f"{cls.__name__}Node", cls, [("name", str, field(default=algo))], tail=tail)


EnvNode = make_node(
    "EnvNode",
    EnvConfig,
    [
        ("name", str, field(default="reacher")),  # group option / slug used in run dir names
        ("total_env_steps", Any, field(default=RunConfig.total_env_steps)),  # the task's budget
    ],
    exclude=("curriculum",),  # a config group of its own (top-level `curriculum`)
)
CurriculumNode = make_node("CurriculumNode", CurriculumConfig, [])
ModelNode = make_node("ModelNode", CoreConfig, [("name", str, field(default="small"))])


@dataclass
class PrecisionNode:
    """Numeric precision of the learner's core: name (auto | fp32 | bf16 | fp8), fp8 recipe, and
    whether fp8 runs through torchao's emulation (any device; numerics only)."""

    name: str = "auto"
    recipe: str = "tensorwise"  # tensorwise | rowwise | rowwise_with_gw_hp (fp8 only)
    emulate: bool = False


def compute_fields() -> Fields:
    """The top-level keys of ComputeConfig (those not set through the `precision` group)."""
    return node_fields(ComputeConfig, exclude=tuple(COMPUTE_FIELDS_IN_PRECISION))


TrainConfig = make_node(
    "TrainConfig",
    RunConfig,
    [
        ("algo", Any, field(default=MISSING)),
        ("env", EnvNode, field(default_factory=EnvNode)),
        ("model", ModelNode, field(default_factory=ModelNode)),
        ("precision", PrecisionNode, field(default_factory=PrecisionNode)),
        ("curriculum", CurriculumNode, field(default_factory=CurriculumNode)),
        *compute_fields(),
    ],
)


def register() -> None:
    """Store the schemas in Hydra's ConfigStore and register conf/'s resolvers (idempotent)."""
    register_resolvers()
    cs = ConfigStore.instance()
    # stored without a group (as `/train_schema`, `/grpo_schema`, ...): not config groups in --help
    cs.store(name="train_schema", node=TrainConfig)
    for algo in available_algos():
        try:
            node: Any = algo_node(algo)
        except (ValueError, ImportError, AttributeError):
            node = {"name": algo}  # not importable: untyped; build_configs names the problem
        cs.store(name=f"{algo}_schema", node=node)


register()
