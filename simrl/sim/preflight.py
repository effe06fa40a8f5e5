"""Up-front checks of what a training env will need: its curriculum's files and success signal.

`check_training_inputs(env_cfg)` runs before a run writes anything (the CLI's config boundary
calls it), so a bad bank or recording, or an option the env cannot serve, stops the command with
one line naming the key, its value and why, instead of failing once the run has started.
"""

from __future__ import annotations

from functools import partial
from typing import Any

import numpy as np

from simrl.messages import first_line
from simrl.sim.config import EnvConfig


def _key(key: str, value: Any, why: str) -> ValueError:
    return ValueError(f"{key}={value} {why}")


def _finite(tree: Any) -> bool:
    if isinstance(tree, dict):
        return all(_finite(v) for v in tree.values())
    if isinstance(tree, np.ndarray) and tree.dtype.kind == "f":
        return bool(np.isfinite(tree).all())
    return True


def check_training_inputs(env_cfg: EnvConfig) -> None:
    """Refuse (one-line ValueError naming the key) a curriculum bank, recording or scripted demos
    this env cannot use, and an outcome reward or adaptive curriculum without success."""
    from simrl.sim.make import make_group_env
    from simrl.sim.recordings import load_recording, replay_recording
    from simrl.sim.start_states import StartBank
    from simrl.sim.tasks.scripted import POLICIES

    cur = env_cfg.curriculum
    options = dict(env_cfg.options or {})
    make = partial(make_group_env, env_cfg.id, num_threads=env_cfg.num_threads, **options)
    env = make(num_groups=1, group_size=1, seed=0, autoreset_mode="disabled")
    try:
        env_id, task_options, has_success = env.env_id, env.task_options(), env.has_success
    finally:
        env.close()
    no_success = f"needs an env that reports success (info['is_success'] or info['success']); {env_cfg.id!r} reports none"
    if env_cfg.outcome_reward and not has_success:
        raise _key("env.outcome_reward", "true", no_success)
    if cur.name == "none":
        return
    if cur.name == "adaptive" and not has_success:
        raise _key("curriculum", cur.name, no_success)
    if cur.bank is not None:
        try:
            bank = StartBank.load(cur.bank)
            if not len(bank):
                raise ValueError("holds no states")
            bank.check(env_id, task_options)
            if not _finite(bank.states):
                raise ValueError("holds NaN/Inf states")
        except ValueError as exc:
            raise _key("curriculum.bank", cur.bank, f"refused: {first_line(exc)}") from None
    elif cur.demo_file is not None:
        try:
            replay_recording(load_recording(cur.demo_file), make)
        except ValueError as exc:
            raise _key(
                "curriculum.demo_file", cur.demo_file, f"refused: {first_line(exc)}"
            ) from None
    elif cur.demos > 0 and env_id not in POLICIES:
        raise _key(
            "curriculum.demos",
            cur.demos,
            f"needs a scripted controller, and {env_id!r} has none; give curriculum.demo_file "
            "(a recording) or curriculum.bank, or curriculum.demos=0 with curriculum=adaptive",
        )
