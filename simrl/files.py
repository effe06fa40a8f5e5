"""Atomic file writes: a reader sees the old file or the new one, never a half-written one.

Every file simrl writes (checkpoints, summaries, metrics, reports, start-state banks, benchmark
results) goes through here.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any


def _current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


_FILE_MODE = 0o666 & ~_current_umask()  # what open() would give; mkstemp alone gives 0600


def atomic_write_bytes(path: Path, write: Any) -> None:
    """Write a file atomically: `write(fileobj)` into a temp file in the same folder, fsync, replace.

    If `write` raises (or the process dies), the previous file at `path` is untouched and the temp
    file is removed (or, after a hard crash, left under a `.tmp` name that is never read).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, _FILE_MODE)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    try:  # make the rename itself durable
        dir_fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
    except OSError:
        pass


def atomic_write_text(path: Path, text: str) -> None:
    """Atomic text file write (JSON, YAML, CSV)."""
    atomic_write_bytes(path, lambda f: f.write(text.encode("utf-8")))


def claim_dir(path: str | Path) -> Path:
    """Create a new, empty directory at `path`, or at `path-2`, `path-3`, ... if taken.

    `os.mkdir` is atomic, so two processes that ask for the same path in the same second (two runs
    started together) always get different directories; nothing is ever written into an existing
    one.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    k = 1
    while True:
        candidate = path if k == 1 else path.with_name(f"{path.name}-{k}")
        try:
            candidate.mkdir()
            return candidate
        except FileExistsError:
            k += 1
