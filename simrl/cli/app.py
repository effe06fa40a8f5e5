"""Shared plumbing of simrl's Hydra entry points: check the command line, then hand it to Hydra.

`run_app` composes the config for every run of the command line (each point of a `-m` grid) with
Hydra's compose API and runs the app's `check` on it, so a bad override stops the program with one
line on stderr (exit status 2) before any run starts; only then does `hydra.main` take over.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from typing import Any

from omegaconf import DictConfig, OmegaConf

CONFIG_MODULE = "simrl.conf"
MAX_CHECKED_RUNS = 256  # sweep points composed up front; larger grids check the first ones
USAGE_ERROR = 2


def fail(app: str, message: Any, code: int = USAGE_ERROR) -> None:
    """Print `app: error: message` (first line only) to stderr and exit with `code`."""
    text = " ".join(str(message).split("\n")[0].split()) or type(message).__name__
    print(f"{app}: error: {text}", file=sys.stderr, flush=True)
    sys.exit(code)


def sweep_points(overrides: list[str], multirun: bool) -> list[list[str]]:
    """The override list of each run the command line starts (the basic sweeper's grid)."""
    from hydra._internal.core_plugins.basic_sweeper import BasicSweeper
    from hydra.core.override_parser.overrides_parser import OverridesParser

    parsed = OverridesParser.create().parse_overrides(overrides)
    if not multirun:
        return [overrides]
    return BasicSweeper.split_arguments(parsed, None)[0]


def check_overrides(
    config_name: str,
    overrides: list[str],
    multirun: bool,
    check: Callable[[DictConfig], Any] | None,
) -> list[str]:
    """Compose every run of the command line and `check` it; raise ValueError with one line.

    Returns the configured `hydra.job.config.override_dirname.exclude_keys` (for `sweep_naming`).
    """
    from hydra import compose, initialize_config_module
    from hydra.core.global_hydra import GlobalHydra

    from simrl.cli.validate import one_line

    try:
        points = sweep_points(overrides, multirun)
    except Exception as exc:
        raise ValueError(one_line(exc, overrides)) from None
    checked = 0
    was_initialized = GlobalHydra.instance().is_initialized()
    if was_initialized:  # e.g. called from inside a Hydra app; compose needs a fresh instance
        return []
    excludes: list[str] = []
    with initialize_config_module(CONFIG_MODULE, version_base="1.3"):
        for point in points[:MAX_CHECKED_RUNS]:
            try:
                cfg = compose(config_name, overrides=point, return_hydra_config=True)
                if not checked:
                    excludes = list(
                        OmegaConf.select(cfg, "hydra.job.config.override_dirname.exclude_keys")
                        or []
                    )
                if check is not None:
                    check(cfg)
            except Exception as exc:
                multi = len(points) > 1 and not _is_group_error(exc)
                prefix = f"in run {' '.join(point)}: " if multi else ""
                raise ValueError(prefix + one_line(exc, point)) from None
            checked += 1
    return excludes


def sweep_naming(overrides: list[str], excludes: list[str]) -> list[str]:
    """Extra override that names sweep runs by the swept keys only (constants are in
    multirun.yaml and each run's .hydra/overrides.yaml); empty when nothing is swept."""
    from hydra.core.override_parser.overrides_parser import OverridesParser

    parsed = OverridesParser.create().parse_overrides(overrides)
    task = [o for o in parsed if not o.is_hydra_override()]
    if not any(o.is_sweep_override() for o in task):
        return []
    constant = [o.key_or_group for o in task if not o.is_sweep_override()]
    keys = list(dict.fromkeys([*excludes, *constant]))
    return [f"hydra.job.config.override_dirname.exclude_keys=[{','.join(keys)}]"]


def _is_group_error(exc: BaseException) -> bool:
    from hydra.errors import MissingConfigException

    return isinstance(exc, MissingConfigException)


PATH_KEYS = ("checkpoint", "resume", "out")
_SPECIAL = set("=,[]{}()'\" \\:")


def quote_paths(argv: list[str], keys: tuple[str, ...] = PATH_KEYS) -> list[str]:
    """Quote `key=PATH` values that name an existing path holding characters Hydra's override
    grammar would misread (sweep run dirs are named like `algo.lr=0.001,seed=0`)."""
    out = []
    for arg in argv:
        key, sep, value = arg.partition("=")
        if (
            sep
            and key.lstrip("+") in keys
            and value[:1] not in ("'", '"')
            and _SPECIAL & set(value)
            and os.path.exists(value)
        ):
            value = "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"
            arg = f"{key}={value}"
        out.append(arg)
    return out


def _parse_args(argv: list[str]) -> Any:
    from hydra._internal.utils import get_args_parser

    parser = get_args_parser()
    parser.exit_on_error = False

    def error(message: str) -> None:  # argparse would print the usage first: keep it one line
        raise ValueError(message)

    parser.error = error  # type: ignore[method-assign]
    return parser.parse_args(argv)


def run_app(
    app: str,
    config_name: str,
    task: Callable[[DictConfig], Any],
    check: Callable[[DictConfig], Any] | None = None,
    argv: list[str] | None = None,
) -> None:
    """Check the overrides in `argv` (default: sys.argv[1:]) and run `task` as a Hydra app."""
    import hydra

    argv = quote_paths(list(sys.argv[1:] if argv is None else argv))
    informational = "--version" in argv
    if not informational:
        try:
            args = _parse_args(argv)
        except (Exception, SystemExit) as exc:
            fail(app, f"{exc}; see {app} --help")
        flags = ("help", "hydra_help", "cfg", "info", "shell_completion", "experimental_rerun")
        informational = any(getattr(args, f, None) for f in flags) or any(
            getattr(args, f, None) for f in ("config_path", "config_dir")
        )
        informational |= getattr(args, "config_name", None) not in (None, config_name)
    if os.environ.get("SIMRL_SKIP_CHECK"):  # tests: let bad values reach the runs themselves
        check = None
    if not informational:
        try:
            excludes = check_overrides(config_name, args.overrides, args.multirun, check)
        except ValueError as exc:
            fail(app, exc)
        if args.multirun and excludes:
            argv += sweep_naming(args.overrides, excludes)
    sys.argv = [app, *argv]
    main = hydra.main(
        version_base="1.3", config_path=f"pkg://{CONFIG_MODULE}", config_name=config_name
    )(task)
    main()
