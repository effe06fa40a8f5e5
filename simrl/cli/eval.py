"""`simrl-eval checkpoint=PATH episodes=N video=true|false`: evaluate a saved policy.

A Hydra app over `conf/eval.yaml` (so the same `key=value` syntax and one-line errors as
simrl-train); the work is `simrl.runs.evaluate_checkpoint`. Run as a module too:
`python -m simrl.cli.eval checkpoint=...`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from hydra.core.config_store import ConfigStore
from omegaconf import MISSING, DictConfig, OmegaConf

from simrl.cli.app import fail, run_app
from simrl.cli.validate import ConfigError

APP = "simrl-eval"


@dataclass
class EvalConfig:
    """Settings of one evaluation."""

    checkpoint: str = MISSING
    episodes: int = 16
    video: bool = False
    deterministic: bool = True
    seed: Optional[int] = None  # noqa: UP045 (OmegaConf needs typing.Optional)
    device: str = "auto"
    out: Optional[str] = None  # noqa: UP045


ConfigStore.instance().store(name="eval_schema", node=EvalConfig)


def check_eval(cfg: DictConfig) -> None:
    """One-line errors for a missing/absent checkpoint and bad counts, before loading anything."""
    from simrl.nn.device import resolve_device

    if OmegaConf.is_missing(cfg, "checkpoint"):
        raise ConfigError("checkpoint", "???", "is required: simrl-eval checkpoint=RUN_DIR_OR_FILE")
    if not Path(cfg.checkpoint).exists():
        raise ConfigError("checkpoint", cfg.checkpoint, "does not exist (a .pt file or run dir)")
    if cfg.episodes < 1:
        raise ConfigError("episodes", cfg.episodes, "must be an integer >= 1")
    resolve_device(cfg.device)


def eval_job(cfg: DictConfig) -> dict:
    """Hydra task: evaluate and print the table; errors are one line, exit status 1."""
    from simrl.runs import evaluate_checkpoint

    try:
        check_eval(cfg)
        out = cfg.out
        if out is None:
            ckpt = Path(cfg.checkpoint)
            out = str(ckpt if ckpt.is_dir() else ckpt.parent)
        return evaluate_checkpoint(
            cfg.checkpoint,
            episodes=cfg.episodes,
            video=cfg.video,
            out_dir=out,
            deterministic=cfg.deterministic,
            seed=cfg.seed,
            device=cfg.device,
        )
    except (ValueError, OSError, RuntimeError) as exc:
        fail(APP, exc, code=1)
    return {}


def main(argv: list[str] | None = None) -> None:
    """Entry point of `simrl-eval`."""
    run_app(APP, "eval", eval_job, check=check_eval, argv=argv)


if __name__ == "__main__":
    main()
