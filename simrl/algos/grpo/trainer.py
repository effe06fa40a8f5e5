"""GRPOTrainer: exact-state group rollouts -> group-relative advantages -> clipped policy updates.

Implements the `simrl.algos.base.Trainer` protocol. One iteration:

1. start states: with full-episode rollouts (``horizon=0``), `num_groups` fresh start states, each
   copied exactly into its `group_size` rows. With ``horizon`` shorter than the episode, episodes
   continue across iterations: each group is re-formed from one of its still-running rows (a
   random one, cloned exactly into the others), or reset if all of them ended.
   With ``branch_frac`` > 0 (full-episode rollouts), that share of the groups instead starts
   from the exact state of a random row at a random step of the previous rollout, and plays on
   to that episode's end: a group baseline from one shared mid-episode state, for the late
   decisions that full-episode groups (whose rows have drifted apart by then) judge poorly.
2. roll every row out (rows that end are masked); for ``vine``, branch Monte Carlo continuations;
3. group-relative advantages; 4. `epochs` of minibatch Adam on the clipped surrogate (learner.py).
`collect` does 1-3, `update` does 4; callers may time and meter `update` on its own.

All randomness (start-state seeds, action noise, minibatch order, group leaders) comes from one
seeded torch generator kept in the state_dict, so a resumed run continues bit-identically on CPU.
"""

from __future__ import annotations

import contextlib
import time
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from simrl.algos.grpo.actor import GaussianActor, build_policy
from simrl.algos.grpo.advantages import compute_advantages, vine_branch_points
from simrl.algos.grpo.config import GRPOConfig, auto_lr
from simrl.algos.grpo.learner import GRPOLearner, auto_micro_batch
from simrl.algos.grpo.rollout import Rollout, collect_rollout, vine_values
from simrl.config.fields import ConfigValueError
from simrl.messages import first_line
from simrl.nn import CoreConfig
from simrl.nn.compute import Compute
from simrl.nn.meters import optimizer_state_bytes, param_count
from simrl.nn.trees import state_mismatch, to_array_tree, to_tensor_tree
from simrl.sim.config import EnvConfig
from simrl.sim.group_base import select_rows

STATE_VERSION = 1


@dataclass
class GroupBatch:
    """One iteration's group rollouts with their advantages (what `update` learns from)."""

    roll: Rollout
    adv: torch.Tensor
    zero_var: torch.Tensor
    vine_steps: int
    rollout_time: float

    @property
    def samples(self) -> int:
        return self.roll.env_steps


def _concat(a: Any, b: Any) -> Any:
    """Concatenate two row snapshots (nested dicts of arrays) along the rows."""
    if isinstance(a, dict):
        return {k: _concat(a[k], b[k]) for k in a}
    if isinstance(a, np.ndarray) and a.ndim:
        return np.concatenate([a, b])
    if isinstance(a, list):
        return a + b
    return a


class GRPOTrainer:
    """Critic-free GRPO learner on a `simrl.sim` group env (see module docstring)."""

    def __init__(
        self,
        env_cfg: EnvConfig,
        model: CoreConfig,
        algo: GRPOConfig,
        compute: Compute,
        *,
        seed: int = 0,
        total_env_steps: int = 200_000,
    ):
        from simrl.sim import make_group_env
        from simrl.sim.make import make_training_env

        self.cfg, self.compute = algo, compute
        self.seed, self.total_env_steps = int(seed), int(total_env_steps)
        self.base_lr = algo.lr or auto_lr(model.width)
        self.device = compute.device
        self.plan = compute.plan
        env_kw = dict(num_threads=env_cfg.num_threads, autoreset_mode="disabled", **env_cfg.options)
        self.env = make_training_env(
            env_cfg, algo.num_groups, algo.group_size, seed, autoreset_mode="disabled"
        )
        limit = self.env.max_episode_steps
        if algo.horizon == 0 and not limit:
            raise ConfigValueError(
                "GRPOConfig", "horizon", 0,
                f"needs an env with an episode limit ({env_cfg.id!r} has none); set a step count > 0",
            )  # fmt: skip
        self.horizon = min(algo.horizon or limit, limit or algo.horizon)
        self.continuing = (not limit) or self.horizon < limit
        self.vine_env = None
        if algo.advantage == "vine":
            self.vine_env = make_group_env(
                env_cfg.id,
                num_groups=self.env.num_envs,
                group_size=algo.vine_samples,
                seed=seed + 1,
                **env_kw,
            )
        obs_space, act_space = self.env.single_observation_space, self.env.single_action_space
        self.policy = build_policy(obs_space, act_space, model, algo, compute, seed)
        self.gen = torch.Generator().manual_seed(seed)
        self.actor = GaussianActor(self.policy, self.plan, seed)
        self.micro_batch = algo.micro_batch_size or auto_micro_batch(
            self.policy.core, algo.micro_batch_budget_mb, algo.minibatch_size
        )
        self.learner = GRPOLearner(self.policy, algo, self.plan, self.gen, self.micro_batch)
        self.env_steps = 0
        self.iteration = 0
        self._ended: np.ndarray | None = None  # continuing mode: rows whose episode is over
        self._n_branch = min(round(algo.branch_frac * algo.num_groups), algo.num_groups)
        self._branches: dict[str, Any] | None = None  # next iteration's mid-episode group starts

    # ------------------------------------------------------------------ protocol
    def act(self, obs: np.ndarray, deterministic: bool = True) -> np.ndarray:
        """Actions (num_envs, act_dim) for raw observations; the mean action when deterministic."""
        return self.actor(obs, deterministic)

    def collect(self) -> GroupBatch:
        """Roll out the iteration's groups and compute their advantages (steps 1-3 above)."""
        cfg = self.cfg
        if cfg.ref_update_every and self.iteration % cfg.ref_update_every == 0:
            self.learner.refresh_reference()
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
        return GroupBatch(roll, adv, zero_var, vine_steps, rollout_time)

    def update(self, batch: GroupBatch) -> dict[str, float]:
        """Epochs of minibatch Adam on the batch (step 4); the iteration's metrics."""
        ent_coef = self._ent_coef_now()
        upd = self.learner.update(batch.roll, batch.adv, batch.zero_var, self._lr_now(), ent_coef)
        upd["ent_coef"] = ent_coef
        self.iteration += 1
        return self._metrics(batch, upd)

    def iterate(self) -> dict[str, float]:
        """One collect + update iteration."""
        return self.update(self.collect())

    # ------------------------------------------------------------------ collection
    def _seed(self) -> int:
        return int(torch.randint(0, 2**31 - 1, (1,), generator=self.gen))

    def _start_obs(self) -> np.ndarray:
        """Observations of the iteration's exact-state groups (see module docstring, step 1)."""
        if not self.continuing or self._ended is None:
            obs, _ = self.env.reset(seed=self._seed())
            if self._branches is not None:  # groups that continue from states of the last rollout
                n = len(self._branches["elapsed"])
                rows = self.env.group_rows(np.arange(n))
                snap = select_rows(self._branches, np.repeat(np.arange(n), self.cfg.group_size))
                obs = self.env.set_state(rows, snap)
                self._branches = None
            return obs
        G = self.cfg.group_size
        alive = ~self._ended.reshape(-1, G)
        reset = np.flatnonzero(~alive.any(axis=1))
        src, dst = [], []
        for g in np.flatnonzero(alive.any(axis=1)):
            rows = np.flatnonzero(alive[g])
            leader = g * G + rows[int(torch.randint(0, rows.size, (1,), generator=self.gen))]
            others = np.setdiff1d(np.arange(g * G, (g + 1) * G), [leader])
            src.append(np.full(others.size, leader))
            dst.append(others)
        obs = None
        if dst:
            obs = self.env.clone_state(np.concatenate(src), np.concatenate(dst))
        if reset.size:
            mask = np.zeros(self.env.num_envs, dtype=bool)
            mask[self.env.group_rows(reset)] = True
            obs, _ = self.env.reset(seed=self._seed(), options={"reset_mask": mask})
        return obs

    def _collect(self) -> tuple[Rollout, torch.Tensor | None, int]:
        cfg = self.cfg
        obs = self._start_obs()
        branch: list[int] = []
        branch_times: list[int] = []
        snapshot_rows = None
        if cfg.advantage == "vine":
            branch = [t for t in vine_branch_points(self.horizon, cfg.vine_every) if t > 0]
            branch.append(self.horizon)
            snapshot_rows = np.repeat(np.arange(self.env.num_envs), cfg.vine_samples)
        elif self._n_branch and not self.continuing:
            times = torch.randint(1, self.horizon, (self._n_branch,), generator=self.gen)
            branch_times = times.tolist()
            branch = sorted(set(branch_times))
        roll = collect_rollout(
            self.env,
            self.policy,
            obs,
            self.horizon,
            self.gen,
            self.plan.autocast,
            snapshot_at=branch,
            snapshot_rows=snapshot_rows,
            active_rows=self._active_rows(),
            noise_beta=cfg.noise_beta,
            antithetic_group=cfg.group_size if cfg.antithetic else 0,
        )
        if self.continuing:
            self._ended = roll.ended.cpu().numpy().copy()
        elif branch_times:
            self._branches = self._pick_branches(roll, branch_times)
        if cfg.advantage != "vine":
            return roll, None, 0
        cap = cfg.vine_horizon or (self.env.max_episode_steps or self.horizon)
        values, used = vine_values(
            self.vine_env,
            self.policy,
            roll,
            cfg.group_size,
            cfg.vine_samples,
            cfg.gamma,
            cap,
            self.gen,
            self.plan.autocast,
        )
        return roll, values, used

    def _pick_branches(self, roll: Rollout, times: list[int]) -> dict[str, Any] | None:
        """One random row still in its episode at each of `times`: its snapshot there, to start a
        group of the next iteration from (an exact-state baseline for mid-episode decisions)."""
        mask = roll.mask.cpu().numpy()
        picks = []
        for t in times:
            live = np.flatnonzero(mask[:, t]) if t < mask.shape[1] else np.array([], np.int64)
            if live.size and t in roll.snapshots:
                row = int(live[int(torch.randint(0, live.size, (1,), generator=self.gen))])
                picks.append(select_rows(roll.snapshots[t], np.array([row])))
        if not picks:
            return None
        out = picks[0]
        for p in picks[1:]:
            out = _concat(out, p)
        return out

    def _active_rows(self) -> int | None:
        """Rows of the groups the remaining budget still needs, when that is fewer than all
        (full-episode rollouts): the run's last iteration stops within one group's episodes of
        `total_env_steps` instead of overshooting by a whole iteration."""
        if self.continuing or self.cfg.advantage == "vine":
            return None
        per_group = self.cfg.group_size * self.horizon
        remaining = self.total_env_steps - self.env_steps
        groups = max(1, -(-remaining // per_group))
        return groups * self.cfg.group_size if groups < self.cfg.num_groups else None

    def _budget_left(self) -> float:
        """The share of the env-step budget not yet used, in [0, 1] (the linear schedules)."""
        return max(1.0 - self.env_steps / max(self.total_env_steps, 1), 0.0)

    def _lr_now(self) -> float:
        scale = self._budget_left() if self.cfg.lr_schedule == "linear" else 1.0
        return self.base_lr * scale

    def _ent_coef_now(self) -> float:
        scale = self._budget_left() if self.cfg.ent_schedule == "linear" else 1.0
        return self.cfg.ent_coef * scale

    def _metrics(self, batch: GroupBatch, upd: dict[str, float]) -> dict[str, float]:
        roll, adv, zero_var, vine_steps = batch.roll, batch.adv, batch.zero_var, batch.vine_steps
        cfg = self.cfg
        played = int(roll.mask.any(dim=1).sum())  # rows of the groups that played (trimmed batch)
        ret = roll.rewards[:played].sum(dim=1).reshape(-1, cfg.group_size)
        with torch.no_grad():
            _, log_std = self.policy(roll.obs[:1, 0].to(self.device))
        return {
            "return_mean": float(ret.mean()),  # of the rollout (a full episode unless `horizon`)
            "return_std": float(ret.std()),
            "group_return_std": float(ret.std(dim=1).mean()),
            "episode_length": float(roll.mask[:played].sum(dim=1).double().mean()),
            "success_rate": float("nan")
            if roll.success is None
            else float(roll.success[:played].double().mean()),
            "zero_var_frac": float(zero_var.double().mean()),
            "adv_abs_mean": float(adv.abs().sum() / roll.mask.sum().clamp(min=1)),
            "env_steps": float(self.env_steps),
            "vine_env_steps": float(vine_steps),
            "rollout_time_s": batch.rollout_time,
            "env_steps_per_s": (roll.env_steps + vine_steps) / max(batch.rollout_time, 1e-9),
            "lr": self.learner.optimizer.param_groups[0]["lr"],
            "log_std_mean": float(log_std.mean()),
            "nonfinite_updates": float(self.learner.nonfinite_updates),
            "nonfinite_consecutive": float(self.learner.nonfinite_consecutive),
            **roll.reward_terms,
            **(self.env.start_states.metrics() if self.env.start_states is not None else {}),
            **upd,
        }

    # ------------------------------------------------------------------ state
    def state_dict(self) -> dict[str, Any]:
        """Weights + normaliser, optimizer, reference, RNG, counters (and live episodes if any)."""
        state = {
            "version": STATE_VERSION,
            "policy": self.policy.state_dict(),
            "learner": self.learner.state_dict(),
            "rng": self.gen.get_state(),
            "env_steps": self.env_steps,
            "iteration": self.iteration,
            "env": None,
            "curriculum": None
            if self.env.start_states is None
            else to_tensor_tree(self.env.start_states.state_dict()),
        }
        if self._branches is not None:
            with contextlib.suppress(TypeError):
                state["branches"] = to_tensor_tree(self._branches)
        if self.continuing and self._ended is not None:
            # episodes in flight (horizon mode); envs whose snapshot is not plain arrays restart
            # from fresh groups on resume instead
            with contextlib.suppress(TypeError):
                state["env"] = {
                    "snapshot": to_tensor_tree(self.env.get_state()),
                    "ended": torch.from_numpy(self._ended.copy()),
                }
        return state

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore `state_dict()`; a state of another shape raises a one-line ValueError."""
        version = state.get("version") if isinstance(state, dict) else None
        if version != STATE_VERSION:
            raise ValueError(
                f"not a GRPO trainer state (version {version!r}, expected {STATE_VERSION})"
            )
        try:
            mismatch = state_mismatch(self.policy.state_dict(), state["policy"])
            if mismatch:
                raise ValueError(mismatch)
            self.policy.load_state_dict(state["policy"])
            self.learner.load_state_dict(state["learner"])
            saved = state.get("curriculum")
            if (saved is None) != (self.env.start_states is None):
                raise ValueError("curriculum on/off differs between checkpoint and config")
            if saved is not None:
                self.env.start_states.load_state_dict(to_array_tree(saved))
            branches = state.get("branches")
            self._branches = None if branches is None else to_array_tree(branches)
            self._ended = None  # continuing mode without a saved env: start fresh groups
            if self.continuing and state.get("env") is not None:
                self.env.set_state(
                    np.arange(self.env.num_envs), to_array_tree(state["env"]["snapshot"])
                )
                self._ended = state["env"]["ended"].numpy().copy()
        except (RuntimeError, KeyError, ValueError, IndexError) as exc:
            raise ValueError(
                f"GRPO checkpoint does not match this model/config: {first_line(exc)}"
            ) from None
        self.gen.set_state(state["rng"])
        self.env_steps = int(state["env_steps"])
        self.iteration = int(state["iteration"])

    def learner_stats(self) -> dict[str, Any]:
        """Parameter count, optimizer bytes, base learning rate, micro-batch, precision."""
        return {
            "params_trainable": param_count(self.policy),
            "optimizer_state_bytes": optimizer_state_bytes(self.learner.optimizer),
            "lr_base": self.base_lr,
            "micro_batch_size": self.micro_batch,
            **self.plan.as_dict(),
        }

    def close(self) -> None:
        """Release the envs."""
        self.env.close()
        if self.vine_env is not None:
            self.vine_env.close()


# the registry's factory: the constructor already has the `make_trainer` signature
make_trainer = GRPOTrainer
