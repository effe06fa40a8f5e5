"""PPO baseline settings: every SB3 PPO knob plus the simrl wiring (trunk sharing, normalization).

Defaults are SB3's PPO defaults (lr 3e-4, 2048 samples per rollout, minibatch 64, 10 epochs,
gamma 0.99, GAE 0.95, clip 0.2, vf_coef 0.5, max_grad_norm 0.5, separate policy and value
networks) spread over 8 independent envs (8 x 256 = 2048), with rl-zoo's VecNormalize for MuJoCo.
`ppo_preset("zoo_reacher")` gives rl-zoo's tuned Reacher entry.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from typing import Any

from simrl.config.fields import MAX_ROWS, ConfigValueError, check_fields, limit

LR_SCHEDULES: tuple[str, ...] = ("constant", "linear")


@dataclass
class PPOConfig:
    """All knobs of the SB3 PPO baseline (names follow `stable_baselines3.PPO` where one exists)."""

    n_envs: int = limit(
        8, ge=1, le=MAX_ROWS
    )  # independent envs (num_groups = n_envs, group_size = 1)
    n_steps: int = limit(256, ge=1)  # steps per env per rollout; rollout = n_envs * n_steps
    batch_size: int = limit(64, ge=1)  # minibatch size
    n_epochs: int = limit(10, ge=1)
    learning_rate: float = limit(3e-4, gt=0, le=10.0)
    lr_schedule: str = limit("constant", choices=LR_SCHEDULES)  # constant | linear (to 0)
    gamma: float = limit(0.99, ge=0, le=1)
    gae_lambda: float = limit(0.95, ge=0, le=1)
    clip_range: float = limit(0.2, gt=0)
    clip_range_vf: float | None = limit(None, gt=0)
    normalize_advantage: bool = True
    ent_coef: float = limit(0.0, ge=0)
    vf_coef: float = limit(0.5, ge=0)
    max_grad_norm: float = limit(0.5, gt=0)
    target_kl: float | None = limit(None, gt=0)
    log_std_init: float = limit(0.0, ge=-5, le=2)
    ortho_init: bool = True
    adam_eps: float = limit(1e-5, gt=0)  # SB3's ActorCriticPolicy Adam eps
    shared_trunk: bool = False  # True: one Core for policy and value (share_features_extractor)
    normalize_obs: bool = True  # running obs mean/std (VecNormalize), stats in the checkpoint
    normalize_reward: bool = True  # VecNormalize reward scaling by the discounted-return std
    clip_obs: float = limit(10.0, gt=0)
    clip_reward: float = limit(10.0, gt=0)
    # "": these fields as set; "auto": rl-zoo3's tuned entry for the run's env (-v5 -> -v4) replaces
    # the fields it covers (simrl.algos.ppo.zoo); another value names the zoo entry itself
    zoo: str = ""

    def __post_init__(self) -> None:
        self.validate()

    @property
    def rollout_size(self) -> int:
        """Samples collected per iteration (n_envs * n_steps)."""
        return self.n_envs * self.n_steps

    def validate(self) -> None:
        """Raise a one-line ValueError naming the bad field and the allowed values."""
        check_fields(self)
        if self.batch_size > self.rollout_size:
            raise ConfigValueError(
                "PPOConfig", "batch_size", self.batch_size,
                f"must be <= n_envs * n_steps = {self.rollout_size}",
            )  # fmt: skip

    def to_dict(self) -> dict[str, Any]:
        """Plain dict of the fields (for run configs and summaries)."""
        return {f.name: getattr(self, f.name) for f in fields(self)}

    def for_env(self, env_id: str) -> PPOConfig:
        """These settings for `env_id`: with `zoo` set, rl-zoo3's entry replaces the fields it
        covers (a one-line ValueError naming `zoo` if the entry or the package is missing)."""
        if not self.zoo:
            return self
        from simrl.algos.ppo.zoo import zoo_entry, zoo_fields

        try:
            _, entry = zoo_entry(self.zoo, env_id)
            values, _ = zoo_fields(entry)
            return replace(self, **values)
        except ValueError as exc:
            raise ConfigValueError("PPOConfig", "zoo", self.zoo, f"cannot be used: {exc}") from None


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
