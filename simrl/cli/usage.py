"""A light one-line usage error for the apps that do not compose a training config.

Same wording as `simrl.cli.build.ConfigError` (`key=value why; allowed: ...`) without its
imports (torch, the simulators), so `simrl-report` starts fast.
"""

from __future__ import annotations

from typing import Any


class UsageError(ValueError):
    """A bad command-line value, as one line: key=value, why, and the allowed values."""

    def __init__(self, key: str, value: Any, reason: str, allowed: Any = None) -> None:
        text = f"{key}={'null' if value is None else value} {reason}"
        if allowed is not None:
            items = allowed if isinstance(allowed, (list, tuple, set)) else [allowed]
            text += f"; allowed: {', '.join(str(a) for a in items)}"
        super().__init__(text)
        self.key, self.value, self.allowed = key, value, allowed
