"""Settings of the run loop itself: seed, budget, evaluation and checkpoint cadence, outputs."""

from __future__ import annotations

from dataclasses import dataclass

from simrl.config.fields import MAX_ROWS, check_fields, limit
from simrl.runs.loggers import LOGGERS, check_logger


@dataclass
class RunConfig:
    """How one run is driven and recorded (the learner's settings live in its algorithm config,
    compute settings in `simrl.nn.compute.ComputeConfig`)."""

    seed: int = limit(0, ge=0, le=2**32 - 1)  # numpy's seed range
    total_env_steps: int = limit(200_000, ge=1)  # env-step budget of the run
    eval_every: int = limit(
        10, ge=0
    )  # iterations between deterministic evaluations; 0 = at the end
    # env steps between evaluations (0: off): the same points for learners of any iteration size
    eval_every_steps: int = limit(0, ge=0)
    eval_episodes: int = limit(16, ge=1, le=MAX_ROWS)
    checkpoint_every: int = limit(10, ge=0)  # iterations between checkpoints; 0 = at the end
    resume: str | None = None  # path to a checkpoint file or run directory
    progress: bool = True
    tensorboard: bool = True
    # where metrics go besides metrics.csv: tensorboard (tb/, when `tensorboard`), csv (only the
    # CSV), wandb or mlflow (simrl.runs.loggers; each an extra)
    logger: str = limit("tensorboard", choices=LOGGERS)
    meters: bool = True  # peak-memory and FLOP meters (their time never counts on the clocks)

    def __post_init__(self) -> None:
        self.validate()

    def validate(self) -> None:
        """One-line ValueError naming the field, its value and what is allowed."""
        check_fields(self)
        check_logger(self.logger)  # the tracker's extra is installed
