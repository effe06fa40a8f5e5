"""Atomic checkpoint files and their validation.

A checkpoint is one `torch.save` file holding only tensors and plain Python values, so it loads with
`torch.load(weights_only=True)` (never unpickling code). It carries the trainer's state, the run's
counters and metric history, the configs, a format version, and the algo/env ids and obs/act sizes
used to refuse a checkpoint from a different run with one clear line.
"""

from __future__ import annotations

import pickle
from pathlib import Path
from typing import Any

import torch

from simrl.files import atomic_write_bytes
from simrl.messages import first_line

FORMAT_VERSION = 1
KIND = "simrl-checkpoint"
REQUIRED_KEYS = (
    "kind",
    "format_version",
    "algo",
    "env_id",
    "obs_dim",
    "act_dim",
    "iteration",
    "env_steps",
    "trainer",
    "configs",
)


class CheckpointError(ValueError):
    """A checkpoint that cannot be used; the message names the file and the problem (one line)."""


def _one_line(exc: BaseException) -> str:
    """`Type: first line` of an exception message."""
    return first_line(exc, with_type=True)


def _unsafe_part(exc: BaseException) -> str:
    """What the weights-only unpickler refused (e.g. `GLOBAL posix.system`), from its message."""
    import re

    found = re.search(r"(GLOBAL [\w.]+)", str(exc))
    return found.group(1) if found else "an object type outside tensors and plain values"


def save_checkpoint(path: Path, payload: dict[str, Any]) -> None:
    """Save `payload` (see `make_payload`) atomically with `torch.save`."""
    atomic_write_bytes(path, lambda f: torch.save(payload, f))


def make_payload(
    *,
    algo: str,
    env_id: str,
    obs_dim: int,
    act_dim: int,
    iteration: int,
    env_steps: int,
    trainer_state: dict[str, Any],
    configs: dict[str, Any],
    config: dict[str, Any],
    run_state: dict[str, Any],
) -> dict[str, Any]:
    """Assemble the checkpoint dictionary (format `FORMAT_VERSION`)."""
    return {
        "kind": KIND,
        "format_version": FORMAT_VERSION,
        "algo": algo,
        "env_id": env_id,
        "obs_dim": int(obs_dim),
        "act_dim": int(act_dim),
        "iteration": int(iteration),
        "env_steps": int(env_steps),
        "trainer": trainer_state,
        "configs": configs,
        "config": config,
        "run_state": run_state,
        "torch_version": str(torch.__version__),
    }


def resolve_checkpoint_path(path: str | Path) -> Path:
    """A checkpoint file, or a run directory (-> its `checkpoints/last.pt`)."""
    p = Path(path).expanduser()
    if p.is_dir():
        for candidate in (p / "checkpoints" / "last.pt", p / "last.pt"):
            if candidate.is_file():
                return candidate
        raise CheckpointError(f"checkpoint: no checkpoints/last.pt in run directory {p}")
    if not p.exists():
        raise CheckpointError(f"checkpoint {p}: file not found")
    return p


def load_checkpoint(path: str | Path) -> dict[str, Any]:
    """Load and sanity-check a checkpoint file (`weights_only=True`); errors are one line."""
    p = resolve_checkpoint_path(path)
    try:
        payload = torch.load(p, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as exc:
        if "GLOBAL" not in str(exc):  # no forbidden class or function named: not a pickle
            raise CheckpointError(
                f"checkpoint {p}: cannot be read, truncated or not a checkpoint (not a torch file)"
            ) from None
        raise CheckpointError(  # loadable only by running code it names: refused
            f"checkpoint {p}: refused, it holds Python objects that a weights-only load does not "
            f"allow ({_unsafe_part(exc)}); simrl checkpoints hold only tensors and plain values, "
            "so this file was not written by simrl or was altered; do not load it"
        ) from None
    except Exception as exc:  # truncated, not a torch file
        raise CheckpointError(
            f"checkpoint {p}: cannot be read, truncated or not a checkpoint ({type(exc).__name__})"
        ) from None
    if not isinstance(payload, dict) or payload.get("kind") != KIND:
        raise CheckpointError(f"checkpoint {p}: not a simrl checkpoint")
    version = payload.get("format_version")
    if version != FORMAT_VERSION:
        raise CheckpointError(
            f"checkpoint {p}: format version {version!r} is not supported (expected {FORMAT_VERSION})"
        )
    missing = [k for k in REQUIRED_KEYS if k not in payload]
    if missing:
        raise CheckpointError(f"checkpoint {p}: missing entries {missing}")
    payload["path"] = str(p)
    return payload


def check_compatible(
    payload: dict[str, Any], *, algo: str, env_id: str, obs_dim: int, act_dim: int
) -> None:
    """Refuse a checkpoint from a different algorithm, env or obs/act size (one-line error)."""
    path = payload.get("path", "?")
    expected = {"algo": algo, "env_id": env_id, "obs_dim": int(obs_dim), "act_dim": int(act_dim)}
    for key, want in expected.items():
        got = payload.get(key)
        if got != want:
            raise CheckpointError(
                f"checkpoint {path}: {key} mismatch, checkpoint has {got!r} but this run has {want!r}"
            )


# What must match for a resume to continue the same run (compute, budget and loop settings may
# change: a longer budget, another device); `env.num_threads` is a compute setting.
SAME_RUN_FIELDS = {"env": ("num_threads",), "model": (), "run": None}


def check_same_run(payload: dict[str, Any], configs: dict[str, Any]) -> None:
    """Refuse a resume whose env (id, options, curriculum), model or seed differ from the
    checkpoint's run (one line naming the first difference). `configs` holds plain dicts as in
    the checkpoint's `configs`; keys only one side has (a setting added in a later version) are
    not compared."""
    saved = payload.get("configs") or {}
    path = payload.get("path", "?")
    pairs: list[tuple[str, Any, Any]] = []
    for group, ignore in SAME_RUN_FIELDS.items():
        old, new = saved.get(group), configs.get(group)
        if not isinstance(old, dict) or not isinstance(new, dict):
            continue
        if ignore is None:  # the run group: only the seed makes it another run
            pairs.append(("seed", old.get("seed"), new.get("seed")))
            continue
        pairs.extend(_leaf_pairs(group, old, new, ignore))
    for key, old, new in pairs:
        if old != new:
            raise CheckpointError(
                f"checkpoint {path}: {key} mismatch, checkpoint has {old!r} but this run has "
                f"{new!r} (a resume continues the same run)"
            )


def _leaf_pairs(prefix: str, old: dict, new: dict, ignore: tuple[str, ...] = ()) -> list:
    out = []
    for key in old:
        if key in ignore or key not in new:
            continue
        if isinstance(old[key], dict) and isinstance(new[key], dict) and key != "options":
            out.extend(_leaf_pairs(f"{prefix}.{key}", old[key], new[key]))
        else:
            out.append((f"{prefix}.{key}", old[key], new[key]))
    return out


def load_trainer_state(trainer: Any, payload: dict[str, Any]) -> None:
    """`trainer.load_state_dict` with shape/key errors turned into one clear line naming the file."""
    try:
        trainer.load_state_dict(payload["trainer"])
    except Exception as exc:
        raise CheckpointError(
            f"checkpoint {payload.get('path', '?')}: trainer state does not fit this run's model "
            f"(different model preset or algo settings?): {_one_line(exc)}"
        ) from exc
