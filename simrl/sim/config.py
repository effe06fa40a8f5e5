"""Environment settings as a plain dataclass (composed into the Hydra schema by simrl.cli)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from simrl.config.fields import check_fields, limit
from simrl.sim.start_states import CurriculumConfig


@dataclass
class EnvConfig:
    """Which env to build and how: Gymnasium/simrl id, physics threads and task options."""

    id: str = "Reacher-v5"
    num_threads: int = limit(1, ge=1)  # mujoco.batch worker threads
    options: dict[str, Any] = field(default_factory=dict)  # task keyword options (e.g. sparse=True)
    # train on success alone: reward 1.0 on steps where the env reports success, else 0
    # (evaluation still reports the env's own return); needs an env that reports success
    outcome_reward: bool = False
    # how training episodes start (evaluation always uses the task's own resets)
    curriculum: CurriculumConfig = field(default_factory=CurriculumConfig)

    def __post_init__(self) -> None:
        if isinstance(self.curriculum, dict):
            self.curriculum = CurriculumConfig(**self.curriculum)
        check_fields(self)
