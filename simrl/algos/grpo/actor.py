"""GRPO's policy as an actor: built from configs, acting on raw observations.

`build_policy` is what the trainer learns; `GaussianActor` turns it into actions (the mean action
when deterministic); `make_actor` rebuilds one from a checkpoint's trainer state without any
training env, for evaluation.
"""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np
import torch

from simrl.algos.grpo.config import GRPOConfig
from simrl.algos.grpo.policy import GaussianPolicy
from simrl.nn import CoreConfig
from simrl.nn.compute import Compute
from simrl.nn.deploy import DeployPolicy, FixedObsNorm
from simrl.nn.trees import state_mismatch

ACT_SEED_OFFSET = 7919  # stochastic acting draws from its own stream, never the training one


def build_policy(
    obs_space: gym.spaces.Box,
    act_space: gym.spaces.Box,
    model: CoreConfig,
    algo: GRPOConfig,
    compute: Compute,
    seed: int,
) -> GaussianPolicy:
    """The policy network of a run, initialised from `seed`, on the compute device and plan."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        policy = GaussianPolicy(
            int(np.prod(obs_space.shape)),
            act_space.low,
            act_space.high,
            model,
            squash=algo.squash,
            state_dependent_std=algo.state_dependent_std,
            init_log_std=algo.init_log_std,
            min_log_std=algo.min_log_std,
            obs_norm=algo.obs_norm,
            obs_clip=algo.obs_clip,
        )
    policy = policy.to(compute.device)
    policy.core = compute.plan.prepare(policy.core)
    return policy


class GaussianActor:
    """Actions (n, act_dim) for raw observations (n, obs_dim) from a `GaussianPolicy`."""

    def __init__(self, policy: GaussianPolicy, plan: Any, seed: int) -> None:
        self.policy, self.plan = policy, plan
        self.gen = torch.Generator().manual_seed(seed + ACT_SEED_OFFSET)

    def __call__(self, obs: np.ndarray, deterministic: bool = True) -> np.ndarray:
        obs_n = self.policy.normalize(torch.as_tensor(np.asarray(obs), dtype=torch.float64))
        with torch.no_grad(), self.plan.autocast():
            mean, log_std = self.policy(obs_n)
        u = mean
        if not deterministic:
            noise = torch.randn(mean.shape, generator=self.gen).to(mean.device)
            u = mean + log_std.exp() * noise
        return self.policy.to_action(u).double().cpu().numpy()

    def deploy_module(self) -> DeployPolicy:
        """The deterministic action as a plain module (fixed normaliser, mean, squash, bounds)."""
        policy = self.policy
        norm = None
        if policy.normalizer is not None:
            rn = policy.normalizer
            std = torch.sqrt(rn.var + rn.eps).cpu().numpy()
            norm = FixedObsNorm(rn.mean.cpu().numpy(), std, rn.clip)
        center = policy.act_center.double().cpu().numpy()
        half = policy.act_half.double().cpu().numpy()
        module = DeployPolicy(
            norm, _MeanAction(policy), policy.squash, center - half, center + half
        )
        module.act_center.copy_(policy.act_center)  # the policy's own float32 scaling, bit for bit
        module.act_half.copy_(policy.act_half)
        return module.to(policy.act_center.device).eval()


class _MeanAction(torch.nn.Module):
    """Normalised observations -> the Gaussian's mean (pre-squash), as `GaussianPolicy.forward`."""

    def __init__(self, policy: GaussianPolicy) -> None:
        super().__init__()
        self.core, self.head = policy.core, policy.head

    def forward(self, obs_n: torch.Tensor) -> torch.Tensor:
        return self.head.mean(self.core(obs_n).float())


def make_actor(
    obs_space: gym.spaces.Box,
    act_space: gym.spaces.Box,
    model: CoreConfig,
    algo: GRPOConfig,
    compute: Compute,
    trainer_state: dict[str, Any],
    seed: int = 0,
) -> GaussianActor:
    """The actor of a saved GRPO trainer state (weights and observation normaliser)."""
    policy = build_policy(obs_space, act_space, model, algo, compute, seed)
    saved = trainer_state.get("policy") if isinstance(trainer_state, dict) else None
    if not isinstance(saved, dict):
        raise ValueError("not a GRPO trainer state (no policy weights)")
    mismatch = state_mismatch(policy.state_dict(), saved)
    if mismatch:
        raise ValueError(f"GRPO checkpoint does not match this model/env: {mismatch}")
    policy.load_state_dict(saved)
    return GaussianActor(policy, compute.plan, seed)
