"""PPOTrainer: Stable-Baselines3 PPO on simrl's batched env, behind simrl's `Trainer` protocol.

One `iterate()` is one SB3 rollout (`collect_rollouts`) plus one SB3 update (`train()`), driven
directly so the update is timed and metered on its own. The policy and (by default) a separate value
network each carry a `simrl.nn.Core` of the run's preset with linear heads, observation normalization
is VecNormalize (stats in the checkpoint) and precision comes from the same plan GRPO uses. The
first update runs under `simrl.nn.meters` (FLOP counter + PeakMemory), as GRPO's does.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import torch
from stable_baselines3 import PPO
from stable_baselines3.common.logger import Logger
from stable_baselines3.common.vec_env import VecMonitor, VecNormalize

from simrl.algos.base import RunConfig
from simrl.algos.ppo.config import PPOConfig
from simrl.algos.ppo.env import EpisodeTracker, make_vec_env
from simrl.algos.ppo.extractor import CoreExtractor
from simrl.algos.ppo.state import (
    from_plain_tree,
    load_normalizer_state,
    load_rng_state,
    normalizer_state,
    rng_state,
    to_plain_tree,
)
from simrl.nn import CoreConfig
from simrl.nn.meters import PeakMemory, count_flops, optimizer_state_bytes, param_count
from simrl.sim.config import EnvConfig

STATE_FORMAT = "simrl.ppo/1"


def _lr_schedule(cfg: PPOConfig) -> Any:
    if cfg.lr_schedule == "linear":
        lr = cfg.learning_rate
        return lambda progress_remaining: lr * progress_remaining
    return cfg.learning_rate


class PPOTrainer:
    """SB3 PPO with simrl's Core as policy (and value) trunk; implements `simrl.algos.base.Trainer`."""

    def __init__(
        self,
        env_cfg: EnvConfig,
        model_cfg: CoreConfig,
        algo_cfg: PPOConfig,
        run_cfg: RunConfig,
        vec_env_fn: Any = make_vec_env,
    ) -> None:
        from simrl.nn.device import resolve_device, set_threads
        from simrl.nn.precision import resolve_precision

        algo_cfg.validate()
        model_cfg.validate()
        self.cfg, self.model_cfg, self.run_cfg, self.env_cfg = algo_cfg, model_cfg, run_cfg, env_cfg
        self.device = resolve_device(run_cfg.device)
        self.plan = resolve_precision(
            run_cfg.precision,
            device=self.device,
            strict=run_cfg.precision_strict,
            recipe=run_cfg.fp8_recipe,
            compile=run_cfg.compile,
        )
        set_threads(run_cfg.num_threads)
        raw_env, self.group_env = vec_env_fn(env_cfg, algo_cfg.n_envs, run_cfg.seed)
        self._terms = getattr(raw_env, "reward_terms", None)
        self.monitor = VecMonitor(raw_env)
        self.venv = VecNormalize(
            self.monitor,
            norm_obs=algo_cfg.normalize_obs,
            norm_reward=algo_cfg.normalize_reward,
            clip_obs=algo_cfg.clip_obs,
            clip_reward=algo_cfg.clip_reward,
            gamma=algo_cfg.gamma,
        )
        policy_kwargs = {
            "features_extractor_class": CoreExtractor,
            "features_extractor_kwargs": {
                "core_cfg": model_cfg,
                "plan": self.plan,
            },
            "share_features_extractor": algo_cfg.shared_trunk,
            "net_arch": {"pi": [], "vf": []},
            "log_std_init": algo_cfg.log_std_init,
            "ortho_init": algo_cfg.ortho_init,
            "optimizer_kwargs": {"eps": algo_cfg.adam_eps},
        }
        self.model = PPO(
            "MlpPolicy",
            self.venv,
            learning_rate=_lr_schedule(algo_cfg),
            n_steps=algo_cfg.n_steps,
            batch_size=algo_cfg.batch_size,
            n_epochs=algo_cfg.n_epochs,
            gamma=algo_cfg.gamma,
            gae_lambda=algo_cfg.gae_lambda,
            clip_range=algo_cfg.clip_range,
            clip_range_vf=algo_cfg.clip_range_vf,
            normalize_advantage=algo_cfg.normalize_advantage,
            ent_coef=algo_cfg.ent_coef,
            vf_coef=algo_cfg.vf_coef,
            max_grad_norm=algo_cfg.max_grad_norm,
            target_kl=algo_cfg.target_kl,
            policy_kwargs=policy_kwargs,
            seed=run_cfg.seed,
            device=self.device,
            verbose=0,
        )
        self.model.set_logger(Logger(folder=None, output_formats=[]))
        self._tracker = EpisodeTracker()
        _, self._callback = self.model._setup_learn(
            max(int(run_cfg.total_env_steps), 1), self._tracker, reset_num_timesteps=True
        )
        self.iteration = 0
        self._last_return = float("nan")
        self._flops_per_update: int | None = None
        self._peak_bytes: int | None = None
        self._memory_method = PeakMemory(self.device).method

    # ----------------------------------------------------------------- protocol
    @property
    def env_steps(self) -> int:
        """Env steps consumed by training rollouts (SB3's num_timesteps)."""
        return int(self.model.num_timesteps)

    @property
    def samples_per_update(self) -> int:
        return self.cfg.rollout_size

    def iterate(self) -> dict[str, float]:
        """One rollout of n_envs * n_steps samples, then one PPO update (n_epochs x minibatches)."""
        model = self.model
        self._tracker.clear()
        t0 = time.perf_counter()
        model.collect_rollouts(model.env, self._callback, model.rollout_buffer, model.n_steps)
        t1 = time.perf_counter()
        model._update_current_progress_remaining(model.num_timesteps, model._total_timesteps)
        if self._flops_per_update is None:
            self._metered_train()
        else:
            model.train()
        t2 = time.perf_counter()
        stats = dict(model.logger.name_to_value)
        model.logger.dump(model.num_timesteps)  # clears the no-output logger
        self.iteration += 1
        if self._tracker.returns:
            self._last_return = float(np.mean(self._tracker.returns))
        rollout_s, update_s = t1 - t0, t2 - t1
        n = self.samples_per_update
        return {
            "return_mean": self._last_return,
            "success_rate": float(np.mean(self._tracker.successes))
            if self._tracker.successes
            else float("nan"),
            "episodes": float(len(self._tracker.returns)),
            "env_steps": float(self.env_steps),
            "rollout_time_s": rollout_s,
            "update_time_s": update_s,
            "env_steps_per_s": n / max(rollout_s, 1e-9),
            "learner_samples_per_s": n / max(update_s, 1e-9),
            "kl": float(stats.get("train/approx_kl", float("nan"))),
            "clip_frac": float(stats.get("train/clip_fraction", float("nan"))),
            "entropy": -float(stats.get("train/entropy_loss", float("nan"))),
            "policy_loss": float(stats.get("train/policy_gradient_loss", float("nan"))),
            "value_loss": float(stats.get("train/value_loss", float("nan"))),
            "explained_variance": float(stats.get("train/explained_variance", float("nan"))),
            "std": float(stats.get("train/std", float("nan"))),
            "lr": float(model.policy.optimizer.param_groups[0]["lr"]),
            "peak_learner_memory_bytes": float(self._peak_bytes or 0),
            **(self._terms.pop() if self._terms is not None else {}),
            **(starts.metrics() if (starts := self._start_states()) is not None else {}),
        }

    def _start_states(self) -> Any:
        return None if self.group_env is None else self.group_env.start_states

    def _metered_train(self) -> None:
        """The first update, with its first epoch under PeakMemory and its second under the FLOP
        counter (simrl.nn.meters).

        Both meters cost Python time per aten op, and the FLOP counter's own bookkeeping would show
        up in the host part of the memory meter, so each meters one epoch of its own: every epoch
        runs the same minibatch shapes, so FLOPs/update = n_epochs x FLOPs of epoch 2 exactly, and
        the peak (which includes the lazily allocated Adam state and SB3's rollout-buffer copies)
        is reached in epoch 1. The split runs exactly the same operations as one `train()` call.
        With one epoch or target_kl (epochs may stop early) the whole update is metered by both.
        """
        model = self.model
        n_epochs = model.n_epochs
        if n_epochs < 2 or model.target_kl is not None:
            with PeakMemory(self.device) as pm:
                self._flops_per_update = count_flops(model.train)
            self._peak_bytes = pm.peak_bytes
            return
        try:
            model.n_epochs = 1
            with PeakMemory(self.device) as pm:
                model.train()
            self._peak_bytes = pm.peak_bytes
            self._flops_per_update = count_flops(model.train) * n_epochs
            if n_epochs > 2:
                model.n_epochs = n_epochs - 2
                model.train()
        finally:
            model.n_epochs = n_epochs

    def act(self, obs: np.ndarray, deterministic: bool = True) -> np.ndarray:
        """Actions (clipped to the action bounds) for raw env observations (num_envs, obs_dim)."""
        obs = np.asarray(obs, dtype=np.float64)
        norm = self.venv.normalize_obs(obs).astype(np.float32)
        actions, _ = self.model.policy.predict(norm, deterministic=deterministic)
        return np.asarray(actions)

    def learner_stats(self) -> dict[str, Any]:
        """Parameters, optimizer bytes, peak memory and FLOPs of the (first, metered) update.

        `learner_flops_per_sample` is one forward + backward pass of one sample (GRPO's
        definition: FLOPs per update / (epochs x samples)); `learner_flops_per_collected_sample`
        counts all epochs (FLOPs per update / samples collected per update).
        """
        policy = self.model.policy
        flops = self._flops_per_update
        n, epochs = self.samples_per_update, self.cfg.n_epochs
        return {
            "params_trainable": param_count(policy),
            "optimizer_state_bytes": optimizer_state_bytes(policy.optimizer),
            "peak_learner_memory_bytes": self._peak_bytes,
            "peak_memory_method": self._memory_method,
            "learner_flops_per_update": flops,
            "learner_flops_per_sample": None if flops is None else flops / (epochs * n),
            "learner_flops_per_collected_sample": None if flops is None else flops / n,
            "learner_epochs": epochs,
            "samples_per_update": n,
            **self.plan.as_dict(),
        }

    # ------------------------------------------------------------- checkpoints
    def state_dict(self) -> dict[str, Any]:
        """Policy, optimizer, normalizer, RNG, counters and env continuity (weights_only-safe)."""
        model = self.model
        env_state: dict[str, Any] = {
            "last_obs": torch.as_tensor(np.asarray(model._last_obs)),
            "last_episode_starts": torch.as_tensor(np.asarray(model._last_episode_starts)),
            "monitor_returns": torch.as_tensor(np.asarray(self.monitor.episode_returns)),
            "monitor_lengths": torch.as_tensor(np.asarray(self.monitor.episode_lengths)),
            "monitor_count": int(self.monitor.episode_count),
        }
        if self.group_env is not None:
            # whole env: every row, the reset RNG, pending resets and counters
            env_state["sim"] = to_plain_tree(self.group_env.state_dict())
        return {
            "format": STATE_FORMAT,
            "policy": model.policy.state_dict(),
            "optimizer": model.policy.optimizer.state_dict(),
            "normalizer": normalizer_state(self.venv),
            "rng": rng_state(),
            "env": env_state,
            "counters": {
                "iteration": self.iteration,
                "num_timesteps": int(model.num_timesteps),
                "n_updates": int(model._n_updates),
                "progress_remaining": float(model._current_progress_remaining),
                "last_return": self._last_return,
            },
            "meters": {"flops_per_update": self._flops_per_update, "peak_bytes": self._peak_bytes},
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore from `state_dict()`; a foreign or mismatched state raises a one-line ValueError."""
        if not isinstance(state, dict) or state.get("format") != STATE_FORMAT:
            got = state.get("format") if isinstance(state, dict) else type(state).__name__
            raise ValueError(f"not a PPO trainer state (format {got!r}, expected {STATE_FORMAT!r})")
        model = self.model
        try:
            model.policy.load_state_dict(state["policy"])
        except RuntimeError as exc:
            first = str(exc).strip().splitlines()[0]
            raise ValueError(f"PPO checkpoint does not match this model/env: {first}") from exc
        model.policy.optimizer.load_state_dict(state["optimizer"])
        load_normalizer_state(self.venv, state["normalizer"])
        env_state = state["env"]
        if "sim" in env_state and self.group_env is not None:
            self.group_env.load_state_dict(from_plain_tree(env_state["sim"]))
        model._last_obs = env_state["last_obs"].numpy().copy()
        model._last_episode_starts = env_state["last_episode_starts"].numpy().copy()
        self.monitor.episode_returns = env_state["monitor_returns"].numpy().copy()
        self.monitor.episode_lengths = env_state["monitor_lengths"].numpy().copy()
        self.monitor.episode_count = int(env_state["monitor_count"])
        counters = state["counters"]
        self.iteration = int(counters["iteration"])
        model.num_timesteps = int(counters["num_timesteps"])
        model._n_updates = int(counters["n_updates"])
        model._current_progress_remaining = float(counters["progress_remaining"])
        self._last_return = float(counters["last_return"])
        self._flops_per_update = state["meters"]["flops_per_update"]
        self._peak_bytes = state["meters"]["peak_bytes"]
        load_rng_state(state["rng"])

    def close(self) -> None:
        """Release the env (the run loop calls this when the run ends)."""
        self.venv.close()


def make_trainer(
    env_cfg: EnvConfig, model_cfg: CoreConfig, algo_cfg: PPOConfig, run_cfg: RunConfig
) -> PPOTrainer:
    """Factory used by the algorithm registry and the run loop."""
    return PPOTrainer(env_cfg, model_cfg, algo_cfg, run_cfg)
