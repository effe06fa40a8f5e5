"""Nested state for checkpoints: numpy arrays <-> tensors, checked to be weights-only loadable.

Checkpoints are read with `torch.load(weights_only=True)`, which accepts tensors, dicts, lists,
tuples, strings and Python scalars only. `to_tensor_tree` converts env snapshots and other numpy
state into that form (raising a one-line TypeError that names the path of anything else, such as
a live MjData object); `to_array_tree` converts back.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

_PLAIN = (bool, int, float, str, type(None))


def to_tensor_tree(tree: Any, path: str = "state") -> Any:
    """numpy arrays -> tensors, numpy scalars -> Python scalars, dicts/lists recursively."""
    if isinstance(tree, dict):
        return {str(k): to_tensor_tree(v, f"{path}.{k}") for k, v in tree.items()}
    if isinstance(tree, (list, tuple)):
        return [to_tensor_tree(v, f"{path}[{i}]") for i, v in enumerate(tree)]
    if isinstance(tree, np.ndarray):
        if tree.dtype.kind not in "biuf":
            raise TypeError(f"{path} is a numpy array of dtype {tree.dtype}: not checkpointable")
        return torch.from_numpy(np.ascontiguousarray(tree).copy())
    if isinstance(tree, np.generic):
        return tree.item()
    if isinstance(tree, (torch.Tensor, *_PLAIN)):
        return tree
    raise TypeError(
        f"{path} is a {type(tree).__module__}.{type(tree).__qualname__}: not checkpointable "
        "(weights-only checkpoints hold tensors, arrays, dicts, lists and plain values)"
    )


def to_array_tree(tree: Any) -> Any:
    """Inverse of `to_tensor_tree`: tensors -> numpy arrays (copies), containers recursively."""
    if isinstance(tree, dict):
        return {k: to_array_tree(v) for k, v in tree.items()}
    if isinstance(tree, list):
        return [to_array_tree(v) for v in tree]
    if isinstance(tree, torch.Tensor):
        return tree.detach().cpu().numpy().copy()
    return tree


def state_mismatch(expected: dict[str, torch.Tensor], got: dict[str, Any]) -> str | None:
    """The first differences between a module's state_dict and a loaded one (missing or
    unexpected keys, shapes), as one line; None if they fit."""
    problems = []
    for key, want in expected.items():
        have = got.get(key)
        if have is None:
            problems.append(f"{key} {tuple(want.shape)} missing from the checkpoint")
        elif hasattr(have, "shape") and tuple(have.shape) != tuple(want.shape):
            problems.append(
                f"{key} is {tuple(have.shape)} in the checkpoint, {tuple(want.shape)} here"
            )
    problems += [f"{k} {tuple(getattr(v, 'shape', ()))} not in this model" for k, v in got.items()
                 if k not in expected]  # fmt: skip
    if not problems:
        return None
    more = f" (and {len(problems) - 2} more)" if len(problems) > 2 else ""
    return "; ".join(problems[:2]) + more
