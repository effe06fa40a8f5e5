"""Environment settings as a plain dataclass (composed into the Hydra schema by simrl.cli)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class EnvConfig:
    """Which env to build and how: Gymnasium/simrl id, physics threads and task options."""

    id: str = "Reacher-v5"
    num_threads: int = 1  # mujoco.batch worker threads
    options: dict[str, Any] = field(default_factory=dict)  # task keyword options (e.g. sparse=True)
