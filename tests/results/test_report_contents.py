"""What simrl-report shows: one panel per env, no blank plots (a note where data are missing),
legends inside the figure, success and IQM per group, stopped and failed runs counted apart, and
a resumed run's actual budget."""

from __future__ import annotations

import csv

from _results_runs import write_run

from simrl.results import group_runs, load_runs
from simrl.results.plots import LABEL_CHARS, Panel, Series, draw_panel
from simrl.results.sweep_plots import group_rows, group_title, overview_rows
from simrl.results.sweep_report import markdown, write_report


def _axes():
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure()
    FigureCanvasAgg(fig)
    return fig.subplots()


def test_one_panel_per_env(tmp_path):
    for env, algo in (("Reacher-v5", "grpo"), ("Pusher-v5", "ppo")):
        for seed in (0, 1):
            write_run(tmp_path / f"{env}_{seed}", algo=algo, seed=seed, env_id=env,
                      overrides=[f"algo={algo}", f"seed={seed}"])  # fmt: skip
    groups = group_runs(load_runs(tmp_path), robust=False)
    [returns] = overview_rows(groups, "env_steps", "mean")
    assert [p.title for p in returns] == ["Pusher-v5", "Reacher-v5"]
    assert [[s.label for s in p.series] for p in returns] == [["algo=ppo"], ["algo=grpo"]]


def test_wall_clock_runs_that_do_not_overlap_are_still_drawn():
    a = [{"wall_s": 1.0, "return_mean": -5.0}, {"wall_s": 2.0, "return_mean": -4.0}]
    b = [{"wall_s": 10.0, "return_mean": -3.0}, {"wall_s": 20.0, "return_mean": -2.0}]
    for runs in ("mean", "each"):
        ax = _axes()
        assert draw_panel(ax, Panel([Series("g", [a, b])], x="wall_s", runs=runs))
        assert len(ax.lines) == 2  # each run, not an empty (white) axes


def test_a_panel_without_data_carries_a_note():
    ax = _axes()
    assert not draw_panel(ax, Panel([Series("g", [[{"env_steps": 1, "return_mean": 1.0}]])],
                                    y="success_rate"))  # fmt: skip
    assert [t.get_text() for t in ax.texts] == ["no success rate in these runs"]
    assert ax.get_visible()


def test_long_legends_are_shortened_and_placed_below_the_axes():
    curve = [{"env_steps": 1, "return_mean": 1.0}, {"env_steps": 2, "return_mean": 2.0}]
    series = [Series(f"algo.lr={k}," + "x" * 100, [curve]) for k in range(10)]
    ax = _axes()
    draw_panel(ax, Panel(series))
    legend = ax.get_legend()
    assert all(len(t.get_text()) <= LABEL_CHARS for t in legend.get_texts())
    assert legend.get_bbox_to_anchor().y0 < ax.get_window_extent().y0  # below, not over, the axes


def test_group_plot_has_success_and_iqm(tmp_path):
    for seed, (ret, succ) in enumerate(((-5.0, 0.5), (-4.0, 1.0))):
        write_run(tmp_path / f"s{seed}", seed=seed, ret=ret, success=succ,
                  overrides=["algo=grpo", f"seed={seed}"])  # fmt: skip
    [g] = group_runs(load_runs(tmp_path))
    rows = group_rows(g)
    assert [[p.y for p in row] for row in rows] == [["return_mean"], ["success_rate"]]
    assert "final return IQM -4.5 [-5, -4]" in group_title(g)
    assert "final success IQM 0.75 [0.5, 1]" in group_title(g)


def test_stopped_runs_are_counted_apart_and_failed_ones_listed(tmp_path):
    for seed in (0, 1):
        write_run(tmp_path / f"done{seed}", seed=seed, ret=-4.0 - seed, overrides=["algo=grpo"])
    write_run(tmp_path / "stopped", seed=2, ret=-40.0, status="stopped", overrides=["algo=grpo"],
              total_env_steps=800, stop_signal="SIGINT")  # fmt: skip
    write_run(tmp_path / "failed", seed=3, ret=None, status="failed", overrides=["algo=grpo"],
              error="boom")  # fmt: skip
    [g] = group_runs(load_runs(tmp_path))
    assert (len(g.completed), len(g.stopped), len(g.failed)) == (2, 1, 1)
    assert g.stats["return"].mean == -4.5  # the stopped run's return is not averaged in
    out = write_report(tmp_path, tmp_path / "rep", plots=False)
    with open(out / "report.csv") as fh:
        [row] = list(csv.DictReader(fh))
    assert (row["n"], row["stopped"], row["failed"]) == ("2", "1", "1")
    md = (out / "report.md").read_text()
    assert "4 runs in 1 groups: 2 completed, 1 stopped before their budget, 1 failed." in md
    assert "| `algo=grpo` | 2 (+1 stopped, +1 failed) | -4.5 ± 0.7071 |" in md
    assert "## Stopped runs" in md and "stopped at 400 of 800 env steps (SIGINT)" in md
    assert "## Failed runs" in md and "boom" in md
    with open(out / "runs.csv") as fh:
        assert sorted(r["status"] for r in csv.DictReader(fh)) == [
            "completed", "completed", "failed", "stopped",
        ]  # fmt: skip


def test_a_resumed_run_is_labelled_with_its_actual_budget(tmp_path):
    # first started with total_env_steps=40000, then resumed to 80000 (.hydra/ keeps the first)
    write_run(tmp_path / "run", overrides=["algo=grpo", "total_env_steps=40000"],
              total_env_steps=80000, resumed_from="run/checkpoints/last.pt")  # fmt: skip
    write_run(tmp_path / "other", overrides=["algo=ppo", "total_env_steps=40000"],
              total_env_steps=40000)  # fmt: skip
    groups = group_runs(load_runs(tmp_path), robust=False)
    assert sorted(g.label for g in groups) == [
        "algo=grpo,total_env_steps=80000",
        "algo=ppo,total_env_steps=40000",
    ]
    assert "total_env_steps=80000" in markdown(tmp_path, groups, [])
