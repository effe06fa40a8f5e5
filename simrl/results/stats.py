"""Statistics over runs (seeds): mean ± std, mean learning curves, and rliable's robust aggregates.

One std convention everywhere (tables, CSV, curve bands, bar error bars): the **sample standard
deviation over runs, ddof=1**, undefined (NaN) for a single run.

Robust aggregates follow rliable (Agarwal et al., "Deep RL at the edge of the statistical
precipice", 2021), the field's standard for few-seed results: the interquartile mean (IQM, the mean
of the middle 50% of runs; with fewer than 4 runs nothing is trimmed, so it equals the mean) with a
stratified-bootstrap 95% confidence interval, and the probability of improvement P(X > Y) that a
run of X beats a run of Y (Mann-Whitney U statistic / (n_X n_Y), averaged over tasks). The bootstrap
is seeded, so a report rebuilt from the same runs shows the same intervals. rliable (with pandas,
scipy and arch) is imported inside the functions that need it: it takes about a second to import
and the training path never needs it.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, NamedTuple

import numpy as np

from simrl.results.run_dirs import num

BOOTSTRAP_REPS = 2000  # stratified-bootstrap resamples per interval
BOOTSTRAP_SEED = 0  # numpy seed of the bootstrap (reports are reproducible)
CONFIDENCE = 0.95


class Stat(NamedTuple):
    """Mean, sample std (ddof=1; NaN for fewer than 2 values) and count of the finite values."""

    mean: float
    std: float
    n: int

    def as_dict(self) -> dict[str, Any]:
        """{"mean", "std", "n"} with None where a value is undefined (strict JSON)."""
        return {
            "mean": self.mean if math.isfinite(self.mean) else None,
            "std": self.std if math.isfinite(self.std) else None,
            "n": self.n,
        }


class Estimate(NamedTuple):
    """A point estimate with its bootstrap confidence interval.

    `low`/`high` are NaN where no interval exists (fewer than 2 runs on a side); `n` is the number of
    runs (for a probability of improvement: of the smaller side).
    """

    value: float
    low: float
    high: float
    n: int

    def as_dict(self) -> dict[str, Any]:
        """{"value", "low", "high", "n"} with None where a value is undefined (strict JSON)."""
        out: dict[str, Any] = {}
        for key in ("value", "low", "high"):
            v = getattr(self, key)
            out[key] = v if math.isfinite(v) else None
        out["n"] = self.n
        return out


class CurveStats(NamedTuple):
    """Mean and sample std (ddof=1; NaN for one run) over runs of y at each grid x; `n` runs."""

    x: np.ndarray
    mean: np.ndarray
    std: np.ndarray
    n: int


NAN_ESTIMATE = Estimate(math.nan, math.nan, math.nan, 0)


def finite(values: Iterable[Any]) -> np.ndarray:
    """The finite numbers among `values` (None, NaN, strings that are not numbers dropped)."""
    return np.array([v for v in (num(x) for x in values) if v is not None], dtype=float)


def sample_std(values: np.ndarray, axis: int | None = None) -> Any:
    """The project's std: sample std with ddof=1, NaN where there are fewer than 2 values."""
    values = np.asarray(values, dtype=float)
    count = values.size if axis is None else values.shape[axis]
    if count < 2:
        return math.nan if axis is None else np.full(np.delete(values.shape, axis), math.nan)
    return values.std(axis=axis, ddof=1) if axis is not None else float(values.std(ddof=1))


def mean_std(values: Iterable[Any]) -> Stat:
    """`Stat` over the finite values (mean NaN and n 0 when there are none)."""
    vals = finite(values)
    if vals.size == 0:
        return Stat(math.nan, math.nan, 0)
    return Stat(float(vals.mean()), sample_std(vals), int(vals.size))


def mean_curve(
    curves: Sequence[Sequence[Mapping[str, Any]]],
    x: str = "env_steps",
    y: str = "return_mean",
    points: int | None = None,
) -> CurveStats:
    """Mean and std over runs of `y` against `x`, on the x range every run covers.

    Each run's points (dicts with `x` and `y`; non-finite ones dropped) are interpolated linearly on
    the grid: the union of the runs' x values inside the common range, or `points` evenly spaced
    values over it. Runs without points are left out; runs that do not overlap give an empty curve.
    """
    clean = []
    for curve in curves:
        pts = sorted(
            (num(p.get(x)), num(p.get(y)))
            for p in curve
            if num(p.get(x)) is not None and num(p.get(y)) is not None
        )
        if pts:
            clean.append(np.array(pts, dtype=float))
    empty = np.zeros(0)
    if not clean:
        return CurveStats(empty, empty, empty, 0)
    lo = max(c[0, 0] for c in clean)
    hi = min(c[-1, 0] for c in clean)
    if hi < lo:
        return CurveStats(empty, empty, empty, len(clean))
    if points is None:
        grid = np.unique(np.concatenate([c[:, 0] for c in clean]))
        grid = grid[(grid >= lo) & (grid <= hi)]
    else:
        grid = np.linspace(lo, hi, points) if hi > lo else np.array([hi])
    ys = np.stack([np.interp(grid, c[:, 0], c[:, 1]) for c in clean])
    return CurveStats(grid, ys.mean(axis=0), sample_std(ys, axis=0), len(clean))


def _rliable() -> tuple[Any, Any]:
    """rliable's `library` and `metrics` modules, imported on first use.

    rliable imports absl.logging, whose stderr handler keeps the `sys.stderr` of its import and
    closes that stream whenever Python's logging is reconfigured (Hydra does so per job) unless it
    is the current or the process's own stderr. So when this import is the first of absl, the
    handler is pointed at the process's stderr: a temporarily replaced `sys.stderr` (a redirect, a
    test's capture) is never closed under its owner.
    """
    first = "absl.logging" not in sys.modules
    from rliable import library, metrics

    if first and sys.__stderr__ is not None:
        from absl import logging as absl_logging

        absl_logging.get_absl_handler().python_handler.stream = sys.__stderr__
    return library, metrics


def _scores(values: Any) -> np.ndarray:
    """Runs x tasks matrix of the runs whose scores are all finite (a flat input is one task)."""
    rows = [r if isinstance(r, (list, tuple, np.ndarray)) else [r] for r in values]
    arr = np.array(
        [[math.nan if num(v) is None else num(v) for v in row] for row in rows], dtype=float
    )
    if arr.size == 0:
        return np.zeros((0, 1))
    return arr[np.isfinite(arr).all(axis=1)]


def _bootstrap(
    scores: np.ndarray | list[np.ndarray], func: Callable[..., np.ndarray], reps: int, seed: int
) -> tuple[float, float, float]:
    """rliable's stratified bootstrap (percentile interval) under a fixed numpy seed.

    rliable's resampling draws from numpy's global generator, so it is seeded here and its state
    restored afterwards (no effect on the caller's random numbers).
    """
    rly, _ = _rliable()
    state = np.random.get_state()
    np.random.seed(seed)
    try:
        point, interval = rly.get_interval_estimates(
            {"s": scores}, func, reps=reps, confidence_interval_size=CONFIDENCE
        )
    finally:
        np.random.set_state(state)
    low, high = np.asarray(interval["s"], dtype=float).reshape(2, -1)[:, 0]
    return float(np.asarray(point["s"]).reshape(-1)[0]), float(low), float(high)


def iqm(scores: Any, reps: int = BOOTSTRAP_REPS, seed: int = BOOTSTRAP_SEED) -> Estimate:
    """Interquartile mean of `scores` (runs, or runs x tasks) with its 95% bootstrap interval.

    One run: its score and no interval; no finite score: NaN.
    """
    _, metrics = _rliable()
    mat = _scores(scores)
    if mat.shape[0] == 0:
        return NAN_ESTIMATE
    value = float(metrics.aggregate_iqm(mat))
    if mat.shape[0] < 2:
        return Estimate(value, math.nan, math.nan, 1)
    _, low, high = _bootstrap(mat, lambda s: np.array([metrics.aggregate_iqm(s)]), reps, seed)
    return Estimate(value, low, high, int(mat.shape[0]))


def probability_of_improvement(
    scores_x: Any, scores_y: Any, reps: int = BOOTSTRAP_REPS, seed: int = BOOTSTRAP_SEED
) -> Estimate:
    """P(X > Y): the probability that a run of X scores higher than a run of Y (ties count half),
    averaged over tasks, with its 95% bootstrap interval (none when a side has a single run).

    Both inputs are runs (1-D) or runs x tasks with the same tasks; higher scores are better.
    """
    _, metrics = _rliable()
    x, y = _scores(scores_x), _scores(scores_y)
    if x.shape[0] == 0 or y.shape[0] == 0:
        return NAN_ESTIMATE
    if x.shape[1] != y.shape[1]:
        raise ValueError(f"scores have {x.shape[1]} and {y.shape[1]} tasks; they must match")
    value = float(metrics.probability_of_improvement(x, y))
    n = int(min(x.shape[0], y.shape[0]))
    if n < 2:
        return Estimate(value, math.nan, math.nan, n)
    _, low, high = _bootstrap(
        [x, y], lambda a, b: np.array([metrics.probability_of_improvement(a, b)]), reps, seed
    )
    return Estimate(value, low, high, n)
