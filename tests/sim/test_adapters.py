"""Gymnasium and SB3 adapters: checkers, gymnasium.make of simrl ids, rendering, SB3 PPO smoke."""

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

from simrl.sim import make_group_env
from simrl.sim.sb3 import SB3VecEnv
from simrl.sim.single import SingleTaskEnv


@pytest.mark.filterwarnings("ignore::UserWarning")
@pytest.mark.parametrize("env_id", ["Reacher-v5", "Pusher-v5"])
def test_single_env_passes_gymnasium_check_env(env_id):
    check_env(SingleTaskEnv(env_id, render_mode="rgb_array"))


def test_single_env_seeding_and_truncation():
    env = SingleTaskEnv("Reacher-v5")
    o1, _ = env.reset(seed=3)
    o2, _ = env.reset(seed=3)
    assert np.array_equal(o1, o2)
    for t in range(50):
        _, r, te, tr, info = env.step(np.zeros(2, np.float32))
        assert tr == (t == 49) and not te and isinstance(r, float)
    assert "reward_dist" in info


def test_simrl_ids_registered_with_gymnasium_but_not_gymnasiums_own():
    import simrl.sim  # noqa: F401

    simrl_ids = [i for i in gym.registry if i.startswith("simrl/")]
    for env_id in simrl_ids:
        assert gym.registry[env_id].entry_point == "simrl.sim.single:SingleTaskEnv"
    assert gym.registry["Reacher-v5"].entry_point.startswith("gymnasium.envs.mujoco")
    if simrl_ids:
        env = gym.make(simrl_ids[0])
        obs, _ = env.reset(seed=0)
        assert env.observation_space.contains(obs.astype(env.observation_space.dtype))


def test_vector_env_interface_and_render():
    env = make_group_env("Reacher-v5", num_groups=2, group_size=2)
    assert isinstance(env, gym.vector.VectorEnv)
    assert env.metadata["autoreset_mode"] == gym.vector.AutoresetMode.NEXT_STEP
    env.reset(seed=0)
    frame = env.render(3)
    assert frame.shape == (480, 480, 3) and frame.dtype == np.uint8 and frame.std() > 0
    env.close()


def test_sb3_adapter_rejects_wrong_mode():
    with pytest.raises(ValueError, match="same_step"):
        SB3VecEnv(make_group_env("Reacher-v5"))


def test_sb3_adapter_infos_and_ppo_learns_smoke():
    torch = pytest.importorskip("torch")
    from stable_baselines3 import PPO

    torch.set_num_threads(1)
    venv = SB3VecEnv(make_group_env("Reacher-v5", 4, 2, seed=0, autoreset_mode="same_step"))
    venv.seed(1)
    obs = venv.reset()
    assert obs.shape == (8, 10)
    for _ in range(50):
        obs, rew, done, infos = venv.step(np.zeros((8, 2), np.float32))
    assert done.all() and rew.dtype == np.float32
    assert infos[0]["TimeLimit.truncated"] and infos[0]["terminal_observation"].shape == (10,)
    assert infos[0]["episode"]["l"] == 50
    assert not np.array_equal(obs[0], infos[0]["terminal_observation"])
    model = PPO("MlpPolicy", venv, n_steps=32, batch_size=64, n_epochs=1, seed=0, device="cpu")
    model.learn(512)
    assert model.num_timesteps >= 512 and len(model.ep_info_buffer) > 0
