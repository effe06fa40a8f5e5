"""Heads that sit on top of the Core: a Gaussian policy head and a scalar value head.

They stay outside the core so FP8 conversion never touches them (they are tiny and precision
sensitive). Initialisation follows SB3: orthogonal, gain 0.01 for the action mean, 1.0 for the value.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.distributions import Normal

LOG_STD_MIN = -5.0  # std ~ 6.7e-3: below this the log-prob blows up
LOG_STD_MAX = 2.0  # std ~ 7.4: above this the policy is pure noise


def _linear(in_dim: int, out_dim: int, gain: float) -> nn.Linear:
    layer = nn.Linear(in_dim, out_dim)
    nn.init.orthogonal_(layer.weight, gain=gain)
    nn.init.zeros_(layer.bias)
    return layer


def _check_dim(name: str, value: object) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise ValueError(f"{name}={value!r} must be an integer >= 1")


class GaussianHead(nn.Module):
    """Diagonal Gaussian policy head: features -> (mean, log_std), both (batch, act_dim).

    ``log_std`` is a free parameter (SB3 style) unless ``state_dependent_std``, and is clamped to
    [min_log_std, LOG_STD_MAX]: a floor above LOG_STD_MIN keeps a policy exploring when its
    gradient would shrink the std to nothing. The clamp passes no gradient below the floor, so a
    free log std that crosses it stays at the floor for the rest of training.
    """

    def __init__(
        self,
        in_dim: int,
        act_dim: int,
        state_dependent_std: bool = False,
        init_log_std: float = -0.5,
        min_log_std: float = LOG_STD_MIN,
    ) -> None:
        super().__init__()
        _check_dim("GaussianHead in_dim", in_dim)
        _check_dim("GaussianHead act_dim", act_dim)
        if not LOG_STD_MIN <= min_log_std <= LOG_STD_MAX:
            raise ValueError(
                f"GaussianHead min_log_std={min_log_std} must be in [{LOG_STD_MIN}, {LOG_STD_MAX}]"
            )
        if not min_log_std <= init_log_std <= LOG_STD_MAX:
            raise ValueError(
                f"GaussianHead init_log_std={init_log_std} must be in [{min_log_std}, {LOG_STD_MAX}]"
            )
        self.min_log_std = float(min_log_std)
        self.act_dim = act_dim
        self.state_dependent_std = state_dependent_std
        self.mean = _linear(in_dim, act_dim, 0.01)
        if state_dependent_std:
            self.log_std_layer = _linear(in_dim, act_dim, 0.01)
            nn.init.constant_(self.log_std_layer.bias, init_log_std)
        else:
            self.log_std = nn.Parameter(torch.full((act_dim,), float(init_log_std)))

    def forward(self, features: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        mean = self.mean(features)
        if self.state_dependent_std:
            log_std = self.log_std_layer(features)
        else:
            log_std = self.log_std.expand_as(mean)
        return mean, log_std.clamp(self.min_log_std, LOG_STD_MAX)

    def distribution(self, features: torch.Tensor) -> Normal:
        """The Normal distribution (per action dim) for ``features``; sum log_prob over the last dim."""
        mean, log_std = self(features)
        return Normal(mean, log_std.exp())


class ValueHead(nn.Module):
    """Scalar value head: features (batch, in_dim) -> values (batch,)."""

    def __init__(self, in_dim: int) -> None:
        super().__init__()
        _check_dim("ValueHead in_dim", in_dim)
        self.value = _linear(in_dim, 1, 1.0)

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        return self.value(features).squeeze(-1)
