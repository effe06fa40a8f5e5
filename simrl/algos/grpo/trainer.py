"""GRPOTrainer: exact-state group rollouts -> group-relative advantages -> clipped policy updates.

Implements the `simrl.algos.base.Trainer` protocol. One iteration:

1. start states: with full-episode rollouts (``horizon=0``), `num_groups` fresh start states, each
   copied exactly into its `group_size` rows. With ``horizon`` shorter than the episode, episodes
   continue across iterations: each group is re-formed from one of its still-running rows (a
   random one, cloned exactly into the others), or reset if all of them ended.
2. roll every row out (rows that end are masked); for ``vine``, branch Monte Carlo continuations;
3. group-relative advantages; 4. `epochs` of minibatch Adam on the clipped surrogate (learner.py).

All randomness (start-state seeds, action noise, minibatch order, group leaders) comes from one
seeded torch generator kept in the state_dict, so a resumed run continues bit-identically on CPU.
"""

from __future__ import annotations

import contextlib
import time
from typing import Any

import numpy as np
import torch

from simrl.algos.base import RunConfig
from simrl.algos.grpo.advantages import compute_advantages, vine_branch_points
from simrl.algos.grpo.config import GRPOConfig, auto_lr
from simrl.algos.grpo.learner import GRPOLearner
from simrl.algos.grpo.policy import GaussianPolicy
from simrl.algos.grpo.rollout import Rollout, collect_rollout, vine_values
from simrl.nn import CoreConfig
from simrl.nn.device import resolve_device
from simrl.nn.meters import PeakMemory, optimizer_state_bytes, param_count
from simrl.nn.precision import resolve_precision
from simrl.sim.config import EnvConfig

STATE_VERSION = 1


class _Unsaveable(Exception):
    pass


def _to_torch(x: Any) -> Any:
    """Env snapshot -> weights_only-safe payload (numpy arrays become tensors, in nested dicts).

    Raises _Unsaveable for anything but arrays, dicts and plain scalars (e.g. the generic
    Gymnasium path's MjData objects).
    """
    if isinstance(x, dict):
        return {k: _to_torch(v) for k, v in x.items()}
    if isinstance(x, np.ndarray) and x.dtype.kind in "biuf":
        return torch.from_numpy(np.ascontiguousarray(x))
    if x is None or isinstance(x, (bool, int, float, str)):
        return x
    raise _Unsaveable(type(x).__name__)


def _to_numpy(x: Any) -> Any:
    if isinstance(x, dict):
        return {k: _to_numpy(v) for k, v in x.items()}
    return x.numpy() if isinstance(x, torch.Tensor) else x


class GRPOTrainer:
    """Critic-free GRPO learner on a `simrl.sim` group env (see module docstring)."""

    def __init__(self, env_cfg: EnvConfig, model: CoreConfig, algo: GRPOConfig, run: RunConfig):
        algo.validate()
        model.validate()
        from simrl.sim import make_group_env
        from simrl.sim.make import make_training_env

        self.cfg, self.run = algo, run
        self.base_lr = algo.lr or auto_lr(model.width)
        self.device = torch.device(resolve_device(run.device))
        if run.num_threads > 0:
            torch.set_num_threads(run.num_threads)
        self.plan = resolve_precision(
            run.precision, self.device, run.precision_strict, run.fp8_recipe, compile=run.compile
        )
        env_kw = dict(num_threads=env_cfg.num_threads, autoreset_mode="disabled", **env_cfg.options)
        self.env = make_training_env(
            env_cfg, algo.num_groups, algo.group_size, run.seed, autoreset_mode="disabled"
        )
        limit = self.env.max_episode_steps
        if algo.horizon == 0 and not limit:
            raise ValueError(
                f"env {env_cfg.id!r} has no episode limit; set GRPOConfig.horizon to a step count > 0"
            )
        self.horizon = min(algo.horizon or limit, limit or algo.horizon)
        self.continuing = (not limit) or self.horizon < limit
        self.vine_env = None
        if algo.advantage == "vine":
            self.vine_env = make_group_env(
                env_cfg.id,
                num_groups=self.env.num_envs,
                group_size=algo.vine_samples,
                seed=run.seed + 1,
                **env_kw,
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
        self.gen = torch.Generator().manual_seed(run.seed)
        # stochastic act() for evaluation draws from its own stream, never the training one
        self._act_gen = torch.Generator().manual_seed(run.seed + 7919)
        self.learner = GRPOLearner(self.policy, algo, self.plan, self.gen)
        self.env_steps = 0
        self.iteration = 0
        self._ended: np.ndarray | None = None  # continuing mode: rows whose episode is over
        self._peak_bytes = 0
        self._peak_steps = 0  # largest batch (valid steps) measured so far

    # ------------------------------------------------------------------ protocol
    def act(self, obs: np.ndarray, deterministic: bool = True) -> np.ndarray:
        """Actions (num_envs, act_dim) for raw observations; the mean action when deterministic."""
        obs_n = self.policy.normalize(torch.as_tensor(np.asarray(obs), dtype=torch.float64))
        with torch.no_grad(), self.plan.autocast():
            mean, log_std = self.policy(obs_n)
        u = mean
        if not deterministic:
            noise = torch.randn(mean.shape, generator=self._act_gen).to(mean.device)
            u = mean + log_std.exp() * noise
        return self.policy.to_action(u).double().cpu().numpy()

    def iterate(self) -> dict[str, float]:
        """One collect + update iteration; returns its metrics."""
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
        # CPU peak tracking intercepts every op and allocation (slow): measure the first update of a
        # process (a resumed run starts with no measurement) and any update with more steps than
        # measured so far (the peak grows with the batch), over its first epoch (every epoch
        # repeats the same allocations; PPO's meter does the same)
        cuda = self.device.type == "cuda"
        measure = cuda or self._peak_bytes == 0 or roll.env_steps > self._peak_steps
        pm = PeakMemory(self.device) if measure else None
        t1 = time.perf_counter()
        upd = self.learner.update(
            roll, adv, zero_var, self._lr_now(), meter=pm, meter_epochs=None if cuda else 1
        )
        update_time = time.perf_counter() - t1
        if pm is not None:
            self._peak_bytes = max(self._peak_bytes, pm.peak_bytes)
            self._peak_steps = max(self._peak_steps, roll.env_steps)
        upd["memory_metered"] = float(pm is not None and not cuda)  # its update_time_s is slower
        self.iteration += 1
        return self._metrics(roll, adv, zero_var, vine_steps, rollout_time, update_time, upd)

    # ------------------------------------------------------------------ collection
    def _seed(self) -> int:
        return int(torch.randint(0, 2**31 - 1, (1,), generator=self.gen))

    def _start_obs(self) -> np.ndarray:
        """Observations of the iteration's exact-state groups (see module docstring, step 1)."""
        if not self.continuing or self._ended is None:
            obs, _ = self.env.reset(seed=self._seed())
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
            snapshot_rows=np.repeat(np.arange(self.env.num_envs), cfg.vine_samples),
        )
        if self.continuing:
            self._ended = roll.ended.cpu().numpy().copy()
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

    def _lr_now(self) -> float:
        if self.cfg.lr_schedule == "linear":
            frac = 1.0 - self.env_steps / max(self.run.total_env_steps, 1)
            return self.base_lr * max(frac, 0.0)
        return self.base_lr

    def _metrics(
        self,
        roll: Rollout,
        adv: torch.Tensor,
        zero_var: torch.Tensor,
        vine_steps: int,
        rollout_time: float,
        update_time: float,
        upd: dict[str, float],
    ) -> dict[str, float]:
        cfg = self.cfg
        ret = roll.rewards.sum(dim=1).reshape(cfg.num_groups, cfg.group_size)
        with torch.no_grad():
            _, log_std = self.policy(roll.obs[:1, 0].to(self.device))
        return {
            "return_mean": float(ret.mean()),  # of the rollout (a full episode unless `horizon`)
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
            "peak_learner_memory_bytes": float(self._peak_bytes),
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
            else self.env.start_states.state_dict(),
        }
        if self.continuing and self._ended is not None:
            # episodes in flight (horizon mode); envs whose snapshot is not plain arrays restart
            # from fresh groups on resume instead
            with contextlib.suppress(_Unsaveable):
                state["env"] = {
                    "snapshot": _to_torch(self.env.get_state()),
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
            self.policy.load_state_dict(state["policy"])
            self.learner.load_state_dict(state["learner"])
            saved = state.get("curriculum")
            if (saved is None) != (self.env.start_states is None):
                raise ValueError("curriculum on/off differs between checkpoint and config")
            if saved is not None:
                self.env.start_states.load_state_dict(saved)
            self._ended = None  # continuing mode without a saved env: start fresh groups
            if self.continuing and state.get("env") is not None:
                self.env.set_state(
                    np.arange(self.env.num_envs), _to_numpy(state["env"]["snapshot"])
                )
                self._ended = state["env"]["ended"].numpy().copy()
        except (RuntimeError, KeyError, ValueError, IndexError) as exc:
            msg = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            raise ValueError(f"GRPO checkpoint does not match this model/config: {msg}") from None
        self.gen.set_state(state["rng"])
        self.env_steps = int(state["env_steps"])
        self.iteration = int(state["iteration"])

    def learner_stats(self) -> dict[str, Any]:
        """Parameter count, optimizer bytes, peak learner memory, FLOPs/sample, precision."""
        return {
            "params_trainable": param_count(self.policy),
            "optimizer_state_bytes": optimizer_state_bytes(self.learner.optimizer),
            "peak_learner_memory_bytes": int(self._peak_bytes),
            "learner_flops_per_sample": self.learner.flops_per_sample,
            "lr_base": self.base_lr,
            "precision_requested": self.plan.requested,
            "precision_effective": self.plan.effective,
        }

    def close(self) -> None:
        """Release the envs."""
        self.env.close()
        if self.vine_env is not None:
            self.vine_env.close()


def make_trainer(
    env_cfg: EnvConfig, model: CoreConfig, algo: GRPOConfig, run: RunConfig
) -> GRPOTrainer:
    """Factory used by the run loop (`simrl.algos.registry`)."""
    return GRPOTrainer(env_cfg, model, algo, run)
