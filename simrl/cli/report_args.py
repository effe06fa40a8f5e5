"""simrl-report's command line: `DIR` and `key=value` settings like the other simrl apps.

    simrl-report DIR [out=PATH] [plots=false]
    simrl-report dir=DIR out=PATH

The older flags still work: `--out PATH` (or `--out=PATH`) and `--no-plots`. Every bad argument
is one line naming it and what is allowed.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from simrl.cli.usage import UsageError as ConfigError

KEYS = ("dir", "out", "plots")
BOOLS = {"true": True, "false": False}


@dataclass
class ReportArgs:
    """What to report on and where."""

    dir: str
    out: str | None = None
    plots: bool = True


def _set(values: dict[str, str], key: str, value: str) -> None:
    if key not in KEYS:
        raise ConfigError(key, value, "is not a simrl-report setting", KEYS)
    if not value:
        raise ConfigError(key, "''", "is empty; give a value")
    values[key] = value


def parse_args(argv: list[str]) -> ReportArgs:
    """ReportArgs from the command line (ConfigError, one line, for anything else)."""
    values: dict[str, str] = {}
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
        elif "dir" in values:
            raise ConfigError("dir", arg, f"is a second directory (first: {values['dir']})")
        else:
            values["dir"] = arg
        i += 1
    if "dir" not in values:
        raise ConfigError("dir", "''", "is required: simrl-report DIR [out=PATH] [plots=false]")
    plots = values.get("plots", "true").lower()
    if plots not in BOOLS:
        raise ConfigError("plots", values["plots"], "must be true or false")
    return ReportArgs(values["dir"], values.get("out"), BOOLS[plots])
