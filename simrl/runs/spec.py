"""What one run is given: `TrainSpec` (the checked configs) and `RunCallback` (hooks per run).

The command line builds a `TrainSpec` from its composed config (`simrl.config.build`); a script
can build one by hand. `run_training(spec, run_dir, callbacks=[...])` trains it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from simrl.nn.compute import ComputeConfig
from simrl.runs.config import RunConfig


@dataclass
class TrainSpec:
    """One run, configured: the algorithm's name and its config, the env (with its curriculum),
    the network core, the run loop's and the compute settings. `config_dict` is the resolved
    form written to config.yaml, checkpoints and summaries (built from the others when None)."""

    algo: str
    env: Any  # simrl.sim.config.EnvConfig
    model: Any  # simrl.nn.CoreConfig
    algo_cfg: Any  # the algorithm's config (GRPOConfig, PPOConfig)
    run: RunConfig = field(default_factory=RunConfig)
    compute: ComputeConfig = field(default_factory=ComputeConfig)
    config_dict: dict[str, Any] | None = None

    def train(self, run_dir: str | Path, **kwargs: Any) -> dict[str, Any]:
        """`simrl.runs.run_training(self, run_dir, **kwargs)`: train; return the summary."""
        from simrl.runs.loop import run_training  # heavy (torch, mujoco): only when a run starts

        return run_training(self, run_dir, **kwargs)


class RunCallback:
    """Hooks one run calls; subclass and override what you need, then pass instances to
    `run_training(..., callbacks=[...])` (e.g. to copy checkpoints elsewhere, or, in tests, to
    signal the run at a known point)."""

    def on_checkpoint(self, path: Path, iteration: int) -> None:
        """Called after each `last.pt` is written (atomically), with its path and iteration."""
