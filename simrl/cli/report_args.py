"""simrl-report's command line: `DIR` and `key=value` settings like the other simrl apps.

    simrl-report DIR [out=PATH] [plots=false] [target=-4.5]
    simrl-report dir=DIR out=PATH
    simrl-report mode=compare DIR1 DIR2 ... [out=DIR] [rewrite=true]   (simrl-bench output dirs)
    simrl-report mode=robust DIR1 DIR2 ... [out=DIR]

The older flags still work: `--out PATH` (or `--out=PATH`) and `--no-plots`. Every bad argument
is one line naming it and what is allowed.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field

from simrl.messages import UsageError as ConfigError

KEYS = ("dir", "out", "plots", "mode", "target", "rewrite")
MODES = ("sweep", "compare", "robust")
BOOLS = {"true": True, "false": False}


@dataclass
class ReportArgs:
    """What to report on and where (`dirs`: every directory given, `dir` the first)."""

    dir: str
    out: str | None = None
    plots: bool = True
    mode: str = "sweep"
    target: float | None = None
    rewrite: bool = False
    dirs: list[str] = field(default_factory=list)


def _bool(values: dict[str, str], key: str, default: str) -> bool:
    value = values.get(key, default).lower()
    if value not in BOOLS:
        raise ConfigError(key, values[key], "must be true or false")
    return BOOLS[value]


def _target(values: dict[str, str]) -> float | None:
    if "target" not in values:
        return None
    try:
        target = float(values["target"])
    except ValueError:
        target = float("nan")
    if not math.isfinite(target):
        raise ConfigError("target", values["target"], "must be a finite number (a return)")
    return target


def _set(values: dict[str, str], key: str, value: str) -> None:
    if key not in KEYS:
        raise ConfigError(key, value, "is not a simrl-report setting", KEYS)
    if not value:
        raise ConfigError(key, "''", "is empty; give a value")
    values[key] = value


def parse_args(argv: list[str]) -> ReportArgs:
    """ReportArgs from the command line (ConfigError, one line, for anything else)."""
    values: dict[str, str] = {}
    dirs: list[str] = []
    i = 0
    while i < len(argv):
        arg = argv[i]
        if arg == "--no-plots":
            values["plots"] = "false"
        elif arg == "--out" or arg.startswith("--out="):
            if "=" in arg:
                value = arg.split("=", 1)[1]
            elif i + 1 < len(argv):
                i += 1
                value = argv[i]
            else:
                raise ConfigError("--out", "''", "needs a path: --out PATH or out=PATH")
            _set(values, "out", value)
        elif arg.startswith("-"):
            raise ConfigError(arg, "''", "is not a simrl-report flag", ("--out", "--no-plots"))
        elif "=" in arg and not os.path.exists(arg):  # sweep run dirs have `=` in their names
            key, value = arg.split("=", 1)
            _set(values, key.lstrip("+"), value)
        else:
            dirs.append(arg)
        i += 1
    mode = values.get("mode", "sweep")
    if mode not in MODES:
        raise ConfigError("mode", mode, "is not a simrl-report mode", MODES)
    dirs = ([values["dir"]] if "dir" in values else []) + dirs
    if not dirs:
        raise ConfigError("dir", "''", "is required: simrl-report DIR [out=PATH] [plots=false]")
    if mode == "sweep" and len(dirs) > 1:
        raise ConfigError("dir", dirs[1], f"is a second directory (first: {dirs[0]})")
    for key, modes in (("target", ("sweep",)), ("rewrite", ("compare",))):
        if key in values and mode not in modes:
            raise ConfigError(key, values[key], f"only applies to mode={'|'.join(modes)}")
    return ReportArgs(
        dirs[0],
        values.get("out"),
        _bool(values, "plots", "true"),
        mode,
        _target(values),
        _bool(values, "rewrite", "false"),
        dirs,
    )
