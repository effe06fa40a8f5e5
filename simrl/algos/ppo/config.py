"""PPO baseline settings: every SB3 PPO knob plus the simrl wiring (trunk sharing, normalization).

Defaults are SB3's PPO defaults (lr 3e-4, 2048 samples per rollout, minibatch 64, 10 epochs,
gamma 0.99, GAE 0.95, clip 0.2, vf_coef 0.5, max_grad_norm 0.5, separate policy and value
networks) spread over 8 independent envs (8 x 256 = 2048), with rl-zoo's VecNormalize for MuJoCo.
`ppo_preset("zoo_reacher")` gives rl-zoo's tuned Reacher entry.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from typing import Any

LR_SCHEDULES: tuple[str, ...] = ("constant", "linear")


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_num(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


@dataclass
class PPOConfig:
    """All knobs of the SB3 PPO baseline (names follow `stable_baselines3.PPO` where one exists)."""

    n_envs: int = 8  # independent envs (num_groups = n_envs, group_size = 1)
    n_steps: int = 256  # steps per env per rollout; rollout = n_envs * n_steps samples
    batch_size: int = 64  # minibatch size
    n_epochs: int = 10
    learning_rate: float = 3e-4
    lr_schedule: str = "constant"  # constant | linear (decays to 0 over run.total_env_steps)
    gamma: float = 0.99
    gae_lambda: float = 0.95
    clip_range: float = 0.2
    clip_range_vf: float | None = None
    normalize_advantage: bool = True
    ent_coef: float = 0.0
    vf_coef: float = 0.5
    max_grad_norm: float = 0.5
    target_kl: float | None = None
    log_std_init: float = 0.0
    ortho_init: bool = True
    adam_eps: float = 1e-5  # SB3's ActorCriticPolicy Adam eps
    shared_trunk: bool = False  # True: one Core for policy and value (share_features_extractor)
    normalize_obs: bool = True  # running obs mean/std (VecNormalize), stats in the checkpoint
    normalize_reward: bool = True  # VecNormalize reward scaling by the discounted-return std
    clip_obs: float = 10.0
    clip_reward: float = 10.0

    def __post_init__(self) -> None:
        self.validate()

    @property
    def rollout_size(self) -> int:
        """Samples collected per iteration (n_envs * n_steps)."""
        return self.n_envs * self.n_steps

    def validate(self) -> None:
        """Raise a one-line ValueError naming the bad field and the allowed values."""
        for name in ("n_envs", "n_steps", "batch_size", "n_epochs"):
            value = getattr(self, name)
            if not _is_int(value) or value < 1:
                raise ValueError(f"PPOConfig.{name}={value!r} must be an integer >= 1")
        if self.batch_size > self.rollout_size:
            raise ValueError(
                f"PPOConfig.batch_size={self.batch_size} must be <= n_envs * n_steps "
                f"= {self.rollout_size}"
            )
        if self.lr_schedule not in LR_SCHEDULES:
            raise ValueError(
                f"PPOConfig.lr_schedule={self.lr_schedule!r} is not one of {list(LR_SCHEDULES)}"
            )
        positive = ("learning_rate", "clip_range", "max_grad_norm", "adam_eps", "clip_obs")
        for name in (*positive, "clip_reward"):
            value = getattr(self, name)
            if not _is_num(value) or value <= 0:
                raise ValueError(f"PPOConfig.{name}={value!r} must be a number > 0")
        for name in ("gamma", "gae_lambda"):
            value = getattr(self, name)
            if not _is_num(value) or not 0.0 <= value <= 1.0:
                raise ValueError(f"PPOConfig.{name}={value!r} must be a number in [0, 1]")
        for name in ("ent_coef", "vf_coef"):
            value = getattr(self, name)
            if not _is_num(value) or value < 0:
                raise ValueError(f"PPOConfig.{name}={value!r} must be a number >= 0")
        for name in ("clip_range_vf", "target_kl"):
            value = getattr(self, name)
            if value is not None and (not _is_num(value) or value <= 0):
                raise ValueError(f"PPOConfig.{name}={value!r} must be null or a number > 0")
        if not _is_num(self.log_std_init) or not -5.0 <= self.log_std_init <= 2.0:
            raise ValueError(f"PPOConfig.log_std_init={self.log_std_init!r} must be in [-5, 2]")
        flags = ("normalize_advantage", "ortho_init", "shared_trunk")
        for name in (*flags, "normalize_obs", "normalize_reward"):
            if not isinstance(getattr(self, name), bool):
                raise ValueError(f"PPOConfig.{name}={getattr(self, name)!r} must be true or false")

    def to_dict(self) -> dict[str, Any]:
        """Plain dict of the fields (for run configs and summaries)."""
        return {f.name: getattr(self, f.name) for f in fields(self)}


PRESETS: dict[str, PPOConfig] = {
    # SB3 defaults (2048 samples per rollout) over 8 envs, rl-zoo VecNormalize.
    "sb3": PPOConfig(),
    # rl-zoo's tuned Reacher entry (hyperparams/ppo.yml): 1 env, VecNormalize.
    "zoo_reacher": PPOConfig(
        n_envs=1,
        n_steps=512,
        batch_size=32,
        n_epochs=5,
        learning_rate=1.04019e-4,
        gamma=0.9,
        gae_lambda=1.0,
        clip_range=0.3,
        ent_coef=7.52585e-08,
        vf_coef=0.950368,
        max_grad_norm=0.9,
    ),
}


def ppo_preset(name: str, **overrides: Any) -> PPOConfig:
    """A fresh copy of preset `name` (sb3 | zoo_reacher) with optional field overrides."""
    if name not in PRESETS:
        raise ValueError(f"unknown PPO preset {name!r}; presets: {list(PRESETS)}")
    known = {f.name for f in fields(PPOConfig)}
    unknown = set(overrides) - known
    if unknown:
        raise ValueError(f"unknown PPOConfig field(s) {sorted(unknown)}; fields: {sorted(known)}")
    return replace(PRESETS[name], **overrides)
