"""GRPO micro-batching: gradient accumulation gives the minibatch's update and bounds its memory.

Reference: the same update with `micro_batch_size=0` (the whole minibatch in one forward and
backward pass), from identical policies, batches and generators.
"""

import copy

import numpy as np
import pytest
import torch

from simrl.algos.grpo import GRPOConfig
from simrl.algos.grpo.learner import GRPOLearner
from simrl.algos.grpo.policy import GaussianPolicy
from simrl.algos.grpo.rollout import Rollout
from simrl.nn import core_preset
from simrl.nn.meters import PeakMemory
from simrl.nn.precision import resolve_precision

N, T, OBS, ACT = 8, 24, 5, 3  # 4 groups of 2 rows


def batch(seed: int = 0, ragged: bool = True) -> tuple[Rollout, torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    mask = torch.ones(N, T, dtype=torch.bool)
    if ragged:  # rows that ended early: their later steps are not in the pool
        for row, length in ((1, 10), (4, 17), (6, 3)):
            mask[row, length:] = False
    roll = Rollout(
        obs=torch.randn(N, T, OBS, generator=g),
        u=torch.randn(N, T, ACT, generator=g) * 0.5,
        logp=torch.randn(N, T, generator=g) * 0.1 - 2.0,
        rewards=torch.zeros(N, T, dtype=torch.float64),
        mask=mask,
        ended=~mask[:, -1],
        success=None,
    )
    adv = torch.randn(N, T, generator=g, dtype=torch.float64) * mask
    zero_var = torch.tensor([False, True, False, False])
    return roll, adv, zero_var


def learner(micro: int, **kw) -> GRPOLearner:
    torch.manual_seed(0)
    cfg = GRPOConfig(group_size=2, num_groups=4, micro_batch_size=micro, **kw)
    policy = GaussianPolicy(OBS, -np.ones(ACT), np.ones(ACT), core_preset("small"), obs_norm=False)
    plan = resolve_precision("fp32", "cpu")
    return GRPOLearner(policy, cfg, plan, torch.Generator().manual_seed(1))


def flat_params(lr: GRPOLearner) -> torch.Tensor:
    return torch.cat([p.detach().reshape(-1) for p in lr.policy.parameters()])


@pytest.mark.parametrize(
    "kw",
    [
        dict(minibatch_size=64, epochs=2),
        dict(minibatch_size=1000, epochs=1, beta=0.1, drop_zero_var=True),
        dict(minibatch_size=50, epochs=3, loss_agg="sequence", ent_coef=0.01, kl_on_zero_var=True),
    ],
)
def test_micro_batches_give_the_minibatch_update(kw):
    whole, micro = learner(0, **kw), learner(7, **kw)
    assert torch.equal(flat_params(whole), flat_params(micro))
    roll, adv, zero_var = batch()
    for _ in range(2):  # the second update starts from the Adam state of the first
        a = whole.update(roll, adv, zero_var, lr=1e-3)
        b = micro.update(copy.deepcopy(roll), adv.clone(), zero_var, lr=1e-3)
        torch.testing.assert_close(flat_params(micro), flat_params(whole), rtol=1e-5, atol=1e-6)
        assert a["minibatch_steps"] == b["minibatch_steps"] > 0
        for key in ("loss", "approx_kl", "clip_frac", "entropy", "ratio_mean", "grad_norm"):
            assert b[key] == pytest.approx(a[key], rel=1e-4, abs=1e-7), key


def test_micro_batch_larger_than_minibatch_is_the_minibatch():
    a, b = learner(0, minibatch_size=32), learner(10_000, minibatch_size=32)
    roll, adv, zero_var = batch(ragged=False)
    a.update(roll, adv, zero_var, lr=1e-3)
    b.update(roll, adv, zero_var, lr=1e-3)
    assert torch.equal(flat_params(a), flat_params(b))


def test_micro_batches_bound_the_update_memory():
    """Peak bytes allocated during an update (dispatch-mode storage tracker): one big pass holds
    the activations of all 192 - 25 steps; 8-step micro-batches hold 8 at a time."""
    peaks = {}
    for micro in (0, 8):
        lr = learner(micro, minibatch_size=4096, epochs=1)
        roll, adv, zero_var = batch()
        lr.update(roll, adv, zero_var, lr=1e-3)  # Adam state allocated outside the measurement
        with PeakMemory("cpu") as pm:
            lr.update(roll, adv, zero_var, lr=1e-3)
        peaks[micro] = pm.tensor_peak_bytes
    # small core: 2 x 64 tanh units -> >= 4 float32 activations of width 64 per step saved
    assert peaks[0] - peaks[8] > (167 - 8) * 4 * 64 * 4 * 0.5
    assert peaks[8] < peaks[0] / 2


def test_micro_batch_size_must_be_a_non_negative_integer():
    with pytest.raises(ValueError, match=r"GRPOConfig.micro_batch_size=-1 must be an integer >= 0"):
        GRPOConfig(micro_batch_size=-1)
