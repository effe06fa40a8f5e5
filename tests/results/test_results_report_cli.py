"""`simrl-report` as a renderer over simrl.results: table rows, CSV columns, markdown, console."""

import csv
import math

import pytest

from simrl.cli.report import main
from simrl.results import group_runs, load_runs
from simrl.results.sweep_report import group_rows, markdown, write_report


def test_report_files_and_rows(sweep):
    out = write_report(sweep)
    assert out == sweep / "report"
    with open(out / "report.csv") as fh:
        rows = {r["group"]: r for r in csv.DictReader(fh)}
    assert set(rows) == {"algo.lr=-1", "algo.lr=1e-3", "algo.lr=3e-3"}
    low = rows["algo.lr=1e-3"]
    assert (low["n"], low["failed"], low["seeds"]) == ("2", "0", "0 1")
    assert float(low["return_mean"]) == -5.0
    assert float(low["return_std"]) == pytest.approx(math.sqrt(2), rel=1e-7)
    assert float(low["return_iqm"]) == -5.0
    assert (float(low["return_iqm_low"]), float(low["return_iqm_high"])) == (-6.0, -4.0)
    assert rows["algo.lr=-1"]["return_mean"] == ""  # no completed run: blank, not nan
    md = (out / "report.md").read_text()
    assert "| group | n | return | return IQM [95% CI] | success | success IQM [95% CI] |" in md
    assert "| `algo.lr=1e-3` | 2 | -5 ± 1.414 | -5 [-6, -4] | - | - |" in md
    assert "| `algo.lr=-1` | 0 (+1 failed) | - | - | - |" in md
    assert "## Failed runs" in md and "lr must be > 0" in md
    assert "Overrides shared by all groups: `env=reacher`" in md
    assert (out / "curves.png").stat().st_size > 0 and (out / "curves_wall.png").exists()
    assert len(list((out / "curves").glob("*.png"))) == 2  # the failed group has no curve
    with open(out / "runs.csv") as fh:
        assert sorted(r["status"] for r in csv.DictReader(fh)) == ["completed"] * 4 + ["failed"]


def test_one_seed_group_has_no_std_and_no_interval(sweep):
    groups = group_runs([r for r in load_runs(sweep) if r.summary.get("seed") == 0])
    md = markdown(sweep, groups, [])
    assert "| `algo.lr=3e-3` | 1 | -3 | -3 | - | - |" in md
    row = {r["group"]: r for r in group_rows(groups)}["algo.lr=3e-3"]
    assert math.isnan(row["return_std"]) and math.isnan(row["return_iqm_low"])


def test_main_prints_the_table(sweep, tmp_path, capsys):
    main([str(sweep), "--out", str(tmp_path / "rep"), "--no-plots"])
    out = capsys.readouterr().out
    assert "algo.lr=3e-3" in out and "-2.5 [-3, -2]" in out
    assert not (tmp_path / "rep" / "curves.png").exists()
    with pytest.raises(SystemExit) as info:
        main([str(tmp_path / "empty_missing")])
    assert info.value.code == 2


def test_curves_add_a_success_row_only_for_tasks_with_success(sweep, tmp_path, monkeypatch):
    import simrl.results.plots as plots
    from simrl.results.sweep_plots import plot_groups

    drawn = {}

    def capture(path, rows, **kwargs):
        drawn[str(path)] = [[(p.x, p.y) for p in row] for row in rows]
        return path

    monkeypatch.setattr(plots, "plot_panels", capture)
    groups = group_runs([r for r in load_runs(sweep) if r.summary.get("status") == "completed"])
    plot_groups(groups, tmp_path)
    assert drawn[str(tmp_path / "curves.png")] == [[("env_steps", "return_mean")]]
    for g in groups:  # the same runs on a task with success: rate under the return
        for r in g.completed:
            for k, p in enumerate(r.curve):
                p["success_rate"] = 0.5 * k
    plot_groups(groups, tmp_path)
    assert drawn[str(tmp_path / "curves_wall.png")] == [
        [("wall_s", "return_mean")],
        [("wall_s", "success_rate")],
    ]
