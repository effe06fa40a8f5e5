"""SB3 features extractor wrapping `simrl.nn.Core`, so PPO's networks have GRPO's trunk.

With `share_features_extractor=False` SB3 builds two of these (policy and value), each with its own
Core of the same preset, and `net_arch=dict(pi=[], vf=[])` puts linear heads directly on them.
Precision: the Core runs inside the precision plan's autocast (bf16) or with its Linears converted
(fp8, via `plan.prepare`, which also compiles it when the run asks); its output is cast back to fp32 so the heads, the distribution and the
rollout buffer stay in fp32, as GRPO's heads do.
"""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import torch
from stable_baselines3.common.torch_layers import BaseFeaturesExtractor

from simrl.nn import Core, CoreConfig


class CoreExtractor(BaseFeaturesExtractor):
    """(batch, obs_dim) observations -> (batch, core.out_dim) fp32 features through one Core."""

    def __init__(
        self,
        observation_space: gym.spaces.Box,
        core_cfg: CoreConfig,
        plan: Any = None,
    ) -> None:
        if not isinstance(observation_space, gym.spaces.Box) or len(observation_space.shape) != 1:
            raise ValueError(
                f"CoreExtractor needs a flat Box observation space, got {observation_space}"
            )
        core = Core(int(observation_space.shape[0]), core_cfg)
        super().__init__(observation_space, features_dim=core.out_dim)
        if plan is not None:
            core = plan.prepare(core)
        self.core = core
        self._plan = plan

    def forward(self, observations: torch.Tensor) -> torch.Tensor:
        if self._plan is None:
            return self.core(observations.float())
        with self._plan.autocast():
            features = self.core(observations.float())
        return features.float()
