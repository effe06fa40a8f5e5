"""Reward terms: the named parts of a task's reward, reported per row and step in `info`.

Tasks put each term in `info["reward/<term>"]` (the terms add up to the reward). Learners average
them over the steps of an iteration (`RewardTermMeans`) into metrics.csv and TensorBoard, so a
user sees which stage of a staged reward a policy is stuck at.
"""

from __future__ import annotations

from typing import Any

import numpy as np

PREFIX = "reward/"


def term_keys(info: dict[str, Any]) -> list[str]:
    """The reward-term keys of a step's info."""
    return [k for k in info if k.startswith(PREFIX)]


def zero_terms(info: dict[str, Any], rows: np.ndarray) -> None:
    """Rows whose reward the env replaced by 0 report 0 for every term too (in place)."""
    for key in term_keys(info):
        info[key] = np.array(info[key], np.float64)
        info[key][rows] = 0.0


class RewardTermMeans:
    """Per-step means of the reward terms over the steps added since the last `pop`."""

    def __init__(self) -> None:
        self._sums: dict[str, float] = {}
        self._steps = 0

    def add(self, info: dict[str, Any], rows: np.ndarray | None = None) -> None:
        """Count one env step of the rows selected by `rows` (bool mask or indices; None = all)."""
        keys = term_keys(info)
        if not keys:
            return
        for key in keys:
            value = np.asarray(info[key], np.float64)
            self._sums[key] = self._sums.get(key, 0.0) + float(
                value.sum() if rows is None else value[rows].sum()
            )
        n = len(np.asarray(info[keys[0]]))
        if rows is None:
            self._steps += n
        else:
            rows = np.asarray(rows)
            self._steps += int(rows.sum()) if rows.dtype == bool else int(rows.size)

    def pop(self) -> dict[str, float]:
        """{"reward/<term>": mean per step} since the last pop (empty without terms); resets."""
        out = {k: v / self._steps for k, v in self._sums.items()} if self._steps else {}
        self._sums, self._steps = {}, 0
        return out
