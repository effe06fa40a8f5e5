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


def auto_micro_batch(core: torch.nn.Module, budget_mb: float, minibatch: int) -> int:
    """The largest micro-batch whose estimated activations fit `budget_mb` MiB (at least 16,
    at most the minibatch): narrow cores run whole minibatches, wide ones are bounded."""
    per_sample = max(int(core.activation_bytes_per_sample()), 1)
    fits = int(budget_mb * 2**20) // per_sample
    return max(16, min(int(minibatch), fits))


UPDATE_KEYS = ("loss", "approx_kl", "clip_frac", "kl", "entropy", "grad_norm", "ratio_mean")


class GRPOLearner:
    """Policy update from one batch of rollouts and their advantages."""

    def __init__(
        self,
        policy: GaussianPolicy,
        cfg: GRPOConfig,
        plan: Any,
        gen: torch.Generator,
        micro_batch: int | None = None,
    ):
        self.policy = policy
        self.cfg = cfg
        self.plan = plan
        self.gen = gen
        self.micro_batch = int(micro_batch or cfg.micro_batch_size or cfg.minibatch_size)
        self.device = policy.act_center.device
        self.ref = copy.deepcopy(policy).requires_grad_(False) if cfg.beta > 0 else None
        # each update sets its own (scheduled) lr; cfg.lr may be 0 (auto), which Adam accepts
        self.optimizer = torch.optim.Adam(policy.parameters(), lr=cfg.lr, eps=cfg.adam_eps)
        self.nonfinite_updates = 0
        self.nonfinite_consecutive = 0
        self._ent_coef = cfg.ent_coef

    def refresh_reference(self) -> None:
        """Set the reference policy to the current policy (iterative GRPO)."""
        if self.ref is not None:
            self.ref.load_state_dict(self.policy.state_dict())

    def update(
        self,
        roll: Rollout,
        adv: torch.Tensor,
        zero_var: torch.Tensor,
        lr: float,
        ent_coef: float | None = None,
    ) -> dict[str, float]:
        """Run the epochs over the batch at learning rate `lr` and entropy coefficient `ent_coef`
        (None: `cfg.ent_coef`); return mean minibatch stats and update bookkeeping."""
        cfg = self.cfg
        self._ent_coef = cfg.ent_coef if ent_coef is None else float(ent_coef)
        out = {k: float("nan") for k in UPDATE_KEYS}
        out.update(epochs_done=0.0, minibatch_steps=0.0, update_skipped=0.0, learner_epochs=0.0)
        for group in self.optimizer.param_groups:
            group["lr"] = lr
        flat = self._flatten(roll, adv, zero_var)
        valid = flat["w"] > 0
        total = int(valid.sum())
        if total == 0:  # every group dropped as zero-variance: nothing to learn, nothing wrong
            out.update(loss=0.0, update_skipped=1.0)
            self.nonfinite_consecutive = 0
            return out
        pool = None  # the valid steps' indices, int32 (no int64 copy) when some are not
        if total < valid.numel():
            pool = torch.arange(valid.numel(), dtype=torch.int32, device=valid.device)[valid]
        del valid
        mb = min(cfg.minibatch_size, total)
        max_norm = cfg.max_grad_norm if cfg.max_grad_norm > 0 else math.inf
        sums: dict[str, float] = {}
        steps = 0
        bad = stop = False
        for epoch in range(cfg.epochs):
            perm = torch.randperm(total, generator=self.gen, dtype=torch.int32).to(self.device)
            for start in range(0, total, mb):
                self.optimizer.zero_grad(set_to_none=True)
                idx = perm[start : start + mb]
                idx = idx if pool is None else pool[idx]  # per minibatch: no second permutation
                loss, stats = self._accumulate(flat, idx, total)
                if loss is None:
                    bad = True
                    break
                gnorm = torch.nn.utils.clip_grad_norm_(self.policy.parameters(), max_norm)
                if not torch.isfinite(gnorm):
                    self.optimizer.zero_grad(set_to_none=True)
                    bad = True
                    break
                self.optimizer.step()
                stats["loss"], stats["grad_norm"] = loss, float(gnorm)
                for k, v in stats.items():
                    sums[k] = sums.get(k, 0.0) + v
                steps += 1
                if cfg.target_kl > 0 and stats["approx_kl"] > 1.5 * cfg.target_kl:
                    stop = True
                    break
            if bad or stop:
                break
            out["epochs_done"] = float(epoch + 1)
        self.optimizer.zero_grad(set_to_none=True)
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
        out["learner_epochs"] = out["epochs_done"]
        out["learner_samples"] = float(total)
        return out

    def _accumulate(
        self, flat: dict[str, torch.Tensor], idx: torch.Tensor, total: int
    ) -> tuple[float | None, dict[str, float]]:
        """Gradients of one minibatch, accumulated over micro-batches of `micro_batch_size` steps.

        Each micro-batch's weights are scaled by total/|minibatch|, so the accumulated gradient is
        the minibatch's exactly (up to summation order) while only one micro-batch's activations
        are alive at a time. Returns (loss, weighted-mean stats), or (None, {}) when the loss is
        not finite (the caller then drops the gradient). Sums stay on the device until the end.
        """
        micro = self.micro_batch
        scale = total / idx.numel()
        loss_sum = torch.zeros((), device=self.device)
        w_sum = torch.zeros((), device=self.device)
        stat_sums: dict[str, torch.Tensor] = {}
        for chunk in idx.split(micro):
            loss, stats = self._loss(flat, chunk, scale)
            loss.backward()
            loss_sum += loss.detach()
            w = flat["w"][chunk].sum().float()
            w_sum += w
            for k, v in stats.items():
                stat_sums[k] = stat_sums.get(k, 0.0) + w * v
        if not torch.isfinite(loss_sum):
            return None, {}
        return float(loss_sum), {k: float(v / w_sum) for k, v in stat_sums.items()}

    def _flatten(
        self, roll: Rollout, adv: torch.Tensor, zero_var: torch.Tensor
    ) -> dict[str, torch.Tensor]:
        """All (N*T) steps as flat tensors on the learner device, with their loss weights: views
        where they already are there.

        Micro-batches gather their rows from these, so no per-step copy of the batch is made
        (only the weights and, when the KL term is on, the reference log-probs are per step).
        """
        cfg = self.cfg
        weights, kl_w = loss_weights(
            roll.mask,
            zero_var,
            cfg.group_size,
            cfg.loss_agg,
            cfg.drop_zero_var,
            cfg.kl_on_zero_var,
            with_kl=self.ref is not None,
        )
        dev = self.device
        flat = {
            "obs": roll.obs.reshape(-1, roll.obs.shape[-1]).to(dev),
            "u": roll.u.reshape(-1, roll.u.shape[-1]).to(dev),
            "old_logp": roll.logp.reshape(-1).to(dev),
            "adv": adv.reshape(-1).to(dev),
            "w": weights.reshape(-1).to(dev),
        }
        if kl_w is not None:
            flat["kl_w"] = kl_w.reshape(-1).to(dev)
            n = flat["obs"].shape[0]
            step = max(self.micro_batch, 4096)
            ref_logp = torch.empty(n, dtype=torch.float32, device=dev)
            with torch.no_grad():
                for s in range(0, n, step):
                    with self.plan.autocast():
                        mean, log_std = self.ref(flat["obs"][s : s + step])
                    ref_logp[s : s + step] = self.ref.log_prob(
                        flat["u"][s : s + step], mean.float(), log_std.float()
                    )
            flat["ref_logp"] = ref_logp
        return flat

    def _loss(
        self, flat: dict[str, torch.Tensor], idx: torch.Tensor, scale: float
    ) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        """Loss of the steps `idx`, weights times `scale` (total / minibatch size), so a
        minibatch's loss estimates the full-batch loss without bias."""
        cfg = self.cfg
        with self.plan.autocast():
            mean, log_std = self.policy(flat["obs"][idx])
        u = flat["u"][idx]
        logp = self.policy.log_prob(u, mean, log_std)
        if cfg.entropy == "squashed":
            entropy = self.policy.squashed_entropy(u, mean, log_std)
        else:
            entropy = self.policy.entropy(log_std)
        return grpo_loss(
            logp,
            flat["old_logp"][idx],
            flat["adv"][idx].float(),
            flat["w"][idx] * scale,
            cfg.clip_low,
            cfg.clip_high,
            ref_logp=flat["ref_logp"][idx] if "ref_logp" in flat else None,
            beta=cfg.beta,
            kl_weight=flat["kl_w"][idx] * scale if "kl_w" in flat else None,
            entropy=entropy,
            ent_coef=self._ent_coef,
        )

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
