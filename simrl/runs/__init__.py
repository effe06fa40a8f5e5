"""Run loop, checkpoints, metrics, evaluation and run-directory outputs."""

from simrl.runs.checkpoint import CheckpointError, load_checkpoint, save_checkpoint
from simrl.runs.evaluate import EvalResult, evaluate_checkpoint, evaluate_policy
from simrl.runs.loop import run_training
from simrl.runs.spec import RunCallback, TrainSpec

__all__ = [
    "CheckpointError",
    "EvalResult",
    "evaluate_checkpoint",
    "evaluate_policy",
    "load_checkpoint",
    "RunCallback",
    "run_training",
    "save_checkpoint",
    "TrainSpec",
]
