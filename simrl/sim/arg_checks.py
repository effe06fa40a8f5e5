"""Argument checks shared by the env constructors: one-line ValueErrors before any work."""

from __future__ import annotations

from typing import Any

import numpy as np
from gymnasium.vector import AutoresetMode

AUTORESET_MODES = {
    "next_step": AutoresetMode.NEXT_STEP,
    "same_step": AutoresetMode.SAME_STEP,
    "disabled": AutoresetMode.DISABLED,
}


def check_sizes(num_groups: Any, group_size: Any, num_threads: Any, autoreset_mode: Any) -> None:
    """One-line ValueErrors for bad layout arguments (before anything is built)."""
    for name, value in (
        ("num_groups", num_groups),
        ("group_size", group_size),
        ("num_threads", num_threads),
    ):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
            raise ValueError(f"{name} must be an integer >= 1, got {value!r}")
    if autoreset_mode not in AUTORESET_MODES:
        raise ValueError(
            f"autoreset_mode must be one of {sorted(AUTORESET_MODES)}, got {autoreset_mode!r}"
        )
