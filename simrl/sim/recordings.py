"""Demonstration recordings: a reset seed and an action sequence per demo, replayed exactly.

A user's own demonstrations (teleoperation, another controller, a planner) need no access to
simrl's internal state: the simulator is deterministic, so a demo is fully given by where it
starts and what was done. Replaying it reproduces every state bit for bit, and those states seed
a curriculum (`curriculum.demo_file=PATH`).

File format (`.npz`, arrays only, no pickles; write it with `save_recording`):

- ``meta``: uint8 array of UTF-8 JSON ``{"format": "simrl.demo_recording/1", "env_id": ...,
  "options": {...}}``; ``options`` are the task options the demos were played with, resolved
  (`GroupEnv.task_options()`, e.g. ``{"domain_randomization": false, "reward": "staged"}``);
- ``seeds``: int64 (D,), each demo's reset seed, >= 0;
- ``actions``: float (D, T, act_dim), finite; demo d plays ``actions[d, :lengths[d]]``;
- ``lengths`` (optional): int64 (D,) in [1, T], default T for every demo.

Demo d is replayed on a one-row env of the recorded id and options:
``env = make_group_env(env_id, num_groups=1, seed=seeds[d], autoreset_mode="disabled",
**options)``, ``env.reset(seed=seeds[d])``, then one `env.step` per action. Record your own the
same way (or with `record_recording`, which plays a policy). A demo counts when it is solved
(``info["is_success"]``) after its last action; the states before each action become a
`StartBank`. A file for another env id, other options or another action size, a missing, empty,
corrupt or non-npz file, or non-finite actions are refused with one line.
"""

from __future__ import annotations

import json
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from simrl.files import atomic_write_bytes
from simrl.sim.start_states import StartBank

RECORDING_FORMAT = "simrl.demo_recording/1"


@dataclass
class Recording:
    """Demonstrations as reset seeds and action sequences (see the module docstring)."""

    env_id: str
    options: dict[str, Any]
    seeds: np.ndarray  # (D,) int64
    actions: np.ndarray  # (D, T, act_dim) float64
    lengths: np.ndarray  # (D,) int64

    def __len__(self) -> int:
        return len(self.seeds)


def save_recording(
    path: str | Path,
    env_id: str,
    options: dict[str, Any],
    seeds: Any,
    actions: Any,
    lengths: Any = None,
) -> Path:
    """Write a recording (atomically); it is checked as `load_recording` checks it."""
    seeds = np.asarray(seeds, np.int64)
    actions = np.asarray(actions, np.float64)
    lengths = (
        np.full(len(seeds), actions.shape[1] if actions.ndim == 3 else 0, np.int64)
        if (lengths is None)
        else np.asarray(lengths, np.int64)
    )
    rec = Recording(env_id, dict(sorted(options.items())), seeds, actions, lengths)
    _check(rec)
    meta = {"format": RECORDING_FORMAT, "env_id": env_id, "options": rec.options}
    arrays = {
        "meta": np.frombuffer(json.dumps(meta).encode(), np.uint8),
        "seeds": seeds,
        "actions": actions,
        "lengths": lengths,
    }
    path = Path(path)
    atomic_write_bytes(path, lambda f: np.savez(f, **arrays))
    return path


def load_recording(path: str | Path) -> Recording:
    """Read and check a recording; anything else is a one-line ValueError."""
    p = Path(path)
    if not p.is_file():
        raise ValueError("no such file" if not p.exists() else "is not a file")
    try:
        with np.load(p, allow_pickle=False) as data:
            flat = {k: data[k] for k in data.files}
        meta = json.loads(flat["meta"].tobytes().decode())
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile, UnicodeDecodeError) as exc:
        raise ValueError(f"not a demonstration recording ({type(exc).__name__})") from None
    if not isinstance(meta, dict) or meta.get("format") != RECORDING_FORMAT:
        got = meta.get("format") if isinstance(meta, dict) else None
        raise ValueError(f"not a demonstration recording (format {got!r}, want {RECORDING_FORMAT})")
    for key in ("seeds", "actions"):
        if key not in flat:
            raise ValueError(f"recording has no {key!r} array")
    actions = flat["actions"]
    if actions.dtype.kind not in "fiu":
        raise ValueError(f"recording actions have dtype {actions.dtype}, want float")
    seeds = flat["seeds"]
    if seeds.dtype.kind not in "iu":
        raise ValueError(f"recording seeds have dtype {seeds.dtype}, want int")
    lengths = flat.get("lengths")
    if lengths is None:
        lengths = np.full(len(seeds), actions.shape[1] if actions.ndim == 3 else 0)
    rec = Recording(
        str(meta.get("env_id")),
        dict(sorted(dict(meta.get("options") or {}).items())),
        seeds.astype(np.int64),
        actions.astype(np.float64),
        np.asarray(lengths).astype(np.int64),
    )
    _check(rec)
    return rec


def _check(rec: Recording) -> None:
    """Shapes, ranges and finiteness of a recording (one-line ValueError)."""
    d = len(rec.seeds)
    if rec.seeds.ndim != 1 or d == 0:
        raise ValueError(f"recording holds no demonstrations (seeds of shape {rec.seeds.shape})")
    if (rec.seeds < 0).any():
        raise ValueError(f"recording seeds must be >= 0, got {int(rec.seeds.min())}")
    if rec.actions.ndim != 3 or rec.actions.shape[0] != d or rec.actions.shape[1] == 0:
        raise ValueError(
            f"recording actions have shape {rec.actions.shape}, want (demos={d}, steps >= 1, "
            "act_dim)"
        )
    if not np.isfinite(rec.actions).all():
        bad = np.argwhere(~np.isfinite(rec.actions))[0]
        raise ValueError(f"recording actions hold NaN/Inf (demo {bad[0]}, step {bad[1]})")
    t = rec.actions.shape[1]
    if rec.lengths.shape != (d,) or (rec.lengths < 1).any() or (rec.lengths > t).any():
        raise ValueError(f"recording lengths must be {d} integers in [1, {t}]")


def replay_recording(rec: Recording, make_env: Callable[..., Any]) -> StartBank:
    """Replay every demo of `rec` on one-row envs from `make_env` (the training env's id and
    options); the solved demos' states (before each action) as a `StartBank`.

    Refused (one-line ValueError): a recording of another env id, options or action size, or
    one none of whose demos ends solved.
    """
    snaps: list[dict[str, Any]] = []
    demo, step, solved_at = [], [], []
    for d in range(len(rec)):
        seed = int(rec.seeds[d])
        env = make_env(num_groups=1, group_size=1, seed=seed, autoreset_mode="disabled")
        try:
            if d == 0:
                _match(rec, env)
            env.reset(seed=seed)
            states, success = [], []
            for a in rec.actions[d, : rec.lengths[d]]:
                states.append(env.get_state())
                *_, info = env.step(a[None])
                success.append(bool(np.asarray(info.get("is_success", [False]))[0]))
        finally:
            env.close()
        if not success[-1]:
            continue
        failed = [i for i, ok in enumerate(success) if not ok]
        solved_at.append(min((failed[-1] + 2) if failed else 0, len(success) - 1))
        demo += [len(solved_at) - 1] * len(states)
        step += list(range(len(states)))
        snaps += states
    if not solved_at:
        raise ValueError(f"none of the {len(rec)} recorded demonstrations ends solved")
    return StartBank(rec.env_id, rec.options, _stack(snaps), demo, step, solved_at)


def _match(rec: Recording, env: Any) -> None:
    options = dict(sorted(env.task_options().items()))
    if rec.env_id != env.env_id:
        raise ValueError(f"recording is of {rec.env_id!r}, this env is {env.env_id!r}")
    if rec.options != options:
        raise ValueError(f"recording has options {rec.options}, this env has {options}")
    act_dim = env.single_action_space.shape[0]
    if rec.actions.shape[2] != act_dim:
        raise ValueError(
            f"recording actions have size {rec.actions.shape[2]}, this env's {act_dim}"
        )
    if not getattr(env, "has_success", False):
        raise ValueError(f"env {env.env_id!r} has no success signal to judge demonstrations by")


def _stack(snaps: list[dict[str, Any]]) -> dict[str, Any]:
    """One-row snapshots -> one snapshot of all their rows (arrays, nested dicts, lists)."""
    first = snaps[0]
    out: dict[str, Any] = {}
    for key, value in first.items():
        if key == "env_id":
            continue
        if isinstance(value, dict):
            out[key] = _stack([s[key] for s in snaps])
        elif isinstance(value, list):
            out[key] = [item for s in snaps for item in s[key]]
        else:
            out[key] = np.concatenate([np.asarray(s[key]) for s in snaps])
    return out


def record_recording(
    env_id: str,
    options: dict[str, Any],
    seeds: Any,
    policy: Callable[[np.ndarray], np.ndarray],
    steps: int | None = None,
) -> Recording:
    """Play `policy` (obs (1, obs_dim) -> actions (1, act_dim)) from each reset seed on a
    one-row env, as `replay_recording` replays it; the actions as a `Recording`."""
    from simrl.sim import make_group_env

    seeds = np.asarray(seeds, np.int64)
    runs = []
    for seed in seeds.tolist():
        env = make_group_env(env_id, seed=seed, autoreset_mode="disabled", **options)
        try:
            obs, _ = env.reset(seed=seed)
            horizon = int(steps or env.max_episode_steps)
            acts = []
            for _ in range(horizon):
                a = np.asarray(policy(obs), np.float64).reshape(1, -1)
                acts.append(a[0])
                obs, *_ = env.step(a)
            resolved = env.task_options()
        finally:
            env.close()
        runs.append(np.stack(acts))
    actions = np.stack(runs)
    return Recording(
        env_id, dict(sorted(resolved.items())), seeds, actions, np.full(len(seeds), len(runs[0]))
    )
