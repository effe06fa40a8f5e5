"""Parity of the batched ports with Gymnasium's Reacher-v5 / Pusher-v5, stepped side by side.

Reference: `gymnasium.make(id)` from the same mjSTATE_INTEGRATION start state with the same actions.
The physics path is identical (same MJCF, same mj_step, observations read the same one-substep-old
xpos), so observations, rewards and reward terms must be equal bit for bit over a full episode.
"""

import gymnasium as gym
import mujoco
import numpy as np
import pytest

from simrl.sim import make_group_env

INTEGRATION = mujoco.mjtState.mjSTATE_INTEGRATION


def _gym_state(env):
    u = env.unwrapped
    out = np.empty(mujoco.mj_stateSize(u.model, INTEGRATION))
    mujoco.mj_getState(u.model, u.data, out, INTEGRATION)
    return out


@pytest.mark.parametrize("env_id", ["Reacher-v5", "Pusher-v5"])
def test_full_episode_bit_identical(env_id):
    n = 3
    refs = [gym.make(env_id) for _ in range(n)]
    ref_obs = np.stack([r.reset(seed=10 + i)[0] for i, r in enumerate(refs)])
    env = make_group_env(env_id, num_groups=n, seed=0, num_threads=2)
    env.reset()
    for i, r in enumerate(refs):  # start every row from its Gymnasium env's state
        env.batch.state[i] = _gym_state(r)
    env.batch.forward()
    obs = env.task.observe(env.batch)
    assert np.array_equal(obs, ref_obs)
    rng = np.random.default_rng(0)
    low, high = env.single_action_space.low, env.single_action_space.high
    for t in range(env.max_episode_steps):
        actions = rng.uniform(low, high, size=(n, len(low))).astype(np.float32)
        obs, reward, term, trunc, info = env.step(actions)
        for i, r in enumerate(refs):
            o, rew, te, tr, inf = r.step(actions[i])
            assert np.array_equal(obs[i], o), (t, i)
            assert reward[i] == rew, (t, i)
            assert term[i] == te and trunc[i] == tr
            for k in ("reward_dist", "reward_ctrl"):
                assert info[k][i] == inf[k]
    assert trunc.all()  # both truncate at max_episode_steps


def _gym_starts(env_id, k):
    env = gym.make(env_id)
    rows = []
    for s in range(k):
        env.reset(seed=s)
        d = env.unwrapped.data
        rows.append(np.concatenate([d.qpos, d.qvel]))
    return np.array(rows)


def _our_starts(env_id, k):
    env = make_group_env(env_id, num_groups=k, seed=1)
    env.reset()
    return np.concatenate([env.task.qpos, env.task.qvel], axis=1).copy()


@pytest.mark.parametrize("env_id", ["Reacher-v5", "Pusher-v5"])
def test_reset_distribution_matches_gymnasium(env_id):
    """Same support (exact bounds) and same moments (5 sigma) as Gymnasium's reset_model."""
    k = 2000
    ref, ours = _gym_starts(env_id, 400), _our_starts(env_id, k)
    fixed = ref.std(axis=0) == 0
    assert np.array_equal(ours[:, fixed], np.broadcast_to(ref[0, fixed], (k, fixed.sum())))
    lo, hi = ref.min(axis=0), ref.max(axis=0)
    span = np.where(fixed, 0, hi - lo)
    assert (ours >= lo - 0.05 * span).all() and (ours <= hi + 0.05 * span).all()
    sem = np.sqrt(ref.var(axis=0) / len(ref) + ours.var(axis=0) / k)
    diff = np.abs(ref.mean(axis=0) - ours.mean(axis=0))
    assert (diff[~fixed] < 5 * sem[~fixed]).all()
    if env_id == "Reacher-v5":  # goal disc of radius 0.2
        goal = ours[:, 2:4]
        assert (np.linalg.norm(goal, axis=1) < 0.2).all() and goal.min() < -0.18
    else:  # cylinder in [-0.3, 0] x [-0.2, 0.2], farther than 0.17 from the goal at the origin
        cyl = ours[:, 7:9]
        assert (np.linalg.norm(cyl, axis=1) > 0.17).all()
        assert cyl[:, 0].min() >= -0.3 and cyl[:, 0].max() <= 0
        assert np.abs(cyl[:, 1]).max() <= 0.2
