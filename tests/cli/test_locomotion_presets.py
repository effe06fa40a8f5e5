"""The locomotion presets (experiment=hopper_bench, ...) for simrl-train and simrl-bench, in process.

Reference: each preset file (env id, 1M steps) and conf/tuned/<preset>/<algo>.yaml, the settings
the preset gives each learner; PPO's zoo entry is checked against rl-zoo3 in test_ppo_zoo.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest
from hydra import compose, initialize_config_module
from omegaconf import OmegaConf

from simrl.algos.grpo import GRPOConfig
from simrl.algos.ppo import PPOConfig
from simrl.cli.bench import build_bench
from simrl.config.build import build_configs
from simrl.config.sweep import check_overrides

from .conftest import TESTS_ON_PATH, run_cli

PRESETS = {
    "hopper_bench": "Hopper-v5",
    "walker2d_bench": "Walker2d-v5",
    "halfcheetah_bench": "HalfCheetah-v5",
    "ant_bench": "Ant-v5",
    "humanoid_bench": "Humanoid-v5",
}
TUNED = Path(__file__).resolve().parents[2] / "conf" / "tuned"
HAS_ZOO = importlib.util.find_spec("rl_zoo3") is not None
MISSING = "testenvs.missing_dep:simrl_test/NeedsBox2D-v0"


def _compose(name: str, *overrides: str):
    with initialize_config_module("simrl.conf", version_base="1.3"):
        return compose(name, overrides=list(overrides))


def _tuned(preset: str, algo: str) -> dict:
    return OmegaConf.to_container(OmegaConf.load(TUNED / preset / f"{algo}.yaml")) or {}


@pytest.mark.parametrize("preset", sorted(PRESETS))
def test_train_preset_gives_each_learner_its_settings(preset: str) -> None:
    grpo = build_configs(_compose("config", f"experiment={preset}"))
    assert grpo.env.id == PRESETS[preset] and grpo.run.total_env_steps == 1_000_000
    tuned = _tuned(preset, "grpo")
    assert tuned and all(getattr(grpo.algo_cfg, k) == v for k, v in tuned.items())
    assert isinstance(grpo.algo_cfg, GRPOConfig)
    if not HAS_ZOO and _tuned(preset, "ppo").get("zoo"):
        pytest.skip("needs rl-zoo3")
    ppo = build_configs(_compose("config", f"experiment={preset}", "algo=ppo"))
    assert ppo.algo_cfg == PPOConfig(**_tuned(preset, "ppo")).for_env(PRESETS[preset])
    assert ppo.config_dict["algo"]["n_envs"] == ppo.algo_cfg.n_envs  # config.yaml: as run
    override = build_configs(_compose("config", f"experiment={preset}", "algo=ppo", "seed=3"))
    assert override.run.seed == 3


@pytest.mark.skipif(not HAS_ZOO, reason="needs rl-zoo3")
def test_bench_preset_runs_both_learners_with_the_preset_settings() -> None:
    cfg = _compose("bench", "experiment=hopper_bench", "bench.seeds=[0,1]")
    bench, built, setup = build_bench(cfg)
    assert setup["env_id"] == "Hopper-v5" and setup["total_env_steps"] == 1_000_000
    assert bench.seeds == [0, 1] and set(built) == {"grpo", "ppo"}
    grpo_cfg, ppo_cfg = built["grpo"].algo_cfg, built["ppo"].algo_cfg
    assert ppo_cfg == PPOConfig(**_tuned("hopper_bench", "ppo")).for_env("Hopper-v5")
    tuned = _tuned("hopper_bench", "grpo")
    assert all(getattr(grpo_cfg, k) == v for k, v in tuned.items())


def test_preset_for_an_env_whose_package_is_missing_says_which(tmp_path: Path) -> None:
    sys.path.insert(0, TESTS_ON_PATH["PYTHONPATH"])
    try:
        with pytest.raises(ValueError) as info:
            check_overrides(
                "config", ["experiment=hopper_bench", f"env.id={MISSING}"], False, build_configs
            )
    finally:
        sys.path.remove(TESTS_ON_PATH["PYTHONPATH"])
    text = str(info.value)
    assert text.startswith(f"env.id={MISSING}: env id") and "gymnasium[box2d]" in text
    proc = run_cli(
        "train", "experiment=hopper_bench", f"env.id={MISSING}", cwd=tmp_path, env=TESTS_ON_PATH
    )
    assert proc.returncode == 2 and "needs a package that is not installed" in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1 and not list(tmp_path.iterdir())
