"""Generic path: `step(..., active=)` steps only the rows still in their episode.

Reference: the same env stepping every row (as before the mask existed); rows in their episode
must get bit-identical outputs, and a GRPO run must end with bit-identical parameters.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from simrl.algos.grpo import GRPOConfig, make_trainer
from simrl.nn import core_preset
from simrl.nn.compute import ComputeConfig, resolve_compute
from simrl.sim import make_group_env
from simrl.sim.config import EnvConfig
from simrl.sim.gym_rows import GymGroupVecEnv


def _env() -> GymGroupVecEnv:
    env = make_group_env("Hopper-v5", num_groups=2, group_size=3, seed=0, autoreset_mode="disabled")
    assert isinstance(env, GymGroupVecEnv)
    return env


def test_active_rows_match_full_steps_and_idle_rows_stand_still() -> None:
    masked, full = _env(), _env()
    obs_m, _ = masked.reset(seed=1)
    obs_f, _ = full.reset(seed=1)
    rng = np.random.default_rng(0)
    done = np.zeros(masked.num_envs, bool)
    ended_early = False
    for _ in range(200):
        a = rng.uniform(-1, 1, (masked.num_envs, 3))
        a[done] = 0.0
        elapsed_before = masked.elapsed_steps.copy()
        obs_m, r_m, term_m, trunc_m, info_m = masked.step(a, active=~done)
        obs_f, r_f, term_f, trunc_f, _ = full.step(a)
        live = ~done
        np.testing.assert_array_equal(obs_m[live], obs_f[live])
        np.testing.assert_array_equal(r_m[live], r_f[live])
        np.testing.assert_array_equal(term_m[live], term_f[live])
        np.testing.assert_array_equal(trunc_m[live], trunc_f[live])
        assert (r_m[done] == 0).all() and not term_m[done].any() and not trunc_m[done].any()
        np.testing.assert_array_equal(masked.elapsed_steps[done], elapsed_before[done])
        assert all(np.shape(v) == (masked.num_envs,) for v in info_m.values())
        ended_early |= bool(done.any() and not done.all())
        done |= term_f | trunc_f
        if done.all():
            break
    assert ended_early  # some rows ran on after others had ended
    masked.close()
    full.close()


def test_active_mask_is_checked() -> None:
    env = _env()
    env.reset(seed=0)
    with pytest.raises(ValueError, match=r"active must be a bool mask of shape \(6,\)"):
        env.step(np.zeros((6, 3)), active=np.ones(5, bool))
    env.close()
    other = make_group_env("Hopper-v5", num_groups=1, group_size=2, autoreset_mode="next_step")
    other.reset(seed=0)
    with pytest.raises(ValueError, match="active rows need autoreset_mode='disabled'"):
        other.step(np.zeros((2, 3)), active=np.ones(2, bool))
    other.close()


def test_grpo_run_is_bit_identical_with_and_without_skipping(monkeypatch) -> None:
    cpu = resolve_compute(ComputeConfig(device="cpu", num_threads=1))
    cfg = GRPOConfig(num_groups=2, group_size=3, minibatch_size=256, epochs=2)

    def run() -> tuple[torch.Tensor, list[float]]:
        tr = make_trainer(
            EnvConfig(id="Hopper-v5"), core_preset("small", width=32), cfg, cpu, seed=0,
            total_env_steps=3000,
        )  # fmt: skip
        returns = [tr.iterate()["return_mean"] for _ in range(3)]
        params = torch.cat([p.detach().reshape(-1) for p in tr.policy.parameters()])
        tr.close()
        return params, returns

    skipped = run()
    monkeypatch.setattr(GymGroupVecEnv, "skips_inactive_rows", False)
    stepped = run()
    assert torch.equal(skipped[0], stepped[0])
    assert skipped[1] == stepped[1]
