"""Reward options of the arm tasks: staged terms bounded, summing to the reward, success bonus."""

from __future__ import annotations

import numpy as np
import pytest

from simrl.sim import make_group_env
from simrl.sim.tasks.scripted import scripted_policy

CUBE_IDS = ["simrl/Push-v0", "simrl/PickPlace-v0"]
STAGED_TERMS = {
    "simrl/Push-v0": {"reach", "push", "success"},
    "simrl/PickPlace-v0": {"reach", "grasp", "place", "success"},
}


def _episode(env_id: str, seed: int, **options) -> list[tuple[np.ndarray, dict]]:
    """(reward, info) of every step of 16 episodes: half scripted (successes), half random."""
    env = make_group_env(env_id, num_groups=16, seed=seed, autoreset_mode="disabled", **options)
    obs, _ = env.reset()
    policy = scripted_policy(env_id)
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(env.max_episode_steps):
        actions = policy(obs)
        actions[8:] = rng.uniform(-1, 1, size=actions[8:].shape)
        obs, reward, _, _, info = env.step(actions)
        out.append((reward, info))
    env.close()
    return out


@pytest.mark.parametrize("env_id", CUBE_IDS)
def test_staged_terms_bounded_and_sum_to_reward(env_id):
    """Staged reward (the default): every term in [0, 1/n_terms], the sum equals the reward, so a
    step's reward is in [0, 1]; the success term is non-zero exactly on solved steps."""
    steps = _episode(env_id, seed=3)
    n_terms = len(STAGED_TERMS[env_id])
    seen_success = seen_fail = False
    for reward, info in steps:
        terms = {k[len("reward/") :]: v for k, v in info.items() if k.startswith("reward/")}
        assert set(terms) == STAGED_TERMS[env_id]
        total = np.zeros_like(reward)
        for value in terms.values():
            assert (value >= 0).all() and (value <= 1.0 / n_terms + 1e-12).all()
            total = total + value
        np.testing.assert_allclose(total, reward, rtol=0, atol=1e-12)
        assert (reward >= 0).all() and (reward <= 1 + 1e-12).all()
        solved = info["is_success"]
        np.testing.assert_array_equal(terms["success"] > 0, solved)
        # a solved step scores the stages before the goal as complete; the goal stage keeps its
        # distance term 1 - tanh(5 d) (>= 1 - tanh(0.25) inside the 5 cm goal)
        goal = "push" if env_id == "simrl/Push-v0" else "place"
        for name, value in terms.items():
            if name != goal:
                np.testing.assert_allclose(value[solved], 1.0 / n_terms)
        expect = (1 - np.tanh(5 * info["distance"][solved])) / n_terms
        np.testing.assert_allclose(terms[goal][solved], expect, atol=1e-12)
        assert (reward[solved] >= (n_terms - 1 + 1 - np.tanh(0.25)) / n_terms - 1e-12).all()
        assert (reward[~solved] <= (n_terms - 1) / n_terms + 1e-12).all()
        seen_success |= solved.any()
        seen_fail |= (~solved).any()
    assert seen_success and seen_fail


def test_pick_place_grasp_term_follows_contacts():
    """Before success, the grasp stage pays only while both fingers touch the cube and it is off
    the table, and the place stage only then."""
    env = make_group_env("simrl/PickPlace-v0", num_groups=16, seed=4, autoreset_mode="disabled")
    obs, _ = env.reset()
    policy = scripted_policy("simrl/PickPlace-v0")
    rng = np.random.default_rng(4)
    held_any = pinched_on_table = False
    for _ in range(env.max_episode_steps):
        actions = policy(obs)
        actions[8:] = rng.uniform(-1, 1, size=actions[8:].shape)
        obs, _, _, _, info = env.step(actions)
        open_ = ~info["is_success"]
        lifted = env.task.cube_pos()[:, 2] > 0.02 + 0.01
        held = info["grasped"] & lifted
        np.testing.assert_array_equal(info["reward/grasp"][open_] > 0, held[open_])
        assert (info["reward/place"][open_ & ~held] == 0).all()
        held_any |= (held & open_)[:8].any()
        pinched_on_table |= (info["grasped"] & ~lifted & open_).any()
    assert held_any and pinched_on_table  # the scripted half grasps and lifts


@pytest.mark.parametrize("env_id", CUBE_IDS)
def test_distance_and_sparse_rewards(env_id):
    """`reward=distance` is the original shaping (-d_goal - 0.5 d_grip + success), `sparse=True`
    and `reward=sparse` give the success indicator; both report their terms."""
    for (r_d, i_d), (r_s, i_s) in zip(
        _episode(env_id, seed=5, reward="distance"),
        _episode(env_id, seed=5, sparse=True),
        strict=True,
    ):
        np.testing.assert_allclose(
            r_d, i_d["reward/goal"] + i_d["reward/grip"] + i_d["reward/success"], atol=1e-12
        )
        np.testing.assert_allclose(i_d["reward/goal"], -i_d["distance"])
        np.testing.assert_array_equal(r_s, i_s["is_success"].astype(float))
        np.testing.assert_array_equal(i_s["reward/success"], r_s)
    env = make_group_env(env_id, num_groups=2, seed=0, reward="sparse")
    assert env.task.options["reward"] == "sparse"


@pytest.mark.parametrize(
    ("options", "fragment"),
    [
        ({"reward": "nosuch"}, "reward='nosuch'"),
        ({"reward": "staged", "sparse": True}, "contradict"),
        ({"reward": 3}, "reward=3"),
    ],
)
def test_bad_reward_options(options, fragment):
    with pytest.raises(ValueError, match=fragment) as err:
        make_group_env("simrl/Push-v0", num_groups=1, **options)
    assert "\n" not in str(err.value)
    assert "staged" in str(err.value) or "sparse" in str(err.value)


def test_reach_reports_its_term():
    env = make_group_env("simrl/Reach-v0", num_groups=4, seed=0)
    env.reset()
    _, reward, _, _, info = env.step(np.zeros((4, 3)))
    np.testing.assert_array_equal(info["reward/distance"], reward)
    np.testing.assert_allclose(reward, -info["distance"])
