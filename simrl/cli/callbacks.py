"""Hydra callback: at the end of a sweep, say how many runs failed and how to aggregate them."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from hydra.experimental.callback import Callback
from omegaconf import DictConfig

_LAST: list[tuple[int, int, str]] = []  # (failed, total, sweep dir) of the last sweep here


def sweep_status(sweep_dir: Path) -> tuple[list[Path], list[tuple[Path, str]]]:
    """(run dirs with a summary.json, [(run dir, error) of the failed ones]) under `sweep_dir`."""
    runs, failed = [], []
    for path in sorted(sweep_dir.rglob("summary.json")):
        runs.append(path.parent)
        try:
            summary = json.loads(path.read_text())
        except ValueError:
            failed.append((path.parent, "unreadable summary.json"))
            continue
        if summary.get("status") == "failed":
            failed.append((path.parent, str(summary.get("error") or "unknown error")))
    return runs, failed


def last_sweep_failures() -> tuple[int, int, str] | None:
    """(failed, total, sweep dir) when the last sweep in this process had failed runs."""
    return _LAST[-1] if _LAST and _LAST[-1][0] else None


class SweepSummary(Callback):
    """Prints one line per failed run and the `simrl-report` command after a multirun."""

    def on_multirun_end(self, config: DictConfig, **kwargs: Any) -> None:
        sweep_dir = Path(str(config.hydra.sweep.dir))
        runs, failed = sweep_status(sweep_dir)
        for run_dir, error in failed:
            print(f"FAILED {run_dir}: {error}", file=sys.stderr)
        print(
            f"sweep finished: {len(runs)} runs, {len(failed)} failed in {sweep_dir}; "
            f"aggregate with: simrl-report {sweep_dir}",
            flush=True,
        )
        _LAST.append((len(failed), len(runs), str(sweep_dir)))
