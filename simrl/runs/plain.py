"""Config dataclasses <-> plain dicts, so checkpoints can rebuild a trainer without Hydra."""

from __future__ import annotations

import dataclasses
import typing
from collections.abc import Sequence
from typing import Any


def to_plain(obj: Any) -> Any:
    """Dataclasses, mappings and sequences -> dict/list/primitives (safe for weights_only loads)."""
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: to_plain(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
    if isinstance(obj, dict) or hasattr(obj, "items"):
        return {str(k): to_plain(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)) or (
        isinstance(obj, Sequence) and not isinstance(obj, (str, bytes))
    ):  # includes OmegaConf ListConfig
        return [to_plain(v) for v in obj]
    if getattr(obj, "ndim", 0) > 0 and hasattr(obj, "tolist"):  # numpy arrays / tensors
        return to_plain(obj.tolist())
    return to_scalar(obj)


def to_scalar(obj: Any) -> Any:
    """Exact Python bool/int/float/str/None (numpy and torch scalars converted; others -> str).

    numpy scalars subclass float/int but pickle as numpy objects, which `weights_only` loads refuse.
    """
    if obj is None or type(obj) in (bool, int, float, str):
        return obj
    if isinstance(obj, bool):
        return bool(obj)
    if isinstance(obj, int):
        return int(obj)
    if isinstance(obj, float):
        return float(obj)
    if isinstance(obj, str):
        return str(obj)
    if hasattr(obj, "item"):  # numpy / torch scalars
        return obj.item()
    return str(obj)


def from_plain(cls: type, data: dict[str, Any] | None) -> Any:
    """Build dataclass `cls` from `to_plain` output; nested dataclass fields are rebuilt too.

    Keys the dataclass does not know are ignored (older/newer checkpoints stay loadable).
    """
    if data is None:
        return cls()
    if dataclasses.is_dataclass(data):
        return data
    try:
        hints = typing.get_type_hints(cls)
    except Exception:
        hints = {}
    kwargs = {}
    for f in dataclasses.fields(cls):
        if f.name not in data or not f.init:
            continue
        value = data[f.name]
        hint = hints.get(f.name)
        if isinstance(value, dict):
            for candidate in (hint, *typing.get_args(hint)):
                if isinstance(candidate, type) and dataclasses.is_dataclass(candidate):
                    value = from_plain(candidate, value)
                    break
        kwargs[f.name] = value
    return cls(**kwargs)
