"""Group-relative advantage estimators over a batch of exact-state groups.

Layout: `rewards` and `mask` are (N, T) with N = num_groups * group_size rows, group g being rows
g*G .. g*G+G-1 (all started from one simulator state). `mask[i, t]` is True for the steps row i
really took; a row that ended early has a False tail, which never enters any statistic.

Estimators (the raw, unscaled advantage; `scale` then divides it by a std):
- ``outcome``: R_i - mean_g(R) with R_i the (undiscounted) episode return, broadcast over the row's
  steps (DeepSeekMath outcome supervision).
- ``process``: step rewards centred (and with scale=group divided) by the mean/std of all step rewards
  of the group, then the discounted reward-to-go of those normalised rewards (process supervision;
  gamma=1 is DeepSeekMath's plain sum).
- ``rtg``: discounted return-to-go G_{i,t} against the mean (std) of the group's rows at the same t.
- ``rloo``: R_i - mean of the other rows' returns (leave-one-out).
- ``vine``: Monte Carlo values from branched continuations: for every step of segment
  [t_m, t_{m+1}) the segment's TD advantage sum_j gamma^(j-t_m) r_j + gamma^(t_{m+1}-t_m) V(t_{m+1})
  - V(t_m) (VinePPO with k-step segments as "reasoning steps").

Scaling: ``group`` divides by the group's std (per t for rtg; of step rewards for process),
``batch`` by the std of the raw advantages over all valid steps, ``none`` leaves them (Dr. GRPO).
Stds are unbiased (ddof=1) like torch.std; entries with fewer than 2 valid rows get 0.
"""

from __future__ import annotations

import torch

from simrl.algos.grpo.config import ADVANTAGES, SCALES

ZERO_VAR_TOL = 1e-9


def check_groups(n_rows: int, group_size: int) -> int:
    """Number of groups; raise a one-line error for G < 2 or rows that do not split into groups."""
    if group_size < 2:
        raise ValueError(
            f"group_size={group_size} must be >= 2: a group of one has no group baseline"
        )
    if n_rows % group_size:
        raise ValueError(f"{n_rows} rows do not split into groups of group_size={group_size}")
    return n_rows // group_size


def discounted_to_go(x: torch.Tensor, mask: torch.Tensor, gamma: float) -> torch.Tensor:
    """Discounted sum over t' >= t of masked x, per row: (N, T) -> (N, T), zero where masked."""
    x = torch.where(mask, x, torch.zeros_like(x))
    out = torch.zeros_like(x)
    running = torch.zeros_like(x[:, 0])
    for t in range(x.shape[1] - 1, -1, -1):
        running = x[:, t] + gamma * running
        out[:, t] = running
    return torch.where(mask, out, torch.zeros_like(out))


def _std(x: torch.Tensor, w: torch.Tensor, dim: int | tuple[int, ...]) -> torch.Tensor:
    """Unbiased std of x over the entries where w (0/1) is set; 0 where fewer than 2 entries."""
    n = w.sum(dim=dim, keepdim=True)
    mean = (x * w).sum(dim=dim, keepdim=True) / n.clamp(min=1)
    var = (((x - mean) * w) ** 2).sum(dim=dim, keepdim=True) / (n - 1).clamp(min=1)
    return torch.where(n >= 2, var.sqrt(), torch.zeros_like(var))


def _masked_mean(x: torch.Tensor, w: torch.Tensor, dim: int | tuple[int, ...]) -> torch.Tensor:
    n = w.sum(dim=dim, keepdim=True)
    return (x * w).sum(dim=dim, keepdim=True) / n.clamp(min=1)


def _div(x: torch.Tensor, std: torch.Tensor, eps: float) -> torch.Tensor:
    """x / (std + eps), with 0 where the denominator is 0 (x is 0 there: no spread, no signal)."""
    den = std + eps
    return torch.where(
        den > 0, x / torch.where(den > 0, den, torch.ones_like(den)), torch.zeros_like(x)
    )


def _batch_scale(raw: torch.Tensor, mask: torch.Tensor, eps: float) -> torch.Tensor:
    w = mask.to(raw.dtype)
    return _div(raw, _std(raw.reshape(1, -1), w.reshape(1, -1), dim=1).reshape(()), eps)


def compute_advantages(
    kind: str,
    rewards: torch.Tensor,
    mask: torch.Tensor,
    group_size: int,
    gamma: float = 1.0,
    scale: str = "group",
    eps: float = 1e-8,
    values: torch.Tensor | None = None,
    vine_every: int = 1,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-step advantages (N, T) (0 where masked) and a (num_groups,) bool of zero-variance groups.

    A zero-variance group is one whose raw advantages are all zero (every row got the same signal):
    it carries no policy-gradient information. `values` (N, T+1) is needed for ``vine``: the MC
    value at each segment start t in {0, k, 2k, ...} and at T (0 where the episode was over).
    """
    if kind not in ADVANTAGES:
        raise ValueError(f"advantage={kind!r} is not one of {list(ADVANTAGES)}")
    if scale not in SCALES:
        raise ValueError(f"scale={scale!r} is not one of {list(SCALES)}")
    if rewards.shape != mask.shape or rewards.dim() != 2:
        raise ValueError(
            f"rewards {tuple(rewards.shape)} and mask {tuple(mask.shape)} must both be (N, T)"
        )
    n, horizon = rewards.shape
    num_groups = check_groups(n, group_size)
    rewards = torch.where(mask, rewards.double(), torch.zeros((), dtype=torch.float64))
    w = mask.double()
    grouped = (num_groups, group_size, horizon)
    wg = w.reshape(grouped)

    if kind in ("outcome", "rloo"):
        ret = rewards.sum(dim=1).reshape(num_groups, group_size)
        mean = ret.mean(dim=1, keepdim=True)
        raw_row = ret - mean
        if kind == "rloo":
            raw_row = raw_row * group_size / (group_size - 1)
        raw = raw_row.reshape(n, 1).expand(n, horizon) * w
        if scale == "group":
            std = (
                ret.std(dim=1, keepdim=True)
                .reshape(num_groups, 1)
                .repeat_interleave(group_size, dim=0)
            )
            adv = _div(raw, std, eps)
        else:
            adv = raw
    elif kind == "process":
        rg = rewards.reshape(grouped)
        centred = ((rg - _masked_mean(rg, wg, dim=(1, 2))) * wg).reshape(n, horizon)
        raw = discounted_to_go(centred, mask, gamma)
        if scale == "group":
            std = _std(rg, wg, dim=(1, 2)).expand(grouped).reshape(n, horizon)
            adv = discounted_to_go(_div(centred, std, eps), mask, gamma)
        else:
            adv = raw
    elif kind == "rtg":
        to_go = discounted_to_go(rewards, mask, gamma).reshape(grouped)
        mean = _masked_mean(to_go, wg, dim=1)
        count = wg.sum(dim=1, keepdim=True)
        raw_g = torch.where(count >= 2, (to_go - mean) * wg, torch.zeros_like(to_go))
        raw = raw_g.reshape(n, horizon)
        if scale == "group":
            adv = _div(raw_g, _std(to_go, wg, dim=1), eps).reshape(n, horizon)
        else:
            adv = raw
    else:  # vine
        raw = vine_advantages(rewards, mask, values, gamma, vine_every)
        if scale == "group":
            rawg = raw.reshape(grouped)
            adv = _div(rawg, _std(rawg, wg, dim=(1, 2)), eps).reshape(n, horizon)
        else:
            adv = raw

    if scale == "batch":
        adv = _batch_scale(raw, mask, eps)
    adv = adv * w
    tol = ZERO_VAR_TOL * (1.0 + rewards.abs().reshape(num_groups, -1).amax(dim=1))
    if kind == "vine":  # its values are not group-shared, scale by them too
        tol = tol * (1.0 + values.double().abs().reshape(num_groups, -1).amax(dim=1))
    zero_var = raw.abs().reshape(num_groups, -1).amax(dim=1) <= tol
    adv = adv * (~zero_var).repeat_interleave(group_size).double()[:, None]  # drop rounding noise
    return adv, zero_var


def vine_advantages(
    rewards: torch.Tensor,
    mask: torch.Tensor,
    values: torch.Tensor | None,
    gamma: float,
    every: int,
) -> torch.Tensor:
    """Segment TD advantages from MC values at t = 0, k, 2k, ..., T (see module docstring)."""
    n, horizon = rewards.shape
    if values is None or tuple(values.shape) != (n, horizon + 1):
        got = None if values is None else tuple(values.shape)
        raise ValueError(f"vine advantages need values of shape {(n, horizon + 1)}, got {got}")
    values = values.double()
    rewards = torch.where(mask, rewards.double(), torch.zeros((), dtype=torch.float64))
    adv = torch.zeros_like(rewards)
    for start in range(0, horizon, every):
        end = min(start + every, horizon)
        disc = gamma ** torch.arange(end - start, dtype=torch.float64)
        seg = (rewards[:, start:end] * disc).sum(dim=1)
        delta = seg + gamma ** (end - start) * values[:, end] - values[:, start]
        adv[:, start:end] = delta[:, None]
    return adv * mask.double()


def vine_branch_points(horizon: int, every: int) -> list[int]:
    """Segment starts 0, k, 2k, ... < horizon (the points whose values vine estimates)."""
    return list(range(0, horizon, every))
