"""A run callback for tests: preempt a job once, the way SLURM does, right after its first
checkpoint, by sending it submitit's preemption signal.

    from simrl.cli.train import main
    main([...], callbacks=[PreemptOnce()])
"""

from __future__ import annotations

import os
import signal
from pathlib import Path

from simrl.runs import RunCallback

MARKER = "preempted.marker"  # written into the run directory when the signal is sent


class PreemptOnce(RunCallback):
    """Send SIGUSR2 to this job after its first checkpoint, once per run directory."""

    def on_checkpoint(self, path: Path, iteration: int) -> None:
        marker = Path(path).parent.parent / MARKER  # <run>/checkpoints/last.pt
        if iteration == 1 and not marker.exists():
            marker.write_text(str(os.getpid()))
            os.kill(os.getpid(), signal.SIGUSR2)
