"""Experiment trackers beside metrics.csv: Weights & Biases and MLflow (`logger=wandb|mlflow`).

`logger=tensorboard` (default) and `logger=csv` need nothing here: `MetricsWriter` writes
metrics.csv always and TensorBoard for the former. A tracker receives the run's resolved config
as hyperparameters when it opens, every metrics row (step = env steps), and the summary's final
figures when the run ends. Each backend is an optional extra; a missing one is refused up front
with one line naming it (`check_logger`).

- wandb: offline unless `WANDB_MODE` says otherwise (no network needed; `wandb sync` uploads
  later), files under the run directory, project `WANDB_PROJECT` or "simrl".
- mlflow: the tracking URI `MLFLOW_TRACKING_URI`, else a local file store in the run
  directory's `mlruns/` (MLflow 3 wants `MLFLOW_ALLOW_FILE_STORE=true` for it, which is set
  then); experiment `MLFLOW_EXPERIMENT_NAME` or "simrl".
"""

from __future__ import annotations

import importlib.util
import math
import os
import time
import warnings
from pathlib import Path
from typing import Any

LOGGERS = ("tensorboard", "csv", "wandb", "mlflow")
EXTRAS = {"wandb": ("wandb", "wandb"), "mlflow": ("mlflow", "mlflow")}  # logger: (module, extra)
FINAL_KEYS = ("final_return_mean", "final_return_std", "success_rate", "env_steps", "wall_s")


def check_logger(name: str) -> None:
    """One-line ValueError for an unknown logger or one whose extra is not installed."""
    if name not in LOGGERS:
        raise ValueError(f"logger={name!r} is not one of {list(LOGGERS)}")
    if name in EXTRAS:
        module, extra = EXTRAS[name]
        if importlib.util.find_spec(module) is None:
            raise ValueError(f"logger={name} needs {module}: pip install 'simrl[{extra}]'")


def flat(tree: Any, prefix: str = "") -> dict[str, Any]:
    """Nested dicts -> {"a.b": scalar} (lists and other values as text)."""
    out: dict[str, Any] = {}
    if isinstance(tree, dict):
        for key, value in tree.items():
            out.update(flat(value, f"{prefix}{key}."))
        return out
    key = prefix[:-1]
    out[key] = tree if tree is None or isinstance(tree, (bool, int, float, str)) else str(tree)
    return out


def scalars(row: dict[str, Any]) -> dict[str, float]:
    """The finite numbers of a metrics row, named train/KEY or eval/KEY (as in TensorBoard)."""
    out = {}
    for key, value in row.items():
        if key in ("iteration", "env_steps") or isinstance(value, bool):
            continue
        if isinstance(value, (int, float)) and math.isfinite(float(value)):
            group = "eval" if key.startswith("eval_") else "train"
            out[f"{group}/{key.removeprefix('eval_')}"] = float(value)
    return out


def final_metrics(summary: dict[str, Any]) -> dict[str, float]:
    """The summary's final figures that are numbers (final/...)."""
    return {
        f"final/{k}": float(summary[k])
        for k in FINAL_KEYS
        if isinstance(summary.get(k), (int, float)) and not isinstance(summary.get(k), bool)
    }


class WandbLogger:
    """A W&B run in the run directory (offline unless WANDB_MODE is set)."""

    def __init__(self, run_dir: Path, name: str, config: dict[str, Any]) -> None:
        import wandb

        self._wandb = wandb
        self.run = wandb.init(
            project=os.environ.get("WANDB_PROJECT", "simrl"),
            name=name,
            dir=str(run_dir),
            mode=os.environ.get("WANDB_MODE", "offline"),
            config=config,
            reinit="create_new",
        )

    def log(self, row: dict[str, Any]) -> None:
        self.run.log(scalars(row), step=int(row["env_steps"]))

    def finish(self, summary: dict[str, Any]) -> None:
        for key, value in final_metrics(summary).items():
            self.run.summary[key] = value
        self.run.summary["status"] = summary.get("status")
        self.run.finish(exit_code=0 if summary.get("status") == "completed" else 1)


class MlflowLogger:
    """An MLflow run (local file store in the run directory unless MLFLOW_TRACKING_URI)."""

    def __init__(self, run_dir: Path, name: str, config: dict[str, Any]) -> None:
        import mlflow

        uri = os.environ.get("MLFLOW_TRACKING_URI")
        if not uri:  # MLflow 3 keeps its file store behind an opt-in; a local store is the point
            os.environ.setdefault("MLFLOW_ALLOW_FILE_STORE", "true")
            uri = (Path(run_dir) / "mlruns").resolve().as_uri()
        self.client = mlflow.MlflowClient(tracking_uri=uri)
        experiment = os.environ.get("MLFLOW_EXPERIMENT_NAME", "simrl")
        found = self.client.get_experiment_by_name(experiment)
        exp_id = found.experiment_id if found else self.client.create_experiment(experiment)
        self.run_id = self.client.create_run(exp_id, run_name=name).info.run_id
        params = [mlflow.entities.Param(k, str(v)[:6000]) for k, v in flat(config).items()]
        for i in range(0, len(params), 100):  # MLflow takes at most 100 params per batch
            self.client.log_batch(self.run_id, params=params[i : i + 100])
        self._metric = mlflow.entities.Metric

    def log(self, row: dict[str, Any]) -> None:
        step, stamp = int(row["env_steps"]), int(time.time() * 1000)
        metrics = [self._metric(k, v, stamp, step) for k, v in scalars(row).items()]
        self.client.log_batch(self.run_id, metrics=metrics)

    def finish(self, summary: dict[str, Any]) -> None:
        step, stamp = int(summary.get("env_steps") or 0), int(time.time() * 1000)
        metrics = [self._metric(k, v, stamp, step) for k, v in final_metrics(summary).items()]
        self.client.log_batch(self.run_id, metrics=metrics)
        self.client.set_tag(self.run_id, "status", str(summary.get("status")))
        ok = summary.get("status") == "completed"
        self.client.set_terminated(self.run_id, "FINISHED" if ok else "FAILED")


def open_tracker(name: str, run_dir: Path, config: dict[str, Any]) -> Any:
    """The tracker of logger `name` (None for tensorboard and csv)."""
    check_logger(name)
    cls = {"wandb": WandbLogger, "mlflow": MlflowLogger}.get(name)
    if cls is None:
        return None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        return cls(Path(run_dir), Path(run_dir).name, config)
