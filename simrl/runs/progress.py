"""Live progress of a run: a compact bar on a terminal, one plain line per evaluation elsewhere.

Both fit 80 columns: env steps are shown compactly (`1.44M/3.00M`), numbers with 3-4 significant
digits, success as the deterministic evaluation's success rate (what the run is judged by).
"""

from __future__ import annotations

import logging
import math
import sys
from typing import Any

from rich.console import Console

# The run's own lines (evaluations, messages, summary) for the run dir's log file (train.log
# under simrl-train); the console shows them through the bar or plain prints.
RUN_LOG = logging.getLogger("simrl.run")

BAR_WIDTH = 12


def _num(value: Any, digits: int = 3) -> str:
    """Short number: `-5.17`, `412`, `1.2e+03` -> `1.2k` style for large values; `-` if missing."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "-"
    value = float(value)
    if abs(value) >= 1000:
        return compact(value)
    return f"{value:.{digits}g}"


def compact(n: float) -> str:
    """1234 -> 1.23k, 1_440_000 -> 1.44M."""
    for unit, size in (("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if abs(n) >= size:
            return f"{n / size:.3g}{unit}"
    return f"{n:.0f}"


class RunProgress:
    """Progress over env steps: steps, training return, eval return and success, steps/s.

    `enabled=False` shows nothing; on a non-terminal (CI logs, files) the bar is replaced by one
    line per evaluation so logs stay readable.
    """

    def __init__(
        self, total_env_steps: int, start_env_steps: int, enabled: bool, title: str
    ) -> None:
        self.console = Console(stderr=True, highlight=False)
        self.enabled = enabled
        self.live = enabled and self.console.is_terminal
        self.total = total_env_steps
        self._progress = None
        if self.live:
            from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

            self._progress = Progress(
                TextColumn("[bold]{task.description}"),
                BarColumn(bar_width=BAR_WIDTH),
                TextColumn("{task.fields[steps]}"),
                TextColumn("{task.fields[stats]}"),
                TimeRemainingColumn(compact=True),
                console=self.console,
            )
            self._task = self._progress.add_task(
                title.split("/")[-1][:16],
                total=total_env_steps,
                completed=start_env_steps,
                steps=self._steps(start_env_steps),
                stats="",
            )

    def _steps(self, env_steps: int) -> str:
        return f"{compact(env_steps)}/{compact(self.total)}"

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
        eval_success: float | None,
        steps_per_s: float,
        eval_return: float | None,
        evaluated: bool,
        iteration: int,
    ) -> None:
        """Refresh the bar (or print a line after an evaluation when not on a terminal)."""
        stats = (
            f"ret {_num(return_mean)} eval {_num(eval_return)} succ {_num(eval_success, 2)} "
            f"{compact(steps_per_s) if math.isfinite(steps_per_s) else '-'}/s"
        )
        if evaluated:
            RUN_LOG.info("iter %d %s %s", iteration, self._steps(env_steps), stats)
        if not self.enabled:
            return
        if self._progress is not None:
            self._progress.update(
                self._task,
                completed=min(env_steps, self.total),
                steps=self._steps(env_steps),
                stats=stats,
            )
        elif evaluated:
            print(f"iter {iteration} {self._steps(env_steps)} {stats}", file=sys.stderr, flush=True)

    def message(self, text: str, style: str = "yellow") -> None:
        """A log line that does not break the bar (always shown, even with progress off); printed
        whole, never wrapped, so paths in it stay intact."""
        RUN_LOG.info(text)
        if self._progress is not None:
            self.console.print(text, style=style, soft_wrap=True)
        else:
            print(text, file=sys.stderr, flush=True)
