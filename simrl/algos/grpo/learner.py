"""GRPO's learner: epochs of minibatch Adam steps on the clipped surrogate, with the NaN guard.

Owns the policy's optimizer and the frozen reference policy (for the k3 KL term). A minibatch whose
loss or gradient norm is not finite is never applied: the rest of that iteration's update is
skipped and counted (`nonfinite_updates`, `nonfinite_consecutive`), so the run loop can stop after
a few in a row with every saved checkpoint intact.
"""

from __future__ import annotations

import copy
import math
from typing import Any

import torch

from simrl.algos.grpo.config import GRPOConfig
from simrl.algos.grpo.loss import grpo_loss, loss_weights
from simrl.algos.grpo.policy import GaussianPolicy
from simrl.algos.grpo.rollout import Rollout
from simrl.nn.meters import count_flops

UPDATE_KEYS = ("loss", "approx_kl", "clip_frac", "kl", "entropy", "grad_norm", "ratio_mean")


class GRPOLearner:
    """Policy update from one batch of rollouts and their advantages."""

    def __init__(self, policy: GaussianPolicy, cfg: GRPOConfig, plan: Any, gen: torch.Generator):
        self.policy = policy
        self.cfg = cfg
        self.plan = plan
        self.gen = gen
        self.device = policy.act_center.device
        self.ref = copy.deepcopy(policy).requires_grad_(False) if cfg.beta > 0 else None
        self.optimizer = torch.optim.Adam(policy.parameters(), lr=cfg.lr, eps=cfg.adam_eps)
        self.nonfinite_updates = 0
        self.nonfinite_consecutive = 0
        self.flops_per_sample: float | None = None

    def refresh_reference(self) -> None:
        """Set the reference policy to the current policy (iterative GRPO)."""
        if self.ref is not None:
            self.ref.load_state_dict(self.policy.state_dict())

    def update(
        self, roll: Rollout, adv: torch.Tensor, zero_var: torch.Tensor, lr: float
    ) -> dict[str, float]:
        """Run the epochs over the batch; return mean minibatch stats and update bookkeeping."""
        cfg = self.cfg
        weights, kl_w = loss_weights(
            roll.mask, zero_var, cfg.group_size, cfg.loss_agg, cfg.drop_zero_var, cfg.kl_on_zero_var
        )
        pool = torch.nonzero((weights > 0).reshape(-1)).squeeze(1)
        out = {k: float("nan") for k in UPDATE_KEYS}
        out.update(epochs_done=0.0, minibatch_steps=0.0, update_skipped=0.0)
        for group in self.optimizer.param_groups:
            group["lr"] = lr
        total = pool.numel()
        if total == 0:  # every group dropped as zero-variance: nothing to learn, nothing wrong
            out.update(loss=0.0, update_skipped=1.0)
            self.nonfinite_consecutive = 0
            return out
        flat = self._flatten(roll, adv, weights, kl_w, pool)
        if self.flops_per_sample is None:
            self._count_flops(flat)
        mb = min(cfg.minibatch_size, total)
        max_norm = cfg.max_grad_norm if cfg.max_grad_norm > 0 else math.inf
        sums: dict[str, float] = {}
        steps = 0
        bad = stop = False
        for epoch in range(cfg.epochs):
            perm = torch.randperm(total, generator=self.gen).to(self.device)
            for start in range(0, total, mb):
                loss, stats = self._loss(flat, perm[start : start + mb], total)
                self.optimizer.zero_grad(set_to_none=True)
                if not torch.isfinite(loss):
                    bad = True
                    break
                loss.backward()
                gnorm = torch.nn.utils.clip_grad_norm_(self.policy.parameters(), max_norm)
                if not torch.isfinite(gnorm):
                    self.optimizer.zero_grad(set_to_none=True)
                    bad = True
                    break
                self.optimizer.step()
                stats["loss"], stats["grad_norm"] = loss.detach(), gnorm.detach()
                for k, v in stats.items():
                    sums[k] = sums.get(k, 0.0) + float(v)
                steps += 1
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
            out[k] = v / steps
        out["kl"] = out.pop("kl_ref", float("nan"))
        out["minibatch_steps"] = float(steps)
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
            flat["ref_logp"] = self.ref.log_prob(u, mean.float(), log_std.float())
        return flat

    def _loss(
        self, flat: dict[str, torch.Tensor], idx: torch.Tensor, total: int
    ) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        """Minibatch loss: weights scaled by total/|idx| so it estimates the full-batch loss."""
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
        """FLOPs per sample of one minibatch forward + backward (counted, divided by its size)."""
        n = min(self.cfg.minibatch_size, flat["obs"].shape[0])
        idx = torch.arange(n, device=self.device)

        def fwd_bwd() -> None:
            loss, _ = self._loss(flat, idx, n)
            loss.backward()

        flops = count_flops(fwd_bwd)
        self.optimizer.zero_grad(set_to_none=True)
        self.flops_per_sample = flops / n

    def state_dict(self) -> dict[str, Any]:
        return {
            "optimizer": self.optimizer.state_dict(),
            "ref": None if self.ref is None else self.ref.state_dict(),
            "nonfinite_updates": self.nonfinite_updates,
            "nonfinite_consecutive": self.nonfinite_consecutive,
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.optimizer.load_state_dict(state["optimizer"])
        if self.ref is not None:
            self.ref.load_state_dict(
                state["ref"] if state["ref"] is not None else self.policy.state_dict()
            )
        self.nonfinite_updates = int(state.get("nonfinite_updates", 0))
        self.nonfinite_consecutive = int(state.get("nonfinite_consecutive", 0))
