"""Reading run directories and grouping a sweep's runs (fixture dirs written by the tests)."""

import math

import pytest
from _results_runs import write_run

from simrl.results import group_runs, load_run, load_runs
from simrl.results.run_dirs import eval_curve, num, read_metrics


def test_num_parses_every_source_alike():
    assert num("1.5") == 1.5 and num(2) == 2.0 and num(-0.0) == 0.0
    for bad in (None, "", "abc", float("nan"), float("inf"), True, [1]):
        assert num(bad) is None, bad


def test_load_run_reads_summary_metrics_config_overrides(tmp_path):
    d = write_run(
        tmp_path / "r",
        seed=3,
        ret=-4.0,
        success=0.5,
        curve=[(100, 1.0, -9.0), (200, 2.0, -4.0)],
        overrides=["+algo.lr=1e-3", "seed=3", "num_threads=1"],
        metrics=[{"update_time_s": 0.5, "env_steps": 100, "eval_return_mean": ""}],
    )
    run = load_run(d)
    assert run is not None and run.status == "completed" and not run.failed
    assert run.summary["seed"] == 3 and run.config["algo"]["epochs"] == 5
    assert run.metrics == [{"update_time_s": 0.5, "env_steps": 100.0, "eval_return_mean": None}]
    assert [p["env_steps"] for p in run.curve] == [100.0, 200.0]
    assert run.curve[-1] == {"env_steps": 200.0, "wall_s": 2.0, "return_mean": -4.0,
                             "success_rate": 0.5}  # fmt: skip
    assert run.group_key == ("algo.lr=1e-3",)  # seed and num_threads never define a group
    assert load_run(tmp_path / "missing") is None


def test_curve_falls_back_to_metrics_csv(tmp_path):
    d = write_run(
        tmp_path / "r",
        curve=[],
        metrics=[
            {"env_steps": 100, "wall_s": 1.0, "eval_return_mean": "", "eval_success_rate": ""},
            {"env_steps": 200, "wall_s": 2.0, "eval_return_mean": -3.5, "eval_success_rate": 1},
        ],
    )
    run = load_run(d)
    assert run.curve == [{"env_steps": 200.0, "wall_s": 2.0, "return_mean": -3.5,
                          "success_rate": 1.0}]  # fmt: skip
    assert eval_curve({}, []) == [] and read_metrics(tmp_path / "none.csv") == []


def test_unreadable_summary_is_a_failed_run(tmp_path):
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "summary.json").write_text("{not json")
    (run,) = load_runs(tmp_path)
    assert run.failed and run.summary["error"].startswith("unreadable summary.json")
    # no overrides recorded: the group is what the summary says
    assert run.group_key == ("algo=None", "env=None")


def test_load_runs_walks_the_tree_and_skips_the_report(sweep):
    write_run(sweep / "report" / "x")  # a report folder is never read as a run
    runs = load_runs(sweep)
    assert len(runs) == 5
    assert [r.path.name for r in runs] == sorted(r.path.name for r in runs)
    with pytest.raises(ValueError, match="is not a directory"):
        load_runs(sweep / "missing")


def test_group_runs_statistics_over_seeds(sweep):
    groups = group_runs(load_runs(sweep))
    assert [g.label for g in groups] == ["algo.lr=-1", "algo.lr=1e-3", "algo.lr=3e-3"]
    assert groups[0].common == ("env=reacher",)  # shared by all groups: left out of the label
    bad, low, high = groups
    assert (len(bad.completed), len(bad.failed), bad.stats["return"].n) == (0, 1, 0)
    assert math.isnan(bad.iqm["return"].value)
    assert low.seeds == [0, 1]
    mean, std, n = low.stats["return"]
    assert (mean, n) == (-5.0, 2) and std == pytest.approx(math.sqrt(2))  # ddof=1
    assert low.iqm["return"].value == pytest.approx(-5.0)
    assert low.iqm["return"].low == -6.0 and low.iqm["return"].high == -4.0
    assert high.stats["peak_memory_bytes"].mean == 2e6
    assert high.stats["success"].n == 0 and "success" in high.iqm
    assert group_runs(load_runs(sweep), robust=False)[1].iqm == {}


def test_seed_stats_is_the_aggregation_both_reports_use():
    from simrl.results.aggregate import seed_stats

    rows = [{"a": 1.0, "b": 2.0}, {"a": 3.0, "b": None}, {"a": "nan"}]
    stats, estimates = seed_stats(rows, ["a", ("col", "b")], robust=["a"])
    # hand-computed: a over the finite values {1, 3}: mean 2, sample std sqrt(2); b only one value
    assert stats["a"] == (2.0, pytest.approx(2**0.5), 2)
    assert stats["col"].mean == 2.0 and stats["col"].n == 1
    # two runs: the IQM trims nothing, so it is the mean
    assert estimates["a"].value == pytest.approx(2.0) and estimates["a"].n == 2
    assert seed_stats(rows, ["a"])[1] == {}
