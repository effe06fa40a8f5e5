"""`make_group_env`: one entry point for batched tasks and the generic Gymnasium path."""

from __future__ import annotations

from functools import partial
from typing import Any

from simrl.sim.arg_checks import check_sizes
from simrl.sim.config import EnvConfig
from simrl.sim.group_base import GroupEnv
from simrl.sim.registry import check_env_id, get_task, resolve_env_id


def make_group_env(
    env_id: str,
    num_groups: int = 1,
    group_size: int = 1,
    seed: int | None = 0,
    num_threads: int = 1,
    autoreset_mode: str = "next_step",
    **task_options: Any,
) -> GroupEnv:
    """Build a grouped vector env of `num_groups * group_size` rows (see `simrl.sim.group_base`).

    Batched tasks (`available_envs()` lists them first) run on one `mujoco.batch.Batch` on
    `num_threads` threads; any other registered Gymnasium id whose env is MuJoCo-based runs one
    Gymnasium env per row (`simrl.sim.gym_rows`); ``"module:EnvId"`` imports module first.
    `task_options` go to the task class (or to `gymnasium.make` on the generic path).
    Arguments are checked before anything is built.
    """
    check_env_id(env_id)
    check_sizes(num_groups, group_size, num_threads, autoreset_mode)
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int) or seed < 0):
        raise ValueError(f"seed must be a non-negative int or None, got {seed!r}")
    task_cls = get_task(resolve_env_id(env_id))
    if task_cls is not None:
        from simrl.sim.batched import GroupVecEnv

        return GroupVecEnv(
            task_cls, num_groups, group_size, seed, num_threads, autoreset_mode, **task_options
        )
    from simrl.sim.gym_rows import GymGroupVecEnv

    return GymGroupVecEnv(env_id, num_groups, group_size, seed, autoreset_mode, **task_options)


def make_training_env(
    env_cfg: EnvConfig, num_groups: int, group_size: int, seed: int, autoreset_mode: str
) -> GroupEnv:
    """The env a learner trains on: `env_cfg`'s id, threads and options, with its curriculum.

    The curriculum's start states (`simrl.sim.start_states`) and the outcome reward
    (`EnvConfig.outcome_reward`) are set on this env only; evaluation envs are built from the id
    and options alone, start from the task's resets and report the env's own reward.
    """
    from simrl.sim.start_states import build_start_states

    options = dict(env_cfg.options or {})
    make = partial(make_group_env, env_cfg.id, num_threads=env_cfg.num_threads, **options)
    env = make(
        num_groups=num_groups, group_size=group_size, seed=seed, autoreset_mode=autoreset_mode
    )
    try:
        env.set_start_states(build_start_states(env_cfg.curriculum, make))
        env.set_outcome_reward(env_cfg.outcome_reward)
    except BaseException:
        env.close()
        raise
    return env
