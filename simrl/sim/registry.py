"""Task registry: batched task classes by id; which Gymnasium ids the generic path accepts.

Task modules in `simrl.sim.tasks` register themselves with `register_task` when imported; every
module of that package is imported (pkgutil) the first time the registry is consulted, so adding a
task never means editing a central list. simrl's own ids (``simrl/...``) are also registered with
`gymnasium.register`, so ``gymnasium.make("simrl/Reach-v0")`` works after ``import simrl.sim``.

Any other id goes to the generic path (`simrl.sim.gym_rows`) when it is registered with Gymnasium
and its unwrapped env is MuJoCo-based (a `mujoco.MjModel` ``model`` and `mujoco.MjData` ``data``).
Gymnasium's ``"module:EnvId"`` form imports ``module`` first (the import registers the id), as
``gymnasium.make`` does. `check_env_id` decides without building when the entry point is a
`MujocoEnv` subclass, else it builds one instance once per id and process.
"""

from __future__ import annotations

import importlib
import pkgutil
import warnings
from typing import TYPE_CHECKING, Any

import gymnasium as gym
import mujoco
from gymnasium.envs.registration import EnvSpec, load_env_creator

from simrl.messages import first_line

if TYPE_CHECKING:
    from simrl.sim.task import Task

_TASKS: dict[str, type[Task]] = {}
_discovered = False
_import_errors: dict[str, str] = {}  # task module -> error, shown when an id is not found
_verdicts: dict[str, str | None] = {}  # generic id -> why it is refused (None: accepted)
GENERIC_HINT = "or any registered MuJoCo-based Gymnasium id ('module:EnvId' imports the module)"


class UnknownEnvIdError(ValueError):
    """An env id that is neither a batched task nor registered with Gymnasium."""


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
    """The ids to list: batched tasks first, then Gymnasium's own MuJoCo v5 ids. `make_group_env`
    also accepts any other registered MuJoCo-based Gymnasium id (see `check_env_id`)."""
    discover_tasks()
    return batched_task_ids() + [i for i in gym_mujoco_ids() if i not in _TASKS]


def get_task(env_id: str) -> type[Task] | None:
    """The batched task class for `env_id`, or None when it is not a batched task."""
    discover_tasks()
    return _TASKS.get(env_id)


def _first_line(err: BaseException) -> str:
    return first_line(err, with_type=True)


def _unknown(env_id: Any, note: str = "") -> UnknownEnvIdError:
    broken = f" (task modules that failed to import: {_import_errors})" if _import_errors else ""
    return UnknownEnvIdError(
        f"unknown env id {env_id!r}{note}; available: {', '.join(available_envs())}, "
        f"{GENERIC_HINT}{broken}"
    )


def resolve_env_id(env_id: str) -> str:
    """The registered id of `env_id`: a batched task's id, or a Gymnasium id with any
    ``module:`` prefix removed after importing that module. Unknown ids raise a one-line
    `UnknownEnvIdError`; a module that fails to import, a one-line ValueError."""
    if not isinstance(env_id, str) or not env_id:
        raise _unknown(env_id)
    if get_task(env_id) is not None:
        return env_id
    module, sep, name = env_id.partition(":")
    if not sep:
        module, name = "", env_id
    elif not module or not name or ":" in name:
        raise _unknown(env_id, " (the module form is 'module:EnvId')")
    if module:
        try:
            importlib.import_module(module)
        except Exception as err:
            raise ValueError(
                f"env id {env_id!r}: cannot import module {module!r} ({_first_line(err)})"
            ) from None
    if get_task(name) is None and name not in gym.registry:
        note = f" (not registered after importing {module!r})" if module else ""
        raise _unknown(env_id, note)
    return name


def gym_spec(env_id: str) -> EnvSpec:
    """The Gymnasium spec of a generic-path id (``module:`` form accepted)."""
    return gym.registry[resolve_env_id(env_id)]


def mujoco_refusal(env_id: str, env: Any) -> str | None:
    """Why the generic path refuses `env` (a built env of `env_id`), or None if MuJoCo-based."""
    u = env.unwrapped
    if isinstance(getattr(u, "model", None), mujoco.MjModel) and isinstance(
        getattr(u, "data", None), mujoco.MjData
    ):
        return None
    return (
        f"env id {env_id!r} is not MuJoCo-based: its unwrapped env {type(u).__name__} has no "
        "mujoco.MjModel `model` and mujoco.MjData `data` (the generic path runs MuJoCo envs only)"
    )


_STATELESS_WRAPPERS = ("TimeLimit", "OrderEnforcing", "PassiveEnvChecker")


def wrapper_refusal(env_id: str, env: Any) -> str | None:
    """Why the generic path refuses `env` for a wrapper it would skip, or None.

    Rows step the unwrapped env: TimeLimit is replaced by the group env's step counter and
    OrderEnforcing/PassiveEnvChecker hold no episode state; any other wrapper would be lost.
    """
    layer = env
    while isinstance(layer, gym.Wrapper):
        cls = type(layer)
        if cls.__module__.split(".")[0] != "gymnasium" or cls.__name__ not in _STATELESS_WRAPPERS:
            return _wrapped(env_id, cls.__name__)
        layer = layer.env
    return None


def _wrapped(env_id: str, wrapper: str) -> str:
    return (
        f"env id {env_id!r} is wrapped in {wrapper} by its registration; the generic path steps "
        "the unwrapped env and would skip it (it replaces TimeLimit and skips OrderEnforcing and "
        "PassiveEnvChecker only)"
    )


def _verdict(spec: EnvSpec) -> str | None:
    """Why `spec` is refused, or None; builds one instance unless the entry point is a
    `MujocoEnv` subclass. An instance that cannot be built with the registered arguments is not
    refused here: the env's own build (with the user's options) checks its rows again."""
    if spec.id in _verdicts:
        return _verdicts[spec.id]
    if spec.additional_wrappers:
        return _wrapped(spec.id, spec.additional_wrappers[0].name)
    entry = spec.entry_point
    creator = entry
    if isinstance(entry, str):
        try:
            creator = load_env_creator(entry)
        except Exception:
            creator = None
    from gymnasium.envs.mujoco import MujocoEnv

    if isinstance(creator, type) and issubclass(creator, MujocoEnv):
        verdict = None
    else:
        try:
            env = gym.make(spec.id, disable_env_checker=True)
        except Exception:
            return None  # undecided: not cached, the real build decides
        try:
            verdict = mujoco_refusal(spec.id, env) or wrapper_refusal(spec.id, env)
        finally:
            env.close()
    _verdicts[spec.id] = verdict
    return verdict


def check_env_id(env_id: str) -> None:
    """Raise a one-line ValueError unless `make_group_env` accepts `env_id`: a batched task, or a
    registered MuJoCo-based Gymnasium id (``module:EnvId`` imports module first). Unknown ids
    raise `UnknownEnvIdError` listing the batched and Gymnasium MuJoCo ids."""
    name = resolve_env_id(env_id)
    if get_task(name) is not None:
        return
    verdict = _verdict(gym.registry[name])
    if verdict is not None:
        raise ValueError(verdict)
