"""Group rollouts (rows masked once their episode ends) and vine Monte Carlo value estimates.

The env runs with ``autoreset_mode="disabled"``: a row stepped past its episode end is masked out
(mask False), so it never enters a statistic. An env that can skip rows (`skips_inactive_rows`,
the generic path) gets the rows still in their episode as `step(..., active=)` and spends nothing
on the others; one that steps the whole batch at once (the batched path) keeps simulating them.
Either way the rows in their episode get the same steps, bit for bit.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

from simrl.algos.grpo.policy import GaussianPolicy
from simrl.sim.reward_terms import RewardTermMeans


@dataclass
class Rollout:
    """One batch of group rollouts, row-major (N rows, T steps)."""

    obs: torch.Tensor  # (N, T, obs_dim) float32, normalised inputs the policy saw
    u: torch.Tensor  # (N, T, act_dim) float32 pre-squash samples
    logp: torch.Tensor  # (N, T) float32 log-probs under the sampling policy
    rewards: torch.Tensor  # (N, T) float64, 0 where masked
    mask: torch.Tensor  # (N, T) bool: the step was taken inside the row's episode
    ended: torch.Tensor  # (N,) bool: the row's episode ended within the rollout
    success: torch.Tensor | None  # (N,) bool at each row's last valid step, None if no success
    reward_terms: dict[str, float] = field(default_factory=dict)  # "reward/<term>": mean per step
    snapshots: dict[int, Any] = field(default_factory=dict)  # t -> env snapshot (vine branches)

    @property
    def env_steps(self) -> int:
        """Valid env steps in the batch."""
        return int(self.mask.sum())


def sample_actions(
    policy: GaussianPolicy,
    obs_n: torch.Tensor,
    gen: torch.Generator,
    autocast: Callable[[], Any] = contextlib.nullcontext,
    noise: torch.Tensor | None = None,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Sample pre-squash u ~ pi(.|obs) with `gen` (CPU noise, device independent): (u, logp, action).

    `noise` (standard normal, shape of the mean) replaces the fresh draw: a step of a temporally
    correlated sequence (`colored_noise`); each step's marginal is still pi(.|obs).
    """
    with torch.no_grad(), autocast():
        mean, log_std = policy(obs_n)
    if noise is None:
        noise = torch.randn(mean.shape, generator=gen, dtype=torch.float32)
    u = mean + log_std.exp() * noise.to(mean.device)
    logp = policy.log_prob(u, mean, log_std)
    return u, logp, policy.to_action(u)


def mirror_pairs(noise: torch.Tensor, group: int) -> torch.Tensor:
    """Antithetic noise: in each block of `group` consecutive rows (dim -2), row 2k+1 gets -row 2k.

    A group's rows then come in mirrored pairs (an odd last row keeps its own draw). A baseline
    shared by a pair cancels in the pair's score-function gradient, and each row's marginal is
    unchanged, so the estimate stays unbiased (as antithetic sampling in evolution strategies).
    """
    rows, act_dim = noise.shape[-2], noise.shape[-1]
    if rows % group:
        raise ValueError(f"antithetic noise: {rows} rows are not blocks of group_size={group}")
    blocks = noise.reshape(*noise.shape[:-2], rows // group, group, act_dim).clone()
    pairs = group // 2
    blocks[..., 1 : 2 * pairs : 2, :] = -blocks[..., 0 : 2 * pairs : 2, :]
    return blocks.reshape(noise.shape)


def colored_noise(
    beta: float, rows: int, act_dim: int, steps: int, gen: torch.Generator
) -> torch.Tensor:
    """(steps, rows, act_dim) standard-normal exploration noise, correlated over time with power
    spectrum 1/f**beta (0 white, 1 pink, 2 red): the policy's Gaussian marginals are kept, but
    successive steps move the same way for a while, so an arm travels further from where it
    starts (Eberhard et al., "Pink noise is all you need", ICLR 2023). Drawn with
    `colorednoise`, seeded from `gen` (reproducible, resumable)."""
    import colorednoise

    seed = int(torch.randint(0, 2**62, (1,), generator=gen))
    if steps < 2:  # no spectrum to shape: one draw is white noise
        return torch.from_numpy(
            np.random.default_rng(seed).standard_normal((steps, rows, act_dim))
        ).float()
    x = colorednoise.powerlaw_psd_gaussian(
        beta, (rows, act_dim, steps), random_state=np.random.default_rng(seed)
    )
    # colorednoise scales to unit variance in expectation over infinitely long sequences; over
    # one rollout the low frequencies make the marginal wider (~1.13 for red noise over 100
    # steps), so rescale to the standard normal the policy's log-probs assume
    x = x / max(float(x.std()), 1e-12)
    return torch.from_numpy(np.ascontiguousarray(x.transpose(2, 0, 1))).float()


def _step(env: Any, actions: np.ndarray, active: np.ndarray) -> tuple:
    """`env.step`, telling an env that can skip rows which ones are still in their episode."""
    if getattr(env, "skips_inactive_rows", False):
        return env.step(actions, active=active)
    return env.step(actions)


def collect_rollout(
    env: Any,
    policy: GaussianPolicy,
    obs: np.ndarray,
    horizon: int,
    gen: torch.Generator,
    autocast: Callable[[], Any] = contextlib.nullcontext,
    update_normalizer: bool = True,
    snapshot_at: Sequence[int] = (),
    snapshot_rows: np.ndarray | None = None,
    active_rows: int | None = None,
    noise_beta: float = 0.0,
    antithetic_group: int = 0,
) -> Rollout:
    """Step all rows of `env` from `obs` for up to `horizon` steps (stops early once all ended).

    The observation normaliser is updated with each step's observations of active rows before the
    policy acts on them, so the stored inputs and log-probs are exactly what the update recomputes.
    At the steps in `snapshot_at`, `env.get_state(snapshot_rows)` is stored (vine branch points).
    With `active_rows`, only the first rows play: the others are masked from the start.
    `noise_beta` > 0 draws each row's exploration noise as one correlated sequence
    (`colored_noise`). `antithetic_group` = G > 1 mirrors the noise in pairs of rows inside each
    block of G consecutive rows (`mirror_pairs`).
    """
    device = policy.act_center.device
    n = obs.shape[0]
    obs_store, u_store, logp_store, rew_store, mask_store = [], [], [], [], []
    done = np.zeros(n, dtype=bool)
    if active_rows is not None:  # rows past it take no step that counts (a trimmed last batch)
        done[active_rows:] = True
    success = np.zeros(n, dtype=bool) if getattr(env, "has_success", False) else None
    snapshots: dict[int, Any] = {}
    terms = RewardTermMeans()
    snap_set = set(snapshot_at)
    act_dim = int(np.prod(policy.act_center.shape))
    colored = colored_noise(noise_beta, n, act_dim, horizon, gen) if noise_beta > 0 else None
    if colored is not None and antithetic_group > 1:
        colored = mirror_pairs(colored, antithetic_group)
    for t in range(horizon):
        if done.all():
            break
        if t in snap_set:
            snapshots[t] = env.get_state(snapshot_rows)
        active = ~done
        obs_t = torch.as_tensor(obs, dtype=torch.float64)
        if update_normalizer and policy.normalizer is not None:
            policy.normalizer.update(obs_t[torch.as_tensor(active)])
        obs_n = policy.normalize(obs_t)
        step_noise = None if colored is None else colored[t]
        if step_noise is None and antithetic_group > 1:
            step_noise = mirror_pairs(
                torch.randn((n, act_dim), generator=gen, dtype=torch.float32), antithetic_group
            )
        u, logp, action = sample_actions(policy, obs_n, gen, autocast, step_noise)
        action_np = action.double().cpu().numpy()
        action_np[done] = 0.0
        obs, reward, terminated, truncated, info = _step(env, action_np, active)
        obs_store.append(obs_n)
        u_store.append(u)
        logp_store.append(logp)
        rew_store.append(torch.as_tensor(np.where(active, reward, 0.0), dtype=torch.float64))
        mask_store.append(torch.as_tensor(active))
        terms.add(info, active)
        if success is not None and "is_success" in info:
            success[active] = np.asarray(info["is_success"], dtype=bool)[active]
        done |= np.asarray(terminated, bool) | np.asarray(truncated, bool)
    if not obs_store:
        raise ValueError(f"rollout horizon={horizon} produced no steps")
    if horizon in snap_set and not done.all():
        snapshots[horizon] = env.get_state(snapshot_rows)
    return Rollout(
        obs=torch.stack(obs_store, dim=1),
        u=torch.stack(u_store, dim=1),
        logp=torch.stack(logp_store, dim=1),
        rewards=torch.stack(rew_store, dim=1).to(device),
        mask=torch.stack(mask_store, dim=1).to(device),
        ended=torch.as_tensor(done, device=device),
        success=None if success is None else torch.as_tensor(success, device=device),
        snapshots=snapshots,
        reward_terms=terms.pop(),
    )


def mc_values(
    vine_env: Any,
    policy: GaussianPolicy,
    snapshot: Any,
    n_rows: int,
    samples: int,
    gamma: float,
    max_steps: int,
    gen: torch.Generator,
    autocast: Callable[[], Any] = contextlib.nullcontext,
    over: np.ndarray | None = None,
) -> tuple[torch.Tensor, int]:
    """Monte Carlo value of each of `n_rows` states: mean discounted return of `samples` rollouts.

    `over` (n_rows,) marks states whose episode was already over: not simulated, value 0.

    `snapshot` holds each state repeated `samples` times (rows i*K .. i*K+K-1 = state i) and is
    loaded into `vine_env` (n_rows * samples rows); continuations sample from the current policy
    (normaliser frozen) until their episode ends or `max_steps`. Returns (values (n_rows,) float64,
    valid env steps used).
    """
    obs = vine_env.set_state(np.arange(n_rows * samples), snapshot)
    ended_at_start = np.asarray(snapshot["elapsed"]) >= (vine_env.max_episode_steps or np.inf)
    if over is not None:
        ended_at_start |= np.repeat(np.asarray(over, bool), samples)
    done = ended_at_start.copy()
    ret = np.zeros(n_rows * samples)
    disc = 1.0
    steps = 0
    for _ in range(max_steps):
        if done.all():
            break
        obs_n = policy.normalize(torch.as_tensor(obs, dtype=torch.float64))
        _, _, action = sample_actions(policy, obs_n, gen, autocast)
        action_np = action.double().cpu().numpy()
        action_np[done] = 0.0
        obs, reward, terminated, truncated, _ = _step(vine_env, action_np, ~done)
        ret += np.where(done, 0.0, disc * reward)
        steps += int((~done).sum())
        done |= np.asarray(terminated, bool) | np.asarray(truncated, bool)
        disc *= gamma
    values = ret.reshape(n_rows, samples).mean(axis=1)
    return torch.as_tensor(values, dtype=torch.float64), steps


def vine_values(
    vine_env: Any,
    policy: GaussianPolicy,
    roll: Rollout,
    group_size: int,
    samples: int,
    gamma: float,
    max_steps: int,
    gen: torch.Generator,
    autocast: Callable[[], Any] = contextlib.nullcontext,
) -> tuple[torch.Tensor, int]:
    """Values (N, T+1) at the rollout's branch points for the vine estimator, and env steps used.

    t = 0: every row of a group starts from the same state, so V(s_0) of row i is the leave-one-out
    mean of the other rows' discounted returns (free, unbiased). Every other snapshot in
    `roll.snapshots` (taken with each row repeated `samples` times) gets `mc_values`. Entries of
    rows whose episode was over at t stay 0.
    """
    n, steps_taken = roll.mask.shape
    dev = roll.rewards.device
    values = torch.zeros((n, steps_taken + 1), dtype=torch.float64, device=dev)
    disc = gamma ** torch.arange(steps_taken, dtype=torch.float64, device=dev)
    returns = (roll.rewards * disc).sum(dim=1).reshape(-1, group_size)
    loo = (returns.sum(dim=1, keepdim=True) - returns) / (group_size - 1)
    values[:, 0] = loo.reshape(-1)
    used = 0
    for t, snap in sorted(roll.snapshots.items()):
        if t == 0 or t > steps_taken:
            continue
        active = roll.mask[:, t] if t < steps_taken else ~roll.ended
        over = ~active.cpu().numpy()
        v, steps = mc_values(
            vine_env, policy, snap, n, samples, gamma, max_steps, gen, autocast, over
        )
        used += steps
        values[:, t] = torch.where(
            active, v.to(dev), torch.zeros((), dtype=torch.float64, device=dev)
        )
    return values, used
