"""GRPO settings as one plain dataclass (Hydra builds it from conf/algo/grpo.yaml).

Defaults are the recommended configuration, chosen by the sweeps recorded in BENCHMARKS.md:
time-aligned group baseline (`rtg`) on the gamma=0.99 return-to-go, advantages scaled by the
batch std, 8 exact-state groups of 4 rows per iteration, per-step (DAPO) loss with clip-higher
(0.2/0.28), no KL, Adam at `auto_lr(core width)` decayed linearly to 0 over the run, 5 epochs,
initial policy std e^-1 in the pre-tanh space.

Gradients are accumulated over micro-batches: `micro_batch_size=0` (auto) takes the largest
micro-batch whose estimated activations fit `micro_batch_budget_mb`, so narrow cores run whole
minibatches and wide cores stay bounded; a number fixes it (e.g. 64, SB3 PPO's minibatch, for a
comparison at equal per-pass batches). The names of TRL's `GRPOConfig` are accepted as aliases
(`TRL_ALIASES`).
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

from simrl.config.fields import (
    MAX_ROWS,
    ConfigValueError,
    check_fields,
    field_names,
    limit,
)
from simrl.messages import nearest

ADVANTAGES = ("outcome", "process", "rtg", "rloo", "vine")
SCALES = ("group", "batch", "none")
LOSS_AGGS = ("token", "sequence", "constant")
SQUASHES = ("tanh", "clip")
ENTROPIES = ("gaussian", "squashed")
LR_SCHEDULES = ("constant", "linear")
AUTO_LR, AUTO_LR_WIDTH = 3e-3, 64


def auto_lr(width: int) -> float:
    """The Adam learning rate `lr=0` stands for: 3e-3 up to core width 64, x 64/width above.

    Adam's update size does not shrink with fan-in, so wider hidden layers need a smaller step
    (muP scales it by 1/width); BENCHMARKS.md has the measurements behind the constants.
    """
    return AUTO_LR * min(1.0, AUTO_LR_WIDTH / width)


@dataclass
class GRPOConfig:
    """All GRPO choices. Every field has a simple type, its limits and the recommended default."""

    # sampling
    num_groups: int = limit(8, ge=1, le=MAX_ROWS)  # start states per iteration
    group_size: int = limit(
        4, ge=2, le=MAX_ROWS, text=f"an integer in [2, {MAX_ROWS}] (a group of one has no baseline)"
    )
    horizon: int = limit(0, ge=0)  # steps per rollout; 0 = full episodes
    # advantages
    advantage: str = limit("rtg", choices=ADVANTAGES)  # outcome | process | rtg | rloo | vine
    gamma: float = limit(0.99, ge=0.0, le=1.0)  # discount of rtg / process / vine
    scale: str = limit("batch", choices=SCALES)  # group | batch | none (Dr. GRPO)
    adv_eps: float = limit(1e-8, ge=0)  # added to the std before dividing
    vine_every: int = limit(10, ge=1)  # vine: branch every k steps
    vine_samples: int = limit(4, ge=1)  # vine: K Monte Carlo continuations per branch point
    vine_horizon: int = limit(0, ge=0)  # vine: continuation length cap; 0 = to the episode end
    branch_frac: float = limit(0.0, ge=0.0, le=1.0)  # share of groups started mid-episode
    drop_zero_var: bool = False  # DAPO dynamic sampling: drop groups whose advantages are all 0
    kl_on_zero_var: bool = False  # let zero-variance groups get the KL-only gradient (a trap)
    # loss
    loss_agg: str = limit("token", choices=LOSS_AGGS)  # token (DAPO) | sequence | constant
    clip_low: float = limit(0.2, ge=0.0, le=1.0)
    clip_high: float = limit(0.28, ge=0)
    beta: float = limit(0.0, ge=0)  # KL(k3) coefficient to the reference policy
    ref_update_every: int = limit(0, ge=0)  # iterations between reference refreshes; 0 = never
    ent_coef: float = limit(0.0, ge=0)
    # what the bonus measures: the pre-squash Gaussian's entropy (its gradient raises the std without
    # end) or the squashed policy's (one reparameterised sample per step: saturation costs entropy)
    entropy: str = limit("gaussian", choices=ENTROPIES)
    # constant, or linear: ent_coef x the share of the budget left (0 at the end), so the late
    # updates stop paying for a std that the deterministic policy does not use
    ent_schedule: str = limit("constant", choices=LR_SCHEDULES)
    # optimisation
    epochs: int = limit(5, ge=1)
    minibatch_size: int = limit(4096, ge=1)  # steps per optimizer step (clamped to the batch)
    micro_batch_size: int = limit(0, ge=0)  # steps per forward/backward; 0 = auto
    micro_batch_budget_mb: float = limit(256.0, gt=0)  # auto: activations fit this many MiB
    lr: float = limit(
        0.0, ge=0, le=10.0, text="a number in (0, 10], or 0 for auto"
    )  # Adam; 0 = auto_lr(width)
    lr_schedule: str = limit("linear", choices=LR_SCHEDULES)  # linear (to 0 at the budget)
    adam_eps: float = limit(1e-5, gt=0)
    max_grad_norm: float = limit(0.5, ge=0)  # 0 = no clipping
    target_kl: float = limit(0.0, ge=0)  # stop the epochs when approx KL > 1.5 x this; 0 = off
    # policy
    squash: str = limit("tanh", choices=SQUASHES)  # tanh | clip
    state_dependent_std: bool = False
    init_log_std: float = limit(-1.0, ge=-5.0, le=2.0)
    # floor of the log std (-5: none): a policy whose std the outcome-only gradient would shrink
    # to nothing keeps exploring, so groups from one exact state still differ; a std that reaches
    # the floor stays there (the clamp passes no gradient below it)
    min_log_std: float = limit(-5.0, ge=-5.0, le=2.0)
    # exploration noise colour over a rollout: 0 white (a fresh draw each step), 1 pink, 2 red
    noise_beta: float = limit(0.0, ge=0.0, le=3.0)
    # mirrored exploration noise inside each group: row 2k+1 draws -noise of row 2k (pairs share
    # any baseline, which cancels in their gradient; each row's marginal is still pi)
    antithetic: bool = False
    obs_norm: bool = True
    obs_clip: float = limit(10.0, gt=0)

    def __post_init__(self) -> None:
        self.validate()

    def validate(self) -> None:
        """Raise a one-line ValueError naming the bad field, its value and the allowed values."""
        check_fields(self)
        if self.num_groups * self.group_size > MAX_ROWS:
            raise ConfigValueError(
                "GRPOConfig", "group_size", self.group_size,
                f"gives num_groups x group_size = {self.num_groups * self.group_size} rows, "
                f"more than {MAX_ROWS}",
            )  # fmt: skip
        if self.init_log_std < self.min_log_std:
            raise ConfigValueError(
                "GRPOConfig", "init_log_std", self.init_log_std,
                f"is below min_log_std={self.min_log_std}",
                allowed=f"[{self.min_log_std}, 2.0]",
            )  # fmt: skip
        if self.entropy == "squashed" and self.squash != "tanh":
            raise ConfigValueError(
                "GRPOConfig",
                "entropy",
                self.entropy,
                "needs squash='tanh' (a clipped Gaussian has no density at the bounds)",
            )

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> GRPOConfig:
        """Build from a mapping that may use TRL's names (`translate_trl`, not strict)."""
        return cls(**translate_trl(values, strict=False))

    def for_model(self, model: Any) -> GRPOConfig:
        """These settings with `lr=0` (auto) resolved for `model`'s width: the value the run
        uses, as saved in its config."""
        from dataclasses import replace

        return replace(self, lr=self.lr or auto_lr(int(model.width)))

    def to_dict(self) -> dict:
        """Plain dict of the fields (for run configs and summaries)."""
        return {f.name: getattr(self, f.name) for f in fields(self)}


# TRL's GRPOConfig names (as in LLM GRPO) -> (simrl field, value mapping or None)
_LOSS_TYPES = {"grpo": "sequence", "dr_grpo": "constant", "dapo": "token", "bnpo": "token"}
_SCALE_REWARDS = {"group": "group", "batch": "batch", "none": "none", True: "group", False: "none"}
TRL_ALIASES: dict[str, tuple[str, dict[Any, Any] | None]] = {
    "num_generations": ("group_size", None),
    "num_iterations": ("epochs", None),
    "epsilon": ("clip_low", None),
    "epsilon_high": ("clip_high", None),
    "beta": ("beta", None),
    "learning_rate": ("lr", None),
    "loss_type": ("loss_agg", _LOSS_TYPES),
    "scale_rewards": ("scale", _SCALE_REWARDS),
}


def translate_trl(values: dict[str, Any], strict: bool = True) -> dict[str, Any]:
    """`values` with TRL's names mapped to simrl's (`TRL_ALIASES`; an alias set to None is unset);
    an unknown key is a one-line error. `strict` (keyword arguments): an alias given with its simrl
    name is an error; else (a composed config, holding every default) the alias wins."""
    names = field_names(GRPOConfig)
    trl = {k: v for k, v in TRL_ALIASES.items() if k not in names}  # `beta` is both
    for key, (field, _) in trl.items():
        if strict and values.get(key) is not None and field in values:
            reason = f"and {field} are the same setting; give one"
            raise ConfigValueError("GRPOConfig", key, values[key], reason)
    out: dict[str, Any] = {}
    for key, value in values.items():
        if key in names:
            out.setdefault(key, value)
        elif key not in trl:
            near = ", ".join(nearest(key, [*names, *TRL_ALIASES]))
            raise ConfigValueError("GRPOConfig", key, value, f"is not a setting; nearest: {near}")
        elif value is not None:  # None: unset (the command line's schema lists the aliases as null)
            field, mapping = trl[key]
            if mapping is not None and value not in mapping:
                allowed = [k for k in mapping if isinstance(k, str)]
                raise ConfigValueError(
                    "GRPOConfig", key, value, "is not one of the choices", allowed
                )
            out[field] = value if mapping is None else mapping[value]  # wins over the field's own
    return out


_fields_init = GRPOConfig.__init__


def _init_with_aliases(self: GRPOConfig, *args: Any, **kwargs: Any) -> None:
    """`GRPOConfig(...)` also takes TRL's names (`num_generations=8`, `loss_type="dr_grpo"`)."""
    _fields_init(self, *args, **translate_trl(kwargs))


GRPOConfig.__init__ = _init_with_aliases  # type: ignore[method-assign]
