"""PPOConfig: SB3 defaults, rl-zoo preset, one-line validation errors."""

import inspect

import pytest
from stable_baselines3 import PPO

from simrl.algos.ppo import PPOConfig, ppo_preset

SB3_NAMES = [
    "learning_rate",
    "batch_size",
    "n_epochs",
    "gamma",
    "gae_lambda",
    "clip_range",
    "clip_range_vf",
    "normalize_advantage",
    "ent_coef",
    "vf_coef",
    "max_grad_norm",
    "target_kl",
]


def test_defaults_are_sb3_ppo_defaults():
    # Reference: the installed stable_baselines3.PPO signature.
    sig = inspect.signature(PPO.__init__).parameters
    cfg = PPOConfig()
    for name in SB3_NAMES:
        assert getattr(cfg, name) == sig[name].default, name
    # SB3's 2048 samples per rollout (n_steps=2048, 1 env), spread over 8 envs.
    assert cfg.n_envs * cfg.n_steps == sig["n_steps"].default == 2048
    assert cfg.rollout_size == 2048
    assert cfg.shared_trunk is False  # separate value network of the policy's size
    assert cfg.log_std_init == 0.0 and cfg.ortho_init is True and cfg.adam_eps == 1e-5


def test_zoo_reacher_preset():
    # Reference: rl-baselines3-zoo hyperparams/ppo.yml, Reacher entry.
    cfg = ppo_preset("zoo_reacher")
    assert (cfg.n_envs, cfg.n_steps, cfg.batch_size, cfg.n_epochs) == (1, 512, 32, 5)
    assert cfg.learning_rate == pytest.approx(1.04e-4, rel=1e-3)
    assert (cfg.gamma, cfg.gae_lambda, cfg.clip_range) == (0.9, 1.0, 0.3)
    assert cfg.vf_coef == pytest.approx(0.95, rel=1e-3) and cfg.max_grad_norm == 0.9
    assert cfg.normalize_obs and cfg.normalize_reward
    assert ppo_preset("zoo_reacher", n_envs=4).n_envs == 4


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"n_envs": 0}, r"n_envs=0 must be an integer in \[1, 65536\]"),
        ({"n_steps": 2.5}, r"n_steps=2.5 must be an integer"),
        ({"batch_size": 4096}, r"batch_size=4096 must be <= n_envs \* n_steps = 2048"),
        (
            {"lr_schedule": "cosine"},
            r"lr_schedule='cosine' is not one of the choices; allowed: constant",
        ),
        ({"learning_rate": 0}, r"learning_rate=0 must be a number in \(0, 10.0\]"),
        ({"gamma": 1.5}, r"gamma=1.5 must be a number in \[0, 1\]"),
        ({"vf_coef": -1}, r"vf_coef=-1 must be a number >= 0"),
        ({"target_kl": 0}, r"target_kl=0 must be null or a number > 0"),
        ({"log_std_init": 3.0}, r"log_std_init=3.0 must be a number in \[-5, 2\]"),
        ({"shared_trunk": "yes"}, r"shared_trunk='yes' must be true or false"),
    ],
)
def test_bad_values_raise_one_line(kwargs, match):
    with pytest.raises(ValueError, match=match) as info:
        PPOConfig(**kwargs)
    assert "\n" not in str(info.value)


def test_unknown_preset_and_field():
    with pytest.raises(
        ValueError, match=r"unknown PPO preset 'x'; presets: \['sb3', 'zoo_reacher'\]"
    ):
        ppo_preset("x")
    with pytest.raises(ValueError, match=r"unknown PPOConfig field\(s\) \['lr'\]"):
        ppo_preset("sb3", lr=1e-3)
