"""The one curve plotter: files written only when there is something to draw."""

from simrl.results.plots import Panel, Series, plot_panels


def curve(*points):
    return [{"env_steps": s, "wall_s": s / 100, "return_mean": r} for s, r in points]


def test_plot_panels_writes_a_png(tmp_path):
    runs = [curve((0, -9.0), (100, -5.0)), curve((0, -8.0), (100, -4.0))]
    rows = [
        [Panel([Series("a", runs), Series("b", runs[:1])], runs="thin", hlines={"target": -4.5}),
         Panel([Series("a", runs)], x="wall_s", runs="each", log_x=True)],
        [Panel([Series("a", runs)], y="success_rate")],  # no success values: row dropped
    ]  # fmt: skip
    out = plot_panels(tmp_path / "sub" / "c.png", rows, title="t")
    assert out == tmp_path / "sub" / "c.png" and out.read_bytes()[:4] == b"\x89PNG"
    assert [p.name for p in (tmp_path / "sub").iterdir()] == ["c.png"]  # no temp file left


def test_nothing_to_draw(tmp_path):
    empty = [[Panel([Series("a", [[]])])]]
    assert plot_panels(tmp_path / "e.png", empty) is None and not (tmp_path / "e.png").exists()
    assert plot_panels(tmp_path / "e.png", empty, allow_empty=True).stat().st_size > 0
    one_point = [[Panel([Series("a", [curve((5, 1.0)), curve((5, 2.0))])])]]
    assert plot_panels(tmp_path / "p.png", one_point) is not None  # error bar, not a band


def test_run_learning_curve_wrapper(tmp_path):
    from simrl.runs.plots import plot_learning_curve

    history = [{"env_steps": s, "return_mean": -s / 100, "success_rate": 0.1} for s in (100, 200)]
    evals = [{"env_steps": 200, "return_mean": -1.0, "success_rate": 0.5}]
    path = plot_learning_curve(history, evals, tmp_path / "lc.png", "t")
    assert path.stat().st_size > 1000
    # a run stopped before its first iteration still gets its (empty) plot
    assert plot_learning_curve([], [], tmp_path / "empty.png").stat().st_size > 0
