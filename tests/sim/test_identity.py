"""Exact-state groups: identical actions => bit-identical rows; copies are exact mid-episode too.

References are the rows themselves (bit equality) and, for snapshots, a second env instance.
"""

import numpy as np
import pytest

from simrl.sim import make_group_env


def _episode(env, actions_fn, steps):
    out = []
    for t in range(steps):
        out.append(env.step(actions_fn(t)))
    return out


@pytest.mark.parametrize("env_id", ["Reacher-v5", "Pusher-v5"])
def test_group_rows_identical_for_full_episode(env_id):
    env = make_group_env(env_id, num_groups=3, group_size=4, seed=5, num_threads=2)
    env.reset()
    rng = np.random.default_rng(0)
    act_dim = env.single_action_space.shape[0]
    for _ in range(env.max_episode_steps):
        a = np.repeat(rng.uniform(-1, 1, size=(3, act_dim)), 4, axis=0)
        obs, reward, term, trunc, _ = env.step(a)
        for x in (obs, reward, term, trunc):
            g = x.reshape(3, 4, *x.shape[1:])
            assert (g == g[:, :1]).all()
        st = env.batch.state.reshape(3, 4, -1)
        assert (st == st[:, :1]).all()  # full integration state too
    assert trunc.all()


def test_generic_contact_rich_group_identical_and_actions_diverge():
    """Ant-v5 (contacts) through the generic path: one group, rows 0-1 same actions, row 2 not."""
    env = make_group_env("Ant-v5", num_groups=1, group_size=3, seed=0, autoreset_mode="disabled")
    env.reset()
    rng = np.random.default_rng(1)
    for _ in range(150):
        a = np.repeat(rng.uniform(-0.3, 0.3, size=(1, 8)), 3, axis=0)
        a[2] += 0.05
        obs, reward, term, trunc, _ = env.step(a)
        assert np.array_equal(obs[0], obs[1]) and reward[0] == reward[1]
        assert term[0] == term[1]
        assert np.array_equal(env.integration_state(0), env.integration_state(1))
    assert not np.array_equal(obs[0], obs[2])


def test_different_actions_diverge():
    env = make_group_env("Pusher-v5", num_groups=1, group_size=2, seed=0)
    env.reset()
    a = np.zeros((2, 7))
    a[1, 0] = 1e-6
    obs, *_ = env.step(a)
    assert not np.array_equal(obs[0], obs[1])


@pytest.mark.parametrize("env_id", ["Pusher-v5", "HalfCheetah-v5"])
def test_clone_mid_episode_gives_identical_futures(env_id):
    env = make_group_env(env_id, num_groups=4, seed=3, autoreset_mode="disabled")
    env.reset()
    act_dim = env.single_action_space.shape[0]
    rng = np.random.default_rng(2)
    for _ in range(10):  # rows drift apart under different actions
        env.step(rng.uniform(-1, 1, size=(4, act_dim)))
    snap = env.get_state([0])
    obs = env.clone_state([0], [1, 2, 3])
    assert (obs == obs[0]).all() and (env.elapsed_steps == 10).all()
    other = make_group_env(env_id, num_groups=1, seed=99, autoreset_mode="disabled")
    other.reset()
    other.set_state([0], snap)  # another instance of the same id continues exactly too
    for _ in range(30):
        a = np.repeat(rng.uniform(-1, 1, size=(1, act_dim)), 4, axis=0)
        obs, reward, *_ = env.step(a)
        o2, r2, *_ = other.step(a[:1])
        assert (obs == obs[0]).all() and (reward == reward[0]).all()
        assert np.array_equal(o2[0], obs[0]) and r2[0] == reward[0]


def test_domain_randomized_fields_copy_exactly():
    """Per-simulation (expanded) model fields are part of the copy: masses travel with the state."""
    env = make_group_env("Pusher-v5", num_groups=3, seed=0, autoreset_mode="disabled")
    env.reset()
    env.clone_state([0], [1, 2])
    mass = env.batch.expand("body_mass")
    mass[0, 3] *= 3.0  # row 0 gets a heavier link
    env.clone_state([0], [1])
    assert mass[1, 3] == mass[0, 3] != mass[2, 3]
    snap = env.get_state([0])
    assert "body_mass" in snap["expanded"]
    a = np.full((3, 7), 0.5)
    for _ in range(5):
        obs, *_ = env.step(a)
    assert np.array_equal(obs[0], obs[1]) and not np.array_equal(obs[0], obs[2])


def test_reset_groups_copies_start_state_and_episode_state():
    env = make_group_env(
        "Reacher-v5", num_groups=2, group_size=3, seed=0, autoreset_mode="disabled"
    )
    env.reset()
    for _ in range(5):
        env.step(np.random.default_rng(0).uniform(-1, 1, size=(6, 2)))
    obs = env.reset_groups([0])
    assert (obs[:3] == obs[0]).all()
    goal = env.task.episode_state["goal"]
    assert (goal[:3] == goal[0]).all()
    assert list(env.elapsed_steps) == [0, 0, 0, 5, 5, 5]
