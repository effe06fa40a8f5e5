"""Task registry: batched task classes by id, plus the Gymnasium MuJoCo ids of the generic path.

Task modules in `simrl.sim.tasks` register themselves with `register_task` when imported; every
module of that package is imported (pkgutil) the first time the registry is consulted, so adding a
task never means editing a central list. simrl's own ids (``simrl/...``) are also registered with
`gymnasium.register`, so ``gymnasium.make("simrl/Reach-v0")`` works after ``import simrl.sim``.
"""

from __future__ import annotations

import importlib
import pkgutil
import warnings
from typing import TYPE_CHECKING

import gymnasium as gym

if TYPE_CHECKING:
    from simrl.sim.task import Task

_TASKS: dict[str, type[Task]] = {}
_discovered = False
_import_errors: dict[str, str] = {}  # task module -> error, shown when an id is not found


def register_task(task_cls: type[Task]) -> type[Task]:
    """Register a batched task class under `task_cls.id` (usable as a class decorator)."""
    task_id = getattr(task_cls, "id", None)
    if not isinstance(task_id, str) or not task_id:
        raise ValueError(f"task class {task_cls.__name__} has no string `id` to register under")
    known = _TASKS.get(task_id)
    if known is not None and known.__qualname__ != task_cls.__qualname__:
        raise ValueError(f"task id {task_id!r} is already registered by {known.__qualname__}")
    _TASKS[task_id] = task_cls
    if task_id.startswith("simrl/") and task_id not in gym.registry:
        gym.register(
            id=task_id,
            entry_point="simrl.sim.single:SingleTaskEnv",
            kwargs={"task_id": task_id},
            max_episode_steps=None,  # the env truncates itself at task.max_episode_steps
            reward_threshold=getattr(task_cls, "reward_threshold", None),
            disable_env_checker=True,
        )
    return task_cls


def discover_tasks() -> None:
    """Import every module of `simrl.sim.tasks` once, so their `register_task` calls run."""
    global _discovered
    if _discovered:
        return
    _discovered = True
    from simrl.sim import tasks

    for info in pkgutil.iter_modules(tasks.__path__):
        name = f"{tasks.__name__}.{info.name}"
        try:
            importlib.import_module(name)
        except Exception as err:  # one broken task module must not hide the others
            _import_errors[name] = f"{type(err).__name__}: {err}"
            warnings.warn(f"simrl: task module {name} failed to import: {err}", stacklevel=2)


def batched_task_ids() -> list[str]:
    """Ids of the batched tasks (ports and the suite's own), sorted."""
    discover_tasks()
    return sorted(_TASKS)


def gym_mujoco_ids() -> list[str]:
    """Gymnasium's MuJoCo v5 env ids (the versions that run on MuJoCo >= 3): the generic path."""
    ids = []
    for env_id, spec in gym.registry.items():
        entry = spec.entry_point if isinstance(spec.entry_point, str) else ""
        if entry.startswith("gymnasium.envs.mujoco") and spec.version == 5:
            ids.append(env_id)
    return sorted(ids)


def available_envs() -> list[str]:
    """Every id `make_group_env` accepts: batched tasks first, then generic Gymnasium MuJoCo ids."""
    discover_tasks()
    return batched_task_ids() + [i for i in gym_mujoco_ids() if i not in _TASKS]


def get_task(env_id: str) -> type[Task] | None:
    """The batched task class for `env_id`, or None when it is not a batched task."""
    discover_tasks()
    return _TASKS.get(env_id)


def check_env_id(env_id: str) -> None:
    """Raise a one-line ValueError listing the valid ids if `env_id` is unknown."""
    if not isinstance(env_id, str) or (get_task(env_id) is None and env_id not in gym_mujoco_ids()):
        broken = (
            f" (task modules that failed to import: {_import_errors})" if _import_errors else ""
        )
        raise ValueError(
            f"unknown env id {env_id!r}; available: {', '.join(available_envs())}{broken}"
        )
