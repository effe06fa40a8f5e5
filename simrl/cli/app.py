"""Shared plumbing of simrl's Hydra entry points: check the command line, then hand it to Hydra.

`run_app` composes the config of every run the command line starts (each point of a `-m` grid)
with Hydra's public compose API and runs the app's `check` on it, so a bad override stops the
program with one line on stderr (exit status 2) before any run starts and before anything is
written; only then does `hydra.main` take over. Flags that only print (`--help`, `--cfg`,
`--info`, ...) go straight to Hydra.
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
from collections.abc import Callable
from typing import Any

from omegaconf import DictConfig

from simrl.config.sweep import CONFIG_MODULE, check_overrides, sweep_naming

USAGE_ERROR = 2
MULTIRUN_FLAGS = ("-m", "--multirun")
# Hydra flags after which the command only prints or does something other than run the app
PASS_THROUGH_FLAGS = (
    "-h", "--help", "--hydra-help", "--version", "--cfg", "-c", "--info", "-i",
    "--shell-completion", "-sc", "--resolve", "--package", "-p", "--experimental-rerun",
)  # fmt: skip
# Hydra flags that take a value as the next argument
VALUE_FLAGS = (
    "--cfg", "-c", "--package", "-p", "--experimental-rerun", "--config-dir", "-cd",
    "--config-path", "-cp", "--config-name", "-cn", "--shell-completion", "-sc",
)  # fmt: skip
CONFIG_DIR_FLAGS = ("--config-dir", "-cd")
FIXED_CONFIG_FLAGS = ("--config-path", "-cp", "--config-name", "-cn")


def fail(app: str, message: Any, code: int = USAGE_ERROR) -> None:
    """Print `app: error: message` (first line only) to stderr and exit with `code`."""
    from simrl.messages import first_line

    text = " ".join(first_line(message).split()) or type(message).__name__
    print(f"{app}: error: {text}", file=sys.stderr, flush=True)
    sys.exit(code)


def split_argv(argv: list[str]) -> tuple[list[str], bool, bool]:
    """(overrides, multirun?, pass-through?) of a command line; flags and their values are not
    overrides; unknown flags pass through to Hydra, which reports them."""
    overrides, multirun, passthrough = [], False, False
    i = 0
    while i < len(argv):
        arg = argv[i]
        name = arg.split("=", 1)[0]
        if not arg.startswith("-"):
            overrides.append(arg)
        elif name in MULTIRUN_FLAGS:
            multirun = True
        elif name in CONFIG_DIR_FLAGS or name in FIXED_CONFIG_FLAGS:
            i += 0 if "=" in arg else 1
        else:
            passthrough = True
            if name in VALUE_FLAGS and "=" not in arg:
                i += 1
        i += 1
    return overrides, multirun, passthrough


def config_dir_overrides(app: str, argv: list[str]) -> list[str]:
    """The search-path override that `--config-dir DIR` stands for, so the up-front checks
    compose exactly what Hydra will run; `--config-name` / `--config-path` are refused (each app
    has one primary config: add your own groups with `--config-dir`)."""
    out = []
    for i, arg in enumerate(argv):
        name, eq, value = arg.partition("=")
        if name in FIXED_CONFIG_FLAGS:
            fail(app, f"{name}: {app} always uses its own primary config; add config groups or "
                      "presets of your own with --config-dir DIR")  # fmt: skip
        if name in CONFIG_DIR_FLAGS:
            value = value if eq else (argv[i + 1] if i + 1 < len(argv) else "")
            path = os.path.abspath(os.path.expanduser(value)) if value else ""
            if not value or not os.path.isdir(path):
                fail(app, f"{name}={value} is not a directory; give a folder of config groups")
            out.append(f"hydra.searchpath=[file://{path}]")
    return out


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
    claim: Callable[[DictConfig], Any] | None = None,
) -> None:
    """Check the overrides in `argv` (default: sys.argv[1:]) and run `task` as a Hydra app
    (`claim`: see `check_overrides`)."""
    with interrupts_exit(app):
        _run_app(app, config_name, task, check, argv, claim)


class Terminated(KeyboardInterrupt):
    """SIGTERM before a run has its own handlers (start-up): handled like Ctrl-C, exit 143."""


def _on_term(signum: int, frame: Any) -> None:
    raise Terminated


_on_term.startup_only = True  # type: ignore[attr-defined]  # the run loop does not hand on to it


@contextlib.contextmanager
def interrupts_exit(app: str) -> Any:
    """Ctrl-C or SIGTERM at any moment outside a run's own handling (start-up, composing,
    evaluation, reports) ends the program with one line and exit status 130 / 143, never a
    traceback. Runs handle the signals themselves (checkpoint, `status: stopped`)."""
    import signal

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _on_term)
    try:
        yield
    except Terminated:
        print(f"{app}: terminated (SIGTERM)", file=sys.stderr, flush=True)
        sys.exit(143)
    except KeyboardInterrupt:
        print(f"{app}: interrupted (Ctrl-C)", file=sys.stderr, flush=True)
        sys.exit(130)


def _run_app(
    app: str,
    config_name: str,
    task: Callable[[DictConfig], Any],
    check: Callable[[DictConfig], Any] | None,
    argv: list[str] | None,
    claim: Callable[[DictConfig], Any] | None,
) -> None:
    import hydra

    from simrl.cli.help import register_help

    register_help()
    argv = quote_paths(list(sys.argv[1:] if argv is None else argv))
    overrides, multirun, passthrough = split_argv(argv)
    if not passthrough:
        try:
            checked = [*overrides, *config_dir_overrides(app, argv)]
            excludes = check_overrides(config_name, checked, multirun, check, claim)
        except ValueError as exc:
            fail(app, exc)
        if multirun and excludes:
            argv += sweep_naming(overrides, excludes)
    sys.argv = [app, *argv]
    main = hydra.main(
        version_base="1.3", config_path=f"pkg://{CONFIG_MODULE}", config_name=config_name
    )(task)
    main()
