"""A tiny numpy group env and a tiny torch trainer implementing the Trainer protocol, for run tests.

Env: each row must output its target action `target` (options: fixed or drawn per reset); reward per
step = -sum((a - target)^2); episodes last `horizon` steps (truncation), or with `ragged=True` row i
terminates after `horizon - i % 2` steps. Success: squared error < 0.01 at the final step.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import gymnasium as gym
import numpy as np
import torch


class FakeGroupEnv:
    def __init__(
        self,
        env_id: str = "Fake-v0",
        num_groups: int = 1,
        group_size: int = 1,
        seed: int | None = 0,
        num_threads: int = 1,
        autoreset_mode: str = "disabled",
        *,
        horizon: int = 5,
        target: tuple[float, float] | None = None,
        ragged: bool = False,
        obs_dim: int = 3,
    ) -> None:
        assert autoreset_mode == "disabled"
        self.env_id = env_id
        self.num_groups, self.group_size = num_groups, group_size
        self.num_envs = num_groups * group_size
        self.horizon, self.fixed_target, self.ragged = horizon, target, ragged
        self.obs_dim = obs_dim
        self.single_observation_space = gym.spaces.Box(-np.inf, np.inf, (obs_dim,), np.float64)
        self.single_action_space = gym.spaces.Box(-1.0, 1.0, (2,), np.float64)
        self.max_episode_steps = horizon
        self.has_success = True
        self.rng = np.random.default_rng(seed)
        self.t = np.zeros(self.num_envs, dtype=np.int64)
        self.target = np.zeros((self.num_envs, 2))
        self.closed = False

    def _obs(self) -> np.ndarray:
        obs = np.zeros((self.num_envs, self.obs_dim))
        obs[:, :2] = self.target
        obs[:, 2] = self.t / self.horizon
        return obs

    def reset(self, seed: int | None = None):
        if seed is not None:
            self.rng = np.random.default_rng(seed)
        if self.fixed_target is not None:
            self.target[:] = self.fixed_target
        else:
            g = self.rng.uniform(-0.8, 0.8, size=(self.num_groups, 2))
            self.target = np.repeat(g, self.group_size, axis=0)
        self.t[:] = 0
        return self._obs(), {}

    def step(self, actions: np.ndarray):
        actions = np.asarray(actions, dtype=np.float64)
        err = np.sum((actions - self.target) ** 2, axis=1)
        self.t += 1
        length = self.horizon - (np.arange(self.num_envs) % 2 if self.ragged else 0)
        ended = self.t >= length
        terminated = ended if self.ragged else np.zeros(self.num_envs, dtype=bool)
        truncated = ended & ~terminated
        return self._obs(), -err, terminated, truncated, {"is_success": err < 0.01}

    def render(self, row: int = 0, width: int = 48, height: int = 32) -> np.ndarray:
        frame = np.zeros((height, width, 3), dtype=np.uint8)
        frame[..., 0] = int(self.t[row] * 40) % 256
        return frame

    def close(self) -> None:
        self.closed = True


def make_fake_env(env_id: str, **kwargs) -> FakeGroupEnv:
    return FakeGroupEnv(env_id, **kwargs)


@dataclass
class FakeModelConfig:
    hidden: int = 8


@dataclass
class FakeAlgoConfig:
    lr: float = 0.05
    num_groups: int = 2
    group_size: int = 4
    nan_from_iteration: int = -1  # from this iteration on, report a non-finite loss and skip
    interrupt_at: int = -1  # raise KeyboardInterrupt at the start of this iteration


@dataclass
class FakeBatch:
    samples: int
    obs: list
    act: list
    rew: list
    info: dict
    rollout_time: float


class FakeTrainer:
    """REINFORCE with a group-mean baseline on FakeGroupEnv; all randomness is in its own RNGs."""

    def __init__(self, env_cfg, model_cfg, algo_cfg, compute, *, seed=0, total_env_steps=0) -> None:
        model_cfg = (
            model_cfg
            if isinstance(model_cfg, FakeModelConfig)
            else FakeModelConfig(**(model_cfg or {}))
        )
        algo_cfg = (
            algo_cfg if isinstance(algo_cfg, FakeAlgoConfig) else FakeAlgoConfig(**(algo_cfg or {}))
        )
        self.cfg = algo_cfg
        self.env = make_fake_env(
            env_cfg.id,
            num_groups=algo_cfg.num_groups,
            group_size=algo_cfg.group_size,
            seed=seed,
            autoreset_mode="disabled",
            **env_cfg.options,
        )
        obs_dim = self.env.single_observation_space.shape[0]
        self.model = torch.nn.Sequential(
            torch.nn.Linear(obs_dim, model_cfg.hidden),
            torch.nn.Tanh(),
            torch.nn.Linear(model_cfg.hidden, 2),
        )
        self.log_std = torch.nn.Parameter(torch.full((2,), -1.0))
        self.optim = torch.optim.Adam([*self.model.parameters(), self.log_std], lr=algo_cfg.lr)
        self.gen = torch.Generator().manual_seed(seed)
        self.np_rng = np.random.default_rng(seed + 1)
        self.env_steps = 0
        self.iteration = 0
        self.nonfinite_updates = 0

    def act(self, obs: np.ndarray, deterministic: bool = True) -> np.ndarray:
        with torch.no_grad():
            return self.model(torch.as_tensor(obs, dtype=torch.float32)).double().numpy()

    def collect(self) -> FakeBatch:
        if self.iteration == self.cfg.interrupt_at:
            raise KeyboardInterrupt
        t0 = time.perf_counter()
        obs, _ = self.env.reset(seed=int(self.np_rng.integers(2**31)))
        obs_l, act_l, rew = [], [], []
        for _ in range(self.env.horizon):
            o = torch.as_tensor(obs, dtype=torch.float32)
            with torch.no_grad():
                mean = self.model(o)
            a = mean + self.log_std.exp().detach() * torch.randn(mean.shape, generator=self.gen)
            obs, r, term, trunc, info = self.env.step(a.double().numpy())
            obs_l.append(o)
            act_l.append(a)
            rew.append(torch.as_tensor(r, dtype=torch.float32))
        self.env_steps += self.env.num_envs * self.env.horizon
        return FakeBatch(
            self.env.num_envs * self.env.horizon, obs_l, act_l, rew, info,
            time.perf_counter() - t0,
        )  # fmt: skip

    def update(self, batch: FakeBatch) -> dict[str, float]:
        ret = torch.stack(batch.rew).sum(0)
        adv = ret - ret.view(self.cfg.num_groups, -1).mean(1, keepdim=True).repeat_interleave(
            self.cfg.group_size
        )
        dist = torch.distributions.Normal(self.model(torch.stack(batch.obs)), self.log_std.exp())
        logp = dist.log_prob(torch.stack(batch.act)).sum(-1)
        loss = -(logp * adv).mean()
        skipped = 0
        if 0 <= self.cfg.nan_from_iteration <= self.iteration + 1:
            loss = loss * float("nan")
        if torch.isfinite(loss):
            self.optim.zero_grad()
            loss.backward()
            self.optim.step()
        else:
            skipped = 1
            self.nonfinite_updates += 1
        self.iteration += 1
        return {
            "return_mean": float(ret.mean()),
            "success_rate": float(np.mean(batch.info["is_success"])),
            "loss": float(loss.detach()),
            "env_steps": float(self.env_steps),
            "rollout_time_s": batch.rollout_time,
            "skipped_nonfinite": skipped,
            "nonfinite_updates": self.nonfinite_updates,
            "learner_epochs": 1.0,
        }

    def iterate(self) -> dict[str, float]:
        return self.update(self.collect())

    def state_dict(self) -> dict:
        return {
            "model": self.model.state_dict(),
            "log_std": self.log_std.detach().clone(),
            "optim": self.optim.state_dict(),
            "gen": self.gen.get_state(),
            "np_rng": self.np_rng.bit_generator.state,
            "env_steps": self.env_steps,
            "iteration": self.iteration,
            "nonfinite_updates": self.nonfinite_updates,
        }

    def load_state_dict(self, state: dict) -> None:
        self.model.load_state_dict(state["model"])
        with torch.no_grad():
            self.log_std.copy_(state["log_std"])
        self.optim.load_state_dict(state["optim"])
        self.gen.set_state(state["gen"])
        self.np_rng.bit_generator.state = state["np_rng"]
        self.env_steps = int(state["env_steps"])
        self.iteration = int(state["iteration"])
        self.nonfinite_updates = int(state["nonfinite_updates"])

    def learner_stats(self) -> dict:
        return {
            "params_trainable": sum(p.numel() for p in self.model.parameters()) + 2,
            "optimizer_state_bytes": 0,
        }

    def parameters_vector(self) -> torch.Tensor:
        return torch.cat([p.detach().flatten() for p in [*self.model.parameters(), self.log_std]])


def fake_factory(env_cfg, model_cfg, algo_cfg, compute, **kw) -> FakeTrainer:
    return FakeTrainer(env_cfg, model_cfg, algo_cfg, compute, **kw)


def fake_actor(obs_space, act_space, model_cfg, algo_cfg, compute, trainer_state, seed=0):
    """The fake trainer's deterministic policy rebuilt from its state (no env, no optimizer)."""
    hidden = FakeModelConfig(**(model_cfg or {})).hidden
    model = torch.nn.Sequential(
        torch.nn.Linear(obs_space.shape[0], hidden), torch.nn.Tanh(), torch.nn.Linear(hidden, 2)
    )
    model.load_state_dict(trainer_state["model"])

    def act(obs: np.ndarray, deterministic: bool = True) -> np.ndarray:
        with torch.no_grad():
            return model(torch.as_tensor(obs, dtype=torch.float32)).double().numpy()

    return act
