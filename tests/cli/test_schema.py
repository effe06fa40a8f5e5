"""Config composition and validation, in process (no training): schema, presets, error lines."""

from __future__ import annotations

import dataclasses

import pytest
from hydra import compose, initialize_config_module
from omegaconf import OmegaConf

from simrl.algos.grpo import GRPOConfig, auto_lr
from simrl.algos.ppo import PPOConfig
from simrl.config.build import build_configs
from simrl.config.launchers import sweep_threads
from simrl.config.sweep import check_overrides, sweep_naming, sweep_points
from simrl.nn import PRESETS
from simrl.nn.compute import ComputeConfig
from simrl.runs.config import RunConfig
from simrl.sim import available_envs

from .conftest import TINY


def _compose(*overrides: str):
    with initialize_config_module("simrl.conf", version_base="1.3"):
        return compose("config", overrides=list(overrides))


def _error(*overrides: str, multirun: bool = False) -> str:
    with pytest.raises(ValueError) as info:
        check_overrides("config", list(overrides), multirun, build_configs)
    text = str(info.value)
    assert "\n" not in text
    return text


def test_defaults_build_the_owners_dataclasses():
    built = build_configs(_compose())
    assert built.algo == "grpo" and isinstance(built.algo_cfg, GRPOConfig)
    # conf/algo/grpo.yaml keeps the dataclass defaults; the built form resolves the automatic lr
    assert built.algo_cfg == GRPOConfig().for_model(built.model)
    assert built.algo_cfg.lr == auto_lr(built.model.width) == built.config_dict["algo"]["lr"]
    assert built.env.id == "simrl/Reach-v0"  # the main job trains the arm
    assert built.run.total_env_steps == _compose().env.total_env_steps  # the env's budget
    assert built.compute.precision == "auto" and built.compute.fp8_recipe == "tensorwise"
    assert built.model == PRESETS["small"]
    ppo = build_configs(_compose("algo=ppo", "algo.n_steps=64", "total_env_steps=5000"))
    assert ppo.algo_cfg == PPOConfig(n_steps=64) and ppo.run.total_env_steps == 5000


def test_run_fields_mirror_runconfig():
    """Every RunConfig and ComputeConfig field is a top-level key (precision, fp8_recipe and
    fp8_emulate via the precision group)."""
    cfg = _compose()
    for f in [*dataclasses.fields(RunConfig), *dataclasses.fields(ComputeConfig)]:
        if f.name not in ("precision", "fp8_recipe", "fp8_emulate"):
            assert f.name in cfg, f.name
    built = build_configs(
        _compose("precision=fp8", "precision.recipe=rowwise", "precision.emulate=true", "seed=7")
    )
    compute = built.compute
    assert (compute.precision, compute.fp8_recipe, compute.fp8_emulate) == ("fp8", "rowwise", True)
    assert built.run.seed == 7


@pytest.mark.parametrize("name", sorted(PRESETS))
def test_model_yaml_matches_nn_preset(name):
    assert build_configs(_compose(f"model={name}")).model == PRESETS[name]


@pytest.mark.parametrize("env", ["reacher", "pusher", "reach", "push", "pick_place", "gym"])
def test_env_configs_name_known_ids(env):
    cfg = _compose(f"env={env}")
    assert cfg.env.id in available_envs()
    assert cfg.env.total_env_steps > 0


def test_gym_env_slug_in_run_dir_name(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # resolving the run dir creates it (exclusively), relative to cwd
    with initialize_config_module("simrl.conf", version_base="1.3"):
        cfg = compose("config", overrides=["env=gym", "env.id=Ant-v5"], return_hydra_config=True)
    assert cfg.hydra.run.dir.endswith("_grpo_Ant-v5")  # outputs/<date>/<time>_<algo>_<env>
    assert OmegaConf.create({"x": "${simrl.slug:simrl/Push-v0}"}).x == "simrl_Push-v0"


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        (["algo.clip_low=-1"], "algo.clip_low=-1.0 must be a number in [0.0, 1.0]"),
        (
            ["precision=fp9"],
            "precision=fp9 is not an option of group precision; allowed: auto, bf16, fp32, fp8",
        ),
        (
            ["env=nope"],
            "env=nope is not an option of group env; allowed: gym, pick_place, push, pusher, "
            "reach, reacher",
        ),
        (["algo=sac"], "algo=sac is not an option of group algo; allowed: grpo, ppo"),
        (["seed=abc"], "seed=abc: Value 'abc' of type 'str' could not be converted to Integer"),
        (["model.width=65"], "model.width=65 must be divisible by 16 (e.g. 64)"),
        (
            ["algo=ppo", "algo.batch_size=4096"],
            "algo.batch_size=4096 must be <= n_envs * n_steps = 2048",
        ),
        (["total_env_steps=0"], "total_env_steps=0 must be an integer >= 1"),
        (
            ["precision.recipe=blockwise"],
            "precision.recipe=blockwise is not an fp8 recipe; allowed: "
            "tensorwise, rowwise, rowwise_with_gw_hp",
        ),
        (
            ["resume=/no/such/ckpt.pt"],
            "resume=/no/such/ckpt.pt does not exist (give a checkpoint file or run dir)",
        ),
    ],
)
def test_bad_override_is_one_exact_line(overrides, expected):
    assert _error(*overrides) == expected


def test_bad_key_and_env_id_name_the_allowed_values():
    text = _error("algo.foo=1")
    assert text.startswith("algo.foo=1: no such key; nearest: ")
    # with or without +, an unknown key is an error naming the nearest valid ones
    assert _error("algo.num_group=3").startswith(
        "algo.num_group=3: no such key; nearest: algo.num_groups"
    )
    assert _error("+algo.num_group=3").startswith(
        "algo.num_group=3: no such key; nearest: algo.num_groups"
    )
    assert _error("+seeed=3").startswith("seeed=3: no such key; nearest: seed")
    text = _error("env.id=Nope-v0")
    assert text.startswith("env.id=Nope-v0 is not a known env; allowed: ")
    assert "Reacher-v5" in text and "Ant-v5" in text
    assert _error("seed=[1").startswith("cannot parse override 'seed=[1'")
    # env=gym declares no options: the error says how to pass a gymnasium.make keyword
    assert _error("env=gym", "env.id=Hopper-v5", "env.options.ctrl_cost_weight=0.1") == (
        "env.options.ctrl_cost_weight=0.1: no such key (a gymnasium.make keyword of env.id is "
        "added with +env.options.ctrl_cost_weight=VALUE)"
    )


def test_sweep_checks_every_point_and_names_runs_by_swept_keys():
    text = _error("seed=0,1", "algo.clip_low=0.1,-2", multirun=True)
    assert (
        text == "in run seed=0 algo.clip_low=-2: algo.clip_low=-2.0 must be a number in [0.0, 1.0]"
    )
    points = sweep_points(["algo=grpo,ppo", "seed=0,1", "env=reacher"], multirun=True)
    assert len(points) == 4 and ["algo=ppo", "seed=1", "env=reacher"] in points
    excludes = check_overrides("config", ["seed=0,1", *TINY], True, build_configs)
    assert "progress" in excludes
    (extra,) = sweep_naming(["seed=0,1", "env=reacher", "+env.options.x=1"], ["progress"])
    assert extra == "hydra.job.config.override_dirname.exclude_keys=[progress,env,env.options.x]"
    assert sweep_naming(["env=reacher"], ["progress"]) == []


def test_sweep_threads_never_oversubscribe():
    joblib = {"_target_": "hydra_plugins.hydra_joblib_launcher.joblib_launcher.JoblibLauncher"}
    assert sweep_threads(False, None, cpus=8) == 0  # a lone run keeps torch's default
    assert sweep_threads(True, {**joblib, "n_jobs": -1}, cpus=2) == 1
    assert sweep_threads(True, {**joblib, "n_jobs": 2}, cpus=8) == 4
    ray = {"_target_": "hydra_plugins.hydra_ray_launcher.ray_launcher.RayLauncher"}
    assert sweep_threads(True, {**ray, "ray": {"remote": {"num_cpus": 3}}}, cpus=8) == 3
    local = "hydra_plugins.hydra_submitit_launcher.submitit_launcher.LocalLauncher"
    assert sweep_threads(True, {"_target_": local, "cpus_per_task": None}, cpus=8) == 1
    slurm = "hydra_plugins.hydra_submitit_launcher.submitit_launcher.SlurmLauncher"
    assert sweep_threads(True, {"_target_": slurm, "cpus_per_task": 4}, cpus=64) == 4


def test_solve_presets_are_grpo_recipes_with_the_reverse_curriculum():
    for name, env_id in (
        ("push_solve", "simrl/Push-v0"),
        ("pick_place_solve", "simrl/PickPlace-v0"),
    ):
        built = build_configs(_compose(f"experiment={name}"))
        assert (built.algo, built.env.id) == ("grpo", env_id)
        assert built.env.curriculum.name == "reverse_demo"
        assert built.algo_cfg.branch_frac > 0 and built.run.eval_episodes >= 64
    assert _error("curriculum=nosuch").startswith(
        "curriculum=nosuch is not an option of group curriculum; allowed: adaptive, bank, none, "
        "reverse_demo"
    )
    text = _error("experiment=nosuch")
    assert text.startswith("experiment=nosuch is not an option of group experiment; allowed: ")
    assert "push_solve" in text and "pick_place_solve" in text


@pytest.mark.parametrize(
    ("experiment", "env_id", "steps"),
    [
        ("quick", "simrl/Reach-v0", 20_000),
        ("reacher_bench", "Reacher-v5", 1_000_000),
        ("pusher_bench", "Pusher-v5", 2_000_000),
        ("push_bench", "simrl/Push-v0", 2_000_000),
    ],
)
def test_experiment_presets(experiment, env_id, steps):
    built = build_configs(_compose(f"experiment={experiment}", "algo=ppo"))
    assert (built.env.id, built.run.total_env_steps, built.algo) == (env_id, steps, "ppo")
    # the command line still wins over a preset
    assert _compose(f"experiment={experiment}", "total_env_steps=5").total_env_steps == 5
