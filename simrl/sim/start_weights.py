"""Success counts and sampling weights of start states, shared by the adaptive archive's
candidates (`simrl.sim.adaptive_starts`) and its reset variants' levels (`simrl.sim.variant_levels`).

A start's success rate is the posterior mean under a Beta(prior, prior) prior over the episodes
started there, with old evidence faded past `memory` episodes so it follows the improving policy;
its weight favours intermediate rates, where a group of rollouts mixes successes and failures.
"""

from __future__ import annotations

import numpy as np


def success_rate(succ: np.ndarray, trials: np.ndarray, prior: float) -> np.ndarray:
    """Posterior-mean success rates under a Beta(prior, prior) prior."""
    return (succ + prior) / (trials + 2 * prior)


def start_weight(p: np.ndarray, groups: np.ndarray, sharpness: float, explore: float) -> np.ndarray:
    """Sampling weights of starts of success rate p started `groups` times: (4 p (1 - p)) **
    sharpness + explore / sqrt(1 + groups) (archive candidates and variant levels alike)."""
    return (4.0 * p * (1.0 - p)) ** sharpness + explore / np.sqrt(1.0 + groups)


def record(
    succ: np.ndarray, trials: np.ndarray, groups: np.ndarray, i: int, k: int, m: int, memory: int
) -> None:
    """Count a group of m episodes, k solved, at index i (in place); past `memory` episodes the
    old evidence fades (both counts scaled down to `memory` episodes)."""
    succ[i] += k
    trials[i] += m
    groups[i] += 1
    if trials[i] > memory:
        scale = memory / trials[i]
        succ[i] *= scale
        trials[i] *= scale
