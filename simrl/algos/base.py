"""What every algorithm gives the run loop: the `Trainer` protocol and the run-level settings."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

import numpy as np


@dataclass
class RunConfig:
    """Run-level settings shared by all algorithms (seed, budget, device, precision, cadence)."""

    seed: int = 0
    total_env_steps: int = 200_000
    device: str = "auto"  # auto | cpu | cuda | cuda:N
    precision: str = "auto"  # auto | fp32 | bf16 | fp8
    precision_strict: bool = False
    fp8_recipe: str = "tensorwise"  # tensorwise | rowwise
    compile: bool = False
    num_threads: int = 0  # torch intra-op threads; 0 = leave torch's default
    eval_every: int = 10  # iterations between deterministic evaluations; 0 = only at the end
    eval_episodes: int = 16
    checkpoint_every: int = 10  # iterations between checkpoints; 0 = only at the end
    resume: str | None = None  # path to a checkpoint file or run directory
    progress: bool = True
    tensorboard: bool = True


@runtime_checkable
class Trainer(Protocol):
    """One learning algorithm bound to its env, networks and optimizer.

    The run loop (simrl.runs) calls `iterate` until the env-step budget is spent, and uses `act` for
    deterministic evaluation and `state_dict`/`load_state_dict` for checkpoints (which must hold only
    tensors and plain Python values so they load with `torch.load(weights_only=True)`).
    """

    env_steps: int
    iteration: int

    def iterate(self) -> dict[str, float]:
        """Collect one batch of experience and update; return this iteration's metrics."""
        ...

    def act(self, obs: np.ndarray, deterministic: bool = True) -> np.ndarray:
        """Actions for raw env observations (num_envs, obs_dim)."""
        ...

    def state_dict(self) -> dict[str, Any]:
        """Everything needed to continue the same run: weights, optimizer, normalizer, RNG, counters."""
        ...

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore from `state_dict()`."""
        ...

    def learner_stats(self) -> dict[str, Any]:
        """Static and peak learner figures: parameters, optimizer bytes, peak memory, FLOPs/sample."""
        ...
