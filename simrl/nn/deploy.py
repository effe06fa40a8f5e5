"""A trained policy's deterministic action as one plain torch module, for `predict` and export.

`DeployPolicy` maps raw observations to actions with everything a deployment needs inside:
fixed observation normalisation (the run's statistics, in float64 as training computed them),
the network, the squash to the action box and a final clip to the bounds. It holds no Python
branching on data and no running statistics, so `torch.jit.trace` and the ONNX exporter capture
it whole and a robot needs neither simrl nor the checkpoint to run it.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

SQUASHES = ("tanh", "clip", "none")  # tanh / clip to [-1, 1] then scale to the box; none: as is


class FixedObsNorm(nn.Module):
    """`clip((obs - mean) / std, -clip, clip)` in float64, returned as float32."""

    def __init__(self, mean: np.ndarray, std: np.ndarray, clip: float) -> None:
        super().__init__()
        self.register_buffer("mean", torch.as_tensor(np.asarray(mean, dtype=np.float64)))
        self.register_buffer("std", torch.as_tensor(np.asarray(std, dtype=np.float64)))
        self.clip = float(clip)

    def forward(self, obs: torch.Tensor) -> torch.Tensor:
        x = (obs.to(torch.float64) - self.mean) / self.std
        return x.clamp(-self.clip, self.clip).to(torch.float32)


class DeployPolicy(nn.Module):
    """Raw observations (batch, obs_dim) -> deterministic actions (batch, act_dim), float32.

    `mean_net` maps normalised float32 observations to the pre-squash action mean. With
    `squash` tanh or clip the result is `center + half * squash(mean)` (GRPO's policy); with none
    the mean is the action (SB3 PPO). Either way the action is clipped to [low, high] last, as SB3's
    `predict` and simrl's evaluation do.
    """

    def __init__(
        self,
        norm: FixedObsNorm | None,
        mean_net: nn.Module,
        squash: str,
        low: np.ndarray,
        high: np.ndarray,
    ) -> None:
        super().__init__()
        if squash not in SQUASHES:
            raise ValueError(f"squash={squash!r} is not one of {list(SQUASHES)}")
        low = np.asarray(low, dtype=np.float64)
        high = np.asarray(high, dtype=np.float64)
        self.norm = norm
        self.mean_net = mean_net
        self.squash = squash
        with np.errstate(invalid="ignore"):  # unbounded boxes (squash none) leave these unused
            center, half = (high + low) / 2.0, (high - low) / 2.0
        self.register_buffer("act_center", torch.tensor(center, dtype=torch.float32))
        self.register_buffer("act_half", torch.tensor(half, dtype=torch.float32))
        self.register_buffer("act_low", torch.tensor(low, dtype=torch.float32))
        self.register_buffer("act_high", torch.tensor(high, dtype=torch.float32))

    def forward(self, obs: torch.Tensor) -> torch.Tensor:
        x = self.norm(obs) if self.norm is not None else obs.to(torch.float32)
        u = self.mean_net(x).to(torch.float32)
        if self.squash == "tanh":
            u = self.act_center + self.act_half * torch.tanh(u)
        elif self.squash == "clip":
            u = self.act_center + self.act_half * u.clamp(-1.0, 1.0)
        return torch.minimum(torch.maximum(u, self.act_low), self.act_high)
