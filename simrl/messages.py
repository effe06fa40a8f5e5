"""One-line messages for errors: `UsageError` (`key=value why; allowed: ...`), the first line of a
message, the nearest names for a 'did you mean' hint."""

from __future__ import annotations

import difflib
from typing import Any


class UsageError(ValueError):
    """A bad setting, as one line: `key=value why; allowed: ...`."""

    def __init__(self, key: str, value: Any, reason: str, allowed: Any = None) -> None:
        text = f"{key}={'null' if value is None else value} {reason}"
        if allowed is not None:
            items = allowed if isinstance(allowed, (list, tuple, set)) else [allowed]
            text += f"; allowed: {', '.join(str(a) for a in items)}"
        super().__init__(text)
        self.key, self.value, self.reason, self.allowed = key, value, reason, allowed


def first_line(message: Any, with_type: bool = False) -> str:
    """The first non-empty line of a message or exception (stripped), for one-line errors;
    `with_type` prefixes an exception's class name (`ValueError: ...`)."""
    lines = [line.strip() for line in str(message).strip().splitlines() if line.strip()]
    text = lines[0] if lines else ""
    if isinstance(message, BaseException) and (with_type or not text):
        return f"{type(message).__name__}: {text}".rstrip(": ")
    return text


def nearest(key: str, candidates: Any, n: int = 3) -> list[str]:
    """Up to n candidates closest to `key` (difflib), for 'did you mean' hints."""
    pool = list(candidates)
    found = difflib.get_close_matches(key, pool, n=n, cutoff=0.5)
    return found or pool[:n]
