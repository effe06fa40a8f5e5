"""Live progress of a run: a rich bar on a terminal, plain log lines elsewhere."""

from __future__ import annotations

import math
from typing import Any

from rich.console import Console


def _num(value: Any, fmt: str) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "-"
    return format(value, fmt)


class RunProgress:
    """Progress over env steps showing return, success and steps/s.

    `enabled=False` shows nothing; on a non-terminal (CI logs, files) the bar is replaced by one line
    per evaluation so logs stay readable.
    """

    def __init__(
        self, total_env_steps: int, start_env_steps: int, enabled: bool, title: str
    ) -> None:
        self.console = Console(stderr=True)
        self.enabled = enabled
        self.live = enabled and self.console.is_terminal
        self.total = total_env_steps
        self._progress = None
        if self.live:
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                TextColumn,
                TimeElapsedColumn,
                TimeRemainingColumn,
            )

            self._progress = Progress(
                TextColumn("[bold]{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn(
                    "ret {task.fields[ret]}  eval {task.fields[eval]}  succ {task.fields[succ]}"
                ),
                TextColumn("{task.fields[sps]} steps/s"),
                TimeElapsedColumn(),
                TimeRemainingColumn(),
                console=self.console,
            )
            self._task = self._progress.add_task(
                title,
                total=total_env_steps,
                completed=start_env_steps,
                ret="-",
                eval="-",
                succ="-",
                sps="-",
            )

    def __enter__(self) -> RunProgress:
        if self._progress is not None:
            self._progress.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        if self._progress is not None:
            self._progress.stop()

    def update(
        self,
        env_steps: int,
        return_mean: float | None,
        success_rate: float | None,
        steps_per_s: float,
        eval_return: float | None,
        evaluated: bool,
        iteration: int,
    ) -> None:
        """Refresh the bar (or print a line after an evaluation when not on a terminal)."""
        if not self.enabled:
            return
        ret, succ, sps = (
            _num(return_mean, ".2f"),
            _num(success_rate, ".2f"),
            _num(steps_per_s, ",.0f"),
        )
        ev = _num(eval_return, ".2f")
        if self._progress is not None:
            self._progress.update(
                self._task,
                completed=min(env_steps, self.total),
                ret=ret,
                succ=succ,
                sps=sps,
                eval=ev,
            )
        elif evaluated:
            self.console.print(
                f"iter {iteration}  steps {env_steps:,}/{self.total:,}  return {ret}  eval {ev}  "
                f"success {succ}  {sps} steps/s",
                highlight=False,
            )

    def message(self, text: str, style: str = "yellow") -> None:
        """A log line that does not break the bar (always shown, even with progress off)."""
        self.console.print(text, style=style, highlight=False)
