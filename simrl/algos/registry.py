"""Algorithm registry: name -> (config dataclass, trainer class, actor factory).

Each algorithm is imported by a plain `from ... import` inside its loader (so editors and static
navigation follow it), and only when asked for: `simrl-train algo=grpo` does not import SB3.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


def _grpo() -> tuple[type, Callable[..., Any], Callable[..., Any]]:
    from simrl.algos.grpo import GRPOConfig, GRPOTrainer, make_actor

    return GRPOConfig, GRPOTrainer, make_actor


def _ppo() -> tuple[type, Callable[..., Any], Callable[..., Any]]:
    from simrl.algos.ppo import PPOConfig, PPOTrainer, make_actor

    return PPOConfig, PPOTrainer, make_actor


# name -> loader of (config class, trainer class, actor factory); the trainer classes take
# (env_cfg, model_cfg, algo_cfg, compute, *, seed, total_env_steps); the actor factory
# (obs_space, act_space, model_cfg, algo_cfg, compute, trainer_state, seed) -> act(obs, det).
_ALGOS: dict[str, Callable[[], tuple[type, Callable[..., Any], Callable[..., Any]]]] = {
    "grpo": _grpo,
    "ppo": _ppo,
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
    try:
        config_cls, trainer_cls, make_actor = _ALGOS[name]()
    except ImportError as exc:
        raise ValueError(f"algo {name!r} is not available: {exc}") from exc
    return AlgoSpec(
        name=name, config_cls=config_cls, make_trainer=trainer_cls, make_actor=make_actor
    )
