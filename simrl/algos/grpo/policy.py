"""GRPO's policy: running observation normaliser + shared Core + GaussianHead + squash to bounds.

The Gaussian lives in a pre-squash space u. Env actions are ``center + half * y`` with
``y = tanh(u)`` (``squash="tanh"``, log-prob with the change-of-variables correction, computed
stably as log(1 - tanh(u)^2) = 2 (log 2 - u - softplus(-2u))) or ``y = clip(u, -1, 1)``
(``squash="clip"``, log-prob of the unclipped sample, as PPO implementations do). Rollouts store u,
never the action, so no atanh is ever needed.
"""

from __future__ import annotations

import math

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from simrl.nn import LOG_STD_MIN, Core, CoreConfig, GaussianHead

LOG_2 = math.log(2.0)
HALF_LOG_2PI = 0.5 * math.log(2.0 * math.pi)


class RunningNorm(nn.Module):
    """Running mean/variance of observations (Chan/Welford batch update, float64) with clipping.

    Its buffers (mean, m2, count) are in the state_dict, so checkpoints carry the statistics.
    Before any update it is the identity (then clipped).
    """

    def __init__(self, dim: int, clip: float = 10.0, eps: float = 1e-8) -> None:
        super().__init__()
        self.clip = float(clip)
        self.eps = float(eps)
        self.register_buffer("mean", torch.zeros(dim, dtype=torch.float64))
        self.register_buffer("m2", torch.zeros(dim, dtype=torch.float64))
        self.register_buffer("count", torch.zeros((), dtype=torch.float64))

    @property
    def var(self) -> torch.Tensor:
        """Population variance of everything seen (1 before any data)."""
        if self.count.item() == 0:
            return torch.ones_like(self.m2)
        return self.m2 / self.count

    @torch.no_grad()
    def update(self, x: torch.Tensor) -> None:
        """Fold a batch (B, dim) into the statistics."""
        x = x.to(device=self.mean.device, dtype=torch.float64).reshape(-1, self.mean.shape[0])
        n_b = x.shape[0]
        if n_b == 0:
            return
        mean_b = x.mean(dim=0)
        m2_b = ((x - mean_b) ** 2).sum(dim=0)
        n_a = self.count.clone()
        total = n_a + n_b
        delta = mean_b - self.mean
        self.mean += delta * (n_b / total)
        self.m2 += m2_b + delta**2 * (n_a * n_b / total)
        self.count.copy_(total)

    @torch.no_grad()
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Normalised, clipped float32 observations."""
        x = x.to(device=self.mean.device, dtype=torch.float64)
        out = (x - self.mean) / torch.sqrt(self.var + self.eps)
        return out.clamp(-self.clip, self.clip).float()


def tanh_log_det(u: torch.Tensor) -> torch.Tensor:
    """Elementwise log(1 - tanh(u)^2), stable for large |u|."""
    return 2.0 * (LOG_2 - u - F.softplus(-2.0 * u))


def gaussian_log_prob(u: torch.Tensor, mean: torch.Tensor, log_std: torch.Tensor) -> torch.Tensor:
    """Sum over the last dim of the diagonal Gaussian log-density of u."""
    z = (u - mean) * torch.exp(-log_std)
    return (-0.5 * z**2 - log_std - HALF_LOG_2PI).sum(dim=-1)


class GaussianPolicy(nn.Module):
    """obs -> normaliser -> Core -> GaussianHead; sampling, log-probs and squashing to the box."""

    def __init__(
        self,
        obs_dim: int,
        low: np.ndarray,
        high: np.ndarray,
        core_cfg: CoreConfig,
        squash: str = "tanh",
        state_dependent_std: bool = False,
        init_log_std: float = -0.5,
        min_log_std: float = LOG_STD_MIN,
        obs_norm: bool = True,
        obs_clip: float = 10.0,
    ) -> None:
        super().__init__()
        low = np.asarray(low, dtype=np.float64)
        high = np.asarray(high, dtype=np.float64)
        if not (np.all(np.isfinite(low)) and np.all(np.isfinite(high)) and np.all(high > low)):
            raise ValueError(
                f"action bounds low={low.tolist()} high={high.tolist()} must be finite with high > low "
                f"for squash={squash!r}"
            )
        if squash not in ("tanh", "clip"):
            raise ValueError(f"squash={squash!r} is not one of ['tanh', 'clip']")
        self.squash = squash
        self.act_dim = int(low.shape[0])
        self.normalizer = RunningNorm(obs_dim, obs_clip) if obs_norm else None
        self.core = Core(obs_dim, core_cfg)
        self.head = GaussianHead(
            self.core.out_dim, self.act_dim, state_dependent_std, init_log_std, min_log_std
        )
        self.register_buffer("act_center", torch.tensor((high + low) / 2.0, dtype=torch.float32))
        self.register_buffer("act_half", torch.tensor((high - low) / 2.0, dtype=torch.float32))

    def normalize(self, obs: torch.Tensor) -> torch.Tensor:
        """Raw observations -> network input (normalised and clipped, float32)."""
        if self.normalizer is None:
            return obs.to(device=self.act_center.device, dtype=torch.float32)
        return self.normalizer(obs)

    def forward(self, obs_n: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Normalised observations -> (mean, log_std) of the pre-squash Gaussian, float32."""
        mean, log_std = self.head(self.core(obs_n).float())
        return mean.float(), log_std.float()

    def log_prob(self, u: torch.Tensor, mean: torch.Tensor, log_std: torch.Tensor) -> torch.Tensor:
        """Log-density of the env action produced by pre-squash sample u (tanh) or of u (clip)."""
        logp = gaussian_log_prob(u, mean, log_std)
        if self.squash == "tanh":
            logp = logp - tanh_log_det(u).sum(dim=-1) - torch.log(self.act_half).sum()
        return logp

    @staticmethod
    def entropy(log_std: torch.Tensor) -> torch.Tensor:
        """Entropy of the pre-squash Gaussian (the usual surrogate for a squashed policy)."""
        return (0.5 + HALF_LOG_2PI + log_std).sum(dim=-1)

    def squashed_entropy(
        self, u: torch.Tensor, mean: torch.Tensor, log_std: torch.Tensor
    ) -> torch.Tensor:
        """One-sample entropy of the tanh-squashed policy in action space, reparameterised at the
        stored pre-squash sample u: H(Gaussian) + E[log |d action / d u|].

        Raising the std into tanh's flat tails buys Gaussian entropy but no action entropy, so
        this bonus (unlike `entropy`) stops rewarding the std once actions saturate (as SAC's).
        The value at u is exact; gradients reach mean and log_std through u = mean + std * eps
        with eps = (u - mean) / std held fixed.
        """
        if self.squash != "tanh":
            raise ValueError(f"squashed entropy needs squash='tanh', not {self.squash!r}")
        std = torch.exp(log_std)
        eps = ((u - mean) / std).detach()
        u_rep = mean + std * eps
        log_det = tanh_log_det(u_rep).sum(dim=-1) + torch.log(self.act_half).sum()
        return self.entropy(log_std) + log_det

    def to_action(self, u: torch.Tensor) -> torch.Tensor:
        """Pre-squash values -> actions inside the bounds."""
        y = torch.tanh(u) if self.squash == "tanh" else u.clamp(-1.0, 1.0)
        return self.act_center + self.act_half * y
