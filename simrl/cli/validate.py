"""Turn a composed Hydra config into the owners' dataclasses, checking every value first.

Two jobs, both before any work starts:

- `build_configs(cfg)`: the composed `DictConfig` -> `EnvConfig`, `CoreConfig`, the algorithm's
  config and `RunConfig`, running the owners' `validate()` and the run-level checks (env id,
  precision, device, budgets, resume path). Errors are one-line `ConfigError`s.
- `one_line(exc)`: Hydra's and OmegaConf's multi-line composition errors (unknown group option,
  wrong type, unknown key, bad override syntax) reformatted as one line naming key, value and the
  allowed values.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from omegaconf import DictConfig, OmegaConf

from simrl.algos.base import RunConfig
from simrl.cli.schema import PRECISIONS, RUN_FIELDS_IN_PRECISION
from simrl.nn import CoreConfig
from simrl.sim.config import EnvConfig
from simrl.sim.start_states import CurriculumConfig

_OWNER_PREFIX = re.compile(
    r"\b(GRPOConfig|PPOConfig|CoreConfig|EnvConfig|RunConfig|CurriculumConfig)\."
)
_GROUP_OF = {
    "CoreConfig": "model",
    "EnvConfig": "env",
    "RunConfig": "",
    "CurriculumConfig": "curriculum",
}


class ConfigError(ValueError):
    """A bad configuration value, as one line: key=value, why, and the allowed values."""

    def __init__(self, key: str, value: Any, reason: str, allowed: Any = None) -> None:
        text = f"{key}={_show(value)} {reason}"
        if allowed is not None:
            text += f"; allowed: {_show_allowed(allowed)}"
        super().__init__(text)
        self.key, self.value, self.allowed = key, value, allowed


def _show(value: Any) -> str:
    return "null" if value is None else str(value)


def _show_allowed(allowed: Any) -> str:
    if isinstance(allowed, (list, tuple, set)):
        return ", ".join(str(a) for a in allowed)
    return str(allowed)


def owner_message(exc: BaseException, group: str) -> str:
    """An owner's one-line ValueError with `GRPOConfig.` etc. replaced by the config key prefix."""
    text = _first_line(str(exc))

    def repl(m: re.Match[str]) -> str:
        prefix = _GROUP_OF.get(m.group(1), group)
        return f"{prefix}." if prefix else ""

    return _OWNER_PREFIX.sub(repl, text)


def _first_line(text: str) -> str:
    lines = [line.strip() for line in str(text).strip().splitlines() if line.strip()]
    return lines[0] if lines else str(text)


@dataclass
class BuiltConfigs:
    """Everything `simrl.runs.run_training` needs, built and validated."""

    algo: str
    env: EnvConfig
    model: CoreConfig
    algo_cfg: Any
    run: RunConfig
    config_dict: dict[str, Any]

    def train(self, run_dir: Path) -> dict[str, Any]:
        """Run `simrl.runs.run_training` with these configs into run_dir; return its summary."""
        from simrl.runs import run_training  # heavy (torch, mujoco): only when a run starts

        return run_training(
            self.algo, self.env, self.model, self.algo_cfg, self.run, run_dir, self.config_dict
        )


def _owner(cls: type, values: dict[str, Any], group: str) -> Any:
    """Build owner dataclass `cls` from `values` (unknown keys ignored), one-line errors."""
    names = {f.name for f in fields(cls) if f.init}
    try:
        obj = cls(**{k: v for k, v in values.items() if k in names})
        if hasattr(obj, "validate"):
            obj.validate()
    except (ValueError, TypeError) as exc:
        raise ValueError(owner_message(exc, group)) from None
    return obj


def _check_int(key: str, value: Any, low: int) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or value < low:
        raise ConfigError(key, value, f"must be an integer >= {low}")


def check_env_id(env_id: str) -> None:
    """Unknown env ids fail here, naming the ids `make_group_env` accepts."""
    from simrl.sim import available_envs

    known = available_envs()
    if env_id not in known:
        raise ConfigError("env.id", env_id, "is not a known env", known)


def check_run(run: RunConfig, precision_recipe: str) -> None:
    """Run-level values: budget, cadence, precision, device, resume path."""
    from simrl.nn.precision import RECIPES
    from simrl.runs.device import resolve_device

    _check_int("total_env_steps", run.total_env_steps, 1)
    _check_int("eval_every", run.eval_every, 0)
    _check_int("eval_episodes", run.eval_episodes, 1)
    _check_int("checkpoint_every", run.checkpoint_every, 0)
    _check_int("num_threads", run.num_threads, 0)
    if run.precision not in PRECISIONS:
        raise ConfigError("precision", run.precision, "is not a precision", PRECISIONS)
    if precision_recipe not in RECIPES:
        raise ConfigError("precision.recipe", precision_recipe, "is not an fp8 recipe", RECIPES)
    try:
        device = resolve_device(run.device)
    except ValueError as exc:
        raise ValueError(_first_line(str(exc))) from None
    if run.resume is not None and not Path(run.resume).exists():
        raise ConfigError(
            "resume", run.resume, "does not exist (give a checkpoint file or run dir)"
        )
    if run.precision_strict:
        from simrl.nn.precision import resolve_precision

        try:
            resolve_precision(run.precision, device, strict=True, recipe=precision_recipe)
        except ValueError as exc:
            raise ValueError(_first_line(str(exc)) + " (precision_strict=true)") from None


def build_configs(cfg: DictConfig, num_threads: int | None = None) -> BuiltConfigs:
    """Validate the composed config and build the owners' dataclasses (one-line errors).

    `num_threads`, when given, replaces `cfg.num_threads` (the launcher-aware default of a sweep).
    """
    from simrl.algos.registry import available_algos, get_algo

    if "hydra" in cfg:  # compose(return_hydra_config=True): its ${hydra:...} need a live Hydra
        cfg = OmegaConf.masked_copy(cfg, [k for k in cfg if k != "hydra"])
    data = OmegaConf.to_container(cfg, resolve=True, throw_on_missing=True)
    assert isinstance(data, dict)
    algo_name = str(data["algo"].get("name", ""))
    if algo_name not in available_algos():
        raise ConfigError("algo", algo_name, "is not an algorithm", available_algos())
    try:
        spec = get_algo(algo_name)
    except (ValueError, ImportError, AttributeError) as exc:
        raise ConfigError(
            "algo", algo_name, f"is not available ({_first_line(str(exc))})"
        ) from None
    curriculum = _owner(CurriculumConfig, data["curriculum"], "curriculum")
    env_cfg = _owner(EnvConfig, {**data["env"], "curriculum": curriculum}, "env")
    check_env_id(env_cfg.id)
    _check_int("env.num_threads", env_cfg.num_threads, 1)
    _check_int("env.total_env_steps", data["env"].get("total_env_steps", 1), 1)
    model_cfg = _owner(CoreConfig, data["model"], "model")
    algo_cfg = _owner(spec.config_cls, data["algo"], "algo")
    precision = data["precision"]
    groups = ("algo", "env", "model", "precision", "curriculum")
    run_values = {k: v for k, v in data.items() if k not in groups}
    for run_key, node_key in RUN_FIELDS_IN_PRECISION.items():
        run_values[run_key] = precision[node_key]
    if num_threads is not None:
        run_values["num_threads"] = num_threads
    run_cfg = _owner(RunConfig, run_values, "")
    check_run(run_cfg, precision["recipe"])
    return BuiltConfigs(algo_name, env_cfg, model_cfg, algo_cfg, run_cfg, data)


def one_line(exc: BaseException, overrides: list[str] | None = None) -> str:
    """One line for a Hydra/OmegaConf composition error, naming key, value and what is allowed."""
    from hydra.errors import MissingConfigException, OverrideParseException
    from omegaconf.errors import ConfigAttributeError, ConfigKeyError, OmegaConfBaseException

    if isinstance(exc, ConfigError):
        return str(exc)
    overrides = overrides or []
    if isinstance(exc, MissingConfigException):
        return _missing_option(exc, overrides)
    if isinstance(exc, OverrideParseException):
        bad = next((o for o in overrides if _parse_fails(o)), None)
        where = f"cannot parse override {bad!r}" if bad else "cannot parse the overrides"
        return f"{where}: {_first_line(str(exc))} (syntax: KEY=VALUE, sweeps KEY=A,B)"
    cause = exc.__cause__ if exc.__cause__ is not None else exc
    if isinstance(cause, OmegaConfBaseException) and getattr(cause, "full_key", None):
        key = str(cause.full_key)
        value = _override_value(key, overrides)
        msg = _first_line(getattr(cause, "msg", None) or str(cause))
        if isinstance(cause, (ConfigAttributeError, ConfigKeyError)):
            parent = key.rsplit(".", 1)[0] if "." in key else ""
            keys = _keys_of(cause)
            where = f"'{parent}'" if parent else "the config"
            text = f"{key}={_show(value)}: no such key in {where}"
            if keys:
                text += f"; keys: {', '.join(keys)}"
            return text + f" (add a new key with +{key}=...)"
        return f"{key}={_show(value)}: {msg}"
    return _first_line(str(exc))


def _missing_option(exc: Any, overrides: list[str]) -> str:
    text = str(exc)
    m = re.search(r"Could not (?:find|load) '([^']+)'", text)
    missing = m.group(1) if m else (exc.missing_cfg_file or "")
    group, _, option = missing.rpartition("/")
    options = list(exc.options or [])
    if not options:
        block = text.split("Available options in", 1)
        if len(block) == 2:
            options = [ln.strip() for ln in block[1].splitlines()[1:] if ln.startswith("\t")]
    if not group:
        return f"config {missing!r} not found: {_first_line(text)}"
    hint = ""
    if group == "hydra/launcher":
        hint = " (ray_*: pip install 'simrl[ray]'; slurm*/submitit_*: pip install 'simrl[slurm]')"
    if option.endswith("_schema"):  # an algorithm's module could not be imported
        return f"{group} config needs {option}, which is not registered: {_first_line(text)}"
    return (
        f"{group}={option} is not an option of group {group}; allowed: {', '.join(options)}{hint}"
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
