"""Device names and torch thread settings, resolved once for every layer above nn."""

from __future__ import annotations

import torch


def resolve_device(device: str) -> str:
    """Map `auto` to `cuda` when a GPU is present, else `cpu`; validate explicit names.

    Raises a one-line ValueError for an unknown name or a CUDA device that is not there, before any
    work starts.
    """
    name = str(device).strip().lower()
    if name == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if name == "cpu":
        return "cpu"
    if name == "cuda" or name.startswith("cuda:"):
        if not torch.cuda.is_available():
            raise ValueError(
                f"device {device!r} requested but CUDA is not available; use auto or cpu"
            )
        if ":" in name:
            index = name.split(":", 1)[1]
            if not index.isdigit() or int(index) >= torch.cuda.device_count():
                raise ValueError(
                    f"device {device!r} does not exist; {torch.cuda.device_count()} CUDA device(s) found"
                )
        return name
    raise ValueError(f"unknown device {device!r}; choose auto, cpu, cuda or cuda:N")


def set_threads(num_threads: int) -> None:
    """Set torch intra-op threads (0 leaves torch's default)."""
    if num_threads < 0:
        raise ValueError(f"num_threads must be >= 0 (0 = torch default), got {num_threads}")
    if num_threads > 0:
        torch.set_num_threads(num_threads)
