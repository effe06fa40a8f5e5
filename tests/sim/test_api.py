"""GroupEnv API: registry, layout, autoreset modes, bad inputs (each a one-line ValueError)."""

import numpy as np
import pytest

from simrl.sim import available_envs, make_group_env


def test_registry_lists_ports_and_generic_ids():
    ids = available_envs()
    assert ids.index("Reacher-v5") < ids.index("Ant-v5")  # batched tasks first
    assert {"Pusher-v5", "Ant-v5", "HalfCheetah-v5"} <= set(ids)
    assert len(ids) == len(set(ids))


def test_layout_and_spaces():
    env = make_group_env("Pusher-v5", num_groups=3, group_size=4, seed=0, num_threads=2)
    assert env.num_envs == 12 and env.num_groups == 3 and env.group_size == 4
    assert env.single_observation_space.shape == (23,)
    assert env.single_action_space.shape == (7,)
    assert env.observation_space.shape == (12, 23)
    assert env.action_space.shape == (12, 7)
    assert env.max_episode_steps == 100 and env.env_id == "Pusher-v5"
    assert env.batch.nthread == 2 and env.batch.nsim == 12
    obs, info = env.reset()
    assert obs.shape == (12, 23) and obs.dtype == np.float64
    # group g = rows g*G .. g*G+G-1 share one start state; groups differ
    grouped = obs.reshape(3, 4, 23)
    assert (grouped == grouped[:, :1]).all()
    assert not np.array_equal(grouped[0, 0], grouped[1, 0])


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"env_id": "Nope-v0"}, "unknown env id 'Nope-v0'; available: .*Reacher-v5"),
        ({"env_id": "Reacher-v5", "group_size": 0}, "group_size must be an integer >= 1, got 0"),
        ({"env_id": "Reacher-v5", "num_groups": 0}, "num_groups must be an integer >= 1, got 0"),
        ({"env_id": "Reacher-v5", "num_groups": 2.5}, "num_groups must be an integer"),
        ({"env_id": "Reacher-v5", "num_threads": 0}, "num_threads must be an integer >= 1"),
        ({"env_id": "Reacher-v5", "autoreset_mode": "x"}, "autoreset_mode must be one of"),
        ({"env_id": "Reacher-v5", "seed": -1}, "seed must be a non-negative int"),
        ({"env_id": "Reacher-v5", "bogus": 1}, "unexpected keyword|unknown option"),
    ],
)
def test_bad_construction_arguments(kwargs, match):
    with pytest.raises((ValueError, TypeError), match=match) as err:
        make_group_env(**kwargs)
    assert "\n" not in str(err.value)


def test_bad_actions_rejected_before_any_work():
    env = make_group_env("Reacher-v5", num_groups=2, group_size=2, seed=0)
    obs, _ = env.reset()
    state = env.batch.state.copy()
    with pytest.raises(ValueError, match=r"actions must have shape \(4, 2\), got \(4, 3\)"):
        env.step(np.zeros((4, 3)))
    nan = np.zeros((4, 2))
    nan[2, 1] = np.nan
    with pytest.raises(ValueError, match=r"actions contain NaN/Inf in rows \[2\]"):
        env.step(nan)
    with pytest.raises(ValueError, match="float array"):
        env.step(np.full((4, 2), "a"))
    assert np.array_equal(env.batch.state, state)  # nothing stepped
    assert (env.elapsed_steps == 0).all()
    with pytest.raises(ValueError, match=r"group ids must be in \[0, 2\)"):
        env.reset_groups([2])
    with pytest.raises(ValueError, match=r"dst_rows must be in \[0, 4\)"):
        env.clone_state([0], [4])


def test_step_before_reset_is_an_error():
    env = make_group_env("Reacher-v5")
    with pytest.raises(ValueError, match="reset"):
        env.step(np.zeros((1, 2)))


def _run(mode, steps):
    env = make_group_env("Reacher-v5", num_groups=2, group_size=2, seed=0, autoreset_mode=mode)
    env.reset()
    out = [env.step(np.full((4, 2), 0.1)) for _ in range(steps)]
    return env, out


def test_next_step_autoreset():
    env, out = _run("next_step", 52)
    obs49, r49, te49, tr49, _ = out[49]  # 50th step ends the episode (truncation)
    assert tr49.all() and not te49.any() and (r49 != 0).all()
    obs50, r50, te50, tr50, _ = out[50]  # next step resets: start obs, reward 0, flags False
    assert (r50 == 0).all() and not tr50.any() and not te50.any()
    assert not np.array_equal(obs50, obs49)
    assert (env.elapsed_steps == 1).all()


def test_same_step_autoreset_reports_final_obs():
    env, out = _run("same_step", 51)
    obs, r, te, tr, info = out[49]
    assert tr.all() and info["_final_obs"].all()
    _, ref = _run("disabled", 50)
    assert np.array_equal(info["final_obs"], ref[49][0])  # the true last obs
    assert not np.array_equal(obs, info["final_obs"])  # returned obs is the new start
    assert (env.elapsed_steps == 1).all()


def test_disabled_mode_keeps_stepping_and_reset_groups():
    env, out = _run("disabled", 55)
    assert out[54][3].all() and (env.elapsed_steps == 55).all()
    obs = env.reset_groups([1])
    assert list(env.elapsed_steps) == [55, 55, 0, 0]
    assert np.array_equal(obs[2], obs[3]) and obs.shape == (4, 10)


def test_group_truncation_when_one_row_terminates():
    """A row that terminates ends its whole group: the other rows are truncated, group re-seeded."""
    env = make_group_env("Ant-v5", num_groups=2, group_size=2, seed=0, autoreset_mode="same_step")
    env.reset()
    env.envs[1].data.qpos[2] = 5.0  # row 1 leaves Ant's healthy z range -> terminates
    _, _, te, tr, info = env.step(np.zeros((4, 8)))
    assert list(te) == [False, True, False, False]
    assert list(tr) == [True, False, False, False]
    assert list(info["_final_obs"]) == [True, True, False, False]
    assert (env.elapsed_steps == [0, 0, 1, 1]).all()


def test_clone_state_argument_checks_and_reset_mask():
    env = make_group_env("Reacher-v5", num_groups=2, group_size=2, seed=0)
    env.reset()
    env.step(np.random.default_rng(0).uniform(-1, 1, size=(4, 2)))
    before = env.batch.state.copy()
    env.clone_state([0, 1], [0, 1])  # onto itself: no-op
    assert np.array_equal(env.batch.state, before)
    with pytest.raises(ValueError, match="overlap"):
        env.clone_state([0, 1], [1, 2])
    with pytest.raises(ValueError, match="repeated"):
        env.clone_state([0, 1], [2, 2])
    obs, _ = env.reset(options={"reset_mask": np.array([False, False, True, False])})
    assert list(env.elapsed_steps) == [1, 1, 0, 0]  # mask rows reset their whole group
