"""`simrl-export checkpoint=RUN_DIR_OR_PT format=onnx|torchscript|sb3 out=PATH`: deploy a policy.

A Hydra app over `conf/export.yaml`, as simrl-eval: `key=value` arguments, one-line errors, exit
status 2 for bad input (nothing written). The work is `simrl.export.export_policy`.
"""

from __future__ import annotations

from pathlib import Path

from omegaconf import DictConfig, OmegaConf

from simrl.cli.app import fail, run_app
from simrl.config import apps  # noqa: F401  (registers export_schema)
from simrl.config.build import ConfigError

APP = "simrl-export"


def default_out(checkpoint: str) -> Path:
    """`<run dir>/export/policy` (the format's suffix is added on export)."""
    from simrl.runs.checkpoint import resolve_checkpoint_path
    from simrl.runs.evaluate import run_dir_of

    return run_dir_of(resolve_checkpoint_path(checkpoint)) / "export" / "policy"


def check_export(cfg: DictConfig) -> None:
    """One-line errors for a missing, unreadable or unsafe checkpoint (read with weights_only: no
    code runs) and a format the run cannot take, before anything is written."""
    from simrl.export import FORMATS
    from simrl.runs.preflight import check_checkpoint

    payload = check_checkpoint(OmegaConf.select(cfg, "checkpoint", default=None), APP)
    if cfg.format not in FORMATS:
        raise ConfigError("format", cfg.format, f"must be one of {list(FORMATS)}")
    algo = payload["algo"]
    if cfg.format == "sb3" and algo != "ppo":
        raise ConfigError("format", cfg.format, f"needs a PPO run; this checkpoint is {algo}")


def export_job(cfg: DictConfig) -> None:
    """Hydra task: load, export, print the two paths."""
    from simrl.export import export_policy
    from simrl.policy import load_policy
    from simrl.runs.checkpoint import CheckpointError

    try:
        check_export(cfg)
        policy = load_policy(cfg.checkpoint)
        out = cfg.out if cfg.out is not None else default_out(cfg.checkpoint)
        model, spaces = export_policy(policy, cfg.format, out)
    except (CheckpointError, ConfigError) as exc:
        fail(APP, exc)
    except (ValueError, OSError, RuntimeError) as exc:
        fail(APP, exc, code=1)
    print(f"model   {model}\nspaces  {spaces}")


def main(argv: list[str] | None = None) -> None:
    """Entry point of `simrl-export`."""
    run_app(APP, "export", export_job, check=check_export, argv=argv)


if __name__ == "__main__":
    main()
