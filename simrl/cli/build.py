"""The config boundary: a composed Hydra config -> the owners' dataclasses, every value checked.

`build_configs(cfg)` turns the composed `DictConfig` into `EnvConfig` (with its
`CurriculumConfig`), `CoreConfig`, the algorithm's config, `RunConfig` and `ComputeConfig`. Each
owner checks its own fields with the one validation layer (`simrl.checks`: types, finiteness,
ranges, choices derived from the dataclass fields); here its errors are rendered with the
command line's key (`algo.clip_low`, `precision.recipe`), unknown keys (also those added with
`+`) are refused with the nearest valid ones, task options are checked by building a one-row
env, and the values that need the machine (device, strict precision, resume checkpoint) are
checked. Nothing is written. Every error is one line; the CLI exits with status 2.

`one_line(exc)` renders Hydra's and OmegaConf's composition errors from their attributes (the
missing config and its options, the full key), never by parsing their text.
"""

from __future__ import annotations

from typing import Any

from omegaconf import DictConfig, OmegaConf

from simrl.checks import ConfigValueError, field_names, first_line, nearest
from simrl.cli.preflight import check_env, preflight
from simrl.cli.schema import COMPUTE_FIELDS_IN_PRECISION, PrecisionNode, integral_keys
from simrl.cli.usage import UsageError as ConfigError
from simrl.nn import CoreConfig
from simrl.nn.compute import ComputeConfig
from simrl.runs.config import RunConfig
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
    _algo_unknown(spec.config_cls, algo_values, algo_key)
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
    aliases = getattr(__import__(algo_cls.__module__, fromlist=["x"]), "TRL_ALIASES", {})
    given = {o.split("=", 1)[0].lstrip("+~") for o in overrides if "=" in o}
    for alias, (name, _) in aliases.items():
        if alias != name and f"algo.{alias}" in given and f"algo.{name}" in given:
            raise ValueError(
                f"algo.{alias} and algo.{name} are the same setting (TRL's name and simrl's); "
                "give one"
            )


def _algo_unknown(cls: type, values: dict[str, Any], group: str = "algo") -> None:
    aliases = tuple(getattr(__import__(cls.__module__, fromlist=["x"]), "TRL_ALIASES", {}))
    _unknown(group, cls, values, aliases)


def one_line(exc: BaseException, overrides: list[str] | None = None) -> str:
    """One line for a composition or configuration error, naming key, value and what is allowed."""
    from hydra.errors import MissingConfigException, OverrideParseException
    from omegaconf.errors import ConfigAttributeError, ConfigKeyError, OmegaConfBaseException

    if isinstance(exc, (ConfigError, ConfigValueError)):
        return render(exc)
    overrides = overrides or []
    if isinstance(exc, MissingConfigException):
        return _missing_option(exc)
    if isinstance(exc, OverrideParseException):
        bad = next((o for o in overrides if _parse_fails(o)), None)
        where = f"cannot parse override {bad!r}" if bad else "cannot parse the overrides"
        return f"{where} (syntax: KEY=VALUE, sweeps KEY=A,B)"
    cause = exc.__cause__ if exc.__cause__ is not None else exc
    if isinstance(cause, OmegaConfBaseException) and getattr(cause, "full_key", None):
        key = str(cause.full_key)
        value = _override_value(key, overrides)
        if isinstance(cause, (ConfigAttributeError, ConfigKeyError)):
            parent = key.rsplit(".", 1)[0] if "." in key else ""
            leaf = key.rsplit(".", 1)[-1]
            keys = _keys_of(cause)
            text = f"{key}={_show(value)}: no such key"
            if keys:
                near = nearest(leaf, keys)
                text += f"; nearest: {', '.join(f'{parent}.{k}' if parent else k for k in near)}"
            return text
        kind = getattr(cause, "ref_type", None) or getattr(cause, "object_type", None)
        return f"{key}={_show(value)}: {_omegaconf_reason(cause, kind)}"
    return render(exc)


def _omegaconf_reason(cause: Any, kind: Any) -> str:
    """OmegaConf's own message (its `msg` attribute: a validation error's reason)."""
    return first_line(getattr(cause, "msg", None) or str(cause))


def _missing_option(exc: Any) -> str:
    missing = str(exc.missing_cfg_file or "")
    group, _, option = missing.rpartition("/")
    options = list(exc.options or [])
    if not group:
        return f"config {missing!r} not found"
    hint = ""
    if group == "hydra/launcher":
        hint = " (ray_*: pip install 'simrl[ray]'; slurm*/submitit_*: pip install 'simrl[slurm]')"
    if option.endswith("_schema"):  # an algorithm's module could not be imported
        return f"{group} config needs {option}, which is not registered"
    if not options or "/" in option or option.startswith("."):
        top = group.split("/")[0]
        options = _group_files(top)
        group = top if options else group
        option = missing.split("/", 1)[1] if "/" in missing and options else option
    return (
        f"{group}={option} is not an option of group {group}; allowed: {', '.join(options)}{hint}"
    )


def _group_files(group: str) -> list[str]:
    """The options of config group `group` in simrl's own conf/ (empty if not a group)."""
    from importlib.resources import files

    folder = files("simrl.conf").joinpath(group)
    try:
        return sorted(p.name[:-5] for p in folder.iterdir() if p.name.endswith(".yaml"))
    except (FileNotFoundError, NotADirectoryError, OSError):
        return []


def check_group_paths(overrides: list[str]) -> None:
    """A config-group choice is a name, never a path (`experiment=../algo/ppo`): one line with
    the group's options."""
    for item in overrides:
        key, sep, value = item.partition("=")
        key = key.lstrip("+~")
        if not sep or "." in key or not _group_files(key):
            continue
        for choice in value.split(","):
            if "/" in choice or choice.startswith("."):
                raise ConfigError(
                    key, choice, f"is not an option of group {key}", _group_files(key)
                )


def _parse_fails(override: str) -> bool:
    from hydra.core.override_parser.overrides_parser import OverridesParser

    try:
        OverridesParser.create().parse_overrides([override])
    except Exception:
        return True
    return False


def _override_value(key: str, overrides: list[str]) -> str | None:
    for item in reversed(overrides):
        k, sep, v = item.partition("=")
        if sep and k.lstrip("+~") == key:
            return v
    return None


def _keys_of(cause: Any) -> list[str]:
    parent = getattr(cause, "parent_node", None)
    try:
        return [str(k) for k in parent.keys()] if parent is not None else []
    except Exception:
        return []
