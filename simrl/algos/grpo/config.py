"""GRPO settings as one plain dataclass (Hydra builds it from conf/algo/grpo.yaml).

Defaults are the recommended configuration: time-aligned group baseline (`rtg`) on the gamma=0.99
return-to-go, advantages scaled by the batch std, 8 exact-state groups of 4 rows per iteration,
per-step (DAPO) loss with clip-higher (0.2/0.28), no KL, Adam at `auto_lr(core width)` (3e-3 up
to width 64, x 64/width above) decayed linearly to 0 over the run, 5 epochs, initial policy std e^-1 in the pre-tanh space (estimators tuned on Reacher-v5 and
Pusher-v5 with scripts/bench_grpo.py; the group shape on Reacher-v5, Pusher-v5 and simrl/Push-v0 at
200k steps, BENCHMARKS.md section 6: per env step, more and smaller iterations beat bigger groups).
Gradients are accumulated over micro-batches of 64 steps, so an update holds the activations of 64
steps at a time whatever the minibatch (the same as SB3 PPO's default minibatch); set
`micro_batch_size=0` for one forward/backward per minibatch (faster when memory is plentiful).
"""

from __future__ import annotations

from dataclasses import dataclass, fields

ADVANTAGES = ("outcome", "process", "rtg", "rloo", "vine")
SCALES = ("group", "batch", "none")
LOSS_AGGS = ("token", "sequence", "constant")
SQUASHES = ("tanh", "clip")
LR_SCHEDULES = ("constant", "linear")
AUTO_LR, AUTO_LR_WIDTH = 3e-3, 64


def auto_lr(width: int) -> float:
    """The Adam learning rate `lr=0` stands for: 3e-3 up to core width 64, x 64/width above.

    Adam's update size does not shrink with fan-in, so wider hidden layers need a smaller step
    (muP scales it by 1/width). Measured on Reacher-v5 with the residual presets (BENCHMARKS.md):
    3e-3 suits width 64, diverges at width 1024 (return -88 at 30k steps); 3e-4..1e-3 suit 256-1024.
    """
    return AUTO_LR * min(1.0, AUTO_LR_WIDTH / width)


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_num(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


@dataclass
class GRPOConfig:
    """All GRPO choices. Every field has a simple type and the recommended default."""

    # sampling
    num_groups: int = 8  # start states per iteration
    group_size: int = 4  # rows per start state (G >= 2)
    horizon: int = 0  # steps per rollout; 0 = full episodes
    # advantages
    advantage: str = "rtg"  # outcome | process | rtg | rloo | vine
    gamma: float = 0.99  # discount of rtg / process / vine (outcome and rloo use the episode sum)
    scale: str = "batch"  # group | batch | none (Dr. GRPO)
    adv_eps: float = 1e-8  # added to the std before dividing
    vine_every: int = 10  # vine: branch every k steps
    vine_samples: int = 4  # vine: K Monte Carlo continuations per branch point
    vine_horizon: int = 0  # vine: continuation length cap; 0 = to the episode end
    drop_zero_var: bool = False  # DAPO dynamic sampling: drop groups whose advantages are all 0
    kl_on_zero_var: bool = False  # let zero-variance groups get the KL-only gradient (a trap)
    # loss
    loss_agg: str = "token"  # token (DAPO) | sequence (GRPO) | constant (Dr. GRPO)
    clip_low: float = 0.2
    clip_high: float = 0.28
    beta: float = 0.0  # KL(k3) coefficient to the reference policy
    ref_update_every: int = 0  # iterations between reference refreshes; 0 = never (initial policy)
    ent_coef: float = 0.0
    # optimisation
    epochs: int = 5
    minibatch_size: int = 4096  # steps per optimizer step (clamped to the batch)
    micro_batch_size: int = 64  # steps per forward/backward (gradients accumulate); 0 = minibatch
    lr: float = 0.0  # Adam learning rate; 0 = auto_lr(core width): 3e-3 up to width 64, x 64/width
    lr_schedule: str = "linear"  # linear (to 0 at total_env_steps) | constant
    adam_eps: float = 1e-5
    max_grad_norm: float = 0.5  # 0 = no clipping
    target_kl: float = 0.0  # stop the epochs when approx KL(old, new) > 1.5 * target_kl; 0 = off
    # policy
    squash: str = "tanh"  # tanh | clip
    state_dependent_std: bool = False
    init_log_std: float = -1.0
    obs_norm: bool = True
    obs_clip: float = 10.0

    def __post_init__(self) -> None:
        self.validate()

    def validate(self) -> None:
        """Raise a one-line ValueError naming the bad field, its value and the allowed values."""
        for name, allowed in (
            ("advantage", ADVANTAGES),
            ("scale", SCALES),
            ("loss_agg", LOSS_AGGS),
            ("squash", SQUASHES),
            ("lr_schedule", LR_SCHEDULES),
        ):
            value = getattr(self, name)
            if value not in allowed:
                raise ValueError(f"GRPOConfig.{name}={value!r} is not one of {list(allowed)}")
        for name in ("drop_zero_var", "kl_on_zero_var", "state_dependent_std", "obs_norm"):
            if not isinstance(getattr(self, name), bool):
                raise ValueError(f"GRPOConfig.{name}={getattr(self, name)!r} must be true or false")
        if _is_int(self.group_size) and self.group_size < 2:
            raise ValueError(
                f"GRPOConfig.group_size={self.group_size} must be >= 2: a group of one has no "
                "baseline (GRPO needs G >= 2 rows per start state)"
            )
        for name, low in (
            ("num_groups", 1),
            ("group_size", 2),
            ("horizon", 0),
            ("vine_every", 1),
            ("vine_samples", 1),
            ("vine_horizon", 0),
            ("ref_update_every", 0),
            ("epochs", 1),
            ("minibatch_size", 1),
            ("micro_batch_size", 0),
        ):
            value = getattr(self, name)
            if not _is_int(value) or value < low:
                raise ValueError(f"GRPOConfig.{name}={value!r} must be an integer >= {low}")
        for name, low, high in (
            ("gamma", 0.0, 1.0),
            ("clip_low", 0.0, 1.0),
        ):
            value = getattr(self, name)
            if not _is_num(value) or not low <= value <= high:
                raise ValueError(f"GRPOConfig.{name}={value!r} must be a number in [{low}, {high}]")
        for name in (
            "clip_high",
            "beta",
            "ent_coef",
            "max_grad_norm",
            "target_kl",
            "adv_eps",
        ):
            value = getattr(self, name)
            if not _is_num(value) or value < 0:
                raise ValueError(f"GRPOConfig.{name}={value!r} must be a number >= 0")
        if not _is_num(self.lr) or self.lr < 0:
            raise ValueError(f"GRPOConfig.lr={self.lr!r} must be a number > 0, or 0 for auto")
        for name in ("adam_eps", "obs_clip"):
            value = getattr(self, name)
            if not _is_num(value) or value <= 0:
                raise ValueError(f"GRPOConfig.{name}={value!r} must be a number > 0")
        if not _is_num(self.init_log_std) or not -5.0 <= self.init_log_std <= 2.0:
            raise ValueError(
                f"GRPOConfig.init_log_std={self.init_log_std!r} must be a number in [-5.0, 2.0]"
            )

    def to_dict(self) -> dict:
        """Plain dict of the fields (for run configs and summaries)."""
        return {f.name: getattr(self, f.name) for f in fields(self)}
