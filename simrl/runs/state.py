"""Run-loop bookkeeping carried in checkpoints, and the per-iteration guards (NaN, name clashes)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from simrl.runs.metrics_writer import EVAL_COLUMNS, LEAD_COLUMNS
from simrl.runs.plain import to_plain

MAX_NONFINITE_STREAK = 3
RESERVED_COLUMNS = frozenset(LEAD_COLUMNS) | frozenset(EVAL_COLUMNS)


@dataclass
class RunState:
    """Run-loop bookkeeping that a checkpoint carries so a resumed run continues exactly."""

    history: list[dict[str, Any]] = field(default_factory=list)
    eval_curve: list[dict[str, Any]] = field(default_factory=list)
    wall_s: float = 0.0  # run wall time less the meters' overhead (as reported)
    train_s: float = 0.0  # collect + update time as measured (meters included; see the loop)
    eval_s: float = 0.0
    best_eval_return: float = -math.inf
    nonfinite_total: int = 0
    nonfinite_seen: float = 0.0  # last cumulative `nonfinite_updates` reported by the trainer
    columns: list[str] | None = None
    meter: dict[str, Any] = field(default_factory=dict)  # UpdateMeter figures (peak, FLOPs)

    def as_dict(self) -> dict[str, Any]:
        return to_plain(self.__dict__)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> RunState:
        known = {k: v for k, v in d.items() if k in cls.__dataclass_fields__}
        return cls(**known)


def nonfinite_update(metrics: dict[str, Any], state: RunState) -> bool:
    """Did this iteration skip an update for NaN/Inf (trainer's flags) or report a NaN loss?"""
    bad = False
    skipped = metrics.get("skipped_nonfinite")
    if isinstance(skipped, (int, float)) and skipped > 0:
        bad = True
    count = metrics.get("nonfinite_updates")
    if isinstance(count, (int, float)) and math.isfinite(count):
        if count > state.nonfinite_seen:
            bad = True
        state.nonfinite_seen = float(count)
    loss = metrics.get("loss")
    if isinstance(loss, (int, float)) and not math.isfinite(loss):
        bad = True
    return bad


def rename_clashes(metrics: dict[str, Any]) -> dict[str, Any]:
    """Trainer metrics whose names the loop's own columns use are kept as `algo_<name>`."""
    out = {}
    for key, value in metrics.items():
        if key in RESERVED_COLUMNS and key != "env_steps":
            out[f"algo_{key}"] = value
        elif key != "env_steps":
            out[key] = value
    return out
