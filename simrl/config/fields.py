"""One validation layer for every settings dataclass, derived from its fields.

Each field is checked against its annotation (integers not bools, finite numbers, bools, strings,
`X | None`, nested dataclasses) and the limits stated once, next to its default:
`gamma: float = limit(0.99, ge=0.0, le=1.0)`, `advantage: str = limit("rtg", choices=ADVANTAGES)`.
Errors are `ConfigValueError`: one line, carrying the field, the value and the allowed values, so
a command line can name its own key for the field.
"""

from __future__ import annotations

import dataclasses
import math
import operator
import types
import typing
from dataclasses import dataclass
from typing import Any

from simrl.messages import UsageError

_NO_DEFAULT: Any = dataclasses.MISSING
# Upper bounds of fields that declare none: integers fit int32 (what numpy/torch indices and most
# C-level counts take), numbers stay far from overflow. Fields with real limits declare their own.
INT_CAP = 2**31 - 1
FLOAT_CAP = 1e9
MAX_ROWS = 65536  # simulations (rows) one env may hold: rollouts, groups, evaluation episodes
_KINDS: dict[Any, tuple[Any, str]] = {  # annotation -> (the types it takes, the reason if not)
    bool: (bool, "must be true or false"),
    str: (str, "must be a string"),
    list: ((list, tuple), "must be a list"),
    tuple: ((list, tuple), "must be a list"),
    dict: (dict, "must be a mapping of key: value"),
}


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


def limit(default: Any = _NO_DEFAULT, *, default_factory: Any = _NO_DEFAULT, **limits: Any) -> Any:
    """A dataclass field with a default and its `Limits` (ge, gt, le, lt, choices, text, what)."""
    limits["choices"] = tuple(limits["choices"]) if limits.get("choices") else None
    meta = {"limits": Limits(**limits)}
    if default_factory is not _NO_DEFAULT:
        return dataclasses.field(default_factory=default_factory, metadata=meta)
    return dataclasses.field(default=default, metadata=meta)


class ConfigValueError(UsageError):
    """A bad field of a settings dataclass (`GRPOConfig.lr=...`); carries `owner` and `field`, so a
    command line can name its own key for it (`algo.lr`)."""

    def __init__(
        self, owner: str, field: str, value: Any, reason: str, allowed: Any = None
    ) -> None:
        super().__init__(f"{owner}.{field}", repr(value), reason, allowed)
        self.owner, self.field, self.value = owner, field, value


def _range_text(kind: str, lim: Limits) -> str | None:
    """'an integer >= 1', 'a number in [0.0, 1.0]', ... or None when there is no range."""
    lo = ("[", ">=", lim.ge) if lim.ge is not None else ("(", ">", lim.gt)
    hi = ("]", "<=", lim.le) if lim.le is not None else (")", "<", lim.lt)
    if lo[2] is not None and hi[2] is not None:
        return f"{kind} in {lo[0]}{lo[2]}, {hi[2]}{hi[0]}"
    bound = lo if lo[2] is not None else hi
    return f"{kind} {bound[1]} {bound[2]}" if bound[2] is not None else None


def _in_range(value: float, lim: Limits) -> bool:
    """Whether `value` is within every bound of `lim` (its bounds are named as in `operator`)."""
    bounds = [(getattr(lim, op), getattr(operator, op)) for op in ("ge", "gt", "le", "lt")]
    return all(bound is None or holds(value, bound) for bound, holds in bounds)


def _split_optional(tp: Any) -> tuple[Any, bool]:
    """(inner type, whether None is allowed) of `X | None` / `Optional[X]`."""
    if typing.get_origin(tp) not in (typing.Union, types.UnionType):
        return tp, False
    args = [a for a in typing.get_args(tp) if a is not type(None)]
    return (args[0] if len(args) == 1 else Any), len(args) < len(typing.get_args(tp))


def check_value(owner: str, name: str, value: Any, tp: Any, lim: Limits | None) -> None:
    """Check one value against its annotation `tp` and limits; raise ConfigValueError. Numbers
    without a declared upper limit are capped at `INT_CAP` / `FLOAT_CAP`."""
    lim = lim or Limits()
    tp, none_ok = _split_optional(tp)
    origin = typing.get_origin(tp) or tp
    if value is None:
        if not none_ok:
            raise ConfigValueError(owner, name, value, "must not be null")
    elif dataclasses.is_dataclass(tp) and isinstance(tp, type):
        if not isinstance(value, tp):
            raise ConfigValueError(owner, name, value, f"must be a {tp.__name__}")
        check_fields(value)
    elif origin in _KINDS:
        kinds, reason = _KINDS[origin]
        if not isinstance(value, kinds):
            raise ConfigValueError(owner, name, value, reason)
        if origin is str and lim.choices is not None and value not in lim.choices:
            reason = f"is not {lim.what}" if lim.what else "is not one of the choices"
            raise ConfigValueError(owner, name, value, reason, lim.choices)
    elif tp in (int, float):  # other annotations (Any, ...): nothing to derive
        ok = isinstance(value, int if tp is int else (int, float)) and not isinstance(value, bool)
        ok = ok and (tp is int or math.isfinite(value))
        kind = "an integer" if tp is int else "a number"
        text = lim.text or _range_text(kind, lim) or ("a finite number" if tp is float else kind)
        if not ok or not _in_range(value, lim):
            nullable = "null or " if none_ok else ""
            raise ConfigValueError(owner, name, value, f"must be {nullable}{text}")
        cap = INT_CAP if tp is int else FLOAT_CAP
        if lim.le is None and lim.lt is None and abs(value) > cap:
            raise ConfigValueError(owner, name, value, f"must be {text} and at most {cap}")
        if lim.choices is not None and value not in lim.choices:
            raise ConfigValueError(owner, name, value, "is not one of the choices", lim.choices)


def check_fields(obj: Any, owner: str | None = None) -> None:
    """Check every init field of dataclass instance `obj` (see the module docstring); errors name
    the field as `<owner>.<field>` (default owner: the class name)."""
    hints = typing.get_type_hints(type(obj))
    for f in dataclasses.fields(obj):
        if f.init:
            value, lim = getattr(obj, f.name), f.metadata.get("limits")
            check_value(owner or type(obj).__name__, f.name, value, hints.get(f.name, Any), lim)


def field_names(cls: type) -> list[str]:
    """The init fields of dataclass `cls`, in order."""
    return [f.name for f in dataclasses.fields(cls) if f.init]
