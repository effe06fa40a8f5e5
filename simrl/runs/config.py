"""Settings of the run loop itself: seed, budget, evaluation and checkpoint cadence, outputs."""

from __future__ import annotations

from dataclasses import dataclass

from simrl.checks import check_fields, limit


@dataclass
class RunConfig:
    """How one run is driven and recorded (the learner's settings live in its algorithm config,
    compute settings in `simrl.nn.compute.ComputeConfig`)."""

    seed: int = limit(0, ge=0)
    total_env_steps: int = limit(200_000, ge=1)  # env-step budget of the run
    eval_every: int = limit(
        10, ge=0
    )  # iterations between deterministic evaluations; 0 = at the end
    eval_episodes: int = limit(16, ge=1)
    checkpoint_every: int = limit(10, ge=0)  # iterations between checkpoints; 0 = at the end
    resume: str | None = None  # path to a checkpoint file or run directory
    progress: bool = True
    tensorboard: bool = True

    def __post_init__(self) -> None:
        self.validate()

    def validate(self) -> None:
        """One-line ValueError naming the field, its value and what is allowed."""
        check_fields(self)
