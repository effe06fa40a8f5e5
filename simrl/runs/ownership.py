"""Who owns a run directory: the files that mark one as holding a run, and a per-process lock.

A run directory holds exactly one run. `run_files(d)` lists what marks `d` as holding a run
(config, checkpoints, metrics, summary, Hydra's `.hydra/`), so a command that would write into it
can be refused unless it resumes that run. `RunDirLock` makes sure only one process works in a
run directory at a time: an exclusive `flock` on `<run>/.simrl.lock`, held until the process ends
(the kernel drops it when a process dies, even by SIGKILL). The file records the owner's pid and
host; a file that still names an owner while nobody holds the lock was left by a killed process,
and the next owner reports it (`stale_owner`).
"""

from __future__ import annotations

import json
import os
import socket
from pathlib import Path
from typing import Any

LOCK_NAME = ".simrl.lock"
RUN_MARKERS = ("config.yaml", "summary.json", "metrics.csv", "checkpoints", ".hydra")


class RunDirBusy(ValueError):
    """Another live process owns the run directory (one line: who)."""


def run_files(run_dir: str | Path) -> list[str]:
    """The entries of `run_dir` that mark it as holding a run (empty: free to start one)."""
    d = Path(run_dir)
    if not d.is_dir():
        return []
    return [name for name in RUN_MARKERS if (d / name).exists()]


def _owner_text() -> str:
    return json.dumps({"pid": os.getpid(), "host": socket.gethostname()})


def _read_owner(fd: int) -> dict[str, Any]:
    os.lseek(fd, 0, os.SEEK_SET)
    raw = os.read(fd, 4096).decode("utf-8", "replace").strip()
    try:
        owner = json.loads(raw) if raw else {}
    except ValueError:
        owner = {"raw": raw[:80]}
    return owner if isinstance(owner, dict) else {}


class RunDirLock:
    """An exclusive lock on one run directory for the rest of this process (see module doc).

    `acquire` is idempotent within a process; a second process gets `RunDirBusy` naming the
    owner. `stale_owner` is the record a killed owner left behind (None if there was none).
    """

    _held: dict[str, RunDirLock] = {}

    def __init__(self, run_dir: Path, fd: int, stale_owner: dict[str, Any] | None) -> None:
        self.run_dir, self._fd, self.stale_owner = run_dir, fd, stale_owner

    @classmethod
    def acquire(cls, run_dir: str | Path) -> RunDirLock:
        import fcntl

        d = Path(run_dir).resolve()
        key = str(d)
        if key in cls._held:
            return cls._held[key]
        d.mkdir(parents=True, exist_ok=True)
        fd = os.open(d / LOCK_NAME, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            owner = _read_owner(fd)
            os.close(fd)
            who = f"process {owner.get('pid', '?')} on {owner.get('host', '?')}"
            raise RunDirBusy(
                f"run dir {d} is in use by {who}; wait for it to end or use another directory"
            ) from None
        previous = _read_owner(fd)
        os.ftruncate(fd, 0)
        os.lseek(fd, 0, os.SEEK_SET)
        os.write(fd, _owner_text().encode())
        os.fsync(fd)
        lock = cls(d, fd, previous or None)
        cls._held[key] = lock
        return lock

    @staticmethod
    def probe(run_dir: str | Path) -> None:
        """Raise `RunDirBusy` if another process owns `run_dir`; changes nothing."""
        import fcntl

        path = Path(run_dir) / LOCK_NAME
        if not path.is_file() or str(Path(run_dir).resolve()) in RunDirLock._held:
            return
        fd = os.open(path, os.O_RDONLY)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
            except OSError:
                owner = _read_owner(fd)
                who = f"process {owner.get('pid', '?')} on {owner.get('host', '?')}"
                raise RunDirBusy(
                    f"run dir {Path(run_dir).resolve()} is in use by {who}; wait for it to end "
                    "or use another directory"
                ) from None
            fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)

    def release(self) -> None:
        """Clear the owner record and drop the lock (a clean end leaves no stale record)."""
        import fcntl

        if self._held.get(str(self.run_dir)) is not self:
            return
        del self._held[str(self.run_dir)]
        try:
            os.ftruncate(self._fd, 0)
            fcntl.flock(self._fd, fcntl.LOCK_UN)
        finally:
            os.close(self._fd)

    def stale_note(self) -> str | None:
        """One line about a stale lock taken over, or None."""
        if not self.stale_owner:
            return None
        pid, host = self.stale_owner.get("pid", "?"), self.stale_owner.get("host", "?")
        return (
            f"run dir {self.run_dir} was left locked by process {pid} on {host}, which is no "
            "longer running (killed?); taking it over"
        )

    @classmethod
    def release_all(cls) -> None:
        """Release every lock this process holds (at a clean exit)."""
        for lock in list(cls._held.values()):
            lock.release()
