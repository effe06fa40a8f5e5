"""PPOTrainer: Stable-Baselines3 PPO on simrl's batched env, behind simrl's `Trainer` protocol.

`collect()` is one SB3 rollout (`collect_rollouts`) and `update()` one SB3 update (`train()`),
driven directly so the caller can time and meter the update on its own. The policy and (by
default) a separate value network each carry a `simrl.nn.Core` of the run's preset with linear
heads, observation normalization is VecNormalize (stats in the checkpoint) and precision comes
from the same `Compute` GRPO gets.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from stable_baselines3 import PPO
from stable_baselines3.common.logger import Logger
from stable_baselines3.common.vec_env import VecNormalize

from simrl.algos.ppo.config import PPOConfig
from simrl.algos.ppo.env import EpisodeTracker, make_vec_env
from simrl.algos.ppo.extractor import CoreExtractor
from simrl.algos.ppo.state import (
    load_normalizer_state,
    load_rng_state,
    normalizer_state,
    rng_state,
)
from simrl.nn import CoreConfig
from simrl.nn.compute import Compute
from simrl.nn.deploy import DeployPolicy, FixedObsNorm
from simrl.nn.meters import optimizer_state_bytes, param_count
from simrl.nn.trees import state_mismatch, to_array_tree, to_tensor_tree
from simrl.sim.config import EnvConfig

STATE_FORMAT = "simrl.ppo/1"
NORM_EPS = 1e-8  # VecNormalize's default epsilon


@dataclass
class Rollout:
    """What `collect` gathered: the samples sit in SB3's rollout buffer."""

    samples: int
    rollout_time: float


def policy_kwargs_for(model_cfg: CoreConfig, algo_cfg: PPOConfig, plan: Any) -> dict[str, Any]:
    """SB3 `policy_kwargs` putting simrl's Core under the policy (and value) heads."""
    return {
        "features_extractor_class": CoreExtractor,
        "features_extractor_kwargs": {"core_cfg": model_cfg, "plan": plan},
        "share_features_extractor": algo_cfg.shared_trunk,
        "net_arch": {"pi": [], "vf": []},
        "log_std_init": algo_cfg.log_std_init,
        "ortho_init": algo_cfg.ortho_init,
        "optimizer_kwargs": {"eps": algo_cfg.adam_eps},
    }


class PPOActor:
    """Actions of a saved PPO policy for raw observations: VecNormalize's obs statistics, then
    SB3's `predict` (clipped to the action bounds). No env, no value-function training state."""

    def __init__(self, policy: Any, normalizer: dict[str, Any], clip_obs: float) -> None:
        self.policy = policy
        obs_rms = normalizer["obs_rms"]
        self.norm_obs = bool(normalizer.get("norm_obs", True))
        self.mean = obs_rms["mean"].numpy()
        self.std = np.sqrt(obs_rms["var"].numpy() + NORM_EPS)
        self.clip_obs = float(clip_obs)

    def __call__(self, obs: np.ndarray, deterministic: bool = True) -> np.ndarray:
        obs = np.asarray(obs, dtype=np.float64)
        if self.norm_obs:
            obs = np.clip((obs - self.mean) / self.std, -self.clip_obs, self.clip_obs)
        actions, _ = self.policy.predict(obs.astype(np.float32), deterministic=deterministic)
        return np.asarray(actions)

    def deploy_module(self) -> DeployPolicy:
        """The deterministic action as a plain module (fixed VecNormalize statistics, the policy's
        mean action, clipped to the action bounds as SB3's `predict` does)."""
        norm = FixedObsNorm(self.mean, self.std, self.clip_obs) if self.norm_obs else None
        space = self.policy.action_space
        module = DeployPolicy(norm, SB3MeanAction(self.policy), "none", space.low, space.high)
        return module.to(self.policy.device).eval()


class SB3MeanAction(torch.nn.Module):
    """Float32 observations -> the mean action of an SB3 `ActorCriticPolicy` over simrl's Core
    (features extractor, the actor's MLP, `action_net`): its deterministic action before clipping."""

    def __init__(self, policy: Any) -> None:
        super().__init__()
        self.core = policy.pi_features_extractor.core
        self.latent = policy.mlp_extractor.policy_net
        self.action_net = policy.action_net

    def forward(self, obs: torch.Tensor) -> torch.Tensor:
        return self.action_net(self.latent(self.core(obs.float())))


def make_actor(
    obs_space: Any,
    act_space: Any,
    model_cfg: CoreConfig,
    algo_cfg: PPOConfig,
    compute: Compute,
    trainer_state: dict[str, Any],
    seed: int = 0,
) -> PPOActor:
    """The actor of a saved PPO trainer state (for evaluation without building a trainer)."""
    from stable_baselines3.common.policies import ActorCriticPolicy

    if not isinstance(trainer_state, dict) or trainer_state.get("format") != STATE_FORMAT:
        raise ValueError(f"not a PPO trainer state (expected format {STATE_FORMAT!r})")
    torch.manual_seed(seed)
    policy = ActorCriticPolicy(
        obs_space,
        act_space,
        lambda _: 0.0,
        **policy_kwargs_for(model_cfg, algo_cfg, compute.plan),
    ).to(compute.device)
    mismatch = state_mismatch(policy.state_dict(), trainer_state["policy"])
    if mismatch:
        raise ValueError(f"PPO checkpoint does not match this model/env: {mismatch}")
    policy.load_state_dict(trainer_state["policy"])
    policy.set_training_mode(False)
    return PPOActor(policy, trainer_state["normalizer"], algo_cfg.clip_obs)


def ppo_settings_name(cfg: PPOConfig, env_id: str) -> str:
    """Which PPO this is, for tables: the zoo entry it uses, or simrl's SB3 defaults."""
    if cfg.zoo:
        from simrl.algos.ppo.zoo import zoo_env_name

        return f"rl-zoo3 tuned ({zoo_env_name(env_id) if cfg.zoo == 'auto' else cfg.zoo})"
    return "SB3 defaults (simrl, 8 envs)"


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
        compute: Compute,
        *,
        seed: int = 0,
        total_env_steps: int = 200_000,
        vec_env_fn: Any = make_vec_env,
    ) -> None:
        algo_cfg = algo_cfg.for_env(env_cfg.id)  # rl-zoo3's entry when `zoo` is set
        self.cfg, self.model_cfg, self.env_cfg = algo_cfg, model_cfg, env_cfg
        self.compute = compute
        self.device = str(compute.device)
        self.plan = compute.plan
        raw_env, self.group_env = vec_env_fn(env_cfg, algo_cfg.n_envs, seed)
        self._terms = getattr(raw_env, "reward_terms", None)
        self.sb3_env = raw_env  # reports episodes itself ("episode" infos): no VecMonitor
        self.venv = VecNormalize(
            raw_env,
            norm_obs=algo_cfg.normalize_obs,
            norm_reward=algo_cfg.normalize_reward,
            clip_obs=algo_cfg.clip_obs,
            clip_reward=algo_cfg.clip_reward,
            gamma=algo_cfg.gamma,
        )
        policy_kwargs = policy_kwargs_for(model_cfg, algo_cfg, self.plan)
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
            seed=seed,
            device=self.device,
            verbose=0,
        )
        self.model.set_logger(Logger(folder=None, output_formats=[]))
        self._tracker = EpisodeTracker()
        _, self._callback = self.model._setup_learn(
            max(int(total_env_steps), 1), self._tracker, reset_num_timesteps=True
        )
        self.iteration = 0
        self._last_return = float("nan")
        self.nonfinite_updates = 0
        self.nonfinite_consecutive = 0

    # ----------------------------------------------------------------- protocol
    @property
    def env_steps(self) -> int:
        """Env steps consumed by training rollouts (SB3's num_timesteps)."""
        return int(self.model.num_timesteps)

    @property
    def samples_per_update(self) -> int:
        return self.cfg.rollout_size

    def collect(self) -> Rollout:
        """One rollout of n_envs * n_steps samples into SB3's rollout buffer."""
        model = self.model
        self._tracker.clear()
        t0 = time.perf_counter()
        model.collect_rollouts(model.env, self._callback, model.rollout_buffer, model.n_steps)
        return Rollout(self.samples_per_update, time.perf_counter() - t0)

    def update(self, batch: Rollout) -> dict[str, float]:
        """One PPO update (n_epochs x minibatches) on the collected rollout; the metrics."""
        model = self.model
        t0 = time.perf_counter()
        model._update_current_progress_remaining(model.num_timesteps, model._total_timesteps)
        before = _snapshot(model.policy)
        try:
            model.train()
        except ValueError:  # NaN weights after a step: torch refuses the next distribution
            if _all_finite(model.policy):
                raise
        update_s = time.perf_counter() - t0
        stats = dict(model.logger.name_to_value)
        model.logger.dump(model.num_timesteps)  # clears the no-output logger
        loss = (
            float(stats.get("train/loss", float("nan"))) if _all_finite(model.policy) else math.nan
        )
        if not (math.isfinite(loss) and _all_finite(model.policy)):
            _restore(model.policy, before)  # a non-finite update is undone and counted
            self.nonfinite_updates += 1
            self.nonfinite_consecutive += 1
        else:
            self.nonfinite_consecutive = 0
        self.iteration += 1
        if self._tracker.returns:
            self._last_return = float(np.mean(self._tracker.returns))
        n = batch.samples
        return {
            "return_mean": self._last_return,
            "success_rate": float(np.mean(self._tracker.successes))
            if self._tracker.successes
            else float("nan"),
            "episodes": float(len(self._tracker.returns)),
            "env_steps": float(self.env_steps),
            "rollout_time_s": batch.rollout_time,
            "env_steps_per_s": n / max(batch.rollout_time, 1e-9),
            "learner_samples_per_s": n / max(update_s, 1e-9),
            "learner_epochs": float(self.cfg.n_epochs),
            "learner_samples": float(n),
            "kl": float(stats.get("train/approx_kl", float("nan"))),
            "clip_frac": float(stats.get("train/clip_fraction", float("nan"))),
            "entropy": -float(stats.get("train/entropy_loss", float("nan"))),
            "policy_loss": float(stats.get("train/policy_gradient_loss", float("nan"))),
            "value_loss": float(stats.get("train/value_loss", float("nan"))),
            "explained_variance": float(stats.get("train/explained_variance", float("nan"))),
            "std": float(stats.get("train/std", float("nan"))),
            "lr": float(model.policy.optimizer.param_groups[0]["lr"]),
            "loss": loss,
            "nonfinite_updates": float(self.nonfinite_updates),
            "nonfinite_consecutive": float(self.nonfinite_consecutive),
            **(self._terms.pop() if self._terms is not None else {}),
            **(starts.metrics() if (starts := self._start_states()) is not None else {}),
        }

    def iterate(self) -> dict[str, float]:
        """One collect + update iteration."""
        return self.update(self.collect())

    def _start_states(self) -> Any:
        return None if self.group_env is None else self.group_env.start_states

    def act(self, obs: np.ndarray, deterministic: bool = True) -> np.ndarray:
        """Actions (clipped to the action bounds) for raw env observations (num_envs, obs_dim)."""
        obs = np.asarray(obs, dtype=np.float64)
        norm = self.venv.normalize_obs(obs).astype(np.float32)
        actions, _ = self.model.policy.predict(norm, deterministic=deterministic)
        return np.asarray(actions)

    def learner_stats(self) -> dict[str, Any]:
        """Parameters, optimizer bytes and precision of the learner (policy and value nets)."""
        policy = self.model.policy
        return {
            "params_trainable": param_count(policy),
            "optimizer_state_bytes": optimizer_state_bytes(policy.optimizer),
            "samples_per_update": self.samples_per_update,
            "ppo_settings": ppo_settings_name(self.cfg, self.env_cfg.id),
            **self.plan.as_dict(),
        }

    # ------------------------------------------------------------- checkpoints
    def state_dict(self) -> dict[str, Any]:
        """Policy, optimizer, normalizer, RNG, counters and env continuity (weights_only-safe)."""
        model = self.model
        env_state: dict[str, Any] = {
            "last_obs": torch.as_tensor(np.asarray(model._last_obs)),
            "last_episode_starts": torch.as_tensor(np.asarray(model._last_episode_starts)),
            "episode_returns": torch.as_tensor(np.asarray(self.sb3_env.episode_returns)),
            "episode_lengths": torch.as_tensor(np.asarray(self.sb3_env.episode_lengths)),
        }
        if self.group_env is not None:
            # whole env: every row, the reset RNG, pending resets and counters
            env_state["sim"] = to_tensor_tree(self.group_env.state_dict())
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
                "nonfinite_updates": self.nonfinite_updates,
                "nonfinite_consecutive": self.nonfinite_consecutive,
            },
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore from `state_dict()`; a foreign or mismatched state raises a one-line ValueError."""
        if not isinstance(state, dict) or state.get("format") != STATE_FORMAT:
            got = state.get("format") if isinstance(state, dict) else type(state).__name__
            raise ValueError(f"not a PPO trainer state (format {got!r}, expected {STATE_FORMAT!r})")
        model = self.model
        mismatch = state_mismatch(model.policy.state_dict(), state["policy"])
        if mismatch:
            raise ValueError(f"PPO checkpoint does not match this model/env: {mismatch}")
        model.policy.load_state_dict(state["policy"])
        model.policy.optimizer.load_state_dict(state["optimizer"])
        load_normalizer_state(self.venv, state["normalizer"])
        env_state = state["env"]
        if "sim" in env_state and self.group_env is not None:
            self.group_env.load_state_dict(to_array_tree(env_state["sim"]))
        model._last_obs = env_state["last_obs"].numpy().copy()
        model._last_episode_starts = env_state["last_episode_starts"].numpy().copy()
        self.sb3_env.episode_returns[:] = env_state["episode_returns"].numpy()
        self.sb3_env.episode_lengths[:] = env_state["episode_lengths"].numpy()
        counters = state["counters"]
        self.iteration = int(counters["iteration"])
        model.num_timesteps = int(counters["num_timesteps"])
        model._n_updates = int(counters["n_updates"])
        model._current_progress_remaining = float(counters["progress_remaining"])
        self._last_return = float(counters["last_return"])
        self.nonfinite_updates = int(counters.get("nonfinite_updates", 0))
        self.nonfinite_consecutive = int(counters.get("nonfinite_consecutive", 0))
        load_rng_state(state["rng"])

    def close(self) -> None:
        """Release the env (the run loop calls this when the run ends)."""
        self.venv.close()


# the registry's factory: the constructor already has the `make_trainer` signature
make_trainer = PPOTrainer


def _snapshot(policy: Any) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    """Copies of the policy's weights and optimizer state, to undo a non-finite update."""
    import copy

    weights = {k: v.detach().clone() for k, v in policy.state_dict().items()}
    return weights, copy.deepcopy(policy.optimizer.state_dict())


def _restore(policy: Any, snap: tuple[dict[str, torch.Tensor], dict[str, Any]]) -> None:
    policy.load_state_dict(snap[0])
    policy.optimizer.load_state_dict(snap[1])


def _all_finite(policy: Any) -> bool:
    return all(bool(torch.isfinite(p).all()) for p in policy.parameters())
