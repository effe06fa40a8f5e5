"""Output directories checked before any work: one line when a directory cannot be created there.

A directory that does not exist yet is judged by its nearest existing ancestor: it must be a
directory (not a regular file) that this process may write into. Nothing is created.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from omegaconf import DictConfig, OmegaConf

from simrl.config.fields import UsageError as ConfigError

NEW_DIR = "${simrl.new_dir:"


def out_dir_problem(path: str | Path) -> str | None:
    """Why `path` cannot be used as an output directory, or None when it can."""
    target = Path(path).expanduser().absolute()
    probe = target
    while not probe.exists() and not probe.is_symlink():
        if probe.parent == probe:
            return "has no existing parent directory"
        probe = probe.parent
    if not probe.is_dir():
        where = "is" if probe == target else f"is under {probe}, which is"
        return f"{where} a regular file, not a directory"
    if not os.access(probe, os.W_OK | os.X_OK):
        where = "is" if probe == target else f"would be created in {probe}, which is"
        return f"{where} not writable"
    return None


def check_out_dir(key: str, path: str | Path) -> None:
    """ConfigError naming `key` when `path` cannot be used as an output directory."""
    problem = out_dir_problem(path)
    if problem is not None:
        raise ConfigError(key, path, f"{problem}; give a writable directory")


def raw_value(cfg: DictConfig, key: str) -> Any:
    """The value of `key` as written, interpolations unresolved (resolving a
    `${simrl.new_dir:...}` would create the directory)."""
    node: Any = OmegaConf.to_container(cfg, resolve=False)
    for part in key.split("."):
        node = node.get(part) if isinstance(node, dict) else None
    return node


def planned_path(cfg: DictConfig, key: str) -> str | None:
    """The directory `key` (e.g. `hydra.run.dir`) will name, without creating it: the literal
    part of a `${simrl.new_dir:...}` default (up to its first interpolation), else the resolved
    value; None when it cannot be known before Hydra runs."""
    node = raw_value(cfg, key)
    if not isinstance(node, str):
        return None
    if NEW_DIR in node and not node.startswith(NEW_DIR):
        return None  # resolving it would create the directory
    if node.startswith(NEW_DIR):
        literal = node[len(NEW_DIR) :].split("${", 1)[0]
        return os.path.dirname(literal) or "."
    if "${" not in node:
        return node
    try:
        value = OmegaConf.select(cfg, key, throw_on_resolution_failure=True)
    except Exception:
        return None  # only Hydra's runtime can resolve it (${hydra:...}, ${now:...})
    return None if value is None else str(value)


def check_hydra_dirs(cfg: DictConfig) -> None:
    """`hydra.run.dir` and `hydra.sweep.dir` of a composed config (return_hydra_config=True)."""
    if OmegaConf.select(cfg, "hydra", default=None) is None:
        return
    for key in ("hydra.run.dir", "hydra.sweep.dir"):
        path = planned_path(cfg, key)
        if path is not None:
            check_out_dir(key, path)
