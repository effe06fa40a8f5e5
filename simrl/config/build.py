"""The config boundary: a composed Hydra config -> the owners' dataclasses, every value checked.

`build_configs(cfg)` turns the composed `DictConfig` into `EnvConfig` (with its
`CurriculumConfig`), `CoreConfig`, the algorithm's config, `RunConfig` and `ComputeConfig`. Each
owner checks its own fields with the one validation layer (`simrl.config.fields`: types, finiteness,
ranges, choices derived from the dataclass fields); here its errors are rendered with the
command line's key (`algo.clip_low`, `precision.recipe`), unknown keys (also those added with
`+`) are refused with the nearest valid ones, task options are checked by building a one-row
env, and the values that need the machine (device, strict precision, resume checkpoint) are
checked. Nothing is written. Every error is one line; the CLI exits with status 2.
"""

from __future__ import annotations

import sys
from typing import Any

from omegaconf import DictConfig, OmegaConf

from simrl.config.fields import ConfigValueError, field_names, first_line, nearest
from simrl.config.fields import UsageError as ConfigError
from simrl.config.schema import COMPUTE_FIELDS_IN_PRECISION, PrecisionNode, integral_keys
from simrl.nn import CoreConfig
from simrl.nn.compute import ComputeConfig
from simrl.runs.config import RunConfig
from simrl.runs.preflight import check_env, preflight
from simrl.runs.spec import TrainSpec
from simrl.sim.config import EnvConfig
from simrl.sim.start_states import CurriculumConfig

# Config keys that only the command line has (group option names, the env's default budget).
CLI_ONLY_KEYS = {"algo": ("name",), "env": ("name", "total_env_steps"), "model": ("name",)}
GROUPS = ("algo", "env", "model", "precision", "curriculum")
_OWNER_OF = {
    "GRPOConfig": "algo",
    "PPOConfig": "algo",
    "CoreConfig": "model",
    "EnvConfig": "env",
    "CurriculumConfig": "curriculum",
    "RunConfig": "",
    "ComputeConfig": "",
    "BenchConfig": "bench",
}
_PRECISION_KEY = {f: f"precision.{k}" if k != "name" else "precision" for f, k in
                  COMPUTE_FIELDS_IN_PRECISION.items()}  # fmt: skip


def _show(value: Any) -> str:
    return "null" if value is None else str(value)


def cli_key(owner: str, field: str, group: str | None = None) -> str:
    """The command-line key of an owner's field (`GRPOConfig.lr` -> `algo.lr`; `group` names the
    owner's node where it is not the usual one, e.g. `ppo` in simrl-bench)."""
    if owner == "ComputeConfig" and field in _PRECISION_KEY:
        return _PRECISION_KEY[field]
    group = _OWNER_OF.get(owner, owner) if group is None else group
    return f"{group}.{field}" if group else field


def render(exc: BaseException, group: str | None = None) -> str:
    """An owner's error with its command-line key (`algo.clip_low=-1.0 must be ...`); other
    errors as their first line."""
    if isinstance(exc, ConfigValueError):
        key = cli_key(exc.owner, exc.field, group)
        return str(ConfigError(key, exc.value, exc.reason, exc.allowed))
    return first_line(exc)


def _unknown(group: str, cls: type, values: dict[str, Any], extra: tuple[str, ...] = ()) -> None:
    known = [*field_names(cls), *extra]
    for key in values:
        if key not in known:
            where = f"{group}.{key}" if group else key
            raise ValueError(
                f"{where}={_show(values[key])}: no such key; nearest: "
                f"{', '.join((f'{group}.' if group else '') + k for k in nearest(key, known))}"
            )


def owner(cls: type, values: dict[str, Any], group: str, extra: tuple[str, ...] = ()) -> Any:
    """Build dataclass `cls` from `values`: unknown keys refused (nearest named), values checked
    by the owner (`cls.from_dict` when it has one, e.g. for TRL's GRPO names)."""
    from_dict = getattr(cls, "from_dict", None)
    values = {k: v for k, v in values.items() if k not in extra}
    if from_dict is None:
        _unknown(group, cls, values)
    try:  # the owners check their fields when they are built (`__post_init__`)
        obj = from_dict(values) if from_dict is not None else cls(**values)
    except (ValueError, TypeError) as exc:
        mine = isinstance(exc, ConfigValueError) and exc.owner == cls.__name__
        raise ValueError(render(exc, group if mine else None)) from None
    return obj


_BUILT: dict[str, TrainSpec] = {}  # this process's checked configs, by their content


def build_configs(
    cfg: DictConfig, num_threads: int | None = None, algo_key: str = "algo"
) -> TrainSpec:
    """Validate the composed config and build the owners' dataclasses (one-line errors).

    `num_threads`, when given, replaces `cfg.num_threads` (the launcher-aware default of a sweep);
    `algo_key` is the algorithm's node on the command line, as errors name it (`ppo` in
    simrl-bench).
    A config this process has already checked (the up-front check of the run it now starts) is
    not built again: checks that build envs and read files run once per run.
    """
    import copy
    import json

    if "hydra" in cfg:  # compose(return_hydra_config=True): its ${hydra:...} need a live Hydra
        cfg = OmegaConf.masked_copy(cfg, [k for k in cfg if k != "hydra"])
    data = OmegaConf.to_container(cfg, resolve=True, throw_on_missing=True)
    assert isinstance(data, dict)
    key = json.dumps([data, num_threads, algo_key], sort_keys=True, default=str)
    if key not in _BUILT:
        _BUILT[key] = _build(data, num_threads, algo_key)
    return copy.deepcopy(_BUILT[key])


def _build(data: dict[str, Any], num_threads: int | None, algo_key: str) -> TrainSpec:
    from simrl.algos.registry import available_algos, get_algo

    data = integral_keys(data)  # total_env_steps=1e6 -> 1000000
    algo_name = str(data["algo"].get("name", ""))
    if algo_name not in available_algos():
        raise ConfigError("algo", algo_name, "is not an algorithm", available_algos())
    try:
        spec = get_algo(algo_name)
    except (ValueError, ImportError, AttributeError) as exc:
        raise ConfigError("algo", algo_name, f"is not available ({first_line(exc)})") from None
    curriculum = owner(CurriculumConfig, data["curriculum"], "curriculum")
    _unknown("env", EnvConfig, data["env"], CLI_ONLY_KEYS["env"] + ("curriculum",))
    env_values = {k: v for k, v in data["env"].items() if k not in CLI_ONLY_KEYS["env"]}
    env_cfg = owner(EnvConfig, {**env_values, "curriculum": curriculum}, "env")
    total = data["env"].get("total_env_steps", 1)
    if isinstance(total, bool) or not isinstance(total, int) or total < 1:
        raise ConfigError("env.total_env_steps", total, "must be an integer >= 1")
    model_cfg = owner(CoreConfig, data["model"], "model", CLI_ONLY_KEYS["model"])
    algo_values = {k: v for k, v in data["algo"].items() if k != "name"}
    _unknown(algo_key, spec.config_cls, algo_values, tuple(_aliases(spec.config_cls)))
    algo_cfg = owner(spec.config_cls, algo_values, algo_key)
    precision = data["precision"]
    _unknown("precision", PrecisionNode, precision)
    top = {k: v for k, v in data.items() if k not in GROUPS}
    compute_names = set(field_names(ComputeConfig))
    _unknown("", RunConfig, {k: v for k, v in top.items() if k not in compute_names})
    compute_values = {k: v for k, v in top.items() if k in compute_names}
    for field_name, node_key in COMPUTE_FIELDS_IN_PRECISION.items():
        compute_values[field_name] = precision[node_key]
    if num_threads is not None:
        compute_values["num_threads"] = num_threads
    compute_cfg = owner(ComputeConfig, compute_values, "")
    run_cfg = owner(RunConfig, {k: v for k, v in top.items() if k not in compute_names}, "")
    spaces = check_env(env_cfg)
    if callable(getattr(algo_cfg, "for_env", None)):  # env-dependent settings (PPO's zoo entry)
        try:
            algo_cfg = algo_cfg.for_env(env_cfg.id)
        except ValueError as exc:
            raise ValueError(render(exc, algo_key)) from None
    if callable(getattr(algo_cfg, "for_model", None)):  # e.g. GRPO's automatic lr
        algo_cfg = algo_cfg.for_model(model_cfg)
    # the one resolved form saved in config.yaml, checkpoints and summaries: aliases mapped,
    # env-dependent settings applied (the values the run uses)
    data["algo"] = {"name": algo_name, **algo_cfg.to_dict()}
    built = TrainSpec(algo_name, env_cfg, model_cfg, algo_cfg, run_cfg, compute_cfg, data)
    preflight(built, spaces)
    return built


def check_alias_conflicts(overrides: list[str], algo_cls: type) -> None:
    """An algorithm setting given both by another library's name (TRL's `num_generations`) and
    by simrl's own (`group_size`) on one command line is refused, naming both."""
    aliases = _aliases(algo_cls)
    given = {o.split("=", 1)[0].lstrip("+~") for o in overrides if "=" in o}
    for alias, (name, _) in aliases.items():
        if alias != name and f"algo.{alias}" in given and f"algo.{name}" in given:
            raise ValueError(
                f"algo.{alias} and algo.{name} are the same setting (TRL's name and simrl's); "
                "give one"
            )


def _aliases(cls: type) -> dict[str, Any]:
    """Other libraries' names of `cls`'s settings (its module's `TRL_ALIASES`)."""
    return getattr(sys.modules[cls.__module__], "TRL_ALIASES", {})
