"""Exploration noise of GRPO's rollouts: temporally correlated (`GRPOConfig.noise_beta`):
marginals, correlation, reproducibility, a rollout that uses it (resuming such a run:
tests/algos/test_grpo_trainer.py); antithetic pairs inside a group (`GRPOConfig.antithetic`)."""

import numpy as np
import pytest
import torch

from simrl.algos.grpo import GRPOConfig, make_trainer
from simrl.algos.grpo.rollout import colored_noise, mirror_pairs
from simrl.config.fields import ConfigValueError
from simrl.nn import core_preset
from simrl.nn.compute import ComputeConfig, resolve_compute
from simrl.sim.config import EnvConfig

CPU = resolve_compute(ComputeConfig(device="cpu", num_threads=1))


def lag1(x: torch.Tensor) -> float:
    """Mean lag-1 autocorrelation over rows and action dims of (steps, rows, dims) noise."""
    a = x.double().numpy()
    a = (a - a.mean(0)) / a.std(0)
    return float((a[1:] * a[:-1]).mean(0).mean())


@pytest.mark.parametrize(
    ("beta", "low", "high"), [(0.0, -0.05, 0.05), (1.0, 0.4, 0.9), (2.0, 0.9, 1.0)]
)
def test_noise_is_standard_normal_per_step_and_correlated_by_its_colour(beta, low, high):
    gen = torch.Generator().manual_seed(0)
    x = colored_noise(beta, 512, 3, 100, gen) if beta else torch.randn(100, 512, 3, generator=gen)
    assert x.shape == (100, 512, 3) and x.dtype == torch.float32
    # reference: a standard normal marginal (what the policy's log-prob assumes)
    assert abs(float(x.mean())) < 0.05 and abs(float(x.std()) - 1.0) < 0.05
    assert low <= lag1(x) <= high  # white ~0; pink clearly positive; red near 1


def test_noise_is_reproducible_from_the_generator():
    a = colored_noise(1.0, 4, 2, 50, torch.Generator().manual_seed(3))
    b = colored_noise(1.0, 4, 2, 50, torch.Generator().manual_seed(3))
    c = colored_noise(1.0, 4, 2, 50, torch.Generator().manual_seed(4))
    assert torch.equal(a, b) and not torch.equal(a, c)
    assert colored_noise(2.0, 4, 2, 1, torch.Generator()).shape == (1, 4, 2)


def test_red_noise_moves_the_arm_further_than_white_noise():
    """In a Reacher rollout, red noise (beta=2) adds up to pushes more than 3x larger than white
    noise with the same std (summed pre-squash actions per row): the point of correlated
    exploration."""
    env = EnvConfig(id="Reacher-v5")

    def spread(beta: float) -> float:
        cfg = GRPOConfig(num_groups=8, group_size=4, epochs=1, noise_beta=beta, init_log_std=0.0)
        tr = make_trainer(env, core_preset("small"), cfg, CPU, seed=0, total_env_steps=10_000)
        roll, _, _ = tr._collect()  # roll.u: (rows, T, act) pre-squash actions
        return float(roll.u.sum(dim=1).abs().mean())

    assert spread(2.0) > 3 * spread(0.0)


@pytest.mark.parametrize("value", [-0.5, 3.5, float("nan")])
def test_noise_beta_out_of_range_is_one_line(value):
    with pytest.raises(ConfigValueError, match="noise_beta"):
        GRPOConfig(noise_beta=value)
    assert np.isfinite(GRPOConfig(noise_beta=2).noise_beta)


def test_mirror_pairs_negates_every_second_row_of_each_group():
    noise = torch.arange(1.0, 13.0).reshape(6, 2)  # two groups of 3 rows, 2 action dims
    # hand reference: rows 1 and 4 are -rows 0 and 3; the odd last row of each group keeps its draw
    expected = torch.tensor([[1.0, 2], [-1, -2], [5, 6], [7, 8], [-7, -8], [11, 12]])
    assert torch.equal(mirror_pairs(noise, 3), expected)
    steps = torch.randn(5, 8, 2)  # (steps, rows, dims), as colored_noise returns
    mirrored = mirror_pairs(steps, 4)
    assert torch.equal(mirrored[:, 1::2], -steps[:, 0::2]) and torch.equal(
        mirrored[:, 0::2], steps[:, 0::2]
    )
    with pytest.raises(ValueError, match="group_size=3"):
        mirror_pairs(torch.zeros(8, 2), 3)


@pytest.mark.parametrize("beta", [0.0, 2.0])
def test_antithetic_rollout_mirrors_each_pairs_noise_around_the_policy_mean(beta):
    """Reference: the policy's own mean and std on the stored (normalized) observations; while
    both rows of a pair are alive, their standardized noises (u - mean) / std sum to zero, at
    every step, although the pair's states part after the first step."""
    env = EnvConfig(id="Hopper-v5")
    cfg = GRPOConfig(num_groups=2, group_size=4, epochs=1, antithetic=True, noise_beta=beta)
    tr = make_trainer(env, core_preset("small"), cfg, CPU, seed=0, total_env_steps=10_000)
    roll, _, _ = tr._collect()
    with torch.no_grad():
        mean, log_std = tr.policy(roll.obs)
    z = (roll.u - mean) / log_std.exp()
    both = (roll.mask[0::2] & roll.mask[1::2]).unsqueeze(-1)
    assert int(both.sum()) > 20
    pair_sum = (z[0::2] + z[1::2]) * both
    assert float(pair_sum.abs().max()) < 1e-4
    alive_abs = (z[0::2] * both).abs().sum() / (both.sum() * z.shape[-1])
    assert float(alive_abs) > 0.3  # the noise itself is not zero
    # states part: pairs are not the same trajectory after the first step
    assert not torch.allclose(roll.obs[0, 5], roll.obs[1, 5])
