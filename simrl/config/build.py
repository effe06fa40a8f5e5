"""The config boundary: a composed Hydra config -> the owners' dataclasses, every value checked.

`build_configs(cfg)` builds `EnvConfig` (with `CurriculumConfig`), `CoreConfig`, the algorithm's
config, `RunConfig` and `ComputeConfig`; each checks its own fields (`simrl.config.fields`), and
its errors get the command line's key (`algo.clip_low`). Unknown keys (also `+key=...`) are refused
with the nearest valid ones, then `simrl.runs.preflight` checks the task and the machine. Nothing
is written; every error is one line (the CLI exits with status 2).
"""

from __future__ import annotations

import copy
import json
from typing import Any

from omegaconf import DictConfig, OmegaConf

from simrl.algos.registry import available_algos, get_algo
from simrl.config.fields import ConfigValueError, field_names
from simrl.config.schema import COMPUTE_FIELDS_IN_PRECISION, PrecisionNode, aliases, integral_keys
from simrl.messages import UsageError as ConfigError
from simrl.messages import first_line, nearest
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
# The command line's group of each owner's fields ("": top-level keys)
_OWNER_OF = {"GRPOConfig": "algo", "PPOConfig": "algo", "CoreConfig": "model", "EnvConfig": "env",
             "CurriculumConfig": "curriculum", "RunConfig": "", "ComputeConfig": "",
             "BenchConfig": "bench"}  # fmt: skip


def cli_key(owner: str, field: str, group: str | None = None) -> str:
    """The command-line key of an owner's field (`GRPOConfig.lr` -> `algo.lr`; `group` names the
    owner's node where it is not the usual one, e.g. `ppo` in simrl-bench)."""
    if owner == "ComputeConfig" and field in COMPUTE_FIELDS_IN_PRECISION:  # name: `precision`
        return f"precision.{COMPUTE_FIELDS_IN_PRECISION[field]}".removesuffix(".name")
    group = _OWNER_OF.get(owner, owner) if group is None else group
    return f"{group}.{field}" if group else field


def render(exc: BaseException, group: str | None = None) -> str:
    """An owner's error with its command-line key (`algo.clip_low=-1.0 must be ...`); other
    errors as their first line."""
    if isinstance(exc, ConfigValueError):
        key = cli_key(exc.owner, exc.field, group)
        return str(ConfigError(key, exc.value, exc.reason, exc.allowed))
    return first_line(exc)


def _unknown(
    group: str, cls: type, values: dict[str, Any], extra: tuple[str, ...] = (), drop: str = ""
) -> None:
    """Refuse the first key of `values` not a field of `cls` (less `drop`) nor in `extra`
    (nearest named)."""
    known = [k for k in [*field_names(cls), *extra] if k != drop]
    dot = f"{group}." if group else ""
    for key, value in values.items():
        if key not in known:
            near = ", ".join(dot + k for k in nearest(key, known))
            raise ValueError(
                f"{dot}{key}={'null' if value is None else value}: no such key; nearest: {near}"
            )


def owner(cls: type, values: dict[str, Any], group: str, extra: tuple[str, ...] = ()) -> Any:
    """Build dataclass `cls` from `values` less the `extra` keys: unknown keys refused (nearest
    named), values checked by the owner (`cls.from_dict` when it has one, e.g. for TRL's names)."""
    from_dict = getattr(cls, "from_dict", None)
    values = {k: v for k, v in values.items() if k not in extra}
    if from_dict is None:
        _unknown(group, cls, values)
    try:  # the owners check their fields when they are built (`__post_init__`)
        return from_dict(values) if from_dict is not None else cls(**values)
    except (ValueError, TypeError) as exc:
        mine = isinstance(exc, ConfigValueError) and exc.owner == cls.__name__
        raise ValueError(render(exc, group if mine else None)) from None


_BUILT: dict[str, TrainSpec] = {}  # this process's checked configs, by their content


def build_configs(
    cfg: DictConfig, num_threads: int | None = None, algo_key: str = "algo"
) -> TrainSpec:
    """Validate the composed config and build the owners' dataclasses (one-line errors).
    `num_threads` (given by a sweep) replaces `cfg.num_threads`; `algo_key` is the algorithm's node
    (`ppo` in simrl-bench). A config this process has checked is not built (envs, files) again."""
    if "hydra" in cfg:  # compose(return_hydra_config=True): its ${hydra:...} need a live Hydra
        cfg = OmegaConf.masked_copy(cfg, [k for k in cfg if k != "hydra"])
    data = OmegaConf.to_container(cfg, resolve=True, throw_on_missing=True)
    assert isinstance(data, dict)
    key = json.dumps([data, num_threads, algo_key], sort_keys=True, default=str)
    if key not in _BUILT:
        _BUILT[key] = _build(data, num_threads, algo_key)
    return copy.deepcopy(_BUILT[key])


def _build(data: dict[str, Any], num_threads: int | None, algo_key: str) -> TrainSpec:
    data = integral_keys(data)  # total_env_steps=1e6 -> 1000000
    algo_name = str(data["algo"].get("name", ""))
    if algo_name not in available_algos():
        raise ConfigError("algo", algo_name, "is not an algorithm", available_algos())
    try:
        algo_cls = get_algo(algo_name).config_cls
    except (ValueError, ImportError, AttributeError) as exc:
        raise ConfigError("algo", algo_name, f"is not available ({first_line(exc)})") from None
    curriculum = owner(CurriculumConfig, data["curriculum"], "curriculum")
    _unknown("env", EnvConfig, data["env"], CLI_ONLY_KEYS["env"], drop="curriculum")  # top level
    env_values = {**data["env"], "curriculum": curriculum}
    env_cfg = owner(EnvConfig, env_values, "env", CLI_ONLY_KEYS["env"])
    total = data["env"].get("total_env_steps", 1)
    if isinstance(total, bool) or not isinstance(total, int) or total < 1:
        raise ConfigError("env.total_env_steps", total, "must be an integer >= 1")
    model_cfg = owner(CoreConfig, data["model"], "model", CLI_ONLY_KEYS["model"])
    algo_values = {k: v for k, v in data["algo"].items() if k not in CLI_ONLY_KEYS["algo"]}
    _unknown(algo_key, algo_cls, algo_values, tuple(aliases(algo_cls)))
    algo_cfg = owner(algo_cls, algo_values, algo_key)
    _unknown("precision", PrecisionNode, data["precision"])
    run_values = {k: v for k, v in data.items() if k not in GROUPS}  # top level, less compute
    compute_values = {k: run_values.pop(k) for k in field_names(ComputeConfig) if k in run_values}
    _unknown("", RunConfig, run_values)
    compute_values.update({f: data["precision"][k] for f, k in COMPUTE_FIELDS_IN_PRECISION.items()})
    if num_threads is not None:
        compute_values["num_threads"] = num_threads
    compute_cfg = owner(ComputeConfig, compute_values, "")
    run_cfg = owner(RunConfig, run_values, "")
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
    given = {o.split("=", 1)[0].lstrip("+~") for o in overrides if "=" in o}
    for alias, (name, _) in aliases(algo_cls).items():
        if alias != name and {f"algo.{alias}", f"algo.{name}"} <= given:
            both = f"algo.{alias} and algo.{name}"
            raise ValueError(f"{both} are the same setting (TRL's name and simrl's); give one")
