"""Hydra's and OmegaConf's composition errors as one line: the missing config
and its options, the full key with the nearest valid ones, an override that does not parse;
rendered from the exceptions' attributes, never by parsing their text. Config-value errors
(`simrl.config.build`) pass through with their command-line key.
"""

from __future__ import annotations

from typing import Any

from simrl.config.build import ConfigError, render
from simrl.config.fields import ConfigValueError
from simrl.messages import first_line, nearest


def _show(value: Any) -> str:
    return "null" if value is None else str(value)


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
            elif parent == "env.options":  # env=gym: no declared options, gymnasium.make's kwargs
                text += f" (a gymnasium.make keyword of env.id is added with +{key}=VALUE)"
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
