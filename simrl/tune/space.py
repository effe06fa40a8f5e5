"""simrl-tune's settings and search space: the `tune` config node, its checks, and sampling.

The space mirrors the train config (`space.algo.lr` is the override `algo.lr`); each leaf is a
distribution: {type: float|int, low, high, log, step} or {type: categorical, choices}.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Optional

from simrl.config.fields import check_fields, limit
from simrl.messages import UsageError as ConfigError

SAMPLERS = ("tpe", "random")
DIRECTIONS = ("maximize", "minimize")
PARAM_TYPES = ("float", "int", "categorical")


@dataclass
class TuneConfig:
    """Search settings (the `tune` node); see conf/tune/grpo.yaml for the meaning of each."""

    n_trials: int = limit(20, ge=1)
    study_name: Optional[str] = None  # noqa: UP045 (OmegaConf)  null: <algo>_<env id>
    storage: str = "sqlite:///tune/optuna.db"
    out: Optional[str] = None  # noqa: UP045  null: tune/<study_name>
    seed: int = limit(0, ge=0)
    sampler: str = limit("tpe", choices=SAMPLERS)
    direction: str = limit("maximize", choices=DIRECTIONS)
    metric: str = "final_return_mean"
    fail_stale: bool = True
    overrides: list[str] = field(default_factory=list)  # train overrides before the command line's
    space: dict[str, Any] = field(default_factory=dict)


def flatten_space(space: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested space (like the config) -> {override key: distribution}; a leaf has a `type`."""
    flat: dict[str, Any] = {}
    for key, value in space.items():
        path = f"{prefix}{key}"
        if isinstance(value, dict) and "type" not in value:
            flat.update(flatten_space(value, f"{path}."))
        else:
            flat[path] = value
    return flat


def check_space(space: dict[str, Any]) -> None:
    """One-line errors for a malformed (flattened) search space."""
    if not space:
        raise ConfigError(
            "tune.space", "{}", "is empty; add entries like algo.lr: {type: float, ...}"
        )
    for key, spec in space.items():
        kind = spec.get("type") if isinstance(spec, dict) else None
        if kind not in PARAM_TYPES:
            raise ConfigError(
                f"tune.space.{key}.type", kind, "is not a parameter type", PARAM_TYPES
            )
        if kind == "categorical" and not spec.get("choices"):
            raise ConfigError(f"tune.space.{key}.choices", spec.get("choices"), "must be a list")
        if kind in ("float", "int"):
            _check_range(key, spec)


def _check_range(key: str, spec: dict[str, Any]) -> None:
    """Finite numbers low <= high (integers for an int parameter); low > 0 on a log scale."""
    number = int if spec["type"] == "int" else (int, float)
    for part in ("low", "high"):
        value = spec.get(part)
        if not isinstance(value, number) or isinstance(value, bool) or not math.isfinite(value):
            what = "an integer" if spec["type"] == "int" else "a finite number"
            raise ConfigError(f"tune.space.{key}.{part}", value, f"must be {what}")
    low, high = spec["low"], spec["high"]
    if low > high:
        raise ConfigError(f"tune.space.{key}", f"[{low}, {high}]", "needs low <= high")
    if spec.get("log") and low <= 0:
        raise ConfigError(f"tune.space.{key}.low", low, "must be > 0 on a log scale (log: true)")


def check_tune(tune: TuneConfig) -> None:
    """Settings checks (one line each): the limits declared on the fields, then the space."""
    check_fields(tune, owner="tune")
    check_space(tune.space)


def suggest(trial: Any, space: dict[str, Any]) -> list[str]:
    """Sample every parameter of `space`; return them as simrl-train overrides."""
    out = []
    for key, spec in space.items():
        kind = spec["type"]
        if kind == "float":
            value = trial.suggest_float(key, spec["low"], spec["high"], log=spec.get("log", False))
        elif kind == "int":
            value = trial.suggest_int(
                key, spec["low"], spec["high"], step=spec.get("step", 1), log=spec.get("log", False)
            )
        else:
            value = trial.suggest_categorical(key, list(spec["choices"]))
        out.append(f"{key}={value}")
    return out
