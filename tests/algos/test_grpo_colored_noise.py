"""Temporally correlated exploration noise (`GRPOConfig.noise_beta`): marginals, correlation,
reproducibility, and a rollout that uses it (resuming such a run: tests/algos/test_grpo_trainer.py)."""

import numpy as np
import pytest
import torch

from simrl.algos.grpo import GRPOConfig, make_trainer
from simrl.algos.grpo.rollout import colored_noise
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
