"""A PPO run as a Stable-Baselines3 `.zip` that `stable_baselines3.PPO.load` opens.

simrl's PPO is SB3's `ActorCriticPolicy` with simrl's `Core` as features extractor
(`CoreExtractor`) and the observation statistics of a `VecNormalize` wrapper. SB3 keeps those
statistics outside the zip (a separate pickle that needs an env to load), so a zip of the policy
alone would predict on unnormalised observations. The zip written here uses
`NormalizedCoreExtractor` instead: the same Core with the run's fixed statistics inside, so
`PPO.load(path).predict(obs)` gives the run's deterministic actions from raw observations. SB3
stores the extractor class by reference: loading the zip needs simrl importable (installed).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np
import torch

from simrl.algos.ppo.extractor import CoreExtractor
from simrl.files import atomic_write_bytes
from simrl.nn import CoreConfig
from simrl.nn.deploy import FixedObsNorm


class NormalizedCoreExtractor(CoreExtractor):
    """`CoreExtractor` behind fixed observation normalisation (float64, clipped), as VecNormalize
    applied it during training; `obs_mean=None` leaves observations as they are."""

    def __init__(
        self,
        observation_space: gym.spaces.Box,
        core_cfg: CoreConfig,
        obs_mean: list[float] | None = None,
        obs_std: list[float] | None = None,
        clip_obs: float = 10.0,
    ) -> None:
        super().__init__(observation_space, core_cfg, plan=None)
        self.norm = None
        if obs_mean is not None and obs_std is not None:
            self.norm = FixedObsNorm(np.asarray(obs_mean), np.asarray(obs_std), clip_obs)

    def forward(self, observations: torch.Tensor) -> torch.Tensor:
        x = self.norm(observations) if self.norm is not None else observations.float()
        return self.core(x)


def save_sb3_zip(actor: Any, model_cfg: CoreConfig, algo_cfg: Any, path: Path) -> Path:
    """Write the PPO `actor` (a `PPOActor`) as an SB3 PPO zip at `path` (atomically)."""
    from stable_baselines3 import PPO
    from stable_baselines3.common.policies import ActorCriticPolicy

    policy = actor.policy
    norm = (
        {
            "obs_mean": [float(v) for v in actor.mean],
            "obs_std": [float(v) for v in actor.std],
            "clip_obs": float(actor.clip_obs),
        }
        if actor.norm_obs
        else {}
    )
    model = PPO(ActorCriticPolicy, env=None, device="cpu", _init_setup_model=False)
    model.observation_space, model.action_space = policy.observation_space, policy.action_space
    model.n_envs, model.n_steps, model.batch_size = 1, algo_cfg.n_steps, algo_cfg.batch_size
    model.learning_rate = float(algo_cfg.learning_rate)
    model.gamma, model.gae_lambda = algo_cfg.gamma, algo_cfg.gae_lambda
    model.policy_kwargs = {
        "features_extractor_class": NormalizedCoreExtractor,
        "features_extractor_kwargs": {"core_cfg": model_cfg, **norm},
        "share_features_extractor": algo_cfg.shared_trunk,
        "net_arch": {"pi": [], "vf": []},
        "log_std_init": algo_cfg.log_std_init,
        "ortho_init": algo_cfg.ortho_init,
        "optimizer_kwargs": {"eps": algo_cfg.adam_eps},
    }
    model._setup_model()
    weights = {k: v.detach().cpu() for k, v in policy.state_dict().items()}
    missing, unexpected = model.policy.load_state_dict(weights, strict=False)
    if unexpected or any(".norm." not in k for k in missing):
        raise ValueError(f"SB3 zip policy does not match the run's: {missing or unexpected}")
    model.policy.set_training_mode(False)
    atomic_write_bytes(path, model.save)
    return path
