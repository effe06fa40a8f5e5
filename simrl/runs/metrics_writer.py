"""Per-update metrics: `metrics.csv` (one row per update, stable columns), TensorBoard (`tb/`)
and, with `logger=wandb|mlflow`, an experiment tracker (`simrl.runs.loggers`)."""

from __future__ import annotations

import csv
import io
import math
import warnings
from pathlib import Path
from typing import Any

from simrl.files import atomic_write_text

# Always first, in this order; trainer metrics follow (sorted), eval columns last.
LEAD_COLUMNS = ("iteration", "env_steps", "wall_s", "iter_time_s", "env_steps_per_s")
EVAL_COLUMNS = ("eval_return_mean", "eval_return_std", "eval_success_rate")


def columns_for(first_row: dict[str, Any]) -> list[str]:
    """The CSV header fixed by the first update's metrics."""
    skip = set(LEAD_COLUMNS) | set(EVAL_COLUMNS)
    middle = sorted(k for k, v in first_row.items() if k not in skip and _is_scalar(v))
    return [*LEAD_COLUMNS, *middle, *EVAL_COLUMNS]


def _is_scalar(v: Any) -> bool:
    return v is None or isinstance(v, (bool, int, float, str))


def _cell(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, float):
        return "nan" if math.isnan(v) else repr(v)
    return str(v)


class MetricsWriter:
    """Writes metric rows to CSV (flushed every row) and, optionally, TensorBoard scalars.

    On resume, `history` (rows restored from the checkpoint) is written first, so the CSV always
    holds exactly one row per completed update even if the old file had rows past the checkpoint.
    """

    def __init__(
        self,
        run_dir: Path,
        *,
        tensorboard: bool = True,
        history: list[dict[str, Any]] | None = None,
        columns: list[str] | None = None,
        tracker: Any = None,
        hparams: dict[str, Any] | None = None,
    ) -> None:
        self.csv_path = Path(run_dir) / "metrics.csv"
        self.tb_dir = Path(run_dir) / "tb" if tensorboard else None
        self.tracker, self.hparams = tracker, hparams
        self.columns: list[str] | None = list(columns) if columns else None
        self._file = None
        self._writer = None
        self._tb = None
        history = history or []
        if history:
            self.columns = self.columns or columns_for(history[0])
            buf = io.StringIO()
            w = csv.writer(buf)
            w.writerow(self.columns)
            for row in history:
                w.writerow([_cell(row.get(c)) for c in self.columns])
            atomic_write_text(self.csv_path, buf.getvalue())
            self._open(append=True)
        if tensorboard:
            from torch.utils.tensorboard import SummaryWriter

            tb_dir = Path(run_dir) / "tb"
            fresh = not tb_dir.exists()
            purge = int(history[-1]["env_steps"]) + 1 if history else None
            self._tb = SummaryWriter(log_dir=str(tb_dir), purge_step=purge)
            if fresh:  # a new run dir: replay the restored history into TensorBoard
                for row in history:
                    self._tb_row(row)
        for row in history if tracker is not None else []:  # a resumed run's tracker: whole
            self._track(row)

    def _open(self, append: bool) -> None:
        self._file = open(self.csv_path, "a" if append else "w", newline="", encoding="utf-8")
        self._writer = csv.writer(self._file)

    def _tb_row(self, row: dict[str, Any]) -> None:
        step = int(row["env_steps"])
        for key, value in row.items():
            if key in ("iteration", "env_steps") or isinstance(value, (str, bool)) or value is None:
                continue
            if not isinstance(value, (int, float)) or math.isnan(float(value)):
                continue
            group = "eval" if key.startswith("eval_") else "train"
            name = key[len("eval_") :] if group == "eval" else key
            self._tb.add_scalar(f"{group}/{name}", float(value), step)

    def write(self, row: dict[str, Any]) -> None:
        """Append one update's row (missing columns empty; keys outside the header are dropped)."""
        if self._writer is None:
            self.columns = self.columns or columns_for(row)
            self._open(append=False)
            self._writer.writerow(self.columns)
        self._writer.writerow([_cell(row.get(c)) for c in self.columns])
        self._file.flush()
        if self._tb is not None:
            self._tb_row(row)
        self._track(row)

    def _track(self, row: dict[str, Any]) -> None:
        if self.tracker is None:
            return
        try:
            self.tracker.log(row)
        except Exception as exc:  # a tracker must never cost the run its results
            warnings.warn(f"logger stopped: {type(exc).__name__}: {exc}", stacklevel=2)
            self.tracker = None

    def log_summary(self, summary: dict[str, Any]) -> None:
        """The run's hyperparameters with its final figures (TensorBoard's hparams tab) and the
        tracker's final metrics; closes the tracker. Called once the summary is written."""
        from simrl.runs.loggers import final_metrics, flat

        try:
            if self.tb_dir is not None and self.hparams is not None:
                from torch.utils.tensorboard import SummaryWriter

                with SummaryWriter(log_dir=str(self.tb_dir)) as tb:
                    hparams = {k: "None" if v is None else v for k, v in flat(self.hparams).items()}
                    tb.add_hparams(hparams, final_metrics(summary), run_name=".")
            if self.tracker is not None:
                self.tracker.finish(summary)
        except Exception as exc:
            warnings.warn(f"logging the summary failed: {type(exc).__name__}: {exc}", stacklevel=2)
        self.tracker = None

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None
        if self._tb is not None:
            self._tb.flush()
            self._tb.close()
            self._tb = None
