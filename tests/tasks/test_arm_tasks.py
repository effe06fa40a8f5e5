"""The suite's own arm tasks: kinematics, scripted solvability, exact-state groups, resets, options."""

from __future__ import annotations

import mujoco
import numpy as np
import pytest

from simrl.sim import make_group_env
from simrl.sim.task import asset_path
from simrl.sim.tasks import arm
from simrl.sim.tasks.scripted import scripted_policy

IDS = ["simrl/Reach-v0", "simrl/Push-v0", "simrl/PickPlace-v0"]
CUBE_IDS = IDS[1:]


def _run_scripted(env_id: str, n: int, seed: int, **options) -> np.ndarray:
    """Final-step success of n seeded scripted episodes (one group of one row each)."""
    env = make_group_env(env_id, num_groups=n, seed=seed, autoreset_mode="disabled", **options)
    obs, _ = env.reset()
    policy = scripted_policy(env_id)
    for _ in range(env.max_episode_steps):
        obs, _, _, _, info = env.step(policy(obs))
    env.close()
    return info["is_success"]


def test_kinematics_match_mujoco():
    """Numpy FK equals MuJoCo's grip site position; IK puts the hand down, fingers along y."""
    model = mujoco.MjModel.from_xml_path(asset_path("reach.xml"))
    data = mujoco.MjData(model)
    rng = np.random.default_rng(0)
    targets = rng.uniform([0.2, -0.25, 0.03], [0.45, 0.25, 0.35], size=(20, 3))
    q = arm.inverse_kinematics(targets)
    np.testing.assert_allclose(arm.forward_kinematics(q), targets, atol=1e-12)
    for i in range(len(q)):
        data.qpos[:5] = q[i]
        mujoco.mj_kinematics(model, data)
        np.testing.assert_allclose(data.site("grip").xpos, targets[i], atol=1e-12)
        hand = data.body("hand").xmat.reshape(3, 3)
        np.testing.assert_allclose(hand[:, 0], [0, 0, -1], atol=1e-9)  # pointing down
        np.testing.assert_allclose(hand[:, 1], [0, 1, 0], atol=1e-9)  # fingers slide along y


@pytest.mark.parametrize("env_id", IDS)
def test_scripted_policy_solves(env_id):
    """Scripted controller succeeds in >= 80% of 24 seeded episodes (measured: 100%)."""
    success = _run_scripted(env_id, 24, seed=7)
    assert success.mean() >= 0.8, success


def test_scripted_pick_place_with_domain_randomization():
    success = _run_scripted("simrl/PickPlace-v0", 24, seed=11, domain_randomization=True)
    assert success.mean() >= 0.8, success


def test_grasp_holds_cube_in_the_air():
    """After a scripted grasp, the cube hangs between the fingers, well above the table."""
    env = make_group_env("simrl/PickPlace-v0", num_groups=16, seed=5, autoreset_mode="disabled")
    obs, _ = env.reset()
    policy = scripted_policy("simrl/PickPlace-v0")
    for _ in range(env.max_episode_steps):
        obs, _, _, _, info = env.step(policy(obs))
    air = obs[:, 35] > 0.05  # goal height
    assert air.sum() >= 4
    assert (obs[air, 19] > 0.04).all()  # cube centre z: lifted off the table (rest: 0.02)
    assert (obs[air, 5:7] > 0.015).all()  # fingers stopped by the 4 cm cube (half width 0.02)


@pytest.mark.parametrize("env_id", IDS)
def test_groups_stay_bit_identical_and_clone(env_id):
    """Rows of a group given identical actions stay bit-identical; clone_state mid-episode too."""
    options = {"domain_randomization": True} if env_id in CUBE_IDS else {}
    env = make_group_env(
        env_id, num_groups=2, group_size=3, seed=3, autoreset_mode="disabled", **options
    )
    obs, _ = env.reset()
    rng = np.random.default_rng(0)
    policy = scripted_policy(env_id)
    for t in range(env.max_episode_steps):
        a = np.clip(
            policy(obs)
            + rng.normal(0, 0.3, size=(2, env.single_action_space.shape[0])).repeat(3, 0),
            -1,
            1,
        )
        a = a[[0, 0, 0, 3, 3, 3]]  # identical within each group
        if t == 20:  # copy row 1 into row 5 (other group) mid-episode, then act alike
            obs = env.clone_state([1], [5])
        if t >= 20:
            a[5] = a[1]
        obs, reward, term, trunc, info = env.step(a)
        for rows in ([0, 1, 2], [3, 4]) if t >= 20 else ([0, 1, 2], [3, 4, 5]):
            assert (obs[rows] == obs[rows[0]]).all()
            assert (reward[rows] == reward[rows[0]]).all()
            assert (info["is_success"][rows] == info["is_success"][rows[0]]).all()
        if t >= 20:
            assert (obs[5] == obs[1]).all() and reward[5] == reward[1]
    assert not (obs[0] == obs[3]).all()  # the groups themselves differ


def test_domain_randomization_per_group():
    env = make_group_env(
        "simrl/Push-v0", num_groups=8, group_size=2, seed=0, domain_randomization=True
    )
    env.reset()
    env.step(np.zeros((16, 3)))
    task = env.task
    mass = env.batch.expand("body_mass")[:, task.cube_body]
    fric = env.batch.expand("geom_friction")[:, task.cube_geom, 0]
    assert (mass[0::2] == mass[1::2]).all() and (fric[0::2] == fric[1::2]).all()
    assert len(np.unique(mass)) == 8 and len(np.unique(fric)) == 8
    assert ((mass >= 0.025) & (mass <= 0.1)).all() and ((fric >= 0.5) & (fric <= 1.2)).all()
    np.testing.assert_array_equal(mass, task.episode_state["cube_mass"])


def test_reset_ranges():
    n = 400
    reach = make_group_env("simrl/Reach-v0", num_groups=n, seed=1)
    obs, _ = reach.reset()
    grip, goal = obs[:, 14:17], obs[:, 17:20]
    assert (np.abs(grip - arm.HOME) <= arm.HOME_NOISE + 1e-9).all()
    assert ((goal >= [0.2, -0.2, 0.05]) & (goal <= [0.45, 0.2, 0.3])).all()
    np.testing.assert_array_equal(obs[:, 20:23], goal - grip)
    np.testing.assert_array_equal(reach.batch.bind("mocap_pos")[:, 0], goal)  # marker shown
    assert (obs[:, 7:14] == 0).all()  # at rest
    for env_id in CUBE_IDS:
        env = make_group_env(env_id, num_groups=n, seed=2)
        obs, _ = env.reset()
        cube, goal = obs[:, 17:20], obs[:, 33:36]
        assert ((cube[:, :2] >= [0.25, -0.15]) & (cube[:, :2] <= [0.45, 0.15])).all()
        np.testing.assert_allclose(cube[:, 2], 0.02, atol=2e-4)  # resting on the table
        assert ((goal[:, :2] >= [0.25, -0.15]) & (goal[:, :2] <= [0.45, 0.15])).all()
        assert (np.linalg.norm(goal[:, :2] - cube[:, :2], axis=1) >= 0.1).all()
        on_table = goal[:, 2] == 0.02
        if env_id == "simrl/Push-v0":
            assert on_table.all()
        else:
            assert 0.4 < on_table.mean() < 0.6  # half the goals in the air
            assert ((goal[~on_table, 2] >= 0.06) & (goal[~on_table, 2] <= 0.25)).all()
            assert (obs[:, 5:7] == arm.FINGER_OPEN).all()


def test_obs_matches_mujoco_site():
    """The grip point in obs equals MuJoCo's site position at the current state (no lag)."""
    env = make_group_env("simrl/PickPlace-v0", num_groups=3, seed=4)
    env.reset()
    rng = np.random.default_rng(1)
    for _ in range(5):
        obs, *_ = env.step(rng.uniform(-1, 1, size=(3, 4)))
    for row in range(3):
        data = env.batch.get_data(row)
        mujoco.mj_forward(env.model, data)
        np.testing.assert_allclose(obs[row, 14:17], data.site("grip").xpos, atol=1e-12)
        np.testing.assert_allclose(obs[row, 17:20], data.body("cube").xpos, atol=1e-12)


@pytest.mark.parametrize("env_id", IDS)
def test_sparse_reward(env_id):
    env = make_group_env(env_id, num_groups=8, seed=0, sparse=True, autoreset_mode="disabled")
    obs, _ = env.reset()
    policy = scripted_policy(env_id)
    rewards = []
    for _ in range(env.max_episode_steps):
        obs, reward, _, _, info = env.step(policy(obs))
        np.testing.assert_array_equal(reward, info["is_success"].astype(float))
        rewards.append(reward)
    assert np.sum(rewards) > 0


def test_dense_reach_reward_is_negative_distance():
    env = make_group_env("simrl/Reach-v0", num_groups=4, seed=0)
    env.reset()
    obs, reward, *_, info = env.step(np.zeros((4, 3)))
    np.testing.assert_allclose(reward, -np.linalg.norm(obs[:, 20:23], axis=1), atol=1e-12)
    np.testing.assert_array_equal(info["is_success"], info["distance"] < 0.02)


@pytest.mark.parametrize(
    ("env_id", "options", "match"),
    [
        ("simrl/Reach-v0", {"sparse": "yes"}, "sparse='yes'"),
        ("simrl/Push-v0", {"domain_randomization": 1}, "domain_randomization=1"),
        ("simrl/Reach-v0", {"domain_randomization": True}, "unknown option"),
        ("simrl/PickPlace-v0", {"colour": "red"}, "unknown option"),
    ],
)
def test_bad_options(env_id, options, match):
    with pytest.raises(ValueError, match=match):
        make_group_env(env_id, num_groups=1, **options)


def test_scripted_policy_unknown_id():
    with pytest.raises(ValueError, match="no scripted policy"):
        scripted_policy("Ant-v5")


@pytest.mark.filterwarnings("ignore:.*Box observation space")
@pytest.mark.parametrize("env_id", IDS)
def test_single_env_passes_gymnasium_check_env(env_id):
    import gymnasium as gym
    from gymnasium.utils.env_checker import check_env

    env = gym.make(env_id)
    check_env(env.unwrapped, skip_render_check=True)
    obs, _ = env.reset(seed=3)
    assert env.observation_space.contains(obs)
    env.close()


def test_single_env_seeded_resets_repeat():
    import gymnasium as gym

    env = gym.make("simrl/PickPlace-v0")
    a, _ = env.reset(seed=42)
    env.step(env.action_space.sample())
    b, _ = env.reset(seed=42)
    np.testing.assert_array_equal(a, b)


def test_snapshot_into_another_env_continues_identically():
    """get_state from one env, set_state into another (same id/options): same future, DR included."""
    kw = dict(num_groups=2, seed=0, autoreset_mode="disabled", domain_randomization=True)
    a = make_group_env("simrl/PickPlace-v0", **kw)
    b = make_group_env("simrl/PickPlace-v0", **{**kw, "seed": 99})
    obs_a, _ = a.reset()
    b.reset()
    policy = scripted_policy("simrl/PickPlace-v0")
    for _ in range(15):
        obs_a, *_ = a.step(policy(obs_a))
    obs_b = b.set_state([1, 0], a.get_state([0, 1]))
    np.testing.assert_array_equal(obs_b[[1, 0]], obs_a)
    for _ in range(30):
        act = policy(obs_a)
        obs_a, ra, *_ = a.step(act)
        obs_b, rb, *_ = b.step(act[[1, 0]])
        np.testing.assert_array_equal(obs_b[[1, 0]], obs_a)
        np.testing.assert_array_equal(rb[[1, 0]], ra)
