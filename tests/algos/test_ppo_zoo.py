"""rl-zoo3's tuned PPO settings, read from the installed package, mapped onto PPOConfig.

Reference: the package's own hyperparams/ppo.yml, read here independently (the -v4 entry for each
preset's -v5 env); keys an entry leaves out are SB3 PPO's defaults. rl_zoo3 is never imported:
importing it patches Gymnasium's registry (its own TimeLimit), which the generic path refuses.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
import yaml

from simrl.algos.ppo import PPOConfig
from simrl.algos.ppo.zoo import SB3_DEFAULTS, zoo_fields

ZOO = importlib.util.find_spec("rl_zoo3")
pytestmark = pytest.mark.skipif(ZOO is None, reason="needs rl-zoo3 (pip install 'simrl[zoo]')")

PRESET_ENVS = {
    "hopper_bench": "Hopper-v5",
    "walker2d_bench": "Walker2d-v5",
    "halfcheetah_bench": "HalfCheetah-v5",
    "ant_bench": "Ant-v5",
    "humanoid_bench": "Humanoid-v5",
}


def _package_entry(env_id: str) -> dict:
    root = Path(next(iter(ZOO.submodule_search_locations)))
    text = (root / "hyperparams" / "ppo.yml").read_text()
    return yaml.safe_load(text)[env_id.replace("-v5", "-v4")]


@pytest.mark.parametrize("env_id", sorted(PRESET_ENVS.values()))
def test_zoo_entry_of_each_preset_env_is_applied(env_id: str) -> None:
    entry = _package_entry(env_id)
    cfg = PPOConfig(zoo="auto", n_envs=8, n_steps=256, learning_rate=1.0).for_env(env_id)
    expect = {**SB3_DEFAULTS}  # what the zoo runs for keys the entry leaves out
    for key in ("n_envs", "n_steps", "batch_size", "n_epochs", "gamma", "gae_lambda"):
        expect[key] = entry.get(key, expect[key])
    for key in ("ent_coef", "vf_coef", "max_grad_norm", "clip_range", "learning_rate"):
        expect[key] = float(entry.get(key, expect[key]))
    expect["normalize_obs"] = expect["normalize_reward"] = bool(entry.get("normalize", False))
    if "policy_kwargs" in entry:
        assert "log_std_init=-2" in entry["policy_kwargs"].replace(" ", "")
        assert "ortho_init=False" in entry["policy_kwargs"].replace(" ", "")
        expect["log_std_init"], expect["ortho_init"] = -2, False
    for key, value in expect.items():
        assert getattr(cfg, key) == value, key
    assert cfg.zoo == "auto" and cfg.adam_eps == PPOConfig().adam_eps  # simrl-only fields kept


def test_trainer_runs_the_zoo_settings() -> None:
    from simrl.algos.ppo import make_trainer
    from simrl.nn import core_preset
    from simrl.nn.compute import ComputeConfig, resolve_compute
    from simrl.sim.config import EnvConfig

    entry = _package_entry("Hopper-v5")
    cpu = resolve_compute(ComputeConfig(device="cpu", num_threads=1))
    tr = make_trainer(EnvConfig(id="Hopper-v5"), core_preset("small"), PPOConfig(zoo="auto"), cpu)
    model = tr.model
    assert (model.n_envs, model.n_steps, model.batch_size) == (
        entry["n_envs"], entry["n_steps"], entry["batch_size"],
    )  # fmt: skip
    assert (model.n_epochs, model.gamma, model.gae_lambda) == (
        entry["n_epochs"], entry["gamma"], entry["gae_lambda"],
    )  # fmt: skip
    assert model.lr_schedule(1.0) == pytest.approx(entry["learning_rate"])
    assert model.ent_coef == entry["ent_coef"] and model.vf_coef == entry["vf_coef"]
    assert model.clip_range(1.0) == entry["clip_range"]
    assert model.max_grad_norm == entry["max_grad_norm"]
    assert tr.venv.gamma == entry["gamma"] and tr.venv.norm_obs and tr.venv.norm_reward
    assert float(model.policy.log_std.detach().mean()) == -2.0
    assert tr.learner_stats()["ppo_settings"] == "rl-zoo3 tuned (Hopper-v4)"
    tr.close()


def test_schedules_normalize_strings_and_unmapped_keys() -> None:
    fields, unmapped = zoo_fields(
        {
            "learning_rate": "lin_3e-4",
            "clip_range": "lin_0.4",
            "normalize": "dict(norm_obs=True, norm_reward=False)",
            "policy_kwargs": "dict(log_std_init=-1.5, activation_fn=nn.Tanh, net_arch=[64, 64])",
            "n_timesteps": 1e6,
            "use_sde": True,
        }
    )
    assert fields["learning_rate"] == 3e-4 and fields["lr_schedule"] == "linear"
    assert fields["clip_range"] == 0.4 and "clip_range" in unmapped
    assert fields["normalize_obs"] is True and fields["normalize_reward"] is False
    assert fields["log_std_init"] == -1.5 and fields["ortho_init"] is True
    assert unmapped["policy_kwargs.activation_fn"] == "nn.Tanh"
    assert unmapped["policy_kwargs.net_arch"] == [64, 64]
    assert unmapped["use_sde"] is True and unmapped["n_timesteps"] == 1e6


def test_unknown_entry_is_one_line_naming_zoo() -> None:
    with pytest.raises(
        ValueError, match=r"^PPOConfig.zoo='Hoper-v4' cannot be used: rl-zoo3's ppo.yml has no "
    ):
        PPOConfig(zoo="Hoper-v4").for_env("Hopper-v5")
    assert PPOConfig().for_env("Hopper-v5") == PPOConfig()  # zoo unset: as configured
