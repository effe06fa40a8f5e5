"""Statistics against hand-computed references: mean ± sample std, curves, IQM, P(improvement)."""

import math

import numpy as np
import pytest

from simrl.results import (
    iqm,
    mean_curve,
    mean_std,
    probability_of_improvement,
    sample_std,
)


def test_mean_std_is_the_sample_std():
    # [1, 2, 4]: mean 7/3; squared deviations 16/9 + 1/9 + 25/9 = 42/9; / (n - 1) = 7/3
    s = mean_std([1, 2, 4])
    assert s.mean == pytest.approx(7 / 3)
    assert s.std == pytest.approx(math.sqrt(7 / 3))
    assert s.n == 3
    assert tuple(s) == (s.mean, s.std, 3)  # unpacks as (mean, std, n)


def test_mean_std_skips_missing_values_and_one_value_has_no_std():
    s = mean_std([None, 5.0, float("nan"), "", "x"])
    assert (s.mean, s.n) == (5.0, 1) and math.isnan(s.std)
    assert s.as_dict() == {"mean": 5.0, "std": None, "n": 1}
    empty = mean_std([])
    assert empty.n == 0 and math.isnan(empty.mean)
    assert empty.as_dict() == {"mean": None, "std": None, "n": 0}
    assert mean_std(["1.5", "2.5"]).mean == pytest.approx(2.0)  # CSV strings read as numbers
    assert mean_std([True, 3.0]).n == 1  # a bool is not a number here


def test_sample_std_along_an_axis():
    ys = np.array([[0.0, 4.0], [2.0, 6.0]])
    assert sample_std(ys, axis=0) == pytest.approx([math.sqrt(2), math.sqrt(2)])
    assert np.isnan(sample_std(np.array([[1.0, 2.0]]), axis=0)).all()


def test_mean_curve_union_grid_over_the_common_range():
    a = [
        {"env_steps": 0, "return_mean": 0.0},
        {"env_steps": 400, "return_mean": 4.0},
        {"env_steps": 800, "return_mean": 8.0},
    ]
    b = [{"env_steps": 0, "return_mean": 2.0}, {"env_steps": 800, "return_mean": 6.0},
         {"env_steps": 1200, "return_mean": 9.0, "wall_s": None}]  # fmt: skip
    c = mean_curve([a, b])
    assert c.x.tolist() == [0.0, 400.0, 800.0]  # ends where the shorter run ends
    # at 400: a = 4, b interpolated = 4 -> mean 4, std 0; at 800: 8 and 6 -> mean 7, std sqrt(2)
    assert c.mean.tolist() == pytest.approx([1.0, 4.0, 7.0])
    assert c.std[-1] == pytest.approx(math.sqrt(2)) and c.n == 2


def test_mean_curve_interpolates_on_common_grid():
    c = mean_curve(
        [[{"env_steps": 0, "return_mean": 0.0}, {"env_steps": 10, "return_mean": 10.0}],
         [{"env_steps": 0, "return_mean": 2.0}, {"env_steps": 8, "return_mean": 10.0}]],
        "env_steps", points=5,
    )  # fmt: skip
    assert c.x.tolist() == [0.0, 2.0, 4.0, 6.0, 8.0]  # ends at the shorter curve
    # seed 1 at x=4: 4.0; seed 2 at x=4: 2 + 4 = 6.0 -> mean 5, sample std (ddof=1) sqrt(2)
    assert c.mean[2] == pytest.approx(5.0) and c.std[2] == pytest.approx(math.sqrt(2))


def test_mean_curve_edge_cases():
    one = mean_curve(
        [[{"env_steps": 1, "return_mean": 3.0}, {"env_steps": 2, "return_mean": None}]]
    )
    assert one.x.tolist() == [1.0] and one.mean.tolist() == [3.0] and np.isnan(one.std).all()
    assert mean_curve([]).x.size == 0 and mean_curve([[]]).n == 0
    apart = mean_curve(
        [[{"env_steps": 0, "return_mean": 1.0}, {"env_steps": 1, "return_mean": 1.0}],
         [{"env_steps": 5, "return_mean": 1.0}, {"env_steps": 6, "return_mean": 1.0}]]
    )  # fmt: skip
    assert apart.x.size == 0  # no common range
    wall = mean_curve([[{"wall_s": 1.0, "success_rate": 0.5}]], x="wall_s", y="success_rate")
    assert wall.mean.tolist() == [0.5]


def test_iqm_of_a_known_array():
    # 1..8: the middle 50% are 3, 4, 5, 6 -> 4.5
    est = iqm(list(range(1, 9)))
    assert est.value == pytest.approx(4.5) and est.n == 8
    assert est.low <= est.value <= est.high
    # outliers at both ends do not move it: 3..6 with 2 extreme values on each side
    assert iqm([-1000, -900, 3, 4, 5, 6, 900, 1000]).value == pytest.approx(4.5)
    # below 4 runs nothing is trimmed: the mean
    assert iqm([1.0, 2.0, 4.0]).value == pytest.approx(7 / 3)


def test_iqm_interval_is_seeded_and_leaves_the_global_rng_alone():
    scores = np.random.default_rng(1).normal(size=10)
    np.random.seed(123)
    before = np.random.random()
    np.random.seed(123)
    a = iqm(scores)
    after = np.random.random()
    b = iqm(scores)
    assert a == b  # same bootstrap seed, same interval
    assert after == before  # the caller's numpy random stream is untouched
    assert iqm(scores, seed=1) != a  # another seed, another (close) interval
    assert a.low < a.value < a.high


def test_iqm_one_run_and_no_run():
    one = iqm([None, 3.0])
    assert (one.value, one.n) == (3.0, 1) and math.isnan(one.low) and math.isnan(one.high)
    assert one.as_dict() == {"value": 3.0, "low": None, "high": None, "n": 1}
    none = iqm([None, float("nan")])
    assert none.n == 0 and math.isnan(none.value)


def test_probability_of_improvement():
    better, worse = [5.0, 6.0, 7.0], [1.0, 2.0, 3.0]
    poi = probability_of_improvement(better, worse)
    assert poi.value == pytest.approx(1.0) and poi.low == 1.0 and poi.high == 1.0 and poi.n == 3
    assert probability_of_improvement(worse, better).value == pytest.approx(0.0)
    assert probability_of_improvement(better, better).value == pytest.approx(0.5)
    # [1, 3] vs [2]: 3 > 2 wins, 1 > 2 loses -> 1/2; one run on a side: no interval
    half = probability_of_improvement([1.0, 3.0], [2.0])
    assert half.value == pytest.approx(0.5) and half.n == 1 and math.isnan(half.low)
    # runs x tasks: averaged over tasks (task 1: 1.0, task 2: 0.0)
    x = [[5.0, 0.0], [6.0, 1.0]]
    y = [[1.0, 8.0], [2.0, 9.0]]
    assert probability_of_improvement(x, y).value == pytest.approx(0.5)
    with pytest.raises(ValueError, match="tasks"):
        probability_of_improvement([[1.0, 2.0]], [[1.0]])
    assert math.isnan(probability_of_improvement([], [1.0]).value)
