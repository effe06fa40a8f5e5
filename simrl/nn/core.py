"""The network trunk shared by GRPO's policy and PPO's policy and value networks.

Two kinds:

- ``mlp``: ``depth`` x (Linear -> [LayerNorm] -> act), SB3's ``MlpPolicy`` shape at the small preset.
- ``residual``: SimBa/BRO-style residual MLP: input projection (Linear), ``depth`` pre-LayerNorm
  blocks ``x + Linear(act(Linear(LN(x))))`` whose inner width is ``width * expansion``, then a final
  LayerNorm. This is the shape that keeps improving with width in recent RL work, and its wide
  square Linear layers are what FP8 can speed up.

Every Linear is orthogonally initialised (gain ``init_gain``, bias 0), as SB3 does.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields, replace

import torch
from torch import nn

from simrl.config.fields import ConfigValueError, check_fields, limit

ACTIVATIONS: dict[str, type[nn.Module]] = {
    "tanh": nn.Tanh,
    "relu": nn.ReLU,
    "gelu": nn.GELU,
    "silu": nn.SiLU,
    "elu": nn.ELU,
}
KINDS: tuple[str, ...] = ("mlp", "residual")
DIM_MULTIPLE = 16  # FP8 (and tensor-core) GEMMs need Linear dims divisible by 16


@dataclass
class CoreConfig:
    """Shape of the trunk. ``depth`` counts hidden layers (mlp) or residual blocks (residual)."""

    kind: str = limit("mlp", choices=KINDS)
    width: int = limit(64, ge=1, le=65536)
    depth: int = limit(2, ge=1, le=1024)
    activation: str = limit("tanh", choices=tuple(sorted(ACTIVATIONS)))
    layer_norm: bool = False  # mlp only: LayerNorm after each hidden Linear
    expansion: int = limit(1, ge=1, le=64)  # residual only: block inner width = width * expansion
    final_norm: bool = True  # residual only: LayerNorm on the output
    init_gain: float = limit(math.sqrt(2.0), gt=0)  # orthogonal init gain of the Linear layers

    def __post_init__(self) -> None:
        self.validate()

    def validate(self) -> None:
        """Raise a one-line ValueError naming the bad field and the allowed values."""
        check_fields(self)
        if self.width % DIM_MULTIPLE:
            near = max(DIM_MULTIPLE, round(self.width / DIM_MULTIPLE) * DIM_MULTIPLE)
            raise ConfigValueError(
                "CoreConfig", "width", self.width,
                f"must be divisible by {DIM_MULTIPLE} (e.g. {near})",
            )  # fmt: skip

    def to_dict(self) -> dict:
        """Plain dict of the fields (for run configs and summaries)."""
        return {f.name: getattr(self, f.name) for f in fields(self)}


PRESETS: dict[str, CoreConfig] = {
    # SB3 MlpPolicy default: 2 x 64 tanh (policy and value each get one in PPO).
    "small": CoreConfig(kind="mlp", width=64, depth=2, activation="tanh"),
    # SimBa-like residual trunks of growing width.
    "base": CoreConfig(kind="residual", width=256, depth=2, activation="relu"),
    "large": CoreConfig(kind="residual", width=1024, depth=3, activation="relu"),
    # Wide square 4096 x 4096 Linears: the size where FP8 GEMMs beat bf16 on Hopper.
    "xl": CoreConfig(kind="residual", width=4096, depth=4, activation="relu"),
}


def core_preset(name: str, **overrides) -> CoreConfig:
    """A fresh copy of preset ``name`` with optional field overrides."""
    if name not in PRESETS:
        raise ValueError(f"unknown core preset {name!r}; presets: {list(PRESETS)}")
    unknown = set(overrides) - {f.name for f in fields(CoreConfig)}
    if unknown:
        raise ValueError(
            f"unknown CoreConfig field(s) {sorted(unknown)}; fields: {[f.name for f in fields(CoreConfig)]}"
        )
    return replace(PRESETS[name], **overrides)


def _linear(in_dim: int, out_dim: int, gain: float) -> nn.Linear:
    layer = nn.Linear(in_dim, out_dim)
    nn.init.orthogonal_(layer.weight, gain=gain)
    nn.init.zeros_(layer.bias)
    return layer


class ResidualBlock(nn.Module):
    """Pre-LayerNorm residual block: ``x + fc2(act(fc1(norm(x))))``."""

    def __init__(self, width: int, inner: int, activation: str, gain: float) -> None:
        super().__init__()
        self.norm = nn.LayerNorm(width)
        self.fc1 = _linear(width, inner, gain)
        self.act = ACTIVATIONS[activation]()
        self.fc2 = _linear(inner, width, gain)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.fc2(self.act(self.fc1(self.norm(x))))


class Core(nn.Module):
    """Trunk mapping (batch, in_dim) observations to (batch, out_dim) features."""

    def __init__(self, in_dim: int, cfg: CoreConfig | None = None) -> None:
        super().__init__()
        cfg = cfg if cfg is not None else core_preset("small")
        if not isinstance(cfg, CoreConfig):
            raise ValueError(f"Core cfg must be a CoreConfig, got {type(cfg).__name__}")
        cfg.validate()
        if not isinstance(in_dim, int) or isinstance(in_dim, bool) or in_dim < 1:
            raise ValueError(f"Core in_dim={in_dim!r} must be an integer >= 1")
        self.in_dim = in_dim
        self.cfg = cfg
        self.out_dim = cfg.width
        if cfg.kind == "mlp":
            layers: list[nn.Module] = []
            dim = in_dim
            for _ in range(cfg.depth):
                layers.append(_linear(dim, cfg.width, cfg.init_gain))
                if cfg.layer_norm:
                    layers.append(nn.LayerNorm(cfg.width))
                layers.append(ACTIVATIONS[cfg.activation]())
                dim = cfg.width
            self.net = nn.Sequential(*layers)
        else:
            inner = cfg.width * cfg.expansion
            self.net = nn.Sequential(
                _linear(in_dim, cfg.width, cfg.init_gain),
                *[
                    ResidualBlock(cfg.width, inner, cfg.activation, cfg.init_gain)
                    for _ in range(cfg.depth)
                ],
                nn.LayerNorm(cfg.width) if cfg.final_norm else nn.Identity(),
            )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)

    def activation_bytes_per_sample(self) -> int:
        """Estimated fp32 bytes that one sample's forward keeps alive for the backward: every
        Linear's input plus three tensors of its output width (pre-activation, activation, its
        gradient), and every LayerNorm's input. Used to size micro-batches to a memory budget."""
        floats = 0
        for m in self.modules():
            if isinstance(m, nn.Linear):
                floats += m.in_features + 3 * m.out_features
            elif isinstance(m, nn.LayerNorm):
                floats += 2 * int(m.normalized_shape[0])
        return 4 * floats

    def extra_repr(self) -> str:
        c = self.cfg
        return f"in_dim={self.in_dim}, out_dim={self.out_dim}, kind={c.kind}, depth={c.depth}"
