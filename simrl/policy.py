"""`load_policy`: the one way to rebuild a trained actor from a run directory or checkpoint.

    import gymnasium as gym
    import simrl

    policy = simrl.load_policy("outputs/2026-12-03/10-00-00_grpo_simrl_Reach-v0")
    env = gym.make(policy.env_id)
    obs, _ = env.reset(seed=0)
    action, _ = policy.predict(obs, deterministic=True)

The checkpoint is read with `torch.load(weights_only=True)` only (never unpickling code) and the
actor is rebuilt by its algorithm's `make_actor` (the registry), so evaluation (`simrl-eval`),
the resume pre-flight of `simrl-train`, export and scripts all load a policy the same way. A bad
file raises `CheckpointError` (a ValueError) with one line naming it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np
import torch

from simrl.runs.checkpoint import CheckpointError, check_compatible, load_checkpoint
from simrl.runs.plain import from_plain

__all__ = ["CheckpointError", "Policy", "load_policy", "policy_from_payload"]


class Policy:
    """A trained policy: `predict(obs)` as in Stable-Baselines3, the run's spaces and config.

    `gymnasium.make(policy.env_id, **policy.env_options)` builds the env it was trained on.
    `observation_space` is the (flat) space the policy reads; `env_observation_space` the env's
    own (a Dict for goal-conditioned envs, whose observations `predict` also takes).
    """

    def __init__(
        self,
        actor: Callable[..., np.ndarray],
        *,
        algo: str,
        env_id: str,
        observation_space: gym.spaces.Box,
        action_space: gym.spaces.Box,
        config: dict[str, Any],
        checkpoint: str,
        env_steps: int,
        env_options: dict[str, Any] | None = None,
        env_observation_space: gym.Space | None = None,
        model_cfg: Any = None,
        algo_cfg: Any = None,
        plan: Any = None,
        device: torch.device | None = None,
    ) -> None:
        self.actor = actor
        self.algo, self.env_id, self.config = algo, env_id, config
        self.observation_space, self.action_space = observation_space, action_space
        self.env_observation_space = env_observation_space or observation_space
        self.checkpoint, self.env_steps = checkpoint, int(env_steps)
        self.env_options = dict(env_options or {})  # the task options the run trained with
        self.model_cfg, self.algo_cfg = model_cfg, algo_cfg  # the core and algorithm settings
        self.device = device or torch.device("cpu")
        self._plan = plan
        self._low = np.asarray(action_space.low, dtype=np.float64)
        self._high = np.asarray(action_space.high, dtype=np.float64)
        self._obs_shape = tuple(observation_space.shape)
        deploy = getattr(actor, "deploy_module", None)
        exact = plan is None or getattr(plan, "effective", "fp32") == "fp32"
        self._net: torch.nn.Module | None = deploy() if callable(deploy) and exact else None

    def __repr__(self) -> str:
        return (
            f"Policy(algo={self.algo!r}, env_id={self.env_id!r}, obs={self._obs_shape}, "
            f"act={tuple(self.action_space.shape)}, env_steps={self.env_steps})"
        )

    def __iter__(self) -> Iterator[Any]:
        """`policy, config = load_policy(path)` also works: a Policy unpacks to itself and its config."""
        return iter((self, self.config))

    def predict(
        self,
        observation: Any,
        state: Any = None,
        episode_start: Any = None,
        deterministic: bool = True,
    ) -> tuple[np.ndarray, None]:
        """(action, None) for one observation or a batch (n, obs_dim), as SB3's `predict`.

        Actions are in the env's units, inside the action bounds, in the action space's dtype.
        `state` and `episode_start` exist for SB3 compatibility (these policies keep no state).
        """
        obs, single = self._as_batch(observation)
        actions = self.act(obs, deterministic=deterministic)
        actions = actions.astype(self.action_space.dtype, copy=False)
        return (actions[0] if single else actions), None

    def act(self, obs: np.ndarray, deterministic: bool = True) -> np.ndarray:
        """Actions (n, act_dim), float64, clipped to the bounds, for raw observations (n, obs_dim).

        Deterministic actions come from `deploy_module()` (what export writes) where the actor
        offers one; the actor itself otherwise and for sampled actions.
        """
        if deterministic and self._net is not None:
            with torch.no_grad():
                x = torch.as_tensor(obs).to(self.device)
                out = self._net(x).cpu().numpy().astype(np.float64)
        else:
            with torch.no_grad():
                out = np.asarray(self.actor(obs, deterministic=deterministic), dtype=np.float64)
        return np.clip(out.reshape(len(obs), -1), self._low, self._high)

    def deploy_module(self) -> torch.nn.Module:
        """A fresh CPU float32 copy of the deterministic policy as one torch module (export)."""
        if self._net is None:
            raise ValueError(
                f"policy of {self.checkpoint} cannot be exported: its actor has no deploy module "
                "or it was loaded with a precision other than fp32"
            )
        import copy

        module = copy.deepcopy(self._net).cpu().eval()
        return module.requires_grad_(False)  # inference only: outputs carry no autograd graph

    def _as_batch(self, observation: Any) -> tuple[np.ndarray, bool]:
        """(n, obs_dim) array and whether a single observation was given."""
        if isinstance(observation, Mapping):
            observation = self._flatten(observation)
        obs = np.asarray(observation)
        if obs.shape == self._obs_shape:
            return obs.reshape(1, -1), True
        if obs.ndim == len(self._obs_shape) + 1 and obs.shape[1:] == self._obs_shape:
            return obs, False
        raise ValueError(
            f"observation of shape {obs.shape} does not fit this policy: expected {self._obs_shape} "
            f"or (n, {', '.join(map(str, self._obs_shape))})"
        )

    def _flatten(self, observation: Mapping[str, Any]) -> np.ndarray:
        """A Dict observation (one or a batch) flattened as simrl's env rows are: keys in the
        space's order, each value in C order."""
        space = self.env_observation_space
        if not isinstance(space, gym.spaces.Dict):
            raise ValueError(f"this policy reads {self._obs_shape} arrays, not a dict observation")
        keys = list(space.spaces)
        first = np.asarray(observation[keys[0]])
        single = first.shape == tuple(space.spaces[keys[0]].shape)
        rows = 1 if single else len(first)
        flat = np.concatenate(
            [np.asarray(observation[k], dtype=np.float64).reshape(rows, -1) for k in keys], axis=1
        )
        return flat[0] if single else flat


def _spaces_of(env_cfg: Any, env_factory: Callable[..., Any] | None) -> tuple[Any, Any, Any]:
    """(flat obs space, action space, env's own obs space) from a one-row env of the run."""
    if env_factory is None:
        from simrl.sim import make_group_env as env_factory
    try:
        env = env_factory(
            env_cfg.id, num_groups=1, group_size=1, autoreset_mode="disabled",
            **dict(env_cfg.options or {}),
        )  # fmt: skip
    except ValueError as exc:
        raise CheckpointError(f"checkpoint env {env_cfg.id!r} cannot be built: {exc}") from None
    try:
        obs = env.single_observation_space
        own = getattr(env, "single_observation_space_unflattened", None) or obs
        return obs, env.single_action_space, own
    finally:
        env.close()


def policy_from_payload(
    payload: dict[str, Any],
    *,
    device: str = "cpu",
    spaces: tuple[Any, Any] | None = None,
    model_cfg: Any = None,
    algo_cfg: Any = None,
    compute_cfg: Any = None,
    env_factory: Callable[..., Any] | None = None,
    actor_factory: Callable[..., Any] | None = None,
) -> Policy:
    """Rebuild the policy of a loaded checkpoint (`load_checkpoint`'s payload).

    `spaces` (obs, action) skip building a one-row env; `model_cfg` / `algo_cfg` replace the
    checkpoint's (the resume pre-flight checks that the weights fit *this* run's model);
    `compute_cfg` defaults to fp32 on `device` with torch's thread count left as it is;
    `actor_factory` replaces the registry's `make_actor` (tests). Raises `CheckpointError`.
    """
    from simrl.nn.compute import ComputeConfig, resolve_compute
    from simrl.runs.config import RunConfig
    from simrl.sim.config import EnvConfig

    configs = payload["configs"]
    path = payload.get("path", "?")
    env_cfg = from_plain(EnvConfig, configs.get("env"))
    run_cfg = from_plain(RunConfig, configs.get("run"))
    if spaces is None:
        obs_space, act_space, own_space = _spaces_of(env_cfg, env_factory)
    else:
        (obs_space, act_space), own_space = spaces, None
    check_compatible(
        payload,
        algo=payload["algo"],
        env_id=env_cfg.id,
        obs_dim=int(np.prod(obs_space.shape)),
        act_dim=int(np.prod(act_space.shape)),
    )
    if actor_factory is None:
        from simrl.algos.registry import get_algo
        from simrl.nn import CoreConfig

        spec = get_algo(payload["algo"])
        actor_factory = spec.make_actor
        model_cfg = model_cfg or from_plain(CoreConfig, configs.get("model"))
        algo_cfg = algo_cfg or from_plain(spec.config_cls, configs.get("algo"))
    else:
        model_cfg = model_cfg or configs.get("model")
        algo_cfg = algo_cfg or configs.get("algo")
    if compute_cfg is None:
        threads = torch.get_num_threads()  # left as the caller has it
        compute_cfg = ComputeConfig(device=device, precision="fp32", num_threads=threads)
    try:
        compute = resolve_compute(compute_cfg, int(getattr(model_cfg, "width", 0) or 0))
        actor = actor_factory(
            obs_space, act_space, model_cfg, algo_cfg, compute, payload["trainer"], run_cfg.seed
        )
    except (ValueError, KeyError, RuntimeError, TypeError) as exc:
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise CheckpointError(f"checkpoint {path}: {first}") from None
    return Policy(
        actor,
        algo=payload["algo"],
        env_id=env_cfg.id,
        observation_space=obs_space,
        action_space=act_space,
        config=payload.get("config") or {},
        checkpoint=str(path),
        env_steps=payload["env_steps"],
        env_options=dict(env_cfg.options or {}),
        env_observation_space=own_space,
        model_cfg=model_cfg,
        algo_cfg=algo_cfg,
        plan=compute.plan,
        device=compute.device,
    )


def load_policy(run_dir_or_checkpoint: str | Path, device: str = "cpu") -> Policy:
    """The policy saved in a run directory (its `checkpoints/last.pt`) or a checkpoint file.

    `policy = load_policy(path)` or, unpacked, `policy, config = load_policy(path)` (`config`:
    the run's resolved config, the dict saved in its checkpoint, also `policy.config`).

    Raises `CheckpointError` (a ValueError, one line) for a missing, truncated, unknown or
    unsafe file, or one whose weights do not fit its own config.
    """
    return policy_from_payload(load_checkpoint(run_dir_or_checkpoint), device=device)
