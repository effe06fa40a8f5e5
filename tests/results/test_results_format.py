"""The one number formatter and its composite cells."""

import math

import numpy as np

from simrl.results import fmt, fmt_diff, fmt_interval, fmt_mean_std, fmt_ratio


def test_fmt_numbers():
    assert fmt(None) == "-" and fmt(math.nan) == "-" and fmt(math.inf, missing="") == ""
    assert fmt(True) == "True" and fmt("fp32") == "fp32"
    assert fmt(300) == "300" and fmt(200_000) == "200,000" and fmt(np.int64(-12345)) == "-12,345"
    assert fmt(300.0) == "300" and fmt(-8.0) == "-8" and fmt(-5.2034) == "-5.203"
    assert fmt(0.001234) == "0.001234" and fmt(3.95e6) == "3.95e+06"
    assert fmt(np.float32(0.5)) == "0.5"
    assert float(fmt(1.23456789e9, 8, "")) == 1.2345679e9  # CSV precision


def test_composite_cells():
    assert fmt_mean_std(-5.2, 0.65, 3) == "-5.2 ± 0.65 (3)"
    assert fmt_mean_std(300.0, None) == "300"  # one seed: no std
    assert fmt_mean_std(1e6, 0.0, scale=1e6) == "1"  # zero std left out
    assert fmt_mean_std(None, None, 0) == "-"
    assert fmt_interval(-5.2, -5.9, -4.6) == "-5.2 [-5.9, -4.6]"
    assert fmt_interval(3.0, None, None) == "3" and fmt_interval(None, 1, 2) == "-"
    assert fmt_ratio(0.3) == "0.3x" and fmt_ratio(None) == "-"
    assert fmt_diff(2.0) == "+2" and fmt_diff(-0.6) == "-0.6" and fmt_diff(None) == "-"
