"""Divergence handling and reproducibility."""

import numpy as np
import pytest

from simrl.sim import make_group_env


@pytest.mark.parametrize("mode", ["next_step", "disabled"])
def test_diverged_row_is_reset_counted_and_reported(mode):
    env = make_group_env("Pusher-v5", num_groups=3, group_size=2, seed=0, autoreset_mode=mode)
    env.reset()
    for _ in range(3):
        env.step(np.zeros((6, 7)))
    env.batch.bind("qvel")[2, 0] = np.nan  # row 2 (group 1) blows up
    env.batch.bind("qvel")[5, 1] = 1e300  # row 5 (group 2) too
    obs, reward, term, trunc, info = env.step(np.zeros((6, 7)))
    assert list(info["diverged"]) == [False, False, True, False, False, True]
    assert env.diverged_count == 2
    assert np.isfinite(obs).all() and np.isfinite(env.batch.state).all()
    assert reward[2] == 0 and trunc[2] and trunc[5]
    assert trunc[3]  # group truncation: row 3 shares row 2's group
    assert not trunc[0]
    assert np.array_equal(obs[2], obs[3])  # the group was re-seeded as a group
    obs, reward, term, trunc, info = env.step(np.zeros((6, 7)))  # keeps running
    assert not info["diverged"].any() and np.isfinite(obs).all()


def _trajectory(seed, reset_seed=None):
    env = make_group_env("Reacher-v5", num_groups=4, group_size=2, seed=seed)
    obs, _ = env.reset(seed=reset_seed)
    out = [obs]
    rng = np.random.default_rng(0)
    for _ in range(60):  # crosses an autoreset
        out.append(env.step(rng.uniform(-1, 1, size=(8, 2)))[0])
    return np.stack(out)


def test_same_seed_same_run_and_different_seed_differs():
    a, b = _trajectory(7), _trajectory(7)
    assert np.array_equal(a, b)
    assert not np.array_equal(a[0], _trajectory(8)[0])
    assert np.array_equal(_trajectory(0, reset_seed=7), a)  # reset(seed=) reseeds


def test_thread_count_does_not_change_results():
    runs = []
    for threads in (1, 2):
        env = make_group_env("Pusher-v5", num_groups=8, seed=0, num_threads=threads)
        env.reset()
        rng = np.random.default_rng(0)
        runs.append([env.step(rng.uniform(-2, 2, size=(8, 7)))[0] for _ in range(20)])
    assert np.array_equal(np.array(runs[0]), np.array(runs[1]))


def test_state_dict_round_trip_continues_exactly():
    """state_dict holds plain data only, and a fresh env continues the run exactly (resets too)."""
    import torch

    def make():
        return make_group_env("Reacher-v5", num_groups=2, group_size=2, seed=3)

    env = make()
    env.reset()
    rng = np.random.default_rng(0)
    for _ in range(30):
        env.step(rng.uniform(-1, 1, size=(4, 2)))
    path = "env_state.pt"  # cwd is a tmp dir (conftest)

    def to_torch(x):
        if isinstance(x, dict):
            return {k: to_torch(v) for k, v in x.items()}
        if isinstance(x, list):
            return [to_torch(v) for v in x]
        return torch.from_numpy(x) if isinstance(x, np.ndarray) else x

    torch.save(to_torch(env.state_dict()), path)
    other = make()
    other.load_state_dict(torch.load(path, weights_only=True))
    for _ in range(40):  # crosses the autoreset at step 50: reset draws match too
        a = rng.uniform(-1, 1, size=(4, 2))
        o1, r1, *_ = env.step(a)
        o2, r2, *_ = other.step(a)
        assert np.array_equal(o1, o2) and np.array_equal(r1, r2)
