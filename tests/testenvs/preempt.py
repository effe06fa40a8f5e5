"""A Hydra callback for tests: preempt a job once, the way SLURM does, right after its first
checkpoint (the run's own checkpoint hook tells when), by sending it submitit's preemption signal.

    +hydra.callbacks.preempt._target_=testenvs.preempt.PreemptOnce
"""

from __future__ import annotations

import os
import signal
from pathlib import Path
from typing import Any

from hydra.experimental.callback import Callback

MARKER = "preempted.marker"  # written into the run directory when the signal is sent


class PreemptOnce(Callback):
    """Send SIGUSR2 to this job after its first checkpoint, once per run directory."""

    def on_job_start(self, config: Any, **kwargs: Any) -> None:
        from hydra.core.hydra_config import HydraConfig

        import simrl.runs.loop as loop

        run_dir = Path(HydraConfig.get().runtime.output_dir)

        def hook(path: Path, iteration: int) -> None:
            marker = run_dir / MARKER
            if iteration == 1 and not marker.exists():
                marker.write_text(str(os.getpid()))
                os.kill(os.getpid(), signal.SIGUSR2)

        loop.CHECKPOINT_HOOKS.append(hook)
