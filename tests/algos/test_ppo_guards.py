"""The PPO adapter's guards: a non-finite update is undone, counted and seen by the run loop's
guard (as GRPO's is); the SB3 internals the adapter drives exist with the signatures it uses, so
an SB3 release that changes them fails here, loudly, instead of breaking runs silently."""

from __future__ import annotations

import inspect
import warnings

import stable_baselines3
import torch
from packaging.version import Version
from stable_baselines3 import PPO

from simrl.algos.ppo import PPOConfig, make_trainer
from simrl.nn import core_preset
from simrl.nn.compute import ComputeConfig, resolve_compute
from simrl.runs.state import RunState, nonfinite_update
from simrl.sim.config import EnvConfig

CPU = resolve_compute(ComputeConfig(device="cpu", num_threads=1))


def _trainer():
    cfg = PPOConfig(n_envs=2, n_steps=32, batch_size=32, n_epochs=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return make_trainer(
            EnvConfig("Reacher-v5"), core_preset("small"), cfg, CPU, seed=0, total_env_steps=10_000
        )


def _params(tr) -> torch.Tensor:
    return torch.nn.utils.parameters_to_vector(tr.model.policy.parameters()).detach().clone()


def test_nan_loss_update_is_undone_counted_and_trips_the_loop_guard(monkeypatch):
    tr = _trainer()
    first = tr.iterate()
    assert first["nonfinite_updates"] == 0 and abs(first["loss"]) < 1e6  # SB3's train/loss
    before = _params(tr)
    policy = tr.model.policy
    real = policy.evaluate_actions

    def nan_values(obs, actions):
        values, logp, entropy = real(obs, actions)
        return values * float("nan"), logp, entropy  # NaN value loss -> NaN total loss

    monkeypatch.setattr(policy, "evaluate_actions", nan_values)
    state = RunState()
    m1 = tr.iterate()
    assert m1["loss"] != m1["loss"]  # NaN reported
    assert m1["nonfinite_updates"] == 1 and m1["nonfinite_consecutive"] == 1
    assert torch.equal(_params(tr), before)  # the update was undone
    assert nonfinite_update(m1, state)  # the run loop's guard sees it
    monkeypatch.setattr(policy, "evaluate_actions", real)
    m2 = tr.iterate()
    assert m2["nonfinite_consecutive"] == 0 and m2["nonfinite_updates"] == 1
    assert not nonfinite_update(m2, state)
    assert tr.state_dict()["counters"]["nonfinite_updates"] == 1


# Private members of SB3's PPO that simrl's adapter (simrl/algos/ppo/trainer.py) uses.
PRIVATE_ATTRS = ("_last_obs", "_last_episode_starts", "_n_updates", "_total_timesteps",
                 "_current_progress_remaining")  # fmt: skip
PRIVATE_METHODS = {
    "_setup_learn": ["total_timesteps", "callback", "reset_num_timesteps"],
    "_update_current_progress_remaining": ["num_timesteps", "total_timesteps"],
    "_setup_model": [],
    "collect_rollouts": ["env", "callback", "rollout_buffer", "n_rollout_steps"],
}


def test_sb3_internals_the_adapter_uses_are_there():
    assert Version("2.9") <= Version(stable_baselines3.__version__) < Version("2.10"), (
        f"stable-baselines3 {stable_baselines3.__version__} is outside the supported range "
        "(pyproject: >=2.9,<2.10); check the PPO adapter against its internals"
    )
    for name, params in PRIVATE_METHODS.items():
        method = getattr(PPO, name, None)
        assert callable(method), f"PPO.{name} is gone"
        got = list(inspect.signature(method).parameters)
        assert got[1 : 1 + len(params)] == params, f"PPO.{name}{got} changed"
    tr = _trainer()
    for attr in PRIVATE_ATTRS:
        assert hasattr(tr.model, attr), f"PPO instance has no {attr}"
