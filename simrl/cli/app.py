"""Shared plumbing of simrl's Hydra entry points: check the command line, then hand it to Hydra.

`run_app` composes the config of every run the command line starts (each point of a `-m` grid)
with Hydra's public compose API and runs the app's `check` on it, so a bad override stops the
program with one line on stderr (exit status 2) before any run starts and before anything is
written; only then does `hydra.main` take over. Flags that only print (`--help`, `--cfg`,
`--info`, ...) go straight to Hydra.
"""

from __future__ import annotations

import itertools
import os
import sys
from collections.abc import Callable
from typing import Any

from omegaconf import DictConfig, OmegaConf

CONFIG_MODULE = "simrl.conf"
MAX_CHECKED_RUNS = 256  # sweep points composed up front; larger grids check the first ones
USAGE_ERROR = 2
MULTIRUN_FLAGS = ("-m", "--multirun")
# Hydra flags after which the command only prints or does something other than run the app
PASS_THROUGH_FLAGS = (
    "-h", "--help", "--hydra-help", "--version", "--cfg", "-c", "--info", "-i",
    "--shell-completion", "-sc", "--resolve", "--package", "-p", "--config-path", "-cp",
    "--config-name", "-cn", "--config-dir", "-cd", "--experimental-rerun",
)  # fmt: skip


def fail(app: str, message: Any, code: int = USAGE_ERROR) -> None:
    """Print `app: error: message` (first line only) to stderr and exit with `code`."""
    text = " ".join(str(message).split("\n")[0].split()) or type(message).__name__
    print(f"{app}: error: {text}", file=sys.stderr, flush=True)
    sys.exit(code)


def split_argv(argv: list[str]) -> tuple[list[str], bool, bool]:
    """(overrides, multirun?, pass-through?) of a command line; unknown flags pass through to
    Hydra, which reports them."""
    flags = [a for a in argv if a.startswith("-")]
    multirun = any(a in MULTIRUN_FLAGS for a in flags)
    passthrough = any(a.split("=", 1)[0] not in MULTIRUN_FLAGS for a in flags)
    overrides = [a for a in argv if not a.startswith("-")]
    return overrides, multirun, passthrough


def sweep_points(overrides: list[str], multirun: bool) -> list[list[str]]:
    """The override list of each run the command line starts (the grid of the sweep overrides,
    expanded with Hydra's public override parser, in the basic sweeper's order)."""
    from hydra.core.override_parser.overrides_parser import OverridesParser

    parsed = OverridesParser.create().parse_overrides(overrides)
    if not multirun:
        return [overrides]
    axes = []
    for o in parsed:
        if o.is_sweep_override():
            key = o.get_key_element()
            axes.append([f"{key}={v}" for v in o.sweep_string_iterator()])
        else:
            axes.append([o.input_line])
    return [list(point) for point in itertools.product(*axes)]


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
    if GlobalHydra.instance().is_initialized():  # e.g. inside a Hydra app: nothing to compose
        return []
    excludes: list[str] = []
    with initialize_config_module(CONFIG_MODULE, version_base="1.3"):
        for i, point in enumerate(points[:MAX_CHECKED_RUNS]):
            try:
                cfg = compose(config_name, overrides=point, return_hydra_config=True)
                if i == 0:
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
    overrides, multirun, passthrough = split_argv(argv)
    if not passthrough:
        try:
            excludes = check_overrides(config_name, overrides, multirun, check)
        except ValueError as exc:
            fail(app, exc)
        if multirun and excludes:
            argv += sweep_naming(overrides, excludes)
    sys.argv = [app, *argv]
    main = hydra.main(
        version_base="1.3", config_path=f"pkg://{CONFIG_MODULE}", config_name=config_name
    )(task)
    main()
