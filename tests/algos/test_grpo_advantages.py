"""GRPO advantage estimators against hand-computed values on a tiny made-up group.

One group of G=3 rows, T=3 steps; row 2 ends after its first step, and its masked rewards (9, 9)
must not influence anything.
"""

import math

import pytest
import torch

from simrl.algos.grpo import GRPOConfig
from simrl.algos.grpo.advantages import compute_advantages, discounted_to_go

R = torch.tensor([[1.0, 0.0, 2.0], [0.0, 1.0, 0.0], [3.0, 9.0, 9.0]], dtype=torch.float64)
M = torch.tensor([[1, 1, 1], [1, 1, 1], [1, 0, 0]], dtype=torch.bool)
S3 = math.sqrt(3.0)


def adv(kind, scale="none", gamma=1.0, rewards=R, mask=M, **kw):
    a, zv = compute_advantages(kind, rewards, mask, 3, gamma=gamma, scale=scale, eps=0.0, **kw)
    return a, zv


def close(a, expected):
    torch.testing.assert_close(a, torch.tensor(expected, dtype=torch.float64), atol=1e-12, rtol=0)


def test_outcome_group_scaled():
    # R = [3, 1, 3]; mean 7/3; raw [2/3, -4/3, 2/3]; unbiased std = sqrt((4+16+4)/9/2) = 2/sqrt(3)
    a, zv = adv("outcome", "group")
    close(a, [[1 / S3] * 3, [-2 / S3] * 3, [1 / S3, 0, 0]])
    assert not zv.any()


def test_outcome_unscaled_and_batch_scaled():
    a, _ = adv("outcome", "none")
    close(a, [[2 / 3] * 3, [-4 / 3] * 3, [2 / 3, 0, 0]])
    a, _ = adv("outcome", "batch")
    valid = torch.tensor([2 / 3] * 3 + [-4 / 3] * 3 + [2 / 3], dtype=torch.float64)
    close(a, [[2 / 3 / valid.std()] * 3, [-4 / 3 / valid.std()] * 3, [2 / 3 / valid.std(), 0, 0]])


def test_rloo():
    # R_i - mean of the other two: 3 - (1+3)/2 = 1; 1 - (3+3)/2 = -2; 3 - (3+1)/2 = 1
    a, _ = adv("rloo", "none")
    close(a, [[1.0] * 3, [-2.0] * 3, [1.0, 0, 0]])


def test_rtg_time_aligned_baseline():
    # gamma 0.5: to-go row0 [1.5, 1, 2], row1 [0.5, 1, 0], row2 [3, -, -]
    # t0 mean 5/3 over 3 rows; t1 mean 1 over rows 0,1; t2 mean 1 over rows 0,1
    a, _ = adv("rtg", "none", gamma=0.5)
    close(a, [[-1 / 6, 0.0, 1.0], [-7 / 6, 0.0, -1.0], [4 / 3, 0.0, 0.0]])
    # group scale: t0 std sqrt(57)/6, t1 std 0 (-> 0), t2 std sqrt(2)
    a, _ = adv("rtg", "group", gamma=0.5)
    s0 = math.sqrt(57) / 6
    r2 = 1 / math.sqrt(2)
    close(a, [[-1 / 6 / s0, 0.0, r2], [-7 / 6 / s0, 0.0, -r2], [4 / 3 / s0, 0.0, 0.0]])


def test_process_supervision():
    # valid step rewards 1,0,2,0,1,0,3: mean 1, unbiased std 2/sqrt(3); normalised then summed to go
    a, _ = adv("process", "group", gamma=1.0)
    h = S3 / 2
    close(a, [[0.0, 0.0, h], [-2 * h, -h, -h], [2 * h, 0.0, 0.0]])
    a, _ = adv("process", "none", gamma=1.0)
    close(a, [[0.0, 0.0, 1.0], [-2.0, -1.0, -1.0], [2.0, 0.0, 0.0]])


def test_vine_segment_td():
    # k=2 segments [0,2), [2,3); gamma 0.5; values at t = 0, 2, 3
    values = torch.tensor([[1, 0, 0.5, 0], [1, 0, 2, 0], [1, 0, 0, 0]], dtype=torch.float64)
    a, _ = adv("vine", "none", gamma=0.5, values=values, vine_every=2)
    # row0: 1 + 0.5*0 + 0.25*0.5 - 1 = 0.125 ; 2 + 0.5*0 - 0.5 = 1.5
    # row1: 0 + 0.5*1 + 0.25*2 - 1 = 0 ; 0 - 2 = -2 ; row2: 3 + 0 - 1 = 2 (its t=1 is masked)
    close(a, [[0.125, 0.125, 1.5], [0.0, 0.0, -2.0], [2.0, 0.0, 0.0]])


def test_vine_needs_values():
    with pytest.raises(ValueError, match="values of shape"):
        adv("vine", "none")


@pytest.mark.parametrize("kind", ["outcome", "process", "rtg", "rloo"])
def test_masked_steps_are_ignored(kind):
    other = R.clone()
    other[2, 1:] = torch.tensor([-100.0, 55.0])
    a1, _ = adv(kind, "group", gamma=0.9)
    a2, _ = adv(kind, "group", gamma=0.9, rewards=other)
    torch.testing.assert_close(a1, a2, atol=0, rtol=0)
    assert (a1[~M] == 0).all()


@pytest.mark.parametrize("kind", ["outcome", "process", "rtg", "rloo"])
@pytest.mark.parametrize("scale", ["group", "batch", "none"])
def test_zero_variance_group(kind, scale):
    # group 0 as above; group 1: three identical rows (e.g. a sparse task where nobody succeeded)
    rewards = torch.cat([R, torch.full((3, 3), 0.7, dtype=torch.float64)])
    mask = torch.cat([M, torch.ones(3, 3, dtype=torch.bool)])
    a, zv = compute_advantages(kind, rewards, mask, 3, gamma=0.9, scale=scale)
    assert zv.tolist() == [False, True]
    assert (a[3:] == 0).all() and torch.isfinite(a).all()


def test_discounted_to_go():
    close(discounted_to_go(R, M, 0.5), [[1.5, 1.0, 2.0], [0.5, 1.0, 0.0], [3.0, 0.0, 0.0]])


def test_group_of_one_rejected():
    with pytest.raises(ValueError, match="group_size=1"):
        compute_advantages("rtg", R, M, 1)
    with pytest.raises(ValueError, match="group_size=1"):
        GRPOConfig(group_size=1)


def test_rows_must_split_into_groups():
    with pytest.raises(ValueError, match="do not split"):
        compute_advantages("outcome", R, M, 2)


def test_unknown_estimator_rejected():
    with pytest.raises(ValueError, match="advantage='gae'"):
        compute_advantages("gae", R, M, 3)
