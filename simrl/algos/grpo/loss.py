"""GRPO loss: clipped surrogate (clip-higher), k3 KL to a reference policy, entropy bonus.

Aggregation is expressed as per-step weights that sum to 1 over the batch (`step_weights`), so the
full-batch loss is sum(w * l) and a random minibatch of m out of M steps estimates it without bias
as (M / m) * sum_mb(w * l):
- ``token`` (DAPO): w = 1 / (number of valid steps),
- ``sequence`` (original GRPO): w = 1 / (len_i * number of rows) (mean per row, then over rows;
  groups are equal-sized so this is also the mean per group then over groups),
- ``constant`` (Dr. GRPO): w = 1 / (number of rows * T), T the rollout length.
"""

from __future__ import annotations

import torch

from simrl.algos.grpo.config import LOSS_AGGS


def step_weights(
    mask: torch.Tensor, loss_agg: str, keep_rows: torch.Tensor | None = None
) -> torch.Tensor:
    """(N, T) float32 aggregation weights over the valid steps of the kept rows, summing to 1 (or
    all 0). float32 keeps the learner's per-step bookkeeping small; the counts are exact in it."""
    if loss_agg not in LOSS_AGGS:
        raise ValueError(f"loss_agg={loss_agg!r} is not one of {list(LOSS_AGGS)}")
    m = mask.float()  # a new (N, T) tensor: divided in place below (one per-step copy, not two)
    if keep_rows is not None:
        m.mul_(keep_rows.float()[:, None])
    rows = (m.sum(dim=1) > 0).float()
    n_rows = rows.sum().clamp(min=1)
    if loss_agg == "token":
        return m.div_(m.sum().clamp(min=1))
    if loss_agg == "sequence":
        return m.div_(m.sum(dim=1, keepdim=True).clamp(min=1) * n_rows)
    return m.div_(n_rows * mask.shape[1])


def loss_weights(
    mask: torch.Tensor,
    zero_var: torch.Tensor,
    group_size: int,
    loss_agg: str,
    drop_zero_var: bool = False,
    kl_on_zero_var: bool = False,
    with_kl: bool = True,
) -> tuple[torch.Tensor, torch.Tensor | None]:
    """(policy-loss weights, KL weights), both (N, T), from the mask and the zero-variance groups
    (KL weights None when `with_kl` is False: no KL term, no per-step tensor for it).

    Zero-variance groups are dropped from both if `drop_zero_var` (DAPO dynamic sampling); else they
    stay in the normaliser but get no KL weight unless `kl_on_zero_var`, so they never receive a
    KL-only gradient (with advantage 0 the surrogate gives them none either).
    """
    zero_rows = zero_var.repeat_interleave(group_size)
    keep = ~zero_rows if drop_zero_var else None
    weights = step_weights(mask, loss_agg, keep)
    if not with_kl:
        return weights, None
    kl_weights = weights if kl_on_zero_var else weights * (~zero_rows).to(weights.dtype)[:, None]
    return weights, kl_weights


def kl_k3(logp: torch.Tensor, ref_logp: torch.Tensor) -> torch.Tensor:
    """Per-step k3 estimate of KL(pi || pi_ref): r - log r - 1 with r = pi_ref / pi (always >= 0)."""
    log_r = ref_logp - logp
    return torch.expm1(log_r) - log_r


def clipped_surrogate(
    logp: torch.Tensor,
    old_logp: torch.Tensor,
    adv: torch.Tensor,
    clip_low: float,
    clip_high: float,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Per-step objective min(rho A, clip(rho, 1-low, 1+high) A), the ratio rho, and a clipped flag."""
    ratio = torch.exp(logp - old_logp)
    unclipped = ratio * adv
    clipped = ratio.clamp(1.0 - clip_low, 1.0 + clip_high) * adv
    objective = torch.minimum(unclipped, clipped)
    was_clipped = (clipped < unclipped).detach()
    return objective, ratio, was_clipped


def grpo_loss(
    logp: torch.Tensor,
    old_logp: torch.Tensor,
    adv: torch.Tensor,
    weight: torch.Tensor,
    clip_low: float,
    clip_high: float,
    ref_logp: torch.Tensor | None = None,
    beta: float = 0.0,
    kl_weight: torch.Tensor | None = None,
    entropy: torch.Tensor | None = None,
    ent_coef: float = 0.0,
) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    """Loss to minimise (a scalar) and detached stats, from flat per-step tensors.

    `weight` holds each step's aggregation weight already scaled for the minibatch; `kl_weight`
    (default `weight`) lets zero-variance groups be left out of the KL term.
    """
    objective, ratio, was_clipped = clipped_surrogate(logp, old_logp, adv, clip_low, clip_high)
    loss = -(weight * objective).sum()
    stats: dict[str, torch.Tensor] = {}
    w_norm = weight.sum().clamp(min=1e-12)
    if ref_logp is not None and beta > 0:
        kl = kl_k3(logp, ref_logp)
        kw = weight if kl_weight is None else kl_weight
        loss = loss + beta * (kw * kl).sum()
        stats["kl_ref"] = ((weight * kl).sum() / w_norm).detach()
    if entropy is not None:
        if ent_coef > 0:
            loss = loss - ent_coef * (weight * entropy).sum()
        stats["entropy"] = ((weight * entropy).sum() / w_norm).detach()
    with torch.no_grad():
        log_ratio = logp - old_logp
        stats["approx_kl"] = (weight * (torch.expm1(log_ratio) - log_ratio)).sum() / w_norm
        stats["clip_frac"] = (weight * was_clipped.to(weight.dtype)).sum() / w_norm
        stats["ratio_mean"] = (weight * ratio).sum() / w_norm
    return loss, stats
