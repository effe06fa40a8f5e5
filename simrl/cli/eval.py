"""`simrl-eval checkpoint=PATH episodes=N video=true [video.episodes=4 video.format=mp4|gif]`.

`simrl-eval policy=scripted [env.id=simrl/Push-v0 env.domain_randomization=true] episodes=200
out=DIR` evaluates the hand-written controllers of the arm tasks instead (`simrl.bench.scripted`).

A Hydra app over `conf/eval.yaml` (so the same `key=value` syntax and one-line errors as
simrl-train); the work is `simrl.runs.evaluate_checkpoint`. Run as a module too:
`python -m simrl.cli.eval checkpoint=...`.
"""

from __future__ import annotations

import sys
from pathlib import Path

from omegaconf import DictConfig, OmegaConf

from simrl.cli.app import fail, run_app
from simrl.config.apps import check_limits
from simrl.config.build import ConfigError
from simrl.config.dirs import check_out_dir

APP = "simrl-eval"


def check_scripted(cfg: DictConfig) -> None:
    """One-line errors for `policy=scripted` settings, before anything is written."""
    from simrl.bench.scripted import check_scripted_task

    if not OmegaConf.is_missing(cfg, "checkpoint"):
        raise ConfigError("checkpoint", cfg.checkpoint, "does not apply to policy=scripted")
    check_scripted_task(cfg.env.id, cfg.env.domain_randomization, cfg.env.reward)
    if cfg.video.record:
        raise ConfigError("video.record", "true", "does not apply to policy=scripted")
    if cfg.out is not None:
        check_out_dir("out", cfg.out)


def check_eval(cfg: DictConfig) -> None:
    """One-line errors for a missing, unreadable or unsafe checkpoint and bad values, before
    anything is written (the checkpoint is read with weights_only: no code runs)."""
    from simrl.nn.device import resolve_device
    from simrl.runs.preflight import check_checkpoint

    check_limits(cfg)
    if cfg.policy == "scripted":
        check_scripted(cfg)
        return
    path = OmegaConf.select(cfg, "checkpoint", default=None)
    if path is not None and str(path).strip() and Path(path).exists():
        check_out_dir("out", eval_out_dir(cfg))
        if cfg.video.record and cfg.video.dir is not None:
            check_out_dir("video.dir", cfg.video.dir)
        resolve_device(cfg.device)
    check_checkpoint(path, APP)


def eval_out_dir(cfg: DictConfig) -> str:
    """Where eval.json goes: `out`, else the run directory of the checkpoint."""
    if cfg.out is not None:
        return str(cfg.out)
    ckpt = Path(cfg.checkpoint)
    return str(ckpt if ckpt.is_dir() else ckpt.parent)


def eval_job(cfg: DictConfig) -> dict:
    """Hydra task: evaluate and print the table; errors are one line, exit status 1."""
    from simrl.runs import evaluate_checkpoint
    from simrl.runs.checkpoint import CheckpointError

    try:
        check_eval(cfg)
        if cfg.policy == "scripted":
            from simrl.bench.scripted import run_scripted

            env = cfg.env
            dr, seed = env.domain_randomization, cfg.seed or 0
            return run_scripted(env.id, dr, cfg.episodes, seed, cfg.out, env.reward)
        out = eval_out_dir(cfg)
        return evaluate_checkpoint(
            cfg.checkpoint,
            episodes=cfg.episodes,
            video=cfg.video.record,
            video_episodes=cfg.video.episodes,
            video_format=cfg.video.format,
            video_size=cfg.video.size,
            video_dir=cfg.video.dir,
            out_dir=out,
            deterministic=cfg.deterministic,
            seed=cfg.seed,
            device=cfg.device,
        )
    except CheckpointError as exc:  # bad input: a usage error, as in the up-front check
        fail(APP, exc)
    except (ValueError, OSError, RuntimeError) as exc:
        fail(APP, exc, code=1)
    return {}


def video_shorthand(argv: list[str]) -> list[str]:
    """`video=true|false` (the older boolean key) -> `video.record=...`."""
    return [
        f"video.record={a.split('=', 1)[1]}" if a.split("=", 1)[0] == "video" else a for a in argv
    ]


def out_flag(argv: list[str]) -> list[str]:
    """`--out PATH` / `--out=PATH` (simrl-report's older flag) -> `out=PATH`."""
    out, i = [], 0
    while i < len(argv):
        if argv[i] == "--out" and i + 1 < len(argv):
            out.append(f"out={argv[i + 1]}")
            i += 2
            continue
        out.append("out=" + argv[i][len("--out=") :] if argv[i].startswith("--out=") else argv[i])
        i += 1
    return out


def main(argv: list[str] | None = None) -> None:
    """Entry point of `simrl-eval`."""
    argv = out_flag(video_shorthand(list(sys.argv[1:] if argv is None else argv)))
    run_app(APP, "eval", eval_job, check=check_eval, argv=argv)


if __name__ == "__main__":
    main()
