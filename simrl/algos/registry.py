"""Algorithm registry: name -> (config dataclass, trainer factory), imported lazily.

Lazy imports keep `simrl-train algo=ppo` from importing the GRPO code and vice versa, and let the
run loop name the choices in one line when an algorithm is unknown.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

# name -> (module, config class name). The module exposes `make_trainer(env_cfg, model_cfg,
# algo_cfg, compute, *, seed, total_env_steps) -> Trainer`, `make_actor(obs_space, act_space,
# model_cfg, algo_cfg, compute, trainer_state, seed) -> act(obs, deterministic)` and the config.
_ALGOS: dict[str, tuple[str, str]] = {
    "grpo": ("simrl.algos.grpo", "GRPOConfig"),
    "ppo": ("simrl.algos.ppo", "PPOConfig"),
}


@dataclass(frozen=True)
class AlgoSpec:
    """What the run loop needs to build one algorithm."""

    name: str
    config_cls: type
    make_trainer: Callable[..., Any]
    make_actor: Callable[..., Any]


def available_algos() -> list[str]:
    """Names accepted by `get_algo`."""
    return sorted(_ALGOS)


def get_algo(name: str) -> AlgoSpec:
    """Import and return the algorithm `name`; unknown names raise a one-line ValueError."""
    if name not in _ALGOS:
        raise ValueError(f"unknown algo {name!r}; choose one of {available_algos()}")
    module_name, config_name = _ALGOS[name]
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise ValueError(
            f"algo {name!r} is not available: cannot import {module_name} ({exc})"
        ) from exc
    return AlgoSpec(
        name=name,
        config_cls=getattr(module, config_name),
        make_trainer=module.make_trainer,
        make_actor=module.make_actor,
    )
