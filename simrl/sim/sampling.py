"""Vectorised sampling helpers for task reset distributions (seeded numpy Generators only)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np


def rejection_sample(
    draw: Callable[[int], np.ndarray],
    accept: Callable[[np.ndarray], np.ndarray],
    k: int,
    max_rounds: int = 10_000,
) -> np.ndarray:
    """k samples of `draw(m) -> (m, ...)`, redrawing the rows `accept` rejects until all pass.

    The per-row distribution is the same as a scalar `while True: x = draw(); if accept(x): break`
    loop (Gymnasium's goal sampling), drawn in vectorised rounds.
    """
    out = draw(k)
    bad = ~accept(out)
    rounds = 0
    while bad.any():
        rounds += 1
        if rounds > max_rounds:
            raise RuntimeError("rejection sampling did not converge; check the acceptance region")
        out[bad] = draw(int(bad.sum()))
        bad = ~accept(out)
    return out


def generator_from_state(state: dict[str, Any]) -> np.random.Generator:
    """A numpy Generator restored from a `Generator.bit_generator.state` dict."""
    bit_generator = getattr(np.random, state["bit_generator"])()
    bit_generator.state = state
    return np.random.Generator(bit_generator)
