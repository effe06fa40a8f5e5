"""Pre-flight checks of a run, in one place: what needs the machine or the files, not just the
values (those are the settings' own limits, `simrl.config.fields`).

The env id and its options (by building a one-row env), `render_mode`, the learner state's memory
against this machine's, the device and a strict precision, the resume target (read, checked for
the same run, its policy rebuilt on the CPU) and the files named by curriculum settings
(`simrl.sim.preflight`). Each refusal is one line naming the key; nothing is written.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from simrl.messages import UsageError as ConfigError
from simrl.messages import first_line
from simrl.nn import CoreConfig
from simrl.nn.compute import ComputeConfig
from simrl.runs.config import RunConfig
from simrl.sim.config import EnvConfig

if TYPE_CHECKING:
    from simrl.runs.spec import TrainSpec


RENDER_MODES = (None, "rgb_array", "depth_array", "human")


def preflight(spec: TrainSpec, spaces: tuple[Any, Any]) -> None:
    """Every check of a built run that needs files or the machine (the env itself was built
    by `check_env`, which gave `spaces`): curriculum files and success signal, learner memory,
    device and precision, the resume target."""
    from simrl.sim.preflight import check_training_inputs

    check_training_inputs(spec.env)  # curriculum files, success for outcome rewards
    obs_dim, act_dim = (int(np.prod(space.shape)) for space in spaces)
    check_memory(spec.model, spec.algo_cfg, obs_dim, act_dim)
    check_machine(spec.run, spec.compute)
    if spec.run.resume is not None:
        check_resume(spec, spaces)


def check_render_mode(mode: Any) -> None:
    """`env.options.render_mode`: a Gymnasium render mode; `human` only where a display is
    (without one MuJoCo's viewer aborts the process); videos use rgb_array."""
    import os

    if mode not in RENDER_MODES:
        raise ConfigError("env.options.render_mode", mode, "is not a render mode", RENDER_MODES)
    if mode == "human" and not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        raise ConfigError(
            "env.options.render_mode",
            mode,
            "needs a display and none is set (DISPLAY); for videos use simrl-eval video=true, "
            "which renders offscreen",
            ["null", "rgb_array", "depth_array"],
        )


def check_env(env_cfg: EnvConfig) -> tuple[Any, Any]:
    """The env id, then its options, by building a one-row env (a task checks its options).

    Returns the env's single observation and action spaces."""
    from simrl.sim import available_envs, make_group_env
    from simrl.sim.registry import UnknownEnvIdError, check_env_id

    try:
        check_env_id(env_cfg.id)
    except UnknownEnvIdError:
        raise ConfigError("env.id", env_cfg.id, "is not a known env", available_envs()) from None
    except ValueError as exc:
        raise ValueError(f"env.id={env_cfg.id}: {first_line(exc)}") from None
    from simrl.sim.gym_rows import MissingPackageError

    check_render_mode(dict(env_cfg.options).get("render_mode"))
    for key, value in dict(env_cfg.options).items():
        if isinstance(value, float) and not math.isfinite(value):
            raise ConfigError(f"env.options.{key}", value, "must be a finite number")
    try:
        env = make_group_env(env_cfg.id, num_groups=1, group_size=1, **dict(env_cfg.options))
    except MissingPackageError as exc:
        raise ValueError(f"env.id={env_cfg.id}: {first_line(exc)}") from None
    except Exception as exc:  # the env's own constructor refused its keyword arguments
        given = ", ".join(f"{k}={v}" for k, v in dict(env_cfg.options).items()) or "none"
        raise ValueError(
            f"env.options ({given}) refused by {env_cfg.id}: {first_line(exc)}"
        ) from None
    try:
        adaptive = env_cfg.curriculum.name == "adaptive"
        steps = env_cfg.curriculum.arm_steps if adaptive else 0
        if steps and not env.has_approach():
            raise ConfigError("curriculum.arm_steps", steps, env.no_approach(), [0])
        bins = env_cfg.curriculum.direction_bins if adaptive else 0
        if bins and not env.has_goal_directions():
            raise ConfigError("curriculum.direction_bins", bins, env.no_goal_directions(), [0])
        return env.single_observation_space, env.single_action_space
    finally:
        env.close()


def check_resume(built: TrainSpec, spaces: tuple[Any, Any]) -> None:
    """A resume target that this run cannot continue is refused before anything is written: it
    must be a readable simrl checkpoint of the same algorithm and env whose policy weights fit
    this run's model (checked by rebuilding the policy from it, on the CPU)."""
    from simrl.policy import policy_from_payload
    from simrl.runs.checkpoint import (
        CheckpointError,
        check_compatible,
        check_same_run,
        load_checkpoint,
    )
    from simrl.runs.plain import to_plain

    resume = built.run.resume
    obs_space, act_space = spaces
    try:
        payload = load_checkpoint(resume)
        check_compatible(
            payload,
            algo=built.algo,
            env_id=built.env.id,
            obs_dim=int(obs_space.shape[0]),
            act_dim=int(act_space.shape[0]),
        )
        policy_from_payload(  # the one loader, with this run's model and algo settings
            payload,
            spaces=spaces,
            model_cfg=built.model,
            algo_cfg=built.algo_cfg,
            compute_cfg=ComputeConfig(device="cpu", num_threads=1),
        )
        check_same_run(
            payload,
            {
                "env": to_plain(built.env),
                "model": to_plain(built.model),
                "run": {"seed": built.run.seed},
            },
        )
    except (CheckpointError, ValueError, KeyError, RuntimeError) as exc:
        raise ValueError(f"resume={resume} refused: {first_line(exc)}") from None


def check_checkpoint(path: Any, app: str) -> dict[str, Any]:
    """`checkpoint=` of simrl-eval / simrl-export: given, existing, and a readable simrl
    checkpoint (read with weights_only: no code runs); returns its payload."""
    from simrl.runs.checkpoint import load_checkpoint

    if path is None or path == "???":  # "???": a required key left unset (OmegaConf's MISSING)
        raise ConfigError("checkpoint", "???", f"is required: {app} checkpoint=RUN_DIR_OR_FILE")
    if not str(path).strip():
        raise ConfigError("checkpoint", "''", "is empty; give a run directory or a .pt file")
    if not Path(path).exists():
        raise ConfigError("checkpoint", path, "does not exist (a .pt file or run dir)")
    return load_checkpoint(path)


def machine_memory_bytes() -> int:
    """Physical memory of this machine (0 if unknown)."""
    import os

    try:
        return int(os.sysconf("SC_PHYS_PAGES")) * int(os.sysconf("SC_PAGE_SIZE"))
    except (ValueError, OSError, AttributeError):
        return 0


def check_memory(model: CoreConfig, algo_cfg: Any, obs_dim: int, act_dim: int) -> None:
    """Refuse settings whose learner state alone would not fit this machine's memory (weights,
    gradients and Adam's two moments, a second trunk for PPO's value net), before any work."""
    total = machine_memory_bytes()
    if not total:
        return
    inner = model.width * (model.expansion * 2 if model.kind == "residual" else 1)
    params = model.depth * model.width * inner + (obs_dim + act_dim + 2) * model.width
    trunks = 2 if hasattr(algo_cfg, "n_envs") else 1
    need = params * 4 * 4 * trunks
    if need > total // 2:
        raise ConfigError(
            "model.width",
            model.width,
            f"needs about {need / 2**30:.1f} GiB of learner state (depth {model.depth}); "
            f"this machine has {total / 2**30:.1f} GiB",
        )


def check_machine(run: RunConfig, compute: ComputeConfig) -> None:
    """Values that need this machine: the device, a strict precision, the resume checkpoint."""
    from simrl.nn.device import resolve_device

    try:
        device = resolve_device(compute.device)
    except ValueError as exc:
        reason = f"cannot be used: {first_line(exc)}"
        raise ConfigError("device", compute.device, reason) from None
    if run.resume is not None and not Path(run.resume).exists():
        raise ConfigError(
            "resume", run.resume, "does not exist (give a checkpoint file or run dir)"
        )
    if compute.precision_strict:
        from simrl.nn.precision import resolve_precision

        try:
            resolve_precision(
                compute.precision,
                device,
                strict=True,
                recipe=compute.fp8_recipe,
                emulate=compute.fp8_emulate,
                compile=compute.compile,
            )
        except ValueError as exc:
            raise ValueError(first_line(exc) + " (precision_strict=true)") from None
