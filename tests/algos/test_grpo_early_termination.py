"""Early termination inside a group: rollout mask and rtg advantages against a hand computation.

One group of G=3 rows from one start state; row i earns reward r_i per step and terminates after
L_i steps (L = 4, 2, 3); rows that ended are never stepped again. By hand (gamma 0.5):
return-to-go row0 [1.875, 1.75, 1.5, 1], row1 [1.5, 1] (then over), row2 [3.5, 3, 2];
the baseline at t is the mean over the rows still in their episode at t, 0 where fewer than 2.
"""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import torch

from simrl.algos.grpo.advantages import compute_advantages
from simrl.algos.grpo.policy import GaussianPolicy
from simrl.algos.grpo.rollout import collect_rollout
from simrl.nn import core_preset

LENGTHS = np.array([4, 2, 3])
REWARD = np.array([1.0, 1.0, 2.0])


class EndsEarly:
    """Row i: reward REWARD[i] per step, terminated at step LENGTHS[i]; skips ended rows."""

    skips_inactive_rows = True
    has_success = False
    num_envs = 3
    single_observation_space = gym.spaces.Box(-1, 1, (2,), np.float64)
    single_action_space = gym.spaces.Box(-1, 1, (1,), np.float64)

    def __init__(self) -> None:
        self.t = np.zeros(3, np.int64)
        self.stepped_while_over: list[int] = []

    def step(self, actions, active=None):
        over = self.t >= LENGTHS
        self.stepped_while_over += np.flatnonzero(over & active).tolist()
        self.t += active
        return np.zeros((3, 2)), REWARD * active, self.t == LENGTHS, np.zeros(3, bool), {}


def test_early_termination_gives_the_hand_computed_advantages() -> None:
    env = EndsEarly()
    policy = GaussianPolicy(2, -np.ones(1), np.ones(1), core_preset("small", width=16))
    gen = torch.Generator().manual_seed(0)
    roll = collect_rollout(env, policy, np.zeros((3, 2)), 10, gen)
    assert env.stepped_while_over == []  # ended rows cost nothing
    mask = [[True] * 4, [True, True, False, False], [True, True, True, False]]
    assert roll.mask.tolist() == mask and roll.ended.all()  # the terminating step counts
    assert roll.rewards.tolist() == [[1, 1, 1, 1], [1, 1, 0, 0], [2, 2, 2, 0]]

    adv, zero_var = compute_advantages("rtg", roll.rewards, roll.mask, 3, gamma=0.5, scale="none")
    to_go = [[1.875, 1.75, 1.5, 1.0], [1.5, 1.0], [3.5, 3.0, 2.0]]
    base = [(1.875 + 1.5 + 3.5) / 3, (1.75 + 1.0 + 3.0) / 3, (1.5 + 2.0) / 2, None]
    hand = [
        [g - b if b is not None else 0.0 for g, b in zip(row, base, strict=False)]
        + [0.0] * (4 - len(row))
        for row in to_go
    ]
    torch.testing.assert_close(adv, torch.tensor(hand, dtype=torch.float64), atol=1e-12, rtol=0)
    assert not zero_var.any()

    # batch scale: the same divided by the std (ddof 1) of the 9 valid raw values
    valid = [
        v for row, m in zip(hand, mask, strict=True) for v, ok in zip(row, m, strict=True) if ok
    ]
    scaled, _ = compute_advantages(
        "rtg", roll.rewards, roll.mask, 3, gamma=0.5, scale="batch", eps=0.0
    )
    expect = torch.tensor(hand, dtype=torch.float64) / float(np.std(valid, ddof=1))
    torch.testing.assert_close(scaled, expect, atol=1e-12, rtol=0)
