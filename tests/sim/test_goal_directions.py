"""Task resets drawn by their goal's direction (`curriculum.direction_bins`).

References: hand-computed bins of known directions; a toy with known per-direction success rates
(the kept resets must concentrate where success is intermediate and keep every direction's floor
share); the plain env's resets (the kept starts are the task's own configurations).
"""

from __future__ import annotations

import numpy as np
import pytest

from simrl.sim import make_group_env
from simrl.sim.adaptive_starts import AdaptiveStarts
from simrl.sim.config import EnvConfig
from simrl.sim.goal_directions import GoalDirections, direction_bin
from simrl.sim.make import make_training_env
from simrl.sim.start_states import CurriculumConfig

PUSH = "simrl/Push-v0"


def test_direction_bins_of_known_directions():
    """8 bins of 45 degrees from -180: +x is 0 degrees (bin 4), +y 90 (bin 6), -y -90 (bin 2),
    -x 180 (the last bin), and only the x-y part of a goal counts."""
    achieved = np.zeros((5, 3))
    desired = np.array([[1, 0, 5], [0, 1, -5], [0, -1, 0], [-1, 0, 0], [1, 1.01, 0]], float)
    np.testing.assert_array_equal(direction_bin(achieved, desired, 8), [4, 6, 2, 7, 5])
    np.testing.assert_array_equal(direction_bin(achieved + 3, desired + 3, 8), [4, 6, 2, 7, 5])


def test_keep_prob_prefers_intermediate_directions_and_keeps_a_floor():
    """Bins with success rates ~0, 1/2 and ~1 after 64 episodes each (and one untried): the
    untried bin (prior 1/2, exploration 0.05 / sqrt(1)) is always kept, the intermediate one
    nearly always (weight 1 + 0.05 / sqrt(17)), the others about at the floor 1 / (B + 1)."""
    d = GoalDirections(4, explore=0.05)
    for b, k in ((0, 0), (1, 32), (2, 64)):
        for _ in range(16):
            d.count(b, k // 16, 4)
    a = d.keep_prob()
    assert a[3] == pytest.approx(1.0)
    assert a[1] == pytest.approx(0.2 + 0.8 * (1 + 0.05 / np.sqrt(17)) / 1.05)
    for b in (0, 2):
        assert 0.2 <= a[b] < 0.25  # floor 0.2 + the (tiny) weight of p ~ 0.008 or ~ 0.992


def test_env_draws_resets_toward_intermediate_directions_at_the_predicted_rate():
    """Push, every group from the task's resets, 8 direction bins of which only bin 5 has an
    intermediate success rate (the others: 0 of 64): the share of groups starting in bin 5 is
    its natural share tilted by the keep probabilities (computed from the plain env's direction
    frequencies), far above the natural share, while every bin still starts groups; the starts
    are the task's own (cube and goal on the table, goal >= 10 cm from the cube)."""
    cfg = EnvConfig(
        id=PUSH,
        curriculum=CurriculumConfig(
            name="adaptive", demos=0, reset_frac=1.0, hindsight=False, direction_bins=8
        ),
    )
    env = make_training_env(cfg, num_groups=64, group_size=2, seed=0, autoreset_mode="disabled")
    plain = make_group_env(PUSH, num_groups=64, group_size=1, seed=0, autoreset_mode="disabled")
    d = env.start_states.directions
    for b in range(8):
        for _ in range(16):
            d.count(b, 2 if b == 5 else 0, 4)
    natural, tilted = np.zeros(8), np.zeros(8)
    for seed in range(20):
        obs, _ = env.reset(seed=seed)
        ref, _ = plain.reset(seed=seed)
        tilted += np.bincount(direction_bin(obs[::2, 17:20], obs[::2, 33:36], 8), minlength=8)
        natural += np.bincount(direction_bin(ref[:, 17:20], ref[:, 33:36], 8), minlength=8)
        assert (np.linalg.norm(obs[:, 17:19] - obs[:, 33:35], axis=1) >= 0.1 - 1e-9).all()
        assert (obs[:, 17] >= 0.25 - 1e-9).all() and (obs[:, 17] <= 0.45 + 1e-9).all()
    natural, tilted = natural / natural.sum(), tilted / tilted.sum()
    a = d.keep_prob()
    kept = natural * a  # one try's kept share; a reset redrawn up to 8 times
    miss = 1.0 - kept.sum()
    want = kept * (1 - miss**8) / kept.sum() + natural * miss**7 * (1 - a)
    n = 20 * 64
    np.testing.assert_allclose(tilted, want, atol=4 * np.sqrt(0.25 / n))
    assert tilted[5] > 3 * natural[5]
    assert (tilted > 0).all()


def test_direction_counts_come_from_reset_groups_and_show_in_metrics():
    """A group from a task reset whose goal lies at +x (bin 4 of 8) that solved 3 of 4 rows
    counts for bin 4 only; metrics show each bin's success rate and the draws per group."""
    starts = AdaptiveStarts(None, reset_frac=1.0, trail_every=0, direction_bins=8)
    snap = {"elapsed": np.zeros(1, np.int64), "obs": np.zeros((1, 1))}
    achieved, desired = np.zeros((1, 3)), np.array([[0.2, 0.0, 0.0]])
    uids = starts.track_resets(np.array([0]), snap, achieved=achieved, desired=desired)
    starts.report(np.repeat(uids, 4), np.array([1, 1, 1, 0], bool), env_rows=np.arange(4),
                  groups=np.zeros(4, np.int64), achieved=np.zeros((4, 3)))  # fmt: skip
    np.testing.assert_array_equal(starts.directions.stats[:, 4], [3, 4, 1])
    assert starts.directions.stats[:, :4].sum() == 0 and starts.directions.stats[:, 5:].sum() == 0
    m = starts.metrics()
    assert m["curriculum/dir_p4"] == pytest.approx(3.5 / 5)
    assert m["curriculum/dir_p0"] == pytest.approx(0.5)
    state = starts.state_dict()
    fresh = AdaptiveStarts(None, direction_bins=8)
    fresh.load_state_dict(state)
    np.testing.assert_array_equal(fresh.directions.stats, starts.directions.stats)


def test_direction_bins_refused_for_an_env_without_goals():
    cfg = EnvConfig(
        id="simrl/Reach-v0",
        curriculum=CurriculumConfig(name="adaptive", demos=0, direction_bins=8),
    )
    with pytest.raises(ValueError, match=r"^curriculum.direction_bins=8 needs a goal task"):
        make_training_env(cfg, num_groups=1, group_size=2, seed=0, autoreset_mode="disabled")


def test_direction_bins_out_of_range_are_refused():
    with pytest.raises(ValueError, match=r"direction_bins"):
        CurriculumConfig(name="adaptive", direction_bins=65)
