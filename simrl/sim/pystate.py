"""The Python side of a Gymnasium env's state: exact copies between env objects, and a
checkpoint-safe encoding of it.

The generic path (`simrl.sim.gym_rows`) copies an unwrapped env attribute by attribute of its
instance ``__dict__`` (`copy_attributes`):

- kept, each row keeps its own (`is_kept`): every object of the `mujoco` package (the `MjModel`,
  whose per-episode edits `gym_rows.ModelEdits` copies; renderers, scenes, contexts, specs) and
  Gymnasium's MuJoCo renderer, numpy views into MuJoCo memory (``self.qpos = self.data.qpos``: the
  destination's own view shows the copied data), Gymnasium spaces and `EnvSpec`, modules,
  functions, methods and classes, and the constructor records ``metadata``, ``_ezpickle_args``
  and ``_ezpickle_kwargs``. An `MjData` attribute is copied into the destination's own with
  `mj_copyData`.
- nested envs (an attribute holding a `gym.Env`, e.g. a maze env driving an inner Ant env) are
  copied into the destination's own nested env by the same rules, recursively (a deep copy would
  rebuild them fresh: Gymnasium's EzPickle pickles an env as its constructor arguments).
- everything else (goals, counters, previous observations, the env's `np_random`, helper objects)
  is deep-copied in one go with a memo that maps the source's kept objects, nested envs and the
  source env itself to the destination's own, so a helper that points back at the env or its
  MjData points at the destination's after the copy, and aliasing between attributes is kept.
  Attributes the source lacks are deleted from the destination.

`export_attributes` encodes the copied attributes of K env objects as nested dicts whose leaves are
numpy arrays with a leading row axis of K: what `torch.load(weights_only=True)`, start-state banks
and row selection accept. `import_attributes` decodes them. Encodable values: None, bool, int (any
size), float, str, numeric or bool numpy arrays and scalars, numpy `Generator` and `RandomState`
(their stream state), tuples, lists and dicts with string keys of these, and nested envs, with the
same structure in every row (None or a missing attribute may stand in for the value in some rows).
Each attribute is restored on its own: aliasing between attributes is not kept by an export.
Leaves have fixed widths (strings padded to multiples of 64 characters, ints beyond int64 as at
least four 32-bit words), so snapshots whose attributes have the same types and shapes concatenate
along the rows.

Any other value (a helper object: a maze layout, a name-to-id table) is, in a checkpoint
(``strict``), saved as the SHA-256 digest of its pickle: loading checks that the row's own object
(built from the same id and options) has the same digest and raises one line naming the attribute
if not, so static helpers checkpoint and changed ones are never silently lost. A value that does
not even pickle raises `NotExportable` naming the attribute, the place inside it and its type. In
memory (`get_state`) such values are kept as deep copies instead (exact, not checkpoint-safe).
"""

from __future__ import annotations

import copy
import hashlib
import pickle
import types
from collections.abc import Sequence
from typing import Any

import gymnasium as gym
import mujoco
import numpy as np
from gymnasium.envs.registration import EnvSpec

from simrl.sim.sampling import generator_from_state

KEPT_NAMES = frozenset({"metadata", "_ezpickle_args", "_ezpickle_kwargs"})
_KEPT_TYPES = (
    gym.Space,
    EnvSpec,
    types.ModuleType,
    types.FunctionType,
    types.BuiltinFunctionType,
    types.MethodType,
    type,
)
_KEPT_MODULES = ("mujoco.", "gymnasium.envs.mujoco.mujoco_rendering")
_ABSENT = object()  # the attribute is missing from that row's env
_NONE, _MISSING = 1, 2  # codes of "missing" leaves: None, attribute absent


class NotExportable(ValueError):
    """A Python attribute value that the checkpoint-safe encoding cannot hold."""

    def __init__(self, path: str, value: Any, why: str = "") -> None:
        self.path, self.type_name = path, type(value).__qualname__
        super().__init__(f"{path} holds a {self.type_name}{why}")


def _mujoco_view(arr: np.ndarray) -> bool:
    """True for a numpy view into memory owned by a MuJoCo struct (MjData/MjModel arrays)."""
    base = arr.base
    while isinstance(base, np.ndarray):
        base = base.base
    return base is not None and type(base).__name__ == "PyCapsule"


_ATOMIC = frozenset({bool, int, float, complex, str, bytes, type(None)})
_kept_types: dict[type, bool] = {}  # is_kept by type, for every type but numpy arrays


def is_kept(name: str, value: Any) -> bool:
    """True for an attribute each row keeps as its own (see the module docstring)."""
    if name in KEPT_NAMES:
        return True
    if isinstance(value, np.ndarray):
        return _mujoco_view(value)
    t = type(value)
    kept = _kept_types.get(t)
    if kept is None:
        module = t.__module__
        kept = issubclass(t, _KEPT_TYPES) or module == "mujoco" or module.startswith(_KEPT_MODULES)
        _kept_types[t] = kept
    return kept


def _copy_generator(gen: np.random.Generator) -> np.random.Generator:
    """What `copy.deepcopy(gen)` gives (same stream, own SeedSequence), about 3x faster."""
    bit = gen.bit_generator
    seq = bit.seed_seq
    if type(seq) is not np.random.SeedSequence:
        return copy.deepcopy(gen)
    seq = np.random.SeedSequence(
        seq.entropy,
        spawn_key=seq.spawn_key,
        pool_size=seq.pool_size,
        n_children_spawned=seq.n_children_spawned,
    )
    new = type(bit)(seq)
    new.state = bit.state
    return np.random.Generator(new)


def _copy_data(src: mujoco.MjData, dst: mujoco.MjData) -> None:
    """mj_copyData into dst's own MjData (same model sizes required)."""
    if (src.nbuffer, src.narena) != (dst.nbuffer, dst.narena):
        raise ValueError(
            f"cannot copy an MjData of {src.nbuffer}+{src.narena} bytes into one of "
            f"{dst.nbuffer}+{dst.narena} bytes (the rows' models differ in size)"
        )
    mujoco.mj_copyData(dst, dst.model, src)


def _plan(src: Any, dst: Any, done: dict[int, Any]) -> tuple[dict[int, Any], dict[str, Any], list]:
    """How to copy src's attributes into dst: (deep-copy memo mapping src, its kept objects and
    nested envs to dst's own; atomic values copied as they are; the steps)."""
    memo: dict[int, Any] = {id(src): dst, id(_ABSENT): _ABSENT}
    atomic: dict[str, Any] = {}
    steps: list[tuple[str, Any, Any]] = []  # ("data" | "env" | "deep", name or src, dst)
    theirs = dst.__dict__
    for name, value in src.__dict__.items():
        if type(value) in _ATOMIC and name not in KEPT_NAMES:
            atomic[name] = value
            continue
        mine = theirs.get(name, value)
        if isinstance(value, gym.Env) and name not in KEPT_NAMES:
            if id(value) in done:  # an env being copied already (a back reference)
                memo[id(value)] = done[id(value)]
            elif type(mine) is type(value) and mine is not value:
                memo[id(value)] = mine
                steps.append(("env", value, mine))
            else:
                raise ValueError(
                    f"{type(src).__name__}.{name} holds an env ({type(value).__name__}) that the "
                    "destination lacks; nested envs are copied into the destination's own"
                )
        elif is_kept(name, value):
            memo[id(value)] = mine
            if isinstance(value, mujoco.MjData) and isinstance(mine, mujoco.MjData):
                if mine is not value and id(value) not in done:
                    steps.append(("data", value, mine))
                    done[id(value)] = mine
        else:
            steps.append(("deep", name, None))
            if type(value) is np.random.Generator and id(value) not in memo:
                memo[id(value)] = _copy_generator(value)
    return memo, atomic, steps


def _drop_extra(dst: Any, keep: Any) -> None:
    """Delete dst's copied attributes whose names are not in `keep`."""
    extra = [n for n, v in dst.__dict__.items() if n not in keep and not is_kept(n, v)]
    for name in extra:
        del dst.__dict__[name]


def copy_attributes(src: Any, dst: Any, done: dict[int, Any] | None = None) -> None:
    """Make dst's copied attributes an exact deep copy of src's (see the module docstring).

    Nested envs are copied into dst's own (recursively) and MjData attributes with
    `mj_copyData` into dst's own, except the MjData objects in `done` (id -> dst's, already
    copied by the caller)."""
    done = {} if done is None else done
    done[id(src)] = dst
    memo, new, steps = _plan(src, dst, done)
    mine = src.__dict__
    for kind, a, b in steps:
        if kind == "data":
            _copy_data(a, b)
        elif kind == "env":
            copy_attributes(a, b, done)
    for kind, name, _ in steps:
        if kind == "deep":
            new[name] = copy.deepcopy(mine[name], memo)
    _drop_extra(dst, mine)
    dst.__dict__.update(new)


# ------------------------------------------------------------------------------ the encoding
def _kind(value: Any) -> str | None:
    if value is _ABSENT or value is None:
        return "missing"
    t = type(value)
    if t in (bool, int, float, str, tuple, list, dict):
        return t.__name__
    if isinstance(value, np.ndarray):
        return "ndarray" if value.dtype.kind in "biuf" and value.dtype.isnative else None
    if isinstance(value, np.generic):
        return "npscalar" if value.dtype.kind in "biuf" and value.dtype.isnative else None
    if isinstance(value, np.random.Generator):
        return "generator"
    if isinstance(value, np.random.RandomState):
        return "random_state"
    if isinstance(value, gym.Env):
        return "env"
    return None


def _missing_codes(values: Sequence[Any]) -> np.ndarray:
    return np.array(
        [
            0 if v is not None and v is not _ABSENT else _NONE if v is None else _MISSING
            for v in values
        ],
        np.int8,
    )


def encode(values: Sequence[Any], path: str) -> dict[str, Any]:
    """One value per row -> a single-key dict node whose leaves have a leading row axis."""
    kinds = [_kind(v) for v in values]
    for v, k in zip(values, kinds, strict=True):
        if k is None:
            raise NotExportable(path, v)
    present = sorted({k for k in kinds if k != "missing"})
    if not present:
        return {"missing": _missing_codes(values)}
    if len(present) > 1:
        raise NotExportable(
            path, values[kinds.index(present[1])], f" in some rows, a {present[0]} in others"
        )
    kind = present[0]
    if "missing" not in kinds:
        return _encode_kind(kind, values, path)
    filler = values[kinds.index(kind)]
    filled = [filler if k == "missing" else v for v, k in zip(values, kinds, strict=True)]
    return {
        "optional": {"missing": _missing_codes(values), "value": _encode_kind(kind, filled, path)}
    }


def _same(values: Sequence[Any], key: Any, path: str, what: str) -> Any:
    first = key(values[0])
    for v in values[1:]:
        if key(v) != first:
            raise NotExportable(path, v, f" whose {what} differs between rows")
    return first


def _encode_kind(kind: str, values: Sequence[Any], path: str) -> dict[str, Any]:
    k = len(values)
    if kind == "bool":
        return {"bool": np.array(values, bool)}
    if kind == "float":
        return {"float": np.array(values, np.float64)}
    if kind == "int":
        if all(-(2**63) <= v < 2**63 for v in values):
            return {"int": np.array(values, np.int64)}
        mags = [abs(v) for v in values]
        width = max(4, (max(m.bit_length() for m in mags) + 31) // 32)  # 4: 128-bit RNG words
        words = [[(m >> (32 * j)) & 0xFFFFFFFF for j in range(width)] for m in mags]
        return {
            "bigint": {
                "negative": np.array([v < 0 for v in values]),
                "words": np.array(words, np.uint32),
            }
        }
    if kind == "str":
        width = -(-max(1, *(len(v) for v in values)) // 64) * 64  # snapshots concatenate
        return {"str": np.array(values, f"<U{width}").view(np.uint32).reshape(k, width)}
    if kind == "ndarray":
        _same(values, lambda a: (a.dtype, a.shape), path, "dtype or shape")
        return {"ndarray": np.stack(values)}
    if kind == "npscalar":
        dtype = _same(values, lambda a: a.dtype, path, "dtype")
        return {"npscalar": np.array(values, dtype)}
    if kind == "generator":
        states = [g.bit_generator.state for g in values]
        return {"generator": encode(states, f"{path}.bit_generator.state")}
    if kind == "env":  # a nested env: its own copied attributes (loaded into the row's own)
        return {"env": export_attributes(values, strict=True, path=f"{path}.")[0]}
    if kind == "random_state":
        states = [r.get_state(legacy=False) for r in values]
        return {"random_state": encode(states, f"{path}.get_state()")}
    if kind in ("tuple", "list"):
        n = _same(values, len, path, "length")
        items = {str(j): encode([v[j] for v in values], f"{path}[{j}]") for j in range(n)}
        return {kind: {"len": np.full(k, n, np.int64), "items": items}}
    # dict
    keys = _same(values, lambda d: list(d), path, "keys")
    for key in keys:
        if not isinstance(key, str):
            raise NotExportable(f"{path} key {key!r}", key, " (keys must be strings)")
    items = {key: encode([v[key] for v in values], f"{path}[{key!r}]") for key in keys}
    return {"dict": {"len": np.full(k, len(keys), np.int64), "items": items}}


def _arr(x: Any) -> np.ndarray:
    return x.numpy() if hasattr(x, "numpy") and not isinstance(x, np.ndarray) else np.asarray(x)


def decode(node: dict[str, Any], k: int) -> list[Any]:
    """Inverse of `encode`: K fresh values (arrays may be torch tensors)."""
    ((tag, payload),) = node.items()
    if tag == "missing":
        return [None if c == _NONE else _ABSENT for c in _arr(payload).tolist()]
    if tag == "optional":
        values = decode(payload["value"], k)
        codes = _arr(payload["missing"]).tolist()
        return [
            v if c == 0 else None if c == _NONE else _ABSENT
            for v, c in zip(values, codes, strict=True)
        ]
    if tag in ("bool", "int", "float"):
        return _arr(payload).tolist()
    if tag == "bigint":
        words = _arr(payload["words"]).astype(np.uint64).tolist()
        negative = _arr(payload["negative"]).tolist()
        mags = [sum(w << (32 * j) for j, w in enumerate(row)) for row in words]
        return [-m if neg else m for m, neg in zip(mags, negative, strict=True)]
    if tag == "str":
        codes = np.ascontiguousarray(_arr(payload), np.uint32)
        return [str(s) for s in codes.view(f"<U{codes.shape[1]}").reshape(k)]
    if tag == "ndarray":
        arr = _arr(payload)
        return [np.array(arr[i]) for i in range(k)]
    if tag == "npscalar":
        arr = _arr(payload)
        return [arr[i] for i in range(k)]
    if tag == "generator":
        return [generator_from_state(s) for s in decode(payload, k)]
    if tag == "random_state":
        out = []
        for state in decode(payload, k):
            rs = np.random.RandomState()
            rs.set_state(state)
            out.append(rs)
        return out
    if tag == "env":
        raise ValueError("a nested env in a snapshot is loaded by import_attributes, not decoded")
    items = payload.get("items", {})
    if tag in ("tuple", "list"):
        columns = [decode(items[str(j)], k) for j in range(len(items))]
        make = tuple if tag == "tuple" else list
        return [make(col[i] for col in columns) for i in range(k)]
    if tag == "dict":
        columns = {key: decode(sub, k) for key, sub in items.items()}
        return [{key: col[i] for key, col in columns.items()} for i in range(k)]
    raise ValueError(f"unknown node {tag!r} in a Python-state snapshot")


# ------------------------------------------------------------------------- whole attributes
def copied_names(envs: Sequence[Any]) -> list[str]:
    """Names of the copied attributes of any of `envs`, in first-seen order."""
    names: dict[str, None] = {}
    for env in envs:
        for name, value in env.__dict__.items():
            if not is_kept(name, value):
                names.setdefault(name, None)
    return list(names)


def export_attributes(
    envs: Sequence[Any],
    strict: bool = True,
    path: str = "",
    static: dict[str, bytes] | None = None,
) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """Encode the copied attributes of `envs` (one row each): (encoded, in-memory fallback).

    A value that cannot be encoded is saved as its pickle digest when `strict` (a checkpoint) or
    when every row's digest equals `static[name]` (the digest it had when the env was built: a
    static helper); otherwise `strict` raises `NotExportable`, and a non-strict export keeps deep
    copies in the fallback, which `import_attributes` loads (exact, not checkpoint-safe). Nested
    envs are encoded recursively and strictly (a deep copy would rebuild them fresh).
    """
    encoded: dict[str, Any] = {}
    fallback: dict[str, list[Any]] = {}
    static = static or {}
    for name in copied_names(envs):
        values = [env.__dict__.get(name, _ABSENT) for env in envs]
        try:
            encoded[name] = encode(values, f"{path}{name}")
        except NotExportable:
            if any(isinstance(v, gym.Env) for v in values):
                raise
            digests = _digests(values)
            ref = static.get(name)
            if digests is not None and (strict or all(d.tobytes() == ref for d in digests)):
                encoded[name] = {"digest": digests}
            elif strict:
                raise
            else:
                fallback[name] = values
    if not fallback:
        return encoded, None
    rows = []
    for env in envs:
        memo = {id(env): env, id(_ABSENT): _ABSENT}
        memo.update((id(v), v) for n, v in env.__dict__.items() if is_kept(n, v))
        values = {n: env.__dict__.get(n, _ABSENT) for n in fallback}
        rows.append({"source": env, "values": copy.deepcopy(values, memo)})
    return encoded, {"rows": rows}


def static_digests(env: Any) -> dict[str, bytes]:
    """Pickle digests of the env's copied attributes that cannot be encoded (see
    `export_attributes`), taken when the env is built."""
    out = {}
    for name, value in env.__dict__.items():
        if is_kept(name, value) or isinstance(value, gym.Env):
            continue
        try:
            encode([value], name)
        except NotExportable:
            digest = _digest(value)
            if digest is not None:
                out[name] = digest
    return out


def _digest(value: Any) -> bytes | None:
    """SHA-256 of the value's pickle, or None if it does not pickle."""
    if value is _ABSENT:
        return None
    try:
        return hashlib.sha256(pickle.dumps(value, protocol=4)).digest()
    except Exception:
        return None


def _digests(values: Sequence[Any]) -> np.ndarray | None:
    out = [_digest(v) for v in values]
    if any(d is None for d in out):
        return None
    return np.frombuffer(b"".join(out), np.uint8).reshape(len(out), 32).copy()


def import_attributes(
    envs: Sequence[Any], encoded: dict[str, Any], fallback: dict[str, Any] | None = None
) -> None:
    """Load `export_attributes` output into `envs` (one row each), exactly (see module doc)."""
    k = len(envs)
    columns: dict[str, list[Any]] = {}
    in_place: list[str] = []  # loaded into the row's own object (nested envs, digests)
    for name, node in encoded.items():
        if "digest" in node:  # not encodable: each row must already hold an equal object
            saved = _arr(node["digest"])
            for i, env in enumerate(envs):
                if _digest(env.__dict__.get(name, _ABSENT)) != saved[i].tobytes():
                    raise ValueError(
                        f"{type(env).__name__}.{name} differs from the saved one, of which the "
                        "snapshot holds only a digest (it cannot be encoded); build the env with "
                        "the same id and options"
                    )
            in_place.append(name)
            continue
        if "env" not in node:
            columns[name] = decode(node, k)
            continue
        inner = [env.__dict__.get(name) for env in envs]
        if not all(isinstance(x, gym.Env) for x in inner):
            raise ValueError(f"snapshot holds a nested env {name!r} that this env lacks")
        import_attributes(inner, node["env"])
        in_place.append(name)
    loose = fallback["rows"] if fallback else [None] * k
    for i, env in enumerate(envs):
        values = {name: col[i] for name, col in columns.items()}
        if loose[i] is not None:
            src = loose[i]["source"]
            memo, _, _ = _plan(src, env, {id(src): env})
            values.update(copy.deepcopy(loose[i]["values"], memo))
        _drop_extra(env, {**values, **dict.fromkeys(in_place)})
        for name, value in values.items():
            if value is _ABSENT:
                env.__dict__.pop(name, None)
            else:
                env.__dict__[name] = value
