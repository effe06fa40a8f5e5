"""What every algorithm gives the run loop: the `Trainer` protocol and its factory signature.

A trainer is built by its algorithm's factory

    make_trainer(env_cfg, model_cfg, algo_cfg, compute, *, seed, total_env_steps) -> Trainer

with `compute` (a `simrl.nn.compute.Compute`: device, threads, precision plan) resolved once by
the caller. One iteration is `batch = trainer.collect()` then `metrics = trainer.update(batch)`;
the run loop (or a benchmark) times and meters the update from the outside, so the learner has no
metering of its own.
"""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable

import numpy as np


@runtime_checkable
class Batch(Protocol):
    """One iteration's experience, as `Trainer.collect` returns it."""

    samples: int  # samples the update learns from (one pass over them = one epoch)


@runtime_checkable
class Trainer(Protocol):
    """One learning algorithm bound to its env, networks and optimizer.

    `state_dict` must hold only tensors and plain Python values, so checkpoints load with
    `torch.load(weights_only=True)`.
    """

    env_steps: int
    iteration: int

    def collect(self) -> Batch:
        """Collect one batch of experience (this is where env steps are spent)."""
        ...

    def update(self, batch: Any) -> dict[str, float]:
        """Learn from `batch`; return the iteration's metrics (rollout and update figures, with
        `learner_epochs`: passes made over `batch.samples`)."""
        ...

    def iterate(self) -> dict[str, float]:
        """`update(collect())`: one iteration without metering (scripts and tests)."""
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
        """Static learner figures: trainable parameters, optimizer bytes, precision plan."""
        ...
