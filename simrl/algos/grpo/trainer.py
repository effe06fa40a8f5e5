"""GRPOTrainer: exact-state group rollouts -> group-relative advantages -> clipped policy updates.

Implements the `simrl.algos.base.Trainer` protocol. One iteration: draw `num_groups` fresh start
states (each copied into `group_size` rows), roll every row out for an episode (or `horizon`
steps), optionally branch vine continuations, compute advantages, then `epochs` passes of
minibatch Adam steps on the clipped surrogate (+ k3 KL, + entropy). All randomness (start-state
seeds, action noise, minibatch order) comes from one seeded torch generator that is saved in the
state_dict, so a resumed run continues bit-identically on CPU.
"""

from __future__ import annotations

import copy
import math
import time
from typing import Any

import numpy as np
import torch

from simrl.algos.base import RunConfig
from simrl.algos.grpo.advantages import compute_advantages, vine_branch_points
from simrl.algos.grpo.config import GRPOConfig
from simrl.algos.grpo.loss import grpo_loss, loss_weights
from simrl.algos.grpo.policy import GaussianPolicy
from simrl.algos.grpo.rollout import Rollout, collect_rollout, mc_values
from simrl.nn import CoreConfig
from simrl.nn.meters import PeakMemory, count_flops, optimizer_state_bytes, param_count
from simrl.nn.precision import resolve_precision
from simrl.sim.config import EnvConfig

STATE_VERSION = 1


def _resolve_device(name: str) -> torch.device:
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    dev = torch.device(name)
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"device={name!r} requested but CUDA is not available; use auto or cpu")
    return dev


class GRPOTrainer:
    """Critic-free GRPO learner on a `simrl.sim` group env (see module docstring)."""

    def __init__(
        self,
        env_cfg: EnvConfig,
        model: CoreConfig,
        algo: GRPOConfig,
        run: RunConfig,
    ) -> None:
        algo.validate()
        model.validate()
        from simrl.sim import make_group_env

        self.cfg = algo
        self.run = run
        self.device = _resolve_device(run.device)
        if run.num_threads > 0:
            torch.set_num_threads(run.num_threads)
        self.plan = resolve_precision(
            run.precision, self.device, run.precision_strict, run.fp8_recipe
        )
        self.env = make_group_env(
            env_cfg.id,
            num_groups=algo.num_groups,
            group_size=algo.group_size,
            seed=run.seed,
            num_threads=env_cfg.num_threads,
            autoreset_mode="disabled",
            **env_cfg.options,
        )
        max_steps = self.env.max_episode_steps
        if algo.horizon == 0 and not max_steps:
            raise ValueError(
                f"env {env_cfg.id!r} has no episode limit; set GRPOConfig.horizon to a step count > 0"
            )
        self.horizon = min(algo.horizon or max_steps, max_steps or algo.horizon)
        self.vine_env = None
        if algo.advantage == "vine":
            self.vine_env = make_group_env(
                env_cfg.id,
                num_groups=self.env.num_envs,
                group_size=algo.vine_samples,
                seed=run.seed + 1,
                num_threads=env_cfg.num_threads,
                autoreset_mode="disabled",
                **env_cfg.options,
            )
        obs_space, act_space = self.env.single_observation_space, self.env.single_action_space
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(run.seed)
            policy = GaussianPolicy(
                int(np.prod(obs_space.shape)),
                act_space.low,
                act_space.high,
                model,
                squash=algo.squash,
                state_dependent_std=algo.state_dependent_std,
                init_log_std=algo.init_log_std,
                obs_norm=algo.obs_norm,
                obs_clip=algo.obs_clip,
            )
        self.policy = policy.to(self.device)
        self.policy.core = self.plan.prepare(self.policy.core)
        self.ref = None
        if algo.beta > 0:
            self.ref = copy.deepcopy(self.policy).requires_grad_(False)
        self.optimizer = torch.optim.Adam(self.policy.parameters(), lr=algo.lr, eps=algo.adam_eps)
        self.gen = torch.Generator().manual_seed(run.seed)
        self.env_steps = 0
        self.iteration = 0
        self.nonfinite_updates = 0
        self.nonfinite_consecutive = 0
        self._peak_bytes = 0
        self._flops_per_sample: float | None = None

    # ------------------------------------------------------------------ protocol
    def act(self, obs: np.ndarray, deterministic: bool = True) -> np.ndarray:
        """Actions (num_envs, act_dim) for raw observations; the mean action when deterministic."""
        obs_n = self.policy.normalize(torch.as_tensor(np.asarray(obs), dtype=torch.float64))
        with torch.no_grad(), self.plan.autocast():
            mean, log_std = self.policy(obs_n)
        u = mean
        if not deterministic:
            noise = torch.randn(mean.shape, generator=self.gen).to(mean.device)
            u = mean + log_std.exp() * noise
        return self.policy.to_action(u).double().cpu().numpy()

    def iterate(self) -> dict[str, float]:
        """One collect + update iteration; returns its metrics."""
        cfg = self.cfg
        if self.ref is not None and cfg.ref_update_every and self.iteration % cfg.ref_update_every == 0:
            self.ref.load_state_dict(self.policy.state_dict())
        t0 = time.perf_counter()
        roll, values, vine_steps = self._collect()
        rollout_time = time.perf_counter() - t0
        self.env_steps += roll.env_steps + vine_steps

        adv, zero_var = compute_advantages(
            cfg.advantage,
            roll.rewards,
            roll.mask,
            cfg.group_size,
            gamma=cfg.gamma,
            scale=cfg.scale,
            eps=cfg.adv_eps,
            values=values,
            vine_every=cfg.vine_every,
        )
        t1 = time.perf_counter()
        with PeakMemory(self.device) as pm:
            upd = self._update(roll, adv, zero_var)
        self._peak_bytes = max(self._peak_bytes, pm.peak_bytes)
        update_time = time.perf_counter() - t1
        self.iteration += 1
        ret = roll.rewards.sum(dim=1).reshape(cfg.num_groups, cfg.group_size)
        metrics = {
            "return_mean": float(ret.mean()),
            "return_std": float(ret.std()),
            "group_return_std": float(ret.std(dim=1).mean()),
            "episode_length": float(roll.mask.sum(dim=1).double().mean()),
            "success_rate": float("nan")
            if roll.success is None
            else float(roll.success.double().mean()),
            "zero_var_frac": float(zero_var.double().mean()),
            "adv_abs_mean": float(adv.abs().sum() / roll.mask.sum().clamp(min=1)),
            "env_steps": float(self.env_steps),
            "vine_env_steps": float(vine_steps),
            "rollout_time_s": rollout_time,
            "update_time_s": update_time,
            "env_steps_per_s": (roll.env_steps + vine_steps) / max(rollout_time, 1e-9),
            "peak_learner_memory_bytes": float(pm.peak_bytes),
            "lr": self.optimizer.param_groups[0]["lr"],
            "log_std_mean": float(self._log_std_mean(roll)),
            "nonfinite_updates": float(self.nonfinite_updates),
            "nonfinite_consecutive": float(self.nonfinite_consecutive),
            **upd,
        }
        return metrics

    # ------------------------------------------------------------------ collection
    def _collect(self) -> tuple[Rollout, torch.Tensor | None, int]:
        cfg = self.cfg
        seed = int(torch.randint(0, 2**31 - 1, (1,), generator=self.gen))
        obs, _ = self.env.reset(seed=seed)
        branch = []
        n = self.env.num_envs
        if cfg.advantage == "vine":
            branch = [t for t in vine_branch_points(self.horizon, cfg.vine_every) if t > 0]
            branch.append(self.horizon)
        roll = collect_rollout(
            self.env,
            self.policy,
            obs,
            self.horizon,
            self.gen,
            self.plan.autocast,
            snapshot_at=branch,
            snapshot_rows=np.repeat(np.arange(n), cfg.vine_samples) if branch else None,
        )
        if cfg.advantage != "vine":
            return roll, None, 0
        steps_taken = roll.mask.shape[1]
        values = torch.zeros((n, steps_taken + 1), dtype=torch.float64, device=roll.rewards.device)
        # t = 0: all rows of a group share the start state -> leave-one-out mean of group returns
        disc = cfg.gamma ** torch.arange(steps_taken, dtype=torch.float64, device=values.device)
        returns = (roll.rewards * disc).sum(dim=1).reshape(cfg.num_groups, cfg.group_size)
        loo = (returns.sum(dim=1, keepdim=True) - returns) / (cfg.group_size - 1)
        values[:, 0] = loo.reshape(-1)
        vine_steps = 0
        cap = cfg.vine_horizon or (self.env.max_episode_steps or self.horizon)
        for t, snap in roll.snapshots.items():
            if t > steps_taken:
                continue
            v, used = mc_values(
                self.vine_env, self.policy, snap, n, cfg.vine_samples, cfg.gamma, cap,
                self.gen, self.plan.autocast,
            )
            vine_steps += used
            active = roll.mask[:, t] if t < steps_taken else ~roll.ended
            values[:, t] = torch.where(active, v.to(values.device), torch.zeros_like(v, device=values.device))
        return roll, values, vine_steps

    # ------------------------------------------------------------------ update
    def _lr_now(self) -> float:
        if self.cfg.lr_schedule == "linear":
            frac = 1.0 - self.env_steps / max(self.run.total_env_steps, 1)
            return self.cfg.lr * max(frac, 0.0)
        return self.cfg.lr

    def _update(self, roll: Rollout, adv: torch.Tensor, zero_var: torch.Tensor) -> dict[str, float]:
        cfg = self.cfg
        weights, kl_w = loss_weights(
            roll.mask, zero_var, cfg.group_size, cfg.loss_agg, cfg.drop_zero_var, cfg.kl_on_zero_var
        )
        pool = torch.nonzero((weights > 0).reshape(-1)).squeeze(1)
        out = {
            "loss": float("nan"), "approx_kl": float("nan"), "clip_frac": float("nan"),
            "kl": float("nan"), "entropy": float("nan"), "grad_norm": float("nan"),
            "epochs_done": 0.0, "update_skipped": 0.0,
        }
        for group in self.optimizer.param_groups:
            group["lr"] = self._lr_now()
        total = pool.numel()
        if total == 0:
            out["update_skipped"] = 1.0
            return out
        flat = self._flatten(roll, adv, weights, kl_w, pool)
        if self._flops_per_sample is None:
            self._count_flops(flat)
        mb = min(cfg.minibatch_size, total)
        sums: dict[str, float] = {}
        count = 0
        bad = False
        stop = False
        for epoch in range(cfg.epochs):
            perm = torch.randperm(total, generator=self.gen).to(pool.device)
            for start in range(0, total, mb):
                idx = perm[start : start + mb]
                loss, stats = self._loss(flat, idx, total)
                self.optimizer.zero_grad(set_to_none=True)
                if not torch.isfinite(loss):
                    bad = True
                    break
                loss.backward()
                max_norm = cfg.max_grad_norm if cfg.max_grad_norm > 0 else math.inf
                gnorm = torch.nn.utils.clip_grad_norm_(self.policy.parameters(), max_norm)
                if not torch.isfinite(gnorm):
                    self.optimizer.zero_grad(set_to_none=True)
                    bad = True
                    break
                self.optimizer.step()
                stats["loss"] = loss.detach()
                stats["grad_norm"] = gnorm.detach()
                for k, v in stats.items():
                    sums[k] = sums.get(k, 0.0) + float(v)
                count += 1
                if cfg.target_kl > 0 and float(stats["approx_kl"]) > 1.5 * cfg.target_kl:
                    stop = True
                    break
            if bad or stop:
                break
            out["epochs_done"] = float(epoch + 1)
        if bad:
            self.nonfinite_updates += 1
            self.nonfinite_consecutive += 1
            out["update_skipped"] = 1.0
        else:
            self.nonfinite_consecutive = 0
        for k, v in sums.items():
            out[k] = v / max(count, 1)
        out["kl"] = out.pop("kl_ref", float("nan"))
        return out

    def _flatten(
        self,
        roll: Rollout,
        adv: torch.Tensor,
        weights: torch.Tensor,
        kl_w: torch.Tensor,
        pool: torch.Tensor,
    ) -> dict[str, torch.Tensor]:
        """The pool's steps as flat float32 tensors on the learner device (+ reference log-probs)."""
        dev = self.device
        obs = roll.obs.reshape(-1, roll.obs.shape[-1]).to(dev)[pool]
        u = roll.u.reshape(-1, roll.u.shape[-1]).to(dev)[pool]
        flat = {
            "obs": obs,
            "u": u,
            "old_logp": roll.logp.reshape(-1).to(dev)[pool],
            "adv": adv.reshape(-1).to(dev)[pool].float(),
            "w": weights.reshape(-1).to(dev)[pool].float(),
            "kl_w": kl_w.reshape(-1).to(dev)[pool].float(),
        }
        if self.ref is not None:
            with torch.no_grad(), self.plan.autocast():
                mean, log_std = self.ref(obs)
            flat["ref_logp"] = self.ref.log_prob(u, mean, log_std)
        return flat

    def _loss(
        self, flat: dict[str, torch.Tensor], idx: torch.Tensor, total: int
    ) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        cfg = self.cfg
        with self.plan.autocast():
            mean, log_std = self.policy(flat["obs"][idx])
        logp = self.policy.log_prob(flat["u"][idx], mean, log_std)
        scale = total / idx.numel()
        return grpo_loss(
            logp,
            flat["old_logp"][idx],
            flat["adv"][idx],
            flat["w"][idx] * scale,
            cfg.clip_low,
            cfg.clip_high,
            ref_logp=flat["ref_logp"][idx] if "ref_logp" in flat else None,
            beta=cfg.beta,
            kl_weight=flat["kl_w"][idx] * scale,
            entropy=self.policy.entropy(log_std),
            ent_coef=cfg.ent_coef,
        )

    def _count_flops(self, flat: dict[str, torch.Tensor]) -> None:
        """Learner FLOPs per sample: one minibatch forward + backward, counted, divided by its size."""
        idx = torch.arange(min(self.cfg.minibatch_size, flat["obs"].shape[0]), device=self.device)

        def fwd_bwd() -> None:
            loss, _ = self._loss(flat, idx, idx.numel())
            loss.backward()

        flops = count_flops(fwd_bwd)
        self.optimizer.zero_grad(set_to_none=True)
        self._flops_per_sample = flops / max(idx.numel(), 1)

    def _log_std_mean(self, roll: Rollout) -> float:
        with torch.no_grad():
            _, log_std = self.policy(roll.obs[:1, 0].to(self.device))
        return float(log_std.mean())

    # ------------------------------------------------------------------ state
    def state_dict(self) -> dict[str, Any]:
        """Weights, optimizer, normaliser (inside the policy), reference, RNG and counters."""
        return {
            "version": STATE_VERSION,
            "policy": self.policy.state_dict(),
            "ref": None if self.ref is None else self.ref.state_dict(),
            "optimizer": self.optimizer.state_dict(),
            "rng": self.gen.get_state(),
            "env_steps": self.env_steps,
            "iteration": self.iteration,
            "nonfinite_updates": self.nonfinite_updates,
            "nonfinite_consecutive": self.nonfinite_consecutive,
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore `state_dict()`; a state of another shape raises a one-line ValueError."""
        if not isinstance(state, dict) or state.get("version") != STATE_VERSION:
            raise ValueError(
                f"not a GRPO trainer state (version {state.get('version') if isinstance(state, dict) else None!r}, "
                f"expected {STATE_VERSION})"
            )
        try:
            self.policy.load_state_dict(state["policy"])
            if self.ref is not None:
                self.ref.load_state_dict(state["ref"] if state["ref"] is not None else state["policy"])
            self.optimizer.load_state_dict(state["optimizer"])
        except (RuntimeError, KeyError, ValueError) as exc:
            msg = str(exc).splitlines()[0]
            raise ValueError(f"GRPO checkpoint does not match this model/config: {msg}") from None
        self.gen.set_state(state["rng"])
        self.env_steps = int(state["env_steps"])
        self.iteration = int(state["iteration"])
        self.nonfinite_updates = int(state.get("nonfinite_updates", 0))
        self.nonfinite_consecutive = int(state.get("nonfinite_consecutive", 0))

    def learner_stats(self) -> dict[str, Any]:
        """Parameter count, optimizer bytes, peak learner memory, FLOPs/sample, precision."""
        return {
            "params_trainable": param_count(self.policy),
            "optimizer_state_bytes": optimizer_state_bytes(self.optimizer),
            "peak_learner_memory_bytes": int(self._peak_bytes),
            "learner_flops_per_sample": self._flops_per_sample,
            "precision_requested": self.plan.requested,
            "precision_effective": self.plan.effective,
        }

    def close(self) -> None:
        """Release the envs."""
        self.env.close()
        if self.vine_env is not None:
            self.vine_env.close()


def make_trainer(env_cfg: EnvConfig, model: CoreConfig, algo: GRPOConfig, run: RunConfig) -> GRPOTrainer:
    """Factory used by the run loop (`simrl.algos.registry`)."""
    return GRPOTrainer(env_cfg, model, algo, run)
