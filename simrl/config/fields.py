"""One validation layer for every settings dataclass, derived from its fields.

Every field of a settings dataclass (`GRPOConfig`, `PPOConfig`, `CoreConfig`, `RunConfig`, ...) is
checked against its annotation: integers are integers (not bools), numbers are finite numbers,
flags are bools, strings are strings, `X | None` admits None, nested dataclasses are checked
recursively. Ranges and choices come from the field itself:

    gamma: float = limit(0.99, ge=0.0, le=1.0)
    advantage: str = limit("rtg", choices=ADVANTAGES)

so a new field is covered by construction (at least its type and finiteness) and a limit is
stated once, next to its default. `check_fields(obj)` raises `ConfigValueError`, a one-line
`ValueError` that also carries the field name, the value and the allowed values, so a command
line can name its own key for the field.
"""

from __future__ import annotations

import dataclasses
import math
import types
import typing
from dataclasses import dataclass
from typing import Any

_NO_DEFAULT: Any = dataclasses.MISSING
# Upper bounds of fields that declare none: integers fit int32 (what numpy/torch indices and most
# C-level counts take), numbers stay far from overflow. Fields with real limits declare their own.
INT_CAP = 2**31 - 1
FLOAT_CAP = 1e9
MAX_ROWS = 65536  # simulations (rows) one env may hold: rollouts, groups, evaluation episodes


@dataclass(frozen=True)
class Limits:
    """Range and choice limits of one field (all optional)."""

    ge: float | None = None
    gt: float | None = None
    le: float | None = None
    lt: float | None = None
    choices: tuple[Any, ...] | None = None
    text: str | None = None  # what the value must be, when the generic wording is not right
    what: str | None = None  # noun for choice errors: "is not <what>"


def limit(
    default: Any = _NO_DEFAULT,
    *,
    default_factory: Any = _NO_DEFAULT,
    ge: float | None = None,
    gt: float | None = None,
    le: float | None = None,
    lt: float | None = None,
    choices: tuple[Any, ...] | None = None,
    text: str | None = None,
    what: str | None = None,
) -> Any:
    """A dataclass field with a default and its limits (see the module docstring)."""
    meta = {"limits": Limits(ge, gt, le, lt, tuple(choices) if choices else None, text, what)}
    if default_factory is not _NO_DEFAULT:
        return dataclasses.field(default_factory=default_factory, metadata=meta)
    return dataclasses.field(default=default, metadata=meta)


class UsageError(ValueError):
    """A bad setting, as one line: `key=value why; allowed: ...`."""

    def __init__(self, key: str, value: Any, reason: str, allowed: Any = None) -> None:
        text = f"{key}={'null' if value is None else value} {reason}"
        if allowed is not None:
            items = allowed if isinstance(allowed, (list, tuple, set)) else [allowed]
            text += f"; allowed: {', '.join(str(a) for a in items)}"
        super().__init__(text)
        self.key, self.value, self.reason, self.allowed = key, value, reason, allowed


class ConfigValueError(UsageError):
    """A bad field of a settings dataclass (`GRPOConfig.lr=...`); carries `owner` and `field`, so a
    command line can name its own key for it (`algo.lr`)."""

    def __init__(
        self, owner: str, field: str, value: Any, reason: str, allowed: Any = None
    ) -> None:
        super().__init__(f"{owner}.{field}", repr(value), reason, allowed)
        self.owner, self.field, self.value = owner, field, value


def first_line(message: Any, with_type: bool = False) -> str:
    """The first non-empty line of a message or exception (stripped), for one-line errors;
    `with_type` prefixes an exception's class name (`ValueError: ...`)."""
    lines = [line.strip() for line in str(message).strip().splitlines() if line.strip()]
    text = lines[0] if lines else ""
    if isinstance(message, BaseException) and (with_type or not text):
        return f"{type(message).__name__}: {text}".rstrip(": ")
    return text


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _num(x: float) -> str:
    return repr(x) if isinstance(x, float) else str(x)


def _range_text(kind: str, lim: Limits) -> str | None:
    """'an integer >= 1', 'a number in [0.0, 1.0]', ... or None when there is no range."""
    lo = (">=", lim.ge) if lim.ge is not None else (">", lim.gt) if lim.gt is not None else None
    hi = ("<=", lim.le) if lim.le is not None else ("<", lim.lt) if lim.lt is not None else None
    if lo and hi:
        left = "[" if lo[0] == ">=" else "("
        right = "]" if hi[0] == "<=" else ")"
        return f"{kind} in {left}{_num(lo[1])}, {_num(hi[1])}{right}"
    if lo:
        return f"{kind} {lo[0]} {_num(lo[1])}"
    if hi:
        return f"{kind} {hi[0]} {_num(hi[1])}"
    return None


def _in_range(value: float, lim: Limits) -> bool:
    return not (
        (lim.ge is not None and value < lim.ge)
        or (lim.gt is not None and value <= lim.gt)
        or (lim.le is not None and value > lim.le)
        or (lim.lt is not None and value >= lim.lt)
    )


def _split_optional(tp: Any) -> tuple[Any, bool]:
    """(inner type, whether None is allowed) of `X | None` / `Optional[X]`."""
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        none_ok = len(args) < len(typing.get_args(tp))
        return (args[0] if len(args) == 1 else Any), none_ok
    return tp, False


def check_value(owner: str, name: str, value: Any, tp: Any, lim: Limits | None) -> None:
    """Check one value against its annotation `tp` and limits; raise ConfigValueError. Numbers
    without a declared upper limit are capped at `INT_CAP` / `FLOAT_CAP`."""
    lim = lim or Limits()
    tp, none_ok = _split_optional(tp)
    if value is None:
        if none_ok:
            return
        raise ConfigValueError(owner, name, value, "must not be null")
    if dataclasses.is_dataclass(tp) and isinstance(tp, type):
        if not isinstance(value, tp):
            raise ConfigValueError(owner, name, value, f"must be a {tp.__name__}")
        check_fields(value)
        return
    origin = typing.get_origin(tp) or tp
    if tp is bool:
        if not isinstance(value, bool):
            raise ConfigValueError(owner, name, value, "must be true or false")
        return
    if tp is int:
        kind = "an integer"
        ok = _is_int(value)
    elif tp is float:
        kind = "a number"
        ok = _is_number(value) and math.isfinite(value)
    elif tp is str:
        if not isinstance(value, str):
            raise ConfigValueError(owner, name, value, "must be a string")
        if lim.choices is not None and value not in lim.choices:
            reason = f"is not {lim.what}" if lim.what else "is not one of the choices"
            raise ConfigValueError(owner, name, value, reason, lim.choices)
        return
    elif origin in (list, tuple):
        if not isinstance(value, (list, tuple)):
            raise ConfigValueError(owner, name, value, "must be a list")
        return
    elif origin is dict:
        if not isinstance(value, dict):
            raise ConfigValueError(owner, name, value, "must be a mapping of key: value")
        return
    else:
        return  # Any and other annotations: nothing to derive
    text = lim.text or _range_text(kind, lim) or ("a finite number" if tp is float else kind)
    if not ok or not _in_range(value, lim):
        raise ConfigValueError(owner, name, value, f"must be {'null or ' if none_ok else ''}{text}")
    cap = INT_CAP if tp is int else FLOAT_CAP
    if lim.le is None and lim.lt is None and abs(value) > cap:
        raise ConfigValueError(owner, name, value, f"must be {text} and at most {_num(cap)}")
    if lim.choices is not None and value not in lim.choices:
        raise ConfigValueError(owner, name, value, "is not one of the choices", lim.choices)


def check_fields(obj: Any, owner: str | None = None) -> None:
    """Check every init field of dataclass instance `obj` (see the module docstring); errors name
    the field as `<owner>.<field>` (default owner: the class name)."""
    cls = type(obj)
    hints = typing.get_type_hints(cls)
    for f in dataclasses.fields(obj):
        if f.init:
            lim = f.metadata.get("limits")
            value = getattr(obj, f.name)
            check_value(owner or cls.__name__, f.name, value, hints.get(f.name, Any), lim)


def field_names(cls: type) -> list[str]:
    """The init fields of dataclass `cls`, in order."""
    return [f.name for f in dataclasses.fields(cls) if f.init]


def nearest(key: str, candidates: Any, n: int = 3) -> list[str]:
    """Up to n candidates closest to `key` (difflib), for 'did you mean' hints."""
    import difflib

    pool = list(candidates)
    found = difflib.get_close_matches(key, pool, n=n, cutoff=0.5)
    return found or pool[:n]
